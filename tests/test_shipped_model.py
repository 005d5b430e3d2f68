"""The shipped learned model is the one docs/training.md describes: its files' sha256, its size and how
it was made (the facts in the docs' "Shipped model" table are read from the docs and checked here).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from completion.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "assets" / "models" / "kmtalk-arkit"
DOC = ROOT / "docs" / "training.md"


def _documented() -> dict[str, str]:
    """``| key | `value` |`` rows of the docs' shipped-model table."""
    text = DOC.read_text("utf-8")
    section = text.split("<!-- shipped-model -->")[1]
    return dict(re.findall(r"^\| ([a-z0-9_.]+) \| `([^`]*)` \|", section, flags=re.M))


def test_files_match_the_documented_checksums():
    doc = _documented()
    for name in ("model.safetensors", "config.json"):
        digest = hashlib.sha256((MODEL / name).read_bytes()).hexdigest()
        assert digest == doc[f"sha256.{name}"], f"{name} changed: update docs/training.md or restore the file"


def test_config_matches_the_documented_recipe():
    doc = _documented()
    cfg = json.loads((MODEL / "config.json").read_text("utf-8"))
    meta = cfg["metadata"]
    model = load_checkpoint(MODEL)
    assert model.n_parameters() == int(doc["parameters"])
    assert cfg["motion_space"]["kind"] == doc["motion_space"] and float(model.config.fps) == float(doc["fps"])
    assert meta["command"] == doc["command"]
