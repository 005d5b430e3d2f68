"""Viseme poses and coarticulation settings from the lexicon file, as arrays over the 52 ARKit channels.

Examples
--------
>>> from kmtalk.animator.prior.poses import load_prior_tables
>>> tables = load_prior_tables()
>>> tables.poses.shape, tables.group_masks["jaw"].sum() >= 1
((15, 52), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from phoneme.lexicon import Lexicon, load_lexicon

from ...errors import LexiconError
from ...face.arkit import ARKIT_INDEX, ARKIT_NAMES
from ...face.visemes import VISEME_INDEX, arkit_channels, viseme_poses

__all__ = ["PriorTables", "load_prior_tables", "VISEME_INDEX", "GROUPS"]

#: Articulator channel groups of the prior (JALI-style split).
GROUPS: tuple[str, ...] = ("jaw", "lips", "tongue")


@dataclass(frozen=True)
class PriorTables:
    """Everything the prior animator reads from a lexicon, validated.

    Attributes
    ----------
    lexicon : Lexicon
    poses : ndarray [15, 52]
        ARKit weights of each viseme (rows in :data:`phoneme.lexicon.VISEMES` order).
    group_masks : dict[str, ndarray[bool, 52]]
        Channels each articulator group drives (channels in no group stay 0).
    affinity : dict[str, dict[str, float]]
        ``affinity[articulator][group]``: share of a phone's dominance on a group.
    tail_fraction, min_tail, diphthong_split, smooth_s : float
    """

    lexicon: Lexicon
    poses: np.ndarray
    group_masks: dict[str, np.ndarray]
    affinity: dict[str, dict[str, float]]
    tail_fraction: float
    min_tail: float
    diphthong_split: float
    smooth_s: float


@lru_cache(maxsize=8)
def _tables(lex: Lexicon) -> PriorTables:
    where = lex.source or lex.name
    if lex.poses is None or lex.coarticulation is None:
        raise LexiconError(f"lexicon {where} has no 'poses' or 'coarticulation' section; "
                           "the prior animator needs both (see assets/lexicons/en.json)")
    poses = viseme_poses(lex)
    co = lex.coarticulation
    try:
        masks = {}
        for group in GROUPS:
            mask = np.zeros(len(ARKIT_NAMES), bool)
            mask[[ARKIT_INDEX[n] for n in arkit_channels(co["groups"][group], f"{where}: groups[{group!r}]")]] = True
            masks[group] = mask
        affinity = {art: {g: float(co["affinity"][art][g]) for g in GROUPS}
                    for art in ("lips", "tongue", "jaw", "none")}
        tail_fraction = float(co["tail_fraction"])
        min_tail = float(co["min_tail"])
        split = float(co["diphthong_split"])
        smooth_s = float(co["smooth_s"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LexiconError(f"{where}: malformed 'coarticulation' section ({exc!r})") from None
    if sum(m.astype(int) for m in masks.values()).max() > 1:
        raise LexiconError(f"{where}: a channel belongs to more than one coarticulation group")
    if not (0 < tail_fraction < 1 and 0 < split < 1 and min_tail > 0 and 0 <= smooth_s <= 0.2):
        raise LexiconError(f"{where}: tail_fraction and diphthong_split must be in (0, 1), "
                           "min_tail > 0, smooth_s in [0, 0.2]")
    if any(not 0 <= v <= 1 for a in affinity.values() for v in a.values()):
        raise LexiconError(f"{where}: affinities must be in [0, 1]")
    used = np.any(poses != 0, axis=0)
    outside = [ARKIT_NAMES[i] for i in np.flatnonzero(used & ~np.any(list(masks.values()), axis=0))]
    if outside:
        raise LexiconError(f"{where}: poses use channel(s) {outside} that are in no coarticulation group")
    return PriorTables(lex, poses, masks, affinity, tail_fraction, min_tail, split, smooth_s)


def load_prior_tables(lexicon: Lexicon | str | None = None) -> PriorTables:
    """Load a lexicon (default: bundled English) and return its validated prior tables.

    Raises
    ------
    LexiconError
        Poses or coarticulation settings missing, naming unknown channels, or out of range.
    """
    return _tables(load_lexicon(lexicon))
