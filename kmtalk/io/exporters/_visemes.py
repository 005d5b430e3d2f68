"""The viseme of each phone of an animation's timeline (from the bundled viseme lexicon).

Examples
--------
>>> from phoneme.types import Interval
>>> phone_visemes([Interval("sil", 0, .1), Interval("b", .1, .2)])
['sil', 'PP']
"""

from __future__ import annotations

import logging
from typing import Sequence

from phoneme.types import Interval

__all__ = ["phone_visemes"]

log = logging.getLogger(__name__)


def phone_visemes(phones: Sequence[Interval]) -> list[str | None]:
    """Viseme label of each phone; None (with a warning) for a phone the lexicon does not know."""
    if not phones:
        return []
    from phoneme.lexicon import load_lexicon

    lexicon = load_lexicon()
    out: list[str | None] = []
    for p in phones:
        if p.label in lexicon:
            out.append(lexicon.viseme(p.label))
        else:
            log.warning("phone %r is not in the viseme lexicon; it gets no viseme", p.label)
            out.append(None)
    return out
