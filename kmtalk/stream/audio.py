"""Audio chunks in, 16 kHz mono float out: :class:`ChunkResampler`; the recent past: :class:`AudioWindow`.

Chunks may come at any sample rate, as integer PCM or float, mono ``[N]`` or
interleaved ``[N, channels]`` (the layout sound-card callbacks give).
Resampling is soxr's streaming resampler at the quality
:func:`phoneme.audio.load_audio` uses, so the samples do not depend on how the
audio was cut into chunks: they equal resampling the whole signal at once.

Examples
--------
>>> import numpy as np
>>> from kmtalk.stream.audio import ChunkResampler
>>> rs = ChunkResampler(48000)
>>> parts = [rs.push(np.zeros(480, np.int16)) for _ in range(10)] + [rs.flush()]
>>> sum(len(p) for p in parts)
1600
"""

from __future__ import annotations

import numpy as np
import soxr

from phoneme.audio import MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE

from ..errors import AudioError

__all__ = ["TARGET_RATE", "AudioWindow", "ChunkResampler"]

#: The rate the stream works at (the aligners' and the model's).
TARGET_RATE = 16000
_INT_SCALE = {np.dtype(np.int8): 128.0, np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0}


class ChunkResampler:
    """Convert chunks to float32 mono at 16 kHz, chunk-size independent.

    Parameters
    ----------
    sample_rate : int
        Rate of the incoming chunks (Hz).
    channels : int, default 1
        Channels of the incoming chunks: ``[N]`` when 1, ``[N, channels]`` otherwise
        (channels are averaged).
    """

    def __init__(self, sample_rate: int, channels: int = 1) -> None:
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) \
                or not MIN_SAMPLE_RATE <= int(sample_rate) <= MAX_SAMPLE_RATE:
            raise AudioError(f"sample_rate must be a whole number of Hz in {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE}, "
                             f"got {sample_rate!r}")
        if not (isinstance(channels, (int, np.integer)) and 1 <= channels <= MAX_CHANNELS):
            raise AudioError(f"channels must be 1..{MAX_CHANNELS}, got {channels!r}")
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._soxr = None if self.sample_rate == TARGET_RATE else soxr.ResampleStream(
            self.sample_rate, TARGET_RATE, 1, dtype="float32", quality="HQ")
        self.samples_in = 0

    def _mono(self, chunk: np.ndarray) -> np.ndarray:
        x = np.asarray(chunk)
        if x.dtype == np.dtype(np.uint8):
            x = (x.astype(np.float32) - 128.0) / 128.0
        elif x.dtype in _INT_SCALE:
            x = (x.astype(np.float64) / _INT_SCALE[x.dtype]).astype(np.float32)
        elif x.dtype.kind == "f":
            x = x.astype(np.float32, copy=False)
        else:
            raise AudioError(f"audio chunks must be float (in [-1, 1]) or int8/int16/int32/uint8 PCM, got {x.dtype}")
        want = (x.shape[0], self.channels) if self.channels > 1 else None
        if self.channels == 1 and x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if (self.channels == 1 and x.ndim != 1) or (self.channels > 1 and (x.ndim != 2 or x.shape != want)):
            shape = "[N]" if self.channels == 1 else f"[N, {self.channels}]"
            raise AudioError(f"audio chunk of shape {x.shape}; expected {shape} (channels={self.channels})")
        if x.ndim == 2:
            x = x.mean(axis=1, dtype=np.float64).astype(np.float32)
        if not np.isfinite(x).all():
            raise AudioError("an audio chunk holds NaN or infinite samples")
        return np.clip(x, -1.0, 1.0)

    def push(self, chunk: np.ndarray) -> np.ndarray:
        """Convert one chunk; returns the 16 kHz samples ready so far (the resampler holds a few back)."""
        x = self._mono(chunk)
        self.samples_in += x.shape[0]
        if self._soxr is None:
            return x
        return self._soxr.resample_chunk(x).astype(np.float32, copy=False)

    def flush(self) -> np.ndarray:
        """The samples the resampler still holds (call once, at the end)."""
        if self._soxr is None:
            return np.zeros(0, np.float32)
        return self._soxr.resample_chunk(np.zeros(0, np.float32), last=True).astype(np.float32, copy=False)


class AudioWindow:
    """The last ``keep_s`` seconds of a 16 kHz stream, addressed by stream sample index.

    Examples
    --------
    >>> import numpy as np
    >>> w = AudioWindow(keep_s=1.0)
    >>> w.append(np.arange(24000, dtype=np.float32))
    >>> w.start, w.end, float(w.read(20000, 20002)[0])
    (8000, 24000, 20000.0)
    """

    def __init__(self, keep_s: float) -> None:
        self.keep = int(round(keep_s * TARGET_RATE))
        self._buf = np.zeros(0, np.float32)
        self.start = 0  # stream index of _buf[0]

    @property
    def end(self) -> int:
        """Stream index one past the last sample."""
        return self.start + self._buf.size

    def append(self, x: np.ndarray) -> None:
        """Add samples; drop the oldest beyond ``keep_s``."""
        if x.size == 0:
            return
        self._buf = np.concatenate([self._buf, x])
        excess = self._buf.size - self.keep
        if excess > 0:
            self._buf = self._buf[excess:]
            self.start += excess

    def read(self, a: int, b: int) -> np.ndarray:
        """Samples ``a .. b-1`` (stream indices); what is older than the window is zeros."""
        out = np.zeros(max(b - a, 0), np.float32)
        lo, hi = max(a, self.start), min(b, self.end)
        if hi > lo:
            out[lo - a:hi - a] = self._buf[lo - self.start:hi - self.start]
        return out
