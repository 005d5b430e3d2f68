"""Forced alignment with pocketsphinx 5 and the US-English acoustic model in its wheel.

How it works (details in ``docs/aligners.md``):

1. **Dictionary.** Every distinct transcript word gets an id (``w0``, ``w1`` …)
   and all its pronunciation variants (user overrides, CMUdict, G2P — see
   :mod:`phoneme.g2p`) in a small temporary dictionary, so unknown words are
   aligned with predicted pronunciations and the aligner chooses between
   variants.
2. **Word pass.** A finite-state grammar holds the words in order with
   optional pauses between them. When no path fits (more words than the audio
   can hold), a second grammar adds a penalised *skip* arc past each word, and
   a third also lets the transcript end early; skipped words are reported.
   Beams are wide (``beam=1e-100``, ``pbeam=1e-100``, ``wbeam=1e-80``);
   narrower beams fail on long lines. When even these prune every path through
   the plain grammar (some voices fit the acoustic model that poorly) and the
   skip grammar places some words but skips others, the plain grammar is tried
   once more with every beam ``WIDEN`` (1e-100) times wider, and wins if it fits.
3. **Phone pass.** pocketsphinx's state-level second pass
   (``Decoder.set_alignment``) places phones inside the word boundaries.
4. **Long audio** is aligned in windows (default 30 s) cut in pauses found by
   the word pass; see :mod:`phoneme.aligners.segmenting`.
5. **Confidence.** Frame scores relative to the best senone, word durations
   and pause loudness give per-word confidence and ``Alignment.issues``
   (:mod:`phoneme.aligners.confidence`).

pocketsphinx's own logging is sent to the null device.

Examples
--------
>>> import numpy as np
>>> from phoneme.aligners.pocketsphinx import PocketsphinxAligner
>>> aligner = PocketsphinxAligner()
>>> aligner.name, aligner.sample_rate
('pocketsphinx', 16000)
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pocketsphinx

from ..audio import load_audio
from ..errors import AlignmentError, BackendUnavailableError, TranscriptError
from ..g2p import Pronouncer, default_pronouncer
from ..loudness import block_energy_db
from ..phones import arpabet_to_ipa, split_stress
from ..types import SILENCE, Alignment, Interval
from .base import Aligner, Pronunciations
from .confidence import MismatchConfig, assess
from .segmenting import Span, choose_cut
from .tiers import contiguous

__all__ = ["PocketsphinxAligner"]

log = logging.getLogger(__name__)

FRAME_RATE = 100  # pocketsphinx frames per second
HOP = 160  # samples per frame at 16 kHz
#: Factor on every beam for the retry when the plain word grammar finds no path
#: and the skip grammar places some words but skips others.
WIDEN = 1e-100
#: alignment-entry scores are log base 1.0001 shifted right by 10 bits
_NATS_PER_UNIT = math.log(1.0001) * 1024
_ID = re.compile(r"^w(\d+)(?:\((\d+)\))?$")
_NULL = "(NULL)"
#: score given to frames of a word whose phones could not be placed (nats/frame)
_UNSCORED = float("nan")


@dataclass
class _Lexicon:
    """Transcript words, their dictionary ids and stressed ARPAbet variants."""

    words: list[str]
    ids: list[str]  # per transcript position
    variants: dict[str, list[list[str]]]  # id -> stressed variants, preferred first

    @classmethod
    def build(cls, words: Sequence[str], pronouncer: Pronouncer) -> _Lexicon:
        ids: list[str] = []
        index: dict[str, str] = {}
        variants: dict[str, list[list[str]]] = {}
        for word in words:
            if word not in index:
                wid = f"w{len(index)}"
                index[word] = wid
                seen: set[tuple[str, ...]] = set()
                kept = []
                for pron in pronouncer.arpabet(word):
                    bare = tuple(split_stress(p)[0] for p in pron)
                    if bare and bare not in seen:
                        seen.add(bare)
                        kept.append(list(pron))
                if not kept:
                    raise TranscriptError(f"word {word!r} has an empty pronunciation")
                variants[wid] = kept
            ids.append(index[word])
        return cls(list(words), ids, variants)

    def dictionary_text(self) -> str:
        lines = []
        for wid, prons in self.variants.items():
            for v, pron in enumerate(prons):
                name = wid if v == 0 else f"{wid}({v + 1})"
                lines.append(name + " " + " ".join(split_stress(p)[0] for p in pron))
        return "\n".join(lines) + "\n"


@dataclass
class _Entry:
    """One word or pause of a chunk's final alignment (frames local to the chunk)."""

    word: int | None  # transcript position, None for a pause
    start: int
    end: int
    variant: int = 0
    phones: list[tuple[str, int, int, float]] = field(default_factory=list)  # (ARPAbet, s, e, nats)
    estimated: bool = False


@dataclass
class _Chunk:
    offset: int  # frames from the start of the recording
    n_frames: int
    entries: list[_Entry]
    skipped: list[tuple[int, int]]  # (transcript position, local frame)
    failed_phones: bool = False


class PocketsphinxAligner(Aligner):
    """The default English aligner: pocketsphinx 5 with its bundled acoustic model.

    Parameters
    ----------
    beam, pbeam, wbeam : float
        Viterbi beams (state, phone, word exit). Keep them wide: narrow beams
        make long utterances fail.
    skip_prob : float
        Probability of the grammar arc past a word, used only when the words
        cannot all be fitted to the audio (no path through the plain grammar);
        the penalty is ``-ln(skip_prob)`` nats of acoustic score (1e-20: 46).
        Much smaller values (below about 1e-40) make pocketsphinx's grammar
        search fail.
    window : float
        Audio longer than ``1.5 * window`` seconds is aligned in windows of
        this length, cut in pauses. Memory grows with the window, not the input.
    margin : float
        Seconds at the end of each window that are re-aligned in the next one.
    hmm : str, optional
        Path of another pocketsphinx acoustic model (CMU ARPAbet phone set).
    mismatch : MismatchConfig, optional
        Thresholds of the mismatch detector.
    **config
        Further pocketsphinx ``Config`` parameters (e.g. ``topn=8``).

    Examples
    --------
    >>> from phoneme.aligners.pocketsphinx import PocketsphinxAligner
    >>> PocketsphinxAligner(window=20.0).window
    20.0
    """

    name = "pocketsphinx"
    sample_rate = 16000

    def __init__(
        self,
        *,
        beam: float = 1e-100,
        pbeam: float = 1e-100,
        wbeam: float = 1e-80,
        skip_prob: float = 1e-20,
        window: float = 30.0,
        margin: float = 4.0,
        hmm: str | os.PathLike | None = None,
        mismatch: MismatchConfig | None = None,
        **config: Any,
    ) -> None:
        if not window >= 5.0:
            raise AlignmentError(f"window must be at least 5 s, got {window}")
        if not 0.5 <= margin <= window / 3:
            raise AlignmentError(f"margin must be between 0.5 s and window/3, got {margin}")
        if not 0.0 < skip_prob < 1.0:
            raise AlignmentError(f"skip_prob must be in (0, 1), got {skip_prob}")
        self.beam, self.pbeam, self.wbeam = float(beam), float(pbeam), float(wbeam)
        self.skip_prob = float(skip_prob)
        self.window = float(window)
        self.margin = float(margin)
        self.hmm = None if hmm is None else str(hmm)
        self.mismatch = mismatch or MismatchConfig()
        known = pocketsphinx.Config()
        unknown = sorted(k for k in config if not known.exists(k))
        if unknown:
            raise AlignmentError(
                f"unknown pocketsphinx option(s) {unknown}; see pocketsphinx's config parameters"
            )
        self.config = dict(config)
        self._fsg_count = 0

    # ------------------------------------------------------------------ API
    def align(
        self,
        samples: np.ndarray,
        sample_rate: int,
        words: Sequence[str],
        *,
        language: str = "en",
        pronunciations: Pronunciations | None = None,
    ) -> Alignment:
        """Align normalised ``words`` to mono ``samples``.

        Parameters
        ----------
        samples : np.ndarray
            Mono float samples in [-1, 1] (resampled to 16 kHz if needed).
        sample_rate : int
            Their rate in Hz.
        words : sequence of str
            Normalised lower-case words (see :func:`phoneme.text.normalize_text`).
        language : str
            Must be English (``"en"``, ``"en-us"`` …) unless ``hmm`` was given.
        pronunciations : mapping, optional
            Word → ARPAbet pronunciation(s) that win over CMUdict and G2P.

        Returns
        -------
        Alignment
            IPA phones with stress, word confidences, and ``issues`` naming
            words the audio does not seem to contain and pauses that hold
            untranscribed speech.

        Raises
        ------
        TranscriptError
            If ``words`` is empty.
        PronunciationError
            If a word cannot be pronounced.
        BackendUnavailableError
            For a non-English language without a matching ``hmm``.
        AlignmentError
            If pocketsphinx fails outright (the message gives its reason).

        Examples
        --------
        >>> import numpy as np
        >>> from phoneme.aligners.pocketsphinx import PocketsphinxAligner
        >>> noise = np.random.default_rng(0).normal(0, 0.01, 16000).astype(np.float32)
        >>> a = PocketsphinxAligner().align(noise, 16000, ["hello"])
        >>> a.duration, len(a.issues) > 0
        (1.0, True)
        """
        if not str(language).lower().startswith("en") and self.hmm is None:
            raise BackendUnavailableError(
                f"pocketsphinx ships a US-English model only, not {language!r}; pass "
                "hmm='/path/to/model' with pronunciations for every word, or use aligner='mfa'"
            )
        words = [str(w) for w in words]
        if not words:
            raise TranscriptError("the transcript has no words to align")
        if sample_rate != self.sample_rate or samples.dtype != np.float32 or samples.ndim != 1:
            samples, sample_rate = load_audio((samples, sample_rate), sample_rate=self.sample_rate)
        duration = len(samples) / self.sample_rate
        pronouncer = Pronouncer(pronunciations) if pronunciations else default_pronouncer()
        lexicon = _Lexicon.build(words, pronouncer)
        pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
        decoder = self._decoder(lexicon)
        chunks = self._align_windows(decoder, pcm, lexicon)
        return self._assemble(chunks, lexicon, samples, duration, str(language))

    # ------------------------------------------------------------ decoder
    def _decoder(self, lexicon: _Lexicon, *, widen: bool = False) -> pocketsphinx.Decoder:
        """A decoder for ``lexicon``; ``widen`` multiplies every beam by ``WIDEN`` (a retry)."""
        w = WIDEN if widen else 1.0
        cfg: dict[str, Any] = {
            "lm": None,
            "loglevel": "FATAL",
            "logfn": os.devnull,
            "beam": self.beam * w,
            "pbeam": self.pbeam * w,
            "wbeam": self.wbeam * w,
            # bestpath can end on a 1-frame </s> that the phone pass cannot align
            "bestpath": False,
            "samprate": self.sample_rate,
        }
        if self.hmm is not None:
            cfg["hmm"] = self.hmm
        cfg.update(self.config)
        with tempfile.TemporaryDirectory(prefix="kmtalk-ps-") as tmp:
            path = os.path.join(tmp, "words.dict")
            with open(path, "w", encoding="utf-8") as f:
                f.write(lexicon.dictionary_text())
            cfg["dict"] = path
            try:
                return pocketsphinx.Decoder(**cfg)
            except (RuntimeError, ValueError, KeyError) as exc:
                raise AlignmentError(
                    f"pocketsphinx could not start ({exc}); check the options "
                    f"{sorted(self.config)} and the acoustic model {self.hmm or '(bundled)'}"
                ) from exc

    @staticmethod
    def _decode(decoder: pocketsphinx.Decoder, pcm: np.ndarray) -> None:
        decoder.reinit_feat()  # reset noise/CMN state: same input, same result
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()

    def _word_pass(
        self, decoder: pocketsphinx.Decoder, pcm: np.ndarray, ids: Sequence[str], *,
        skips: bool = False, open_end: bool = False, rest_skipped: bool = False,
    ) -> tuple[list[Span], list[tuple[int, int]], bool] | None:
        """One word-level pass over a grammar of ``ids`` in order, with optional pauses.

        ``skips`` adds an arc past each word (probability ``skip_prob``);
        ``open_end`` lets the grammar end after any word. Returns the spans, the
        skipped words ``(local index, frame)`` — with ``rest_skipped`` the words
        after the last one placed count as skipped too — and whether any null arc
        was used; or ``None`` when no path reaches the end of the grammar.
        """
        n = len(ids)
        trans: list[tuple] = [(i, i + 1, 1.0, ids[i]) for i in range(n)]
        if skips:
            trans += [(i, i + 1, self.skip_prob) for i in range(n)]
        if open_end:
            trans += [(i, n, 1.0) for i in range(n - 1)]
        self._fsg_count += 1
        name = f"align{self._fsg_count}"
        fsg = decoder.create_fsg(name, 0, n, trans)
        decoder.add_fsg(name, fsg)
        decoder.activate_search(name)
        if self._fsg_count > 1:  # drop the previous grammar to keep memory flat
            try:
                decoder.remove_search(f"align{self._fsg_count - 1}")
            except (KeyError, RuntimeError):
                pass
        try:
            self._decode(decoder, pcm)
            segs = [(s.word, s.start_frame, s.end_frame + 1) for s in (decoder.seg() or [])]
        except RuntimeError:
            segs = []
        if not segs:
            return None
        spans: list[Span] = []
        skipped: list[tuple[int, int]] = []
        used_null = False
        i = 0
        for word, sf, ef in segs:
            if word == _NULL:
                used_null = True
                continue
            m = _ID.match(word)
            if m is None:  # <s>, </s>, <sil>, [NOISE] ...
                if ef > sf:
                    spans.append(Span(None, sf, ef))
                continue
            base = f"w{m.group(1)}"
            while i < n and ids[i] != base:
                skipped.append((i, sf))
                i += 1
            if i >= n:
                raise AlignmentError(f"pocketsphinx returned word {word!r} out of transcript order")
            spans.append(Span(i, sf, ef))
            i += 1
        if rest_skipped or not open_end:  # closed grammar: trailing words went by skip arcs
            end = segs[-1][2]
            skipped += [(j, end) for j in range(i, n)]
            used_null = used_null or i < n
        return spans, skipped, used_null

    def _phone_pass(self, decoder: pocketsphinx.Decoder, pcm: np.ndarray, kept: Sequence[int]) -> list[_Entry]:
        """The state-level phone pass over the current (null-arc free) word-pass result."""
        decoder.set_alignment()
        self._decode(decoder, pcm)
        entries: list[_Entry] = []
        k = 0
        for w in decoder.get_alignment():
            m = _ID.match(w.name)
            phones = [
                (p.name, p.start, p.start + p.duration, p.score * _NATS_PER_UNIT) for p in w
            ]
            if m is None:
                entries.append(_Entry(None, w.start, w.start + w.duration, phones=phones))
                continue
            if k >= len(kept):
                raise AlignmentError("pocketsphinx phone pass returned more words than it was given")
            variant = int(m.group(2)) - 1 if m.group(2) else 0
            entries.append(_Entry(kept[k], w.start, w.start + w.duration, variant, phones))
            k += 1
        if k != len(kept):
            raise AlignmentError("pocketsphinx phone pass lost words")
        return entries

    def _estimate_entries(self, spans: Sequence[Span], lexicon: _Lexicon, base: int) -> list[_Entry]:
        """Fallback when the phone pass fails: split each word evenly into its phones."""
        entries = []
        for sp in spans:
            if sp.word is None:
                entries.append(_Entry(None, sp.start, sp.end, estimated=True))
                continue
            pron = lexicon.variants[lexicon.ids[base + sp.word]][0]
            n = len(pron)
            edges = np.linspace(sp.start, sp.end, n + 1)
            phones = [
                (split_stress(p)[0], round(edges[j]), round(edges[j + 1]), _UNSCORED)
                for j, p in enumerate(pron)
            ]
            entries.append(_Entry(base + sp.word, sp.start, sp.end, 0, phones, estimated=True))
        return entries

    def _align_chunk(
        self, decoder: pocketsphinx.Decoder, pcm: np.ndarray, lexicon: _Lexicon, first: int, last: int,
        offset: int,
    ) -> _Chunk:
        """Align transcript words ``first..last-1`` to ``pcm`` (a whole chunk, closed grammar)."""
        n_frames = len(pcm) // HOP
        ids = lexicon.ids[first:last]
        if not ids or n_frames < 3:
            skipped = [(first + j, 0) for j in range(len(ids))]
            return _Chunk(offset, n_frames, [_Entry(None, 0, n_frames)], skipped)
        # 1. every word in order; 2. if no path fits, words may be skipped; 3. the
        #    transcript may also stop early (words at the end that the audio lacks).
        # When the plain grammar found no path, the cause may be beam pruning rather
        # than words the audio lacks (some voices fit the acoustic model so poorly
        # that the usual beams prune every complete path; the skip grammar then drops
        # words that were spoken). So if the skip path placed some words and skipped
        # others, the plain grammar is tried once more with far wider beams and wins
        # if it fits; words the audio really lacks are then squeezed, which the
        # confidence pass reports. (Noise places no word: all stay skipped.)
        plain = self._word_pass(decoder, pcm, ids)
        found = (plain
                 or self._word_pass(decoder, pcm, ids, skips=True)
                 or self._word_pass(decoder, pcm, ids, skips=True, open_end=True, rest_skipped=True))
        if plain is None and found is not None and found[1] and any(sp.word is not None for sp in found[0]):
            wide = self._decoder(lexicon, widen=True)
            retry = self._word_pass(wide, pcm, ids)
            if retry is not None:
                log.debug("words %d..%d aligned with widened beams", first, last)
                decoder, found = wide, retry
        if found is None:
            raise AlignmentError(
                "pocketsphinx found no alignment of the transcript at all; the audio may not be speech"
            )
        spans, skipped_local, used_null = found
        skipped_set = {j for j, _ in skipped_local}
        kept = [j for j in range(len(ids)) if j not in skipped_set]
        failed = False
        # The phone pass needs a word-pass result without null arcs: re-run the kept
        # words in a plain grammar; if that finds no path (beam pruning around a
        # squeezed word), let more words be skipped, a few times at most.
        for _ in range(4):
            if not used_null or not kept:
                break
            sub = [ids[j] for j in kept]
            plain = self._word_pass(decoder, pcm, sub)
            if plain is not None:
                spans = [Span(None if sp.word is None else kept[sp.word], sp.start, sp.end) for sp in plain[0]]
                used_null = False
                break
            more = self._word_pass(decoder, pcm, sub, skips=True)
            if more is None:
                failed = True
                break
            newly = {kept[j] for j, _ in more[1]}
            skipped_local += [(kept[j], f) for j, f in more[1]]
            spans = [Span(None if sp.word is None else kept[sp.word], sp.start, sp.end) for sp in more[0]]
            kept = [j for j in kept if j not in newly]
            if not newly:
                failed = True  # a skip path without skips, yet no plain path: give up
                break
        else:
            failed = used_null
        skipped = [(first + j, f) for j, f in skipped_local]
        if not kept:
            return _Chunk(offset, n_frames, [_Entry(None, 0, n_frames)], skipped)
        entries: list[_Entry] = []
        if not failed:
            try:
                entries = [
                    _Entry(None if e.word is None else first + e.word, e.start, e.end, e.variant, e.phones)
                    for e in self._phone_pass(decoder, pcm, kept)
                ]
            except RuntimeError as exc:
                log.warning("pocketsphinx phone pass failed (%s); estimating phone boundaries", exc)
                failed = True
        if failed:
            entries = self._estimate_entries(spans, lexicon, first)
        return _Chunk(offset, n_frames, entries, skipped, failed)

    def _align_windows(self, decoder: pocketsphinx.Decoder, pcm: np.ndarray, lexicon: _Lexicon) -> list[_Chunk]:
        total = len(pcm) // HOP
        win = int(self.window * FRAME_RATE)
        margin = int(self.margin * FRAME_RATE)
        max_words = int(self.window * 7) + 10  # faster than any speaker
        chunks: list[_Chunk] = []
        pos, wi, n = 0, 0, len(lexicon.ids)
        while True:
            if total - pos <= int(1.5 * win):
                chunks.append(self._align_chunk(decoder, pcm[pos * HOP:], lexicon, wi, n, pos))
                return chunks
            window_pcm = pcm[pos * HOP:(pos + win) * HOP]
            cap = min(n, wi + max_words)
            spans: list[Span] = []
            if cap > wi:
                found = self._word_pass(decoder, window_pcm, lexicon.ids[wi:cap], open_end=True)
                spans = found[0] if found else []
            cut = choose_cut(spans, earliest=win // 3, latest=win - margin, min_pause=15)
            if cut is None:
                cut = win - margin
            done = [sp.word for sp in spans if sp.word is not None and sp.end <= cut]
            last = wi + max(done) + 1 if done else wi
            log.debug("window at %.1f s: cut at %.2f s, words %d..%d", pos / FRAME_RATE,
                      (pos + cut) / FRAME_RATE, wi, last)
            chunk_pcm = pcm[pos * HOP:(pos + cut) * HOP]
            chunks.append(self._align_chunk(decoder, chunk_pcm, lexicon, wi, last, pos))
            pos += cut
            wi = last

    # ------------------------------------------------------------ results
    def _assemble(
        self, chunks: list[_Chunk], lexicon: _Lexicon, samples: np.ndarray, duration: float, language: str,
    ) -> Alignment:
        total_frames = math.ceil(duration * FRAME_RATE)
        frame_score = np.full(total_frames, np.nan)
        word_items: list[tuple[int, Interval, int]] = []  # (position, interval, n phones)
        phone_items: list[Interval] = []
        skipped_positions: set[int] = set()
        issues: list[str] = []
        for ch in chunks:
            chunk_end = (ch.offset + ch.n_frames) / FRAME_RATE
            for e in ch.entries:
                for name, ps_, pe, score in e.phones:
                    a, b = ch.offset + ps_, min(ch.offset + pe, total_frames)
                    if b > a and np.isfinite(score):
                        frame_score[a:b] = score / (pe - ps_)
                if e.word is None:
                    continue
                t0 = (ch.offset + e.start) / FRAME_RATE
                t1 = min((ch.offset + e.end) / FRAME_RATE, max(chunk_end, duration))
                pron = lexicon.variants[lexicon.ids[e.word]][e.variant]
                word_items.append((e.word, Interval(lexicon.words[e.word], t0, max(t1, t0)), len(pron)))
                phones = [p for p in e.phones if p[0] != "SIL"]
                if len(phones) != len(pron):
                    raise AlignmentError(
                        f"pocketsphinx returned {len(phones)} phones for {lexicon.words[e.word]!r}, "
                        f"expected {len(pron)}"
                    )
                for (name, ps_, pe, _), sym in zip(phones, pron):
                    ipa, stress = arpabet_to_ipa(sym)
                    phone_items.append(Interval(
                        ipa, (ch.offset + ps_) / FRAME_RATE,
                        max((ch.offset + pe) / FRAME_RATE, (ch.offset + ps_) / FRAME_RATE),
                        stress=stress, word=e.word,
                    ))
            for pos, _ in ch.skipped:  # placed after their predecessor below
                t = ch.offset / FRAME_RATE
                skipped_positions.add(pos)
                word_items.append((pos, Interval(lexicon.words[pos], t, t), 0))
            if ch.failed_phones:
                issues.append(
                    f"phone boundaries in {ch.offset / FRAME_RATE:.2f}-{chunk_end:.2f} s are "
                    "estimated (pocketsphinx's phone pass failed there)"
                )
        word_items.sort(key=lambda x: x[0])
        prev_end = 0.0
        for k, (pos, item, nph) in enumerate(word_items):
            if pos in skipped_positions:  # zero length, right after the word before it
                t = max(prev_end, item.start)
                word_items[k] = (pos, Interval(item.label, t, t), nph)
            prev_end = word_items[k][1].end
        words_tier = contiguous([w for _, w, _ in word_items], duration)
        phones_tier = contiguous(phone_items, duration)
        # transcript position -> index in the word tier; phone counts per tier entry
        counts: list[int] = []
        skipped_tier: list[int] = []
        tier_index: dict[int, int] = {}
        by_pos = iter(word_items)
        for k, w in enumerate(words_tier):
            if w.label == SILENCE:
                counts.append(0)
                continue
            pos, _, nph = next(by_pos)
            counts.append(nph)
            tier_index[pos] = k
            if pos in skipped_positions:
                skipped_tier.append(k)
        energy = block_energy_db(samples, hop=HOP)
        confidences, found = assess(
            words_tier, counts, frame_score, energy, skipped=skipped_tier,
            fps=FRAME_RATE, config=self.mismatch,
        )
        words_tier = [w if c is None else Interval(w.label, w.start, w.end, confidence=round(c, 4))
                      for w, c in zip(words_tier, confidences)]
        phones_tier = [p if p.word is None else replace(p, word=tier_index[p.word]) for p in phones_tier]
        return Alignment(
            words=words_tier,
            phones=phones_tier,
            duration=duration,
            transcript=" ".join(lexicon.words),
            aligner=self.name,
            language=language,
            issues=issues + found,
        )

