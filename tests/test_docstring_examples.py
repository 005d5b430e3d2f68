"""Run the Examples sections of the public modules' docstrings (they must stay true)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "phoneme.errors",
    "phoneme.types",
    "phoneme.assets",
    "phoneme.lexicon",
    "phoneme.keys",
    "kmtalk.errors",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} has no docstring examples"
