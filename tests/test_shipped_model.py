"""The shipped learned models are the ones docs/training.md describes: their files' sha256, their size and
how they were made (the facts in the docs' "Shipped model" tables are read from the docs and checked here),
and the Whisper model works by name on real speech.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from completion.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "assets" / "models"
DOC = ROOT / "docs" / "training.md"
TABLES = {"kmtalk-arkit": "<!-- shipped-model -->", "kmtalk-arkit-whisper": "<!-- shipped-model-whisper -->"}


def _documented(marker: str) -> dict[str, str]:
    """``| key | `value` |`` rows of the docs' table after ``marker`` (up to the next heading)."""
    section = DOC.read_text("utf-8").split(marker)[1].split("\n#")[1]
    return dict(re.findall(r"^\| ([a-z0-9_.]+) \| `([^`]*)` \|", section, flags=re.M))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_files_match_the_documented_checksums(name):
    doc = _documented(TABLES[name])
    for file in ("model.safetensors", "config.json"):
        digest = hashlib.sha256((MODELS / name / file).read_bytes()).hexdigest()
        assert digest == doc[f"sha256.{file}"], f"{name}/{file} changed: update docs/training.md or restore the file"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_config_matches_the_documented_recipe(name):
    doc = _documented(TABLES[name])
    cfg = json.loads((MODELS / name / "config.json").read_text("utf-8"))
    if cfg["config"].get("encoder") == "whisper":
        from phoneme.whisper import missing_reason

        if missing_reason("tiny.en") is not None:
            pytest.skip(missing_reason("tiny.en"))
    model = load_checkpoint(MODELS / name)
    assert model.n_parameters() == int(doc["parameters"])
    assert cfg["motion_space"]["kind"] == doc["motion_space"] and float(model.config.fps) == float(doc["fps"])
    assert cfg["config"].get("encoder") == doc["encoder"]
    assert cfg["metadata"]["command"] == doc["command"]


def test_whisper_model_by_name_on_real_speech(speech_dir):
    """``checkpoint="kmtalk-arkit-whisper"`` animates real speech with its closures and an editor's lock
    exact, and differs from the default model."""
    from phoneme.whisper import missing_reason

    if missing_reason("tiny.en") is not None:
        pytest.skip(missing_reason("tiny.en"))
    import kmtalk
    from kmtalk.face.arkit import ARKIT_INDEX
    from kmtalk.train.metrics import lip_gap_mm

    stem = speech_dir / "librivox" / "sense_and_sensibility_01_austen_64kb-0870"
    wav, text = f"{stem}.flac", Path(f"{stem}.txt").read_text("utf-8").strip()
    locks = {30: {"jawOpen": 0.9}}
    a = kmtalk.animate(wav, text, checkpoint="kmtalk-arkit-whisper", locks=locks)
    assert a.meta["method"] == "learned" and a.weights.shape == (round(a.duration * 30), 52)
    closures = [k.frame for k in a.keys if k.kind == "bilabial_closure"]
    assert len(closures) >= 5 and np.all(lip_gap_mm(a.weights[closures], kmtalk.default_rig()) < 1.0)
    assert a.weights[30, ARKIT_INDEX["jawOpen"]] == np.float32(0.9)
    default = kmtalk.animate(wav, text, locks=locks)
    assert not np.allclose(a.weights, default.weights, atol=0.01)
    assert kmtalk.animate(wav, text, checkpoint="kmtalk-arkit-whisper", locks=locks).weights.tobytes() == \
        a.weights.tobytes()


def test_unknown_or_missing_shipped_names():
    from kmtalk.animator.learned import SHIPPED_MODELS, resolve_checkpoint, shipped_checkpoint

    assert SHIPPED_MODELS[0] == "kmtalk-arkit" and shipped_checkpoint() == MODELS / "kmtalk-arkit"
    assert resolve_checkpoint("kmtalk-arkit-whisper") == MODELS / "kmtalk-arkit-whisper"
    assert resolve_checkpoint("no-such-model") == "no-such-model"  # a folder name, left to the loader
