"""Batch reports: ``report.csv`` (one row per line) and ``report.html`` (with thumbnail strips and a 3D player).

Thumbnails are embedded as base64 PNG; the player, the head and each line's
data are in ``report_files/`` beside the page (:mod:`kmtalk.dubbing.batch.player`), which
works offline and from a ``file://`` URL.

Examples
--------
>>> import tempfile, pathlib
>>> from kmtalk.dubbing.batch.runner import LineResult
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> csv_path, html_path = write_reports([LineResult("l1", "failed", "audio file not found: a.wav")], d)
>>> csv_path.read_text().splitlines()[1].split(",")[:2]
['l1', 'failed']
"""

from __future__ import annotations

import base64
import csv
import html
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...atomic import atomic_write
from .player import install, page_parts

if TYPE_CHECKING:  # pragma: no cover
    from .line import LineResult

__all__ = ["CSV_COLUMNS", "write_reports"]

CSV_COLUMNS = ("id", "status", "message", "retimed", "outputs", "duration", "source_duration", "duration_ratio",
               "speech_ratio", "isochrony_ok", "closures", "closures_missed", "unplaced_locks",
               "alignment_issues", "av_offset_ms", "av_correlation", "av_within_detectability",
               "av_within_acceptability", "qc_ok", "problems", "seconds")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _row(r: LineResult) -> dict[str, str]:
    qc = r.qc or {}
    row = {
        "id": r.id, "status": r.status, "message": r.message, "retimed": _cell(r.retimed),
        "outputs": ";".join(r.outputs), "seconds": f"{r.seconds:.2f}",
        "closures_missed": _cell(len(qc["closures_missed"]) if "closures_missed" in qc else None),
        "unplaced_locks": _cell(len(qc["unplaced_locks"]) if "unplaced_locks" in qc else None),
        "alignment_issues": " | ".join(qc.get("alignment_issues", [])),
        "qc_ok": _cell(qc.get("ok")), "problems": " | ".join(qc.get("problems", [])),
    }
    for key in ("duration", "source_duration", "duration_ratio", "speech_ratio", "isochrony_ok", "closures",
                "av_offset_ms", "av_correlation", "av_within_detectability", "av_within_acceptability"):
        row[key] = _cell(qc.get(key))
    return row


def _png_data_uri(path: str | None) -> str | None:
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


_STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f2f2f2}.done{color:#176d2c}.skipped{color:#555}.kept{color:#8a5a00}.failed{color:#b00020}
.bad{color:#b00020}img{display:block;image-rendering:auto}ul{margin:0;padding-left:1.1em}
"""


def _html(results: list[LineResult], manifest: Path | None, review: dict[str, Any] | None = None) -> str:
    counts = {s: sum(r.status == s for r in results) for s in ("done", "skipped", "kept", "failed")}
    head = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    out = io.StringIO()
    w = out.write
    w("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>kmtalk batch report</title>")
    w(f"<style>{_STYLE}{review['style'] if review else ''}</style></head><body>\n<h1>kmtalk batch report</h1>\n")
    src = f" of {html.escape(str(manifest))}" if manifest else ""
    w(f"<p>{len(results)} lines{src}: {html.escape(head)} · {time.strftime('%Y-%m-%d %H:%M')}</p>\n")
    w(review["summary"] if review else "")
    w("<table><tr><th>line</th><th>status</th><th>thumbnails</th><th>duration (ratio)</th>"
      "<th>closures missed</th><th>A/V offset</th><th>problems</th>"
      f"{review['header'] if review else ''}</tr>\n")
    for r in results:
        qc = r.qc or {}
        uri = _png_data_uri(r.thumbnail)
        thumb = f"<img alt='frames of {html.escape(r.id)}' src='{uri}'>" if uri else ""
        dur = "" if qc.get("duration") is None else f"{qc['duration']:.2f} s"
        if qc.get("speech_ratio") is not None:
            dur += f" ({qc['speech_ratio']:.2f}×)"
        closures = "" if "closures" not in qc else f"{len(qc.get('closures_missed', []))} / {qc['closures']}"
        av = ""
        if qc.get("av_offset_ms") is not None:
            cls = " class='bad'" if qc.get("av_within_detectability") is False else ""  # None: not rated
            av = f"<span{cls}>{qc['av_offset_ms']:+.0f} ms</span>"
        problems = list(qc.get("problems", []))
        if r.message:
            problems.insert(0, r.message)
        items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        w(f"<tr data-line='{html.escape(r.id, quote=True)}'><td>{html.escape(r.id)}"
          f"{' (re-timed)' if r.retimed else ''}</td>"
          f"<td class='{r.status}'>{r.status}</td><td>{thumb}</td><td>{dur}</td><td>{closures}</td>"
          f"<td>{av}</td><td><ul>{items}</ul></td>{review['cell'](r.id) if review else ''}</tr>\n")
    w("</table>\n<p>A/V offset: positive = sound before picture (ITU-R BT.1359); red when beyond the "
      "detectability thresholds +45 / −125 ms.</p>\n")
    w((review["scripts"] if review else "") + "</body></html>\n")
    return out.getvalue()


def write_reports(results: list[LineResult], out_dir: Path, *,
                  manifest: Path | None = None, player: bool = True) -> tuple[Path, Path]:
    """Write ``report.csv`` and ``report.html`` into ``out_dir`` (atomically).

    With ``player`` (default), the page gets a 3D player per line, its curves and
    approve/reject buttons; their files go to ``out_dir/report_files/`` (see
    :mod:`kmtalk.dubbing.batch.player`; reviewing: ``kmtalk review`` and docs/dubbing.md).

    Returns
    -------
    (csv_path, html_path)
    """
    out_dir = Path(out_dir)
    csv_path, html_path = out_dir / "report.csv", out_dir / "report.html"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        writer.writerow(_row(r))
    with atomic_write(csv_path) as tmp:
        tmp.write_text(buf.getvalue(), "utf-8")
    review = None
    if player:
        review = page_parts(install(results, out_dir))
    with atomic_write(html_path) as tmp:
        tmp.write_text(_html(results, manifest, review), "utf-8")
    return csv_path, html_path
