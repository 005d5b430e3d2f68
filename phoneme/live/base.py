"""The part every live (incremental) pocketsphinx decoder shares: feeding audio, restarts, timing.

A :class:`LiveDecoder` keeps one pocketsphinx utterance open and feeds it
audio as it arrives (``process_raw`` without ``full_utt``: the cepstral mean
is estimated live). At any moment :meth:`LiveDecoder.phones` reads the best
partial path (``seg()``) as timed phones. Subclasses say what the search is
(a forced-alignment grammar or the recogniser's language model) and how its
segments become phones.

Two things keep the work per call bounded however long the stream runs:

- **restarts**: once an utterance is longer than ``restart_after`` seconds,
  :meth:`LiveDecoder.restart` ends it at a point the caller says is settled
  (the middle of a pause, else a word end), keeps the phones before it as
  history, starts a new utterance there and feeds it again the little audio
  after the cut (at most ``keep_s`` seconds are kept). Reading the partial path
  then walks one utterance, not the whole stream;
- :meth:`LiveDecoder.phones` takes ``since``: history older than that is not copied.

Examples
--------
>>> from phoneme.live.base import LiveDecoder
>>> LiveDecoder.sample_rate, LiveDecoder.frame_rate
(16000, 100)
"""

from __future__ import annotations

import bisect
import logging
from abc import ABC, abstractmethod
from dataclasses import replace

import numpy as np
import pocketsphinx

from ..errors import AlignmentError, AudioError
from ..types import SILENCE, Interval

__all__ = ["LiveDecoder", "Segment"]

log = logging.getLogger(__name__)

_SILENT_DB = -60.0
#: (word as pocketsphinx names it, first frame, end frame exclusive), frames global at 100 Hz.
Segment = tuple[str, int, int]


class LiveDecoder(ABC):
    """Base class of the live decoders (see the module docstring).

    Parameters
    ----------
    restart_after : float, default 10
        Seconds an utterance may run before :meth:`restart` looks for a cut.
    keep_s : float, default 4
        Seconds of recent audio kept for feeding a restarted utterance.
    """

    sample_rate = 16000
    frame_rate = 100
    hop = 160  # samples per pocketsphinx frame

    def __init__(self, *, restart_after: float = 10.0, keep_s: float = 4.0) -> None:
        if not restart_after > 0 or not keep_s >= 1.0:
            raise AlignmentError(f"restart_after must be > 0 and keep_s >= 1 s (got {restart_after}, {keep_s})")
        self.restart_after = float(restart_after)
        self.keep_s = float(keep_s)
        self._fed = 0  # samples fed since the start of the stream
        self._pcm = np.zeros(0, np.int16)  # the last keep_s seconds
        self._pcm_start = 0  # stream sample index of _pcm[0]
        self._offset = 0  # stream frame where the current utterance starts
        self._history: list[Interval] = []  # phones of finished utterances, in time order
        self._history_ends: list[float] = []
        self._finished = False
        self._peak_db = -120.0  # loudest 10 ms frame so far (dBFS)
        self._decoder = self._make_decoder()
        self._begin(self._start_state())

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _make_decoder(self) -> pocketsphinx.Decoder:
        """Build the pocketsphinx decoder (once)."""

    @abstractmethod
    def _start_state(self) -> int:
        """The search state of the first utterance."""

    @abstractmethod
    def _configure(self, state: int) -> None:
        """Set the decoder's search for an utterance that starts in ``state``."""

    @abstractmethod
    def _to_phones(self, segments: list[Segment], end_frame: int, final: bool) -> list[Interval]:
        """Timed phones (seconds, stream time) of the current utterance's segments, up to ``end_frame``."""

    @abstractmethod
    def _cut(self, segments: list[Segment], latest: int) -> tuple[int, int] | None:
        """A frame ``<= latest`` at which to end the utterance and the state to resume in, or None."""

    # ------------------------------------------------------------------ feeding
    @property
    def duration(self) -> float:
        """Seconds of audio fed so far."""
        return self._fed / self.sample_rate

    def feed(self, samples: np.ndarray) -> None:
        """Decode more audio: float samples in [-1, 1] at 16 kHz, mono.

        Raises
        ------
        AudioError
            Not a 1-D float array, or after :meth:`finish`.
        """
        if self._finished:
            raise AudioError("this live decoder has finished; start a new one")
        x = np.asarray(samples)
        if x.ndim != 1 or x.dtype.kind != "f":
            raise AudioError(f"feed() takes mono float samples shaped [N], got {x.dtype} {x.shape}")
        if x.size == 0:
            return
        pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
        self._decoder.process_raw(pcm.tobytes())
        if x.size >= self.hop:
            power = np.mean(np.square(x[: x.size // self.hop * self.hop].reshape(-1, self.hop), dtype=np.float64), 1)
            self._peak_db = max(self._peak_db, float(10.0 * np.log10(power.max() + 1e-12)))
        self._fed += pcm.size
        self._pcm = np.concatenate([self._pcm, pcm])
        excess = self._pcm.size - int(self.keep_s * self.sample_rate)
        if excess > 0:
            self._pcm = self._pcm[excess:]
            self._pcm_start += excess

    def _loud(self, a: int, b: int, below_peak_db: float = 30.0) -> np.ndarray:
        """For stream frames ``a .. b-1``: True where the audio is within ``below_peak_db`` of the loudest frame
        (and above -60 dBFS, so digital silence is never loud).

        Frames older than the kept audio count as loud.
        """
        out = np.ones(max(b - a, 0), bool)
        lo = max(a, -(-self._pcm_start // self.hop))
        hi = min(b, (self._pcm_start + self._pcm.size) // self.hop)
        if hi > lo:
            seg = self._pcm[lo * self.hop - self._pcm_start:hi * self.hop - self._pcm_start].astype(np.float64) / 32768.0
            power = np.mean(np.square(seg.reshape(-1, self.hop)), axis=1)
            floor = max(self._peak_db - below_peak_db, _SILENT_DB)
            out[lo - a:hi - a] = 10.0 * np.log10(power + 1e-12) > floor
        return out

    def _segments(self) -> list[Segment]:
        segs = self._decoder.seg() if self._decoder.hyp() is not None else None
        return [(s.word, self._offset + s.start_frame, self._offset + s.end_frame + 1) for s in (segs or [])]

    # ------------------------------------------------------------------ reading
    def phones(self, since: float = 0.0) -> list[Interval]:
        """The timed phones of the best path so far, in stream seconds, pauses as ``"sil"``.

        The phones of the current utterance may still change as more audio
        comes (the later, the likelier); the last one reaches :attr:`duration`.
        ``since``: leave out history phones that end before it.
        """
        k = bisect.bisect_left(self._history_ends, since)
        end = self._fed // self.hop
        current = [] if self._finished else self._to_phones(self._segments(), end, final=False)
        out = self._history[k:] + current
        if out and out[-1].end < self.duration:
            out[-1] = replace(out[-1], end=self.duration)
        return out

    def restart(self, settled: float) -> bool:
        """End the utterance at a cut before ``settled`` seconds when it has run long enough.

        Call it with a time before which the caller takes the alignment as
        final. Returns True when the decoder restarted.
        """
        now = self._fed // self.hop
        if self._finished or (now - self._offset) < self.restart_after * self.frame_rate:
            return False
        segments = self._segments()
        earliest = -(-self._pcm_start // self.hop)  # audio before this is gone
        found = self._cut(segments, int(settled * self.frame_rate))
        if found is None or found[0] < max(earliest, self._offset + 1):
            return False
        return self._restart_at(segments, *found)

    def _restart_at(self, segments: list[Segment], cut: int, state: int) -> bool:
        """End the utterance at frame ``cut`` (history keeps the phones before it); resume in ``state``."""
        fr = self.frame_rate
        kept = [p for p in self._to_phones(segments, cut, final=False) if p.start < cut / fr]
        kept = [replace(p, end=min(p.end, cut / fr)) for p in kept]
        self._decoder.end_utt()
        self._extend_history(kept)
        self._offset = cut
        self._begin(state)
        tail = self._pcm[cut * self.hop - self._pcm_start:]
        if tail.size:
            self._decoder.process_raw(tail.tobytes())
        log.debug("live decoder restarted at %.2f s (state %d, %d samples fed again)", cut / fr, state, tail.size)
        return True

    def finish(self) -> list[Interval]:
        """End the stream: the final phones of everything fed (history included)."""
        if not self._finished:
            end = self._fed // self.hop
            partial = self._to_phones(self._segments(), end, final=False)
            self._decoder.end_utt()
            self._finished = True
            segments = self._segments()
            # no complete path (the stream stopped before the transcript did, or the beams pruned
            # it): keep the last partial path rather than nothing
            final = self._to_phones(segments, end, final=True) if segments else partial
            self._extend_history(final)
        out = list(self._history)
        if out and out[-1].end < self.duration:
            out[-1] = replace(out[-1], end=self.duration)
        return out

    # ------------------------------------------------------------------ helpers
    def _begin(self, state: int) -> None:
        self._configure(state)
        self._decoder.start_utt()

    def _extend_history(self, phones: list[Interval]) -> None:
        for p in phones:
            if self._history and p.label == SILENCE and self._history[-1].label == SILENCE:
                self._history[-1] = replace(self._history[-1], end=p.end)
                self._history_ends[-1] = p.end
            else:
                self._history.append(p)
                self._history_ends.append(p.end)
