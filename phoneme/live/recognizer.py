"""Live recognition: timed phones from speech without a transcript, as the audio arrives.

pocketsphinx's default US-English acoustic and language model (the search
settings of :data:`phoneme.recognize.DECODER_OPTIONS`) decode each piece of
audio as it comes; the best partial hypothesis gives timed words, and each
word's phones are spread evenly over it (the recogniser's own phone timing
cannot be read: pocketsphinx 5 crashes when asked for a state alignment after
a language-model decode). Fillers (``<s>``, ``[NOISE]``, ``[SPEECH]`` …)
become pauses.

This is the transcript-free path of streaming: the words are often wrong, the
phone boundaries inside a word are estimates, and the decode costs more
than live forced alignment (about 0.1–0.4 s per second of audio here,
``docs/benchmarks.md``). The phones still close the lips on most /p b m/.

Examples
--------
>>> import numpy as np
>>> from phoneme.live.recognizer import LiveRecognizer
>>> live = LiveRecognizer()
>>> live.feed(np.zeros(4000, np.float32))
>>> all(p.label == "sil" for p in live.phones())
True
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pocketsphinx

from ..errors import BackendUnavailableError
from ..phones import arpabet_to_ipa
from ..recognize import DECODER_OPTIONS
from ..types import SILENCE, Interval
from .base import LiveDecoder, Segment

__all__ = ["LiveRecognizer"]

_MIN_PAUSE = 15  # frames


def _is_filler(word: str) -> bool:
    return word.startswith(("<", "["))


class LiveRecognizer(LiveDecoder):
    """Recognise English speech live and report timed phones.

    Parameters
    ----------
    restart_after, keep_s : float
        See :class:`~phoneme.live.base.LiveDecoder`.
    **options
        pocketsphinx settings that override :data:`phoneme.recognize.DECODER_OPTIONS`
        (e.g. ``maxhmmpf=2000`` for a faster, less accurate search).
    """

    def __init__(self, *, restart_after: float = 10.0, keep_s: float = 4.0, **options: Any) -> None:
        # no lattice best-path pass at the end of an utterance: only the partial paths are read
        self.options = {**DECODER_OPTIONS, "bestpath": False, **options}
        self._phones_of: dict[str, list[tuple[str, int | None]]] = {}
        super().__init__(restart_after=restart_after, keep_s=keep_s)

    def _make_decoder(self) -> pocketsphinx.Decoder:
        try:
            return pocketsphinx.Decoder(samprate=self.sample_rate, loglevel="FATAL", logfn=os.devnull,
                                        **self.options)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise BackendUnavailableError(f"pocketsphinx could not start ({exc})") from exc

    def _start_state(self) -> int:
        return 0

    def _configure(self, state: int) -> None:
        return None  # the language model needs no per-utterance set-up

    def _word_phones(self, word: str) -> list[tuple[str, int | None]]:
        if word not in self._phones_of:
            pron = (self._decoder.lookup_word(word) or "").split()
            self._phones_of[word] = [arpabet_to_ipa(p) for p in pron]
        return self._phones_of[word]

    def _to_phones(self, segments: list[Segment], end_frame: int, final: bool) -> list[Interval]:
        out: list[Interval] = []
        fr = self.frame_rate

        def pause(a: float, b: float) -> None:
            if out and out[-1].label == SILENCE:
                out[-1] = Interval(SILENCE, out[-1].start, b)
            elif b > a:
                out.append(Interval(SILENCE, a, b))

        t = self._offset / fr
        for n, (word, a, b) in enumerate(segments):
            start, end = max(a / fr, t), b / fr
            if start > t + 1e-9:
                pause(t, start)
            phones = [] if _is_filler(word) else self._word_phones(word)
            if not phones:
                pause(start, end)
            else:
                edges = np.linspace(start, max(end, start), len(phones) + 1)
                out += [Interval(ipa, float(edges[j]), float(edges[j + 1]), stress=stress, word=n)
                        for j, (ipa, stress) in enumerate(phones)]
            t = max(t, end)
        if end_frame / fr > t + 1e-9:
            if out and out[-1].label != SILENCE and not final:  # the word in progress goes on
                out[-1] = Interval(out[-1].label, out[-1].start, end_frame / fr, stress=out[-1].stress,
                                   word=out[-1].word)
            else:
                pause(t, end_frame / fr)
        return out

    def _cut(self, segments: list[Segment], latest: int) -> tuple[int, int] | None:
        best = None
        for word, a, b in segments:
            mid = (a + b) // 2
            if _is_filler(word) and b - a >= _MIN_PAUSE and mid <= latest:
                best = (mid, 0)
        return best
