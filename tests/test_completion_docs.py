"""The Examples sections of every completion module's docstrings run and stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "completion", "completion.features", "completion.encoders", "completion.motion_space",
    "completion.keynet", "completion.transformer", "completion.locks", "completion.model",
    "completion.checkpoint",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} has no docstring examples"


def test_completion_never_imports_kmtalk():
    import subprocess
    import sys

    code = ("import sys, completion, completion.model, completion.checkpoint; "
            "bad = [m for m in sys.modules if m == 'kmtalk' or m.startswith('kmtalk.')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
