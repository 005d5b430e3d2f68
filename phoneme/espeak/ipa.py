"""espeak-ng's English phoneme names → kmtalk's English IPA inventory.

espeak-ng writes English in its own flavour of IPA (``ɑː``, ``ᵻ``, ``ɐ``,
r-coloured vowels such as ``ɑːɹ``, syllabic ``əl``). The table
``assets/phones/espeak_en_to_ipa.tsv`` maps each name to one or more phones
of :data:`phoneme.phones.ENGLISH_IPA` and records espeak's phoneme type
(*manner*), which decides how espeak times its phoneme events.

Examples
--------
>>> from phoneme.espeak import espeak_to_ipa
>>> espeak_to_ipa("ɑː"), espeak_to_ipa("ɑːɹ"), espeak_to_ipa("ɐ")
(('ɑ',), ('ɑ', 'ɹ'), ('ə',))
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..assets import asset_path
from ..errors import AssetError, PronunciationError

__all__ = ["MANNERS", "espeak_manner", "espeak_to_ipa", "strip_stress"]

#: espeak phoneme types used in the table.
MANNERS = frozenset({"vowel", "stop", "affricate", "fricative", "nasal", "liquid", "flap"})
_STRESS = str.maketrans("", "", "ˈˌ")
# The vowel letters of the IPA chart (for names of other languages' phonemes).
_IPA_VOWEL_LETTERS = frozenset("aeiouyæøœɐɑɒɔəɘɛɜɞɤɨɪɯɵɶʉʊʌʏᵻ")


@dataclass(frozen=True)
class _Row:
    ipa: tuple[str, ...]
    manner: str


@lru_cache(maxsize=1)
def _table() -> dict[str, _Row]:
    path = asset_path("phones", "espeak_en_to_ipa.tsv")
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    table: dict[str, _Row] = {}
    for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        sym, ipa, manner = row.get("espeak"), (row.get("ipa") or "").split(), row.get("manner")
        if not sym or not ipa or manner not in MANNERS:
            raise AssetError(f"phones/espeak_en_to_ipa.tsv: malformed row {row!r}; reinstall kmtalk")
        table[sym] = _Row(tuple(ipa), manner)
    if not table:
        raise AssetError("phones/espeak_en_to_ipa.tsv is empty; reinstall kmtalk")
    return table


def strip_stress(symbol: str) -> str:
    """Remove IPA stress marks (ˈ ˌ) from an espeak phoneme name.

    Examples
    --------
    >>> strip_stress("ˈaɪ")
    'aɪ'
    """
    return symbol.translate(_STRESS).strip()


def espeak_to_ipa(symbol: str) -> tuple[str, ...]:
    """Map one espeak-ng English phoneme name to kmtalk's IPA phones.

    Parameters
    ----------
    symbol : str
        A phoneme name as espeak-ng reports it in IPA mode (stress marks allowed).

    Returns
    -------
    tuple of str
        One phone, or several for espeak's compound names (``"aɪɚ"`` → ``("aɪ", "ɚ")``).

    Raises
    ------
    PronunciationError
        If the symbol is not in the table (e.g. a phoneme of another language).

    Examples
    --------
    >>> espeak_to_ipa("ˈeɪ"), espeak_to_ipa("ɾ")
    (('eɪ',), ('t',))
    """
    row = _table().get(strip_stress(symbol))
    if row is None:
        raise PronunciationError(
            f"espeak-ng phoneme {symbol!r} has no English mapping in "
            "assets/phones/espeak_en_to_ipa.tsv (is the voice English?)"
        )
    return row.ipa


def _base_letters(symbol: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", symbol)
                   if not unicodedata.combining(c) and c not in "ːˑʲʷˠˤ:")


def espeak_manner(symbol: str) -> str:
    """espeak's phoneme type of a name: vowel, stop, affricate, fricative, nasal, liquid or flap.

    Names outside the English table are classified by their base letters
    (diacritics and length marks removed) when those are a table entry, as
    ``"vowel"`` when they start with an IPA vowel letter, else ``"other"``.

    Examples
    --------
    >>> espeak_manner("w"), espeak_manner("ɑːɹ"), espeak_manner("n̩")
    ('liquid', 'vowel', 'nasal')
    """
    sym = strip_stress(symbol)
    table = _table()
    row = table.get(sym)
    if row is not None:
        return row.manner
    base = _base_letters(sym)
    row = table.get(base)
    if row is not None:
        return row.manner
    if base and base[0] in _IPA_VOWEL_LETTERS:
        return "vowel"
    return "other"
