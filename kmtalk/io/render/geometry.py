"""Per-frame vertex normals and camera matrices for the preview renderer.

Examples
--------
>>> import numpy as np
>>> from kmtalk.io.render.geometry import vertex_normals
>>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
>>> vertex_normals(v, np.array([[0, 1, 2]]))[0].tolist()
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["look_at", "perspective", "vertex_normals"]


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals ``[V, 3]`` float32 (counter-clockwise faces point out).

    Parameters
    ----------
    vertices : numpy.ndarray
        ``[V, 3]`` positions.
    triangles : numpy.ndarray
        ``[F, 3]`` vertex indices.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0]], np.float32)
    >>> vertex_normals(v, np.array([[0, 1, 2]]))[1].tolist()
    [0.0, 0.0, -1.0]
    """
    v = np.asarray(vertices, np.float32)
    t = np.asarray(triangles)
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    fn = np.cross(b - a, c - a)
    idx = t.ravel()
    n = len(v)
    out = np.empty((n, 3), np.float32)
    for k in range(3):
        out[:, k] = np.bincount(idx, weights=np.repeat(fn[:, k], 3), minlength=n)
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norm, 1e-12)
    return out


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """A 4×4 view matrix (OpenGL convention: camera looks down its -Z).

    Examples
    --------
    >>> import numpy as np
    >>> m = look_at((0, 0, 1), (0, 0, 0))
    >>> (m @ [0, 0, 0, 1]).round(6).tolist()
    [0.0, 0.0, -1.0, 1.0]
    """
    eye, target, up = (np.asarray(x, np.float64) for x in (eye, target, up))
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def perspective(fov_y_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """A 4×4 OpenGL perspective projection matrix.

    Examples
    --------
    >>> perspective(90, 1, 0.1, 10)[3, 2]
    -1.0
    """
    f = 1.0 / np.tan(np.radians(fov_y_deg) / 2.0)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = f / aspect, f
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m
