"""phoneme.audio.load_audio: real files (WAV/FLAC/OGG/MP3 written and read back, shared speech),
arrays in every accepted layout, resampling, and every kind of bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile

from phoneme.audio import MAX_DURATION, load_audio, supported_formats
from phoneme.errors import AudioError


def _tone(freq: float, sr: int, seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)])


def test_real_recording_is_resampled_to_16k_mono(speech_dir: Path):
    path = speech_dir / "praatio" / "mary.flac"  # 48 kHz mono
    info = soundfile.info(str(path))
    y, sr = load_audio(path)
    assert sr == 16000 and y.dtype == np.float32 and y.ndim == 1
    assert len(y) == pytest.approx(info.duration * 16000, abs=2)
    assert 0.05 < np.abs(y).max() <= 1.0
    # the same file as a string path and as an open binary file gives the same samples
    y2, _ = load_audio(str(path))
    with open(path, "rb") as f:
        y3, _ = load_audio(io.BytesIO(f.read()))
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(y, y3)


def test_44k_stereo_int16_file_becomes_16k_mono(tmp_path: Path):
    """Resampling: a 44.1 kHz stereo int16 WAV → 16 kHz mono, same pitch and length, channels averaged."""
    left = _tone(440, 44100, 1.5, amp=0.4)
    right = _tone(440, 44100, 1.5, amp=0.2)
    pcm = np.round(np.stack([left, right], axis=1) * 32767).astype(np.int16)
    path = tmp_path / "stereo.wav"
    soundfile.write(str(path), pcm, 44100, subtype="PCM_16")
    y, sr = load_audio(path)
    assert sr == 16000 and y.ndim == 1
    assert len(y) == pytest.approx(1.5 * 16000, abs=2)
    assert _peak_hz(y, sr) == pytest.approx(440, abs=2)
    # average of 0.4 and 0.2 amplitude channels
    assert np.abs(y[1000:-1000]).max() == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("fmt,ext", [("FLAC", "flac"), ("OGG", "ogg"), ("MP3", "mp3")])
def test_compressed_formats(tmp_path: Path, fmt: str, ext: str):
    assert fmt in supported_formats()
    x = _tone(300, 22050, 1.0)
    path = tmp_path / f"tone.{ext}"
    soundfile.write(str(path), x, 22050, format=fmt)
    y, sr = load_audio(path, sample_rate=16000)
    assert sr == 16000
    assert abs(len(y) - 16000) < 0.06 * 16000  # MP3 adds encoder padding
    assert _peak_hz(y, sr) == pytest.approx(300, abs=3)


@pytest.mark.parametrize(
    "dtype,scale,offset",
    [(np.int16, 32767, 0), (np.int32, 2**31 - 1, 0), (np.int8, 127, 0), (np.uint8, 127, 128),
     (np.float64, 1.0, 0), (np.float32, 1.0, 0)],
)
def test_array_dtypes(dtype, scale, offset):
    x = _tone(200, 16000, 0.5, amp=0.5)
    scaled = x * scale
    if np.issubdtype(dtype, np.integer):
        scaled = np.round(scaled)
    arr = (scaled + offset).astype(dtype)
    y, sr = load_audio((arr, 16000))
    assert sr == 16000 and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1.5 / min(scale, 127) + 1e-6)


def test_channel_layouts_both_ways():
    a = _tone(200, 16000, 0.5, amp=0.4)
    b = _tone(200, 16000, 0.5, amp=0.2)
    y_nc, _ = load_audio((np.stack([a, b], axis=1), 16000))  # [N, C]
    y_cn, _ = load_audio((np.stack([a, b], axis=0), 16000))  # [C, N]
    np.testing.assert_allclose(y_nc, 0.5 * (a + b), atol=1e-6)
    np.testing.assert_allclose(y_cn, y_nc, atol=1e-7)
    y_col, _ = load_audio((a[:, None], 16000))  # [N, 1]
    np.testing.assert_allclose(y_col, a, atol=1e-7)


def test_float_out_of_range_is_scaled_not_clipped():
    x = _tone(200, 16000, 0.5, amp=2.0)
    y, _ = load_audio((x, 16000))
    assert np.abs(y).max() == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(y, x / np.abs(x).max(), atol=1e-6)


def test_upsampling_keeps_pitch():
    y, sr = load_audio((_tone(500, 8000, 1.0), 8000))
    assert sr == 16000 and len(y) == 16000
    assert _peak_hz(y, sr) == pytest.approx(500, abs=2)


# ---------------------------------------------------------------- bad input
def test_missing_file(tmp_path: Path):
    with pytest.raises(AudioError, match="does not exist"):
        load_audio(tmp_path / "nope.wav")


def test_folder_is_not_audio(tmp_path: Path):
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_empty_file(tmp_path: Path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(p)


def test_text_renamed_wav_lists_formats(tmp_path: Path):
    p = tmp_path / "notes.wav"
    p.write_text("these are not samples\n" * 20)
    with pytest.raises(AudioError, match="cannot decode") as info:
        load_audio(p)
    msg = str(info.value)
    assert "WAV" in msg and "FLAC" in msg and "MP3" in msg and "ffmpeg" in msg


def test_header_only_wav_is_empty(tmp_path: Path):
    p = tmp_path / "zero.wav"
    soundfile.write(str(p), np.zeros(0, dtype=np.int16), 16000)
    with pytest.raises(AudioError, match="empty"):
        load_audio(p)


@pytest.mark.parametrize(
    "samples,match",
    [
        (np.zeros(0, dtype=np.float32), "empty"),
        (np.zeros(16000, dtype=np.float32), "silent"),
        (np.full(16000, 10 ** (-70 / 20), dtype=np.float32), "silent"),
        (np.r_[np.zeros(8000), np.nan, np.zeros(7999)].astype(np.float32), "NaN"),
        (np.r_[np.ones(100) * 0.1, np.inf, np.zeros(15899)].astype(np.float32), "infinite"),
        (_tone(200, 16000, 0.05), "shorter than the minimum"),
        (np.zeros((4, 4000, 2), dtype=np.float32), "3 dimensions"),
        (np.zeros((50, 50), dtype=np.float32), "no channel axis"),
        (np.zeros(16000, dtype=np.complex64), "dtype"),
        (np.zeros(16000, dtype=bool), "dtype"),
        (np.array(["a"] * 16000), "dtype"),
    ],
)
def test_bad_arrays(samples, match):
    with pytest.raises(AudioError, match=match):
        load_audio((samples, 16000))


def test_too_long_array_and_file(tmp_path: Path):
    x = _tone(200, 16000, 2.0)
    with pytest.raises(AudioError, match="longer than the limit"):
        load_audio((x, 16000), max_duration=1.0)
    p = tmp_path / "long.wav"
    soundfile.write(str(p), x, 16000)
    with pytest.raises(AudioError, match="longer than the limit"):
        load_audio(p, max_duration=1.0)
    assert MAX_DURATION == 3600.0


@pytest.mark.parametrize("rate", [0, -16000, 16000.5, "16000", True, None, 100, float("nan"), 10**7])
def test_bad_sample_rates(rate):
    with pytest.raises(AudioError, match="sample rate|sample_rate"):
        load_audio((_tone(200, 16000, 0.5), rate))


def test_integral_float_rate_is_accepted():
    y, sr = load_audio((_tone(200, 16000, 0.5), 16000.0))
    assert sr == 16000 and len(y) == 8000


def test_bad_target_rate():
    with pytest.raises(AudioError, match="target sample_rate"):
        load_audio((_tone(200, 16000, 0.5), 16000), sample_rate=0)


@pytest.mark.parametrize("source", [np.zeros(16000), (np.zeros(16000),), 42, [0.1, 0.2]])
def test_bad_source_kinds(source):
    with pytest.raises(AudioError):
        load_audio(source)
