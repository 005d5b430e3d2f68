"""An editor lock that opens a bilabial closure is warned about and reported by QC (issue #13).

Real components: the bundled example's speech, pocketsphinx, the prior and the learned model, the default rig.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

import kmtalk
from kmtalk.dubbing.qc import qc_report
from kmtalk.train.metrics import lip_gap_mm

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"
TEXT = HELLO.with_suffix(".txt").read_text("utf-8").strip()  # "Bob fed five blue balloons to the movie mouse."


@pytest.fixture(scope="module")
def plain():
    return kmtalk.animate(HELLO, TEXT, method="prior")


def _frame_of(anim, phone: str, word: str) -> int:
    """A frame in the middle of ``phone`` of ``word``."""
    for ph in anim.phones:
        if ph.label == phone and ph.word is not None and anim.words[ph.word].label.lower() == word:
            return min(max(math.floor(ph.mid * anim.fps + 0.5), 0), anim.n_frames - 1)
    raise AssertionError(f"/{phone}/ of {word!r} not found")


@pytest.mark.parametrize("method", ["prior", "auto"])
def test_lock_opening_a_closure_is_warned_and_reported(plain, caplog, method):
    f = _frame_of(plain, "b", "blue")
    with caplog.at_level(logging.WARNING, logger="kmtalk"):
        anim = kmtalk.animate(HELLO, TEXT, method=method, locks={f: {"jawOpen": 0.9}})
    assert lip_gap_mm(anim.weights[[f]], anim.get_rig())[0] > 1.0  # the lock wins: the lips are open
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "closure" in r.getMessage()]
    assert len(warned) == 1 and f"frame {f}" in warned[0].getMessage() and "blue" in warned[0].getMessage()
    rep = qc_report(anim)
    assert [(c["frame"], c["phone"], c["word"]) for c in rep.locks_opening_closures] == [(f, "b", "blue")]
    assert rep.locks_opening_closures[0]["channels"] == ["jawOpen"]
    assert not rep.ok and any(p.startswith("lock opens closure") for p in rep.problems())
    assert rep.to_dict()["locks_opening_closures"] == rep.locks_opening_closures


def test_harmless_locks_are_not_reported(plain, caplog):
    f_b = _frame_of(plain, "b", "blue")
    f_vowel = _frame_of(plain, "u", "blue")
    with caplog.at_level(logging.WARNING, logger="kmtalk"):
        # A smile on the /b/ leaves the lips closed; an open jaw on a vowel opens nothing that should be shut.
        anim = kmtalk.animate(HELLO, TEXT, method="prior",
                              locks={f_b: {"mouthSmileLeft": 0.5}, f_vowel: {"jawOpen": 0.9}})
    assert not [r for r in caplog.records if "closure" in r.getMessage()]
    assert qc_report(anim).locks_opening_closures == []
    assert qc_report(plain).locks_opening_closures == []


def test_spanish_approximant_beta_is_not_a_closure(tmp_path):
    """Spanish /b/ between vowels is the approximant [β] (lips near, not shut): no closure key, so QC must
    neither count it as a closure nor report it missed. The word-initial /b/ after a pause still counts."""
    import subprocess

    text = "Bueno, el lobo bebe agua"
    wav = tmp_path / "es.wav"
    subprocess.run(["espeak-ng", "-v", "es", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    anim = kmtalk.animate(wav, text, language="es", method="prior", check_transcript=False)
    labels = [p.label for p in anim.phones]
    assert labels.count("β") >= 3 and "b" in labels  # espeak's Spanish: [b]ueno, lo[β]o, [β]e[β]e
    rep = qc_report(anim)
    closure_keys = [k for k in anim.keys if k.kind == "bilabial_closure"]
    assert rep.closures == len(closure_keys) == labels.count("b") + labels.count("p") + labels.count("m")
    assert rep.closures_missed == [] and not any("β" in p for p in rep.problems())
