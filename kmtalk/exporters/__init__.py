"""Animation exporters, one module per format, chosen by the file extension.

Like trimesh's ``export``, :func:`export` looks the extension up in a
registry and hands the animation to that format's writer. Writers are loaded
lazily, so importing kmtalk does not import trimesh, praatio or pygltflib.

=============  ===================================================  ====================
extension      format                                               module
=============  ===================================================  ====================
``.npz``       kmtalk's own file (:meth:`Animation.save`)           :mod:`.npz`
``.csv``       Live Link Face CSV (Unreal / MetaHuman)              :mod:`.livelink`
``.json``      curves + phone/viseme/word timeline + keys + locks   :mod:`.jsonfile`
``.glb/.gltf`` glTF 2.0 mesh, 52 morph targets, weight animation    :mod:`.gltf`
``.obj/.ply``  per-frame mesh sequence (a pattern: ``f/%04d.obj``)  :mod:`.meshseq`
``.TextGrid``  Praat TextGrid: words, phones, visemes               :mod:`.textgrid`
=============  ===================================================  ====================

The formats are described in ``docs/exports.md``. :func:`register` adds a format.

Examples
--------
>>> from kmtalk.exporters import supported_extensions
>>> supported_extensions()
['.csv', '.glb', '.gltf', '.json', '.npz', '.obj', '.ply', '.textgrid']
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ExportError

if TYPE_CHECKING:  # pragma: no cover
    from ..animation import Animation

__all__ = ["export", "register", "supported_extensions", "writer_for"]

log = logging.getLogger(__name__)

Writer = Callable[..., "Path | list[Path]"]

# extension (lower case, with dot) -> writer, or "module:function" to import on first use
_REGISTRY: dict[str, Writer | str] = {
    ".npz": "kmtalk.exporters.npz:write_npz",
    ".csv": "kmtalk.exporters.livelink:write_livelink_csv",
    ".json": "kmtalk.exporters.jsonfile:write_json",
    ".glb": "kmtalk.exporters.gltf:write_gltf",
    ".gltf": "kmtalk.exporters.gltf:write_gltf",
    ".obj": "kmtalk.exporters.meshseq:write_mesh_sequence",
    ".ply": "kmtalk.exporters.meshseq:write_mesh_sequence",
    ".textgrid": "kmtalk.exporters.textgrid:write_textgrid",
}


def supported_extensions() -> list[str]:
    """The extensions :func:`export` understands (lower case, sorted).

    Examples
    --------
    >>> ".glb" in supported_extensions()
    True
    """
    return sorted(_REGISTRY)


def register(extension: str, writer: Writer | str) -> None:
    """Register (or replace) the writer for an extension.

    Parameters
    ----------
    extension : str
        E.g. ``".fbx"`` (case-insensitive; the dot is added when missing).
    writer : callable or str
        ``writer(anim, path, **options) -> Path | list[Path]``, or
        ``"module:function"`` to import on first use.

    Examples
    --------
    >>> register(".txt", lambda anim, path, **o: path)
    >>> ".txt" in supported_extensions()
    True
    >>> del _REGISTRY[".txt"]
    """
    ext = extension.lower()
    if not ext.startswith("."):
        ext = "." + ext
    _REGISTRY[ext] = writer


def writer_for(path: str | os.PathLike[str]) -> Writer:
    """The writer registered for ``path``'s extension.

    Raises
    ------
    ExportError
        If no writer handles the extension; the message lists the supported ones.
    """
    ext = Path(path).suffix.lower()
    entry = _REGISTRY.get(ext)
    if entry is None:
        raise ExportError(
            f"cannot export to {os.fspath(path)!r}: unknown extension {ext or '(none)'!r}; "
            f"supported: {', '.join(supported_extensions())} "
            "(.obj/.ply take a frame pattern such as frames/%04d.obj)"
        )
    if isinstance(entry, str):
        module_name, func_name = entry.split(":")
        entry = getattr(importlib.import_module(module_name), func_name)
        _REGISTRY[ext] = entry
    return entry


def export(anim: "Animation", path: str | os.PathLike[str], **options: Any) -> Path | list[Path]:
    """Write ``anim`` in the format named by ``path``'s extension.

    Parameters
    ----------
    anim : Animation
        What to write.
    path : str or PathLike
        Destination; its extension picks the format (see the table above).
    **options
        Passed to the format's writer (see each module).

    Returns
    -------
    pathlib.Path or list of Path
        The written file (a list for frame sequences).

    Raises
    ------
    ExportError
        Unknown extension, bad options, or a failed writer. Nothing is left
        half-written.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from kmtalk.animation import Animation
    >>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
    >>> export(anim, os.path.join(tempfile.mkdtemp(), "x.fbx"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kmtalk.errors.ExportError: cannot export to '...x.fbx': unknown extension '.fbx'; supported: ...
    """
    writer = writer_for(path)
    try:
        result = writer(anim, path, **options)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise ExportError(f"bad export option for {Path(path).suffix}: {exc}") from exc
        raise
    log.info("exported %s", path)
    return result
