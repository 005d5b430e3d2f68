"""Live forced alignment: a known transcript aligned, phone by phone, to audio that is still arriving.

For speech whose words are known before it is heard (text-to-speech, a read
script). One pocketsphinx utterance stays open; each piece of audio is
decoded as it comes (the cost is proportional to the audio, about 1 ms of
computation per 20 ms here), and the best partial path through a grammar of
the transcript's *phones* gives phone boundaries at any moment.

The grammar: every phone of every word is its own dictionary entry
(``w12v0p3``: word 12, pronunciation variant 0, phone 3), chained word after
word, with each word's variants as parallel branches and an optional pause
(``<sil>``, a self-loop) after every word and at the start. Pauses are only
allowed between words, never inside one (pocketsphinx's automatic filler
loops are off), so a /p/ or /b/ closure is never taken for a pause. Because
the phones are the grammar's words, the segmentation *is* the phone
alignment: no second (state-level) pass is needed, unlike
:class:`~phoneme.aligners.pocketsphinx.PocketsphinxAligner`.

Partial paths are open-ended: before the last phone there may be words not
yet spoken; the interval after the last finished phone is filled with the
phone the transcript says comes next. Grammars hold ``max_words`` words at a
time; utterances restart at settled pauses (see :mod:`phoneme.live.base`).

Differences from the offline aligner, measured in ``docs/benchmarks.md``
("Streaming"): the cepstral mean is estimated live (the first few hundred
milliseconds align a little worse), there are no skip arcs (every word is
assumed spoken, as in TTS), and no confidences or issues are reported.

Examples
--------
>>> import numpy as np
>>> from phoneme.live.aligner import LiveAligner
>>> live = LiveAligner("hello there")
>>> live.feed(np.zeros(8000, np.float32))
>>> [p.label for p in live.phones()][:1]
['sil']
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Sequence

import numpy as np
import pocketsphinx

from ..aligners.base import Pronunciations
from ..errors import AlignmentError, BackendUnavailableError, TranscriptError
from ..g2p import Pronouncer, default_pronouncer
from ..phones import arpabet_to_ipa, is_vowel, split_stress
from ..text import normalize_text
from ..types import SILENCE, Interval
from .base import LiveDecoder, Segment

__all__ = ["LiveAligner"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^w(\d+)v(\d+)p(\d+)$")
_SIL = "<sil>"
_MIN_PAUSE = 15  # frames: shortest pause preferred as a restart cut
#: Typical phone durations (frames) in read English (pocketsphinx alignments of the LibriVox lines in
#: ../shared/data/speech: consonants 86 ms, monophthongs 79 ms, diphthongs 170 ms mean).
_PHONE_FRAMES = 8
_DIPHTHONG_FRAMES = 15
#: Seconds of speech inside a pause (or of one phone) after which the path counts as lost.
_LOST_S = 0.5


class LiveAligner(LiveDecoder):
    """Align a transcript to a live audio stream (English, pocketsphinx's bundled model).

    Parameters
    ----------
    transcript : str or sequence of str
        The text (normalised with :func:`phoneme.text.normalize_text`), or
        already-normalised words.
    pronunciations : mapping, optional
        Word → ARPAbet pronunciation(s) that win over CMUdict and G2P.
    max_words : int, default 40
        Words in one utterance's grammar (a restart moves the window on).
    beam, pbeam, wbeam : float
        Viterbi beams, as wide as the offline aligner's.
    restart_after, keep_s : float
        See :class:`~phoneme.live.base.LiveDecoder`.

    Raises
    ------
    TranscriptError
        No speakable words.
    PronunciationError
        A word that cannot be pronounced.
    """

    def __init__(
        self,
        transcript: str | Sequence[str],
        *,
        pronunciations: Pronunciations | None = None,
        max_words: int = 40,
        beam: float = 1e-100,
        pbeam: float = 1e-100,
        wbeam: float = 1e-80,
        restart_after: float = 10.0,
        keep_s: float = 4.0,
    ) -> None:
        words = normalize_text(transcript) if isinstance(transcript, str) else [str(w) for w in transcript]
        if not words:
            raise TranscriptError("the transcript has no speakable words; give the words that will be spoken")
        if max_words < 4:
            raise AlignmentError(f"max_words must be at least 4, got {max_words}")
        pronouncer = Pronouncer(pronunciations) if pronunciations else default_pronouncer()
        self.words: list[str] = words
        self.variants: list[list[list[str]]] = [self._variants(w, pronouncer) for w in words]
        self.max_words = int(max_words)
        self._beams = (float(beam), float(pbeam), float(wbeam))
        self._first = 0  # transcript index of the current grammar's first word
        self.recoveries = 0  # restarts after the best path lost the speech
        self._n_fsg = 0
        super().__init__(restart_after=restart_after, keep_s=keep_s)

    @staticmethod
    def _variants(word: str, pronouncer: Pronouncer) -> list[list[str]]:
        seen: set[tuple[str, ...]] = set()
        kept = []
        for pron in pronouncer.arpabet(word):
            bare = tuple(split_stress(p)[0] for p in pron)
            if bare and bare not in seen:
                seen.add(bare)
                kept.append(list(pron))
        if not kept:
            raise TranscriptError(f"word {word!r} has an empty pronunciation")
        return kept

    # ------------------------------------------------------------------ decoder and grammar
    def _make_decoder(self) -> pocketsphinx.Decoder:
        lines = [f"w{k}v{v}p{i} {split_stress(ph)[0]}"
                 for k, variants in enumerate(self.variants)
                 for v, pron in enumerate(variants) for i, ph in enumerate(pron)]
        beam, pbeam, wbeam = self._beams
        with tempfile.TemporaryDirectory(prefix="kmtalk-live-") as tmp:
            path = os.path.join(tmp, "phones.dict")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
            try:
                return pocketsphinx.Decoder(lm=None, dict=path, loglevel="FATAL", logfn=os.devnull,
                                            beam=beam, pbeam=pbeam, wbeam=wbeam, bestpath=False,
                                            fsgusefiller=False, samprate=self.sample_rate)
            except (RuntimeError, ValueError, KeyError) as exc:
                raise BackendUnavailableError(f"pocketsphinx could not start ({exc})") from exc

    def _start_state(self) -> int:
        return 0

    def _configure(self, state: int) -> None:
        """A grammar of words ``state .. state + max_words - 1`` (``state`` = transcript index)."""
        self._first = state
        last = min(len(self.words), state + self.max_words)
        trans: list[tuple] = [(0, 0, 1.0, _SIL)]
        node, fresh = 0, 1
        for k in range(state, last):
            ends = []
            for v, pron in enumerate(self.variants[k]):
                s = node
                for i in range(len(pron) - 1):
                    trans.append((s, fresh, 1.0, f"w{k}v{v}p{i}"))
                    s, fresh = fresh, fresh + 1
                ends.append((s, f"w{k}v{v}p{len(pron) - 1}"))
            end, fresh = fresh, fresh + 1
            trans += [(s, end, 1.0, name) for s, name in ends]
            trans.append((end, end, 1.0, _SIL))
            node = end
        self._n_fsg += 1
        name = f"live{self._n_fsg}"
        fsg = self._decoder.create_fsg(name, 0, node, trans)
        self._decoder.add_fsg(name, fsg)
        self._decoder.activate_search(name)
        if self._n_fsg > 1:
            try:
                self._decoder.remove_search(f"live{self._n_fsg - 1}")
            except (KeyError, RuntimeError):
                pass

    # ------------------------------------------------------------------ segments → phones
    def _phone(self, k: int, v: int, i: int, start: float, end: float) -> Interval:
        ipa, stress = arpabet_to_ipa(self.variants[k][v][i])
        return Interval(ipa, start, max(end, start), stress=stress, word=k)

    def _next(self, last: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
        """(word, variant, phone) the transcript says comes after ``last`` (None: the end)."""
        if last is None:
            return (self._first, 0, 0) if self._first < len(self.words) else None
        k, v, i = last
        if i + 1 < len(self.variants[k][v]):
            return k, v, i + 1
        return (k + 1, 0, 0) if k + 1 < len(self.words) else None

    def _typical(self, k: int, v: int, i: int) -> int:
        """Typical duration (frames) of a phone: consonants and vowels 80 ms, diphthongs 150 ms."""
        ipa, _ = arpabet_to_ipa(self.variants[k][v][i])
        return _DIPHTHONG_FRAMES if len(ipa) > 1 and is_vowel(ipa) else _PHONE_FRAMES

    def _forecast(self, last: tuple[int, int, int] | None, start: int, end: int) -> list[Interval]:
        """The transcript's next phones after ``last``, at typical durations, over frames ``start .. end``."""
        out: list[Interval] = []
        fr = self.frame_rate
        t = start
        nxt = self._next(last)
        while t < end:
            if nxt is None:
                out.append(Interval(SILENCE, t / fr, end / fr))
                break
            d = self._typical(*nxt)
            out.append(self._phone(*nxt, t / fr, min(t + d, end) / fr))
            t += d
            nxt = self._next(nxt)
        return out

    def _to_phones(self, segments: list[Segment], end_frame: int, final: bool) -> list[Interval]:
        out: list[Interval] = []
        last: tuple[int, int, int] | None = None
        fr = self.frame_rate
        # The partial path ends with whatever exited at the newest frame: usually the phone
        # (or pause) *before* the one being spoken, stretched to now, because the phone in
        # progress has not exited yet. So the last segment is cut back to a typical length
        # (a pause: to its quiet part), and the rest is filled with the transcript's next
        # phones at typical durations (a forecast the next update corrects).
        open_end = not final and bool(segments)
        body = segments[:-1] if open_end else segments
        for word, a, b in body:
            m = _NAME.match(word)
            if m is None:  # <sil>, <s>, </s>
                if b > a:
                    if out and out[-1].label == SILENCE:
                        out[-1] = Interval(SILENCE, out[-1].start, b / fr)
                    else:
                        out.append(Interval(SILENCE, a / fr, b / fr))
                continue
            last = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            out.append(self._phone(*last, a / fr, b / fr))
        t = int(round(out[-1].end * fr)) if out else self._offset
        if open_end:
            word, a, _ = segments[-1]
            a = max(a, t)
            m = _NAME.match(word)
            if m is None:  # a pause: as long as the audio stays quiet
                loud = np.flatnonzero(self._loud(a, end_frame))
                stop = end_frame if loud.size == 0 else a + int(loud[0])
                if stop > a:
                    out.append(Interval(SILENCE, a / fr, stop / fr))
                t = stop
            else:
                last = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
                stop = min(end_frame, a + max(self._typical(*last), 1))
                out.append(self._phone(*last, a / fr, stop / fr))
                t = stop
            out += self._forecast(last, t, end_frame)
        elif end_frame > t:
            out.append(Interval(SILENCE, t / fr, end_frame / fr))
        if out and out[0].start > self._offset / fr + 1e-9:  # the utterance's first frames, if unlabelled
            out.insert(0, Interval(SILENCE, self._offset / fr, out[0].start))
        merged: list[Interval] = []
        for p in out:
            if merged and p.label == SILENCE and merged[-1].label == SILENCE:
                merged[-1] = Interval(SILENCE, merged[-1].start, p.end)
            elif p.end > p.start or p.label != SILENCE:
                merged.append(p)
        return merged

    def _cut(self, segments: list[Segment], latest: int) -> tuple[int, int] | None:
        word_end: tuple[int, int] | None = None
        pause: tuple[int, int] | None = None
        nxt = self._first  # the word after the last complete one
        for word, a, b in segments:
            m = _NAME.match(word)
            if m is None:
                mid = (a + b) // 2
                if b - a >= _MIN_PAUSE and mid <= latest:
                    pause = (mid, nxt)
                continue
            k, v, i = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if i == len(self.variants[k][v]) - 1:
                nxt = k + 1
                if b <= latest:
                    word_end = (b, k + 1)
        # a pause when there is one; a bare word boundary only when the grammar runs short
        # or the utterance has gone on for twice the restart time without a pause
        near_end = nxt >= self._first + self.max_words - 8
        too_long = (segments[-1][2] - self._offset if segments else 0) > 2 * self.restart_after * self.frame_rate
        choice = pause or (word_end if (near_end or too_long) else None)
        return choice

    def _lost(self, segments: list[Segment]) -> tuple[int, int] | None:
        """Where to restart when the best path has lost the speech, or None.

        With band-limited or noisy audio the beams can prune every path through
        the words being spoken; the best partial path then sits in a pause (or
        stretches one phone) while the audio is plainly speech, and would stay
        there. Detected as more than ``_LOST_S`` of loud audio inside the last
        pause (or one phone stretched over ``_LOST_S``): the utterance restarts
        where that pause (or that word) began, with the words from there on.
        """
        if not segments:
            return None
        word, a, _ = segments[-1]
        m = _NAME.match(word)
        lost = int(_LOST_S * self.frame_rate)
        if m is None:
            nxt = self._first
            for w, _, _ in segments:
                mm = _NAME.match(w)
                if mm and int(mm.group(3)) == len(self.variants[int(mm.group(1))][int(mm.group(2))]) - 1:
                    nxt = int(mm.group(1)) + 1
            if nxt < len(self.words) and self._loud(a, self._fed // self.hop).sum() > lost:
                return a, nxt
            return None
        k = int(m.group(1))
        if self._fed // self.hop - a > lost:
            start = next(sa for w, sa, _ in segments if (mm := _NAME.match(w)) and int(mm.group(1)) == k)
            return start, k
        return None

    def restart(self, settled: float) -> bool:
        if self._finished:
            return False
        earliest = max(-(-self._pcm_start // self.hop), self._offset + 1)
        segments = self._segments()
        lost = self._lost(segments)
        if lost is not None and lost[0] >= earliest:
            self.recoveries += 1
            log.debug("live aligner lost the speech; restarting at %.2f s", lost[0] / self.frame_rate)
            return self._restart_at(segments, *lost)
        # the grammar may run out of words before restart_after: then restart as soon as possible
        if self._first + self.max_words < len(self.words):
            last = next((int(_NAME.match(w).group(1)) for w, _, _ in reversed(segments) if _NAME.match(w)), -1)
            if last >= self._first + self.max_words - 8:
                saved, self.restart_after = self.restart_after, 0.0
                try:
                    return super().restart(settled)
                finally:
                    self.restart_after = saved
        return super().restart(settled)
