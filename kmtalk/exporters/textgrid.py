"""``.TextGrid``: the animation's timeline as Praat interval tiers (written with praatio).

Tiers, in this order: ``words``, ``phones`` and ``visemes`` (one viseme
interval per phone, labelled from the bundled viseme lexicon), plus a
``keys`` point tier (``kind:phone`` at each key motion's time) when the
animation has keys. Every tier spans ``[0, duration]``; gaps are written as
empty intervals (praatio's ``includeBlankSpaces``). Zero-length intervals,
which Praat cannot hold, are skipped with a log message.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from phoneme.types import Interval
>>> from kmtalk.animation import Animation
>>> anim = Animation(fps=10, weights=np.zeros((5, 52)), phones=[Interval("b", 0.1, 0.3)],
...                  words=[Interval("bee", 0.1, 0.3)])
>>> path = write_textgrid(anim, os.path.join(tempfile.mkdtemp(), "a.TextGrid"))
>>> from praatio import textgrid
>>> tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
>>> tg.tierNames, [e.label for e in tg.getTier("visemes").entries]
(('words', 'phones', 'visemes'), ['PP'])
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from phoneme.types import Interval

from ._atomic import atomic_write
from ._visemes import phone_visemes

if TYPE_CHECKING:  # pragma: no cover
    from ..animation import Animation

__all__ = ["write_textgrid"]

log = logging.getLogger(__name__)


def _entries(
    items: Sequence[Interval], labels: Sequence[str | None], end: float
) -> list[tuple[float, float, str]]:
    out = []
    for iv, label in zip(items, labels):
        s, e = max(0.0, iv.start), min(end, iv.end)
        if e - s <= 1e-9:
            log.debug("skipping zero-length interval %r at %.3f s", iv.label, iv.start)
            continue
        if out and s < out[-1][1]:  # overlapping neighbours: start where the previous one ends
            s = out[-1][1]
            if e - s <= 1e-9:
                continue
        out.append((s, e, label or ""))
    return out


def write_textgrid(
    anim: "Animation",
    path: str | os.PathLike[str],
    *,
    visemes: bool = True,
    keys: bool = True,
    format: str = "long_textgrid",
) -> Path:
    """Write the words, phones (and visemes, keys) of ``anim`` as a Praat TextGrid.

    Parameters
    ----------
    anim : Animation
    path : str or PathLike
        Destination ``.TextGrid``.
    visemes : bool
        Add the ``visemes`` tier (default True).
    keys : bool
        Add the ``keys`` point tier when the animation has key motions (default True).
    format : str
        praatio format: ``"long_textgrid"`` (default), ``"short_textgrid"`` or ``"json"``.

    Returns
    -------
    pathlib.Path
    """
    from praatio import textgrid
    from praatio.data_classes.interval_tier import IntervalTier
    from praatio.data_classes.point_tier import PointTier

    end = max([anim.duration] + [iv.end for iv in anim.phones] + [iv.end for iv in anim.words])
    tg = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=end)
    tg.addTier(
        IntervalTier("words", _entries(anim.words, [w.label for w in anim.words], end), 0.0, end)
    )
    tg.addTier(
        IntervalTier("phones", _entries(anim.phones, [p.label for p in anim.phones], end), 0.0, end)
    )
    if visemes:
        tg.addTier(
            IntervalTier(
                "visemes", _entries(anim.phones, phone_visemes(anim.phones), end), 0.0, end
            )
        )
    if keys and anim.keys:
        points, seen = [], set()
        for k in anim.keys:
            if k.time in seen or not 0.0 <= k.time <= end:
                continue
            seen.add(k.time)
            points.append((k.time, f"{k.kind}:{k.phone}"))
        tg.addTier(PointTier("keys", points, 0.0, end))
    path = Path(path)
    with atomic_write(path) as tmp:
        tg.save(str(tmp), format=format, includeBlankSpaces=True, reportingMode="silence")
    return path
