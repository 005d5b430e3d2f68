"""Run a manifest: each line animated (or re-timed), written, checked and recorded, in parallel workers.

Each line is handled on its own by :func:`~kmtalk.dubbing.batch.line.process_line`
(in a worker process of the local pool, or a Ray task: :mod:`.ray_executor`),
after approved lines are held (:mod:`.decisions`); then the reports are written
(:mod:`.report`). A failing line is reported and does not stop the others; an
interrupted run resumes where it stopped (finished lines have records).

Examples
--------
>>> from kmtalk.dubbing.batch import run_batch
>>> result = run_batch("lines.csv", workers=2)            # doctest: +SKIP
>>> [(r.id, r.status) for r in result.lines]               # doctest: +SKIP
[('l1', 'done'), ('l2', 'failed')]
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ...animator.api import METHODS
from ...errors import KmtalkError
from .decisions import DECISIONS_FILE, hold_approved
from .line import LineResult, process_line
from .manifest import ManifestLine, read_manifest
from .ray_executor import run_ray
from .report import write_reports

__all__ = ["BatchResult", "run_batch"]

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """Every line's result, and the report files."""

    lines: list[LineResult]
    report_csv: Path | None = None
    report_html: Path | None = None
    #: Executor figures (``executor="ray"``: workers, model-load seconds, bytes shipped each way).
    stats: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Number of lines with ``status``."""
        return sum(r.status == status for r in self.lines)

    @property
    def failed(self) -> list[LineResult]:
        return [r for r in self.lines if r.status == "failed"]


def _one_math_thread() -> None:
    """Pool initializer: BLAS/OpenMP and torch use one thread in this worker (set before torch loads)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"


def _worker(args: tuple[ManifestLine, dict[str, Any], bool, bool]) -> LineResult:
    line, options, force, thumbnails = args
    return process_line(line, options, force=force, thumbnails=thumbnails)


def run_batch(
    manifest: str | os.PathLike[str],
    *,
    workers: int | None = None,
    force: bool = False,
    out: str | os.PathLike[str] | None = None,
    fps: float | None = None,
    aligner: str | None = None,
    method: str | None = None,
    thumbnails: bool = True,
    report: bool = True,
    progress: bool = False,
    executor: str = "local",
    address: str | None = None,
) -> BatchResult:
    """Animate every line of a manifest and write a report.

    Parameters
    ----------
    manifest : str or PathLike
        The CSV (see :mod:`kmtalk.dubbing.batch.manifest`).
    workers : int, optional
        Worker processes (default 1: in this process). With ``executor="ray"``:
        the CPUs of the local Ray instance started when there is no cluster to
        join (default: all).
    force : bool, default False
        Overwrite outputs that were edited, locked or not written by kmtalk
        (FaceFX's ``-overwriteedits``).
    out : str or PathLike, optional
        Folder for relative outputs and the report (default: the manifest's folder).
    fps : float, optional
        Frame rate for lines without an ``fps`` column (default 30; re-timed
        lines keep their source's).
    aligner : str, optional
        Aligner backend for every line (default: auto).
    method : {"auto", "prior", "learned"}, optional
        Animation method for every line (see :func:`kmtalk.animate`; default auto).
    thumbnails : bool, default True
        Render thumbnail strips for the HTML report.
    report : bool, default True
        Write ``report.csv`` and ``report.html`` into ``out``.
    progress : bool, default False
        Show one tqdm progress bar on stderr.
    executor : {"local", "ray"}, default "local"
        ``"local"``: a process pool on this machine. ``"ray"``: Ray tasks on a
        cluster (the ``ray`` extra; see :mod:`kmtalk.dubbing.batch.ray_executor` and
        ``docs/scale.md``); this process still checks and writes every file.
    address : str, optional
        Ray cluster to join (``"auto"``, ``"ray://host:10001"``, ...; default:
        ``RAY_ADDRESS``, else the running instance, else a new local one).

    Returns
    -------
    BatchResult
        One :class:`LineResult` per line, in manifest order.

    Raises
    ------
    KmtalkError
        The manifest itself is unusable (a line's problems are reported, not raised).
    BackendUnavailableError
        ``executor="ray"`` without Ray installed, or no cluster at ``address``.
    """

    out_dir = Path(out).resolve() if out is not None else Path(manifest).resolve().parent
    lines = read_manifest(manifest, out_dir=out_dir)
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        raise KmtalkError(f"workers must be a positive integer, got {workers!r}")
    if executor not in ("local", "ray"):
        raise KmtalkError(f"unknown executor {executor!r}; use 'local' or 'ray'")
    options: dict[str, Any] = {"fps": fps, "aligner": aligner}
    if method is not None:  # only when given: records of runs without it stay valid

        if method not in METHODS:
            raise KmtalkError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
        options["method"] = method
    results: dict[str, LineResult] = {}
    # Lines a reviewer approved (out/decisions.json) are never redone without force: not sent to any executor.
    results.update(hold_approved(lines, options, out_dir / DECISIONS_FILE, force=force))
    all_lines, lines = lines, [ln for ln in lines if ln.id not in results]
    stats: dict[str, Any] = {"executor": executor}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(lines), desc="kmtalk batch", unit="line")
    try:
        if executor == "ray":
            stats.update(run_ray(lines, options, results, force=force, thumbnails=thumbnails, address=address,
                                 num_cpus=workers, bar=bar))
        elif workers is None or workers == 1 or len(lines) <= 1:
            for line in lines:
                results[line.id] = process_line(line, options, force=force, thumbnails=thumbnails)
                if bar is not None:
                    bar.update(1)
        else:
            # "spawn": fresh workers (no inherited OpenGL context or espeak state).
            # one math thread per worker: N workers x torch's default threads oversubscribed the CPU
            # (learned model, 2 workers on 2 cores: 33.5 s against 8.9 s on Ray, which does the same)
            with ProcessPoolExecutor(max_workers=min(workers, len(lines)), mp_context=get_context("spawn"),
                                     initializer=_one_math_thread) as pool:
                futures = {pool.submit(_worker, (ln, options, force, thumbnails)): ln for ln in lines}
                for fut in as_completed(futures):
                    ln = futures[fut]
                    try:
                        results[ln.id] = fut.result()
                    except Exception as exc:  # noqa: BLE001 — the worker process itself died
                        results[ln.id] = LineResult(id=ln.id, status="failed",
                                                    message=f"worker failed: {type(exc).__name__}: {exc}")
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    ordered = [results[ln.id] for ln in all_lines if ln.id in results]
    batch = BatchResult(lines=ordered, stats=stats)
    if report:
        batch.report_csv, batch.report_html = write_reports(ordered, out_dir, manifest=Path(manifest))
    for r in ordered:
        if r.status == "failed":
            log.warning("line %s failed: %s", r.id, r.message)
    return batch
