"""One line of a batch: animated (or re-timed), written, checked, recorded — :func:`process_line`.

Each line is handled on its own (in a worker process): hash the inputs, skip
the line when nothing changed, refuse to overwrite protected outputs (see
:mod:`kmtalk.dubbing.batch.state`) unless ``force``, otherwise animate, write
every output (all or none: they are staged in hidden folders, then moved into
place), run :func:`kmtalk.dubbing.qc.qc_report`, render a thumbnail strip and
write the line's record. The local pool (:mod:`.runner`) and Ray
(:mod:`.ray_executor`) run it.

Examples
--------
>>> from kmtalk.dubbing.batch.line import LineResult
>>> LineResult(id="l1", status="done").to_dict()["status"]
'done'
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...animator.api import animate
from ...atomic import atomic_write
from ...errors import AudioError, KmtalkError
from ...io.render import render_frames
from ..qc import qc_report
from ..retime import retime
from .manifest import ManifestLine
from .png import encode_png
from .preview import existing_preview, make_line_preview
from .state import (
    file_hash,
    input_hash,
    output_files,
    protection,
    read_record,
    record_key,
    record_path,
    write_record,
)

__all__ = ["STATUSES", "LineResult", "hash_inputs", "is_input_audio", "process_line", "thumbnail_path"]

log = logging.getLogger("kmtalk.dubbing.batch.runner")

#: ``done`` (written), ``skipped`` (unchanged), ``kept`` (protected outputs left alone), ``failed``.
STATUSES = ("done", "skipped", "kept", "failed")
_THUMB_FRAMES = 6
_THUMB_RENDER = 192  # rendered size; the thumbnail is its lower-face crop
_THUMB_CROP = (slice(88, 184), slice(48, 144))  # 96 x 96: nose to chin


@dataclass
class LineResult:
    """What happened to one line.

    Attributes
    ----------
    id : str
    status : str
        One of :data:`STATUSES`.
    message : str
        Why it failed or was kept ("" when done or skipped).
    outputs : list of str
        The files written (or present, when skipped/kept).
    qc : dict
        :meth:`kmtalk.dubbing.qc.QCReport.to_dict` of the line (from its record when skipped).
    thumbnail : str or None
        Path of the line's thumbnail strip PNG.
    preview : str or None
        Path of the line's QC-page player data (``<id>.preview.js``, :mod:`kmtalk.dubbing.batch.preview`).
    seconds : float
        Time spent on the line.
    retimed : bool
        True when the line was re-timed from a source animation.
    """

    id: str
    status: str
    message: str = ""
    outputs: list[str] = field(default_factory=list)
    qc: dict[str, Any] = field(default_factory=dict)
    thumbnail: str | None = None
    preview: str | None = None
    seconds: float = 0.0
    retimed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hash_inputs(line: ManifestLine, options: dict[str, Any]) -> str:
    from ... import __version__

    def h(p: Path | None, what: str) -> str | None:
        if p is None:
            return None
        if not p.is_file():
            err = AudioError if what == "audio" else KmtalkError
            raise err(f"{what} file not found: {p}")
        return file_hash(p)

    return input_hash({
        "kmtalk": __version__, "audio": h(line.audio, "audio"), "transcript": line.transcript,
        "transcript_file": h(line.transcript_file, "transcript"), "textgrid": h(line.textgrid, "TextGrid"),
        "language": line.language, "locks": h(line.locks, "locks"), "source": h(line.source, "source animation"),
        "fps": line.fps, "options": options,
        "outputs": [record_key(o, record_path(line.outputs[0], line.id)) for o in line.outputs],
    })


def _animate(line: ManifestLine, options: dict[str, Any], source: Any = None) -> Any:
    """Animate (or re-time, from ``source`` when given, else ``line.source``) one line."""

    kwargs: dict[str, Any] = {"language": line.language}
    if options.get("aligner"):
        kwargs["aligner"] = options["aligner"]
    if options.get("method"):
        kwargs["method"] = options["method"]
    fps = line.fps or options.get("fps")
    if line.textgrid is not None:
        kwargs["alignment"] = line.textgrid
    transcript = line.transcript if line.transcript is not None else line.transcript_file
    if line.locks is not None:
        kwargs["locks"] = line.locks
    if line.source is not None:
        return retime(line.source if source is None else source, line.audio, transcript, fps=fps, **kwargs)
    return animate(line.audio, transcript, fps=fps or 30.0, **kwargs)


def _write_outputs(anim: Any, outputs: list[Path]) -> list[Path]:
    """Write every output into hidden staging folders, then move all into place."""
    token = secrets.token_hex(4)
    stages: list[Path] = []
    moves: list[tuple[Path, Path]] = []
    try:
        for out in outputs:
            stage = out.parent / f".kmtalk-stage-{token}"
            stage.mkdir(parents=True, exist_ok=True)
            stages.append(stage)
            staged = stage / out.name
            if out.suffix.lower() == ".mp4":
                from ...io.render import render

                written: Any = render(anim, staged)
            else:
                written = anim.export(staged)
            for f in (written if isinstance(written, list) else [written]):
                moves.append((Path(f), out.parent / Path(f).name))
            # The writer's sidecars go too (a glTF's .wav audio, a .gltf's .bin): the file refers to them.
            known = {src for src, _ in moves}
            moves += [(f, out.parent / f.name) for f in sorted(stage.iterdir()) if f.is_file() and f not in known]
        moves = [(src, dst) for src, dst in moves if not is_input_audio(dst, anim.audio_path)]
        for src, dst in moves:
            os.replace(src, dst)
    finally:
        for stage in stages:
            shutil.rmtree(stage, ignore_errors=True)
    return [dst for _, dst in moves]


def is_input_audio(dst: Path, audio: Any) -> bool:
    """True when ``dst`` is the line's own audio file: a glTF's ``.wav`` sidecar beside its input
    (``line.wav`` → ``line.glb``) then refers to the real audio, which is never overwritten."""
    try:
        return audio is not None and dst.exists() and os.path.samefile(dst, audio)
    except OSError:
        return False


def _thumbnail(anim: Any, path: Path) -> Path:

    spoken = [p for p in anim.phones if not p.is_silence]
    t0, t1 = (spoken[0].start, spoken[-1].end) if spoken else (0.0, anim.duration)
    frames = np.unique(np.clip(np.round(np.linspace(t0, t1, _THUMB_FRAMES) * anim.fps).astype(int),
                               0, anim.n_frames - 1))
    images = [img[_THUMB_CROP] for img in render_frames(anim.get_rig(), anim.weights[frames],
                                                          size=_THUMB_RENDER)]
    strip = np.concatenate(images, axis=1)
    with atomic_write(path) as tmp:
        tmp.write_bytes(encode_png(strip))
    return path


def process_line(line: ManifestLine, options: dict[str, Any], *, force: bool = False,
                 thumbnails: bool = True) -> LineResult:
    """Handle one manifest line (see the module docstring); never raises for the line's own errors.

    Parameters
    ----------
    line : ManifestLine
    options : dict
        Run options that change results (``fps``, ``aligner``); part of the input hash.
    force : bool
        Overwrite protected outputs (edited, locked, or not written by kmtalk).
    thumbnails : bool
        Render a thumbnail strip for the report.

    Returns
    -------
    LineResult
    """

    start = time.perf_counter()
    result = LineResult(id=line.id, status="failed", retimed=line.source is not None)
    rec_path = record_path(line.outputs[0], line.id)
    try:
        digest = _plan(line, options, force, result)
        if digest is not None:
            anim = _animate(line, options)
            written = _write_outputs(anim, line.outputs)
            result.outputs = [str(f) for f in written]
            result.qc = qc_report(anim).to_dict()
            if thumbnails:
                try:
                    result.thumbnail = str(_thumbnail(anim, thumbnail_path(line)))
                except KmtalkError as exc:  # no GL: the report goes without a picture
                    log.warning("line %s: no thumbnail (%s)", line.id, exc)
            result.preview = make_line_preview(anim, line.id, rec_path, result.qc)
            _record(line, rec_path, digest, written, anim.locks, result)
    except Exception as exc:  # noqa: BLE001 — a bug or an unexpected library failure: report it, keep going
        _fail(line, result, exc)
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def thumbnail_path(line: ManifestLine) -> Path:
    """Where a line's thumbnail strip goes: beside its record, ``<id>.thumbs.png``."""
    return record_path(line.outputs[0], line.id).with_name(f"{line.id}.thumbs.png")


def _plan(line: ManifestLine, options: dict[str, Any], force: bool, result: LineResult) -> str | None:
    """Decide a line before making it: fill ``result`` when it is skipped (unchanged) or kept
    (protected outputs) and return None; else return its input hash (the line must be made)."""
    rec_path = record_path(line.outputs[0], line.id)
    digest = hash_inputs(line, options)
    record = read_record(rec_path)
    present = [f for o in line.outputs for f in output_files(o)]
    reasons = protection(line.outputs, record, rec_path)
    complete = all(output_files(o) for o in line.outputs)
    if record and record.get("input_hash") == digest and complete and not reasons:
        result.status, result.outputs = "skipped", [str(f) for f in present]
        result.qc, result.thumbnail = record.get("qc", {}), record.get("thumbnail")
        result.preview = existing_preview(rec_path, line.id)
        return None
    if reasons and not force:
        result.status, result.outputs = "kept", [str(f) for f in present]
        result.message = "; ".join(reasons) + " (use --force to overwrite)"
        if record:
            result.qc, result.thumbnail = record.get("qc", {}), record.get("thumbnail")
        result.preview = existing_preview(rec_path, line.id)
        return None
    return digest


def _record(line: ManifestLine, rec_path: Path, digest: str, written: list[Path], locks: dict[int, Any],
            result: LineResult) -> None:
    """Write the record of a line just made (``result`` holds its QC and thumbnail) and mark it done."""
    from ... import __version__

    write_record(rec_path, {
        "id": line.id, "kmtalk_version": __version__, "input_hash": digest,
        "outputs": {record_key(f, rec_path): file_hash(f) for f in written},
        "locks": {str(f): ch for f, ch in locks.items()},
        "qc": result.qc, "thumbnail": result.thumbnail, "retimed": result.retimed,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    })
    result.status = "done"


def _fail(line: ManifestLine, result: LineResult, exc: Exception) -> None:
    """Mark ``result`` failed with the reason a line's own error gives (a bug: its type too)."""
    result.status = "failed"
    if isinstance(exc, KmtalkError):
        result.message = str(exc)
    else:
        log.debug("line %s failed:\n%s", line.id, "".join(traceback.format_exception(exc)))
        result.message = f"{type(exc).__name__}: {exc}"
