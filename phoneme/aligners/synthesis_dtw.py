"""Synthesis-based alignment: espeak-ng speaks the transcript, DTW carries its phone times onto the audio.

For languages without an embedded acoustic model (and as a second opinion
for English). The steps:

1. espeak-ng says the transcript (:func:`phoneme.espeak.synthesize`) and
   reports exactly where each word and phoneme starts in its audio: a
   *template* with a known alignment. Its speaking rate is set so that it
   talks about as long as the speech in the audio (silences left out).
2. Both signals become MFCCs with deltas, normalised per utterance
   (:func:`phoneme.aligners.dtw.mfcc`); white noise at the audio's own
   noise level is added to the template first, so that espeak's digital
   silence looks like the recording's.
3. Dynamic time warping (:func:`phoneme.aligners.dtw.warp`) finds the
   cheapest monotone match between the two, with an optional *pause* at
   every word boundary and at both ends: the audio may dwell there on
   silence (a pause the speaker made and espeak did not), or cross it for free.
4. Every template boundary is carried through the path; pauses become
   ``"sil"`` intervals.

espeak's phonemes are turned into lexicon phones by
:func:`phoneme.multilingual.lexicon_phones` (English: the English table of
:mod:`phoneme.espeak.ipa`); the vowels get their stress from
:func:`phoneme.multilingual.pronounce`. Accuracy is measured in
``docs/benchmarks.md`` ("Synthesis-DTW alignment"): tens of milliseconds —
coarser than an acoustic-model aligner, good enough for lip motion.

Examples
--------
>>> from phoneme.espeak import synthesize
>>> from phoneme.aligners import get_aligner
>>> speech = synthesize("hola, ¿cómo estás?", voice="es+f3", rate=140, sample_rate=16000)
>>> a = get_aligner("synthesis_dtw").align(speech.samples, 16000, ["hola", "cómo", "estás"], language="es")
>>> [w.label for w in a.spoken_words()], a.aligner
(['hola', 'cómo', 'estás'], 'synthesis_dtw')
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import AlignmentError, BackendUnavailableError, PronunciationError
from ..lexicon import Lexicon, base_phone, load_lexicon, normalize_phone
from ..types import SILENCE, Alignment, Interval
from .base import Aligner, Pronunciations
from .dtw import HOP_S, column_spans, frame_energy_db, mfcc, warp

__all__ = ["SynthesisDtwAligner"]

log = logging.getLogger(__name__)

_BASE_RATE = 175  # espeak words per minute for the first template
_MIN_RATE, _MAX_RATE = 80, 400
_SILENCE_BELOW_DB = 35.0  # frames this far under the speech level (95th percentile) are silence
_MIN_PAUSE_S = 0.03  # shorter pauses are left inside the neighbouring phones
_MIN_PHONE_S = 0.01
_SQUEEZED_S = 0.025  # a word placed in less than this per phone is reported


@dataclass
class _TemplatePhone:
    label: str
    start: float
    end: float
    token: int
    stress: int | None = None


def _speech_seconds(energy_db: np.ndarray) -> tuple[float, np.ndarray]:
    """Seconds of speech (frames within 35 dB of the speech level) and the silence mask."""
    level = float(np.percentile(energy_db, 95))
    silent = energy_db < level - _SILENCE_BELOW_DB
    return float((~silent).sum()) * HOP_S, silent


def _word_events(events: list) -> list[tuple[int, int]]:
    """(text position, length) of the words espeak spoke with at least one phoneme, in order.

    Mirrors how :func:`phoneme.espeak.synthesize` numbers its words
    (``Synthesis.phoneme_word`` indexes this list).
    """
    from ..espeak import _library as _lib
    from ..espeak.ipa import strip_stress

    words: list[list[int]] = []
    for ev in events:
        if ev.type == _lib.EVENT_WORD and ev.length > 0:
            words.append([ev.text_position, ev.length, 0])
        elif ev.type == _lib.EVENT_PHONEME and strip_stress(ev.name) and words:
            words[-1][2] += 1
    return [(pos, length) for pos, length, n in words if n]


class SynthesisDtwAligner(Aligner):
    """Align by warping an espeak-ng rendition of the transcript onto the audio.

    Parameters
    ----------
    voice : str, optional
        espeak-ng voice for the template (default: the language's own, see
        :func:`phoneme.multilingual.espeak_voice`).
    match_rate : bool, default True
        Set the template's speaking rate so that its speech lasts as long as
        the audio's (one extra synthesis).
    lexicon : Lexicon or str, optional
        Lexicon every phone must be in (default: bundled).
    diagonal_weight : float, default 1
        DTW cost factor of a diagonal step (see :func:`phoneme.aligners.dtw.warp`).

    Notes
    -----
    Needs espeak-ng's library (``libespeak-ng1``); without it
    :meth:`is_available` is False and aligning raises
    :class:`~phoneme.errors.BackendUnavailableError`. The whole line is
    warped at once: lines of more than about a minute raise
    :class:`~phoneme.errors.AlignmentError` (split them first).
    """

    name = "synthesis_dtw"
    sample_rate = 16000

    def __init__(
        self,
        *,
        voice: str | None = None,
        match_rate: bool = True,
        lexicon: Lexicon | str | None = None,
        diagonal_weight: float = 1.0,
    ) -> None:
        self.voice = voice
        self.match_rate = bool(match_rate)
        self.lexicon = lexicon
        self.diagonal_weight = float(diagonal_weight)

    @classmethod
    def is_available(cls) -> bool:
        """True when espeak-ng's library loads."""
        from ..espeak import _library as _lib

        try:
            _lib.library()
        except BackendUnavailableError:
            return False
        return True

    # ------------------------------------------------------------------ template
    def _template(self, text: str, voice: str, rate: int):
        from ..espeak import synthesize

        return synthesize(text, voice=voice, rate=rate, sample_rate=self.sample_rate)

    def _phones(self, syn, words: Sequence[str], offsets: list[int], language: str,
                lex: Lexicon) -> tuple[list[_TemplatePhone], list[str]]:
        """The template's phones as lexicon phones, each assigned to a transcript word."""
        from ..espeak.ipa import espeak_to_ipa
        from ..multilingual import is_english, lexicon_phones, pronounce

        issues: list[str] = []
        english = is_english(language)
        spoken = _word_events(syn.events)
        if len(spoken) != len(syn.words):  # pragma: no cover - guards a change in synthesize()
            raise AlignmentError("espeak-ng's word events do not match its timing; cannot align")
        ends = [o + len(w) for o, w in zip(offsets, words)]
        prons = pronounce(list(words), language=language, lexicon=lex)

        # which transcript words each espeak word covers
        covers: list[list[int]] = []
        for pos, length in spoken:
            lo, hi = pos - 1, pos - 1 + length
            toks = [k for k, (a, b) in enumerate(zip(offsets, ends)) if a < hi and b > lo]
            if not toks:  # a position between words: the word before it
                toks = [max([k for k, a in enumerate(offsets) if a <= lo] or [0])]
            covers.append(toks)

        by_word: dict[int, list[tuple[str, float, float]]] = {}
        for (label, start, end), widx in zip(syn.phonemes, syn.phoneme_word):
            if widx < 0:
                continue
            try:
                parts = list(espeak_to_ipa(label)) if english else []
            except PronunciationError:
                parts = []
            if not parts:
                word = words[covers[widx][0]]
                parts = [p for p, _ in lexicon_phones(label, lexicon=lex, word=word, language=language)]
            step = (end - start) / max(len(parts), 1)
            for k, part in enumerate(parts):
                by_word.setdefault(widx, []).append((part, start + k * step, start + (k + 1) * step))

        phones: list[_TemplatePhone] = []
        for widx, toks in enumerate(covers):
            items = by_word.get(widx, [])
            if len(toks) == 1:
                phones += [_TemplatePhone(lab, s, e, toks[0]) for lab, s, e in items]
                continue
            # espeak said several transcript words as one ("of a"): share its phones by
            # each word's own phone count
            k = 0
            for n, tok in enumerate(toks):
                count = len(items) - k if n == len(toks) - 1 else min(len(prons[tok].phones), len(items) - k)
                phones += [_TemplatePhone(lab, s, e, tok) for lab, s, e in items[k:k + count]]
                k += count
        said = {p.token for p in phones}
        for k, w in enumerate(words):
            if k not in said:
                issues.append(f"espeak-ng said nothing for the word {w!r}; it is left out of the alignment")
        # stress from the word's pronunciation, matched phone by phone
        for tok in said:
            mine = [p for p in phones if p.token == tok]
            ref = prons[tok]
            key = [base_phone(normalize_phone(p.label)) for p in mine]
            ref_key = [base_phone(normalize_phone(p)) for p in ref.phones]
            sm = difflib.SequenceMatcher(a=key, b=ref_key, autojunk=False)
            for a, b, size in sm.get_matching_blocks():
                for d in range(size):
                    mine[a + d].stress = ref.stress[b + d]
            for p in mine:
                if p.stress is None and lex.entry(p.label).is_vowel:
                    p.stress = 0
        return phones, issues

    # ------------------------------------------------------------------ align
    def align(
        self,
        samples: np.ndarray,
        sample_rate: int,
        words: Sequence[str],
        *,
        language: str = "en",
        pronunciations: Pronunciations | None = None,
    ) -> Alignment:
        """Align ``words`` to ``samples`` (mono, at :attr:`sample_rate`).

        Raises
        ------
        AlignmentError
            Pronunciation overrides (espeak pronounces the words; use ``mfa``
            for those), or audio too long to warp in one piece.
        LexiconError
            espeak uses a phone the lexicon cannot map (named with its word).
        UnknownVoiceError
            No espeak-ng voice for ``language``.
        """
        from ..audio import load_audio
        from ..multilingual import espeak_voice

        if pronunciations:
            raise AlignmentError("the synthesis_dtw aligner takes its pronunciations from espeak-ng and "
                                 "cannot use pronunciation overrides; use aligner='mfa' for those")
        words = [str(w) for w in words]
        if not words:
            raise AlignmentError("nothing to align: the word list is empty")
        samples, sample_rate = load_audio((samples, sample_rate), sample_rate=self.sample_rate)
        duration = len(samples) / float(sample_rate)
        voice = self.voice or espeak_voice(language)
        lex = load_lexicon(self.lexicon)
        text = " ".join(words)
        offsets, pos = [], 0
        for w in words:
            offsets.append(pos)
            pos += len(w) + 1

        energy = frame_energy_db(samples, sample_rate)
        speech_s, silent = _speech_seconds(energy)
        syn = self._template(text, voice, _BASE_RATE)
        rate = _BASE_RATE
        if self.match_rate and speech_s > 0:
            t_speech, _ = _speech_seconds(frame_energy_db(syn.samples, syn.sample_rate))
            rate = int(np.clip(round(_BASE_RATE * t_speech / speech_s), _MIN_RATE, _MAX_RATE))
            if abs(rate - _BASE_RATE) > 0.05 * _BASE_RATE:
                syn = self._template(text, voice, rate)
            else:
                rate = _BASE_RATE
        phones, issues = self._phones(syn, words, offsets, language, lex)
        if not phones:
            raise AlignmentError(f"espeak-ng spoke no phone of {text[:60]!r}")

        # the template, with the recording's noise level
        level = float(np.percentile(energy, 95))
        floor = float(np.percentile(energy, 5))
        tmpl = np.asarray(syn.samples, np.float64)
        t_level = float(np.percentile(frame_energy_db(tmpl, syn.sample_rate), 95))
        noise_db = t_level + max(floor - level, -90.0)
        rng = np.random.default_rng(0)
        tmpl = tmpl + rng.standard_normal(tmpl.size) * 10.0 ** (noise_db / 20.0)
        q = mfcc(samples, sample_rate)
        t = mfcc(tmpl, syn.sample_rate)

        # extended template: a pause column before the first frame, at every word start, after the last
        n_t = len(t)
        firsts: dict[int, float] = {}
        for p in phones:
            firsts.setdefault(p.token, p.start)
        starts = sorted({min(int(np.floor(s / HOP_S + 0.5)), n_t - 1) for tok, s in firsts.items()
                         if tok != phones[0].token})
        cut = [0, *starts, n_t]
        blocks, ext_index, pause_at = [], np.zeros(n_t, np.int64), {}
        col = 0
        for k in range(len(cut) - 1):
            pause_at[cut[k]] = col
            blocks.append(None)
            col += 1
            ext_index[cut[k]:cut[k + 1]] = np.arange(col, col + cut[k + 1] - cut[k])
            blocks.append(t[cut[k]:cut[k + 1]])
            col += cut[k + 1] - cut[k]
        end_pause = col
        blocks.append(None)
        col += 1
        pause_mask = np.zeros(col, bool)
        feats = np.zeros((col, t.shape[1]))
        c = 0
        for b in blocks:
            if b is None:
                pause_mask[c] = True
                c += 1
            else:
                feats[c:c + len(b)] = b
                c += len(b)
        quiet = silent if silent.sum() >= 3 else energy <= np.percentile(energy, 5)
        silence_vec = q[quiet[: len(q)]].mean(axis=0)
        path = warp(q, feats, pause_columns=pause_mask, silence=silence_vec,
                    diagonal_weight=self.diagonal_weight)
        spans = column_spans(path, col, zero_width=pause_mask)

        def ext(seconds: float) -> float:
            u = min(max(seconds / HOP_S + 0.5, 0.0), n_t - 1e-9)
            k = int(u)
            return float(ext_index[k]) + (u - k)

        def to_time(x: float) -> float:
            k = min(int(x), col - 1)
            a, b = spans[k]
            return float(np.clip((a + (x - k) * (b - a)) * HOP_S, 0.0, duration))

        # carry every phone over; clamp at the pauses between words
        out: list[tuple[_TemplatePhone, float, float]] = []
        for n, p in enumerate(phones):
            xs, xe = ext(p.start), ext(p.end)
            if n == 0 or phones[n - 1].token != p.token:
                frame = min(int(np.floor(p.start / HOP_S + 0.5)), n_t - 1)
                if frame in pause_at and pause_at[frame] > 0:
                    xs = max(xs, float(pause_at[frame] + 1))
            if n + 1 == len(phones):
                xe = min(xe, float(end_pause))
            elif phones[n + 1].token != p.token:
                frame = min(int(np.floor(phones[n + 1].start / HOP_S + 0.5)), n_t - 1)
                if frame in pause_at:
                    xe = min(xe, float(pause_at[frame]))
            xs = max(xs, float(pause_at[0] + 1)) if n == 0 else xs
            out.append((p, to_time(xs), to_time(max(xe, xs))))
        return self._assemble(out, words, duration, text, language, rate, issues)

    # ------------------------------------------------------------------ result
    def _assemble(self, timed: list[tuple[_TemplatePhone, float, float]], words: Sequence[str],
                  duration: float, text: str, language: str, rate: int, issues: list[str]) -> Alignment:
        starts = np.array([s for _, s, _ in timed])
        ends = np.array([e for _, _, e in timed])
        n = len(timed)
        for k in range(n):  # monotone; gaps too short for a pause go to the phone before them
            if k:
                starts[k] = max(starts[k], ends[k - 1])
                if starts[k] - ends[k - 1] < _MIN_PAUSE_S:
                    ends[k - 1] = starts[k]
            ends[k] = max(ends[k], starts[k])
        for k in range(n):  # every phone at least _MIN_PHONE_S where the next one leaves room
            if ends[k] - starts[k] < _MIN_PHONE_S:
                limit = ends[k + 1] if k + 1 < n else duration
                ends[k] = min(starts[k] + _MIN_PHONE_S, max(limit, ends[k]))
                if k + 1 < n and starts[k + 1] < ends[k]:
                    starts[k + 1] = ends[k]
                    ends[k + 1] = max(ends[k + 1], starts[k + 1])
        # words: the span of their phones; gaps are silence
        word_items: list[Interval] = []
        token_word: dict[int, int] = {}
        for tok in sorted({p.token for p, _, _ in timed}):
            idx = [k for k, (p, _, _) in enumerate(timed) if p.token == tok]
            s, e = float(starts[idx[0]]), float(ends[idx[-1]])
            if e - s < _SQUEEZED_S * len(idx):
                issues.append(f"the word {words[tok]!r} got only {1000 * (e - s):.0f} ms for {len(idx)} "
                              "phones: the audio may not contain it")
            token_word[tok] = len(word_items)
            word_items.append(Interval(words[tok], s, e))
        filled_words = _fill(word_items, duration)
        spoken = [k for k, w in enumerate(filled_words) if not w.is_silence]
        phone_items = [Interval(p.label, float(starts[k]), float(ends[k]), stress=p.stress,
                                word=spoken[token_word[p.token]]) for k, (p, _, _) in enumerate(timed)]
        log.debug("synthesis_dtw: %d words, %d phones, template at %d wpm", len(word_items),
                  len(phone_items), rate)
        return Alignment(words=filled_words, phones=_fill(phone_items, duration), duration=duration,
                         transcript=text, aligner=self.name, language=language, issues=issues)


def _fill(items: list[Interval], duration: float) -> list[Interval]:
    """Contiguous tier over [0, duration]: gaps become silence."""
    out: list[Interval] = []
    t = 0.0
    for it in items:
        if it.start > t + 1e-9:
            out.append(Interval(SILENCE, t, it.start))
        out.append(it)
        t = max(t, it.end)
    if duration > t + 1e-9:
        out.append(Interval(SILENCE, t, duration))
    return out
