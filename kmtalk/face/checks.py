"""Checks of an :class:`~kmtalk.face.animation.Animation`'s fields: each takes the raw value and returns it normalised.

The stored form of locks is checked by :func:`kmtalk.face.locks.check_lock_dict`.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.checks import check_weights
>>> check_weights(np.full((2, 52), 1.5), clip=True).max()
1.0
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.types import Interval

from ..errors import AnimationError
from .arkit import ARKIT_NAMES

__all__ = ["as_interval", "as_key", "check_audio", "check_head_pose", "check_weights"]

log = logging.getLogger("kmtalk.face.animation")


def as_interval(item: Any, what: str) -> Interval:
    """An :class:`~phoneme.types.Interval` from itself or a dict; ``what`` names the tier in errors."""
    if isinstance(item, Interval):
        return item
    if isinstance(item, Mapping):
        try:
            return Interval(**item)
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"malformed {what} interval {dict(item)!r}: {exc}") from exc
    raise AnimationError(f"{what} must be Interval objects or dicts, got {type(item).__name__}")


def as_key(item: Any) -> KeyMotion:
    """A :class:`~phoneme.keys.KeyMotion` from itself or a dict."""
    if isinstance(item, KeyMotion):
        return item
    if isinstance(item, Mapping):
        try:
            return KeyMotion.from_dict(dict(item))
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"malformed key motion {dict(item)!r}: {exc}") from exc
    raise AnimationError(f"keys must be KeyMotion objects or dicts, got {type(item).__name__}")


def check_weights(weights: Any, clip: bool) -> np.ndarray:
    """``[T, 52]`` finite numbers in [0, 1] (clipped when ``clip``) → a float32 C-contiguous copy."""
    try:
        w = np.asarray(weights)
    except Exception as exc:  # ragged lists and the like
        raise AnimationError(f"weights cannot be read as an array: {exc}") from exc
    if w.ndim != 2 or w.shape[1] != len(ARKIT_NAMES) or w.shape[0] < 1:
        raise AnimationError(
            f"weights must have shape [T, {len(ARKIT_NAMES)}] with T >= 1 "
            f"(one column per ARKit blendshape), got {list(w.shape)}"
        )
    if not (
        np.issubdtype(w.dtype, np.floating)
        or np.issubdtype(w.dtype, np.integer)
        or w.dtype == np.bool_
    ):
        raise AnimationError(f"weights must be numeric, got dtype {w.dtype}")
    w = np.array(w, dtype=np.float32, order="C", copy=True)
    bad = ~np.isfinite(w)
    if bad.any():
        t, c = np.argwhere(bad)[0]
        raise AnimationError(
            f"weights contain {int(bad.sum())} non-finite values (first at frame {t}, "
            f"channel {ARKIT_NAMES[c]}); fix the source curves"
        )
    lo, hi = float(w.min()), float(w.max())
    if lo < 0.0 or hi > 1.0:
        if not clip:
            raise AnimationError(
                f"weights outside [0, 1] (min {lo:.4g}, max {hi:.4g}); "
                "pass clip=True to clip them"
            )
        log.info("clipping weights from [%.4g, %.4g] to [0, 1]", lo, hi)
        np.clip(w, 0.0, 1.0, out=w)
    return w


def check_head_pose(head_pose: Any, n_frames: int) -> np.ndarray:
    """``[T, 6]`` finite numbers → float32 C-contiguous."""
    hp = np.asarray(head_pose)
    if hp.shape != (n_frames, 6):
        raise AnimationError(
            f"head_pose must have shape [T, 6] = [{n_frames}, 6] "
            f"(pitch, yaw, roll in radians; tx, ty, tz in metres), got {list(hp.shape)}"
        )
    if not np.issubdtype(hp.dtype, np.number) or not np.isfinite(hp).all():
        raise AnimationError("head_pose has non-finite or non-numeric values")
    return np.ascontiguousarray(hp, dtype=np.float32)


def check_audio(audio: Any) -> tuple[np.ndarray, int]:
    """``(samples [N] or [N, C] finite floats, positive integer rate)`` → ``(float32 samples, int rate)``."""
    try:
        samples, sr = audio
    except (TypeError, ValueError) as exc:
        raise AnimationError("audio must be a (samples, sample_rate) pair") from exc
    samples = np.asarray(samples)
    if samples.ndim not in (1, 2) or samples.shape[0] == 0:
        raise AnimationError(
            f"audio samples must be [N] or [N, channels], got {list(samples.shape)}"
        )
    if not np.issubdtype(samples.dtype, np.floating) or not np.isfinite(samples).all():
        raise AnimationError("audio samples must be finite floating-point values")
    if int(sr) != sr or int(sr) <= 0:
        raise AnimationError(f"audio sample rate must be a positive integer, got {sr!r}")
    return samples.astype(np.float32, copy=False), int(sr)
