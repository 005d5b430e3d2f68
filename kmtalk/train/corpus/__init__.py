"""Training corpora made by kmtalk itself: espeak-ng speech with prior-animated ARKit targets.

See :mod:`kmtalk.train.corpus.synthetic` (``python -m kmtalk.train.corpus.synthetic``) and
``docs/training.md``. Models trained on this corpus learn the prior animator's
behaviour plus audio-driven variation; they cannot learn anything the prior
does not already do.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CorpusLine", "SentenceGenerator", "generate_corpus", "make_line", "perturb_lexicon"]

_WHERE = {"CorpusLine": "synthetic", "generate_corpus": "synthetic", "make_line": "synthetic",
          "SentenceGenerator": "text", "perturb_lexicon": "perturb"}


def __getattr__(name: str) -> Any:
    # Lazy, so that ``python -m kmtalk.train.corpus.synthetic`` does not import the module twice.
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
