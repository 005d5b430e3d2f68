"""Locks on plain arrays (any number of channels): checking them and meeting them exactly and smoothly.

The lock logic of this package, in one module: :func:`lock_arrays` checks the
locks a model is given (a ``Locks``-like object or a ``(frames, mask, values)``
tuple), :func:`apply_lock_arrays` bends curves through them. The latter is the
array core of :func:`kmtalk.face.locks.apply_locks` too, so the learned and prior
paths meet locks the same way (this package may not import :mod:`kmtalk`).
Each locked channel is
pulled towards its value with a smoothstep-shaped weight around the lock::

    out(t) = (1 - sum_k w_k(t)) * x(t) + sum_k w_k(t) * value_k
    w_k(t) = 1 - smoothstep(|t - f_k| / W_k)

``W_k`` grows with the distance to cover (so neither the pull's slope nor the
step into the lock exceeds the natural frame-to-frame change nearby, up to
0.5 s) and never reaches past the channel's neighbouring locks: the pulls
never sum above 1, every lock is met exactly, the curve arrives with zero
slope, and far from locks the motion is untouched.

Examples
--------
>>> import numpy as np
>>> from completion.locks import apply_lock_arrays
>>> x = np.full((31, 3), 0.2, np.float32)
>>> frames = np.array([15]); mask = np.array([[False, True, False]]); vals = np.array([[0, .9, 0]], np.float32)
>>> out = apply_lock_arrays(x, frames, mask, vals, fps=30, bounds=(0, 1))
>>> out[15, 1] == np.float32(0.9), bool(0.2 < out[14, 1] < 0.9), out[15, 0] == np.float32(0.2)
(True, True, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import LockError

__all__ = ["MAX_WINDOW_S", "apply_lock_arrays", "lock_arrays"]

#: Longest time (s) a lock's pull reaches on either side.
MAX_WINDOW_S = 0.5
_MIN_WINDOW_FRAMES = 2


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _window(residual: float, natural: float, fps: float) -> int:
    """Frames over which a pull fades so that neither its slope (at most ``1.5 |r| / W``) nor the
    step into the lock (``smoothstep(1 / W) (|r| + natural)``) exceeds the natural change."""
    w_max = max(int(round(MAX_WINDOW_S * fps)), _MIN_WINDOW_FRAMES)
    if natural <= 1e-6:
        return w_max
    r = abs(residual)
    need = max(1.5 * r / natural, math.sqrt(3.0 * (r + natural) / natural))
    return int(np.clip(math.ceil(need), _MIN_WINDOW_FRAMES, w_max))


def apply_lock_arrays(
    values: np.ndarray,
    frames: np.ndarray,
    mask: np.ndarray,
    locked: np.ndarray,
    *,
    fps: float = 30.0,
    bounds: tuple[float, float] | None = (0.0, 1.0),
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """Bend ``values [T, C]`` smoothly through locks, exactly at the locked frames and channels.

    Parameters
    ----------
    values : ndarray [T, C]
        The curves.
    frames : ndarray[int] [K]
        Locked frames (sorted, unique, in ``[0, T)``).
    mask : ndarray[bool] [K, C]
        Which channels each lock pins.
    locked : ndarray [K, C]
        The pinned values (read where ``mask`` is True).
    fps : float, default 30
        Frame rate (sets the 0.5 s maximum pull window).
    bounds : (float, float) or None, default (0, 1)
        Clamp the result to this range (None: no clamp). Locked values are
        written exactly, after the clamp.
    reference : ndarray [T, C], optional
        Curves that set each pull's width (the distance to cover at the lock
        and the natural change nearby) instead of ``values``. The learned path
        passes its prediction without locks: the model, given a pin far from
        its free motion, bends only the few frames next to it, and a width
        measured on that bump would keep the bump.

    Returns
    -------
    ndarray, float32 [T, C]

    Raises
    ------
    ValueError
        Shapes that disagree, or frames outside the curves / not sorted and unique.
    """
    base = np.asarray(values, dtype=np.float64)
    frames = np.asarray(frames, dtype=np.int64).reshape(-1)
    mask = np.asarray(mask, dtype=bool)
    locked = np.asarray(locked, dtype=np.float32)
    if base.ndim != 2:
        raise ValueError(f"values must be [T, C], got {base.shape}")
    n, c_total = base.shape
    if mask.shape != (frames.size, c_total) or locked.shape != mask.shape:
        raise ValueError(f"locks need mask/values shaped [{frames.size}, {c_total}], "
                         f"got {mask.shape} and {locked.shape}")
    if frames.size and (frames.min() < 0 or frames.max() >= n or np.any(np.diff(frames) <= 0)):
        raise ValueError(f"lock frames must be sorted, unique and in 0..{n - 1}")
    out = base.copy()
    if frames.size == 0:
        if bounds is not None:
            np.clip(out, bounds[0], bounds[1], out=out)
        return out.astype(np.float32)
    ref = base if reference is None else np.asarray(reference, dtype=np.float64)
    if ref.shape != base.shape:
        raise ValueError(f"reference must be shaped like values {base.shape}, got {ref.shape}")
    steps = np.abs(np.diff(ref, axis=0)).max(axis=1) if n > 1 else np.zeros(1)
    reach = int(round(MAX_WINDOW_S * fps))
    for c in np.flatnonzero(mask.any(axis=0)):
        sel = mask[:, c]
        fr = frames[sel]
        vals = locked[sel, c].astype(np.float64)
        pull = np.zeros(n)
        target = np.zeros(n)
        for k, (f, v) in enumerate(zip(fr, vals)):
            f = int(f)
            natural = float(steps[max(f - reach, 0):f + reach].max(initial=0.0))
            width = _window(v - ref[f, c], natural, fps)
            left = min(width, f - int(fr[k - 1])) if k > 0 else width
            right = min(width, int(fr[k + 1]) - f) if k + 1 < len(fr) else width
            lo, hi = max(f - left, 0), min(f + right, n - 1)
            t = np.arange(lo, hi + 1)
            dist = np.where(t <= f, (f - t) / left, (t - f) / right)
            w = 1.0 - _smoothstep(dist)
            pull[lo:hi + 1] += w
            target[lo:hi + 1] += w * v
        out[:, c] = (1.0 - pull) * base[:, c] + target
    if bounds is not None:
        np.clip(out, bounds[0], bounds[1], out=out)
    result = out.astype(np.float32)
    for k, f in enumerate(frames):
        cols = np.flatnonzero(mask[k])
        result[f, cols] = locked[k, cols]
    return result


def lock_arrays(locks: Any, n_frames: int, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check locks given to a model and return them as sorted arrays.

    Parameters
    ----------
    locks : Locks-like, (frames, mask, values) or None
        Anything with ``frames``, ``mask`` and ``values`` (e.g. :class:`kmtalk.face.locks.Locks`),
        or the three arrays: frames ``[K]``, mask ``[K, dim]``, values ``[K, dim]``.
    n_frames : int
        Frames of the curves the locks apply to.
    dim : int
        Channels of the curves.

    Returns
    -------
    frames : ndarray[int64] [K], sorted and unique
    mask : ndarray[bool] [K, dim]
    values : ndarray[float32] [K, dim]

    Raises
    ------
    LockError
        Not a Locks object or tuple, shapes that disagree, a frame outside
        ``0..n_frames - 1``, two locks on one frame, a NaN or infinite value.

    Examples
    --------
    >>> f, m, v = lock_arrays(([5, 2], np.ones((2, 3), bool), np.zeros((2, 3))), n_frames=10, dim=3)
    >>> f.tolist(), v.dtype.name
    ([2, 5], 'float32')
    """
    d = int(dim)
    if locks is None:
        return np.zeros(0, np.int64), np.zeros((0, d), bool), np.zeros((0, d), np.float32)
    if hasattr(locks, "frames") and hasattr(locks, "mask") and hasattr(locks, "values"):
        frames, mask, values = locks.frames, locks.mask, locks.values
    else:
        try:
            frames, mask, values = locks
        except (TypeError, ValueError):
            raise LockError("locks must be a Locks object or a (frames, mask, values) tuple") from None
    frames = np.asarray(frames, dtype=np.int64).reshape(-1)
    mask = np.asarray(mask, dtype=bool)
    values = np.asarray(values, dtype=np.float32)
    if mask.shape != (frames.size, d) or values.shape != (frames.size, d):
        raise LockError(f"locks need mask and values shaped [{frames.size}, {d}], got "
                        f"{mask.shape} and {values.shape}")
    if frames.size and (frames.min() < 0 or frames.max() >= n_frames):
        raise LockError(f"a lock lies outside the animation (frames 0..{n_frames - 1}): "
                        f"{frames[(frames < 0) | (frames >= n_frames)].tolist()}")
    if frames.size and np.any(np.diff(frames) <= 0):
        order = np.argsort(frames, kind="stable")
        frames, mask, values = frames[order], mask[order], values[order]
        if np.any(np.diff(frames) == 0):
            raise LockError("two locks share a frame; merge them first")
    if not np.isfinite(values[mask]).all():
        raise LockError("a lock value is NaN or infinite")
    return frames, mask, values
