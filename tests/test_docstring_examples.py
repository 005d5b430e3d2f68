"""Run the Examples sections of every module's docstrings in the three packages (they must stay true).

Modules are discovered by walking the packages, so a new module is covered the day it lands.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest


def _modules() -> list[str]:
    names: list[str] = []
    for pkg in ("phoneme", "kmtalk", "completion"):
        module = importlib.import_module(pkg)
        names.append(pkg)
        names += [m.name for m in pkgutil.walk_packages(module.__path__, pkg + ".")
                  if not m.name.endswith("__main__")]
    return names


MODULES = _modules()


def test_discovery_finds_the_core_modules():
    for name in ("phoneme.keys", "phoneme.lexicon", "kmtalk.face.locks", "kmtalk.animator.prior.coarticulation",
                 "completion.model"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
