"""Files and pictures: every animation format's writer and reader, and the preview renderer.

- :mod:`~kmtalk.io.exporters` — one module per file format (npz, Live Link CSV, JSON, glTF,
  OBJ/PLY sequences, TextGrid), each with its writer and, where the format can be read
  back, its reader;
- :func:`load` (also ``kmtalk.load``) — read an animation, picked by the file's extension
  (the registries of :mod:`kmtalk.face.formats`; ``Animation.export`` writes through them);
- :mod:`~kmtalk.io.render` — the preview renderer (moderngl on EGL, MP4 with the audio).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ..errors import AnimationError
from ..face.animation import Animation
from ..face.formats import call_format, reader_for

__all__ = ["load"]

log = logging.getLogger(__name__)


def load(path: str | os.PathLike[str], **options: Any) -> Animation:
    """Read an animation from a file, in the format named by its extension (the inverse of ``Animation.export``).

    Parameters
    ----------
    path : str or PathLike
        A ``.npz``, ``.json``, ``.csv`` (Live Link Face), ``.glb`` or ``.gltf``
        file, as :meth:`Animation.export` writes them (CSV: also the Live Link
        Face app's own recordings).
    **options
        Passed to the format's reader: ``rig=`` for ``.npz``; ``fps=`` (output
        rate) and ``timecode_fps=`` for ``.csv``.

    Returns
    -------
    Animation
        What the format holds: everything for ``.npz``; curves, timeline,
        keys, locks, meta for ``.json``; curves and head rotation for ``.csv``;
        curves, head pose, meta and the audio sidecar for glTF.

    Raises
    ------
    AnimationError
        Unknown or write-only extension, a missing file, or one that is not
        a readable animation of its format (the message says which).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> import kmtalk
    >>> path = kmtalk.Animation(fps=30, weights=np.full((4, 52), 0.5)).export(
    ...     os.path.join(tempfile.mkdtemp(), "a.json"))
    >>> kmtalk.load(path).weights.shape
    (4, 52)
    """
    reader = reader_for(path)
    if not Path(path).is_file():
        raise AnimationError(f"cannot load {os.fspath(path)!r}: no such file")
    anim = call_format(reader, (path,), options, AnimationError, "load")
    log.info("loaded %s", path)
    return anim
