"""The running speech level of a stream: the median loudness of its speech frames so far.

The prior's jaw follows loudness relative to the line's median speech level
(:func:`kmtalk.animator.prior.animator.modulate`). Offline that median is taken over
the whole line; a stream only knows the audio so far, so it keeps a histogram
of frame loudness (0.25 dB bins, bounded memory whatever the length) and reads
the same statistic from it: the median of the frames within 40 dB of the
loudest frame.

Examples
--------
>>> import numpy as np
>>> from kmtalk.stream.level import SpeechLevel
>>> level = SpeechLevel()
>>> level.add(np.array([-120.0, -30.0, -20.0, -25.0]))
>>> round(level.reference(), 1)
-25.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["SpeechLevel"]

_LO, _HI, _STEP = -120.0, 0.0, 0.25
_SPAN_DB = 40.0


class SpeechLevel:
    """Histogram of frame loudness (dBFS) with the median-of-speech statistic."""

    def __init__(self) -> None:
        self._counts = np.zeros(int((_HI - _LO) / _STEP) + 1, np.int64)

    @staticmethod
    def _bins(db: np.ndarray) -> np.ndarray:
        return np.clip(np.round((np.asarray(db, np.float64) - _LO) / _STEP), 0, None).astype(np.int64).clip(
            max=int((_HI - _LO) / _STEP))

    def add(self, db: np.ndarray) -> None:
        """Count frames (dBFS values)."""
        np.add.at(self._counts, self._bins(db), 1)

    def reference(self, extra: np.ndarray | None = None) -> float | None:
        """The median level of speech frames (within 40 dB of the loudest), or None before any frame.

        ``extra``: frames counted for this reading only (e.g. a window not yet emitted).
        """
        counts = self._counts
        if extra is not None and np.size(extra):
            counts = counts.copy()
            np.add.at(counts, self._bins(extra), 1)
        nz = np.flatnonzero(counts)
        if nz.size == 0:
            return None
        top = _LO + nz[-1] * _STEP
        lo = int(np.ceil((top - _SPAN_DB - _LO) / _STEP + 1e-9))
        speech = counts[lo:]
        if lo <= 0 or speech.sum() == 0:
            speech, lo = counts, 0
        cum = np.cumsum(speech)
        k = int(np.searchsorted(cum, (cum[-1] + 1) / 2.0))
        return _LO + (lo + k) * _STEP
