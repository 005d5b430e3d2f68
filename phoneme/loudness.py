"""Per-frame loudness of speech audio (log RMS), for vowel apexes and the jaw's loudness axis.

Examples
--------
>>> import numpy as np
>>> from phoneme.loudness import frame_loudness
>>> sr = 16000
>>> x = np.concatenate([np.zeros(sr // 2), 0.5 * np.sin(np.arange(sr // 2) * 0.3)]).astype(np.float32)
>>> db = frame_loudness(x, sr, fps=10)
>>> db.shape, bool(db[2] < -100), bool(-12 < db[8] < -8)
((10,), True, True)
"""

from __future__ import annotations

import math

import numpy as np

from .errors import AudioError

__all__ = ["frame_loudness"]

_FLOOR_DB = -120.0


def frame_loudness(
    samples: np.ndarray,
    sample_rate: int,
    fps: float,
    *,
    n_frames: int | None = None,
    window: float = 0.04,
) -> np.ndarray:
    """RMS level in dBFS of a window centred on each frame time ``f / fps``.

    Parameters
    ----------
    samples : ndarray, float [N]
        Mono audio in [-1, 1].
    sample_rate : int
    fps : float
        Frame rate of the output.
    n_frames : int, optional
        Number of frames (default ``round(duration * fps)``).
    window : float, default 0.04
        Window length in seconds.

    Returns
    -------
    ndarray, float64 [n_frames]
        dBFS, floored at -120.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise AudioError("loudness needs non-empty mono samples")
    if not (fps > 0 and sample_rate > 0):
        raise AudioError(f"fps and sample_rate must be positive (got {fps}, {sample_rate})")
    if n_frames is None:
        n_frames = max(int(math.floor(x.size / sample_rate * fps + 0.5)), 1)
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    half = max(int(window * sample_rate / 2), 1)
    centres = np.round(np.arange(n_frames) / fps * sample_rate).astype(np.int64)
    lo = np.clip(centres - half, 0, x.size)
    hi = np.clip(centres + half, 0, x.size)
    count = np.maximum(hi - lo, 1)
    rms = np.sqrt(np.maximum(csum[hi] - csum[lo], 0.0) / count)
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(rms)
    return np.maximum(db, _FLOOR_DB)
