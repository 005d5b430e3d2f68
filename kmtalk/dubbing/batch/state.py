"""What a batch run remembers beside its outputs: input hashes, output hashes, the locks it wrote.

For every line kmtalk writes a small JSON *record* next to the line's first
output, ``<folder of first output>/<id>.kmtalk.json``::

    {"format": "kmtalk.batch.record", "version": 1, "id": "l1",
     "kmtalk_version": "0.1.0", "input_hash": "<sha256>",
     "outputs": {"l1.npz": "<sha256 of the file as written>", ...},   # relative to the record
     "locks": {"12": {"jawOpen": 0.4}}, "qc": {...}, "thumbnail": "l1.thumbs.png", ...}

The **input hash** covers the bytes of every input file (audio, transcript
or TextGrid, locks, source animation), the language, the options that change
the result (fps, aligner), the output paths and the kmtalk version. A line
whose input hash matches its record and whose outputs are all present and
unchanged is skipped.

An output is **protected** (never overwritten without ``force``) when it
exists and

- its hash differs from the one recorded when kmtalk wrote it (edited by a user);
- it is a ``.npz`` whose animation holds locks other than those kmtalk
  recorded writing (locked by a user);
- kmtalk has no record of writing it at all (it may be a user's file).

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = p.write_text("hi")
>>> file_hash(p)[:12]
'8f434346648f'
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...atomic import atomic_write
from ...errors import KmtalkError
from ...face.animation import Animation

__all__ = [
    "RECORD_FORMAT",
    "file_hash",
    "input_hash",
    "output_files",
    "protection",
    "read_record",
    "record_key",
    "record_path",
    "write_record",
]

RECORD_FORMAT = "kmtalk.batch.record"
_RECORD_VERSION = 1
_FIELD = re.compile(r"%0?\d*d")


def file_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_hash(parts: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-serialisable description of a line's inputs (keys sorted)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_path(first_output: Path, line_id: str) -> Path:
    """Where a line's record lives: ``<folder of its first output>/<id>.kmtalk.json``."""
    return first_output.parent / f"{line_id}.kmtalk.json"


def read_record(path: Path) -> dict[str, Any] | None:
    """The record at ``path``, or None when absent or unreadable (then the line is simply redone)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        return None
    return data


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write a record atomically."""
    data = {"format": RECORD_FORMAT, "version": _RECORD_VERSION, **record}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True), "utf-8")


def output_files(output: Path) -> list[Path]:
    """The files an output names that exist now: the file itself, or a frame pattern's frames."""
    if "%" in output.name:
        return sorted(Path(p) for p in glob.glob(glob.escape(str(output.parent)) + os.sep
                                                 + _FIELD.sub("*", glob.escape(output.name))))
    return [output] if output.is_file() else []


def _npz_locks(path: Path) -> dict[str, Any] | None:
    try:
        anim = Animation.load(path)
    except KmtalkError:
        return None
    return {str(f): ch for f, ch in anim.locks.items()}


def record_key(path: Path, record_file: Path) -> str:
    """How a written file is named in a record: its path relative to the record's folder (POSIX).

    Relative names keep a project's records valid when its folder moves.
    """
    return Path(os.path.relpath(path.resolve(), record_file.resolve().parent)).as_posix()


def protection(outputs: list[Path], record: dict[str, Any] | None, record_file: Path) -> list[str]:
    """Why the existing outputs must not be overwritten (empty: free to write).

    Parameters
    ----------
    outputs : list of Path
        The line's outputs (frame patterns allowed).
    record : dict or None
        The line's record from the last time kmtalk wrote it.
    record_file : Path
        Where that record lives (written files are named relative to it).

    Returns
    -------
    list of str
        One reason per protected file, e.g. ``"l1.npz was edited since kmtalk wrote it"``.
    """
    written: dict[str, str] = dict((record or {}).get("outputs") or {})
    locks_written = (record or {}).get("locks") or {}
    reasons: list[str] = []
    for output in outputs:
        for f in output_files(output):
            key = record_key(f, record_file)
            locks = _npz_locks(f) if f.suffix.lower() == ".npz" else None
            if key not in written:
                reasons.append(f"{f.name} holds locks kmtalk did not write" if locks
                               else f"{f.name} exists and kmtalk has no record of writing it")
                continue
            if file_hash(f) != written[key]:
                reasons.append(f"{f.name} was edited since kmtalk wrote it")
            if locks is not None and locks != locks_written:
                reasons.append(f"{f.name} holds locks kmtalk did not write")
    return reasons
