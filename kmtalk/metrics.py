"""Evaluation metrics on animations: lip aperture, the lip-sync score against tracked video, closure rate.

The **lip-sync score** (defined in the project's shared data README): the
animation's inner-lip gap (distance between the rig's ``upper_lip_inner`` and
``lower_lip_inner`` landmarks, divided by the distance between its outer eye
corners, x and y only — as for the video) is resampled to the video's frame
times and correlated (Pearson r) with the tracked ``aperture`` over the frames
where both exist.

Examples
--------
>>> import numpy as np
>>> from kmtalk.metrics import pearson
>>> round(pearson(np.array([0., 1, 2, 3]), np.array([0., 2, 4, 7])), 3)
0.994
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .errors import AnimationError

if TYPE_CHECKING:  # pragma: no cover
    from .animation import Animation
    from .rig import Rig

__all__ = ["pearson", "lip_aperture", "lip_gap_mm", "resample_to", "lipsync_score", "closure_rate"]


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation over the entries where both are finite (nan when undefined)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom > 0 else float("nan")


def _landmark_points(rig: "Rig", vertices: np.ndarray, name: str) -> np.ndarray:
    return vertices[:, rig.landmarks[name]]


def lip_aperture(weights: np.ndarray, rig: "Rig") -> np.ndarray:
    """Inner-lip gap over outer-eye-corner distance (x, y only) per frame, like the video's ``aperture``."""
    v = rig.evaluate(np.asarray(weights, np.float32))
    up = _landmark_points(rig, v, "upper_lip_inner")[:, :2]
    lo = _landmark_points(rig, v, "lower_lip_inner")[:, :2]
    el = _landmark_points(rig, v, "eye_outer_left")[:, :2]
    er = _landmark_points(rig, v, "eye_outer_right")[:, :2]
    return np.linalg.norm(up - lo, axis=1) / np.linalg.norm(el - er, axis=1)


def lip_gap_mm(weights: np.ndarray, rig: "Rig") -> np.ndarray:
    """Vertical inner-lip gap in millimetres (upper minus lower inner-lip landmark height; <= 0 means touching)."""
    v = rig.evaluate(np.asarray(weights, np.float32))
    return (_landmark_points(rig, v, "upper_lip_inner")[:, 1]
            - _landmark_points(rig, v, "lower_lip_inner")[:, 1]) * 1000.0


def resample_to(values: np.ndarray, fps: float, times: np.ndarray) -> np.ndarray:
    """Linear interpolation of a per-frame signal (frame i at i / fps) at ``times``; nan outside."""
    src = np.arange(len(values)) / fps
    out = np.interp(times, src, values)
    out[(times < src[0] - 1e-9) | (times > src[-1] + 1e-9)] = np.nan
    return out


def lipsync_score(anim: "Animation", aperture: np.ndarray, video_fps: float, *, rig: "Rig | None" = None) -> float:
    """Pearson r between an animation's lip aperture and a video's tracked ``aperture``.

    Parameters
    ----------
    anim : Animation
    aperture : ndarray [F]
        The video's per-frame aperture (NaN where no face was tracked).
    video_fps : float
    rig : Rig, optional
        Default: the animation's rig.
    """
    if video_fps <= 0:
        raise AnimationError(f"video fps must be positive, got {video_fps}")
    rig = rig or anim.get_rig()
    ours = lip_aperture(anim.weights, rig)
    times = np.arange(len(aperture)) / video_fps
    return pearson(resample_to(ours, anim.fps, times), aperture)


def closure_rate(weights: np.ndarray, frames: Sequence[int], rig: "Rig", *, threshold_mm: float = 1.0) -> float:
    """Share of ``frames`` (e.g. bilabial key frames) where the inner lips meet (gap < ``threshold_mm``)."""
    frames = list(frames)
    if not frames:
        return float("nan")
    gap = lip_gap_mm(np.asarray(weights)[frames], rig)
    return float(np.mean(gap < threshold_mm))
