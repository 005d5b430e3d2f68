"""completion stays below kmtalk (its docstring examples run in tests/test_docstring_examples.py)."""

from __future__ import annotations


def test_completion_never_imports_kmtalk():
    import subprocess
    import sys

    code = ("import sys, completion, completion.model, completion.checkpoint; "
            "bad = [m for m in sys.modules if m == 'kmtalk' or m.startswith('kmtalk.')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
