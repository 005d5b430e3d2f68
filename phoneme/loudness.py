"""How loud speech audio is, frame by frame: the one home of the level measures.

Three measures, each for its own job:

- :func:`frame_loudness` — RMS level (dBFS) of a 40 ms window centred on each
  *animation* frame ``f / fps``: vowel apexes and the jaw's loudness axis;
- :func:`block_energy_db` — mean power (dB) of consecutive, non-overlapping
  ``hop``-sample blocks, computed block-wise so hour-long input stays small:
  the pause test of the long-audio aligner (:mod:`phoneme.aligners.segmenting`);
- :func:`band_energy_db` — the *speech-band* (100–4000 Hz) level of 25 ms Hann
  windows every 10 ms (:func:`analysis_frames`, the framing of the DTW
  aligner's MFCCs), so rumble or a DC offset does not count as sound: the
  synthesis-DTW aligner's speech/silence test.

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
from .frames import n_frames_for

__all__ = ["ANALYSIS_HOP_S", "ANALYSIS_WIN_S", "analysis_frames", "band_energy_db", "block_energy_db",
           "frame_loudness"]

_FLOOR_DB = -120.0
#: Hop (s) of the 10 ms analysis frames: frame ``j`` is centred at ``j * ANALYSIS_HOP_S``.
ANALYSIS_HOP_S = 0.01
#: Window (s) of an analysis frame.
ANALYSIS_WIN_S = 0.025


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
        Number of frames (default ``n_frames_for(duration, fps)``).
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
        n_frames = n_frames_for(x.size / sample_rate, fps)
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


def analysis_frames(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The signal cut into 25 ms windows centred every 10 ms: ``[N // hop + 1, win]`` (zero-padded ends).

    Examples
    --------
    >>> analysis_frames(np.zeros(1600), 16000).shape
    (11, 400)
    """
    hop = round(ANALYSIS_HOP_S * sample_rate)
    win = round(ANALYSIS_WIN_S * sample_rate)
    x = np.asarray(samples, np.float64)
    n = x.size // hop + 1
    padded = np.pad(x, (win // 2, win // 2 + hop))
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return padded[idx]


def band_energy_db(samples: np.ndarray, sample_rate: int, *, band: tuple[float, float] = (100.0, 4000.0)) -> np.ndarray:
    """Level in dB of the speech band (default 100–4000 Hz) in the 25 ms window centred on each 10 ms frame.

    Band-limited so that a DC offset, rumble or a microphone thump does not
    count as sound. Floored at -120 dB. One value per :func:`analysis_frames` row.

    Examples
    --------
    >>> band_energy_db(np.zeros(1600, np.float32), 16000).max()
    -120.0
    """
    win = round(ANALYSIS_WIN_S * sample_rate)
    fr = analysis_frames(np.asarray(samples, np.float64), sample_rate) * np.hanning(win)[None, :]
    n_fft = 1 << math.ceil(math.log2(win))
    power = np.abs(np.fft.rfft(fr, n_fft, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    sel = (freqs >= band[0]) & (freqs <= band[1])
    level = power[:, sel].sum(axis=1) * 2.0 / (n_fft * (np.hanning(win) ** 2).sum())
    return np.maximum(10.0 * np.log10(np.maximum(level, 1e-12)), _FLOOR_DB)


def block_energy_db(samples: np.ndarray, *, hop: int = 160) -> np.ndarray:
    """Log energy (dB re full scale) of each consecutive ``hop``-sample block (10 ms at 16 kHz).

    No window and no overlap: the mean square of each block. Computed block by
    block, so memory stays small for hour-long inputs.

    Parameters
    ----------
    samples : np.ndarray
        Mono float samples in [-1, 1].
    hop : int
        Block length in samples.

    Returns
    -------
    np.ndarray
        float64, one value per block (``ceil(len / hop)`` blocks).

    Examples
    --------
    >>> e = block_energy_db(np.r_[np.zeros(1600), 0.5 * np.ones(1600)])
    >>> bool(e[2] < -100 and abs(e[-5] + 6.02) < 0.1)
    True
    """
    x = np.asarray(samples)
    n = max(1, int(np.ceil(len(x) / hop)))
    out = np.empty(n, dtype=np.float64)
    block = 4096  # frames per block
    for b in range(0, n, block):
        seg = np.zeros(min(block, n - b) * hop, dtype=np.float32)
        part = x[b * hop:(b + block) * hop]
        seg[: len(part)] = part
        power = np.mean(np.square(seg.reshape(-1, hop), dtype=np.float64), axis=1)
        out[b:b + len(power)] = 10.0 * np.log10(power + 1e-12)
    return out
