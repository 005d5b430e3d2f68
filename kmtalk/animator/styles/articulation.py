"""The ``articulation`` style: jaw and lip intensity, the JALI axes of the prior animator.

``jaw`` scales the opening of the jaw group and ``lip`` the lip group (see
:func:`kmtalk.animator.prior.modulate`); 1 is neutral, 0–3 allowed. Several
articulation styles multiply. It works through the animator's parameters,
so closures and locks are met as usual.

Examples
--------
>>> from kmtalk.animator.styles import PriorParams, get_style
>>> s = get_style("articulation", jaw=1.4, lip=0.8)
>>> p = s.prior_params(PriorParams(), None)
>>> p.jaw, p.lip
(1.4, 0.8)
"""

from __future__ import annotations

import math

from ...errors import KmtalkError
from .base import AXIS_RANGE, BaseStyle, PriorParams, StyleContext

__all__ = ["ArticulationStyle"]


class ArticulationStyle(BaseStyle):
    """Jaw and lip intensity.

    Parameters
    ----------
    jaw : float, default 1
        Jaw-opening intensity (0–3).
    lip : float, default 1
        Lip-articulation intensity (0–3).
    """

    name = "articulation"

    def __init__(self, *, jaw: float = 1.0, lip: float = 1.0) -> None:
        given = {}
        lo, hi = AXIS_RANGE
        for axis, value in (("jaw", jaw), ("lip", lip)):
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise KmtalkError(f"articulation {axis}={value!r} must be a number in [{lo:g}, {hi:g}]") from None
            if not (math.isfinite(v) and lo <= v <= hi):
                raise KmtalkError(f"articulation {axis}={value!r} must be in [{lo:g}, {hi:g}]")
            if v != 1.0:
                given[axis] = v
        super().__init__(**given)
        self.jaw = float(jaw)
        self.lip = float(lip)

    def prior_params(self, params: PriorParams, context: StyleContext | None) -> PriorParams:
        return params.scaled(jaw=self.jaw, lip=self.lip)
