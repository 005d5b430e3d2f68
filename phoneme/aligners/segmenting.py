"""Helpers for aligning long audio in windows cut at pauses.

Long recordings are aligned window by window (see ``docs/aligners.md``): a
first pass aligns a *prefix* of the remaining transcript to the next window
of audio; the window is then cut inside the last pause that lies well before
its end (:func:`choose_cut`), the words before the cut are aligned for good,
and the next window starts at the cut. Memory stays bounded by the window
length, and every cut falls in a pause the aligner itself found, so no word
is split between windows.

:func:`phoneme.loudness.block_energy_db` gives the per-frame level used to tell
real pauses from untranscribed speech that an aligner labelled as silence.

Examples
--------
>>> from phoneme.aligners.segmenting import Span, choose_cut
>>> spans = [Span(0, 0, 40), Span(None, 40, 70), Span(1, 70, 120), Span(None, 120, 150)]
>>> choose_cut(spans, earliest=20, latest=130, min_pause=10)
55
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Span", "choose_cut"]


@dataclass(frozen=True)
class Span:
    """A stretch of a first-pass segmentation, in frames (``end`` exclusive).

    ``word`` is the transcript index of the word, or ``None`` for a pause.
    """

    word: int | None
    start: int
    end: int


def choose_cut(spans: Sequence[Span], *, earliest: int, latest: int, min_pause: int) -> int | None:
    """Pick the frame at which to cut a window.

    Prefers the middle of the latest pause of at least ``min_pause`` frames
    that lies within ``[earliest, latest]``; otherwise the latest word
    boundary within that range; ``None`` when there is neither.

    Parameters
    ----------
    spans : sequence of Span
        First-pass segmentation of the window, in time order.
    earliest, latest : int
        Frame range in which the cut may fall.
    min_pause : int
        Shortest pause (frames) preferred as a cut.

    Returns
    -------
    int or None
        The cut frame.

    Examples
    --------
    >>> choose_cut([Span(0, 0, 50), Span(1, 50, 100)], earliest=10, latest=90, min_pause=5)
    50
    """
    best_pause = None
    best_boundary = None
    for sp in spans:
        if sp.word is None and sp.end - sp.start >= min_pause:
            mid = (sp.start + sp.end) // 2
            if earliest <= mid <= latest:
                best_pause = mid
        if sp.word is not None and earliest <= sp.end <= latest:
            best_boundary = sp.end
    return best_pause if best_pause is not None else best_boundary
