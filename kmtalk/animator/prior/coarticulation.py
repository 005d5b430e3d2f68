"""Dominance-function coarticulation (Cohen–Massaro style) over separate jaw, lip and tongue channels.

Every phone is a *target* (its viseme pose) with a *dominance* that is flat
over the phone and decays outside it: a Gaussian tail that falls to
``tail_fraction`` of the peak ``anticipation`` seconds before the phone and
``release`` seconds after it (never shorter than ``min_tail``, so short
phones do not jitter). Each channel group mixes the targets by their
dominance on that group::

    w_g(t) = sum_i D_i,g(t) * pose_i,g / sum_i D_i,g(t)
    D_i,g(t) = dominance_i * affinity[articulator_i][g] * tail_i(t)

so a strong lip phone (p b m f v w u) keeps its lip shape while the jaw and
tongue follow the neighbours, and a tongue phone (t d n s k) leaves the lips
to its neighbours. Diphthongs are split into two targets (the lexicon's
``offglide`` viseme for the last part).

Examples
--------
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.prior.coarticulation import blend
>>> a = Alignment(words=[Interval("ah", 0, .6)],
...               phones=[Interval("sil", 0, .2), Interval("ɑ", .2, .4), Interval("sil", .4, .6)],
...               duration=.6)
>>> w = blend(a, fps=30)
>>> from kmtalk.face.arkit import ARKIT_INDEX
>>> bool(0.4 < w[9, ARKIT_INDEX["jawOpen"]] <= 0.6), bool(w[0, ARKIT_INDEX["jawOpen"]] < 0.01)
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from phoneme.frames import n_frames_for
from phoneme.types import Alignment

from .poses import GROUPS, VISEME_INDEX, PriorTables, load_prior_tables

__all__ = ["Target", "phone_targets", "blend", "gaussian_smooth", "n_frames_for"]

_EPS = 1e-6


@dataclass(frozen=True)
class Target:
    """One articulatory target: a viseme pose held over [start, end] with dominance tails."""

    start: float
    end: float
    viseme: str
    articulator: str
    dominance: float
    anticipation: float
    release: float


def phone_targets(alignment: Alignment, tables: PriorTables) -> list[Target]:
    """Turn the alignment's phones into targets (diphthongs become two)."""
    lex = tables.lexicon
    targets: list[Target] = []
    for ph in alignment.phones:
        e = lex.entry(ph.label)
        if e.offglide and ph.duration > 0:
            mid = ph.start + tables.diphthong_split * ph.duration
            targets.append(Target(ph.start, mid, e.viseme, e.articulator, e.dominance,
                                  e.anticipation, 0.5 * e.release))
            targets.append(Target(mid, ph.end, e.offglide, e.articulator, 0.8 * e.dominance,
                                  0.5 * e.anticipation, e.release))
        else:
            targets.append(Target(ph.start, ph.end, e.viseme, e.articulator, e.dominance,
                                  e.anticipation, e.release))
    return targets


def blend(
    alignment: Alignment,
    fps: float = 30.0,
    *,
    tables: PriorTables | None = None,
    n_frames: int | None = None,
) -> np.ndarray:
    """Blend the phones' viseme poses into per-frame ARKit weights.

    Parameters
    ----------
    alignment : Alignment
        Timed IPA phones (pauses as ``"sil"``).
    fps : float, default 30
    tables : PriorTables, optional
        Poses and coarticulation settings (default: bundled English lexicon).
    n_frames : int, optional
        Number of output frames (default :func:`n_frames_for`).

    Returns
    -------
    ndarray, float32 [n_frames, 52]
        Weights in [0, 1]; channels outside the jaw/lips/tongue groups are 0.
    """
    tables = tables or load_prior_tables()
    n = n_frames if n_frames is not None else n_frames_for(alignment.duration, fps)
    times = np.arange(n, dtype=np.float64) / fps
    k = math.sqrt(-2.0 * math.log(tables.tail_fraction))  # tail reaches tail_fraction at its length
    group_idx = {g: np.flatnonzero(tables.group_masks[g]) for g in GROUPS}
    num = {g: np.zeros((n, len(group_idx[g]))) for g in GROUPS}
    den = {g: np.zeros(n) for g in GROUPS}
    for tg in phone_targets(alignment, tables):
        ant = max(tg.anticipation, tables.min_tail)
        rel = max(tg.release, tables.min_tail)
        lo = max(int(math.floor((tg.start - 3 * ant) * fps)), 0)
        hi = min(int(math.ceil((tg.end + 3 * rel) * fps)) + 1, n)
        if hi <= lo:
            continue
        t = times[lo:hi]
        before = np.clip(tg.start - t, 0.0, None) / (ant / k)
        after = np.clip(t - tg.end, 0.0, None) / (rel / k)
        shape = np.exp(-0.5 * (before**2 + after**2))
        pose = tables.poses[VISEME_INDEX[tg.viseme]]
        for g in GROUPS:
            d = tg.dominance * tables.affinity[tg.articulator][g] * shape
            den[g][lo:hi] += d
            num[g][lo:hi] += d[:, None] * pose[group_idx[g]][None, :]
    out = np.zeros((n, tables.poses.shape[1]))
    for g in GROUPS:
        out[:, group_idx[g]] = num[g] / (den[g][:, None] + _EPS)
    out = gaussian_smooth(out, tables.smooth_s * fps)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def gaussian_smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian low-pass along axis 0 (edges padded by repetition); a no-op for tiny sigma.

    Examples
    --------
    >>> import numpy as np
    >>> y = gaussian_smooth(np.array([0., 0., 1., 0., 0.]), 1.0)
    >>> bool(y[2] < 1 and abs(y.sum() - 1) < 0.1)
    True
    """
    if sigma_frames <= 0.3:
        return x
    radius = int(math.ceil(3 * sigma_frames))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    kernel /= kernel.sum()
    pad = [(radius, radius)] + [(0, 0)] * (x.ndim - 1)
    padded = np.pad(x, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1, axis=0)
    return windows @ kernel
