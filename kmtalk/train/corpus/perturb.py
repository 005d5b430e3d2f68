"""Randomised lexicons for the synthetic corpus: the prior's coarticulation with jittered parameters.

Each corpus line is animated with its own copy of the lexicon in which every
phone's ``dominance``, ``anticipation`` and ``release`` and a few global
coarticulation settings (smoothing, shortest tail, loudness gain) are scaled
by random factors. The viseme poses are not changed: the corpus varies *how*
the mouth moves between shapes, not the shapes.

Examples
--------
>>> import numpy as np
>>> from kmtalk.train.corpus.perturb import perturb_lexicon
>>> from phoneme.lexicon import load_lexicon
>>> data = perturb_lexicon(np.random.default_rng(0))
>>> lex = load_lexicon(data)
>>> 0 < lex.entry("p").dominance <= 1
True
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

import numpy as np

from phoneme.assets import asset_path

__all__ = ["perturb_lexicon"]

#: Longest anticipation/release the lexicon format accepts (seconds).
_MAX_TIME = 0.5


@lru_cache(maxsize=4)
def _base(name: str) -> str:
    return asset_path("lexicons", f"{name}.json").read_text("utf-8")


def _factor(rng: np.random.Generator, spread: float) -> float:
    return float(rng.uniform(1.0 - spread, 1.0 + spread))


def perturb_lexicon(
    rng: np.random.Generator,
    *,
    base: str | dict[str, Any] = "en",
    dominance: float = 0.2,
    timing: float = 0.3,
    global_spread: float = 0.3,
) -> dict[str, Any]:
    """A copy of a lexicon (as a dict, ready for :func:`phoneme.lexicon.load_lexicon`) with jittered coarticulation.

    Parameters
    ----------
    rng : numpy.random.Generator
    base : str or dict, default ``"en"``
        A bundled lexicon name or an already-parsed lexicon JSON dict.
    dominance : float, default 0.2
        Each phone's dominance is scaled by U(1 - d, 1 + d), kept in [0.05, 1].
    timing : float, default 0.3
        Each phone's anticipation and release are scaled by U(1 - t, 1 + t).
    global_spread : float, default 0.3
        ``smooth_s``, ``min_tail`` and the loudness ``gain`` are scaled by U(1 - g, 1 + g).

    Returns
    -------
    dict
        The lexicon JSON with ``name`` suffixed ``"+perturbed"``.
    """
    data = copy.deepcopy(base) if isinstance(base, dict) else json.loads(_base(base))
    for entry in data["phones"].values():
        entry["dominance"] = float(np.clip(entry["dominance"] * _factor(rng, dominance), 0.05, 1.0))
        for key in ("anticipation", "release"):
            entry[key] = float(np.clip(entry[key] * _factor(rng, timing), 0.0, _MAX_TIME))
    co = data.get("coarticulation") or {}
    if "smooth_s" in co:
        co["smooth_s"] = float(np.clip(co["smooth_s"] * _factor(rng, global_spread), 0.0, 0.2))
    if "min_tail" in co:
        co["min_tail"] = float(max(co["min_tail"] * _factor(rng, global_spread), 1e-3))
    loud = co.get("loudness")
    if isinstance(loud, dict) and "gain" in loud:
        loud["gain"] = float(loud["gain"] * _factor(rng, global_spread))
    data["name"] = f"{data.get('name', 'lexicon')}+perturbed"
    return data
