"""A strip of the main blendshape curves, drawn with numpy under each video frame.

The strip shows a window of ``window`` seconds centred on the current frame,
with a white cursor at the current frame. Curves and colours are
:data:`CURVES` (documented in docs/render.md; the strip has no text).

Examples
--------
>>> import numpy as np
>>> from kmtalk.io.render.curves import curve_strip
>>> curve_strip(np.zeros((30, 52), np.float32), 10, fps=30, width=256, height=64).shape
(64, 256, 3)
"""

from __future__ import annotations

import numpy as np

from ...face.arkit import ARKIT_INDEX

__all__ = ["CURVES", "curve_strip"]

CURVES: tuple[tuple[str, tuple[str, ...], tuple[int, int, int]], ...] = (
    ("jawOpen", ("jawOpen",), (255, 196, 61)),
    ("mouthClose", ("mouthClose",), (240, 84, 79)),
    ("mouthFunnel", ("mouthFunnel",), (80, 180, 255)),
    ("mouthPucker", ("mouthPucker",), (167, 110, 255)),
    ("mouthSmile", ("mouthSmileLeft", "mouthSmileRight"), (93, 214, 120)),
    ("mouthPress", ("mouthPressLeft", "mouthPressRight"), (255, 140, 200)),
    ("eyeBlink", ("eyeBlinkLeft", "eyeBlinkRight"), (200, 200, 200)),
)
"""(label, ARKit names averaged, RGB colour) of each drawn curve."""

_BG = np.array([24, 25, 28], np.uint8)
_GRID = np.array([48, 50, 56], np.uint8)


def curve_strip(weights: np.ndarray, frame: int, *, fps: float, width: int, height: int,
                window: float = 4.0) -> np.ndarray:
    """Draw the main curves around ``frame`` into a ``uint8 [height, width, 3]`` image.

    Parameters
    ----------
    weights : numpy.ndarray
        ``[T, 52]`` weights in [0, 1].
    frame : int
        The current frame (drawn at the centre, marked by a cursor).
    fps : float
        Frame rate of ``weights``.
    width, height : int
        Size of the strip in pixels.
    window : float
        Seconds shown across the strip.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.io.render.curves import curve_strip
    >>> w = np.zeros((60, 52), np.float32); w[:, 17] = 1.0
    >>> img = curve_strip(w, 30, fps=30, width=100, height=40)
    >>> bool((img[2:5] == (255, 196, 61)).all(axis=-1).any())  # jawOpen at the top
    True
    """
    img = np.empty((height, width, 3), np.uint8)
    img[:] = _BG
    pad = 2
    usable = height - 2 * pad
    for level in (0.0, 0.5, 1.0):
        img[pad + int(round((1 - level) * (usable - 1)))] = _GRID
    t_frames = len(weights)
    # sample positions (in frames) of each pixel column
    cols = frame + (np.arange(width) - width / 2.0) * (window * fps / width)
    valid = (cols >= 0) & (cols <= t_frames - 1)
    for _label, names, colour in CURVES:
        series = np.mean([weights[:, ARKIT_INDEX[n]] for n in names], axis=0)
        vals = np.interp(np.clip(cols, 0, t_frames - 1), np.arange(t_frames), series)
        ys = pad + np.round((1.0 - np.clip(vals, 0, 1)) * (usable - 1)).astype(int)
        for x in np.flatnonzero(valid):
            y0 = ys[x]
            y1 = ys[x - 1] if x > 0 and valid[x - 1] else y0
            lo, hi = min(y0, y1), max(y0, y1)
            img[lo:hi + 1, x] = colour
    img[:, width // 2] = (255, 255, 255)
    return img
