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
>>> from kmtalk.train.metrics import pearson
>>> round(pearson(np.array([0., 1, 2, 3]), np.array([0., 2, 4, 7])), 3)
0.994
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import AnimationError, RigError

if TYPE_CHECKING:  # pragma: no cover
    from ..face.animation import Animation
    from ..face.rig import Rig

__all__ = ["APERTURE_LANDMARKS", "pearson", "lip_aperture", "lip_gap_mm", "resample_to", "lipsync_score",
           "weights_lipsync_score", "closure_rate", "lip_contour_gaps_mm", "loudness_lipsync_score", "best_lag"]

#: The rig landmarks of the aperture, in order: upper and lower inner lip, left and right outer eye corner.
APERTURE_LANDMARKS = ("upper_lip_inner", "lower_lip_inner", "eye_outer_left", "eye_outer_right")


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
    up, lo, el, er = (_landmark_points(rig, v, name)[:, :2] for name in APERTURE_LANDMARKS)
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
    return weights_lipsync_score(anim.weights, anim.fps, aperture, video_fps, rig=rig or anim.get_rig())


def weights_lipsync_score(weights: np.ndarray, fps: float, aperture: np.ndarray, video_fps: float, *,
                          rig: "Rig", offset: float = 0.0) -> float:
    """:func:`lipsync_score` of bare ARKit weights ``[T, 52]`` at ``fps`` on ``rig``.

    ``offset`` (seconds, positive when the video's audio lags its picture, as in
    :mod:`kmtalk.capture.offsets`) reads the animation at video time + offset:
    the score with the clip's A/V offset corrected. 0 is the README's score.

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.rig import default_rig
    >>> w = np.zeros((30, 52), np.float32); w[:, 25] = np.linspace(0, 1, 30)  # jawOpen rises
    >>> weights_lipsync_score(w, 30.0, np.linspace(0, 1, 25), 25.0, rig=default_rig()) > 0.95
    True
    """
    if video_fps <= 0:
        raise AnimationError(f"video fps must be positive, got {video_fps}")
    times = np.arange(len(aperture)) / video_fps + offset
    return pearson(resample_to(lip_aperture(weights, rig), fps, times), aperture)


def closure_rate(weights: np.ndarray, frames: Sequence[int], rig: "Rig", *, threshold_mm: float = 1.0) -> float:
    """Share of ``frames`` (e.g. bilabial key frames) where the inner lips meet (gap < ``threshold_mm``)."""
    frames = list(frames)
    if not frames:
        return float("nan")
    gap = lip_gap_mm(np.asarray(weights)[frames], rig)
    return float(np.mean(gap < threshold_mm))


def _edge_columns(x: np.ndarray, *, split_mm: float = 1.0) -> list[np.ndarray]:
    """Group vertices into columns by their rest x (mm): a new column where sorted x jumps by > ``split_mm``."""
    order = np.argsort(x)
    cuts = np.flatnonzero(np.diff(x[order]) > split_mm) + 1
    return np.split(order, cuts)


def lip_contour_gaps_mm(weights: np.ndarray, rig: "Rig", *, half_width_mm: float = 10.0) -> np.ndarray:
    """Vertical gap between the lips along the central stretch of the mouth, in millimetres.

    A stricter closure measure than :func:`lip_gap_mm` (one vertex pair on the
    midline): the skin vertices of the rig's ``lips`` region are split into the
    upper lip (moved less than 40 % of the region's largest ``jawOpen``
    displacement) and the lower lip (the rest), and grouped into columns by
    their rest x (a new column wherever sorted x jumps by more than 1 mm). Per
    frame, each upper column's lowest point is compared with the lower lip's
    upper edge (each lower column's highest point, linearly interpolated in x)
    below it. Columns whose rest x lies within ``half_width_mm`` of the
    midline are reported. A gap ≤ 0 means the lips touch or overlap there.

    Parameters
    ----------
    weights : ndarray [T, 52] or [52]
    rig : Rig
        Needs a ``lips`` region and a ``jawOpen`` target (the default head has both).
    half_width_mm : float, default 10
        Half-width of the central stretch (the default head's mouth corners are at ±25 mm).

    Returns
    -------
    ndarray, float64 [T, K]
        Gap at each of the K upper-lip columns, ordered by x.

    Raises
    ------
    RigError
        The rig has no ``lips`` region or no upper/lower lip vertices near the midline.

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.rig import default_rig
    >>> rig = default_rig()
    >>> w = np.zeros((2, 52), np.float32); w[1, rig.index("jawOpen")] = 0.3
    >>> g = lip_contour_gaps_mm(w, rig)
    >>> bool(g[0].max() < 1.0), bool(g[1].min() > 5.0)
    (True, True)
    """
    if "lips" not in rig.regions:
        raise RigError("the rig has no 'lips' region; lip contour gaps need one (see docs/rig.md)")
    lips = np.asarray(rig.regions["lips"])
    lips = lips[rig.part[lips] == "skin"]
    rest = np.asarray(rig.neutral, np.float64)[lips] * 1000.0
    moved = np.linalg.norm(np.asarray(rig.targets[rig.index("jawOpen")], np.float64)[lips], axis=1)
    lower = moved >= 0.4 * moved.max() if moved.size else moved.astype(bool)
    near = np.abs(rest[:, 0]) <= half_width_mm + 3.0  # lower-lip support a little beyond the stretch
    up_idx, lo_idx = lips[near & ~lower], lips[near & lower]
    up_cols = [c for c in _edge_columns(rest[near & ~lower, 0]) if abs(rest[near & ~lower][c, 0].mean()) <= half_width_mm]
    lo_cols = _edge_columns(rest[near & lower, 0])
    if not up_cols or len(lo_cols) < 1:
        raise RigError("no upper/lower lip vertices near the midline of the rig's 'lips' region")
    w = np.asarray(weights, np.float32)
    v = rig.evaluate(w if w.ndim == 2 else w[None]).astype(np.float64) * 1000.0
    vu, vl = v[:, up_idx], v[:, lo_idx]
    # Each column's extreme vertex per frame: lowest of the upper lip, highest of the lower lip.
    uy = np.stack([vu[:, c, 1].min(axis=1) for c in up_cols], axis=1)
    ux = np.stack([vu[np.arange(len(v)), c[np.argmin(vu[:, c, 1], axis=1)], 0] for c in up_cols], axis=1)
    ly = np.stack([vl[:, c, 1].max(axis=1) for c in lo_cols], axis=1)
    lx = np.stack([vl[np.arange(len(v)), c[np.argmax(vl[:, c, 1], axis=1)], 0] for c in lo_cols], axis=1)
    gaps = np.empty_like(uy)
    for t in range(len(v)):
        order = np.argsort(lx[t])
        gaps[t] = uy[t] - np.interp(ux[t], lx[t][order], ly[t][order])
    return gaps


def loudness_lipsync_score(samples: np.ndarray, sample_rate: int, aperture: np.ndarray, video_fps: float, *,
                           window: float = 0.04) -> float:
    """The loudness-only baseline of the lip-sync score: Pearson r of log-RMS loudness against ``aperture``.

    The loudness is :func:`phoneme.loudness.frame_loudness`: the RMS of the
    samples in a ``window``-second rectangular window centred on each video
    frame time ``i / video_fps``, in dBFS, floored at −120 dB. No lag, no
    smoothing beyond the window; frames where ``aperture`` is NaN are skipped.

    Parameters
    ----------
    samples : ndarray [N]
        Mono audio in [-1, 1].
    sample_rate : int
    aperture : ndarray [F]
        The video's tracked aperture.
    video_fps : float
    window : float, default 0.04
        RMS window in seconds.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> sr, fps = 16000, 25.0
    >>> env = (np.arange(100) // 10) % 2                      # mouth open every other 0.4 s
    >>> x = np.repeat(0.01 + 0.3 * env, sr // 25) * np.sin(np.arange(4 * sr) * 0.2)
    >>> round(loudness_lipsync_score(x, sr, env.astype(float), fps), 2)
    0.94
    """
    from phoneme.loudness import frame_loudness

    if video_fps <= 0:
        raise AnimationError(f"video fps must be positive, got {video_fps}")
    ap = np.asarray(aperture, np.float64)
    loud = frame_loudness(np.asarray(samples), int(sample_rate), float(video_fps), n_frames=len(ap), window=window)
    return pearson(loud, ap)


def best_lag(values: np.ndarray, fps: float, aperture: np.ndarray, video_fps: float, *,
             max_lag: float = 0.4, step: float = 0.01) -> tuple[float, float]:
    """Highest Pearson r of a per-frame signal against ``aperture`` over time shifts (a diagnostic, not a score).

    The signal (frame i at ``i / fps``) is read at ``i / video_fps + lag`` for
    every lag in ``[-max_lag, max_lag]`` by ``step``. A positive lag means the
    signal's events come *after* the video's (e.g. the video leads the audio).

    Returns
    -------
    (r, lag) : tuple of float
        The best r and its lag in seconds (nan, nan when r is undefined at every lag).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(200) / 25.0
    >>> video = np.sin(2 * np.pi * 1.3 * t) + np.sin(2 * np.pi * 0.45 * t)
    >>> ours = np.sin(2 * np.pi * 1.3 * (t - 0.12)) + np.sin(2 * np.pi * 0.45 * (t - 0.12))
    >>> r, lag = best_lag(ours, 25.0, video, 25.0)
    >>> round(r, 3), round(lag, 2)
    (1.0, 0.12)
    """
    if video_fps <= 0 or fps <= 0:
        raise AnimationError(f"frame rates must be positive, got {fps} and {video_fps}")
    ap = np.asarray(aperture, np.float64)
    times = np.arange(len(ap)) / video_fps
    n = round(max_lag / step)
    best = (float("nan"), float("nan"))
    for k in range(-n, n + 1):
        lag = k * step
        r = pearson(resample_to(np.asarray(values, np.float64), fps, times + lag), ap)
        if np.isfinite(r) and not (r <= best[0]):
            best = (r, lag)
    return best
