"""What a style is: the :class:`Style` protocol, the context it sees, the prior parameters it may change.

A style has a ``name`` and up to three hooks, called by
:func:`kmtalk.animator.styles.stylize` in this order for every style in the list:

1. ``prior_params(params, context) -> PriorParams`` — before the animator
   runs: change the axes it takes (JALI ``jaw`` and ``lip``) or attach a
   style ``embedding`` for a learned model;
2. ``apply(weights, context) -> weights`` — after it: change the [T, 52]
   curves (an overlay, blinks …);
3. ``head_pose(pose, context) -> pose`` — change the [T, 6] head pose
   (pitch, yaw, roll in radians; tx, ty, tz in metres).

A hook a style does not define is skipped; :class:`BaseStyle` provides
no-op hooks to subclass. Randomness must come from ``context.rng`` or
``context.stream(k)`` (seeded from the call's ``seed``, the style's position
and name), so that the same inputs and seed give the same animation.

Examples
--------
>>> import numpy as np
>>> from kmtalk.animator.styles.base import BaseStyle
>>> class Sleepy(BaseStyle):
...     name = "sleepy"
...     def apply(self, weights, context):
...         out = weights.copy()
...         out[:, [0, 7]] = np.maximum(out[:, [0, 7]], 0.4)   # eyeBlinkLeft/Right half closed
...         return out
>>> Sleepy().spec()
'sleepy'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.types import Alignment, Interval

if TYPE_CHECKING:  # pragma: no cover
    from ...face.locks import Locks
    from .embedding import StyleEmbedding

__all__ = ["AXIS_RANGE", "BaseStyle", "PriorParams", "Style", "StyleContext"]

#: Allowed range of the JALI axes.
AXIS_RANGE = (0.0, 3.0)


@dataclass(frozen=True)
class PriorParams:
    """The animator's style inputs.

    Attributes
    ----------
    jaw, lip : float
        JALI axes: jaw-opening and lip-articulation intensity (1 is neutral, range 0–3).
    embedding : StyleEmbedding, optional
        A style embedding (:mod:`kmtalk.animator.styles.reference`) for a learned
        animator to condition on; the linguistic prior ignores it (the
        ``reference`` style turns it into ``jaw``/``lip`` for the prior).
    """

    jaw: float = 1.0
    lip: float = 1.0
    embedding: StyleEmbedding | None = None

    def scaled(self, jaw: float = 1.0, lip: float = 1.0) -> PriorParams:
        """A copy with the axes multiplied (and kept in :data:`AXIS_RANGE`).

        Examples
        --------
        >>> PriorParams(jaw=1.5).scaled(jaw=4.0).jaw
        3.0
        """
        lo, hi = AXIS_RANGE
        return replace(self, jaw=float(np.clip(self.jaw * jaw, lo, hi)),
                       lip=float(np.clip(self.lip * lip, lo, hi)))


@dataclass
class StyleContext:
    """What a style may read about the line being animated.

    Attributes
    ----------
    fps : float
    n_frames : int
    alignment : Alignment
        Words and phones (phones carry ``stress`` where the aligner gives it).
    keys : list of KeyMotion
        The key motions (empty in ``prior_params``: they are chosen by the animator).
    loudness_db : ndarray [T] or None
        Per-frame loudness of the audio (dBFS).
    seed : int
        The call's seed.
    locks : Locks or None
        The editor's locks (they are re-imposed after the styles; a style
        need not respect them itself).
    entropy : tuple of int
        Seed material of this style: the call's ``seed``, the style's position
        in the list and a hash of its name (set by :func:`kmtalk.animator.styles.stylize`).
        Use :attr:`rng` or :meth:`stream` for random numbers.
    preview : callable or None
        ``preview(params) -> weights``: run the animator with other
        parameters (used by the ``reference`` style to measure the ranges it would produce).
    start_frame : int
        Frame number of the first of the ``n_frames`` frames (0 for a whole
        line; a stream animating a window of a longer line sets it, and the
        alignment's times are then the line's). Styles that depend on time use
        :attr:`times` and :attr:`end_time`, not ``arange(n_frames) / fps``.
    open_end : bool
        True when the line goes on after these frames (a stream): styles must
        not treat :attr:`end_time` as the end of the line (no fade-out).
    """

    fps: float
    n_frames: int
    alignment: Alignment
    keys: list[KeyMotion] = field(default_factory=list)
    loudness_db: np.ndarray | None = None
    seed: int = 0
    locks: Locks | None = None
    entropy: tuple[int, ...] = (0,)
    preview: Callable[[PriorParams], np.ndarray] | None = None
    start_frame: int = 0
    open_end: bool = False
    _rng: np.random.Generator | None = field(default=None, init=False, repr=False)

    @property
    def rng(self) -> np.random.Generator:
        """This style's random generator (seeded from :attr:`entropy`; shared by its hooks, in call order)."""
        if self._rng is None:
            self._rng = np.random.default_rng(np.random.SeedSequence(list(self.entropy)))
        return self._rng

    def stream(self, k: int) -> np.random.Generator:
        """A fresh generator for independent stream ``k`` of this style (same seed, same numbers).

        Examples
        --------
        >>> a = Alignment(words=[], phones=[], duration=1.0)
        >>> ctx = StyleContext(30, 30, a, entropy=(7, 0))
        >>> bool(ctx.stream(1).random() == ctx.stream(1).random())
        True
        """
        return np.random.default_rng(np.random.SeedSequence(list(self.entropy), spawn_key=(int(k),)))

    @property
    def phones(self) -> list[Interval]:
        """The timed phones."""
        return self.alignment.phones

    @property
    def words(self) -> list[Interval]:
        """The timed words (pauses are ``"sil"``)."""
        return self.alignment.words

    @property
    def duration(self) -> float:
        """Seconds covered by the frames."""
        return self.n_frames / self.fps

    @property
    def times(self) -> np.ndarray:
        """Time (s) of each of the ``n_frames`` frames: ``(start_frame + i) / fps``.

        Examples
        --------
        >>> a = Alignment(words=[], phones=[], duration=1.0)
        >>> StyleContext(10, 3, a, start_frame=5).times.tolist()
        [0.5, 0.6, 0.7]
        """
        return (self.start_frame + np.arange(self.n_frames)) / self.fps

    @property
    def end_time(self) -> float:
        """Time (s) just after the last frame: ``(start_frame + n_frames) / fps``."""
        return (self.start_frame + self.n_frames) / self.fps

    def pauses(self, min_s: float = 0.15) -> list[Interval]:
        """Pauses between spoken words at least ``min_s`` long (phrase boundaries).

        Examples
        --------
        >>> a = Alignment(words=[Interval("hi", 0, .3), Interval("sil", .3, .8), Interval("yo", .8, 1)],
        ...               phones=[], duration=1.0)
        >>> [(p.start, p.end) for p in StyleContext(30, 30, a).pauses()]
        [(0.3, 0.8)]
        """
        words = self.alignment.words
        spoken = [k for k, w in enumerate(words) if not w.is_silence]
        if not spoken:
            return []
        return [w for k, w in enumerate(words)
                if w.is_silence and spoken[0] < k < spoken[-1] and w.duration >= min_s]


@runtime_checkable
class Style(Protocol):
    """A pluggable style (see the module docstring for the hooks and their order)."""

    name: str

    def prior_params(self, params: PriorParams, context: StyleContext) -> PriorParams:
        """Change the animator's parameters (optional hook)."""
        ...

    def apply(self, weights: np.ndarray, context: StyleContext) -> np.ndarray:
        """Return new [T, 52] weights (optional hook)."""
        ...

    def head_pose(self, pose: np.ndarray, context: StyleContext) -> np.ndarray:
        """Return a new [T, 6] head pose (optional hook)."""
        ...


class BaseStyle:
    """Convenience base: no-op hooks, a ``name`` and a spec string built from :attr:`params`."""

    name: str = ""

    #: The style's parameters, as given (shown by :meth:`spec`).
    params: dict[str, Any]

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)

    def prior_params(self, params: PriorParams, context: StyleContext) -> PriorParams:
        return params

    def apply(self, weights: np.ndarray, context: StyleContext) -> np.ndarray:
        return weights

    def head_pose(self, pose: np.ndarray, context: StyleContext) -> np.ndarray:
        return pose

    def spec(self) -> str:
        """The style as a spec string, ``name:key=value,...`` (what :func:`kmtalk.animator.styles.parse_styles` reads)."""
        params = getattr(self, "params", {}) or {}
        if not params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={_fmt(v)}" for k, v in params.items())

    def __repr__(self) -> str:
        return f"<style {self.spec()}>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
