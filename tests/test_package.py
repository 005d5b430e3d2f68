"""The package skeleton: imports, the error hierarchy, the layer boundaries and bundled assets."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kmtalk
import phoneme
from kmtalk import errors
from phoneme.assets import asset_path, assets_dir

ROOT = Path(__file__).resolve().parent.parent


def test_error_hierarchy_is_shared():
    assert errors.AudioError is phoneme.AudioError
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.KmtalkError), name


def test_assets_found():
    assert (assets_dir() / "NOTICE").is_file()
    with pytest.raises(errors.AssetError, match="missing"):
        asset_path("no-such-file.json")


def _imports(pkg: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / pkg).rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_layer_boundaries():
    """Arrows point one way: kmtalk -> completion -> phoneme (DESIGN.md)."""
    assert not _imports("phoneme") & {"kmtalk", "completion", "torch"}
    assert "kmtalk" not in _imports("completion")


def test_version():
    assert kmtalk.__version__.count(".") == 2
