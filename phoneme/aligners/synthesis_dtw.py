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
from ..loudness import band_energy_db
from ..types import Alignment, Interval, fill_silence
from .base import Aligner, Pronunciations
from .dtw import HOP_S, column_spans, mfcc, warp

__all__ = ["SynthesisDtwAligner"]

log = logging.getLogger(__name__)

_BASE_RATE = 175  # espeak words per minute for the first template
_MIN_RATE, _MAX_RATE = 80, 400
_LEVEL_WEIGHT = 3.0
_HOLD_PENALTY = 1.0  # see warp(): long silences become pauses, not stretched stop closures
_MIN_PAUSE_S = 0.03  # shorter pauses are left inside the neighbouring phones
_MIN_PHONE_S = 0.01
_LONG_SILENCE_S = 0.15  # longer silence at a word's edge is a pause, not a closure or a fade
_SQUEEZED_S = 0.025  # a word placed in less than this per phone is reported


@dataclass
class _TemplatePhone:
    label: str
    start: float
    end: float
    token: int
    stress: int | None = None


def _speech_threshold(energy_db: np.ndarray) -> float:
    """The level (dB) that best splits the frames into two classes, speech and silence (Otsu's method).

    Never more than 10 dB under the speech level (the 95th percentile).
    """
    lo, hi = np.percentile(energy_db, [2, 99])
    x = np.clip(energy_db, lo, hi)
    if hi - lo < 1e-6:
        return float(hi)
    cands = np.linspace(lo, hi, 202)[1:-1]
    below = x[None, :] < cands[:, None]
    n0 = below.sum(1)
    n1 = x.size - n0
    s0 = (below * x[None, :]).sum(1)
    s1 = x.sum() - s0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = n0 * n1 * (s0 / n0 - s1 / n1) ** 2
    between[(n0 < 2) | (n1 < 2)] = -1.0
    return float(min(cands[int(np.argmax(between))], np.percentile(energy_db, 95) - 10.0))


def _speech_seconds(energy_db: np.ndarray) -> tuple[float, np.ndarray]:
    """Seconds of speech and the mask of clearly silent frames (3 dB under the speech threshold)."""
    th = _speech_threshold(energy_db)
    return float((energy_db >= th).sum()) * HOP_S, energy_db < th - 3.0


def _features(samples: np.ndarray, sample_rate: int, energy: np.ndarray) -> np.ndarray:
    """MFCCs with deltas, plus the level relative to the speech level (so that silence matches silence).

    The level is ``(dB - 95th percentile) / 10``, clipped to [-3, 0.5] (30 dB
    of range), weighted ``_LEVEL_WEIGHT`` against the 24 unit-variance MFCC
    dimensions.
    """
    feats = mfcc(samples, sample_rate)
    rel = np.clip((energy - np.percentile(energy, 95)) / 10.0, -3.0, 0.5)
    return np.hstack([feats, _LEVEL_WEIGHT * rel[: len(feats), None]])


def _pause_cost(q: np.ndarray, energy: np.ndarray, silent: np.ndarray) -> np.ndarray:
    """Per query frame: the cost of spending it in a pause (distance to the recording's silence)."""
    quiet = silent if silent.sum() >= 3 else energy <= np.percentile(energy, 5)
    silence_vec = q[quiet[: len(q)]].mean(axis=0)
    cost = np.sqrt(((q - silence_vec[None, :]) ** 2).sum(1))
    return cost


def _trim_pauses(phones: list[_TemplatePhone], starts: list[float], ends: list[float],
                 energy: np.ndarray, threshold: float) -> None:
    """Give silence at word edges back to the pauses (in place).

    * A word that starts with a stop after a pause starts at the stop's burst:
      after silence a closure cannot be told from the pause (the convention
      of hand labelling and of espeak-ng's own events).
    * Any word edge that the warp stretched over more than ``_LONG_SILENCE_S``
      of silence (a pause the template did not have, taken for a closure or
      a fading vowel) moves to where the sound starts or stops.
    """
    from ..espeak.ipa import espeak_manner

    n_frames = len(energy)

    def silent(i: int) -> bool:
        return 0 <= i < n_frames and energy[i] < threshold

    for k, p in enumerate(phones):
        if k == 0 or phones[k - 1].token != p.token:  # word start
            i = int(np.floor(starts[k] / HOP_S + 0.5))
            j = i
            limit = ends[k] - _MIN_PHONE_S
            while silent(j) and (j + 1) * HOP_S <= limit:
                j += 1
            after_pause = k == 0 or starts[k] - ends[k - 1] >= _MIN_PAUSE_S
            stop = espeak_manner(p.label) in ("stop", "affricate")
            if (stop and after_pause) or (j - i) * HOP_S >= _LONG_SILENCE_S:
                starts[k] = max(starts[k], min(j * HOP_S, limit))
        if k + 1 == len(phones) or phones[k + 1].token != p.token:  # word end
            i = int(np.floor(ends[k] / HOP_S + 0.5)) - 1
            j = i
            while silent(j) and (j - 1) * HOP_S >= starts[k] + _MIN_PHONE_S:
                j -= 1
            if (i - j) * HOP_S >= _LONG_SILENCE_S:
                ends[k] = min(ends[k], (j + 1.5) * HOP_S)


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
        diagonal_weight: float = 1.5,
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
        from .template_synthesis import synthesize_isolated

        return synthesize_isolated(text, voice=voice, rate=rate, sample_rate=self.sample_rate)

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

        # which transcript words each espeak word covers: from its position to the next one's
        # (espeak says some word pairs as one unit, "to be", and reports one word for them)
        covers: list[list[int]] = []
        for n, (pos, _length) in enumerate(spoken):
            lo = pos - 1
            hi = spoken[n + 1][0] - 1 if n + 1 < len(spoken) else len(" ".join(words))
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

        energy = band_energy_db(samples, sample_rate)
        speech_s, silent = _speech_seconds(energy)
        q = _features(samples, sample_rate, energy)
        pause_cost = _pause_cost(q, energy, silent)
        level = float(np.percentile(energy, 95))
        noise_rel_db = max(float(np.percentile(energy, 5)) - level, -90.0)

        # the template's rate: its speech lasts as long as the recording's
        syn = self._template(text, voice, _BASE_RATE)
        rate = _BASE_RATE
        if self.match_rate and speech_s > 0:
            t_speech, _ = _speech_seconds(band_energy_db(syn.samples, syn.sample_rate))
            rate = int(np.clip(round(_BASE_RATE * t_speech / speech_s), _MIN_RATE, _MAX_RATE))
            if abs(rate - _BASE_RATE) <= 0.05 * _BASE_RATE:
                rate = _BASE_RATE
            if rate != _BASE_RATE:
                syn = self._template(text, voice, rate)
        phones, issues = self._phones(syn, words, offsets, language, lex)
        if not phones:
            raise AlignmentError(f"espeak-ng spoke no phone of {text[:60]!r}")
        starts, ends = self._carry(syn, phones, q, pause_cost, noise_rel_db, duration)
        _trim_pauses(phones, starts, ends, energy, _speech_threshold(energy))
        return self._assemble(list(zip(phones, starts, ends)), words, duration, text, language, rate, issues)

    def _carry(self, syn, phones: list[_TemplatePhone], q: np.ndarray, pause_cost: np.ndarray,
               noise_rel_db: float, duration: float) -> tuple[list[float], list[float]]:
        """Warp one template onto the recording's features; the start and end time of every phone."""
        tmpl = np.asarray(syn.samples, np.float64)
        t_energy = band_energy_db(tmpl, syn.sample_rate)
        noise_db = float(np.percentile(t_energy, 95)) + noise_rel_db
        rng = np.random.default_rng(0)  # the recording's noise floor, reproducibly
        tmpl = tmpl + rng.standard_normal(tmpl.size) * 10.0 ** (noise_db / 20.0)
        t = _features(tmpl, syn.sample_rate, band_energy_db(tmpl, syn.sample_rate))

        # extended template: a pause column before the first frame, at every word start, after the last
        n_t = len(t)
        firsts: dict[int, float] = {}
        for p in phones:
            firsts.setdefault(p.token, p.start)
        word_starts = sorted({min(int(np.floor(s / HOP_S + 0.5)), n_t - 1) for tok, s in firsts.items()
                              if tok != phones[0].token})
        cut = [0, *word_starts, n_t]
        ext_index = np.zeros(n_t, np.int64)
        pause_at: dict[int, int] = {}
        pause_cols: list[int] = []
        col = 0
        for k in range(len(cut) - 1):
            pause_at[cut[k]] = col
            pause_cols.append(col)
            col += 1
            ext_index[cut[k]:cut[k + 1]] = np.arange(col, col + cut[k + 1] - cut[k])
            col += cut[k + 1] - cut[k]
        end_pause = col
        pause_cols.append(col)
        col += 1
        pause_mask = np.zeros(col, bool)
        pause_mask[pause_cols] = True
        feats = np.zeros((col, t.shape[1]))
        feats[ext_index] = t
        path = warp(q, feats, pause_columns=pause_mask, pause_cost=pause_cost,
                    diagonal_weight=self.diagonal_weight, hold_penalty=_HOLD_PENALTY)
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
        starts, ends = [], []
        for n, p in enumerate(phones):
            xs, xe = ext(p.start), ext(p.end)
            if n == 0:
                xs = max(xs, 1.0)
            elif phones[n - 1].token != p.token:
                frame = min(int(np.floor(p.start / HOP_S + 0.5)), n_t - 1)
                if pause_at.get(frame, 0) > 0:
                    xs = max(xs, float(pause_at[frame] + 1))
            if n + 1 == len(phones):
                xe = min(xe, float(end_pause))
            elif phones[n + 1].token != p.token:
                frame = min(int(np.floor(phones[n + 1].start / HOP_S + 0.5)), n_t - 1)
                if frame in pause_at:
                    xe = min(xe, float(pause_at[frame]))
            starts.append(to_time(xs))
            ends.append(to_time(max(xe, xs)))
        return starts, ends

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
        filled_words = fill_silence(word_items, duration)
        spoken = [k for k, w in enumerate(filled_words) if not w.is_silence]
        phone_items = [Interval(p.label, float(starts[k]), float(ends[k]), stress=p.stress,
                                word=spoken[token_word[p.token]]) for k, (p, _, _) in enumerate(timed)]
        log.debug("synthesis_dtw: %d words, %d phones, template at %d wpm", len(word_items),
                  len(phone_items), rate)
        return Alignment(words=filled_words, phones=fill_silence(phone_items, duration), duration=duration,
                         transcript=text, aligner=self.name, language=language, issues=issues)
