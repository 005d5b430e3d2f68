"""kmtalk.dubbing.qc: QC report fields on real animations (espeak-ng speech, pocketsphinx, the prior, the default rig)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import kmtalk
from kmtalk.face.animation import Animation
from kmtalk.dubbing.qc import (
    BT1359_ACCEPTABILITY_MS,
    BT1359_DETECTABILITY_MS,
    QCReport,
    av_offset,
    qc_report,
)
from kmtalk.dubbing.retime import retime

TEXT = "Bob bought a big blue balloon for the party"


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    d = tmp_path_factory.mktemp("qc")
    for name, voice, rate in (("a", "en-us", 140), ("b", "en-gb+f3", 215)):
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(d / f"{name}.wav"), TEXT],
                       check=True, capture_output=True)
    a = kmtalk.animate(d / "a.wav", TEXT, method="prior")  # QC's logic, on the deterministic prior
    return {"dir": d, "a": a, "b_wav": d / "b.wav"}


def _shifted(anim: Animation, frames: int) -> Animation:
    """The same curves shown ``frames`` later (positive) or earlier, the audio unchanged."""
    w = np.roll(anim.weights, frames, axis=0)
    return Animation(fps=anim.fps, weights=w, phones=anim.phones, words=anim.words, keys=anim.keys,
                     audio_path=anim.audio_path, meta=dict(anim.meta))


def test_clean_line_passes(lines):
    rep = qc_report(lines["a"])
    assert isinstance(rep, QCReport)
    assert rep.closures == sum(p.label in ("p", "b", "m") for p in lines["a"].phones) == 7
    assert rep.closures_missed == [] and rep.unplaced_locks == [] and rep.alignment_issues == []
    assert rep.source_duration is None and rep.isochrony_ok is None
    assert rep.av_within_detectability is True and rep.av_within_acceptability is True
    assert abs(rep.av_offset_ms) < 45 and rep.av_correlation > 0.3
    d = rep.to_dict()
    assert d["ok"] is True and d["problems"] == []
    json.dumps(d)


def test_isochrony_against_the_source(lines):
    new = retime(lines["a"], lines["b_wav"], TEXT)
    rep = qc_report(new)
    assert rep.source_duration == pytest.approx(lines["a"].duration, abs=1e-3)
    assert rep.duration_ratio == pytest.approx(new.duration / lines["a"].duration, abs=1e-3)
    spoken = lambda a: [p for p in a.phones if not p.is_silence]
    sa, sb = spoken(lines["a"]), spoken(new)
    want = (sb[-1].end - sb[0].start) / (sa[-1].end - sa[0].start)
    assert rep.speech_ratio == pytest.approx(want, abs=1e-3)
    assert want < 0.85 and rep.isochrony_ok is False  # the dub is ~30 % faster
    assert any(p.startswith("isochrony") for p in rep.problems())
    # Given explicitly, the source gives the same figures; the line against itself is isochronous.
    assert qc_report(new, source=lines["a"]).speech_ratio == rep.speech_ratio
    assert qc_report(lines["a"], source=lines["a"]).isochrony_ok is True


def test_missed_closure_is_found(lines):
    a = lines["a"]
    key = next(k for k in a.keys if k.kind == "bilabial_closure" and k.phone == "b"
               and a.words[a.phones[k.phone_index].word].label == "blue")
    ph = a.phones[key.phone_index]
    frames = range(int(np.ceil(ph.start * a.fps)), int(np.floor(ph.end * a.fps)) + 1)
    opened = kmtalk.animate(a.audio_path, TEXT, locks={f: {"jawOpen": 0.5, "mouthClose": 0.0} for f in frames})
    rep = qc_report(opened)
    assert [(c["phone"], c["word"]) for c in rep.closures_missed] == [("b", "blue")]
    assert rep.closures_missed[0]["gap_mm"] > 1.0 and rep.closures == 7
    assert not rep.ok and "missed closure" in rep.problems()[0]


def test_av_offset_sign_and_limits(lines):
    a = lines["a"]
    base = qc_report(a).av_offset_ms
    late = qc_report(_shifted(a, 5))     # picture 167 ms after the sound: sound before picture (+)
    early = qc_report(_shifted(a, -5))   # picture 167 ms early: sound after picture (−)
    assert late.av_offset_ms - base == pytest.approx(5000 / 30, abs=25)
    assert base - early.av_offset_ms == pytest.approx(5000 / 30, abs=25)
    assert late.av_within_detectability is False and late.av_within_acceptability is False
    assert early.av_within_detectability is False and early.av_within_acceptability is True
    assert any("sound before picture" in p for p in late.problems())
    assert BT1359_DETECTABILITY_MS == (-125.0, 45.0) and BT1359_ACCEPTABILITY_MS == (-185.0, 90.0)


def test_no_audio_no_av_estimate(lines):
    a = lines["a"]
    silent = Animation(fps=a.fps, weights=a.weights, phones=a.phones, words=a.words, keys=a.keys)
    rep = qc_report(silent)
    assert rep.av_offset_ms is None and rep.av_within_detectability is None
    assert rep.closures == 7


def test_av_offset_on_synthetic_signal():
    sr, fps = 16000, 25.0
    t = np.arange(4 * sr) / sr
    env = (np.sin(2 * np.pi * 1.7 * t) > 0.2).astype(float)
    audio = env * np.sin(2 * np.pi * 180 * t)
    for lag in (-0.12, 0.0, 0.06):
        ap = np.interp(np.arange(100) / fps - lag, t, env)
        off, r = av_offset(ap, fps, audio, sr)
        assert off == pytest.approx(lag * 1000, abs=12) and r > 0.7
