"""Time operations behind :meth:`Animation.resample <kmtalk.face.animation.Animation.resample>`
and :meth:`~kmtalk.face.animation.Animation.slice`, on the animation's parts (curves, keys, locks, tiers).

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.timeline import interp_columns
>>> interp_columns(np.array([0.0, 0.25, 0.5]), np.array([0.0, 0.5]), np.array([[0.0], [1.0]])).ravel().tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from phoneme.frames import frame_at
from phoneme.keys import KeyMotion
from phoneme.types import Interval

from .arkit import ARKIT_NAMES

__all__ = ["clip_tier", "interp_columns", "pin_locks", "resample_keys", "resample_locks", "slice_keys",
           "slice_locks"]


def interp_columns(t_new: np.ndarray, t_old: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of each column of [T, C] values onto new times (held at the ends)."""
    if len(t_old) == 1:
        return np.repeat(values[:1], len(t_new), axis=0).astype(values.dtype)
    pos = np.clip(t_new * (1.0 / (t_old[1] - t_old[0])), 0, len(t_old) - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, len(t_old) - 1)
    a = (pos - i0)[:, None]
    v = values.astype(np.float64)
    out = v[i0] * (1.0 - a) + v[i1] * a
    return out.astype(values.dtype)


def resample_keys(keys: Sequence[KeyMotion], n_new: int, new_fps: float) -> list[KeyMotion]:
    """Keys moved to their nearest frame ``frame_at(time, new_fps)`` (clamped to the frames), their ``time`` updated to match."""
    out = []
    for k in keys:
        frame = min(n_new - 1, max(0, frame_at(k.time, new_fps)))
        out.append(replace(k, frame=frame, time=frame / new_fps))
    return out


def resample_locks(locks: dict[int, dict[str, float]], fps: float, new_fps: float,
                   n_new: int) -> dict[int, dict[str, float]]:
    """Locks moved to their nearest frame at the new rate, ``frame_at(frame / fps, new_fps)``; two landing on one frame merge (the later wins)."""
    out: dict[int, dict[str, float]] = {}
    for f, ch in locks.items():
        nf = min(n_new - 1, max(0, frame_at(f / fps, new_fps)))
        out.setdefault(nf, {}).update(ch)
    return out


def pin_locks(weights: np.ndarray, locks: dict[int, dict[str, float]]) -> np.ndarray:
    """Write the locked values into ``weights`` (in place) and return it."""
    for nf, ch in locks.items():
        for name, v in ch.items():
            weights[nf, ARKIT_NAMES.index(name)] = v
    return weights


def clip_tier(items: Iterable[Interval], t0: float, t1: float) -> list[Interval]:
    """Intervals clipped to ``[t0, t1]`` and shifted to start at 0 (those outside dropped)."""
    out = []
    for iv in items:
        s, e = max(iv.start, t0), min(iv.end, t1)
        if e > s:
            out.append(replace(iv, start=s - t0, end=e - t0))
    return out


def slice_keys(keys: Sequence[KeyMotion], f0: int, f1: int, fps: float) -> list[KeyMotion]:
    """Keys on frames ``f0 .. f1 - 1``, shifted to start at frame 0."""
    return [replace(k, frame=k.frame - f0, time=(k.frame - f0) / fps) for k in keys if f0 <= k.frame < f1]


def slice_locks(locks: dict[int, dict[str, float]], f0: int, f1: int) -> dict[int, dict[str, float]]:
    """Locks on frames ``f0 .. f1 - 1``, shifted to start at frame 0."""
    return {f - f0: dict(ch) for f, ch in locks.items() if f0 <= f < f1}
