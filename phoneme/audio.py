"""Load speech audio from a file or an array as float32 mono at a chosen sample rate.

Files are decoded with ``soundfile`` (libsndfile: WAV, FLAC, OGG Vorbis/Opus,
MP3, AIFF and the other formats libsndfile knows); arrays may be integer PCM
or float, mono or multi-channel in either layout. Resampling uses ``soxr``.
Every problem a user can cause — a missing or undecodable file, an empty,
silent, non-finite, too short or too long signal, a bad sample rate or shape —
raises :class:`~phoneme.errors.AudioError` with a message that says what to do.

Examples
--------
>>> import numpy as np
>>> from phoneme.audio import load_audio
>>> tone = (0.1 * np.sin(np.arange(44100) * 0.05)).astype(np.float32)
>>> y, sr = load_audio((np.stack([tone, tone], axis=1), 44100))
>>> y.dtype, y.ndim, sr, len(y)
(dtype('float32'), 1, 16000, 16000)
"""

from __future__ import annotations

import logging
import numbers
import os
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np
import soundfile
import soxr

from .errors import AudioError

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "MAX_CHANNELS",
    "MAX_DURATION",
    "MIN_DURATION",
    "SILENCE_PEAK_DBFS",
    "AudioSource",
    "load_audio",
    "resample",
    "supported_formats",
]

log = logging.getLogger(__name__)

#: Sample rate every aligner works at (Hz).
DEFAULT_SAMPLE_RATE = 16000
#: Shortest accepted signal in seconds: less than this holds no word.
MIN_DURATION = 0.1
#: Longest accepted signal in seconds (one hour); pass ``max_duration=`` to change it.
MAX_DURATION = 3600.0
#: A signal whose peak is below this level (dBFS) is treated as silent.
SILENCE_PEAK_DBFS = -60.0
#: Most channels a multi-channel array may have (more means a layout mistake).
MAX_CHANNELS = 8
#: Lowest sample rate that can carry intelligible speech (Hz).
MIN_SAMPLE_RATE = 4000
#: Highest sample rate accepted (Hz).
MAX_SAMPLE_RATE = 768000

AudioSource = Union[str, os.PathLike, BinaryIO, "tuple[Any, int]"]

_INT_SCALE = {
    np.dtype(np.int8): 128.0,
    np.dtype(np.int16): 32768.0,
    np.dtype(np.int32): 2147483648.0,
}


def supported_formats() -> list[str]:
    """Return the container formats the installed libsndfile can decode.

    Returns
    -------
    list of str
        Upper-case format names such as ``"WAV"``, ``"FLAC"``, ``"OGG"``, ``"MP3"``.

    Examples
    --------
    >>> from phoneme.audio import supported_formats
    >>> "WAV" in supported_formats()
    True
    """
    return sorted(soundfile.available_formats())


def _check_rate(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise AudioError(f"{what} must be a whole number of Hz, got {value!r}")
    if isinstance(value, numbers.Integral):
        rate = int(value)
    else:
        fval = float(value)
        if not np.isfinite(fval) or fval != int(fval):
            raise AudioError(f"{what} must be a whole number of Hz, got {value!r}")
        rate = int(fval)
    if rate <= 0:
        raise AudioError(f"{what} must be positive, got {rate}")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError(
            f"{what} {rate} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz; "
            "speech needs at least 4 kHz — check that the rate was passed in Hz"
        )
    return rate


def _read_file(source: str | os.PathLike | BinaryIO, max_duration: float) -> tuple[np.ndarray, int]:
    name = getattr(source, "name", source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise AudioError(f"audio file {str(path)!r} does not exist")
        if path.is_dir():
            raise AudioError(f"{str(path)!r} is a folder, not an audio file")
        if path.stat().st_size == 0:
            raise AudioError(f"audio file {str(path)!r} is empty (0 bytes)")
    formats = ", ".join(supported_formats())
    try:
        with soundfile.SoundFile(source) as f:
            sr = int(f.samplerate)
            if f.frames > 0 and f.frames / sr > max_duration:
                raise AudioError(
                    f"audio {name!r} lasts {f.frames / sr:.0f} s, longer than the limit of "
                    f"{max_duration:.0f} s; split it, or pass a larger max_duration"
                )
            data = f.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (soundfile.SoundFileError, RuntimeError, ValueError, TypeError) as exc:
        raise AudioError(
            f"cannot decode audio {name!r} ({exc}). Readable formats here: {formats} "
            "(WAV, FLAC, OGG Vorbis/Opus and MP3 are the usual ones); convert other formats "
            "(M4A/AAC, WMA, video files) first, e.g. `ffmpeg -i in.m4a -ac 1 out.wav`"
        ) from exc
    return data, sr


def _array_to_float(samples: Any) -> np.ndarray:
    try:
        arr = np.asarray(samples)
    except Exception as exc:  # ragged lists and other non-arrays
        raise AudioError(f"audio samples are not an array: {exc}") from exc
    if arr.dtype == np.dtype(np.uint8):
        return (arr.astype(np.float32) - 128.0) / 128.0
    if arr.dtype in _INT_SCALE:
        return (arr.astype(np.float64) / _INT_SCALE[arr.dtype]).astype(np.float32)
    if arr.dtype.kind == "f":
        out = arr.astype(np.float32)
        if out.size and np.isfinite(out).all():
            peak = float(np.max(np.abs(out)))
            if peak > 1.0:
                log.warning("float audio peaks at %.3g, outside [-1, 1]; scaling it down", peak)
                out = out / peak
        return out
    raise AudioError(
        f"audio samples have dtype {arr.dtype}; use float (in [-1, 1]) or int8/int16/int32/uint8 PCM"
    )


def _to_mono(data: np.ndarray) -> np.ndarray:
    if data.ndim == 1:
        return data
    if data.ndim != 2:
        raise AudioError(
            f"audio array has {data.ndim} dimensions (shape {data.shape}); expected mono [N] "
            "or multi-channel [N, C] / [C, N]"
        )
    n0, n1 = data.shape
    if n1 <= MAX_CHANNELS and (n1 <= n0 or n0 > MAX_CHANNELS):
        channels_axis = 1
    elif n0 <= MAX_CHANNELS:
        channels_axis = 0
    else:
        raise AudioError(
            f"audio array of shape {data.shape} has no channel axis of at most {MAX_CHANNELS}; "
            "expected mono [N] or multi-channel [N, C] / [C, N]"
        )
    if data.shape[channels_axis] == 1:
        return data.reshape(-1)
    return data.mean(axis=channels_axis, dtype=np.float64).astype(np.float32)


def load_audio(
    source: AudioSource,
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    min_duration: float = MIN_DURATION,
    max_duration: float = MAX_DURATION,
    silence_dbfs: float = SILENCE_PEAK_DBFS,
) -> tuple[np.ndarray, int]:
    """Load speech as float32 mono samples in [-1, 1] at ``sample_rate``.

    Parameters
    ----------
    source : str, path-like, binary file object, or tuple (samples, sample_rate)
        An audio file (any format libsndfile decodes: WAV, FLAC, OGG, MP3 …) or
        an array with its rate. Arrays may be float (expected in [-1, 1]) or
        integer PCM (int8, int16, int32, uint8), mono ``[N]`` or multi-channel
        ``[N, C]`` / ``[C, N]`` with at most 8 channels; channels are averaged.
    sample_rate : int, default 16000
        Rate of the returned samples; the signal is resampled with soxr when needed.
    min_duration, max_duration : float
        Accepted length in seconds (defaults 0.1 s and one hour).
    silence_dbfs : float, default -60
        A signal whose peak stays below this level is rejected as silent.

    Returns
    -------
    samples : np.ndarray
        float32, shape ``[N]``, values in [-1, 1].
    sample_rate : int
        The requested rate.

    Raises
    ------
    AudioError
        Missing or undecodable file (the message lists the readable formats),
        empty, silent, NaN/inf samples, too short or too long, bad sample rate,
        or an array with an unusable shape or dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from phoneme.audio import load_audio
    >>> pcm = (3000 * np.sin(np.arange(8000) / 5)).astype(np.int16)
    >>> y, sr = load_audio((pcm, 8000), sample_rate=16000)
    >>> sr, y.shape, float(abs(y).max()) <= 1.0
    (16000, (16000,), True)
    """
    target = _check_rate(sample_rate, "target sample_rate")
    if isinstance(source, tuple):
        if len(source) != 2:
            raise AudioError(
                f"audio tuple must be (samples, sample_rate), got a tuple of {len(source)} items"
            )
        samples, rate = source
        rate = _check_rate(rate, "audio sample rate")
        data = _array_to_float(samples)
        label = "audio array"
    elif isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
        data, rate = _read_file(source, max_duration)
        rate = _check_rate(rate, f"sample rate of {getattr(source, 'name', source)!r}")
        label = f"audio {str(getattr(source, 'name', source))!r}"
    elif isinstance(source, np.ndarray):
        raise AudioError("a bare array has no sample rate; pass (samples, sample_rate)")
    else:
        raise AudioError(
            f"audio must be a file path or a (samples, sample_rate) tuple, got {type(source).__name__}"
        )

    if data.size == 0:
        raise AudioError(f"{label} is empty (0 samples)")
    mono = _to_mono(data)
    if not np.isfinite(mono).all():
        bad = int(np.count_nonzero(~np.isfinite(mono)))
        raise AudioError(f"{label} contains {bad} NaN or infinite samples; clean the signal first")
    duration = mono.size / rate
    if duration < min_duration:
        raise AudioError(
            f"{label} lasts {duration * 1000:.0f} ms, shorter than the minimum of "
            f"{min_duration * 1000:.0f} ms; it cannot hold a word"
        )
    if duration > max_duration:
        raise AudioError(
            f"{label} lasts {duration:.0f} s, longer than the limit of {max_duration:.0f} s; "
            "split it, or pass a larger max_duration"
        )
    peak = float(np.max(np.abs(mono)))
    peak_db = 20.0 * np.log10(peak) if peak > 0 else -np.inf
    if peak_db < silence_dbfs:
        raise AudioError(
            f"{label} is silent (peak {peak_db:.0f} dBFS, below {silence_dbfs:.0f} dBFS); "
            "check the recording level or the channel"
        )
    if rate != target:
        mono = resample(mono, rate, target)
    mono = np.ascontiguousarray(np.clip(mono, -1.0, 1.0), dtype=np.float32)
    return mono, target


def resample(samples: np.ndarray, sample_rate: int, target_rate: int = DEFAULT_SAMPLE_RATE) -> np.ndarray:
    """Resample mono audio with soxr (high quality); returns float32.

    The one resampling call of the three packages (:func:`load_audio`, espeak-ng
    synthesis and the learned models' features use it). The signal is resampled
    in its own precision (float32 or float64) and returned as float32; it may
    overshoot [-1, 1] slightly, so clip when that matters.

    Parameters
    ----------
    samples : ndarray [N]
        Mono samples.
    sample_rate : int
        Their rate in Hz.
    target_rate : int, default 16000

    Returns
    -------
    ndarray, float32 [round(N * target_rate / sample_rate)]
        The input itself (as float32) when the rates are equal.

    Raises
    ------
    AudioError
        Samples that are not 1-D.

    Examples
    --------
    >>> resample(np.zeros(22050, np.float32), 22050).shape
    (16000,)
    """
    x = np.asarray(samples)
    if int(sample_rate) == int(target_rate):
        return x.astype(np.float32, copy=False)
    if x.ndim != 1:
        raise AudioError(f"resample needs mono samples shaped [N], got {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    return soxr.resample(x, int(sample_rate), int(target_rate), quality="HQ").astype(np.float32, copy=False)
