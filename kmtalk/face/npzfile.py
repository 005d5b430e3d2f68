"""The ``.npz`` container of :meth:`Animation.save <kmtalk.face.animation.Animation.save>` and ``load``.

A numpy ``.npz`` (no pickle) with ``format_version``, ``metadata`` (a JSON
string whose ``format`` is :data:`FORMAT_NAME`), ``weights`` and, when present,
``head_pose`` and ``audio``. This module reads and writes the container and
checks it; the animation builds itself from what it holds.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from kmtalk.face.npzfile import read_npz_arrays, write_npz_arrays
>>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
>>> _ = write_npz_arrays(p, {"format": FORMAT_NAME}, {"weights": np.zeros((2, 52), np.float32)})
>>> arrays, meta = read_npz_arrays(p)
>>> arrays["weights"].shape, meta["format"]
((2, 52), 'kmtalk.animation')
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from ..errors import AnimationError
from .arkit import ARKIT_NAMES

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "read_npz_arrays", "write_npz_arrays"]

#: Version of the ``.npz`` layout.
FORMAT_VERSION = 1
#: The file format's name in ``metadata["format"]`` (not a module path).
FORMAT_NAME = "kmtalk.animation"


def write_npz_arrays(path: str | os.PathLike[str], metadata: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and ``metadata`` (as JSON) with the format version, atomically.

    Raises
    ------
    AnimationError
        If ``metadata`` is not JSON-serialisable.
    ExportError
        If the file cannot be written.
    """
    try:
        meta_json = json.dumps(metadata, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AnimationError(f"animation metadata is not JSON-serialisable: {exc}") from exc
    content = {"format_version": np.array(FORMAT_VERSION, dtype=np.int64), "metadata": np.array(meta_json),
               **arrays}
    path = Path(path)
    with atomic_write(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **content)
    return path


def read_npz_arrays(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and check a file written by :func:`write_npz_arrays`: ``(arrays, metadata)``.

    ``weights`` come back in ARKit order even when the file lists the names in another.

    Raises
    ------
    AnimationError
        Missing, not a kmtalk animation, corrupt, or of another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise AnimationError(f"animation file {path} does not exist")
    if not zipfile.is_zipfile(path):  # not an .npz at all: say so, not numpy's "allow_pickle" message
        hint = (" It looks like a JSON export: read it with kmtalk.load "
                "(the CLI's export, render and retime accept .json)."
                if path.suffix.lower() == ".json" else "")
        raise AnimationError(f"{path} is not a kmtalk animation (.npz written by Animation.save).{hint}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise AnimationError(
            f"{path} is not a readable kmtalk animation (.npz written by Animation.save): {exc}"
        ) from exc
    for key in ("format_version", "metadata", "weights"):
        if key not in arrays:
            raise AnimationError(
                f"{path} is not a kmtalk animation: it has no {key!r} array "
                f"(found {sorted(arrays)})"
            )
    try:
        version = int(arrays["format_version"])
    except (TypeError, ValueError) as exc:
        raise AnimationError(f"{path}: unreadable format_version") from exc
    if version != FORMAT_VERSION:
        raise AnimationError(
            f"{path} has animation format version {version}; this kmtalk reads version "
            f"{FORMAT_VERSION}. Re-export it with a matching kmtalk version."
        )
    try:
        meta = json.loads(str(arrays["metadata"]))
    except (json.JSONDecodeError, TypeError) as exc:
        raise AnimationError(f"{path}: corrupt metadata JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise AnimationError(f"{path}: metadata does not describe a kmtalk animation")
    names = meta.get("names")
    if names is not None and tuple(names) != ARKIT_NAMES:
        if sorted(names) != sorted(ARKIT_NAMES):
            raise AnimationError(f"{path}: its channels are not the 52 ARKit blendshapes")
        order = [list(names).index(n) for n in ARKIT_NAMES]
        arrays["weights"] = arrays["weights"][:, order]
    return arrays, meta
