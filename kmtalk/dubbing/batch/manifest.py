"""Batch manifests: one CSV row per line to animate (or re-time).

Columns (a header row is required; names are case-insensitive, unknown
columns are ignored with a log message):

==============  ========  ===============================================================
column          required  meaning
==============  ========  ===============================================================
``id``          yes       line id, unique in the manifest (aliases ``line_id``, ``line``)
``audio``       yes       the line's audio file
``transcript``  no        the words, or a ``.txt``/``.lab`` file, or a ``.TextGrid``
                          alignment (then no aligning is done)
``textgrid``    no        an alignment TextGrid (instead of aligning the transcript)
``language``    no        language code (default ``en``)
``locks``       no        editor locks, a JSON file (see ``docs/prior.md``)
``source``      no        a source animation ``.npz``: the line is *re-timed* from it
                          (:func:`kmtalk.retime`) instead of animated from scratch
``output``      no        output file(s), ``;``-separated; format by extension (``.npz``,
                          ``.csv``, ``.json``, ``.glb``, ``.TextGrid``, ``f/%04d.obj``,
                          ``.mp4``). Default ``<id>.npz``
``fps``         no        frame rate (default: the run's ``fps``; the source's when re-timing)
==============  ========  ===============================================================

Relative input paths are relative to the manifest's folder; relative
outputs to the output folder (``--out``, default the manifest's folder).
A row needs a ``transcript`` or a ``textgrid`` (transcript-free lines are
not batched: their words would be guessed).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "m.csv").write_text("id,audio,transcript\\nl1,a.wav,Hello there\\n")
>>> [(ln.id, ln.audio.name, ln.transcript, [o.name for o in ln.outputs]) for ln in read_manifest(d / "m.csv")]
[('l1', 'a.wav', 'Hello there', ['l1.npz'])]
"""

from __future__ import annotations

import csv
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import KmtalkError

__all__ = ["COLUMNS", "ManifestLine", "read_manifest"]

log = logging.getLogger(__name__)

COLUMNS = ("id", "audio", "transcript", "textgrid", "language", "locks", "source", "output", "fps")
_ALIASES = {"line_id": "id", "line": "id", "lineid": "id", "outputs": "output", "text": "transcript",
            "lang": "language", "source_animation": "source"}
_ID = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class ManifestLine:
    """One row of a manifest, with paths resolved.

    Attributes
    ----------
    id : str
    row : int
        1-based row number in the file (the header is row 1).
    audio : Path
    transcript : str or None
        The words (read from the file when the column named a ``.txt``/``.lab``).
    transcript_file : Path or None
        The transcript file, when the column named one.
    textgrid : Path or None
    language : str
    locks : Path or None
    source : Path or None
    outputs : list of Path
    fps : float or None
    """

    id: str
    row: int
    audio: Path
    transcript: str | None = None
    transcript_file: Path | None = None
    textgrid: Path | None = None
    language: str = "en"
    locks: Path | None = None
    source: Path | None = None
    outputs: list[Path] = field(default_factory=list)
    fps: float | None = None


def _resolve(base: Path, value: str) -> Path:
    p = Path(os.path.expanduser(value.strip()))
    return p if p.is_absolute() else base / p


def read_manifest(path: str | os.PathLike[str], *, out_dir: str | os.PathLike[str] | None = None) -> list[ManifestLine]:
    """Read and check a manifest CSV (see the module docstring for its columns).

    Parameters
    ----------
    path : str or PathLike
    out_dir : str or PathLike, optional
        Folder for relative outputs (default: the manifest's folder).

    Returns
    -------
    list of ManifestLine

    Raises
    ------
    KmtalkError
        Unreadable file, no header, a missing required column, an empty or
        duplicate id, an id with characters other than letters, digits,
        ``_ . -``, a row without transcript or TextGrid, a bad ``fps``, or
        two lines writing the same output.
    """
    path = Path(path)
    base = path.resolve().parent
    out_base = Path(out_dir).resolve() if out_dir is not None else base
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise KmtalkError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise KmtalkError(f"manifest {path} is not UTF-8 text") from None
    reader = csv.reader(text.splitlines())
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise KmtalkError(f"manifest {path} is empty; it needs a header row such as 'id,audio,transcript,output'")
    header = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    missing = [c for c in ("id", "audio") if c not in header]
    if missing:
        raise KmtalkError(f"manifest {path} lacks the column(s) {', '.join(missing)} "
                          f"(header: {', '.join(rows[0])}); known columns: {', '.join(COLUMNS)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        log.info("manifest %s: ignoring unknown columns %s", path, unknown)
    lines: list[ManifestLine] = []
    seen: dict[str, int] = {}
    owners: dict[Path, str] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = {h: (raw[k].strip() if k < len(raw) else "") for k, h in enumerate(header)}
        where = f"manifest {path}, row {number}"
        line_id = cells.get("id", "")
        if not line_id:
            raise KmtalkError(f"{where}: the id is empty")
        if not _ID.match(line_id):
            raise KmtalkError(f"{where}: id {line_id!r} may only hold letters, digits, '_', '.', '-'")
        if line_id in seen:
            raise KmtalkError(f"{where}: id {line_id!r} is already used on row {seen[line_id]}")
        seen[line_id] = number
        if not cells.get("audio"):
            raise KmtalkError(f"{where}: no audio for line {line_id!r}")
        transcript = cells.get("transcript") or None
        transcript_file = None
        textgrid = _resolve(base, cells["textgrid"]) if cells.get("textgrid") else None
        if transcript and transcript.lower().endswith(".textgrid"):
            textgrid, transcript = _resolve(base, transcript), None
        elif transcript and transcript.lower().endswith((".txt", ".lab")):
            transcript_file = _resolve(base, transcript)
            transcript = None
        if transcript is None and transcript_file is None and textgrid is None:
            raise KmtalkError(f"{where}: line {line_id!r} needs a transcript (text or .txt file) or a TextGrid")
        fps = None
        if cells.get("fps"):
            try:
                fps = float(cells["fps"])
            except ValueError:
                fps = float("nan")
            if not (math.isfinite(fps) and 0 < fps <= 240):
                raise KmtalkError(f"{where}: fps {cells['fps']!r} must be a number in (0, 240]")
        outs = [o for o in (cells.get("output") or "").split(";") if o.strip()] or [f"{line_id}.npz"]
        outputs = [_resolve(out_base, o) for o in outs]
        for o in outputs:
            key = o.resolve()
            if key in owners:
                raise KmtalkError(f"{where}: output {o} is also written by line {owners[key]!r}")
            owners[key] = line_id
        lines.append(ManifestLine(
            id=line_id, row=number, audio=_resolve(base, cells["audio"]), transcript=transcript,
            transcript_file=transcript_file, textgrid=textgrid, language=cells.get("language") or "en",
            locks=_resolve(base, cells["locks"]) if cells.get("locks") else None,
            source=_resolve(base, cells["source"]) if cells.get("source") else None,
            outputs=outputs, fps=fps,
        ))
    return lines
