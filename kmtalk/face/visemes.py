"""The viseme poses of a lexicon as arrays over the 52 ARKit channels.

A lexicon (:mod:`phoneme.lexicon`) names each viseme's pose as
``{ARKit channel: weight}``; the face needs them as a ``[15, 52]`` array, rows
in :data:`phoneme.lexicon.VISEMES` order. The prior animator's tables
(:func:`kmtalk.animator.prior.load_prior_tables`) and viseme-name locks
(:func:`kmtalk.face.locks.resolve_locks`) both read them here.

Examples
--------
>>> from phoneme.lexicon import load_lexicon
>>> from kmtalk.face.visemes import viseme_poses, VISEME_INDEX
>>> poses = viseme_poses(load_lexicon())
>>> poses.shape, bool(poses[VISEME_INDEX["aa"]].max() > 0)
((15, 52), True)
"""

from __future__ import annotations

import numpy as np

from phoneme.lexicon import VISEMES, Lexicon

from ..errors import LexiconError
from .arkit import ARKIT_INDEX, ARKIT_NAMES

__all__ = ["VISEME_INDEX", "arkit_channels", "viseme_poses"]

#: Viseme name -> row of a pose array.
VISEME_INDEX = {v: i for i, v in enumerate(VISEMES)}


def arkit_channels(names: object, where: str) -> list[str]:
    """Check that ``names`` is a list of ARKit channel names; ``where`` names the lexicon entry in errors."""
    if not isinstance(names, list):
        raise LexiconError(f"{where} must be a list of ARKit names")
    unknown = [n for n in names if n not in ARKIT_INDEX]
    if unknown:
        raise LexiconError(f"{where} names unknown ARKit channel(s) {unknown}")
    return names


def viseme_poses(lex: Lexicon) -> np.ndarray:
    """The lexicon's viseme poses, float32 ``[15, 52]`` (rows in ``VISEMES`` order; visemes without a pose are 0).

    Raises
    ------
    LexiconError
        The lexicon has no ``poses`` section, or a pose names an unknown channel.
    """
    where = lex.source or lex.name
    if lex.poses is None:
        raise LexiconError(f"lexicon {where} has no 'poses' section (see assets/lexicons/en.json)")
    poses = np.zeros((len(VISEMES), len(ARKIT_NAMES)), np.float32)
    for viseme, pose in lex.poses.items():
        for name in arkit_channels(list(pose), f"{where}: poses[{viseme!r}]"):
            poses[VISEME_INDEX[viseme], ARKIT_INDEX[name]] = pose[name]
    return poses
