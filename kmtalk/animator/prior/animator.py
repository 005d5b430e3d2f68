"""The linguistic prior: timed phones → ARKit-52 curves with no trained weights.

Steps (each a small function you can call on its own):

1. :func:`~kmtalk.animator.prior.coarticulation.blend` — dominance-function
   coarticulation of the lexicon's viseme poses over jaw, lip and tongue channels;
2. :func:`modulate` — the JALI axes: jaw opening follows loudness (``jaw``
   scales it), lip articulation is scaled by ``lip``;
3. :func:`~kmtalk.animator.closures.closure_locks` — hard facts that averages miss, as
   internal locks: the lips meet over every p/b/m (jaw held low, ``mouthClose``
   equal to ``jawOpen``, lip-opening channels at 0) and the lower lip meets the
   upper teeth at every f/v key; the editor's locks merged over them;
4. :func:`~kmtalk.animator.closures.meet_locks` — the curves pass through those locks
   exactly and flow smoothly around them.

Examples
--------
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.prior.animator import animate_prior
>>> from kmtalk.face.arkit import ARKIT_INDEX
>>> a = Alignment(words=[Interval("sil", 0, .2), Interval("ma", .2, .6), Interval("sil", .6, .8)],
...               phones=[Interval("sil", 0, .2), Interval("m", .2, .3, word=1),
...                       Interval("ɑ", .3, .6, word=1), Interval("sil", .6, .8)], duration=.8)
>>> w, keys = animate_prior(a, fps=30)
>>> close = [k.frame for k in keys if k.kind == "bilabial_closure"][0]
>>> bool(w[close, ARKIT_INDEX["mouthClose"]] == w[close, ARKIT_INDEX["jawOpen"]])
True
"""

from __future__ import annotations

import numpy as np

from phoneme.keys import KeyMotion, select_keys
from phoneme.lexicon import Lexicon
from phoneme.types import Alignment

from ...face.arkit import ARKIT_INDEX
from ..closures import closure_locks, meet_locks
from ...errors import LexiconError
from ...face.locks import Locks
from .coarticulation import blend, gaussian_smooth, n_frames_for
from .poses import PriorTables, load_prior_tables

__all__ = ["animate_prior", "modulate"]

_JAW = ARKIT_INDEX["jawOpen"]


def modulate(
    weights: np.ndarray,
    tables: PriorTables,
    *,
    fps: float,
    loudness_db: np.ndarray | None = None,
    jaw: float = 1.0,
    lip: float = 1.0,
    loudness_ref_db: float | None = None,
) -> np.ndarray:
    """Apply the JALI jaw and lip axes.

    ``jawOpen`` is scaled by ``1 + gain * (dB - median speech dB) / 20``
    (clipped, settings in the lexicon's ``coarticulation.loudness``) and by
    ``jaw``; the lip group by ``lip``. Shouting opens the jaw wider,
    mumbling barely moves the lips. The median speech level is that of
    ``loudness_db`` (frames within 40 dB of its peak) unless
    ``loudness_ref_db`` gives it (a stream animating a window of a longer line
    passes the level of the whole line so far).

    Returns
    -------
    ndarray, float32 [T, 52] in [0, 1]
    """
    out = np.array(weights, dtype=np.float64, copy=True)
    if loudness_db is not None:
        cfg = (tables.lexicon.coarticulation or {}).get("loudness")
        if not cfg:
            raise LexiconError("the lexicon's coarticulation section has no 'loudness' settings")
        loud = np.asarray(loudness_db, dtype=np.float64)[: out.shape[0]]
        if loud.size < out.shape[0]:
            loud = np.pad(loud, (0, out.shape[0] - loud.size), mode="edge")
        if loudness_ref_db is not None:
            ref = float(loudness_ref_db)
        else:
            speech = loud[loud > loud.max() - 40.0]
            ref = float(np.median(speech)) if speech.size else float(np.median(loud))
        loud = gaussian_smooth(loud, cfg["smooth_s"] * fps)
        scale = np.clip(1.0 + cfg["gain"] * (loud - ref) / 20.0, cfg["min_scale"], cfg["max_scale"])
        out[:, _JAW] *= scale
    out[:, tables.group_masks["jaw"]] *= jaw
    out[:, tables.group_masks["lips"]] *= lip
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def animate_prior(
    alignment: Alignment,
    fps: float = 30.0,
    *,
    lexicon: Lexicon | str | None = None,
    loudness_db: np.ndarray | None = None,
    jaw: float = 1.0,
    lip: float = 1.0,
    locks: Locks | None = None,
    n_frames: int | None = None,
    loudness_ref_db: float | None = None,
) -> tuple[np.ndarray, list[KeyMotion]]:
    """Animate an alignment with the linguistic prior.

    Parameters
    ----------
    alignment : Alignment
    fps : float, default 30
    lexicon : Lexicon or str, optional
        Viseme lexicon with poses (default: bundled English).
    loudness_db : ndarray [T], optional
        Per-frame loudness (see :func:`phoneme.loudness.frame_loudness`):
        drives the jaw and places vowel apexes.
    jaw, lip : float, default 1
        JALI style axes.
    locks : Locks, optional
        Editor locks: exact at their frames; where one pins a channel that a
        closure also pins on the same frame, the editor wins.
    n_frames : int, optional
        Frames to produce (default ``n_frames_for(duration, fps)``).
    loudness_ref_db : float, optional
        The line's median speech level for the jaw's loudness axis (see
        :func:`modulate`); default: measured on ``loudness_db``.

    Returns
    -------
    weights : ndarray, float32 [T, 52] in [0, 1]
    keys : list of KeyMotion
    """
    tables = load_prior_tables(lexicon)
    n = n_frames if n_frames is not None else n_frames_for(alignment.duration, fps)
    keys = select_keys(alignment, fps, lexicon=tables.lexicon, loudness=loudness_db)
    w = blend(alignment, fps, tables=tables, n_frames=n)
    w = modulate(w, tables, fps=fps, loudness_db=loudness_db, jaw=jaw, lip=lip, loudness_ref_db=loudness_ref_db)
    facts = closure_locks(w, alignment, keys, tables, fps=fps, n_frames=n, editor=locks)
    return meet_locks(w, facts, fps=fps), keys
