"""phoneme.espeak: real espeak-ng synthesis, its event timing checked against the waveform."""

from __future__ import annotations

import itertools
import re
import threading

import numpy as np
import pytest
import soundfile as sf

from phoneme.assets import asset_path
from phoneme.errors import BackendUnavailableError, PronunciationError, TranscriptError
from phoneme.espeak import (
    Synthesis,
    UnknownVoiceError,
    espeak_to_ipa,
    list_voices,
    phonemize,
    synthesize,
)
from phoneme.phones import ENGLISH_IPA
from phoneme.types import SILENCE, Alignment

SENTENCE = "Bob fed five blue balloons to the movie mouse."
SILENT = 4 / 32768  # espeak's digital silence, as float


def _tokens(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def _first_sound(x: np.ndarray, frm: int = 0) -> int:
    idx = np.flatnonzero(np.abs(x[frm:]) > SILENT)
    return frm + int(idx[0]) if len(idx) else len(x)


@pytest.fixture(scope="module")
def bob() -> Synthesis:
    return synthesize(SENTENCE)


def test_synthesis_returns_audio_and_monotone_timings(bob: Synthesis) -> None:
    assert bob.sample_rate == 22050 == bob.native_rate
    assert bob.samples.dtype == np.float32 and bob.samples.ndim == 1
    assert 1.5 < bob.duration < 4.0
    assert np.abs(bob.samples).max() > 0.1
    assert [w.label.lower() for w in bob.words] == _tokens(SENTENCE)
    starts = [p.start for p in bob.phonemes]
    assert starts == sorted(starts)
    for prev, cur in itertools.pairwise(bob.phonemes):
        assert prev.start <= prev.end <= cur.start + 1e-9
    for prev, cur in itertools.pairwise(bob.words):
        assert prev.start < prev.end <= cur.start + 1e-9
    # the events cover the audio: speech starts within 50 ms and ends within 50 ms of the end
    assert bob.phonemes[0].start < 0.05
    assert bob.duration - bob.phonemes[-1].end < 0.05
    # every phoneme lies inside its word
    for (label, start, end), w in zip(bob.phonemes, bob.phoneme_word):
        assert bob.words[w].start - 1e-9 <= start <= end <= bob.words[w].end + 1e-9
    assert len(bob.onset_exact) == len(bob.phonemes)


def test_first_phone_starts_where_the_waveform_starts() -> None:
    """Leading silence ends exactly at the first phoneme event (a stop and a fricative)."""
    for text in ("Bob ate.", "Sam sat.", "Ten toes."):
        syn = synthesize(text)
        onset = _first_sound(syn.samples) / syn.sample_rate
        assert syn.phonemes[0].start == pytest.approx(onset, abs=1.5e-3), text
        assert syn.words[0].start == syn.phonemes[0].start


def test_words_line_up_with_energy_across_pauses() -> None:
    """Around commas the audio is silent between a word's end and the next word's start,
    the next word's sound starts at its start time, and each word carries energy."""
    syn = synthesize("One, two, three, four, five.")
    x, sr = syn.samples, syn.sample_rate
    words = syn.words
    assert [w.label for w in words] == ["One", "two", "three", "four", "five"]
    for prev, cur in itertools.pairwise(words):
        a, b = int(prev.end * sr), int(cur.start * sr)
        assert b - a > 0.05 * sr  # a real pause
        assert np.sqrt(np.mean(x[a + int(0.03 * sr):b] ** 2)) < 2e-3
        onset = _first_sound(x, a + int(0.03 * sr)) / sr
        assert onset == pytest.approx(cur.start, abs=2e-3), cur.label
    for w in words:
        seg = x[int(w.start * sr):int(w.end * sr)]
        assert np.sqrt(np.mean(seg ** 2)) > 0.02, w.label
    # after the last word there is only the fade-out of espeak's final pause
    tail = x[int(words[-1].end * sr) + int(0.01 * sr):]
    assert len(tail) == 0 or np.sqrt(np.mean(tail ** 2)) < 2e-3


def test_word_internal_stop_includes_its_closure() -> None:
    """A stop inside a word starts where its silent closure starts (not at the burst)."""
    syn = synthesize("apple kicker")
    x, sr = syn.samples, syn.sample_rate
    checked = 0
    for i, (label, start, _end) in enumerate(syn.phonemes):
        if label in ("p", "k") and i > 0 and syn.phoneme_word[i] == syn.phoneme_word[i - 1]:
            s = round(start * sr)
            closure = x[s:s + int(0.015 * sr)]
            assert np.abs(closure).max() <= SILENT, label
            assert np.abs(x[s - 40:s]).max() > SILENT  # the vowel before still sounds
            checked += 1
    assert checked >= 2


def test_flagged_onsets_are_the_liquid_and_nasal_cases(bob: Synthesis) -> None:
    manners = {"uː": "vowel", "aʊ": "vowel", "ə": "vowel", "l": "liquid"}
    for i, exact in enumerate(bob.onset_exact):
        if not exact:
            prev, cur = bob.phonemes[i - 1].label, bob.phonemes[i].label
            assert (manners.get(cur) == "vowel" and prev in ("l", "m", "n", "ɹ", "w", "j")) or (
                cur == "l" and manners.get(prev) == "vowel"), (prev, cur)
    assert sum(bob.onset_exact) >= len(bob.onset_exact) * 0.7


def test_to_alignment_tiles_the_audio_with_english_ipa(bob: Synthesis) -> None:
    a = bob.to_alignment()
    assert isinstance(a, Alignment) and a.aligner == "espeak-ng"
    for tier in (a.words, a.phones):
        assert tier[0].start == 0.0 and tier[-1].end == pytest.approx(bob.duration)
        for prev, cur in itertools.pairwise(tier):
            assert prev.end == pytest.approx(cur.start, abs=1e-9)
    assert [w.label for w in a.spoken_words()] == _tokens(SENTENCE)
    labels = {p.label for p in a.phones}
    assert labels <= set(ENGLISH_IPA) | {SILENCE}
    assert {"b", "f", "v", "m", "u", "aʊ"} <= labels
    for p in a.spoken_phones():
        assert a.words[p.word].start - 1e-9 <= p.start and p.end <= a.words[p.word].end + 1e-9


def test_resampling_keeps_times() -> None:
    syn = synthesize("Five blue balloons.", sample_rate=16000)
    assert syn.sample_rate == 16000 and syn.native_rate == 22050
    assert syn.duration == pytest.approx(syn.words[-1].end, abs=0.05)
    onset = _first_sound(syn.samples) / 16000
    assert onset == pytest.approx(syn.phonemes[0].start, abs=3e-3)


def test_padding_shifts_times_and_audio(bob: Synthesis) -> None:
    p = bob.padded(0.5, 0.25)
    shift = int(0.5 * bob.sample_rate + 0.5) / bob.sample_rate
    assert p.words[0].start == pytest.approx(bob.words[0].start + shift)
    assert p.duration == pytest.approx(bob.duration + 0.75, abs=1e-4)
    assert np.abs(p.samples[: int(0.5 * p.sample_rate)]).max() == 0.0


def test_voices_rates_and_pitches_all_time_their_words() -> None:
    text = "Move the blue box."
    for voice in ("en-us", "en-gb", "en-gb-x-rp", "en-us+f3"):
        for rate, pitch in ((130, 30), (220, 70)):
            syn = synthesize(text, voice=voice, rate=rate, pitch=pitch)
            assert [w.label for w in syn.words] == ["Move", "the", "blue", "box"]
            assert all(p.label for p in syn.phonemes)
            syn.to_alignment()  # every English symbol maps
    slow = synthesize(text, rate=100).duration
    fast = synthesize(text, rate=300).duration
    assert slow > 1.8 * fast


def test_phonemize_gives_ipa_mapping_to_english_phones() -> None:
    out = phonemize("five blue balloons", separator="_")
    words = out.split(" ")
    assert len(words) == 3
    assert [s for sym in words[0].split("_") for s in espeak_to_ipa(sym)] == ["f", "aɪ", "v"]
    for word in words:
        for sym in word.split("_"):
            assert set(espeak_to_ipa(sym)) <= set(ENGLISH_IPA)
    assert "ˈ" in phonemize("balloon")  # stress marks kept
    ascii_out = phonemize("five", ipa=False)
    assert ascii_out.isascii() and ascii_out


def test_phonemize_covers_english_voices_symbols() -> None:
    text = ("The quick brown fox jumps over the lazy dog, while thirsty children sing "
            "about their journey to the cure of a beautiful, fiery, rural pleasure.")
    for voice in ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029"):
        for word in phonemize(text, voice, separator="|").split():
            for sym in word.split("|"):
                if sym:
                    espeak_to_ipa(sym)


def test_unknown_symbol_is_a_pronunciation_error() -> None:
    with pytest.raises(PronunciationError, match="no English mapping"):
        espeak_to_ipa("ʁ")


def test_missing_voice_is_a_clear_error() -> None:
    with pytest.raises(UnknownVoiceError, match="no usable voice 'en-xx'") as info:
        synthesize("hello", voice="en-xx")
    assert isinstance(info.value, BackendUnavailableError)
    assert "en-" in str(info.value)  # close matches are listed
    with pytest.raises(UnknownVoiceError, match="no variant 'nosuch'"):
        synthesize("hello", voice="en-us+nosuch")
    with pytest.raises(UnknownVoiceError, match="MBROLA"):
        phonemize("hello", voice="us-mbrola-1")
    # the library still works afterwards
    assert synthesize("hello").words[0].label == "hello"


def test_bad_input_is_rejected() -> None:
    with pytest.raises(TranscriptError):
        synthesize("   ")
    with pytest.raises(TranscriptError):
        phonemize("")
    with pytest.raises(ValueError, match="rate"):
        synthesize("hi", rate=20)
    with pytest.raises(ValueError, match="pitch"):
        synthesize("hi", pitch=101)


def test_list_voices_filters_by_language() -> None:
    en = list_voices("en")
    assert any(v.language == "en-us" for v in en)
    assert all(any(lang.startswith("en") for lang, _ in v.languages) for v in en)
    assert len(list_voices()) > len(en)


def test_concurrent_synthesis_is_serialised() -> None:
    texts = ["Bob fed five.", "Blue balloons.", "The movie mouse.", "Ten toes tap."]
    results: dict[str, Synthesis] = {}
    errors: list[BaseException] = []

    def run(t: str) -> None:
        try:
            results[t] = synthesize(t)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in texts * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for t, syn in results.items():
        assert [w.label.lower() for w in syn.words] == _tokens(t)
        assert syn.words[-1].end <= syn.duration + 1e-9


def test_missing_library_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mocked: libespeak-ng is installed here, so its absence is simulated by making
    ctypes fail to load any library name."""
    import ctypes

    from phoneme.espeak import _library

    def no_lib(*args, **kwargs):
        raise OSError("cannot open shared object file")

    monkeypatch.setattr(_library, "_instance", None)
    monkeypatch.setattr(ctypes, "CDLL", no_lib)
    with pytest.raises(BackendUnavailableError, match="apt-get install libespeak-ng1"):
        _library.library()


def test_bundled_example_matches_its_transcript() -> None:
    wav = asset_path("examples", "hello.wav")
    text = asset_path("examples", "hello.txt").read_text("utf-8").strip()
    info = sf.info(str(wav))
    assert info.samplerate == 16000 and info.channels == 1
    assert 2.0 <= info.duration <= 4.0
    assert wav.stat().st_size < 200_000
    # the words espeak speaks for the transcript are the transcript's words
    assert [w.label.lower() for w in synthesize(text).words] == _tokens(text)
    gold = Alignment.load_json(asset_path("examples", "hello.alignment.json"))
    assert [w.label for w in gold.spoken_words()] == _tokens(text)
    assert gold.duration == pytest.approx(info.duration, abs=1e-3)
    # the gold word times sit on the audio: silence before the first word, sound inside each
    x, sr = sf.read(str(wav), dtype="float32")
    first = gold.spoken_words()[0]
    assert np.abs(x[: int(first.start * sr) - 16]).max() < 2e-3
    assert _first_sound(x) / sr == pytest.approx(first.start, abs=3e-3)
    for w in gold.spoken_words():
        seg = x[int(w.start * sr):int(w.end * sr)]
        assert np.sqrt(np.mean(seg ** 2)) > 0.02, w.label

