"""kmtalk.animate through the learned path (KMTalk model from a checkpoint) on real speech.

The model here is small and *untrained* (random weights, seeded): what is tested is the
wiring and the guarantees that must hold whatever the network predicts — closures and
locks exact, curves in [0, 1], deterministic — not animation quality.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kmtalk
from completion.checkpoint import save_checkpoint
from completion.model import KMTalkConfig, KMTalkModel
from kmtalk.errors import CheckpointError, KmtalkError
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.train.metrics import lip_gap_mm

LIBRI = "sense_and_sensibility_01_austen_64kb-0870"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = KMTalkModel(KMTalkConfig.small())
    return save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "tiny")


@pytest.fixture(scope="module")
def libri(speech_dir):
    return (speech_dir / "librivox" / f"{LIBRI}.flac",
            (speech_dir / "librivox" / f"{LIBRI}.txt").read_text().strip())


def test_learned_path_keeps_closures_and_locks_exact(libri, checkpoint):
    wav, text = libri
    locks = {30: {"jawOpen": 0.9}, 2.0: "ou"}
    a = kmtalk.animate(wav, text, method="learned", checkpoint=checkpoint, locks=locks)
    assert a.meta["method"] == "learned"
    assert a.weights.shape[1] == 52 and 0 <= a.weights.min() and a.weights.max() <= 1
    closures = [k.frame for k in a.keys if k.kind == "bilabial_closure"]
    assert len(closures) >= 5
    assert np.all(lip_gap_mm(a.weights[closures], kmtalk.default_rig()) < 1.0)
    assert a.weights[30, ARKIT_INDEX["jawOpen"]] == np.float32(0.9)
    again = kmtalk.animate(wav, text, method="learned", checkpoint=checkpoint, locks=locks)
    assert np.array_equal(a.weights, again.weights)
    prior = kmtalk.animate(wav, text, method="prior", locks=locks)
    assert not np.array_equal(a.weights, prior.weights)


def test_method_selection_errors(libri, checkpoint, tmp_path):
    wav, text = libri
    if kmtalk.animator.learned.shipped_checkpoint() is None:
        assert kmtalk.animate(wav, text).meta["method"] == "prior"  # auto falls back to the prior
        with pytest.raises(CheckpointError, match="needs a trained model"):
            kmtalk.animate(wav, text, method="learned")
    with pytest.raises(KmtalkError, match="not 'prior'"):
        kmtalk.animate(wav, text, method="prior", checkpoint=checkpoint)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((checkpoint / "config.json").read_text())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError):
        kmtalk.animate(wav, text, checkpoint=broken)


def test_reference_style_reaches_the_learned_model(libri, checkpoint, tmp_path):
    """The ``reference`` style previews the line with the animator in use — here the model — and
    sets the model's jaw/lip style axes from the measured ranges (docs/styles.md has the figures
    for a trained model; this untrained one checks the wiring, not the matching)."""
    wav, text = libri
    neutral = kmtalk.animate(wav, text, method="learned", checkpoint=checkpoint)
    lively = kmtalk.animate(wav, text, method="prior", style={"jaw": 1.5, "lip": 1.5})
    ref = lively.save(tmp_path / "lively.npz")
    styled = kmtalk.animate(wav, text, method="learned", checkpoint=checkpoint, style=f"reference:path={ref}")
    assert styled.meta["method"] == "learned" and styled.meta["styles"] == [f"reference:path={ref}"]
    assert styled.meta["style"] != {"jaw": 1.0, "lip": 1.0}
    assert not np.array_equal(styled.weights, neutral.weights)
    closures = [k.frame for k in styled.keys if k.kind == "bilabial_closure"]
    assert np.all(lip_gap_mm(styled.weights[closures], kmtalk.default_rig()) < 1.0)
