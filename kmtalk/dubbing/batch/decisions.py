"""Review decisions: ``decisions.json`` beside the report, written by the QC page, read by the next batch run.

The file (``<out>/decisions.json``)::

    {"format": "kmtalk.review.decisions", "version": 1,
     "lines": {"l1": {"decision": "approved", "version": "<the line's input hash>",
                      "note": "", "at": "2025-01-31T10:00:00Z"}}}

``version`` is the input hash of the line as the reviewer saw it (its
record's ``input_hash``; same inputs give the same outputs, bit for bit). A
decision applies to that version only.

**Approved lines are never redone without ``force``**: a line approved at the
version its record holds is not re-animated when its inputs change or an
output goes missing; the run reports it ``kept`` (with the reason) and leaves
its files alone. ``force`` redoes it; if that changes its inputs the approval
is then for an earlier version, and the page asks for a new review. Rejected
lines are reported; they are redone when their inputs change (edit the
transcript, locks or audio, then rerun).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> doc = set_decision(d / "decisions.json", "l1", "approved", version="ab12")
>>> read_decisions(d / "decisions.json")["lines"]["l1"]["decision"]
'approved'
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...atomic import atomic_write
from ...errors import KmtalkError
from .line import LineResult, hash_inputs
from .preview import preview_path
from .state import output_files, protection, read_record, record_path

if TYPE_CHECKING:  # pragma: no cover
    from .manifest import ManifestLine

__all__ = [
    "DECISIONS",
    "DECISIONS_FILE",
    "DECISIONS_FORMAT",
    "hold_approved",
    "read_decisions",
    "set_decision",
]

DECISIONS_FILE = "decisions.json"
DECISIONS_FORMAT = "kmtalk.review.decisions"
#: What a reviewer may decide; ``clear`` removes the line's decision.
DECISIONS = ("approved", "rejected", "clear")
_MAX_NOTE = 2000


def _empty() -> dict[str, Any]:
    return {"format": DECISIONS_FORMAT, "version": 1, "lines": {}}


def read_decisions(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The decisions file at ``path`` (an empty document when it does not exist).

    Raises
    ------
    KmtalkError
        The file exists but is not a decisions file (fix or delete it: a
        reviewer's decisions are never ignored silently).
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return _empty()
    except OSError as exc:
        raise KmtalkError(f"cannot read the review decisions {path}: {exc}") from exc
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise KmtalkError(f"{path} is not valid JSON ({exc}); fix it or delete it") from exc
    if not isinstance(doc, dict) or doc.get("format") != DECISIONS_FORMAT or not isinstance(doc.get("lines"), dict):
        raise KmtalkError(f"{path} is not a kmtalk decisions file (format {DECISIONS_FORMAT!r} expected)")
    for line_id, entry in doc["lines"].items():
        if not isinstance(entry, dict) or entry.get("decision") not in ("approved", "rejected"):
            raise KmtalkError(f"{path}: line {line_id!r} has no valid decision (approved or rejected)")
    return doc


def set_decision(path: str | os.PathLike[str], line_id: str, decision: str, *, version: str = "",
                 note: str = "") -> dict[str, Any]:
    """Record one decision in the file at ``path`` (read, change, write atomically) and return the document.

    Parameters
    ----------
    path : str or PathLike
    line_id : str
    decision : str
        ``approved``, ``rejected`` or ``clear``.
    version : str
        The line's input hash as reviewed.
    note : str
        The reviewer's note (at most 2000 characters kept).

    Raises
    ------
    KmtalkError
        An unknown decision, or an unreadable existing file.
    """
    if decision not in DECISIONS:
        raise KmtalkError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    doc = read_decisions(path)
    if decision == "clear":
        doc["lines"].pop(line_id, None)
    else:
        doc["lines"][line_id] = {"decision": decision, "version": str(version), "note": str(note)[:_MAX_NOTE],
                                 "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    return doc


def _hold(line: ManifestLine, options: dict[str, Any], entry: dict[str, Any]) -> LineResult | None:
    rec_path = record_path(line.outputs[0], line.id)
    record = read_record(rec_path)
    if record is None or record.get("input_hash") != entry.get("version"):
        return None  # approved another version (or no record): the approval does not cover what is there
    try:
        changed = hash_inputs(line, options) != record["input_hash"]
    except KmtalkError as exc:  # e.g. the audio is gone: keep the approved outputs
        changed, why = True, [str(exc)]
    else:
        why = ["its inputs changed since"] if changed else []
    missing = [o.name for o in line.outputs if not output_files(o)]
    why += [f"{name} is missing" for name in missing]
    if not why:
        reasons = protection(line.outputs, record, rec_path)
        if not reasons:
            return None  # unchanged and complete: the normal run skips it
        why = reasons
    preview = preview_path(rec_path, line.id)
    return LineResult(
        id=line.id, status="kept", retimed=line.source is not None,
        message=f"approved in review ({entry.get('at', '')}); not redone although "
                + "; ".join(why) + " (use --force to redo)",
        outputs=[str(f) for o in line.outputs for f in output_files(o)],
        qc=record.get("qc", {}), thumbnail=record.get("thumbnail"),
        preview=str(preview) if preview.is_file() else None,
    )


def hold_approved(lines: list[ManifestLine], options: dict[str, Any], decisions_file: str | os.PathLike[str],
                  *, force: bool = False) -> dict[str, LineResult]:
    """The lines a run must leave alone because a reviewer approved them, with their ``kept`` results.

    Parameters
    ----------
    lines : list of ManifestLine
    options : dict
        The run's options (as given to :func:`kmtalk.dubbing.batch.process_line`).
    decisions_file : str or PathLike
        ``<out>/decisions.json`` (absent: nothing is held).
    force : bool
        Hold nothing.

    Returns
    -------
    dict
        Line id → :class:`~kmtalk.dubbing.batch.LineResult` (status ``kept``) for every
        approved line that would otherwise be redone.
    """
    if force:
        return {}
    entries = read_decisions(decisions_file)["lines"]
    held: dict[str, LineResult] = {}
    for line in lines:
        entry = entries.get(line.id)
        if entry and entry.get("decision") == "approved":
            result = _hold(line, options, entry)
            if result is not None:
                held[line.id] = result
    return held
