"""Neutral calibration of captured curves, as Live Link Face's "calibrate" does.

A tracker rarely reads exactly 0 on a relaxed face: a resting face may score
``mouthClose`` 0.1 or ``browDownLeft`` 0.2. Calibration takes a *neutral*
value per channel and maps it to 0, keeping 1 at 1:
``w' = clip((w - n) / (1 - n), 0, 1)``.

The neutral is either one chosen frame (the actor's neutral face, as the app
records it) or the take's *rest pose*: a low percentile of each channel over
the take (default the 5th), which needs no neutral frame and suits speech,
where the face returns to rest between words.

Examples
--------
>>> import numpy as np
>>> from kmtalk.capture.calibrate import neutral_pose, apply_neutral
>>> w = np.array([[0.2, 0.0], [0.6, 0.5], [1.0, 1.0]], np.float32)
>>> n = neutral_pose(w, 0)
>>> n.tolist(), apply_neutral(w, n)[:, 0].round(3).tolist()
([0.20000000298023224, 0.0], [0.0, 0.5, 1.0])
"""

from __future__ import annotations

import numpy as np

from ..errors import AnimationError

__all__ = ["REST_PERCENTILE", "apply_neutral", "neutral_pose"]

#: Percentile of each channel taken as the take's rest pose.
REST_PERCENTILE = 5.0


def neutral_pose(weights: np.ndarray, calibrate: str | int, *, percentile: float = REST_PERCENTILE) -> np.ndarray:
    """The neutral value of each channel: frame ``calibrate`` (an int) or the take's ``"rest"`` pose.

    Parameters
    ----------
    weights : ndarray [T, 52]
        Captured curves (NaN ignored).
    calibrate : "rest" or int
        ``"rest"``: per-channel ``percentile``; an int: that frame (negative counts from the end).
    percentile : float, default 5

    Returns
    -------
    ndarray float32 [52]

    Raises
    ------
    AnimationError
        An unknown mode, or a frame index outside the take.
    """
    w = np.asarray(weights, np.float64)
    if isinstance(calibrate, str):
        if calibrate != "rest":
            raise AnimationError(f"calibrate must be 'rest' or a frame index, got {calibrate!r}")
        with np.errstate(all="ignore"):
            n = np.nanpercentile(w, percentile, axis=0) if np.isfinite(w).any() else np.zeros(w.shape[1])
        return np.nan_to_num(n).astype(np.float32)
    if isinstance(calibrate, (bool, np.bool_)) or not isinstance(calibrate, (int, np.integer)):
        raise AnimationError(f"calibrate must be 'rest' or a frame index, got {calibrate!r}")
    if not -len(w) <= int(calibrate) < len(w):
        raise AnimationError(f"calibration frame {calibrate} is outside the take's {len(w)} frames")
    return np.nan_to_num(w[int(calibrate)]).astype(np.float32)


def apply_neutral(weights: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """``clip((w - n) / (1 - n), 0, 1)`` per channel (a channel whose neutral is ~1 becomes 0)."""
    w = np.asarray(weights, np.float64)
    n = np.clip(np.asarray(neutral, np.float64), 0.0, 1.0)
    span = np.where(1.0 - n > 1e-6, 1.0 - n, np.inf)
    return np.clip((w - n) / span, 0.0, 1.0).astype(np.float32)
