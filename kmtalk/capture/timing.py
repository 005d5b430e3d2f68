"""Frames without a face, and resampling from the video's own frame times to a regular frame rate.

Examples
--------
>>> import numpy as np
>>> from kmtalk.capture.timing import face_gaps, resample_rows
>>> found = np.array([True, False, False, True, True])
>>> face_gaps(np.arange(5) * 0.1, found, frame_time=0.1)
[(0.1, 0.3)]
>>> resample_rows(np.array([0.0, 0.1]), np.array([[0.0], [1.0]]), fps=20, n_frames=3)[:, 0].tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["face_gaps", "resample_rows"]


def face_gaps(times: np.ndarray, found: np.ndarray, *, frame_time: float) -> list[tuple[float, float]]:
    """Runs of frames without a face, as ``(start, end)`` seconds (end = when the next frame is shown).

    Parameters
    ----------
    times : ndarray [F]
        Frame times in seconds, increasing.
    found : ndarray bool [F]
    frame_time : float
        Duration of the last frame (for a gap that runs to the end).
    """
    gaps = []
    missing = ~np.asarray(found, bool)
    i, n = 0, len(missing)
    while i < n:
        if missing[i]:
            j = i
            while j < n and missing[j]:
                j += 1
            end = float(times[j]) if j < n else float(times[-1] + frame_time)
            gaps.append((round(float(times[i]), 6), round(end, 6)))
            i = j
        else:
            i += 1
    return gaps


def resample_rows(times: np.ndarray, values: np.ndarray, *, fps: float, n_frames: int) -> np.ndarray:
    """Linear interpolation of ``values [F, C]`` sampled at ``times`` onto frames ``i / fps``, ``i < n_frames``.

    Rows that hold NaN (no face) are skipped per column, so a gap is bridged
    by a straight line between the frames around it; before the first and
    after the last finite row the nearest value is held. A column with no
    finite value stays NaN.
    """
    t = np.asarray(times, np.float64)
    v = np.asarray(values, np.float64)
    grid = np.arange(int(n_frames)) / float(fps)
    out = np.full((len(grid), v.shape[1]), np.nan)
    for c in range(v.shape[1]):
        ok = np.isfinite(v[:, c])
        if ok.any():
            out[:, c] = np.interp(grid, t[ok], v[ok, c])
    return out
