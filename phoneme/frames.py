"""Seconds to frames: the one rounding rule every package uses.

Frame ``i`` of an animation at ``fps`` is shown at ``i / fps`` seconds, so a
time maps to its nearest frame, halves rounding up (``floor(t * fps + 0.5)``),
and a stretch of ``d`` seconds has ``max(floor(d * fps + 0.5), 1)`` frames.
Python's ``round`` is not used: it rounds halves to even. The frames shown
inside a stretch ``[start, end]`` are :func:`frame_span`; the frame for an
event at ``t`` inside it is :func:`frame_within`.

Examples
--------
>>> from phoneme.frames import frame_at, n_frames_for
>>> n_frames_for(3.2, 30), n_frames_for(0.0, 30), frame_at(0.05, 30)
(96, 1, 2)
"""

from __future__ import annotations

import math

__all__ = ["frame_at", "frame_span", "frame_within", "n_frames_for"]


def frame_at(t: float, fps: float) -> int:
    """The frame nearest to time ``t`` (s): ``floor(t * fps + 0.5)`` (not clamped).

    Examples
    --------
    >>> frame_at(0.5 / 30, 30), frame_at(1.0, 24)
    (1, 24)
    """
    return int(math.floor(t * fps + 0.5))


def n_frames_for(duration: float, fps: float) -> int:
    """Frames of an animation of ``duration`` seconds: ``round(duration * fps)``, halves up, at least 1.

    Examples
    --------
    >>> n_frames_for(1.0, 30), n_frames_for(0.01, 30)
    (30, 1)
    """
    return max(frame_at(duration, fps), 1)


def frame_span(start: float, end: float, fps: float) -> tuple[int, int]:
    """First and last frame shown inside ``[start, end]`` (s): ``ceil(start * fps)``, ``floor(end * fps)``
    (with 1e-9 of slack for times computed from frames). Empty when ``first > last``; not clamped.

    Examples
    --------
    >>> frame_span(0.1, 0.2, 30), frame_span(0.11, 0.12, 30)
    ((3, 6), (4, 3))
    """
    return math.ceil(start * fps - 1e-9), math.floor(end * fps + 1e-9)


def frame_within(t: float, start: float, end: float, fps: float, n_frames: int) -> int:
    """The frame nearest to ``t`` that is shown inside ``[start, end]`` when one is, within ``0..n_frames - 1``.

    Examples
    --------
    >>> frame_within(0.2, 0.1, 0.15, 30, 100), frame_within(0.125, 0.11, 0.12, 30, 100)
    (4, 4)
    """
    lo, hi = frame_span(start, end, fps)
    frame = frame_at(t, fps)
    if lo <= hi:
        frame = min(max(frame, lo), hi)
    return min(max(frame, 0), n_frames - 1)
