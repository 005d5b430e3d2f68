"""Preview rendering: frames of a rig driven by ARKit weights, and MP4 videos with sound.

Headless OpenGL through moderngl on EGL (Mesa's llvmpipe on a CPU-only
machine). :func:`render_frames` yields ``uint8`` RGB frames;
:func:`render` writes an H.264 + AAC MP4, optionally with a side view, a strip
of the main curves and a second animation side by side for comparison.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.rig import default_rig
>>> from kmtalk.io.render import render_frames
>>> w = np.zeros((2, 52), np.float32); w[1, 17] = 1.0   # jawOpen
>>> frames = list(render_frames(default_rig(), w, size=128))
>>> frames[0].shape, frames[0].dtype
((128, 128, 3), dtype('uint8'))
"""

from __future__ import annotations

from .api import render, render_frames
from .scene import FaceRenderer

__all__ = ["FaceRenderer", "render", "render_frames"]
