"""Seconds to frames: the one rounding rule every package uses.

Frame ``i`` of an animation at ``fps`` is shown at ``i / fps`` seconds, so a
time maps to its nearest frame, halves rounding up (``floor(t * fps + 0.5)``),
and a stretch of ``d`` seconds has ``max(floor(d * fps + 0.5), 1)`` frames.
Python's ``round`` is not used: it rounds halves to even.

Examples
--------
>>> from phoneme.frames import frame_at, n_frames_for
>>> n_frames_for(3.2, 30), n_frames_for(0.0, 30), frame_at(0.05, 30)
(96, 1, 2)
"""

from __future__ import annotations

import math

__all__ = ["frame_at", "n_frames_for"]


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
