"""``kmtalk batch``: animate (or re-time) every line of a manifest CSV, with QC and a report."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK, EXIT_QC, EXIT_STATUS_HELP, check_output, emit

HELP = "animate every line of a manifest CSV in parallel, with a QC report (CSV + HTML)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help=HELP, description=HELP.capitalize() + ". Unchanged lines are skipped; outputs edited "
        "or locked since kmtalk wrote them are left alone unless --force. Manifest columns: id, audio, "
        "transcript (text, .txt or .TextGrid), textgrid, language, locks (JSON), source (.npz to re-time "
        "from), output (';'-separated), fps. See docs/dubbing.md.",
        epilog="examples:\n  kmtalk batch lines.csv --workers 2 --out build/\n"
               "  kmtalk batch lines.csv --force   (overwrite edited/locked outputs)\n"
               "  kmtalk batch lines.csv --executor ray --address auto   (on a Ray cluster; docs/scale.md)\n\n"
               + EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("manifest", type=Path, help="the manifest CSV")
    p.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                   help="parallel worker processes (default: up to 4, one per CPU)")
    p.add_argument("--force", action="store_true",
                   help="overwrite outputs a user edited or locked (like FaceFX's -overwriteedits)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder for relative outputs and the report (default: the manifest's folder)")
    p.add_argument("--fps", type=float, default=None, help="frame rate for lines without an fps column (30)")
    p.add_argument("--aligner", default=None, help="forced-aligner backend for every line (default: auto)")
    p.add_argument("--method", choices=("auto", "prior", "learned"), default=None,
                   help="animation method for every line (default: auto)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: worker processes here; ray: Ray tasks, this process writing every file "
                        "(needs the ray extra)")
    p.add_argument("--address", metavar="ADDR", default=None,
                   help="Ray cluster to join ('auto', 'ray://head:10001'; default: RAY_ADDRESS, else a local "
                        "Ray instance with --workers CPUs)")
    p.add_argument("--no-thumbnails", action="store_true", help="no rendered thumbnails in the HTML report")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--qc-fail-ok", action="store_true",
                   help="report lines that fail QC but do not exit with status 3 for them")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dubbing.batch import read_manifest, run_batch

    # Before any work: every line's outputs (format, place) and the report's folder.
    out_dir = args.out.resolve() if args.out is not None else args.manifest.resolve().parent
    for line in read_manifest(args.manifest, out_dir=out_dir):
        for output in line.outputs:
            check_output(output, what=f"line {line.id!r}'s output")
    check_output(out_dir / "report.html", (".html",), what="the batch report")

    result = run_batch(args.manifest, workers=args.workers, force=args.force, out=args.out, fps=args.fps,
                       aligner=args.aligner, thumbnails=not args.no_thumbnails,
                       progress=not (args.no_progress or args.json), method=args.method,
                       executor=args.executor, address=args.address)
    counts = {s: result.count(s) for s in ("done", "skipped", "kept", "failed")}
    # A line that was written (or is up to date) but whose QC failed: done/skipped/kept lines carry a QC verdict.
    qc_failed = [r for r in result.lines if r.status != "failed" and r.qc and r.qc.get("ok") is False]
    counts["failed_qc"] = len(qc_failed)
    summary = {"lines": [r.to_dict() for r in result.lines], "counts": counts,
               "report_csv": str(result.report_csv), "report_html": str(result.report_html),
               "stats": result.stats}
    labels = {"done": "done", "skipped": "skipped", "kept": "kept", "failed_qc": "failed QC", "failed": "failed"}
    text = (f"{len(result.lines)} lines: " + ", ".join(f"{counts[s]} {label}" for s, label in labels.items()
                                                       if counts[s])
            + f"\nreport: {result.report_html}")
    for r in qc_failed:
        text += f"\nfailed QC: {r.id}: " + "; ".join(r.qc.get("problems", []))
    for r in result.lines:
        if r.status in ("failed", "kept"):
            text += f"\n{r.status}: {r.id}: {r.message}"
    emit(args, summary, text)
    if counts["failed"]:
        return EXIT_FAILED
    return EXIT_QC if qc_failed and not args.qc_fail_ok else EXIT_OK
