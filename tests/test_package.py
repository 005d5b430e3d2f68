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


def test_each_package_defines_its_own_errors():
    """phoneme.errors holds only what phoneme raises (and the shared base); kmtalk's own errors live in
    kmtalk.errors, completion's in completion.errors; kmtalk.errors re-exports the whole hierarchy."""
    import completion.errors
    import phoneme.errors

    own = {name: getattr(errors, name).__module__ for name in errors.__all__}
    assert own["RigError"] == own["RenderError"] == own["VideoError"] == own["FaceNotFoundError"] == "kmtalk.errors"
    assert own["AnimationError"] == own["LockError"] == "completion.errors"
    assert own["KmtalkError"] == own["AudioError"] == "phoneme.errors"
    assert set(phoneme.errors.__all__) | set(completion.errors.__all__) < set(errors.__all__)
    for name in ("RigError", "RenderError", "VideoError", "FaceNotFoundError", "AnimationError", "LockError"):
        assert not hasattr(phoneme.errors, name), name
    # every name phoneme's own modules raise is defined in phoneme.errors
    raised = set()
    for path in (ROOT / "phoneme").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                raised.add(node.exc.func.id)
    assert {n for n in raised if n.endswith("Error") and hasattr(errors, n)} <= set(phoneme.errors.__all__)


def test_phoneme_assets_know_no_upper_package():
    """phoneme/assets.py locates the data from its own package only (not the kmtalk wheel's layout)."""
    text = (ROOT / "phoneme" / "assets.py").read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", ">>>")))
    assert '"kmtalk"' not in code and "'kmtalk'" not in code


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


def test_wheel_ships_packages_and_assets(tmp_path):
    """The built wheel carries the three packages and assets/ as phoneme/data (a real pip build)."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("kmtalk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("kmtalk/__init__.py", "phoneme/__init__.py", "completion/__init__.py",
                     "phoneme/data/NOTICE", "phoneme/data/lexicons/en.json", "kmtalk/py.typed"):
        assert required in names, required
    assert not any(n.startswith(("tests/", "assets/")) for n in names)


def test_the_prior_path_never_loads_torch():
    """``import kmtalk`` and an animation on the prior path stay free of torch (≈0.7 s and ~180 MB
    of imports): ``completion``'s names load lazily, and only the learned path imports them."""
    import subprocess
    import sys

    code = ("import sys, kmtalk\n"
            "assert 'torch' not in sys.modules, 'import kmtalk loaded torch'\n"
            "from phoneme.assets import asset_path\n"
            "a = kmtalk.animate(asset_path('examples', 'hello.wav'), asset_path('examples', 'hello.txt').read_text(),"
            " method='prior')\n"
            "assert a.meta['method'] == 'prior'\n"
            "assert 'torch' not in sys.modules, 'the prior path loaded torch'\n"
            "import completion\n"
            "assert sorted(completion.__all__) == sorted(completion._WHERE), 'lazy names and __all__ differ'\n"
            "assert 'torch' not in sys.modules\n"
            "completion.KMTalkConfig\n"
            "assert 'torch' in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
