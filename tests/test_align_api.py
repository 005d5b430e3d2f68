"""phoneme.align's front door: transcript sources, aligner selection, the registry, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import phoneme
from phoneme import align, load_audio
from phoneme.aligners import (
    Aligner,
    PocketsphinxAligner,
    available_aligners,
    get_aligner,
    register_aligner,
)
from phoneme.aligning import read_transcript
from phoneme.errors import AlignmentError, AudioError, TranscriptError
from phoneme.types import Alignment, Interval


def test_exports():
    assert phoneme.align is align and phoneme.load_audio is load_audio
    assert {"pocketsphinx", "textgrid"} <= set(available_aligners())


def test_transcript_file_and_text_agree(speech_dir: Path):
    stem = speech_dir / "librivox" / "sense_and_sensibility_01_austen_64kb-0930"
    from_path = align(stem.with_suffix(".flac"), stem.with_suffix(".txt"))
    from_str = align(str(stem.with_suffix(".flac")), str(stem.with_suffix(".txt")))
    from_text = align(stem.with_suffix(".flac"), "He might even have been made amiable himself.")
    assert from_path.to_dict() == from_str.to_dict() == from_text.to_dict()
    assert from_text.transcript == "he might even have been made amiable himself"


def test_mfa_lab_transcript_is_normalised(speech_dir: Path):
    a = align(speech_dir / "mfa_tests" / "61-70968-0000.flac", speech_dir / "mfa_tests" / "61-70968-0000.lab")
    assert [w.label for w in a.spoken_words()][:3] == ["he", "began", "a"]  # upper case in the file


def test_audio_tuple_at_other_rate(speech_dir: Path):
    y, _ = load_audio(speech_dir / "praatio" / "mary.flac", sample_rate=48000)
    stereo = np.stack([y, y], axis=1)
    a = align((stereo, 48000), "Mary rolled the barrel")
    b = align(speech_dir / "praatio" / "mary.flac", "Mary rolled the barrel")
    assert [w.label for w in a.spoken_words()] == ["mary", "rolled", "the", "barrel"]
    assert np.allclose([w.start for w in a.words], [w.start for w in b.words], atol=0.011)


def test_aligner_instances_and_registry(speech_dir: Path):
    wav = speech_dir / "praatio" / "mary.flac"
    a = align(wav, "mary rolled the barrel", aligner=PocketsphinxAligner(window=20.0))
    assert a.aligner == "pocketsphinx"

    class Even(Aligner):
        """Spreads the words evenly: a stand-in backend to check the plug-in path."""

        name = "even"

        def align(self, samples, sample_rate, words, *, language="en", pronunciations=None):
            d = len(samples) / sample_rate
            edges = np.linspace(0, d, len(words) + 1)
            ws = [Interval(w, float(s), float(e)) for w, s, e in zip(words, edges, edges[1:])]
            return Alignment(ws, [Interval("sil", 0.0, d)], d, " ".join(words), self.name)

    register_aligner("even", Even, replace=True)
    assert "even" in available_aligners()
    b = align(wav, "Mary rolled", aligner="even")
    assert b.aligner == "even" and [w.label for w in b.words] == ["mary", "rolled"]
    with pytest.raises(ValueError, match="already registered"):
        register_aligner("even", Even)
    with pytest.raises(AlignmentError, match="unknown aligner 'nope'.*pocketsphinx"):
        align(wav, "mary", aligner="nope")
    with pytest.raises(AlignmentError, match="unknown pocketsphinx option.*colour"):
        get_aligner("pocketsphinx", colour="blue")
    with pytest.raises(AlignmentError, match="bad options for aligner 'textgrid'"):
        get_aligner("textgrid", grid="x.TextGrid")
    with pytest.raises(AlignmentError, match="instance"):
        get_aligner(PocketsphinxAligner(), window=10.0)


def test_transcript_errors(tmp_path: Path, speech_dir: Path):
    wav = speech_dir / "praatio" / "mary.flac"
    with pytest.raises(TranscriptError, match="does not exist"):
        align(wav, tmp_path / "missing.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(TranscriptError, match="cannot read"):
        align(wav, bad)
    with pytest.raises(TranscriptError):
        align(wav, "")
    with pytest.raises(TranscriptError):
        read_transcript(42)  # type: ignore[arg-type]
    # a sentence that merely ends in ".txt" is text; a lone missing file name is an error
    assert read_transcript("see notes.txt") == "see notes.txt"
    with pytest.raises(TranscriptError, match="does not exist"):
        align(wav, str(tmp_path / "typo.txt"))


def test_audio_errors_come_first(tmp_path: Path):
    with pytest.raises(AudioError, match="does not exist"):
        align(tmp_path / "none.wav", "hello")
    with pytest.raises(AudioError, match="silent"):
        align((np.zeros(16000, dtype=np.float32), 16000), "hello")
