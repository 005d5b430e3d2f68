"""The viseme lexicon: bundled data validates, covers the English inventory, and bad files are rejected by name."""

from __future__ import annotations

import json

import pytest

from phoneme.errors import LexiconError
from phoneme.lexicon import VISEMES, load_lexicon, normalize_phone
from phoneme.phones import ENGLISH_IPA, arpabet_to_ipa
from phoneme.assets import asset_path


def _raw() -> dict:
    return json.loads(asset_path("lexicons", "en.json").read_text("utf-8"))


def test_bundled_lexicon_covers_every_english_phone():
    lex = load_lexicon()
    for phone in ENGLISH_IPA:
        assert lex.viseme(phone) in VISEMES
    assert set(e.viseme for e in lex.entries.values()) == set(VISEMES)


@pytest.mark.parametrize("arpabet, viseme", [
    ("P", "PP"), ("B", "PP"), ("M", "PP"), ("F", "FF"), ("V", "FF"), ("TH", "TH"), ("DH", "TH"),
    ("T", "DD"), ("K", "kk"), ("CH", "CH"), ("SH", "CH"), ("S", "SS"), ("N", "nn"), ("R", "RR"),
    ("AA1", "aa"), ("EH1", "E"), ("IY1", "ih"), ("OW1", "oh"), ("UW1", "ou"), ("W", "ou"),
])
def test_classic_viseme_classes(arpabet, viseme):
    ipa, _ = arpabet_to_ipa(arpabet)
    assert load_lexicon().viseme(ipa) == viseme


def test_coarticulation_parameters_are_ordered_sensibly():
    lex = load_lexicon()
    # Lips must close on bilabials whatever the neighbours: strongest dominance.
    assert lex.entry("b").dominance == 1.0
    assert lex.entry("h").dominance < lex.entry("t").dominance < lex.entry("b").dominance
    # Rounding is anticipated longer than a tongue-tip gesture.
    assert lex.entry("w").anticipation > lex.entry("t").anticipation
    assert lex.entry("u").rounded and not lex.entry("i").rounded
    assert lex.entry("m").articulator == "lips" and lex.entry("t").articulator == "tongue"


def test_marks_and_aliases_resolve():
    lex = load_lexicon()
    assert normalize_phone("ˈaɪ") == "aɪ"
    assert lex.entry("uː").phone == "u"
    assert lex.entry("g").phone == "ɡ"  # ASCII g → IPA script g
    assert lex.viseme("sp") == "sil"


def test_unknown_phone_is_named():
    with pytest.raises(LexiconError, match="'ʘ'"):
        load_lexicon().entry("ʘ")


def test_missing_phone_rejected_with_its_name(tmp_path):
    data = _raw()
    del data["phones"]["ʒ"]
    path = tmp_path / "lex.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(LexiconError, match="misses phone.*'ʒ'"):
        load_lexicon(path)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["phones"]["p"].update(viseme="XX"), "unknown viseme 'XX'"),
    (lambda d: d["phones"]["p"].update(dominance=1.5), "dominance"),
    (lambda d: d["phones"]["p"].update(anticipation=-0.1), "anticipation"),
    (lambda d: d["phones"]["p"].pop("release"), "'release'"),
    (lambda d: d["phones"]["p"].update(articulator="nose"), "articulator"),
    (lambda d: d.update(format_version=99), "format_version"),
    (lambda d: d["aliases"].update(qq="nope"), "alias 'qq'"),
])
def test_malformed_lexicon_rejected(tmp_path, mutate, message):
    data = _raw()
    mutate(data)
    with pytest.raises(LexiconError, match=message):
        load_lexicon(data)


def test_user_lexicon_file_and_required_inventory(tmp_path):
    data = _raw()
    data["phones"]["p"]["dominance"] = 0.9
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    lex = load_lexicon(path)
    assert lex.entry("p").dominance == 0.9
    with pytest.raises(LexiconError, match="'ʘ'"):
        load_lexicon(path, required=["p", "ʘ"])


def test_unreadable_lexicon(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(LexiconError, match="not valid JSON"):
        load_lexicon(bad)
    with pytest.raises(LexiconError):
        load_lexicon(tmp_path / "absent.json")


def test_mfa_and_diacritic_phones_resolve():
    """MFA's English IPA set (tʲ, pʰ, aj, ɫ, ɾ …) and marked phones map to their base viseme."""
    lex = load_lexicon()
    assert lex.entry("tʲ").phone == "t" and lex.entry("pʰ").viseme == "PP"
    assert lex.entry("aj").phone == "aɪ" and lex.entry("ow").rounded
    assert lex.viseme("ɫ") == "nn" and lex.viseme("ɾ") == "DD" and lex.viseme("ɛ̃") == "E"
    # A mark never turns an unknown base phone into a known one.
    with pytest.raises(LexiconError, match="'ʘʰ'"):
        lex.entry("ʘʰ")
