"""Correspondence between two timelines of one line: which phone of a new take matches each phone of an old one.

Dubbing and re-recording change *when* things are said, not *what*: the same
words (or, in another language, a similar chain of mouth shapes) come back at
other times. :func:`match_phones` finds, for every spoken phone of a source
timeline, the stretch of the target timeline that corresponds to it:

1. **Words.** The spoken words of both lines are aligned as label sequences
   (:class:`difflib.SequenceMatcher` on normalised words). Words that match
   keep their identity; runs of words that differ (a changed phrase, a
   translation) form *replaced* spans; source words with no counterpart at
   all are *deleted*.
2. **Phones.** Inside a matched word, or inside a replaced span, the phones
   are aligned by their viseme sequences (:func:`align_visemes`: a global
   alignment that rewards equal visemes and penalises pairing phones at
   different relative positions, so it stays near proportional where the
   visemes do not decide). A phone paired with one of the same viseme takes
   its interval (method ``"phone"`` when the labels agree, ``"viseme"``
   otherwise); paired with another viseme, ``"substituted"``; a phone left
   unpaired is placed **proportionally** between its paired neighbours
   (``"proportional"``), or at the boundary where it would have been when
   there is no room (``"collapsed"``).
3. Phones of deleted words get no match (``None``): whatever was attached to
   them cannot be placed, and callers must report it.

The result is monotonic: matches never cross.

Examples
--------
>>> from phoneme.types import Interval
>>> src_w = [Interval("bob", 0.0, 0.4), Interval("ran", 0.4, 0.8)]
>>> src_p = [Interval("b", 0.0, 0.1, word=0), Interval("ɑ", 0.1, 0.3, word=0), Interval("b", 0.3, 0.4, word=0),
...          Interval("ɹ", 0.4, 0.5, word=1), Interval("æ", 0.5, 0.7, word=1), Interval("n", 0.7, 0.8, word=1)]
>>> tgt_w = [Interval("sil", 0.0, 0.2), Interval("bob", 0.2, 0.5)]
>>> tgt_p = [Interval("sil", 0.0, 0.2), Interval("b", 0.2, 0.25, word=1), Interval("ɑ", 0.25, 0.45, word=1),
...          Interval("b", 0.45, 0.5, word=1)]
>>> m = match_phones(src_w, src_p, tgt_w, tgt_p)
>>> [(x.start, x.end, x.method) for x in m[:3]], m[3]
([(0.2, 0.25, 'phone'), (0.25, 0.45, 'phone'), (0.45, 0.5, 'phone')], None)
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from phoneme.lexicon import Lexicon, base_phone, load_lexicon, normalize_phone
from phoneme.types import Interval

from ..errors import KmtalkError

__all__ = ["PhoneMatch", "align_visemes", "match_phones", "match_words", "normalize_word", "viseme_labeller", "word_groups"]


@dataclass(frozen=True)
class PhoneMatch:
    """Where a source phone lands in the target timeline.

    Attributes
    ----------
    start, end : float
        The corresponding stretch of the target, in seconds (``start == end``
        for a collapsed phone).
    method : str
        ``"phone"``, ``"viseme"``, ``"substituted"``, ``"proportional"`` or
        ``"collapsed"`` (see the module docstring), from most to least exact.
    word : int or None
        Index (in the target's ``words``) of the target word it lies in, when one.
    word_matched : bool
        True when the source word was matched to a target word with the same
        label; False inside a replaced span (changed words, another language).
    """

    start: float
    end: float
    method: str
    word: int | None
    word_matched: bool


def normalize_word(label: str) -> str:
    """Word label for matching: NFC, lower case, letters and digits only (apostrophes dropped).

    Examples
    --------
    >>> normalize_word("Don't,"), normalize_word("Über")
    ('dont', 'über')
    """
    text = unicodedata.normalize("NFC", label).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def word_groups(words: Sequence[Interval], phones: Sequence[Interval]) -> tuple[list[int], list[list[int]]]:
    """The spoken words (indices into ``words``) and, for each, the indices of its spoken phones.

    A phone belongs to the word its ``word`` field names; a phone without one
    belongs to the spoken word that contains its midpoint.
    """
    spoken = [i for i, w in enumerate(words) if not w.is_silence and normalize_word(w.label)]
    slot = {w: k for k, w in enumerate(spoken)}
    groups: list[list[int]] = [[] for _ in spoken]
    for j, ph in enumerate(phones):
        if ph.is_silence:
            continue
        k = slot.get(ph.word) if ph.word is not None else None
        if k is None:
            mid = ph.mid
            k = next((slot[i] for i in spoken if words[i].start <= mid <= words[i].end), None)
        if k is not None:
            groups[k].append(j)
    return spoken, groups


def viseme_labeller(lexicon: Lexicon | str | None = None) -> Callable[[str], str]:
    """A function phone → viseme for matching; a phone the lexicon lacks stands for itself (its base form).

    Examples
    --------
    >>> v = viseme_labeller()
    >>> v("b"), v("m"), v("★")
    ('PP', 'PP', '★')
    """
    lex = load_lexicon(lexicon)
    cache: dict[str, str] = {}

    def viseme(phone: str) -> str:
        if phone not in cache:
            try:
                cache[phone] = lex.viseme(phone)
            except KmtalkError:
                cache[phone] = base_phone(phone)
        return cache[phone]

    return viseme


def _span(phones: Sequence[Interval], idx: Sequence[int]) -> tuple[float, float]:
    return phones[idx[0]].start, phones[idx[-1]].end


def _word_of(words: Sequence[Interval], t0: float, t1: float, hint: int | None) -> int | None:
    if hint is not None:
        return hint
    mid = 0.5 * (t0 + t1)
    return next((i for i, w in enumerate(words) if not w.is_silence and w.start <= mid <= w.end), None)


_VOWEL_VISEMES = frozenset({"aa", "E", "ih", "oh", "ou"})
#: Alignment scores: same viseme, two vowels, two consonants, vowel against consonant, a skipped
#: phone, and the cost per unit of relative-position difference (positions in [0, 1] within the run).
_SAME, _VOWELS, _CONSONANTS, _MIXED, _GAP, _DRIFT = 1.0, 0.4, 0.1, -0.5, -0.3, 3.0


def _similarity(a: str, b: str) -> float:
    if a == b:
        return _SAME
    va, vb = a in _VOWEL_VISEMES, b in _VOWEL_VISEMES
    if va and vb:
        return _VOWELS
    return _MIXED if va != vb else _CONSONANTS


def _relative_mids(phones: Sequence[Interval], idx: Sequence[int]) -> list[float]:
    s0, s1 = _span(phones, idx)
    width = s1 - s0
    if width <= 0:
        return [(k + 0.5) / len(idx) for k in range(len(idx))]
    return [(phones[i].mid - s0) / width for i in idx]


def align_visemes(a: Sequence[str], b: Sequence[str], x: Sequence[float], y: Sequence[float]) -> list[tuple[int, int]]:
    """Global alignment of two viseme sequences that prefers equal visemes at similar relative positions.

    Needleman–Wunsch: a pair scores its viseme similarity (1 equal, 0.4 two
    vowels, 0.1 two consonants, −0.5 a vowel against a consonant) minus
    3 × the difference of their relative positions ``x[i]``, ``y[j]`` (in
    [0, 1] within their runs); skipping a phone costs 0.3. The position term
    keeps the alignment near proportional where the visemes do not decide.

    Returns
    -------
    list of (i, j)
        Aligned pairs, increasing in both.

    Examples
    --------
    >>> align_visemes(["PP", "aa", "PP"], ["PP", "E", "nn", "PP"], [0.1, 0.5, 0.9], [0.1, 0.4, 0.6, 0.9])
    [(0, 0), (1, 1), (2, 3)]
    """
    n, m = len(a), len(b)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]  # 0 diagonal, 1 skip a, 2 skip b
    for i in range(1, n + 1):
        score[i][0], move[i][0] = i * _GAP, 1
    for j in range(1, m + 1):
        score[0][j], move[0][j] = j * _GAP, 2
    for i in range(1, n + 1):
        ai, xi, row, prev = a[i - 1], x[i - 1], score[i], score[i - 1]
        for j in range(1, m + 1):
            diag = prev[j - 1] + _similarity(ai, b[j - 1]) - _DRIFT * abs(xi - y[j - 1])
            up, left = prev[j] + _GAP, row[j - 1] + _GAP
            if diag >= up and diag >= left:
                row[j], move[i][j] = diag, 0
            elif up >= left:
                row[j], move[i][j] = up, 1
            else:
                row[j], move[i][j] = left, 2
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if move[i][j] == 0:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif move[i][j] == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _map_run(src_p: Sequence[Interval], src_idx: Sequence[int], tgt_p: Sequence[Interval],
             tgt_idx: Sequence[int], viseme: Callable[[str], str], out: list[PhoneMatch | None],
             tgt_words: Sequence[Interval], word_matched: bool,
             tgt_span: tuple[float, float] | None = None) -> None:
    """Fill ``out[src]`` for a run of source phones corresponding to a run of target phones."""
    def put(i: int, t0: float, t1: float, method: str, hint: int | None) -> None:
        out[i] = PhoneMatch(float(t0), float(t1), method, _word_of(tgt_words, t0, t1, hint), word_matched)

    if not src_idx:
        return
    if not tgt_idx:
        # A target word with time but no phone tier under it: spread the run over the word.
        if tgt_span is not None and tgt_span[1] > tgt_span[0]:
            s0, s1 = _span(src_p, src_idx)
            scale = (tgt_span[1] - tgt_span[0]) / (s1 - s0) if s1 > s0 else 0.0
            for i in src_idx:
                p = src_p[i]
                put(i, tgt_span[0] + (p.start - s0) * scale, tgt_span[0] + (p.end - s0) * scale,
                    "proportional", None)
        return  # otherwise nothing to land on: left unmatched
    a = [viseme(src_p[i].label) for i in src_idx]
    b = [viseme(tgt_p[j].label) for j in tgt_idx]
    pairs = align_visemes(a, b, _relative_mids(src_p, src_idx), _relative_mids(tgt_p, tgt_idx))
    partner = dict(pairs)
    for k, i in enumerate(src_idx):
        if k not in partner:
            continue
        s, t = src_p[i], tgt_p[tgt_idx[partner[k]]]
        if a[k] == b[partner[k]]:
            same = base_phone(normalize_phone(s.label)) == base_phone(normalize_phone(t.label))
            method = "phone" if same else "viseme"
        else:
            method = "substituted"
        put(i, t.start, t.end, method, t.word)
    # Source phones left out: proportionally between the aligned neighbours (a point when there is no room).
    run_t0, run_t1 = _span(tgt_p, tgt_idx)
    run_s0, run_s1 = _span(src_p, src_idx)
    k = 0
    while k < len(src_idx):
        if k in partner:
            k += 1
            continue
        k1 = k
        while k1 < len(src_idx) and k1 not in partner:
            k1 += 1
        s0 = src_p[src_idx[k - 1]].end if k > 0 else run_s0
        s1 = src_p[src_idx[k1]].start if k1 < len(src_idx) else run_s1
        t0 = tgt_p[tgt_idx[partner[k - 1]]].end if k > 0 else run_t0
        t1 = tgt_p[tgt_idx[partner[k1]]].start if k1 < len(src_idx) else run_t1
        t1 = max(t1, t0)
        scale = (t1 - t0) / (s1 - s0) if s1 > s0 else 0.0
        for i in src_idx[k:k1]:
            p = src_p[i]
            a0 = t0 + (max(p.start, s0) - s0) * scale
            a1 = t0 + (min(p.end, s1) - s0) * scale
            put(i, a0, max(a1, a0), "proportional" if t1 > t0 else "collapsed", None)
        k = k1


def _word_opcodes(src_words: Sequence[Interval], s_words: list[int], tgt_words: Sequence[Interval],
                  t_words: list[int], match_words: bool) -> list[tuple[str, int, int, int, int]]:
    a = [normalize_word(src_words[i].label) for i in s_words]
    b = [normalize_word(tgt_words[i].label) for i in t_words]
    if match_words:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [("replace", 0, len(a), 0, len(b))] if a and b else []


def match_words(
    src_words: Sequence[Interval],
    tgt_words: Sequence[Interval],
) -> dict[int, int]:
    """Source word index → target word index for the words whose labels match (indices into the tiers).

    Examples
    --------
    >>> from phoneme.types import Interval
    >>> src = [Interval("sil", 0, .1), Interval("a", .1, .2), Interval("big", .2, .4), Interval("dog", .4, .6)]
    >>> tgt = [Interval("a", 0, .1), Interval("dog", .1, .3)]
    >>> match_words(src, tgt)
    {1: 0, 3: 1}
    """
    s_words = [i for i, w in enumerate(src_words) if not w.is_silence and normalize_word(w.label)]
    t_words = [i for i, w in enumerate(tgt_words) if not w.is_silence and normalize_word(w.label)]
    pairs: dict[int, int] = {}
    for op, i0, i1, j0, _ in _word_opcodes(src_words, s_words, tgt_words, t_words, True):
        if op == "equal":
            pairs.update({s_words[i0 + k]: t_words[j0 + k] for k in range(i1 - i0)})
    return pairs


def match_phones(
    src_words: Sequence[Interval],
    src_phones: Sequence[Interval],
    tgt_words: Sequence[Interval],
    tgt_phones: Sequence[Interval],
    *,
    lexicon: Lexicon | str | None = None,
    match_words: bool = True,
) -> list[PhoneMatch | None]:
    """For each source phone, the corresponding stretch of the target timeline.

    Parameters
    ----------
    src_words, src_phones : sequence of Interval
        The source line's word and phone tiers (phones carry ``word`` indices).
    tgt_words, tgt_phones : sequence of Interval
        The new line's tiers.
    lexicon : Lexicon or str, optional
        Viseme lexicon for phone matching (default: the bundled English one;
        a phone it does not know is matched by its own label).
    match_words : bool, default True
        Align word labels first (same language and transcript). False skips
        straight to viseme alignment over the whole line (another language).

    Returns
    -------
    list of PhoneMatch or None
        One entry per source phone: None for pauses and for phones of words
        that have no counterpart in the target.
    """
    viseme = viseme_labeller(lexicon)
    out: list[PhoneMatch | None] = [None] * len(src_phones)
    s_words, s_groups = word_groups(src_words, src_phones)
    t_words, t_groups = word_groups(tgt_words, tgt_phones)
    for op, i0, i1, j0, j1 in _word_opcodes(src_words, s_words, tgt_words, t_words, match_words):
        if op == "equal":
            for di in range(i1 - i0):
                tw = tgt_words[t_words[j0 + di]]
                _map_run(src_phones, s_groups[i0 + di], tgt_phones, t_groups[j0 + di], viseme, out,
                         tgt_words, True, (tw.start, tw.end))
        elif op == "replace":
            src_idx = [p for g in s_groups[i0:i1] for p in g]
            tgt_idx = [p for g in t_groups[j0:j1] for p in g]
            _map_run(src_phones, src_idx, tgt_phones, tgt_idx, viseme, out, tgt_words, False)
        # "delete": those source words have no counterpart; "insert": new words only
    return out
