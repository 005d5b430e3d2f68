"""QC's A/V sync check on real speech: no false alarm on correct lines (prior and the default learned model),
a deliberately shifted picture is flagged (issue #13: the learned model read +300 / −228 / +240 ms)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kmtalk
from kmtalk.face.animation import Animation
from kmtalk.dubbing.qc import qc_report

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"


def _lines(speech_dir: Path) -> list[tuple[Path, str]]:
    out = [(HELLO, HELLO.with_suffix(".txt").read_text("utf-8").strip())]
    for stem in ("sense_and_sensibility_01_austen_64kb-0870", "sense_and_sensibility_01_austen_64kb-0890"):
        wav = speech_dir / "librivox" / f"{stem}.flac"
        out.append((wav, wav.with_suffix(".txt").read_text("utf-8").strip()))
    mfa = speech_dir / "mfa_tests" / "61-70968-0000.flac"
    out.append((mfa, mfa.with_suffix(".lab").read_text("utf-8").strip()))
    return out


@pytest.fixture(scope="module")
def animations(speech_dir):
    return {(wav.name, method): kmtalk.animate(wav, text, method=method)
            for wav, text in _lines(speech_dir) for method in ("prior", "auto")}


def _delayed(anim: Animation, seconds: float) -> Animation:
    """The same curves shown ``seconds`` later (the first frame held), sound and phones unchanged."""
    t = np.arange(anim.n_frames) / anim.fps
    w = np.stack([np.interp(t - seconds, t, anim.weights[:, j]) for j in range(anim.weights.shape[1])], 1)
    return Animation(fps=anim.fps, weights=w, phones=anim.phones, words=anim.words, keys=anim.keys,
                     audio_path=anim.audio_path, meta=dict(anim.meta))


def test_correct_lines_raise_no_av_alarm(animations):
    methods = {m for (_, m) in [(k, a.meta["method"]) for k, a in animations.items()]}
    assert methods == {"prior", "learned"}  # the default ("auto") path is the shipped learned model
    for (name, method), anim in animations.items():
        rep = qc_report(anim)
        assert rep.av_within_detectability is not False, (name, method, rep.av_offset_ms, rep.av_correlation)
        assert not any(p.startswith("A/V") for p in rep.problems()), (name, method)
        if method == "prior":  # the prior follows the alignment: a confident, near-zero reading
            assert rep.av_within_detectability is True and abs(rep.av_offset_ms) <= 45, (name, rep.av_offset_ms)


@pytest.mark.parametrize("seconds", [0.25, -0.25])
def test_shifted_picture_is_flagged(animations, seconds):
    for (name, method), anim in animations.items():
        rep = qc_report(_delayed(anim, seconds))
        assert rep.av_within_detectability is False, (name, method, rep.av_offset_ms, rep.av_correlation)
        assert rep.av_offset_ms == pytest.approx(seconds * 1000, abs=50), (name, method)
        side = "sound before picture" if seconds > 0 else "sound after picture"
        assert any(p.startswith("A/V") and side in p for p in rep.problems()), (name, method)
