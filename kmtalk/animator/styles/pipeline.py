"""Running a list of styles around an animator: :func:`stylize`.

Order (the same for every animator):

1. every style's ``prior_params`` in list order (they may preview the line);
2. the animator, once, with the final parameters — it meets the articulatory
   facts (closures) and the editor's locks itself;
3. every style's ``apply`` in list order, on the animator's curves;
4. on every channel a style changed: the articulatory facts (lips meet over
   every p/b/m, lower lip on the teeth at f/v) and the editor's locks are
   imposed again (:func:`kmtalk.animator.closures.closure_locks`, :func:`~kmtalk.animator.closures.meet_locks`),
   so both are exact in the output — a style cannot open a closure or move a
   lock (channels no style touched keep the animator's curves bit for bit);
5. every style's ``head_pose`` in list order, from a zero pose (the head
   pose stays ``None`` when no style has the hook or all leave it at zero).

Examples
--------
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.prior import animate_prior, load_prior_tables
>>> from kmtalk.animator.styles import parse_styles, stylize
>>> a = Alignment(words=[Interval("sil", 0, .2), Interval("ma", .2, .6), Interval("sil", .6, 2.5)],
...               phones=[Interval("sil", 0, .2), Interval("m", .2, .3, word=1),
...                       Interval("ɑ", .3, .6, word=1, stress=1), Interval("sil", .6, 2.5)], duration=2.5)
>>> run = lambda p: animate_prior(a, 30, jaw=p.jaw, lip=p.lip, n_frames=75)
>>> out = stylize(parse_styles(["emotion:happy=0.5", "head"]), animate=run, alignment=a, fps=30,
...               n_frames=75, tables=load_prior_tables(), seed=1)
>>> out.weights.shape, out.head_pose.shape, out.specs
((75, 52), (75, 6), ['emotion:happy=0.5', 'head'])
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.types import Alignment

from ..closures import closure_locks, meet_locks
from ...errors import KmtalkError
from ...face.locks import Locks
from .base import PriorParams, Style, StyleContext

__all__ = ["Stylized", "stylize"]

log = logging.getLogger(__name__)

Animator = Callable[[PriorParams], "tuple[np.ndarray, list[KeyMotion]]"]


@dataclass(frozen=True)
class Stylized:
    """What :func:`stylize` returns.

    Attributes
    ----------
    weights : ndarray, float32 [T, 52]
    keys : list of KeyMotion
    head_pose : ndarray, float32 [T, 6] or None
    params : PriorParams
        The parameters the animator ran with.
    specs : list of str
        The styles, as spec strings (for ``Animation.meta``).
    """

    weights: np.ndarray
    keys: list[KeyMotion]
    head_pose: np.ndarray | None
    params: PriorParams
    specs: list[str]


def _spec(style: Style) -> str:
    spec = getattr(style, "spec", None)
    return spec() if callable(spec) else str(style.name)


def _checked(out: object, shape: tuple[int, ...], style: Style, hook: str) -> np.ndarray:
    arr = np.asarray(out, dtype=np.float64) if out is not None else None
    if arr is None or arr.shape != shape or not np.isfinite(arr).all():
        got = "None" if arr is None else f"shape {list(arr.shape)}"
        raise KmtalkError(f"style {style.name!r}: {hook}() must return finite values of shape "
                          f"{list(shape)}, got {got}")
    return arr


def stylize(
    styles: Sequence[Style],
    *,
    animate: Animator,
    alignment: Alignment,
    fps: float,
    n_frames: int,
    tables,
    loudness_db: np.ndarray | None = None,
    locks: Locks | None = None,
    seed: int = 0,
) -> Stylized:
    """Animate a line with styles (see the module docstring for the order).

    Parameters
    ----------
    styles : sequence of Style
        From :func:`kmtalk.animator.styles.parse_styles`.
    animate : callable
        ``animate(params) -> (weights [T, 52], keys)``: the animator, e.g. the
        prior with ``jaw=params.jaw, lip=params.lip``; it must meet the
        editor's locks itself.
    alignment : Alignment
    fps : float
    n_frames : int
    tables : PriorTables
        The lexicon's prior tables (closure settings for re-imposing the facts).
    loudness_db : ndarray [T], optional
    locks : Locks, optional
        The editor's locks (re-imposed after the styles).
    seed : int, default 0

    Returns
    -------
    Stylized
    """
    styles = list(styles)
    context = StyleContext(fps=float(fps), n_frames=int(n_frames), alignment=alignment,
                           loudness_db=loudness_db, seed=int(seed), locks=locks,
                           preview=lambda p: animate(p)[0])

    def ctx(k: int, style: Style) -> StyleContext:
        return replace(context, entropy=(int(seed) & 0xFFFFFFFF, k, zlib.crc32(style.name.encode())))

    contexts = [ctx(k, s) for k, s in enumerate(styles)]
    params = PriorParams()
    for style, c in zip(styles, contexts):
        hook = getattr(style, "prior_params", None)
        if callable(hook):
            params = hook(params, c)
            if not isinstance(params, PriorParams):
                raise KmtalkError(f"style {style.name!r}: prior_params() must return PriorParams")
    weights, keys = animate(params)
    weights = np.asarray(weights, np.float32)
    styled = weights
    for style, c in zip(styles, contexts):
        c.keys = list(keys)
        c.preview = None
        hook = getattr(style, "apply", None)
        if callable(hook):
            styled = np.clip(_checked(hook(styled, c), weights.shape, style, "apply"), 0.0, 1.0)
            styled = styled.astype(np.float32)
    changed = np.any(styled != weights, axis=0)
    if changed.any():  # only where a style changed a channel: elsewhere the animator met the locks already
        facts = closure_locks(styled, alignment, keys, tables, fps=fps, n_frames=n_frames, editor=locks)
        styled = meet_locks(styled, facts, fps=fps, changed=changed)
    pose = np.zeros((n_frames, 6), np.float32)
    for style, c in zip(styles, contexts):
        hook = getattr(style, "head_pose", None)
        if callable(hook):
            pose = _checked(hook(pose, c), pose.shape, style, "head_pose").astype(np.float32)
    head = pose if np.any(pose) else None
    log.debug("styles %s: jaw %.2f lip %.2f", [_spec(s) for s in styles], params.jaw, params.lip)
    return Stylized(weights=styled, keys=list(keys), head_pose=head, params=params,
                    specs=[_spec(s) for s in styles])
