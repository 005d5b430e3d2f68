"""Audio features in torch: log-mel spectrograms at a 10 ms hop (CPU and GPU, batched).

The filterbank is the Slaney-style mel scale of librosa (linear below
1 kHz, logarithmic above, each triangle normalised to unit area), built once
per setting in numpy (:func:`phoneme.mel.mel_filterbank`, shared with the DTW
aligner's MFCCs) and moved to the signal's device. Resampling is
:func:`phoneme.audio.resample` (soxr), re-exported here as :func:`resample`. Frames are centred:
frame ``j`` covers the window centred on sample ``j * hop_length``, so at
16 kHz with ``hop_length=160`` frame ``j`` is the audio at ``j / 100`` s and
there are :func:`frames_for` ``(N, 160) = N // 160 + 1`` of them.

Examples
--------
>>> import torch
>>> from completion.features import log_mel, frames_for
>>> x = torch.sin(torch.arange(16000) * 0.2).repeat(2, 1)   # two 1 s signals
>>> m = log_mel(x, 16000)
>>> tuple(m.shape), frames_for(16000, 160)
((2, 101, 80), 101)
"""

from __future__ import annotations

import numpy as np
import torch

from phoneme.audio import resample
from phoneme.errors import AudioError
from phoneme.mel import mel_filterbank as _mel_filterbank

__all__ = [
    "FEATURE_RATE",
    "LOG_FLOOR",
    "frames_for",
    "hop_for",
    "log_mel",
    "mel_filterbank",
    "resample",
]

#: Power floor before the log (-11.5 in natural-log units; digital silence maps there).
LOG_FLOOR = 1e-5
#: Frames per second of every feature this package computes (10 ms hop).
FEATURE_RATE = 100.0


def frames_for(n_samples: int, hop_length: int = 160) -> int:
    """Number of (centred) feature frames of a signal of ``n_samples``: ``n_samples // hop_length + 1``.

    Examples
    --------
    >>> frames_for(16000, 160), frames_for(0, 160)
    (101, 1)
    """
    return int(n_samples) // int(hop_length) + 1


def hop_for(sample_rate: int) -> int:
    """Samples in 10 ms at ``sample_rate`` (which must be a multiple of 100 Hz).

    Raises
    ------
    AudioError
        A rate that is not a multiple of 100 Hz (resample first, e.g. with :func:`resample`).

    Examples
    --------
    >>> hop_for(16000), hop_for(48000)
    (160, 480)
    """
    sr = int(sample_rate)
    if sr <= 0 or sr % 100:
        raise AudioError(f"sample rate {sample_rate} Hz is not a multiple of 100 Hz, so it has no "
                         "whole-sample 10 ms hop; resample the audio to 16000 Hz first "
                         "(completion.features.resample)")
    return sr // 100


def mel_filterbank(
    sample_rate: int = 16000,
    n_fft: int = 400,
    n_mels: int = 80,
    *,
    fmin: float = 0.0,
    fmax: float | None = 8000.0,
) -> torch.Tensor:
    """Slaney mel filterbank ``[n_mels, n_fft // 2 + 1]`` (float32, CPU).

    ``fmax`` defaults to 8 kHz (capped at Nyquist) so features at 16, 22.05
    or 48 kHz cover the same band.

    Examples
    --------
    >>> fb = mel_filterbank(16000, 400, 80)
    >>> tuple(fb.shape), bool((fb >= 0).all())
    ((80, 201), True)
    """
    top = sample_rate / 2.0 if fmax is None else min(float(fmax), sample_rate / 2.0)
    return torch.from_numpy(_mel_filterbank(sample_rate, n_fft, n_mels, fmin=fmin, fmax=top).astype(np.float32))


def log_mel(
    samples: torch.Tensor,
    sample_rate: int = 16000,
    *,
    n_mels: int = 80,
    hop_length: int = 160,
    n_fft: int = 400,
    fmax: float | None = 8000.0,
    floor: float = LOG_FLOOR,
) -> torch.Tensor:
    """Log-mel power spectrogram, batched, on the samples' device.

    Parameters
    ----------
    samples : Tensor [B, N] or [N]
        Mono audio in [-1, 1] (any float dtype; computed in float32).
    sample_rate : int, default 16000
    n_mels : int, default 80
    hop_length : int, default 160
        10 ms at 16 kHz.
    n_fft : int, default 400
        25 ms Hann window at 16 kHz.
    fmax : float, default 8000
        Top of the filterbank (capped at Nyquist).
    floor : float, default 1e-5
        Power floor before the natural log.

    Returns
    -------
    Tensor, float32 [B, T_audio, n_mels]
        ``T_audio = frames_for(N, hop_length)``; a 1-D input gives ``B = 1``.

    Raises
    ------
    AudioError
        Not 1-D/2-D, empty, or non-finite samples.

    Examples
    --------
    >>> import torch
    >>> m = log_mel(torch.zeros(8000))
    >>> tuple(m.shape), round(float(m.min()), 2)
    ((1, 51, 80), -11.51)
    """
    x = samples
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise AudioError(f"log_mel needs samples shaped [N] or [B, N], got {tuple(samples.shape)}")
    if x.shape[-1] == 0:
        raise AudioError("log_mel got an empty signal")
    x = x.to(torch.float32)
    if not bool(torch.isfinite(x).all()):
        raise AudioError("the audio holds NaN or infinite samples; clean it before computing features")
    window = torch.hann_window(n_fft, periodic=True, device=x.device, dtype=torch.float32)
    pad_mode = "reflect" if x.shape[-1] > n_fft // 2 else "constant"
    spec = torch.stft(x, n_fft=n_fft, hop_length=hop_length, win_length=n_fft, window=window,
                      center=True, pad_mode=pad_mode, return_complex=True)
    power = spec.real.square() + spec.imag.square()  # [B, F, T]
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmax=fmax).to(x.device)
    mel = torch.matmul(fb, power)  # [B, n_mels, T]
    return torch.log(torch.clamp(mel, min=floor)).transpose(1, 2).contiguous()
