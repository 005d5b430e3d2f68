"""``.npz``: kmtalk's own animation file, i.e. :meth:`kmtalk.face.animation.Animation.save` and ``load``.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from kmtalk.face.animation import Animation
>>> from kmtalk.io.exporters.npz import write_npz
>>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
>>> p = write_npz(anim, os.path.join(tempfile.mkdtemp(), "a.npz"))
>>> p.name
'a.npz'
"""

from __future__ import annotations

import os
from pathlib import Path

from ...face.animation import Animation
from ...face.rig import Rig

__all__ = ["read_npz", "write_npz"]


def write_npz(anim: "Animation", path: str | os.PathLike[str]) -> Path:
    """Write ``anim`` with :meth:`Animation.save` (versioned, no pickle). Returns the path."""
    return anim.save(path)


def read_npz(path: str | os.PathLike[str], *, rig: "Rig | None" = None) -> "Animation":
    """Read a file written by :func:`write_npz` (:meth:`Animation.load`; ``rig`` is attached)."""
    return Animation.load(path, rig=rig)
