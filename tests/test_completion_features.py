"""completion.features: log-mel in torch against an independent numpy computation, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from completion_helpers import LIBRIVOX

from completion.features import (
    FEATURE_RATE,
    LOG_FLOOR,
    frames_for,
    hop_for,
    log_mel,
    mel_filterbank,
    resample,
)
from phoneme.audio import load_audio
from phoneme.errors import AudioError


def _numpy_log_mel(x: np.ndarray, sr: int, n_fft: int, hop: int, n_mels: int) -> np.ndarray:
    """Reference: reflect-pad, periodic Hann, rfft power, the same filterbank, natural log with floor."""
    pad = np.pad(x.astype(np.float64), n_fft // 2, mode="reflect")
    n = 1 + (pad.size - n_fft) // hop
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.stack([pad[i * hop:i * hop + n_fft] * win for i in range(n)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    fb = mel_filterbank(sr, n_fft, n_mels).numpy().astype(np.float64)
    return np.log(np.maximum(power @ fb.T, LOG_FLOOR))


def test_log_mel_matches_numpy_on_real_speech():
    x, sr = load_audio(sorted(LIBRIVOX.glob("*.flac"))[0])
    x = x[: 3 * sr]
    ours = log_mel(torch.from_numpy(x), sr)[0].numpy()
    ref = _numpy_log_mel(x, sr, 400, 160, 80)
    assert ours.shape == ref.shape == (frames_for(x.size, 160), 80)
    # compare where there is energy (log of tiny powers amplifies float32 rounding)
    loud = ref > np.log(1e-3)
    assert loud.mean() > 0.3
    assert np.abs(ours - ref)[loud].max() < 1e-3


def test_batched_equals_single_and_frame_count():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(3, 12345)).astype(np.float32) * 0.1)
    batch = log_mel(x)
    assert batch.shape == (3, 12345 // 160 + 1, 80)
    for i in range(3):
        assert torch.allclose(batch[i], log_mel(x[i])[0], atol=1e-5)


def test_sine_peaks_in_the_right_band_and_silence_sits_on_the_floor():
    sr = 16000
    t = np.arange(sr) / sr
    for freq in (300.0, 2000.0):
        m = log_mel(torch.from_numpy(np.sin(2 * np.pi * freq * t).astype(np.float32)), sr)[0]
        band = int(m[50].argmax())
        fb = mel_filterbank(sr, 400, 80).numpy()
        centre = fb[band].argmax() * sr / 400
        assert abs(centre - freq) < 0.15 * freq + 40
    silent = log_mel(torch.zeros(1600))
    assert torch.allclose(silent, torch.full_like(silent, float(np.log(LOG_FLOOR))))


def test_other_rates_give_the_same_frame_rate():
    assert hop_for(48000) == 480 and FEATURE_RATE == 100
    with pytest.raises(AudioError, match="resample"):
        hop_for(22050)
    y = resample(np.zeros(22050, np.float32), 22050, 16000)
    assert y.shape == (16000,) and y.dtype == np.float32


def test_filterbank_is_nonnegative_and_ordered():
    fb = mel_filterbank(16000, 400, 80).numpy()
    assert fb.shape == (80, 201) and (fb >= 0).all() and (fb.sum(axis=1) > 0).all()
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0) and peaks[-1] > peaks[0]
    wide = mel_filterbank(48000, 1200, 80).numpy()  # fmax stays at 8 kHz at any rate
    freqs = np.arange(wide.shape[1]) * 48000 / 1200
    assert wide[:, freqs > 8000].sum() == 0 and wide[:, freqs < 8000].sum() > 0


@pytest.mark.parametrize("bad, msg", [
    (torch.zeros(2, 2, 100), "shaped"),
    (torch.zeros(0), "empty"),
    (torch.tensor([0.0, float("nan"), 0.0]), "NaN"),
])
def test_bad_input_is_an_audio_error(bad, msg):
    with pytest.raises(AudioError, match=msg):
        log_mel(bad)
