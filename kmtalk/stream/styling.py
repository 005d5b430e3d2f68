"""Styles on a stream: the hooks of :func:`kmtalk.animator.styles.stylize`, run window by window in line time.

The order is :func:`~kmtalk.animator.styles.stylize`'s: ``prior_params`` hooks (once,
at the first update: a stream cannot preview a line it has not heard, so the
``reference`` style measures its ranges on the first window only), the
animator, ``apply`` hooks, the articulatory facts re-imposed on every channel
a style changed, then ``head_pose`` hooks. Each window's
:class:`~kmtalk.animator.styles.StyleContext` carries ``start_frame`` (its first frame
in the stream), ``open_end=True`` and the stream's phones from the start
(those already emitted, then the window's), so time-dependent styles — blinks,
sway, nods, an emotion's ease-in — continue across windows as one line
would; an emotion's ease-out never starts (the end of a stream is not known
in advance).

Examples
--------
>>> from kmtalk.animator.prior import load_prior_tables
>>> from kmtalk.stream.styling import StreamStyler
>>> StreamStyler(["emotion:happy=0.5", "head"], fps=30, seed=0, tables=load_prior_tables()).specs
['emotion:happy=0.5', 'head']
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from phoneme.types import SILENCE, Alignment, Interval

from ..animator.closures import closure_locks, meet_locks
from ..errors import KmtalkError
from ..animator.prior import PriorTables
from ..animator.styles import PriorParams, StyleContext, parse_styles
from ..animator.styles.base import BaseStyle
from ..animator.styles.pipeline import _checked, _spec
from ..animator.styles.registry import StyleSpec
from .window import WindowResult

__all__ = ["StreamStyler"]

#: Seconds over which a window's head pose is eased into the previous window's.
_POSE_EASE_S = 0.3


def _line(history: Sequence[Interval], window: Alignment, t0: float, emitted_until: float) -> Alignment:
    """The stream's phones so far: the emitted ones, then the window's after ``emitted_until`` (line time)."""
    phones = [p for p in history if p.start < emitted_until]
    for p in window.phones:
        a, b = p.start + t0, p.end + t0
        if b <= emitted_until:
            continue
        phones.append(replace(p, start=max(a, emitted_until), end=b, word=None))
    if not phones:
        return Alignment(words=[], phones=[], duration=window.duration + t0)
    words: list[Interval] = []
    for p in phones:  # a word per run of speech, a pause per run of silence (what styles read)
        label = SILENCE if p.is_silence else "speech"
        if words and words[-1].label == label:
            words[-1] = replace(words[-1], end=p.end)
        else:
            words.append(Interval(label, p.start, p.end))
    return Alignment(words=words, phones=phones, duration=phones[-1].end)


class StreamStyler:
    """Run a list of styles over a stream's windows (see the module docstring).

    Parameters
    ----------
    style : style spec(s)
        As :func:`kmtalk.animate` takes them.
    fps : float
    seed : int
    tables : PriorTables
    """

    def __init__(self, style: StyleSpec, *, fps: float, seed: int, tables: PriorTables) -> None:
        self.styles = parse_styles(style)
        self.specs = [_spec(s) for s in self.styles]
        self.fps = float(fps)
        self.seed = int(seed)
        self.tables = tables
        self._params: PriorParams | None = None
        self._pose: tuple[int, np.ndarray] | None = None  # (first frame, head pose) of the last window

    def _entropy(self, k: int, name: str) -> tuple[int, ...]:
        return (self.seed & 0xFFFFFFFF, k, zlib.crc32(name.encode()))

    def params(self, preview: Callable[[PriorParams], np.ndarray]) -> PriorParams:
        """The animator's parameters, fixed at the first call (``preview`` animates the first window)."""
        if self._params is None:
            params = PriorParams()
            empty = Alignment(words=[], phones=[], duration=0.0)
            for k, style in enumerate(self.styles):
                hook = getattr(style, "prior_params", None)
                if callable(hook):
                    ctx = StyleContext(fps=self.fps, n_frames=0, alignment=empty, seed=self.seed,
                                       entropy=self._entropy(k, style.name), preview=preview, open_end=True)
                    params = hook(params, ctx)
                    if not isinstance(params, PriorParams):
                        raise KmtalkError(f"style {style.name!r}: prior_params() must return PriorParams")
            self._params = params
        return self._params

    @property
    def moves_head(self) -> bool:
        """True when a style has its own ``head_pose`` hook (frames then carry a head pose)."""
        return any(callable(getattr(s, "head_pose", None)) and getattr(type(s), "head_pose", None)
                   is not BaseStyle.head_pose for s in self.styles)

    def apply(self, res: WindowResult, *, start_frame: int, history: Sequence[Interval],
              first: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
        """Styled weights [n, 52] and head pose [n, 6] (None when no style moves the head) of a window.

        ``first``: the window's first frame still to be emitted. The head pose
        is made to continue the previous window's (which the frames before it
        followed): where the two disagree — a nod decided on phones that were
        not known yet, a loudness level measured on another window — the
        difference is faded out over ``_POSE_EASE_S`` instead of jumping.
        """
        weights = res.weights
        if not self.styles:
            return weights, None
        n = weights.shape[0]
        t0 = start_frame / self.fps
        emitted_until = history[-1].end if history else t0
        line = _line(history, res.alignment, t0, max(emitted_until, t0))
        keys = [replace(k, frame=k.frame + start_frame, time=(k.frame + start_frame) / self.fps) for k in res.keys]
        contexts = [StyleContext(fps=self.fps, n_frames=n, alignment=line, keys=keys, loudness_db=res.loudness_db,
                                 seed=self.seed, entropy=self._entropy(k, s.name), start_frame=start_frame,
                                 open_end=True)
                    for k, s in enumerate(self.styles)]
        styled = weights
        for style, c in zip(self.styles, contexts):
            hook = getattr(style, "apply", None)
            if callable(hook):
                styled = np.clip(_checked(hook(styled, c), weights.shape, style, "apply"), 0.0, 1.0)
                styled = styled.astype(np.float32)
        changed = np.any(styled != weights, axis=0)
        if changed.any():  # the facts again, on the window's own alignment and keys
            facts = closure_locks(styled, res.alignment, res.keys, self.tables, fps=self.fps, n_frames=n)
            styled = meet_locks(styled, facts, fps=self.fps, changed=changed)
        if not self.moves_head:
            return styled, None
        pose = np.zeros((n, 6), np.float32)
        for style, c in zip(self.styles, contexts):
            hook = getattr(style, "head_pose", None)
            if callable(hook):
                pose = _checked(hook(pose, c), pose.shape, style, "head_pose").astype(np.float32)
        if self._pose is not None and 0 <= first < n:
            prev_start, prev = self._pose
            k = start_frame + first - prev_start
            if 0 <= k < len(prev):
                u = np.clip((np.arange(n - first)) / max(_POSE_EASE_S * self.fps, 1.0), 0.0, 1.0)
                fade = 1.0 - u * u * (3 - 2 * u)
                pose[first:] += ((prev[k] - pose[first])[None, :] * fade[:, None]).astype(np.float32)
        self._pose = (start_frame, pose)
        return styled, pose
