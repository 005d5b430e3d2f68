"""``kmtalk.Stream``: audio chunks in, final ARKit-52 frames out, with a bounded look-ahead.

How it works (``docs/streaming.md`` has the details and the measurements):

1. Each chunk is converted to 16 kHz mono (:class:`~kmtalk.stream.audio.ChunkResampler`)
   and fed to a live pocketsphinx decoder (:mod:`phoneme.live`): with a
   transcript, live forced alignment of its phones; without one, live recognition.
2. Every ``hop`` seconds of audio (an *update*, at fixed audio times, so the
   output does not depend on how the audio was cut into chunks) the stream
   reads the phones known so far and animates a window — from ``context``
   seconds before the first frame it still owes up to the newest audio — with
   the same animator ``kmtalk.animate`` uses (the learned model or the prior),
   styles included.
3. It emits every frame whose time is at least ``lookahead`` seconds older than
   the newest audio. Emitted frames are final: they are never sent again or revised.
   Each carries the phone it was made from; every frame inside a /p b m/ has
   the lips closed exactly (``mouthClose == jawOpen``, lip-opening channels 0),
   as offline.

The algorithmic latency — from the moment a sound is heard to the moment its
frame is out — is at most ``lookahead + hop`` (plus the chunk length, since a
frame waits for the chunk that completes its look-ahead, and the resampler's
few milliseconds). Compute per update is bounded: the window never exceeds
``context + lookahead + hop`` seconds, and the live decoders restart at pauses.

Examples
--------
>>> import numpy as np
>>> import kmtalk
>>> from phoneme.audio import load_audio
>>> x, sr = load_audio("assets/examples/hello.wav")  # doctest: +SKIP
>>> s = kmtalk.Stream("Bob fed five blue balloons to the movie mouse.", sample_rate=sr, method="prior")  # doctest: +SKIP
>>> frames = [f for i in range(0, len(x), 320) for f in s.push(x[i:i + 320])] + s.close()  # doctest: +SKIP
>>> len(frames), frames[0].weights.shape  # doctest: +SKIP
(96, (52,))
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from phoneme.loudness import frame_loudness
from phoneme.types import SILENCE, Alignment, Interval

from ..animator.api import METHODS, _model, _transcript
from ..animator.prior import load_prior_tables
from ..animator.prior.coarticulation import n_frames_for
from ..animator.styles.registry import StyleSpec
from ..errors import KmtalkError, TranscriptError
from ..face.animation import Animation
from ..face.arkit import ARKIT_NAMES
from .audio import TARGET_RATE, AudioWindow, ChunkResampler
from .level import SpeechLevel
from .styling import StreamStyler
from .window import animate_window, window_alignment

__all__ = ["DEFAULT_LOOKAHEAD", "MAX_LOOKAHEAD", "Stream", "StreamFrame", "stream_frames"]

log = logging.getLogger(__name__)

#: Default look-ahead (seconds): how much newer audio a frame waits for before it is final.
DEFAULT_LOOKAHEAD = 0.3
#: Largest look-ahead accepted (seconds).
MAX_LOOKAHEAD = 2.0
_MAX_FPS = 240.0


@dataclass(frozen=True)
class StreamFrame:
    """One final frame of a stream.

    Attributes
    ----------
    index : int
        Frame number from the start of the stream (``time = index / fps``).
    time : float
        Seconds from the start of the audio.
    weights : ndarray, float32 [52]
        ARKit weights in Apple's order (:data:`kmtalk.ARKIT_NAMES`), in [0, 1].
    head_pose : ndarray, float32 [6] or None
        Pitch, yaw, roll (radians) and translation, as :attr:`kmtalk.Animation.head_pose`;
        None unless a style moves the head.
    phone : str
        The phone at this frame (IPA, ``"sil"`` for a pause) as known when it was emitted.
    """

    index: int
    time: float
    weights: np.ndarray
    head_pose: np.ndarray | None = None
    phone: str = SILENCE

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (weights by ARKit name)."""
        out: dict[str, Any] = {"index": self.index, "time": round(self.time, 6), "phone": self.phone,
                               "weights": {n: round(float(v), 6) for n, v in zip(ARKIT_NAMES, self.weights)}}
        if self.head_pose is not None:
            out["head_pose"] = [round(float(v), 6) for v in self.head_pose]
        return out


@dataclass(frozen=True)
class _Job:
    """One update's fixed inputs: window start ``f0``, frames ``lo .. hi-1`` (local) to emit."""

    f0: int
    lo: int
    hi: int
    n_local: int
    alignment: Alignment
    samples: np.ndarray
    ref: float | None
    history: list[Interval]


@dataclass
class _Stats:
    """Compute measurements (seconds): per pushed chunk (the caller's thread), per update (in the caller's
    thread: decoding, preparing and — unless in the background — animating), per animated window."""

    chunk_seconds: list[float] = field(default_factory=list)
    chunk_audio: list[float] = field(default_factory=list)
    update_seconds: list[float] = field(default_factory=list)
    animate_seconds: list[float] = field(default_factory=list)


class Stream:
    """Animate speech that arrives in chunks; emit each ARKit frame once it is final.

    Parameters
    ----------
    transcript : str or path, optional
        What will be said (TTS knows it in advance): phones are force-aligned
        live, and the closures land where the phones are. Without it the speech
        is recognised live (approximate; see ``docs/streaming.md``).
    sample_rate : int, default 16000
        Rate of the chunks (any rate; resampled to 16 kHz with soxr).
    channels : int, default 1
        Channels of the chunks (``[N]`` mono, ``[N, channels]`` interleaved).
    fps : float, default 30
    lookahead : float, default 0.3
        Seconds of newer audio a frame waits for before it is emitted (0–2 s).
        More look-ahead, output closer to offline; less, lower latency.
    hop : float, optional
        Seconds of audio between updates (default: one frame, ``1/fps``, for the
        prior; 0.1 s for the learned model, whose update costs more).
    context : float, default 1.0
        Seconds before the first frame still owed that each update re-animates
        for continuity.
    method : {"auto", "prior", "learned"}
        As in :func:`kmtalk.animate` (``"auto"``: the shipped model).
    checkpoint : path, optional
    style : style spec(s), optional
        As in :func:`kmtalk.animate` (see ``docs/streaming.md`` for what each style does live).
    seed : int, default 0
    language : str, default "en"
        English only (the live decoders use pocketsphinx's English model).
    lexicon : Lexicon or path, optional
    pronunciations : mapping, optional
        Word → ARPAbet pronunciations for the live aligner.
    background : bool, optional
        Animate windows in a worker thread (default: yes for the learned
        model, whose update costs tens of milliseconds; no for the prior).
        :meth:`push` then only feeds the decoder and prepares each update
        (cheap), and returns the frames the worker has finished; the frames
        are the same either way (each update's inputs are fixed when it is
        prepared), only *when* they come out differs by the animation time.

    Raises
    ------
    KmtalkError
        Bad fps, look-ahead, hop or context; ``TranscriptError`` for an empty
        transcript or a language other than English.
    """

    def __init__(
        self,
        transcript: str | os.PathLike[str] | None = None,
        *,
        sample_rate: int = TARGET_RATE,
        channels: int = 1,
        fps: float = 30.0,
        lookahead: float = DEFAULT_LOOKAHEAD,
        hop: float | None = None,
        context: float = 1.0,
        method: str = "auto",
        checkpoint: str | os.PathLike[str] | None = None,
        style: StyleSpec = None,
        seed: int = 0,
        language: str = "en",
        lexicon: Any = None,
        pronunciations: Any = None,
        background: bool | None = None,
    ) -> None:
        if method not in METHODS:
            raise KmtalkError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and 0 < fps <= _MAX_FPS):
            raise KmtalkError(f"fps must be in (0, {_MAX_FPS:g}], got {fps!r}")
        if not (isinstance(lookahead, (int, float)) and 0.0 <= lookahead <= MAX_LOOKAHEAD):
            raise KmtalkError(f"lookahead must be between 0 and {MAX_LOOKAHEAD:g} s, got {lookahead!r}")
        if not (isinstance(context, (int, float)) and 0.0 <= context <= 10.0):
            raise KmtalkError(f"context must be between 0 and 10 s, got {context!r}")
        from phoneme.multilingual import is_english

        if not is_english(language):
            raise TranscriptError(f"streaming needs English speech (the live decoders use pocketsphinx's English "
                                  f"model), not {language!r}")
        self.model = _model(method, checkpoint)
        self.method = "prior" if self.model is None else "learned"
        if hop is None:
            hop = 1.0 / fps if self.model is None else 0.1
        if not (isinstance(hop, (int, float)) and 1e-3 <= hop <= 1.0):
            raise KmtalkError(f"hop must be between 0.001 and 1 s, got {hop!r}")
        self.fps, self.lookahead, self.hop, self.context = float(fps), float(lookahead), float(hop), float(context)
        self.seed = int(seed)
        self.tables = load_prior_tables(lexicon if not isinstance(lexicon, os.PathLike) else str(lexicon))
        text = _transcript(transcript)
        if text is not None:
            from phoneme.live import LiveAligner

            self.decoder = LiveAligner(text, pronunciations=pronunciations)
            self.words: list[str] | None = self.decoder.words
        else:
            from phoneme.live import LiveRecognizer

            self.decoder = LiveRecognizer()
            self.words = None
        self.transcript = text
        self.styler = StreamStyler(style, fps=self.fps, seed=self.seed, tables=self.tables)
        self._resampler = ChunkResampler(sample_rate, channels)
        self._audio = AudioWindow(keep_s=self.context + self.lookahead + self.hop + 4.0)
        self._level = SpeechLevel()
        self._fed = 0  # 16 kHz samples fed to the decoder
        self._updates = 0  # updates done
        self._emitted = 0  # frames returned to the caller
        self._scheduled = 0  # frames whose window is prepared (animated, or queued for the worker)
        self._closed = False
        self.background = bool(self.model is not None if background is None else background)
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._error: BaseException | None = None
        self._weights: list[np.ndarray] = []
        self._head: list[np.ndarray | None] = []
        self._phones: list[Interval] = []  # the phones as emitted, stream time
        self.stats = _Stats()

    # ------------------------------------------------------------------ properties
    @property
    def latency(self) -> float:
        """Worst-case algorithmic latency in seconds, chunking aside: ``lookahead + hop``."""
        return self.lookahead + self.hop

    @property
    def n_emitted(self) -> int:
        """Frames emitted so far."""
        return self._emitted

    @property
    def duration(self) -> float:
        """Seconds of (16 kHz) audio received so far."""
        return self._fed / TARGET_RATE

    # ------------------------------------------------------------------ input
    def push(self, chunk: np.ndarray) -> list[StreamFrame]:
        """Add a chunk of audio; return the frames that became final (possibly none).

        Raises
        ------
        AudioError
            A chunk of the wrong dtype, shape or with NaN samples.
        KmtalkError
            After :meth:`close`.
        """
        if self._closed:
            raise KmtalkError("this stream is closed; start a new Stream")
        t0 = time.perf_counter()
        n_in = np.shape(chunk)[0] if np.ndim(chunk) else 0
        frames = self._consume(self._resampler.push(chunk))
        if self.background:
            frames = self._collect()
        self.stats.chunk_seconds.append(time.perf_counter() - t0)
        self.stats.chunk_audio.append(n_in / self._resampler.sample_rate)
        self._emitted += len(frames)
        return frames

    def close(self) -> list[StreamFrame]:
        """End of the audio: return every remaining frame (the stream then has ``n_frames_for(duration, fps)``)."""
        if self._closed:
            return []
        t0 = time.perf_counter()
        frames = self._consume(self._resampler.flush())
        self._closed = True
        phones = self.decoder.finish()
        n_total = n_frames_for(self.duration, self.fps) if self._fed else 0
        if n_total > self._scheduled:
            frames += self._update(self.duration, phones, n_total)
        if self.background:
            frames = self._collect(wait=True)
        self.stats.update_seconds.append(time.perf_counter() - t0)
        self._emitted += len(frames)
        return frames

    def run(self, chunks: Iterable[np.ndarray]) -> Iterator[StreamFrame]:
        """Push every chunk and yield frames as they become final, then those of :meth:`close`."""
        for chunk in chunks:
            yield from self.push(chunk)
        yield from self.close()

    # ------------------------------------------------------------------ core
    def _consume(self, x: np.ndarray) -> list[StreamFrame]:
        """Feed 16 kHz samples, stopping at every update time to animate."""
        frames: list[StreamFrame] = []
        pos = 0
        while pos < x.size:
            due = int(round((self._updates + 1) * self.hop * TARGET_RATE))  # sample index of the next update
            take = min(x.size - pos, max(due - self._fed, 0))
            if take:
                part = x[pos:pos + take]
                self.decoder.feed(part)
                self._audio.append(part)
                self._fed += take
                pos += take
            if self._fed >= due:
                self._updates += 1
                t0 = time.perf_counter()
                now = self._fed / TARGET_RATE
                # frames before the emission boundary are out: the decoder may cut there (the later the
                # cut, the less audio a restarted utterance decodes again)
                self.decoder.restart(settled=self._scheduled / self.fps)
                n_final = int(math.floor((now - self.lookahead) * self.fps + 1e-9)) + 1 if now >= self.lookahead else 0
                if n_final > self._scheduled:
                    since = max(self._scheduled / self.fps - self.context - 1.0, 0.0)
                    frames += self._update(now, self.decoder.phones(since=since), n_final)
                self.stats.update_seconds.append(time.perf_counter() - t0)
        return frames

    def _update(self, now: float, phones: list[Interval], n_final: int) -> list[StreamFrame]:
        """Schedule frames ``_scheduled .. n_final - 1``: animate now, or hand the job to the worker."""
        job = self._prepare(now, phones, n_final)
        if not self.background:
            return self._animate(job)
        self._start_worker()
        self._jobs.put(job)
        return []

    def _prepare(self, now: float, phones: list[Interval], n_final: int) -> _Job:
        """Everything an update needs, fixed now (the audio, the phones, the speech level), so the
        frames do not depend on when the animation runs."""
        f0 = max(self._scheduled - int(math.ceil(self.context * self.fps)), 0)
        t0 = f0 / self.fps
        n_local = int(math.floor((now - t0) * self.fps + 1e-9)) + 1
        n_local = max(n_local, n_final - f0)
        window_end = max(now, (f0 + n_local - 1) / self.fps)
        al = window_alignment(phones, t0, window_end, labels=self.words)
        a = int(round(t0 * TARGET_RATE))
        samples = self._audio.read(a, max(int(round(window_end * TARGET_RATE)), a + 1))
        if not np.any(samples):
            samples[0] = 1e-6  # all-silent window: frame_loudness floors it
        lo, hi = self._scheduled - f0, n_final - f0
        loud = frame_loudness(samples, TARGET_RATE, self.fps, n_frames=n_local)
        ref = self._level.reference(extra=loud[lo:])
        self._level.add(loud[lo:hi])
        history = list(self._phones)
        self._record_phones(al.phones, t0, lo / self.fps, hi / self.fps)
        self._scheduled = n_final
        return _Job(f0, lo, hi, n_local, al, samples, ref, history)

    def _animate(self, job: _Job) -> list[StreamFrame]:
        """Animate a prepared window and return its final frames."""
        t0 = time.perf_counter()
        f0, lo, hi, al = job.f0, job.lo, job.hi, job.alignment
        params = self.styler.params(lambda p: animate_window(
            al, job.samples, fps=self.fps, n_frames=job.n_local, tables=self.tables, jaw=p.jaw, lip=p.lip,
            model=self.model, loudness_ref_db=job.ref).weights)
        res = animate_window(al, job.samples, fps=self.fps, n_frames=job.n_local, tables=self.tables,
                             jaw=params.jaw, lip=params.lip, model=self.model, loudness_ref_db=job.ref)
        weights, head = self.styler.apply(res, start_frame=f0, history=job.history, first=lo)
        out = []
        local = al.phones
        j = 0
        for k in range(lo, hi):
            t = k / self.fps
            while j + 1 < len(local) and local[j].end <= t:
                j += 1
            frame = StreamFrame(f0 + k, (f0 + k) / self.fps, weights[k].copy(),
                                None if head is None else head[k].copy(), local[j].label)
            out.append(frame)
            self._weights.append(frame.weights)
            self._head.append(frame.head_pose)
        self.stats.animate_seconds.append(time.perf_counter() - t0)
        return out

    # ------------------------------------------------------------------ background worker
    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="kmtalk-stream", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._done.put(self._animate(job))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                self._error = exc
                self._done.put([])
                return

    def _collect(self, wait: bool = False) -> list[StreamFrame]:
        """Frames the worker has finished (all of them, waiting, when ``wait``)."""
        if self._worker is not None and wait:
            self._jobs.put(None)
            self._worker.join()
        out: list[StreamFrame] = []
        while True:
            try:
                out += self._done.get_nowait()
            except queue.Empty:
                break
        if self._error is not None:
            raise self._error
        return out

    def _record_phones(self, local: list[Interval], t0: float, a: float, b: float) -> None:
        """Append the window's phones over local ``[a, b)`` to the emitted-phones tier (stream time)."""
        for p in local:
            if p.end <= a or p.start >= b:
                continue
            start, end = t0 + max(p.start, a), t0 + min(p.end, b)
            last = self._phones[-1] if self._phones else None
            if last is not None and last.label == p.label and abs(last.end - start) < 1e-6:
                self._phones[-1] = replace(last, end=end)
            else:
                self._phones.append(Interval(p.label, start, end, stress=p.stress))

    # ------------------------------------------------------------------ results
    def animation(self) -> Animation:
        """Everything emitted so far as an :class:`~kmtalk.Animation` (phones as they were known)."""
        if not self._weights:
            raise KmtalkError("no frame has been emitted yet")
        weights = np.stack(self._weights)
        head = None
        if any(h is not None for h in self._head):
            head = np.stack([np.zeros(6, np.float32) if h is None else h for h in self._head])
        meta = {"method": self.method, "stream": {"lookahead": self.lookahead, "hop": self.hop,
                                                  "context": self.context},
                "transcript_free": self.transcript is None, "transcript": self.transcript or "",
                "styles": self.styler.specs, "seed": self.seed}
        return Animation(fps=self.fps, weights=weights, head_pose=head, phones=list(self._phones), meta=meta)


def stream_frames(
    chunks: Iterable[np.ndarray],
    transcript: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Iterator[StreamFrame]:
    """Generator: animate an iterable of audio chunks, yielding each frame as soon as it is final.

    ``options`` are those of :class:`Stream` (``sample_rate``, ``lookahead``, ``style`` …).

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.stream import stream_frames
    >>> silence = (np.zeros(1600, np.float32) for _ in range(5))
    >>> frames = list(stream_frames(silence, "hello", method="prior"))
    >>> len(frames), frames[0].index, frames[-1].index
    (15, 0, 14)
    """
    return Stream(transcript, **options).run(chunks)
