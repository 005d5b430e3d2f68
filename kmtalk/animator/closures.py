"""The closure guarantee: the articulatory facts every animation meets, computed and applied here only.

Averaged poses miss categorical facts: the lips must meet over every /p b m/
and the lower lip must touch the upper teeth at every /f v/. kmtalk states
them as internal locks and meets them exactly, on every path, through the
three functions of this module:

1. :func:`articulatory_locks` — the facts of a line, measured on its curves
   (``{frame: {channel: weight}}``);
2. :func:`closure_locks` — those facts as :class:`~kmtalk.face.locks.Locks`, with
   the editor's locks merged over them (the editor wins where both pin a
   channel on one frame; :func:`kmtalk.animate` warns when that opens a closure);
3. :func:`meet_locks` — the curves bent through them exactly
   (:func:`kmtalk.face.locks.apply_locks`), on every channel, or only on the
   channels a style changed.

The prior animator (:func:`kmtalk.animator.prior.animate_prior`) meets the facts of its
own curves; the learned animator (:func:`kmtalk.animator.learned.animate_learned`)
measures them on a first prediction, conditions a second prediction on them
and then meets them here (the model itself is asked not to:
``predict(..., exact_locks=False)``); styles (:func:`kmtalk.animator.styles.stylize`,
:class:`kmtalk.Stream`) re-impose them on the channels they changed.

Examples
--------
>>> from phoneme.keys import select_keys
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.prior import animate_prior, load_prior_tables
>>> from kmtalk.animator.closures import closure_locks
>>> a = Alignment(words=[Interval("ma", .2, .6)],
...               phones=[Interval("sil", 0, .2), Interval("m", .2, .3, word=0),
...                       Interval("ɑ", .3, .6, word=0), Interval("sil", .6, .8)], duration=.8)
>>> w, keys = animate_prior(a, 30)
>>> facts = closure_locks(w, a, keys, load_prior_tables(), fps=30)
>>> facts.frames.tolist()[:3], bool(w[7, 17] == facts.values[1, 17])
([6, 7, 8], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.lexicon import VISEMES
from phoneme.types import Alignment

from ..face.arkit import ARKIT_INDEX
from ..errors import LexiconError
from ..face.locks import Locks, apply_locks, merge_locks, resolve_locks

if TYPE_CHECKING:  # pragma: no cover
    from .prior.poses import PriorTables

__all__ = ["articulatory_locks", "closure_locks", "meet_locks"]

_JAW = ARKIT_INDEX["jawOpen"]


def articulatory_locks(
    weights: np.ndarray,
    alignment: Alignment,
    keys: Sequence[KeyMotion],
    tables: PriorTables,
    *,
    fps: float,
) -> dict[int, dict[str, float]]:
    """Internal locks for the categorical facts: bilabial closures and labiodental contacts.

    Every frame inside a p/b/m phone (and its key frame, for phones shorter
    than a frame) gets: ``jawOpen`` at most ``closure.max_jaw``,
    ``mouthClose`` equal to it, and the lip-opening channels at 0. Every f/v
    key frame gets the lip channels of the FF pose and a jaw no wider than it.
    The settings come from the lexicon's ``coarticulation`` section.

    Returns
    -------
    dict
        ``{frame: {channel: weight}}``, ready for :func:`kmtalk.face.locks.resolve_locks`.
    """
    co = tables.lexicon.coarticulation or {}
    try:
        max_jaw = float(co["closure"]["max_jaw"])
        opening = [ARKIT_INDEX[n] for n in co["closure"]["open_channels"]]
        contact = tables.poses[VISEMES.index(co["contact"]["viseme"])]
    except (KeyError, TypeError, ValueError) as exc:
        raise LexiconError(f"the lexicon's 'closure'/'contact' settings are malformed ({exc!r})") from None
    names = list(ARKIT_INDEX)
    n = weights.shape[0]
    pins: dict[int, dict[str, float]] = {}

    def closure(frame: int) -> None:
        j = float(min(weights[frame, _JAW], max_jaw))
        p = pins.setdefault(frame, {})
        p.update({"jawOpen": j, "mouthClose": j})
        p.update({names[c]: 0.0 for c in opening})

    lips = np.flatnonzero(tables.group_masks["lips"])
    for key in keys:
        ph = alignment.phones[key.phone_index]
        if key.kind == "bilabial_closure":
            lo = max(int(math.ceil(ph.start * fps - 1e-9)), 0)
            hi = min(int(math.floor(ph.end * fps + 1e-9)), n - 1)
            for frame in {key.frame, *range(lo, hi + 1)}:
                closure(frame)
        elif key.kind == "labiodental_contact" and key.frame not in pins:
            p = pins.setdefault(key.frame, {})
            p.update({names[c]: float(contact[c]) for c in lips})
            p["jawOpen"] = float(min(weights[key.frame, _JAW], contact[_JAW]))
    return pins


def closure_locks(
    weights: np.ndarray,
    alignment: Alignment,
    keys: Sequence[KeyMotion],
    tables: PriorTables,
    *,
    fps: float,
    n_frames: int | None = None,
    editor: Locks | None = None,
) -> Locks:
    """The locks an animation must meet: the facts measured on ``weights``, with the editor's merged over them.

    Parameters
    ----------
    weights : ndarray [T, 52]
        The curves the facts are measured on (the jaw opening they keep).
    alignment : Alignment
    keys : sequence of KeyMotion
    tables : PriorTables
        The lexicon's tables (closure and contact settings).
    fps : float
    n_frames : int, optional
        Frames of the animation (default ``len(weights)``).
    editor : Locks, optional
        The editor's locks; they win where they pin a channel a fact pins on the same frame.

    Returns
    -------
    Locks
    """
    n = int(weights.shape[0] if n_frames is None else n_frames)
    facts = resolve_locks(articulatory_locks(np.asarray(weights), alignment, keys, tables, fps=fps),
                          n_frames=n, fps=fps)
    if editor is not None and len(editor):
        facts = merge_locks(facts, editor)  # the editor wins where both pin a channel
    return facts


def meet_locks(weights: np.ndarray, locks: Locks, *, fps: float, changed: np.ndarray | None = None) -> np.ndarray:
    """Bend ``weights`` exactly through ``locks`` (see :func:`kmtalk.face.locks.apply_locks`).

    Parameters
    ----------
    weights : ndarray [T, 52]
    locks : Locks
        From :func:`closure_locks`.
    fps : float
    changed : ndarray[bool, 52], optional
        Only these channels (those a style changed): elsewhere the curves met
        the locks already, and pulling an already-locked curve again would bend
        its neighbourhood twice. Curves are returned untouched when no lock
        falls on them.

    Returns
    -------
    ndarray, float32 [T, 52]
    """
    if changed is None:
        return apply_locks(weights, locks, fps=fps)
    mask = locks.mask & np.asarray(changed, bool)[None, :]
    rows = mask.any(axis=1)
    if not rows.any():
        return weights
    return apply_locks(weights, Locks(locks.frames[rows], mask[rows], locks.values[rows]), fps=fps)
