"""The mel scale and triangular mel filterbanks, in numpy (one home for both scales).

Two users, two scales, one function:

- the DTW aligner's MFCCs (:func:`phoneme.aligners.dtw.mfcc`): HTK mel scale
  (``2595 log10(1 + f / 700)``), unnormalised triangles;
- the learned models' log-mel features (:func:`completion.features.log_mel`):
  Slaney's mel scale (linear below 1 kHz, logarithmic above) with Slaney's
  area normalisation, librosa's default.

The arguments follow ``librosa.filters.mel`` (``htk``, ``norm``), and the
result equals it for these settings; librosa itself is not a dependency.

Examples
--------
>>> from phoneme.mel import mel_filterbank
>>> fb = mel_filterbank(16000, 400, 80, fmin=0.0, fmax=8000.0)
>>> fb.shape, bool((fb >= 0).all())
((80, 201), True)
>>> mel_filterbank(16000, 512, 40, fmin=60.0, fmax=7600.0, htk=True, norm=None).shape
(40, 257)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["hz_to_mel", "mel_filterbank", "mel_to_hz"]

_F_SP = 200.0 / 3  # Slaney: Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(f: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Frequencies in Hz to mels (Slaney's scale, or HTK's with ``htk=True``).

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 6), round(float(hz_to_mel(1000.0, htk=True)), 1)
    (15.0, 1000.0)
    """
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    return np.where(f >= _MIN_LOG_HZ, _MIN_LOG_MEL + np.log(np.maximum(f, 1e-10) / _MIN_LOG_HZ) / _LOGSTEP,
                    f / _F_SP)


def mel_to_hz(m: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Mels to Hz, the inverse of :func:`hz_to_mel`.

    Examples
    --------
    >>> round(float(mel_to_hz(hz_to_mel(3000.0))), 6), round(float(mel_to_hz(hz_to_mel(3000.0, htk=True), htk=True)), 6)
    (3000.0, 3000.0)
    """
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)


@lru_cache(maxsize=16)
def _filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool,
                norm: str | None) -> np.ndarray:
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels + 2), htk=htk)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins[None, :] - lo) / (mid - lo)
    down = (hi - bins[None, :]) / (hi - mid)
    weights = np.maximum(0.0, np.minimum(up, down))
    if norm == "slaney":  # equal area: each triangle integrates to the same total
        weights *= (2.0 / (edges[2:n_mels + 2] - edges[:n_mels]))[:, None]
    weights.flags.writeable = False
    return weights


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    *,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | None = "slaney",
) -> np.ndarray:
    """Triangular mel filters ``[n_mels, n_fft // 2 + 1]`` over the bins of an ``n_fft``-point rfft.

    Parameters
    ----------
    sample_rate : int
    n_fft : int
    n_mels : int
    fmin, fmax : float
        Range in Hz (``fmax`` default: the Nyquist frequency).
    htk : bool, default False
        HTK's mel scale instead of Slaney's.
    norm : {"slaney", None}, default "slaney"
        Slaney's area normalisation, or plain triangles peaking at 1.

    Returns
    -------
    ndarray, float64, read-only (cached)

    Examples
    --------
    >>> fb = mel_filterbank(16000, 512, 40, fmin=60.0, fmax=7600.0, htk=True, norm=None)
    >>> float(fb.max()) <= 1.0, int(fb[0].argmax()) < int(fb[-1].argmax())
    (True, True)
    """
    if norm not in ("slaney", None):
        raise ValueError(f"norm must be 'slaney' or None, got {norm!r}")
    top = sample_rate / 2.0 if fmax is None else float(fmax)
    return _filterbank(int(sample_rate), int(n_fft), int(n_mels), float(fmin), top, bool(htk), norm)
