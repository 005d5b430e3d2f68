"""Make word and phone tiers contiguous: fill gaps with silence, merge pauses, clip to the audio.

Every backend ends with these helpers so that an :class:`~phoneme.types.Alignment`
always covers ``[0, duration]`` without gaps or overlaps, with pauses labelled
:data:`~phoneme.types.SILENCE` in both tiers.

Examples
--------
>>> from phoneme.types import Interval
>>> from phoneme.aligners.tiers import contiguous
>>> [(i.label, i.start, i.end) for i in contiguous([Interval("hi", 0.2, 0.5)], 1.0)]
[('sil', 0.0, 0.2), ('hi', 0.2, 0.5), ('sil', 0.5, 1.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..types import SILENCE, Interval, is_silence

__all__ = ["EPSILON", "assign_words", "contiguous"]

#: Gaps and overlaps shorter than this (seconds) are closed rather than filled.
EPSILON = 1e-4


def contiguous(intervals: Iterable[Interval], duration: float) -> list[Interval]:
    """Return a gap-free tier over ``[0, duration]``.

    Silence labels in any convention (``""``, ``sp``, ``<sil>`` …) become
    :data:`SILENCE`; gaps become silence; neighbouring silences merge; small
    overlaps are resolved in favour of the earlier interval; intervals are
    clipped to ``duration``. Zero-length spoken intervals are kept (a word the
    aligner could not place).

    Parameters
    ----------
    intervals : iterable of Interval
        In time order.
    duration : float
        End of the tier in seconds.

    Returns
    -------
    list of Interval

    Examples
    --------
    >>> from phoneme.types import Interval
    >>> t = contiguous([Interval("", 0.0, 0.1), Interval("sp", 0.1, 0.2), Interval("a", 0.2, 0.3)], 0.3)
    >>> [(i.label, i.start, i.end) for i in t]
    [('sil', 0.0, 0.2), ('a', 0.2, 0.3)]
    """
    out: list[Interval] = []
    cursor = 0.0

    def push(item: Interval) -> None:
        if item.label == SILENCE and out and out[-1].label == SILENCE:
            out[-1] = replace(out[-1], end=item.end)
        elif item.label == SILENCE and item.end - item.start <= EPSILON:
            if out:
                out[-1] = replace(out[-1], end=item.end)
        else:
            out.append(item)

    for item in intervals:
        start = min(max(item.start, 0.0), duration)
        end = min(max(item.end, start), duration)
        if is_silence(item.label):
            item = Interval(SILENCE, start, end)
        else:
            item = replace(item, start=start, end=end)
        if item.start > cursor + EPSILON:
            push(Interval(SILENCE, cursor, item.start))
        elif item.start != cursor:
            # close a tiny gap or overlap: the interval starts where the tier is
            item = replace(item, start=cursor, end=max(item.end, cursor))
        push(item)
        cursor = item.end
    if duration > cursor + EPSILON or not out:
        push(Interval(SILENCE, cursor, duration))
    elif out and out[-1].end != duration:
        out[-1] = replace(out[-1], end=duration)
    return out


def assign_words(phones: Sequence[Interval], words: Sequence[Interval]) -> list[Interval]:
    """Set each spoken phone's ``word`` to the index of the spoken word that holds its midpoint.

    Silence phones get ``word=None``.

    Examples
    --------
    >>> from phoneme.types import Interval
    >>> w = [Interval("sil", 0, 0.1), Interval("hi", 0.1, 0.4)]
    >>> p = [Interval("sil", 0, 0.1), Interval("h", 0.1, 0.2), Interval("aɪ", 0.2, 0.4)]
    >>> [x.word for x in assign_words(p, w)]
    [None, 1, 1]
    """
    out = []
    j = 0
    for ph in phones:
        if ph.label == SILENCE:
            out.append(replace(ph, word=None))
            continue
        mid = ph.mid
        while j < len(words) - 1 and words[j].end <= mid:
            j += 1
        k = j
        if words and (words[k].label == SILENCE or not (words[k].start <= mid <= words[k].end)):
            k = -1
        out.append(replace(ph, word=None if k < 0 or not words else k))
    return out
