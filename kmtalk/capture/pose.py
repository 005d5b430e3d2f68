"""Head pose from MediaPipe's facial transformation matrices, in :mod:`kmtalk.face.headpose`'s convention.

MediaPipe's matrix maps its canonical face (centimetres; x towards the
person's left as seen in the image, y up, face looking +z) into camera space
(x right, y up, z towards the viewer). Those axes are the rig's axes (Y up,
face looking +Z, +X the character's left), so the rotation reads directly
as ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``. Translation is given in metres
relative to the take's median head position: the camera distance itself is
not motion of the head.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.headpose import rotation_matrices
>>> from kmtalk.capture.pose import pose_from_matrices
>>> m = np.eye(4)[None].repeat(2, 0)
>>> m[:, :3, :3] = rotation_matrices(np.array([[0.1, -0.2, 0.3], [0.0, 0.0, 0.0]]))
>>> m[:, :3, 3] = [[0, 0, -50], [2, 0, -50]]
>>> pose_from_matrices(m).round(3).tolist()
[[0.1, -0.2, 0.3, -0.01, 0.0, 0.0], [0.0, 0.0, 0.0, 0.01, 0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["pose_from_matrices"]


def pose_from_matrices(matrices: np.ndarray) -> np.ndarray:
    """``[F, 6]`` pitch, yaw, roll (radians) and tx, ty, tz (metres, about the median) from ``[F, 4, 4]``.

    The rotation block is first made orthonormal (nearest rotation by SVD),
    so a scale in the matrix does not leak into the angles. NaN matrices give
    NaN rows; angles are unwrapped over the finite rows.
    """
    m = np.asarray(matrices, np.float64)
    out = np.full((len(m), 6), np.nan)
    ok = np.isfinite(m).all(axis=(1, 2))
    if not ok.any():
        return out
    u, _, vt = np.linalg.svd(m[ok, :3, :3])
    r = u @ vt
    flip = np.linalg.det(r) < 0
    if flip.any():
        u[flip, :, -1] *= -1
        r = u @ vt
    pitch = np.arcsin(np.clip(-r[:, 1, 2], -1.0, 1.0))
    yaw = np.arctan2(r[:, 0, 2], r[:, 2, 2])
    roll = np.arctan2(r[:, 1, 0], r[:, 1, 1])
    ang = np.unwrap(np.stack([pitch, yaw, roll], 1), axis=0)
    trans = m[ok, :3, 3] / 100.0  # cm -> m
    trans -= np.median(trans, axis=0)
    out[ok] = np.concatenate([ang, trans], 1)
    return out
