"""``.TextGrid``: the animation's timeline as Praat tiers.

The ``words``, ``phones`` and ``visemes`` interval tiers are written by
:func:`phoneme.aligners.textgrid.write_textgrid` — the same writer (and
conventions) as ``kmtalk align``, so :func:`phoneme.aligners.textgrid.read_textgrid`
reads the file back as an alignment: pauses are empty intervals, phones are
IPA (or ARPAbet with ``phone_labels="arpabet"``), and each phone's viseme
comes from the bundled viseme lexicon. kmtalk then adds a ``keys`` point tier
(``kind:phone`` at each key motion's time) when the animation has keys.
Every tier spans ``[0, duration]``.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from phoneme.types import Interval
>>> from kmtalk.face.animation import Animation
>>> anim = Animation(fps=10, weights=np.zeros((5, 52)), phones=[Interval("b", 0.1, 0.3)],
...                  words=[Interval("bee", 0.1, 0.3)])
>>> path = write_textgrid(anim, os.path.join(tempfile.mkdtemp(), "a.TextGrid"))
>>> from praatio import textgrid
>>> tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
>>> tg.tierNames, [e.label for e in tg.getTier("visemes").entries]
(('words', 'phones', 'visemes'), ['PP'])
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from phoneme.types import Alignment

from ...atomic import atomic_write
from ._visemes import phone_visemes

if TYPE_CHECKING:  # pragma: no cover
    from ...face.animation import Animation

__all__ = ["write_textgrid"]


def write_textgrid(
    anim: "Animation",
    path: str | os.PathLike[str],
    *,
    visemes: bool = True,
    keys: bool = True,
    phone_labels: Literal["ipa", "arpabet"] = "ipa",
) -> Path:
    """Write the words, phones (and visemes, keys) of ``anim`` as a long-format Praat TextGrid.

    Parameters
    ----------
    anim : Animation
    path : str or PathLike
        Destination ``.TextGrid``.
    visemes : bool
        Add the ``visemes`` tier (default True).
    keys : bool
        Add the ``keys`` point tier when the animation has key motions (default True).
    phone_labels : {"ipa", "arpabet"}
        Phone spelling in the ``phones`` tier (default IPA).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ExportError
        The file cannot be written, or a phone has no ARPAbet spelling.
    """
    from phoneme.aligners.textgrid import write_textgrid as write_alignment

    end = max([anim.duration] + [iv.end for iv in anim.phones] + [iv.end for iv in anim.words])
    alignment = Alignment(words=list(anim.words), phones=list(anim.phones), duration=end)
    viseme_tier = None
    if visemes:
        viseme_tier = [
            replace(p, label=v or "", stress=None)
            for p, v in zip(anim.phones, phone_visemes(anim.phones))
        ]
    path = Path(path)
    with atomic_write(path) as tmp:
        write_alignment(alignment, tmp, visemes=viseme_tier, phone_labels=phone_labels)
        if keys and anim.keys:
            from praatio import textgrid
            from praatio.data_classes.point_tier import PointTier

            tg = textgrid.openTextgrid(str(tmp), includeEmptyIntervals=True)
            points: dict[float, str] = {}
            for k in anim.keys:
                if 0.0 <= k.time <= end:
                    points.setdefault(float(k.time), f"{k.kind}:{k.phone}")
            tg.addTier(PointTier("keys", sorted(points.items()), 0.0, end))
            tg.save(
                str(tmp), format="long_textgrid", includeBlankSpaces=True, reportingMode="error"
            )
    return path
