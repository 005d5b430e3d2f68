"""Which file format each extension is: the registries behind ``Animation.export`` and ``kmtalk.load``.

Like trimesh's ``export`` and ``load``, :func:`export` and :func:`kmtalk.load
<kmtalk.io.load>` look the extension up in a registry and hand the file to that
format's writer or reader, which live in :mod:`kmtalk.io.exporters` (one module
per format). The registries name them as ``"module:function"`` strings, loaded
on first use, so this module imports nothing of kmtalk's and importing kmtalk
does not import trimesh, praatio or pygltflib.

- ``.npz`` — kmtalk's own file (:meth:`Animation.save`): :mod:`kmtalk.io.exporters.npz`;
- ``.csv`` — Live Link Face CSV (Unreal / MetaHuman): :mod:`kmtalk.io.exporters.livelink`;
- ``.json`` — curves + phone/viseme/word timeline + keys + locks: :mod:`kmtalk.io.exporters.jsonfile`;
- ``.glb`` / ``.gltf`` — glTF 2.0 mesh, 52 morph targets, weight animation: :mod:`kmtalk.io.exporters.gltf`;
- ``.obj`` / ``.ply`` — per-frame mesh sequence (a pattern: ``f/%04d.obj``): :mod:`kmtalk.io.exporters.meshseq`;
- ``.TextGrid`` — Praat TextGrid: words, phones, visemes: :mod:`kmtalk.io.exporters.textgrid`.

Every format but the last two reads back (:func:`kmtalk.load <kmtalk.io.load>`):
a mesh sequence holds vertices, not curves, and a TextGrid holds timing only.
The formats are described in ``docs/exports.md``. :func:`register` and
:func:`register_reader` add a format.

Examples
--------
>>> from kmtalk.face.formats import readable_extensions, supported_extensions
>>> supported_extensions()
['.csv', '.glb', '.gltf', '.json', '.npz', '.obj', '.ply', '.textgrid']
>>> readable_extensions()
['.csv', '.glb', '.gltf', '.json', '.npz']
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any, Callable

from ..errors import AnimationError, ExportError

__all__ = ["call_format", "export", "readable_extensions", "reader_for", "register", "register_reader",
           "supported_extensions", "writer_for"]

log = logging.getLogger(__name__)

#: ``writer(anim, path, **options) -> Path | list[Path]``
Writer = Callable[..., "Path | list[Path]"]
#: ``reader(path, **options) -> Animation``
Reader = Callable[..., Any]

# extension (lower case, with dot) -> writer, or "module:function" to import on first use
_REGISTRY: dict[str, Writer | str] = {
    ".npz": "kmtalk.io.exporters.npz:write_npz",
    ".csv": "kmtalk.io.exporters.livelink:write_livelink_csv",
    ".json": "kmtalk.io.exporters.jsonfile:write_json",
    ".glb": "kmtalk.io.exporters.gltf:write_gltf",
    ".gltf": "kmtalk.io.exporters.gltf:write_gltf",
    ".obj": "kmtalk.io.exporters.meshseq:write_mesh_sequence",
    ".ply": "kmtalk.io.exporters.meshseq:write_mesh_sequence",
    ".textgrid": "kmtalk.io.exporters.textgrid:write_textgrid",
}

# extension -> reader, or "module:function"; the formats that cannot be read back say why
_READERS: dict[str, Reader | str] = {
    ".npz": "kmtalk.io.exporters.npz:read_npz",
    ".csv": "kmtalk.io.exporters.livelink:read_livelink_animation",
    ".json": "kmtalk.io.exporters.jsonfile:read_json",
    ".glb": "kmtalk.io.exporters.gltf:read_gltf",
    ".gltf": "kmtalk.io.exporters.gltf:read_gltf",
}
_WRITE_ONLY = {
    ".obj": "an OBJ frame holds a mesh, not the curves that drove it",
    ".ply": "a PLY frame holds a mesh, not the curves that drove it",
    ".textgrid": "a TextGrid holds the timing only (read it as an alignment with "
                 "phoneme.aligners.textgrid.read_textgrid)",
}


def call_format(func: Callable[..., Any], args: tuple[Any, ...], options: dict[str, Any],
                error: type[Exception], what: str) -> Any:
    """``func(*args, **options)``; an option the format does not take is ``error``, not a TypeError."""
    try:
        return func(*args, **options)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise error(f"bad {what} option for {Path(args[-1]).suffix}: {exc}") from exc
        raise


def _normalised(extension: str) -> str:
    ext = extension.lower()
    return ext if ext.startswith(".") else "." + ext


def _resolve(entry: Callable[..., Any] | str) -> Callable[..., Any]:
    if isinstance(entry, str):
        module_name, func_name = entry.split(":")
        return getattr(importlib.import_module(module_name), func_name)
    return entry


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
    _REGISTRY[_normalised(extension)] = writer


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
    entry = _REGISTRY[ext] = _resolve(entry)
    return entry


def export(anim: Any, path: str | os.PathLike[str], **options: Any) -> Path | list[Path]:
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
    >>> from kmtalk.face.animation import Animation
    >>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
    >>> export(anim, os.path.join(tempfile.mkdtemp(), "x.fbx"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kmtalk.errors.ExportError: cannot export to '...x.fbx': unknown extension '.fbx'; supported: ...
    """
    result = call_format(writer_for(path), (anim, path), options, ExportError, "export")
    log.info("exported %s", path)
    return result


def readable_extensions() -> list[str]:
    """The extensions :func:`load` reads (lower case, sorted).

    Examples
    --------
    >>> ".npz" in readable_extensions(), ".obj" in readable_extensions()
    (True, False)
    """
    return sorted(_READERS)


def register_reader(extension: str, reader: Reader | str) -> None:
    """Register (or replace) the reader for an extension: ``reader(path, **options) -> Animation``,
    or ``"module:function"`` to import on first use (see :func:`register`)."""
    _READERS[_normalised(extension)] = reader


def reader_for(path: str | os.PathLike[str]) -> Reader:
    """The reader registered for ``path``'s extension.

    Raises
    ------
    AnimationError
        No reader for the extension: the message says why (a format kmtalk only
        writes) or lists the readable ones.
    """
    ext = Path(path).suffix.lower()
    entry = _READERS.get(ext)
    if entry is None:
        why = _WRITE_ONLY.get(ext)
        reason = (f"kmtalk writes {ext} but cannot read it back: {why}" if why
                  else f"unknown extension {ext or '(none)'!r}")
        raise AnimationError(f"cannot load {os.fspath(path)!r}: {reason}; "
                             f"kmtalk.load reads {', '.join(readable_extensions())}")
    entry = _READERS[ext] = _resolve(entry)
    return entry
