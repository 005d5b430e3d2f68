"""The ``reference`` style: speak like a short reference animation (DiffPoseTalk's idea of a style code).

DiffPoseTalk conditions its generator on a *style embedding* extracted from a
few seconds of a speaker's motion. Here :func:`style_embedding`
(:mod:`kmtalk.animator.styles.embedding`) extracts a
fixed-length, interpretable embedding from any :class:`~kmtalk.Animation`:
per-channel mean, spread and speed of the 52 curves, the jaw's and lips'
working range, the head pose's spread and the blink rate
(:meth:`StyleEmbedding.vector`, :data:`EMBEDDING_SIZE` numbers).

How it is used:

* **The linguistic prior** cannot condition on a vector, so
  :class:`ReferenceStyle` turns the embedding into the prior's JALI axes: it
  previews the line with the current axes, measures the jaw's and lips'
  range (95th percentiles) and scales ``jaw`` and ``lip`` so that they
  match the reference's (one correction step, then a second if still more
  than 5 % off: clipping and closures make the ranges not quite
  proportional to the axes).
* **The learned model** is conditioned on the same JALI axes, and the same
  range matching reaches it: the preview is made by whatever animates the
  line (``docs/styles.md`` has the measured ranges). The embedding itself
  also travels in ``PriorParams.embedding`` (:func:`kmtalk.animator.styles.stylize`
  passes the parameters to whatever animates) for an animator trained to
  condition on :meth:`StyleEmbedding.vector`; none does yet.

Examples
--------
>>> import numpy as np
>>> from kmtalk import Animation
>>> from kmtalk.animator.styles.reference import ReferenceStyle
>>> w = np.zeros((60, 52), np.float32); w[:, 17] = np.linspace(0, 0.5, 60)   # jawOpen
>>> style = ReferenceStyle(Animation(fps=30, weights=w))
>>> style.name, round(style.embedding.jaw_range, 3)
('reference', 0.475)
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import replace
from typing import Any

import numpy as np

from ...errors import KmtalkError
from ...face.animation import Animation
from .base import BaseStyle, PriorParams, StyleContext
from .embedding import (
    EMBEDDING_SIZE,
    EMBEDDING_VERSION,
    MIN_RANGE,
    StyleEmbedding,
    jaw_lip_ranges,
    lip_channels,
    style_embedding,
)

__all__ = ["EMBEDDING_SIZE", "EMBEDDING_VERSION", "ReferenceStyle", "StyleEmbedding", "style_embedding"]

log = logging.getLogger(__name__)

_SCALE_LIMITS = (0.25, 3.0)

class ReferenceStyle(BaseStyle):
    """Match a reference animation's articulation (and hand its embedding to a learned animator).

    Parameters
    ----------
    reference : Animation, StyleEmbedding, or path
        The reference: an animation (or a saved ``.npz`` of one) or an embedding.
    path : str, optional
        The same as a path (for specs: ``"reference:path=ref.npz"``).
    strength : float, default 1
        0 keeps the line's own ranges, 1 matches the reference's.
    """

    name = "reference"

    def __init__(self, reference: Any = None, *, path: str | os.PathLike[str] | None = None,
                 strength: float = 1.0) -> None:
        if (reference is None) == (path is None):
            raise KmtalkError("reference needs exactly one of an Animation/StyleEmbedding or path=... "
                              "(a saved animation, e.g. 'reference:path=ref.npz')")
        s = float(strength)
        if not (math.isfinite(s) and 0.0 <= s <= 1.0):
            raise KmtalkError(f"reference strength={strength!r} must be in [0, 1]")
        given: dict[str, Any] = {}
        if path is not None or isinstance(reference, (str, os.PathLike)):
            source = os.fspath(path if path is not None else reference)
            reference = Animation.load(source)
            given["path"] = source
        else:
            given["reference"] = "<object>"
        if s != 1.0:
            given["strength"] = s
        super().__init__(**given)
        self.embedding = reference if isinstance(reference, StyleEmbedding) else style_embedding(reference)
        self.strength = s

    def prior_params(self, params: PriorParams, context: StyleContext | None) -> PriorParams:
        out = replace(params, embedding=self.embedding)
        if context is None or context.preview is None or self.strength == 0:
            return out
        mask = lip_channels()
        lo, hi = _SCALE_LIMITS
        jaw, lips = jaw_lip_ranges(context.preview(out), mask)
        # the ranges to reach: the reference's (strength 1) or part of the way there
        target_jaw = jaw * (self.embedding.jaw_range / max(jaw, MIN_RANGE)) ** self.strength
        target_lip = lips * (self.embedding.lip_range / max(lips, MIN_RANGE)) ** self.strength
        for step in range(2):
            fj = float(np.clip(target_jaw / max(jaw, MIN_RANGE), lo, hi))
            fl = float(np.clip(target_lip / max(lips, MIN_RANGE), lo, hi))
            if abs(fj - 1) < 0.05 and abs(fl - 1) < 0.05:
                break
            out = out.scaled(jaw=fj, lip=fl)
            if step == 0:
                jaw, lips = jaw_lip_ranges(context.preview(out), mask)
        log.debug("reference style: jaw %.2f, lip %.2f", out.jaw, out.lip)
        return out
