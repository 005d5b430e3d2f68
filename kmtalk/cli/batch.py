"""``kmtalk batch``: animate (or re-time) every line of a manifest CSV, with QC and a report."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import emit

HELP = "animate every line of a manifest CSV in parallel, with a QC report (CSV + HTML)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help=HELP, description=HELP.capitalize() + ". Unchanged lines are skipped; outputs edited "
        "or locked since kmtalk wrote them are left alone unless --force. Manifest columns: id, audio, "
        "transcript (text, .txt or .TextGrid), textgrid, language, locks (JSON), source (.npz to re-time "
        "from), output (';'-separated), fps. See docs/dubbing.md.",
        epilog="examples:\n  kmtalk batch lines.csv --workers 2 --out build/\n"
               "  kmtalk batch lines.csv --force   (overwrite edited/locked outputs)",
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
    p.add_argument("--no-thumbnails", action="store_true", help="no rendered thumbnails in the HTML report")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import run_batch

    result = run_batch(args.manifest, workers=args.workers, force=args.force, out=args.out, fps=args.fps,
                       aligner=args.aligner, thumbnails=not args.no_thumbnails,
                       progress=not (args.no_progress or args.json))
    counts = {s: result.count(s) for s in ("done", "skipped", "kept", "failed")}
    summary = {"lines": [r.to_dict() for r in result.lines], "counts": counts,
               "report_csv": str(result.report_csv), "report_html": str(result.report_html)}
    text = (f"{len(result.lines)} lines: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            + f"\nreport: {result.report_html}")
    for r in result.lines:
        if r.status in ("failed", "kept"):
            text += f"\n{r.status}: {r.id}: {r.message}"
    emit(args, summary, text)
    return 1 if counts["failed"] else 0
