"""kmtalk — speech + transcript to 3D facial animation (ARKit-52 blendshapes).

Examples
--------
>>> import kmtalk
>>> anim = kmtalk.animate("assets/examples/hello.wav", "Bob fed five blue balloons to the movie mouse.")  # doctest: +SKIP
>>> anim.weights.shape[1], anim.names[17]  # doctest: +SKIP
(52, 'jawOpen')
>>> anim.export("hello.glb")  # doctest: +SKIP
>>> kmtalk.load("hello.glb").n_frames  # doctest: +SKIP
96
>>> kmtalk.render(anim, "hello.mp4")  # doctest: +SKIP
"""

from . import errors
from .face.animation import Animation
from .animator.api import METHODS, animate
from .face.arkit import ARKIT_NAMES
from .io import load
from .face.locks import Locks, resolve_locks
from .dubbing.qc import QCReport, qc_report
from .io.render import render, render_frames
from .dubbing.retime import retime
from .face.rig import Rig, default_rig
from .stream import Stream

__version__ = "0.1.0"
__all__ = [
    "animate",
    "retime",
    "qc_report",
    "QCReport",
    "METHODS",
    "Animation",
    "load",
    "Rig",
    "default_rig",
    "render",
    "render_frames",
    "Stream",
    "ARKIT_NAMES",
    "Locks",
    "resolve_locks",
    "errors",
    "capture",
    "__version__",
]


def __getattr__(name: str) -> object:
    # kmtalk.capture (video -> Animation) loads on first use: mediapipe and av stay unimported until then.
    if name == "capture":
        import importlib

        return importlib.import_module(".capture", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
