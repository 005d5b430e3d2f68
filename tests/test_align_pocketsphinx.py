"""Forced alignment with the real pocketsphinx model on real speech.

References: the LibriVox utterances' word/phone JSON (made by pocketsphinx's own
aligner, so agreement is a regression check, not truth) and the praatio
recordings' TextGrids (hand-style labels off the 10 ms grid). Mismatch detection
is tested by editing correct transcripts (dropping, adding, substituting words).
Synthetic speech for made-up words is generated with the real ``espeak-ng``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from phoneme import align, load_audio
from phoneme.aligners import PocketsphinxAligner
from phoneme.errors import AlignmentError, BackendUnavailableError, TranscriptError
from phoneme.g2p import default_pronouncer
from phoneme.phones import ENGLISH_IPA, IPA_VOWELS, arpabet_to_ipa
from phoneme.text import normalize_text
from phoneme.types import SILENCE

LIBRIVOX = ["0870", "0880", "0890", "0920", "0930"]


def _librivox(speech_dir: Path, utt: str) -> tuple[Path, str, list[dict]]:
    stem = speech_dir / "librivox" / f"sense_and_sensibility_01_austen_64kb-{utt}"
    words = [w for w in json.loads(stem.with_suffix(".json").read_text())["w"] if not w["t"].startswith("<")]
    return stem.with_suffix(".flac"), stem.with_suffix(".txt").read_text().strip(), words


def _check_tiers(a) -> None:
    """Contiguous tiers over [0, duration], IPA phones, word links, 'sil' pauses."""
    for tier in (a.words, a.phones):
        assert tier[0].start == 0.0
        assert tier[-1].end == pytest.approx(a.duration, abs=1e-9)
        for x, y in itertools.pairwise(tier):
            assert x.end == pytest.approx(y.start, abs=1e-9)
            assert not (x.label == SILENCE and y.label == SILENCE)
    for p in a.phones:
        if p.label == SILENCE:
            assert p.word is None
            continue
        assert p.label in ENGLISH_IPA
        assert (p.stress is not None) == (p.label in IPA_VOWELS)
        w = a.words[p.word]
        assert w.label != SILENCE
        assert w.start - 1e-9 <= p.start and p.end <= w.end + 1e-9


@pytest.fixture(scope="module")
def aligner() -> PocketsphinxAligner:
    return PocketsphinxAligner()


@pytest.mark.parametrize("utt", LIBRIVOX)
def test_librivox_word_times_agree_with_reference(speech_dir: Path, utt: str):
    wav, text, ref = _librivox(speech_dir, utt)
    a = align(wav, text)
    _check_tiers(a)
    spoken = a.spoken_words()
    assert [w.label for w in spoken] == text.split()
    starts = np.array([abs(w.start - r["b"]) for w, r in zip(spoken, ref)])
    ends = np.array([abs(w.end - (r["b"] + r["d"])) for w, r in zip(spoken, ref)])
    errors = np.r_[starts, ends]
    assert errors.mean() < 0.03, errors
    assert np.percentile(errors, 95) < 0.08, errors
    assert a.ok, a.issues
    assert min(w.confidence for w in spoken) > 0.5
    assert a.aligner == "pocketsphinx" and a.transcript == text


def test_librivox_phone_times_agree_with_reference(speech_dir: Path):
    stem = speech_dir / "librivox" / "sense_and_sensibility_01_austen_64kb-0870"
    ref = json.loads(stem.with_name(stem.name + ".phone.json").read_text())["w"]
    a = align(stem.with_suffix(".flac"), stem.with_suffix(".txt").read_text())
    ref_phones = [p for w in ref if not w["t"].startswith("<") for p in w["w"]]
    ours = a.spoken_phones()
    assert len(ours) == len(ref_phones)
    labels = [arpabet_to_ipa(p["t"])[0] for p in ref_phones]
    # same phones except for stress-dependent qualities (AH -> ʌ/ə, ER -> ɝ/ɚ)
    same = sum(o.label == r or {o.label, r} in ({"ə", "ʌ"}, {"ɚ", "ɝ"}) for o, r in zip(ours, labels))
    assert same == len(ours)
    err = np.array([abs(o.start - r["b"]) for o, r in zip(ours, ref_phones)])
    assert err.mean() < 0.02 and np.percentile(err, 90) < 0.05, err


@pytest.mark.parametrize(
    "name,text,grid,tier",
    [("mary", "Mary rolled the barrel.", "mary.TextGrid", "word"),
     ("bobby", "Bobby ripped the ledger.", "bobby_words.TextGrid", "word"),
     ("damon_set_test", "Damon fried the omelet.", "damon_set_test.TextGrid", "words")],
)
def test_praatio_recordings_agree_with_textgrids(speech_dir: Path, name, text, grid, tier):
    from praatio import textgrid

    a = align(speech_dir / "praatio" / f"{name}.flac", text)
    _check_tiers(a)
    tg = textgrid.openTextgrid(str(speech_dir / "praatio" / grid), includeEmptyIntervals=False)
    ref = [(e.start, e.end) for e in tg.getTier(tier).entries]
    spoken = a.spoken_words()
    assert len(spoken) == len(ref) == 4
    err = np.array([abs(w.start - r[0]) for w, r in zip(spoken, ref)]
                   + [abs(w.end - r[1]) for w, r in zip(spoken, ref)])
    assert err.max() < 0.08 and err.mean() < 0.04, err
    assert a.ok, a.issues


def test_same_input_same_output(speech_dir: Path, aligner: PocketsphinxAligner):
    wav, text, _ = _librivox(speech_dir, "0880")
    y, sr = load_audio(wav)
    first = aligner.align(y, sr, text.split())
    aligner.align(*load_audio(speech_dir / "praatio" / "mary.flac"), ["mary", "rolled", "the", "barrel"])
    again = aligner.align(y, sr, text.split())
    assert first.to_dict() == again.to_dict()


# ------------------------------------------------------------- mismatches
def _variants(text: str) -> dict[str, list[str]]:
    w = text.split()
    k = len(w) // 2
    return {
        "inserted": w[:k] + ["elephant", "banana"] + w[k:],
        "substituted": w[:k] + ["elephant"] + w[k + 1:],
        "extra_at_end": w + ["thank", "you", "very", "much"],
        "extra_at_start": ["so", "anyway"] + w,
        "missing_at_end": w[:-2],
        "missing_in_middle": w[:k] + w[k + 2:],
    }


@pytest.mark.parametrize("utt", ["0880", "0890"])
def test_mismatched_transcripts_are_reported(speech_dir: Path, aligner: PocketsphinxAligner, utt: str):
    wav, text, _ = _librivox(speech_dir, utt)
    y, sr = load_audio(wav)
    correct = aligner.align(y, sr, text.split())
    assert correct.ok and min(w.confidence for w in correct.spoken_words()) > 0.5
    for kind, words in _variants(text).items():
        a = aligner.align(y, sr, words)
        _check_tiers(a)
        assert [w.label for w in a.spoken_words()] == words  # every word is in the tier, in order
        assert a.issues, f"{kind}: no issue reported"
        low = [w.label for w in a.spoken_words() if w.confidence < 0.5]
        if kind in ("inserted", "substituted", "extra_at_end", "extra_at_start"):
            added = {"elephant", "banana", "thank", "very", "much", "so", "anyway"}
            # the words that are not spoken get low confidence (neighbours may too)
            assert added & set(low), (kind, low, a.issues)
            assert any(any(x in issue for x in added) for issue in a.issues), (kind, a.issues)
        else:
            # missing words: untranscribed speech is reported as a pause that sounds like
            # speech, or as stretched / poorly matching neighbours
            assert any("sounds like speech" in i or "unusually long" in i or "poor acoustic" in i
                       for i in a.issues), (kind, a.issues)


def test_words_after_the_speech_are_skipped_with_zero_length(speech_dir: Path, aligner):
    """Words the audio cannot hold are not forced: zero length, zero confidence, no phones."""
    wav, text, _ = _librivox(speech_dir, "0870")
    words = text.split() + ["thank", "you", "very", "much"]
    a = aligner.align(*load_audio(wav), words)
    _check_tiers(a)
    extra = [w for w in a.spoken_words()][-4:]
    assert [w.label for w in extra] == ["thank", "you", "very", "much"]
    for w in extra:
        assert w.confidence == 0.0 and w.duration == 0.0
        k = a.words.index(w)
        assert not [p for p in a.phones if p.word == k]
    assert any("'thank': not found in the audio" in i for i in a.issues)
    assert all(w.confidence > 0.5 for w in a.spoken_words()[:-5])


def test_noise_is_not_speech(aligner):
    rng = np.random.default_rng(1)
    noise = (0.02 * rng.standard_normal(32000)).astype(np.float32)
    a = aligner.align(noise, 16000, ["hello", "world"])
    _check_tiers(a)
    assert a.issues and all(w.confidence < 0.5 for w in a.spoken_words())


# ------------------------------------------------------------- unknown words
def _espeak(text: str, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    y, _ = load_audio(path)
    return y


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is required (Debian package)")
def test_made_up_word_is_aligned_with_g2p(tmp_path: Path, aligner):
    """A word in no dictionary ('vorpish') gets a G2P pronunciation and lands where it was spoken.

    The audio is espeak-ng speech made of three separately synthesised parts, so the
    made-up word's true span is known: it lies inside the middle part.
    """
    word = "vorpish"
    assert default_pronouncer().source(word) == "g2p"
    parts = [_espeak(t, tmp_path / f"p{i}.wav") for i, t in enumerate(["please put the", word, "on the table"])]
    y = np.concatenate(parts)
    lo, hi = len(parts[0]) / 16000, (len(parts[0]) + len(parts[1])) / 16000
    path = tmp_path / "line.wav"
    soundfile.write(str(path), y, 16000)
    a = align(path, f"Please put the {word} on the table.")
    _check_tiers(a)
    w = next(x for x in a.spoken_words() if x.label == word)
    assert lo - 0.03 <= w.start < w.end <= hi + 0.03
    assert w.duration > 0.25 and w.confidence > 0.5
    k = a.words.index(w)
    got = [p.label for p in a.phones if p.word == k]
    assert got == [arpabet_to_ipa(s)[0] for s in default_pronouncer().arpabet(word)[0]]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is required (Debian package)")
def test_pronunciation_override_is_used(tmp_path: Path):
    y = _espeak("the zarquon is here", tmp_path / "z.wav")
    a = align((y, 16000), "the zarquon is here", pronunciations={"zarquon": "Z AA1 R K W AA0 N"})
    k = next(i for i, w in enumerate(a.words) if w.label == "zarquon")
    assert [p.label for p in a.phones if p.word == k] == ["z", "ɑ", "ɹ", "k", "w", "ɑ", "n"]
    assert [p.stress for p in a.phones if p.word == k and p.label == "ɑ"] == [1, 0]


# ------------------------------------------------------------- long audio
def test_long_audio_is_aligned_in_windows(speech_dir: Path):
    """25 s of speech with 10 s windows: cuts fall in pauses, times match the references."""
    ys, words, ref, offset = [], [], [], 0.0
    for utt in LIBRIVOX:
        wav, text, r = _librivox(speech_dir, utt)
        y, _ = load_audio(wav)
        ys.append(y)
        words += text.split()
        ref += [(x["b"] + offset, x["b"] + x["d"] + offset) for x in r]
        offset += len(y) / 16000
    y = np.concatenate(ys)
    windowed = PocketsphinxAligner(window=10.0, margin=2.0)
    calls = []
    original = windowed._align_chunk

    def spy(*args, **kwargs):
        calls.append(args[-1])
        return original(*args, **kwargs)

    windowed._align_chunk = spy  # count the chunks
    a = windowed.align(y, 16000, words)
    assert len(calls) >= 2
    _check_tiers(a)
    spoken = a.spoken_words()
    assert [w.label for w in spoken] == words
    err = np.array([abs(w.start - r[0]) for w, r in zip(spoken, ref)])
    assert err.mean() < 0.03 and np.percentile(err, 95) < 0.08, err
    whole = PocketsphinxAligner(window=60.0).align(y, 16000, words)
    diff = np.array([abs(p.start - q.start) for p, q in zip(spoken, whole.spoken_words())])
    assert np.median(diff) <= 0.011


# ------------------------------------------------------------- errors and quiet
def test_errors(speech_dir: Path, aligner):
    y, sr = load_audio(speech_dir / "praatio" / "mary.flac")
    with pytest.raises(TranscriptError):
        aligner.align(y, sr, [])
    with pytest.raises(TranscriptError, match="no words|no speakable words"):
        align((y, sr), " ... !? ")
    with pytest.raises(BackendUnavailableError, match="English"):
        aligner.align(y, sr, ["hola"], language="es")
    with pytest.raises(AlignmentError, match="could not start"):
        PocketsphinxAligner(hmm=speech_dir / "no-such-model").align(y, sr, ["mary"])
    with pytest.raises(AlignmentError):
        PocketsphinxAligner(window=1.0)


def test_pocketsphinx_prints_nothing(speech_dir: Path, capfd):
    align(speech_dir / "praatio" / "mary.flac", "mary rolled the barrel")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is required (Debian package)")
def test_a_voice_the_beams_prune_is_aligned_with_widened_beams(aligner):
    """Regression: espeak-ng's en-gb-x-rp voice at 175 wpm fits the acoustic model so poorly that
    the usual beams prune every path through the plain grammar; the skip grammar then placed
    "please" and gave the 8 other words zero duration. The widened retry aligns them all."""
    from phoneme.espeak import synthesize

    text = "Please pass me the velvet pillow from the sofa."
    syn = synthesize(text, voice="en-gb-x-rp", rate=175, sample_rate=16000).padded(0.5, 0.3)
    a = aligner.align(syn.samples, 16000, normalize_text(text))
    spoken = a.spoken_words()
    assert [w.label for w in spoken] == ["please", "pass", "me", "the", "velvet", "pillow", "from", "the", "sofa"]
    assert all(w.end > w.start for w in spoken)
    assert not any("skipped" in issue for issue in a.issues)
    gold = {w.label.lower(): (w.start, w.end) for w in syn.words}
    for name in ("please", "pass", "pillow", "sofa"):
        w = next(w for w in spoken if w.label == name)
        assert gold[name][0] - 0.1 < (w.start + w.end) / 2 < gold[name][1] + 0.1, (name, w, gold[name])
