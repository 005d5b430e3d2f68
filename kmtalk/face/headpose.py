"""Head pose: the rigid motion of the whole head, per frame.

An :class:`~kmtalk.face.animation.Animation` may carry ``head_pose`` [T, 6] with
columns :data:`HEAD_POSE_COLUMNS` = ``pitch, yaw, roll`` (radians) and
``tx, ty, tz`` (metres), in the rig's frame (Y up, face looking +Z):

- ``pitch``: rotation about +X; positive tips the face down (the nose moves to -Y).
- ``yaw``: rotation about +Y; positive turns the face towards +X (the character's left).
- ``roll``: rotation about +Z; positive tilts the top of the head towards -X.

The rotation is ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)`` (yaw, then pitch, then
roll, about the head's own axes) applied about the rig's origin, followed by the
translation. This module turns the columns into matrices and glTF quaternions.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.headpose import rotation_matrices, quaternions
>>> pose = np.array([[0.0, np.pi / 2, 0.0, 0.0, 0.0, 0.0]], np.float32)
>>> (rotation_matrices(pose)[0] @ [0, 0, 1]).round(6).tolist()  # the nose turns to +X
[1.0, 0.0, -0.0]
>>> np.round(quaternions(pose)[0], 4)  # glTF order x, y, z, w
array([0.    , 0.7071, 0.    , 0.7071])
"""

from __future__ import annotations

import numpy as np

__all__ = ["HEAD_POSE_COLUMNS", "angles_from_quaternions", "apply_head_pose", "quaternions", "rotation_matrices"]

#: Column names of ``Animation.head_pose``: radians, then metres.
HEAD_POSE_COLUMNS: tuple[str, ...] = ("pitch", "yaw", "roll", "tx", "ty", "tz")


def rotation_matrices(head_pose: np.ndarray) -> np.ndarray:
    """Rotation matrices ``Ry(yaw) @ Rx(pitch) @ Rz(roll)`` for each frame.

    Parameters
    ----------
    head_pose : np.ndarray
        [T, 6] (or [T, 3]) with columns pitch, yaw, roll (radians) first.

    Returns
    -------
    np.ndarray
        [T, 3, 3] float64.

    Examples
    --------
    >>> import numpy as np
    >>> rotation_matrices(np.zeros((2, 6))).shape
    (2, 3, 3)
    """
    p, y, r = (np.asarray(head_pose, np.float64)[:, i] for i in range(3))
    cp, sp, cy, sy, cr, sr = np.cos(p), np.sin(p), np.cos(y), np.sin(y), np.cos(r), np.sin(r)
    one, zero = np.ones_like(p), np.zeros_like(p)
    rx = np.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).reshape(-1, 3, 3)
    ry = np.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(-1, 3, 3)
    rz = np.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    return ry @ rx @ rz


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of [T, 4] quaternions stored x, y, z, w."""
    ax, ay, az, aw = a.T
    bx, by, bz, bw = b.T
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        -1,
    )


def quaternions(head_pose: np.ndarray) -> np.ndarray:
    """Unit quaternions (glTF order ``x, y, z, w``) of the rotations of :func:`rotation_matrices`.

    Consecutive quaternions are kept in the same hemisphere, so that linear
    interpolation between keys takes the short way round.

    Parameters
    ----------
    head_pose : np.ndarray
        [T, 6] (or [T, 3]) with pitch, yaw, roll in radians first.

    Returns
    -------
    np.ndarray
        [T, 4] float64 with unit norm.

    Examples
    --------
    >>> import numpy as np
    >>> quaternions(np.zeros((1, 6))).tolist()
    [[0.0, 0.0, 0.0, 1.0]]
    """
    hp = np.asarray(head_pose, np.float64)
    half = 0.5 * hp[:, :3]
    zero = np.zeros(len(hp))
    qx = np.stack([np.sin(half[:, 0]), zero, zero, np.cos(half[:, 0])], -1)
    qy = np.stack([zero, np.sin(half[:, 1]), zero, np.cos(half[:, 1])], -1)
    qz = np.stack([zero, zero, np.sin(half[:, 2]), np.cos(half[:, 2])], -1)
    q = _qmul(_qmul(qy, qx), qz)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    for i in range(1, len(q)):  # same hemisphere as the previous key
        if np.dot(q[i], q[i - 1]) < 0:
            q[i] = -q[i]
    return q


def angles_from_quaternions(quats: np.ndarray) -> np.ndarray:
    """Pitch, yaw, roll (radians, ``[T, 3]``) of unit quaternions ``x, y, z, w``: the inverse of :func:`quaternions`.

    Angles are unwrapped over the frames (no jumps of 2π between neighbours);
    pitch is in [-π/2, π/2].

    Examples
    --------
    >>> import numpy as np
    >>> pose = np.array([[0.1, -0.2, 0.3, 0, 0, 0]])
    >>> angles_from_quaternions(quaternions(pose)).round(6).tolist()
    [[0.1, -0.2, 0.3]]
    """
    x, y, z, w = (np.asarray(quats, np.float64) / np.linalg.norm(quats, axis=1, keepdims=True)).T
    # the entries of R = Ry(yaw) @ Rx(pitch) @ Rz(roll) that give the angles back
    r12 = 2 * (y * z - x * w)
    r02, r22 = 2 * (x * z + y * w), 1 - 2 * (x * x + y * y)
    r10, r11 = 2 * (x * y + z * w), 1 - 2 * (x * x + z * z)
    ang = np.stack([np.arcsin(np.clip(-r12, -1.0, 1.0)), np.arctan2(r02, r22), np.arctan2(r10, r11)], 1)
    return np.unwrap(ang, axis=0)


def apply_head_pose(vertices: np.ndarray, head_pose: np.ndarray) -> np.ndarray:
    """Rotate [T, V, 3] vertices about the origin and translate them, frame by frame.

    Parameters
    ----------
    vertices : np.ndarray
        [T, V, 3] face-local vertices.
    head_pose : np.ndarray
        [T, 6] pitch, yaw, roll (radians), tx, ty, tz (metres).

    Returns
    -------
    np.ndarray
        [T, V, 3], same dtype as ``vertices``.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.zeros((1, 1, 3), np.float32)
    >>> apply_head_pose(v, np.array([[0, 0, 0, 0.1, 0, 0]]))[0, 0].tolist()
    [0.10000000149011612, 0.0, 0.0]
    """
    rot = rotation_matrices(head_pose)
    out = np.einsum("tij,tvj->tvi", rot, np.asarray(vertices, np.float64))
    out += np.asarray(head_pose, np.float64)[:, None, 3:6]
    return out.astype(vertices.dtype, copy=False)
