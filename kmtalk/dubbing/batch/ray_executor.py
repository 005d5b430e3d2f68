"""Batch lines as Ray tasks; this process (the driver) checks and writes every file.

``run_batch(..., executor="ray")`` and ``kmtalk batch lines.csv --executor ray``
use it. A line goes through three steps:

1. **plan** (driver): hash the inputs, read the line's record, check its
   outputs (:func:`kmtalk.dubbing.batch.line._plan`, the same code as the local
   executor): an unchanged line is skipped and a protected one kept without
   any worker seeing it;
2. **make** (a Ray task, :func:`make_line`): the driver ships the line's input
   *bytes* (audio, transcript file, TextGrid, locks, source animation and the
   source's own audio); the worker copies them into a private folder, animates
   or re-times, runs QC, exports every output, the thumbnail strip and the QC
   page's player data into that folder and sends the bytes back. Paths the outputs embed (the animation's
   ``audio_path``) name the driver's files, so the bytes are those a local run
   writes;
3. **commit** (driver): plan the line again (a user may have edited an output
   while the line was made: then it is kept), write the files (all or none,
   staged as the local executor does), the thumbnail, the player data and the
   record.

So workers need no shared storage, and only the driver ever reads or writes
the project: the never-overwrite check cannot race with a worker's write.
Shared-filesystem clusters could write from the workers; that mode is not
implemented (see ``docs/scale.md``).

Each worker process loads the lexicon and model once, on its first line
(:func:`warm`; kmtalk caches them per process) and Ray reuses the process for
later lines. A line that fails is reported like any failed line; a worker that
dies (killed, out of memory, its machine lost) makes Ray retry the line up to
:data:`MAX_RETRIES` times on a fresh worker, then the line is reported failed
and the run goes on.

Examples
--------
>>> from kmtalk.dubbing.batch import run_batch
>>> result = run_batch("lines.csv", executor="ray", address="auto")   # doctest: +SKIP
>>> result.stats["workers"], result.stats["bytes_to_workers"]          # doctest: +SKIP
(8, 11800342)
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...atomic import atomic_write
from ...errors import BackendUnavailableError, KmtalkError
from ...face.animation import Animation
from .line import (
    LineResult,
    _animate,
    _fail,
    _plan,
    _record,
    _thumbnail,
    _write_outputs,
    is_input_audio,
    thumbnail_path,
)
from .manifest import ManifestLine
from .state import record_path

__all__ = ["MAX_RETRIES", "LineJob", "MadeLine", "make_line", "run_ray", "warm"]

log = logging.getLogger(__name__)

#: Retries of a line whose worker died (not of a line that failed on its own: that is final).
MAX_RETRIES = 2


@dataclass
class LineJob:
    """What a worker gets for one line.

    Attributes
    ----------
    line : ManifestLine
        The line, with the driver's paths.
    options : dict
        The run's options (``fps``, ``aligner``, ``method``).
    thumbnails : bool
        Render the thumbnail strip.
    inputs : dict of str to bytes
        The bytes of every input file, by the driver's path.
    """

    line: ManifestLine
    options: dict[str, Any]
    thumbnails: bool
    inputs: dict[str, bytes] = field(default_factory=dict)


@dataclass
class MadeLine:
    """What a worker sends back for one line.

    Attributes
    ----------
    id : str
    files : list of (int, str, bytes)
        ``(output index, file name, bytes)`` of every file written, in the
        order the local executor writes them; a file goes into the folder of
        its output (several for a ``.glb`` with its ``.wav``, or frame patterns).
    locks : dict
        The animation's locks (frame to channel values), for the record.
    qc : dict
        :meth:`kmtalk.dubbing.qc.QCReport.to_dict`.
    thumbnail : bytes or None
        The thumbnail strip PNG.
    preview : bytes or None
        The line's QC-page player data (:mod:`kmtalk.dubbing.batch.preview`).
    error : str or None
        Why the line failed (then nothing else is set).
    seconds : float
        Time the worker spent on the line (loading included).
    load_seconds : float
        Time this worker spent loading the lexicon and model first (0 when already loaded).
    worker : str
        ``host:pid`` of the worker process.
    version : str
        The worker's kmtalk version.
    """

    id: str
    files: list[tuple[int, str, bytes]] = field(default_factory=list)
    locks: dict[int, Any] = field(default_factory=dict)
    qc: dict[str, Any] = field(default_factory=dict)
    thumbnail: bytes | None = None
    preview: bytes | None = None
    error: str | None = None
    seconds: float = 0.0
    load_seconds: float = 0.0
    worker: str = ""
    version: str = ""


# ---------------------------------------------------------------------------- worker side

_WARM: set[str] = set()
#: The driver's paths of the line being made → this worker's copies (one line at a time per process).
_COPIES: dict[str, str] = {}


class _CopiedAudio(Animation):
    """An :class:`Animation` whose ``audio_path`` names the driver's file and reads this worker's copy."""

    def load_audio(self) -> tuple[Any, int] | None:  # as Animation.load_audio, from the copy
        local = _COPIES.get(self.audio_path or "") if self.audio is None else None
        if local is None:
            return super().load_audio()
        driver_path = self.audio_path
        try:
            self.audio_path = local
            return super().load_audio()
        finally:
            self.audio_path = driver_path


def warm(options: dict[str, Any]) -> float:
    """Load the lexicon tables and the model ``options`` call for, once per process.

    Parameters
    ----------
    options : dict
        The run's options (``method``).

    Returns
    -------
    float
        Seconds spent loading now (0.0 when this process had loaded them already).

    Examples
    --------
    >>> warm({"method": "prior"}) >= 0.0
    True
    >>> warm({"method": "prior"})
    0.0
    """
    method = options.get("method") or "auto"
    if method in _WARM:
        return 0.0
    start = time.perf_counter()
    from ...animator.api import _model
    from ...animator.prior import load_prior_tables

    load_prior_tables(None)
    _model(method, None)
    _WARM.add(method)
    return time.perf_counter() - start


def make_line(job: LineJob) -> MadeLine:
    """Make one line on a worker: animate (or re-time), QC, export and render into bytes.

    Never raises for the line's own errors: they come back in ``error``.

    Parameters
    ----------
    job : LineJob

    Returns
    -------
    MadeLine

    Examples
    --------
    >>> from kmtalk.dubbing.batch import read_manifest
    >>> (line,) = read_manifest("lines.csv")                                   # doctest: +SKIP
    >>> job = LineJob(line, {"method": "prior"}, False, {str(line.audio): line.audio.read_bytes()})  # doctest: +SKIP
    >>> [(k, name) for k, name, _ in make_line(job).files]                     # doctest: +SKIP
    [(0, 'l1.npz')]
    """
    from ... import __version__
    from ..qc import qc_report
    from .preview import make_line_preview

    start = time.perf_counter()
    line = job.line
    made = MadeLine(id=line.id, worker=f"{socket.gethostname()}:{os.getpid()}", version=__version__)
    tmp = Path(tempfile.mkdtemp(prefix=f"kmtalk-ray-{line.id}-"))
    try:
        made.load_seconds = round(warm(job.options), 3)
        _COPIES.clear()
        for k, (path, data) in enumerate(job.inputs.items()):
            local = tmp / "in" / str(k) / Path(path).name
            local.parent.mkdir(parents=True)
            local.write_bytes(data)
            _COPIES[path] = str(local)

        def here(p: Path | None) -> Path | None:
            return None if p is None else Path(_COPIES[str(p)])

        local_line = replace(line, audio=here(line.audio), transcript_file=here(line.transcript_file),
                             textgrid=here(line.textgrid), locks=here(line.locks), source=here(line.source))
        source, source_audio = None, None
        if line.source is not None:
            source = Animation.load(local_line.source)
            source_audio = source.audio_path
            if source_audio in _COPIES:
                source.audio_path = _COPIES[source_audio]
        anim = _animate(local_line, job.options, source=source)
        # What the outputs say must be what a local run says: the driver's paths.
        anim.audio_path = str(line.audio)
        if source is not None and isinstance(anim.meta.get("retime"), dict):
            anim.meta["retime"]["source"]["audio_path"] = source_audio
        anim.__class__ = _CopiedAudio
        outs = [tmp / "out" / str(k) / out.name for k, out in enumerate(line.outputs)]
        written = _write_outputs(anim, outs)
        made.files = [(int(f.parent.name), f.name, f.read_bytes()) for f in written]
        made.qc = qc_report(anim).to_dict()
        made.locks = dict(anim.locks)
        if job.thumbnails:
            try:
                made.thumbnail = _thumbnail(anim, tmp / "thumbs.png").read_bytes()
            except KmtalkError as exc:  # no GL on this worker: the report goes without a picture
                log.warning("line %s: no thumbnail (%s)", line.id, exc)
        preview = make_line_preview(anim, line.id, tmp / "record.json", made.qc)
        made.preview = None if preview is None else Path(preview).read_bytes()
    except Exception as exc:  # noqa: BLE001 — the line's own failure, reported like the local executor does
        failed = LineResult(id=line.id, status="failed")
        _fail(line, failed, exc)
        made = MadeLine(id=line.id, error=failed.message, worker=made.worker, version=made.version,
                        load_seconds=made.load_seconds)
    finally:
        _COPIES.clear()
        shutil.rmtree(tmp, ignore_errors=True)
    made.seconds = round(time.perf_counter() - start, 3)
    return made


def _run_job(job: LineJob, make: Callable[[LineJob], MadeLine] | None) -> MadeLine:
    return (make or make_line)(job)


# ---------------------------------------------------------------------------- driver side


def _inputs(line: ManifestLine) -> dict[str, bytes]:
    """The bytes of every file the line reads, by path (missing files are left to fail on the worker)."""
    paths = [p for p in (line.audio, line.transcript_file, line.textgrid, line.locks, line.source) if p is not None]
    if line.source is not None:
        try:
            src_audio = Animation.load(line.source).audio_path
        except KmtalkError:
            src_audio = None  # the worker reports the broken source
        if src_audio and os.path.isfile(src_audio):
            paths.append(src_audio)  # type: ignore[arg-type]
    inputs: dict[str, bytes] = {}
    for p in paths:
        if str(p) not in inputs and os.path.isfile(p):
            inputs[str(p)] = Path(p).read_bytes()
    return inputs


def _place(line: ManifestLine, files: list[tuple[int, str, bytes]]) -> list[Path]:
    """Write a line's files, all or none: staged in hidden folders beside them, then moved into place."""
    token = secrets.token_hex(4)
    stages: dict[Path, Path] = {}
    moves: list[tuple[Path, Path]] = []
    try:
        for k, name, data in files:
            folder = line.outputs[k].parent
            if is_input_audio(folder / name, line.audio) or any(d == folder / name for _, d in moves):
                continue  # a glTF's audio sidecar that is the input itself, or one two outputs share
            stage = stages.get(folder)
            if stage is None:
                stage = stages[folder] = folder / f".kmtalk-stage-{token}"
                stage.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
            moves.append((stage / name, folder / name))
        for src, dst in moves:
            os.replace(src, dst)
    finally:
        for stage in stages.values():
            shutil.rmtree(stage, ignore_errors=True)
    return [dst for _, dst in moves]


def _commit(line: ManifestLine, options: dict[str, Any], digest: str, made: MadeLine, result: LineResult,
            force: bool) -> None:
    """Plan the line again and write what the worker made (driver side)."""
    from ... import __version__
    from .preview import preview_path

    if made.error is not None:
        result.status, result.message = "failed", made.error
        return
    if made.version != __version__:
        result.status = "failed"
        result.message = (f"worker {made.worker} runs kmtalk {made.version}, this driver {__version__}; "
                          "install the same kmtalk on every node")
        return
    if _plan(line, options, force, result) is None:  # an output was edited while the line was made: kept
        return
    rec_path = record_path(line.outputs[0], line.id)
    written = _place(line, made.files)
    result.outputs = [str(f) for f in written]
    result.qc = made.qc
    if made.thumbnail is not None:
        path = thumbnail_path(line)
        with atomic_write(path) as tmp:
            tmp.write_bytes(made.thumbnail)
        result.thumbnail = str(path)
    if made.preview is not None:
        path = preview_path(rec_path, line.id)
        with atomic_write(path) as tmp:
            tmp.write_bytes(made.preview)
        result.preview = str(path)
    _record(line, rec_path, digest, written, made.locks, result)


def _connect(address: str | None, num_cpus: int | None) -> tuple[Any, bool]:
    """Import Ray and join (or start) a cluster; returns ``(ray, started_here)``."""
    try:
        import ray
    except ImportError:
        raise BackendUnavailableError("executor 'ray' needs Ray: pip install 'kmtalk[ray]'") from None
    if ray.is_initialized():
        if address is not None:
            log.info("Ray is already initialised in this process; ignoring address=%r", address)
        return ray, False
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING}
    if address is None:  # a private local instance, sized by the caller
        kwargs.update(address="local", num_cpus=num_cpus, include_dashboard=False)
    else:
        kwargs["address"] = address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise BackendUnavailableError(f"cannot join the Ray cluster at {address or 'a new local instance'}: "
                                      f"{exc}") from None
    return ray, True


def run_ray(
    lines: list[ManifestLine],
    options: dict[str, Any],
    results: dict[str, LineResult],
    *,
    force: bool = False,
    thumbnails: bool = True,
    address: str | None = None,
    num_cpus: int | None = None,
    bar: Any = None,
    max_retries: int = MAX_RETRIES,
    make: Callable[[LineJob], MadeLine] | None = None,
) -> dict[str, Any]:
    """Run manifest lines as Ray tasks, the driver checking and writing every file (see the module docstring).

    Parameters
    ----------
    lines : list of ManifestLine
    options : dict
        Run options that change results (``fps``, ``aligner``, ``method``).
    results : dict
        Filled with each line's :class:`LineResult` by id as lines finish.
    force : bool
        Overwrite protected outputs.
    thumbnails : bool
        Render thumbnail strips.
    address : str, optional
        Cluster to join (default ``RAY_ADDRESS``; unset: a new local instance
        with ``num_cpus`` CPUs). Ignored when Ray is already initialised in
        this process (that cluster is used and left running).
    num_cpus : int, optional
        CPUs of a new local instance (default: all).
    bar : tqdm, optional
        Progress bar to advance per line.
    max_retries : int, default :data:`MAX_RETRIES`
        Retries of a line whose worker process died.
    make : callable, optional
        What a worker runs per line (default :func:`make_line`); it must take a
        :class:`LineJob` and return a :class:`MadeLine`. Tests use it to kill workers.

    Returns
    -------
    dict
        ``workers`` (processes that made lines), ``cluster_cpus``, ``lines_made``,
        ``model_loads`` (lines that found their worker without the model: one per worker),
        ``load_seconds`` (per worker: first-line model and lexicon load),
        ``first_line_seconds`` (per worker: its first line, loading included),
        ``worker_seconds`` (sum over lines), ``driver_seconds`` (planning, shipping
        and writing, waits excluded), ``connect_seconds`` (joining or starting
        Ray), ``bytes_to_workers``, ``bytes_from_workers``.

    Raises
    ------
    BackendUnavailableError
        Ray is not installed or the cluster cannot be reached.
    """
    connect = time.perf_counter()
    ray, started = _connect(address, num_cpus)
    from ray.exceptions import RayError

    task = ray.remote(_run_job).options(num_cpus=1, max_retries=max_retries, retry_exceptions=False)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    window = max(2, 2 * cpus)  # lines in flight: keeps workers busy without shipping the whole manifest
    stats: dict[str, Any] = {"cluster_cpus": cpus, "max_retries": max_retries, "lines_made": 0, "model_loads": 0,
                             "bytes_to_workers": 0, "bytes_from_workers": 0, "worker_seconds": 0.0,
                             "driver_seconds": 0.0, "connect_seconds": round(time.perf_counter() - connect, 3)}
    load: dict[str, float] = {}
    first: dict[str, float] = {}
    pending: dict[Any, tuple[ManifestLine, str, LineResult, float]] = {}

    def finish(result: LineResult) -> None:
        results[result.id] = result
        if bar is not None:
            bar.update(1)

    def collect() -> None:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            line, digest, result, spent = pending.pop(ref)
            start = time.perf_counter()
            try:
                made: MadeLine = ray.get(ref)
            except RayError as exc:  # the worker died on every try
                result.status = "failed"
                head = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                result.message = f"worker lost {1 + max_retries} times ({type(exc).__name__}: {head})"
            else:
                stats["lines_made"] += 1
                stats["worker_seconds"] += made.seconds
                stats["bytes_from_workers"] += (sum(len(d) for _, _, d in made.files) + len(made.thumbnail or b"")
                                                + len(made.preview or b""))
                if made.load_seconds > 0:
                    stats["model_loads"] += 1
                if made.worker:
                    load[made.worker] = max(load.get(made.worker, 0.0), made.load_seconds)
                    first.setdefault(made.worker, made.seconds)
                try:
                    _commit(line, options, digest, made, result, force)
                except Exception as exc:  # noqa: BLE001 — e.g. a full disk: this line fails, the run goes on
                    _fail(line, result, exc)
                spent += made.seconds
            stats["driver_seconds"] += time.perf_counter() - start
            result.seconds = round(spent + time.perf_counter() - start, 3)
            finish(result)

    try:
        for line in lines:
            start = time.perf_counter()
            result = LineResult(id=line.id, status="failed", retimed=line.source is not None)
            try:
                digest = _plan(line, options, force, result)
                if digest is not None:
                    job = LineJob(line=line, options=options, thumbnails=thumbnails, inputs=_inputs(line))
                    stats["bytes_to_workers"] += sum(len(b) for b in job.inputs.values())
                    pending[task.remote(job, make)] = (line, digest, result, time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 — the line's own failure (e.g. missing audio)
                _fail(line, result, exc)
                digest = None
            stats["driver_seconds"] += time.perf_counter() - start
            if digest is None:
                result.seconds = round(time.perf_counter() - start, 3)
                finish(result)
            while len(pending) >= window:
                collect()
        while pending:
            collect()
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
    stats["worker_seconds"] = round(stats["worker_seconds"], 3)
    stats["driver_seconds"] = round(stats["driver_seconds"], 3)
    stats["workers"] = len(load)
    stats["load_seconds"] = {w: round(s, 3) for w, s in sorted(load.items())}
    stats["first_line_seconds"] = {w: round(s, 3) for w, s in sorted(first.items())}
    return stats
