"""Shared helpers for the benchmark scripts: paths, reference alignments, boundary scoring.

Reference alignments come in several phone alphabets (CMUdict ARPAbet, IPA,
MFA's IPA, a SAMPA-like set). To compare phones across them every label is
reduced to a *broad class* — vowel, stop (incl. affricates and flaps), fricative,
nasal, liquid, glide — and phones are matched inside words that match (see
:func:`match_boundaries`).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The large real data (speech, video-dev, video-train): $KMTALK_DATA, else ../shared/data
# beside the repository -- the same rule as the tests' fixtures (tests/conftest.py).
SHARED_DATA = (Path(os.environ["KMTALK_DATA"]).expanduser() if os.environ.get("KMTALK_DATA")
               else ROOT.parent / "shared" / "data").resolve()
SPEECH = SHARED_DATA / "speech"
VIDEO_DEV = SHARED_DATA / "video-dev"
TEST_SPEECH = ROOT / "tests" / "data" / "speech"  # the small speech shipped for the tests

# ----------------------------------------------------------------------------- labels

_SIL = {"", "sil", "sp", "spn", "<sil>", "<s>", "</s>", "pau", "<eps>", "<unk>", "h#"}
_IPA_VOWELS = set("aeiouyæøœɐɑɒɔəɘɛɜɞɤɨɪɯɵɶʉʊʌʏᵻɚɝ")
_STOPS = set("pbtdkɡgʔcɟqɢʈɖɾ")  # flap counted with stops
_FRICATIVES = set("fvθðszʃʒhxçʝɣχʁħʕɸβɬɮʂʐɕʑ")
_NASALS = set("mnŋɲɳɴɱ")
_LIQUIDS = set("lɫɹrɻɭʎʀ")
_GLIDES = set("wjʍɥ")
# The SAMPA-like symbols of praatio's damon_set_test (2-letter symbols first).
_SAMPA = {"eI": "eɪ", "aI": "aɪ", "OI": "ɔɪ", "aU": "aʊ", "@U": "oʊ", "oU": "oʊ", "tS": "tʃ",
          "dZ": "dʒ", "@": "ə", "V": "ʌ", "A": "ɑ", "D": "ð", "T": "θ", "S": "ʃ", "Z": "ʒ",
          "N": "ŋ", "I": "ɪ", "U": "ʊ", "E": "ɛ", "{": "æ", "O": "ɔ", "3": "ɝ", "r": "ɹ", "Q": "ɑ"}


def is_silence(label: str) -> bool:
    """True for pause labels of any convention."""
    return label.strip().lower() in _SIL


def ipa_class(label: str) -> str:
    """Broad class of an IPA phone: V, S (stop/affricate/flap), F, N, L (liquid), G (glide), ``?``."""
    base = "".join(c for c in unicodedata.normalize("NFD", label)
                   if not unicodedata.combining(c) and c not in "ːˑʲʷˠˤ:ˈˌ")
    if not base:
        return "?"
    c = base[0]
    if c in _IPA_VOWELS:
        return "V"
    if c in _STOPS:
        return "S"
    if c in _FRICATIVES:
        return "F"
    if c in _NASALS:
        return "N"
    if c in _LIQUIDS:
        return "L"
    if c in _GLIDES:
        return "G"
    return "?"


def arpabet_class(label: str) -> str:
    """Broad class of an ARPAbet phone (stress digits allowed; ``PT``-style merges by first letter)."""
    from phoneme.errors import PronunciationError
    from phoneme.phones import arpabet_to_ipa

    sym = label.strip().upper()
    try:
        return ipa_class(arpabet_to_ipa(sym)[0])
    except PronunciationError:
        base = re.sub(r"\d", "", sym)
        for n in (2, 1):
            try:
                return ipa_class(arpabet_to_ipa(base[:n])[0])
            except PronunciationError:
                continue
    return "?"


def sampa_class(label: str) -> str:
    """Broad class of a SAMPA-like phone."""
    return ipa_class(_SAMPA.get(label, label))


CLASSIFIERS = {"ipa": ipa_class, "arpabet": arpabet_class, "sampa": sampa_class}


def norm_word(label: str) -> str:
    """Lower-case, without pronunciation-variant suffixes (``was(2)``) and edge punctuation."""
    w = re.sub(r"\(\d+\)$", "", label.strip().lower())
    return re.sub(r"^[^\w']+|[^\w']+$", "", w)


# ----------------------------------------------------------------------------- tiers


@dataclass(frozen=True)
class Seg:
    """A labelled interval with its broad class and whether each edge is exactly known."""

    label: str
    start: float
    end: float
    cls: str = ""
    start_exact: bool = True
    end_exact: bool = True


@dataclass
class Timing:
    """Words and phones (no silences) of one utterance, reference or hypothesis."""

    words: list[Seg]
    phones: list[Seg]

    def phones_in(self, word: Seg) -> list[Seg]:
        """Phones whose midpoint lies inside ``word``."""
        return [p for p in self.phones if word.start - 1e-6 <= 0.5 * (p.start + p.end) <= word.end + 1e-6]


def timing_from_tiers(words: Iterable[tuple[float, float, str]], phones: Iterable[tuple[float, float, str]],
                      alphabet: str) -> Timing:
    """Build a :class:`Timing` from (start, end, label) tiers; silences dropped."""
    classify = CLASSIFIERS[alphabet]
    w = [Seg(norm_word(lab), float(s), float(e)) for s, e, lab in words if not is_silence(lab)]
    p = [Seg(lab, float(s), float(e), classify(lab)) for s, e, lab in phones if not is_silence(lab)]
    return Timing(w, p)


def timing_from_alignment(alignment) -> Timing:
    """A :class:`phoneme.types.Alignment` (IPA phones) as a :class:`Timing`."""
    w = [Seg(norm_word(x.label), x.start, x.end) for x in alignment.words if not x.is_silence]
    p = [Seg(x.label, x.start, x.end, ipa_class(x.label)) for x in alignment.phones if not x.is_silence]
    return Timing(w, p)


def read_textgrid(path: Path, word_tier: str, phone_tier: str | None, alphabet: str,
                  phone_path: Path | None = None) -> Timing:
    """Read word and phone tiers of a Praat TextGrid (praatio)."""
    from praatio import textgrid

    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    words = [(e.start, e.end, e.label) for e in tg.getTier(word_tier).entries]
    phones: list[tuple[float, float, str]] = []
    if phone_tier:
        ptg = textgrid.openTextgrid(str(phone_path or path), includeEmptyIntervals=False)
        phones = [(e.start, e.end, e.label) for e in ptg.getTier(phone_tier).entries]
    return timing_from_tiers(words, phones, alphabet)


def read_sphinx_json(word_json: Path, phone_json: Path | None) -> Timing:
    """Read pocketsphinx's JSON alignment output (``{"w": [{"b", "d", "t", "w": [...]}]}``)."""
    words = [(x["b"], x["b"] + x["d"], x["t"]) for x in json.loads(word_json.read_text())["w"]]
    phones: list[tuple[float, float, str]] = []
    if phone_json is not None:
        for x in json.loads(phone_json.read_text())["w"]:
            phones += [(p["b"], p["b"] + p["d"], p["t"]) for p in x.get("w", [])]
    return timing_from_tiers(words, phones, "arpabet")


# ----------------------------------------------------------------------------- scoring


@dataclass
class Errors:
    """Absolute boundary errors in seconds, and how many reference boundaries were left out."""

    word: list[float]
    phone: list[float]
    words_matched: int = 0
    words_total: int = 0
    word_excluded: int = 0
    phone_excluded: int = 0

    def extend(self, other: Errors) -> None:
        self.word += other.word
        self.phone += other.phone
        self.words_matched += other.words_matched
        self.words_total += other.words_total
        self.word_excluded += other.word_excluded
        self.phone_excluded += other.phone_excluded


def _pairs(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int, int]]:
    sm = difflib.SequenceMatcher(a=list(ref), b=list(hyp), autojunk=False)
    return [(b.a + k, b.b + k) for b in sm.get_matching_blocks() for k in range(b.size)]


def _boundaries(pairs: Iterable[tuple[Seg, Seg]], errors: list[float]) -> int:
    """Add |ref - hyp| for each distinct boundary of matched pairs; return how many were excluded."""
    seen: set[tuple[float, float]] = set()
    excluded = 0
    for r, h in pairs:
        for rt, ht, exact in ((r.start, h.start, r.start_exact), (r.end, h.end, r.end_exact)):
            key = (round(rt, 6), round(ht, 6))
            if key in seen:
                continue
            seen.add(key)
            if exact:
                errors.append(abs(rt - ht))
            else:
                excluded += 1
    return excluded


def match_boundaries(ref: Timing, hyp: Timing) -> Errors:
    """Boundary errors of ``hyp`` against ``ref``.

    Matching rule
    -------------
    * Words: the two word sequences (lower-case, variant suffixes and
      punctuation removed, silences dropped) are aligned with
      :class:`difflib.SequenceMatcher`; words in matching blocks pair up.
      Each distinct start/end boundary of a paired word counts once.
    * Phones: inside each paired word, reference and hypothesis phones (by
      midpoint) are reduced to broad classes; equal-length sequences pair by
      position, others by a SequenceMatcher alignment of the classes (phones in
      non-matching stretches are left out). Each distinct start/end boundary
      of a paired phone counts once.
    * Reference boundaries flagged inexact (``start_exact``/``end_exact``
      False) are left out and counted in ``*_excluded``.
    """
    out = Errors([], [], words_total=len(ref.words))
    wp = _pairs([w.label for w in ref.words], [w.label for w in hyp.words])
    out.words_matched = len(wp)
    word_pairs = [(ref.words[i], hyp.words[j]) for i, j in wp]
    out.word_excluded = _boundaries(word_pairs, out.word)
    phone_pairs: list[tuple[Seg, Seg]] = []
    for rw, hw in word_pairs:
        rp, hp = ref.phones_in(rw), hyp.phones_in(hw)
        if not rp or not hp:
            continue
        if len(rp) == len(hp):
            phone_pairs += list(zip(rp, hp))
        else:
            phone_pairs += [(rp[i], hp[j]) for i, j in _pairs([p.cls for p in rp], [p.cls for p in hp])]
    out.phone_excluded = _boundaries(phone_pairs, out.phone)
    return out


def summary(errors_s: Sequence[float]) -> dict[str, float]:
    """n, median, p90, mean (ms) and share within 20 / 50 ms."""
    e = np.asarray(errors_s, dtype=float) * 1000.0
    if e.size == 0:
        return {"n": 0, "median_ms": float("nan"), "p90_ms": float("nan"), "mean_ms": float("nan"),
                "within20": float("nan"), "within50": float("nan")}
    return {"n": int(e.size), "median_ms": float(np.median(e)), "p90_ms": float(np.percentile(e, 90)),
            "mean_ms": float(e.mean()), "within20": float(np.mean(e <= 20.0)),
            "within50": float(np.mean(e <= 50.0))}
