"""The English phone inventory: CMUdict ARPAbet at the edges, IPA inside.

The table lives in ``assets/phones/arpabet_ipa.tsv`` (the 39 CMUdict phones);
``assets/phones/ipa_aliases.tsv`` lists other IPA spellings that
:func:`ipa_to_arpabet` accepts (``g`` for ``ɡ``, ``tʃ`` with a tie bar, ...).

Stress convention
-----------------
CMUdict vowels carry a stress digit (0 none, 1 primary, 2 secondary). Two
vowels change quality with stress and get two IPA symbols:

====== ========= ==========
ARPAbet stress 0  stress 1/2
====== ========= ==========
AH      ə         ʌ
ER      ɚ         ɝ
====== ========= ==========

Every other vowel keeps one symbol whatever its stress; the stress travels
beside the IPA symbol as an ``int``. A vowel written without a digit (``"AH"``)
converts with stress ``None`` and the stressed quality (``ʌ``).
:func:`ipa_to_arpabet` with ``stress=None`` gives the bare ARPAbet symbol,
except for ``ə`` and ``ɚ``, which are unstressed by definition (``AH0``, ``ER0``).
With these rules ARPAbet → IPA → ARPAbet is exact for every symbol and stress.

Examples
--------
>>> from phoneme.phones import arpabet_to_ipa, ipa_to_arpabet
>>> arpabet_to_ipa("AH0"), arpabet_to_ipa("AH1"), arpabet_to_ipa("ER0")
(('ə', 0), ('ʌ', 1), ('ɚ', 0))
>>> ipa_to_arpabet("ʌ", 1)
'AH1'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

from .assets import asset_path
from .errors import AssetError, PronunciationError

__all__ = [
    "ARPABET_PHONES",
    "ARPABET_VOWELS",
    "ENGLISH_IPA",
    "IPA_VOWELS",
    "arpabet_seq_to_ipa",
    "arpabet_to_ipa",
    "ipa_to_arpabet",
    "is_vowel",
    "split_stress",
]

_STRESSES = (0, 1, 2)


@dataclass(frozen=True)
class _Phone:
    arpabet: str
    vowel: bool
    ipa: str  # stress 1, 2 or None
    ipa_unstressed: str  # stress 0 (same as ipa for consonants)


def _read_tsv(*parts: str) -> list[dict[str, str]]:
    path = asset_path(*parts)
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        raise AssetError(f"phone table {'/'.join(parts)} is empty; reinstall kmtalk")
    return rows


def _load_table() -> dict[str, _Phone]:
    table: dict[str, _Phone] = {}
    for row in _read_tsv("phones", "arpabet_ipa.tsv"):
        try:
            sym, kind, ipa, ipa0 = row["arpabet"], row["kind"], row["ipa"], row["ipa_unstressed"]
        except KeyError as exc:  # pragma: no cover - broken install
            raise AssetError(
                f"phones/arpabet_ipa.tsv lacks column {exc}; reinstall kmtalk"
            ) from exc
        if kind not in ("vowel", "consonant") or not sym or not ipa:
            raise AssetError(f"phones/arpabet_ipa.tsv: malformed row for {sym!r}; reinstall kmtalk")
        vowel = kind == "vowel"
        table[sym] = _Phone(sym, vowel, ipa, ipa0 if vowel else ipa)
    return table


_TABLE = _load_table()
#: The 39 CMUdict ARPAbet phones, without stress digits, in table order.
ARPABET_PHONES: tuple[str, ...] = tuple(_TABLE)
#: ARPAbet vowel symbols (without stress digits).
ARPABET_VOWELS: frozenset[str] = frozenset(p.arpabet for p in _TABLE.values() if p.vowel)
#: Every IPA phone :func:`arpabet_to_ipa` can emit.
ENGLISH_IPA: frozenset[str] = frozenset(
    s for p in _TABLE.values() for s in (p.ipa, p.ipa_unstressed)
)
#: The IPA vowels among :data:`ENGLISH_IPA`.
IPA_VOWELS: frozenset[str] = frozenset(
    s for p in _TABLE.values() if p.vowel for s in (p.ipa, p.ipa_unstressed)
)

# IPA -> (ARPAbet, stress implied by the symbol itself or None)
_FROM_IPA: dict[str, tuple[str, int | None]] = {}
for _p in _TABLE.values():
    _FROM_IPA[_p.ipa] = (_p.arpabet, None)
    if _p.ipa_unstressed != _p.ipa:
        _FROM_IPA[_p.ipa_unstressed] = (_p.arpabet, 0)
_ALIASES: dict[str, str] = {}
for _row in _read_tsv("phones", "ipa_aliases.tsv"):
    if _row["canonical"] not in _FROM_IPA:
        raise AssetError(
            f"phones/ipa_aliases.tsv maps {_row['alias']!r} to unknown phone "
            f"{_row['canonical']!r}; reinstall kmtalk"
        )
    _ALIASES[_row["alias"]] = _row["canonical"]


def split_stress(symbol: str) -> tuple[str, int | None]:
    """Split an ARPAbet symbol into its base phone and stress digit.

    Parameters
    ----------
    symbol : str
        ARPAbet phone such as ``"AH0"``, ``"AH"`` or ``"K"`` (case-insensitive).

    Returns
    -------
    base : str
        Upper-case ARPAbet phone without digit.
    stress : int or None
        0, 1 or 2 for a vowel with a digit; ``None`` otherwise.

    Raises
    ------
    PronunciationError
        If the symbol is not a CMUdict phone, or a consonant carries a digit.

    Examples
    --------
    >>> split_stress("ow1"), split_stress("NG")
    (('OW', 1), ('NG', None))
    """
    if not isinstance(symbol, str):
        raise PronunciationError(f"ARPAbet phone must be a string, got {symbol!r}")
    sym = symbol.strip().upper()
    stress: int | None = None
    base = sym
    if sym and sym[-1].isdigit():
        base, digit = sym[:-1], int(sym[-1])
        if digit not in _STRESSES:
            raise PronunciationError(
                f"ARPAbet phone {symbol!r} has stress digit {digit}; use 0, 1 or 2"
            )
        stress = digit
    phone = _TABLE.get(base)
    if phone is None:
        raise PronunciationError(
            f"unknown ARPAbet phone {symbol!r}; expected one of the 39 CMUdict phones "
            f"({' '.join(ARPABET_PHONES)}), vowels with a stress digit 0/1/2"
        )
    if stress is not None and not phone.vowel:
        raise PronunciationError(
            f"ARPAbet phone {symbol!r}: consonant {base} cannot carry a stress digit"
        )
    return base, stress


def is_vowel(phone: str) -> bool:
    """Return True when ``phone`` (ARPAbet, with or without digit, or IPA) is a vowel.

    Raises
    ------
    PronunciationError
        If ``phone`` is neither a known ARPAbet nor a known IPA phone.

    Examples
    --------
    >>> is_vowel("AH0"), is_vowel("ə"), is_vowel("T"), is_vowel("ʃ")
    (True, True, False, False)
    """
    if phone in _FROM_IPA or phone in _ALIASES:
        return _TABLE[_FROM_IPA[_ALIASES.get(phone, phone)][0]].vowel
    base, _ = split_stress(phone)
    return _TABLE[base].vowel


def arpabet_to_ipa(symbol: str) -> tuple[str, int | None]:
    """Convert one ARPAbet phone to IPA.

    Parameters
    ----------
    symbol : str
        CMUdict phone, vowels normally with a stress digit (``"AH0"``).

    Returns
    -------
    ipa : str
        IPA phone, a member of :data:`ENGLISH_IPA`.
    stress : int or None
        The vowel's stress digit; ``None`` for consonants and bare vowels.

    Raises
    ------
    PronunciationError
        If ``symbol`` is not a CMUdict phone (the message names it).

    Examples
    --------
    >>> arpabet_to_ipa("ER1"), arpabet_to_ipa("CH"), arpabet_to_ipa("IY2")
    (('ɝ', 1), ('tʃ', None), ('i', 2))
    """
    base, stress = split_stress(symbol)
    phone = _TABLE[base]
    return (phone.ipa_unstressed if stress == 0 else phone.ipa), stress


def ipa_to_arpabet(ipa: str, stress: int | None = None) -> str:
    """Convert one IPA phone (and its stress) back to ARPAbet.

    Parameters
    ----------
    ipa : str
        An IPA phone from :data:`ENGLISH_IPA`, or an alias from
        ``assets/phones/ipa_aliases.tsv`` (``"g"``, ``"t͡ʃ"``, ``"iː"``...).
    stress : {None, 0, 1, 2}
        Vowel stress. ``None`` gives a bare vowel symbol (``"AA"``), except for
        ``ə``/``ɚ`` which are unstressed by definition (``"AH0"``/``"ER0"``).

    Returns
    -------
    str
        ARPAbet symbol, with a digit when the vowel has a stress.

    Raises
    ------
    PronunciationError
        If the IPA phone is not an English phone, the stress is not 0/1/2, or a
        consonant is given a stress.

    Examples
    --------
    >>> ipa_to_arpabet("ə"), ipa_to_arpabet("ʌ", 1), ipa_to_arpabet("ʃ"), ipa_to_arpabet("ɔ", 2)
    ('AH0', 'AH1', 'SH', 'AO2')
    """
    if stress is not None and stress not in _STRESSES:
        raise PronunciationError(f"stress must be None, 0, 1 or 2, got {stress!r}")
    key = ipa.strip() if isinstance(ipa, str) else ipa
    key = _ALIASES.get(key, key)
    try:
        base, implied = _FROM_IPA[key]
    except (KeyError, TypeError):
        raise PronunciationError(
            f"unknown IPA phone {ipa!r} for English; expected one of "
            f"{' '.join(sorted(ENGLISH_IPA))}"
        ) from None
    if not _TABLE[base].vowel:
        if stress is not None:
            raise PronunciationError(f"IPA consonant {ipa!r} cannot carry stress {stress}")
        return base
    if stress is None:
        stress = implied
    return base if stress is None else f"{base}{stress}"


def arpabet_seq_to_ipa(seq: str | Iterable[str]) -> list[tuple[str, int | None]]:
    """Convert a sequence of ARPAbet phones to IPA.

    Parameters
    ----------
    seq : str or iterable of str
        Phones as a list (``["HH", "AH0"]``) or a space-separated string
        (``"HH AH0 L OW1"``).

    Returns
    -------
    list of (str, int or None)
        ``(ipa, stress)`` per phone.

    Raises
    ------
    PronunciationError
        If any symbol is unknown (the message names it).

    Examples
    --------
    >>> arpabet_seq_to_ipa("HH AH0 L OW1")
    [('h', None), ('ə', 0), ('l', None), ('oʊ', 1)]
    """
    symbols = seq.split() if isinstance(seq, str) else list(seq)
    return [arpabet_to_ipa(s) for s in symbols]
