"""The synthesis_dtw aligner: real espeak-ng templates warped onto speech in other voices and rates
(gold from that speech's own espeak events) and onto real English speech (reference: the LibriVox
line's pocketsphinx alignment in tests/data); and the DTW pieces on their own.

Test speech is synthesised in a fresh helper process (``synthesize_isolated``): the same audio
whatever the suite made espeak-ng say before."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from phoneme import align
from phoneme.aligners import SynthesisDtwAligner, available_aligners, get_aligner
from phoneme.aligners.dtw import column_spans, mfcc, warp
from phoneme.aligners.template_synthesis import synthesize_isolated
from phoneme.errors import AlignmentError
from phoneme.espeak import UnknownVoiceError, synthesize
from phoneme.loudness import band_energy_db
from phoneme.multilingual import transcript_words

LINES = {
    "es": "Mi madre compró pan y manzanas en el mercado.",
    "de": "Wir fahren morgen mit dem Zug nach Berlin.",
    "fr": "Ma mère prépare une bonne soupe aux légumes.",
    "it": "Il treno per Roma parte alle nove.",
    "pt": "O menino bebe um copo de leite.",
    "ja": "ともだちと いっしょに ひるごはんを たべました。",
}


def _word_errors(alignment, syn) -> np.ndarray:
    got = [w for w in alignment.words if not w.is_silence]
    assert [w.label for w in got] == [w.label.lower() for w in syn.words]
    return np.array([[abs(g.start - s.start), abs(g.end - s.end)] for g, s in zip(got, syn.words)])


@pytest.mark.parametrize("language", sorted(LINES))
def test_other_voice_and_rate(language):
    """Test speech: espeak's female variant at 130 wpm; the template: the plain voice at a matched rate."""
    text = LINES[language]
    syn = synthesize_isolated(text, voice=f"{language}+f3", rate=130, pitch=70, sample_rate=16000).padded(0.3, 0.3)
    a = align((syn.samples, syn.sample_rate), text, language=language, aligner="synthesis_dtw")
    err = _word_errors(a, syn)
    assert np.median(err) < 0.02 and err.max() < 0.1, err
    assert a.ok and a.aligner == "synthesis_dtw" and a.language == language
    # contiguous tiers over the whole audio; every phone belongs to a word; vowels carry stress
    for tier in (a.words, a.phones):
        assert tier[0].start == 0 and abs(tier[-1].end - syn.duration) < 1e-9
        assert all(abs(x.end - y.start) < 1e-9 for x, y in itertools.pairwise(tier))
    spoken = a.spoken_phones()
    assert all(p.word is not None and not a.words[p.word].is_silence for p in spoken)
    assert any(p.stress == 1 for p in spoken)


def test_real_english_speech_against_pocketsphinx(speech_dir):
    """LibriVox line; reference: pocketsphinx's alignment shipped with it (agreement, not truth)."""
    stem = speech_dir / "librivox" / "sense_and_sensibility_01_austen_64kb-0870"
    ref = [w for w in json.loads(stem.with_suffix(".json").read_text())["w"] if w["t"] != "<sil>"]
    text = stem.with_suffix(".txt").read_text()
    a = align(stem.with_suffix(".flac"), text, aligner="synthesis_dtw")
    got = a.spoken_words()
    assert [w.label for w in got] == text.split()
    err = np.array([[abs(g.start - r["b"]), abs(g.end - r["b"] - r["d"])] for g, r in zip(got, ref)])
    assert np.median(err) < 0.04 and np.percentile(err, 90) < 0.15, np.round(err, 3)


def test_a_long_pause_becomes_silence():
    text = "Pablo bebe agua fresca de la fuente."
    syn = synthesize_isolated(text, voice="es+m3", rate=170, sample_rate=16000)
    cut = round(syn.words[2].start * 16000)  # insert 0.8 s of silence before "agua"
    noise = np.random.default_rng(0).normal(0, 1e-3, len(syn.samples) + 12800).astype(np.float32)
    samples = np.concatenate([syn.samples[:cut], np.zeros(12800, np.float32), syn.samples[cut:]]) + noise
    a = get_aligner("synthesis_dtw").align(samples, 16000, transcript_words(text, language="es"),
                                           language="es")
    words = a.spoken_words()
    assert abs(words[1].end - syn.words[1].end) < 0.05
    assert abs(words[2].start - (syn.words[2].start + 0.8)) < 0.05
    gap = [w for w in a.words if w.is_silence and w.start >= words[1].end - 1e-9 and w.end <= words[2].start + 1e-9]
    assert gap and gap[0].duration > 0.7


def test_deterministic_whatever_was_synthesised_before():
    """espeak-ng's output depends on what it said before in a process; the templates must not."""
    text = LINES["de"]
    syn = synthesize(text, voice="de+m3", rate=200, sample_rate=16000)
    first = align((syn.samples, 16000), text, language="de")
    for k in range(3):
        synthesize("Etwas ganz anderes dazwischen " * (k + 1), voice="de")
    again = align((syn.samples, 16000), text, language="de")
    assert first.phones == again.phones and first.words == again.words


def test_errors_say_what_to_do():
    syn = synthesize_isolated("hola", voice="es", sample_rate=16000)
    aligner = SynthesisDtwAligner()
    with pytest.raises(AlignmentError, match="pronunciation overrides"):
        aligner.align(syn.samples, 16000, ["hola"], language="es", pronunciations={"hola": "o l a"})
    with pytest.raises(AlignmentError, match="word list is empty"):
        aligner.align(syn.samples, 16000, [], language="es")
    with pytest.raises(UnknownVoiceError, match="no usable voice 'xx'"):
        aligner.align(syn.samples, 16000, ["hola"], language="xx")
    assert "synthesis_dtw" in available_aligners()


# ----------------------------------------------------------------------------- DTW pieces


def test_warp_follows_a_time_stretch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 5))
    stretched = np.repeat(x, 2, axis=0)  # the query is twice as slow
    path = warp(stretched, x)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [119, 59]
    assert np.all(np.abs(path[:, 0] // 2 - path[:, 1]) <= 1)
    spans = column_spans(path, 60)
    assert np.allclose(spans[:, 1] - spans[:, 0], 2.0, atol=1.0)
    assert np.allclose(spans[1:, 0], spans[:-1, 1]) and spans[0, 0] == -0.5 and spans[-1, 1] == 119.5


def test_warp_dwells_on_a_pause_column_only_for_silence():
    rng = np.random.default_rng(4)
    speech = rng.standard_normal((40, 4)) + 3.0
    silence = np.zeros((25, 4))
    query = np.concatenate([speech[:20], silence, speech[20:]])
    template = np.concatenate([speech[:20], np.zeros((1, 4)), speech[20:]])  # column 20 is the pause
    pause = np.zeros(41, bool)
    pause[20] = True
    path = warp(query, template, pause_columns=pause, pause_cost=np.linalg.norm(query, axis=1))
    rows = path[path[:, 1] == 20, 0]
    assert rows.min() == 20 and rows.max() == 44  # exactly the silent frames
    with pytest.raises(AlignmentError, match="pause cost"):
        warp(query, template, pause_columns=pause)


def test_warp_refuses_what_would_not_fit_in_memory():
    with pytest.raises(AlignmentError, match="split the line"):
        warp(np.zeros((7000, 2)), np.zeros((6000, 2)))


def test_features():
    sr = 16000
    x = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1
    f = mfcc(x, sr)
    assert f.shape == (101, 24) and np.allclose(f.mean(axis=0), 0, atol=1e-9)
    # the level is band-limited: a DC offset or 20 Hz rumble is not sound
    rumble = 0.5 + 0.5 * np.sin(2 * np.pi * 20 * np.arange(sr) / sr)
    assert band_energy_db(rumble, sr)[5:-5].max() < -35  # the raw level is -3 dB
    assert band_energy_db(x, sr)[5:-5].min() > -30
