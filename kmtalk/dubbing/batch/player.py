"""The QC page's player: what ``report.html`` links to, in ``<out>/report_files/``.

:func:`install` puts beside the report everything the page plays, so that the
folder (``report.html`` + ``report_files/``) works offline, opened from a
``file://`` URL or served by ``kmtalk review``:

- ``kmtalk-viewer.min.js``: three.js with its GLTFLoader and OrbitControls as one
  classic script (``assets/web/``: built from npm by ``assets/web/build.sh``;
  MIT, see ``assets/NOTICE``), and ``player.js``, the page's own code;
- ``head.js``: the default head as a ``.glb`` (:func:`kmtalk.dubbing.batch.preview.write_head`);
- ``lines/<id>.js``: each line's player data (:func:`kmtalk.dubbing.batch.preview.write_preview`),
  copied from beside the line's record;
- ``index.json``: the lines and their versions (what ``kmtalk review`` accepts decisions for).

:func:`page_parts` gives the HTML the report inserts: the styles, one cell per
line (watch button, decision) and the scripts with the page's configuration.

Examples
--------
>>> from kmtalk.dubbing.batch.runner import LineResult
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> config = install([LineResult("l1", "failed", "no audio")], out)        # doctest: +SKIP
>>> sorted(p.name for p in (out / "report_files").iterdir())                # doctest: +SKIP
['head.js', 'index.json', 'kmtalk-viewer.min.js', 'lines', 'player.js']
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phoneme.assets import asset_path

from ...atomic import atomic_write
from .decisions import DECISIONS_FILE, read_decisions
from .preview import write_head
from .state import read_record

if TYPE_CHECKING:  # pragma: no cover
    from .line import LineResult

__all__ = ["CHANNELS", "REPORT_FILES", "WEB_FILES", "install", "page_parts"]

REPORT_FILES = "report_files"
#: Files of ``assets/web/`` the page loads.
WEB_FILES = ("kmtalk-viewer.min.js", "player.js")
#: Curves drawn under the player.
CHANNELS = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthPressLeft",
            "mouthLowerDownLeft")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def _file_name(line_id: str) -> str:
    if _SAFE.match(line_id):
        return f"{line_id}.js"
    return "line-" + hashlib.sha1(line_id.encode("utf-8")).hexdigest()[:16] + ".js"


def _copy_if_changed(src: Path, dst: Path) -> None:
    try:
        if dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
            return
    except OSError:
        pass
    with atomic_write(dst) as tmp:
        shutil.copyfile(src, tmp)


def _version(r: LineResult) -> str:
    preview = getattr(r, "preview", None)
    if not preview:
        return ""
    record = read_record(Path(preview).with_name(f"{r.id}.kmtalk.json"))
    return str((record or {}).get("input_hash", ""))


def install(results: list[LineResult], out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Write ``<out_dir>/report_files/`` for ``results`` and return the page's configuration.

    Parameters
    ----------
    results : list of LineResult
        The run's lines (their ``preview`` files are copied).
    out_dir : str or PathLike
        The report's folder.

    Returns
    -------
    dict
        ``{"lines": {id: {"src", "version", "problems", "status"}}, "decisions": {...},
        "head": ..., "channels": [...], "decisionsFile": "decisions.json"}``; ``src`` is
        None for a line without player data (failed before it was made).

    Raises
    ------
    KmtalkError
        ``<out_dir>/decisions.json`` exists but is not a decisions file.
    """
    out_dir = Path(out_dir)
    folder = out_dir / REPORT_FILES
    for name in WEB_FILES:
        _copy_if_changed(asset_path("web", name), folder / name)
    write_head(folder / "head.js")
    lines: dict[str, dict[str, Any]] = {}
    for r in results:
        src = None
        preview = getattr(r, "preview", None)
        if preview and Path(preview).is_file():
            name = _file_name(r.id)
            _copy_if_changed(Path(preview), folder / "lines" / name)
            src = f"{REPORT_FILES}/lines/{name}"
        problems = ([r.message] if r.message else []) + list((r.qc or {}).get("problems", []))
        lines[r.id] = {"src": src, "version": _version(r) if src else "", "problems": problems,
                       "status": r.status}
    index = {"format": "kmtalk.review.index", "version": 1,
             "lines": {k: {"version": v["version"], "playable": v["src"] is not None} for k, v in lines.items()}}
    with atomic_write(folder / "index.json") as tmp:
        tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False), "utf-8")
    return {"lines": lines, "decisions": read_decisions(out_dir / DECISIONS_FILE),
            "head": f"{REPORT_FILES}/head.js", "channels": list(CHANNELS), "decisionsFile": DECISIONS_FILE}


_STYLE = """
.review{white-space:nowrap}.decision{display:block;font-size:12px;margin-top:3px;color:#555}
.decision.approved{color:#176d2c;font-weight:600}.decision.rejected{color:#b00020;font-weight:600}
.decision.stale{color:#8a5a00}#player-row>td{background:#f6f7f9;padding:10px}
.player .stage{display:flex;gap:14px;align-items:flex-start}
.player .view{width:480px;height:400px;flex:none;border-radius:4px;overflow:hidden;background:#2b2f36}
.player .side{min-width:260px;max-width:420px}.player .title{font-weight:600;margin-bottom:6px}
.player audio{width:100%}.player .transport{margin:6px 0}.player .flags{margin:8px 0}
.player .flags .bad{color:#b00020}.player .flags .ok{color:#176d2c}.player .note{width:100%;margin:6px 0}
.player .decide button{padding:4px 14px}.player .saved{margin-top:6px;font-size:13px;color:#333}
.player .hint{font-size:12px;color:#666}.player canvas.curves{display:block;margin-top:10px;width:900px;
height:170px;border:1px solid #ddd;cursor:pointer}
"""


def _script_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True).replace("</", "<\\/")


def page_parts(config: dict[str, Any]) -> dict[str, Any]:
    """HTML pieces for the report: ``style``, ``header`` (a table heading), ``cell(id)`` and ``scripts``."""
    lines = config["lines"]

    def cell(line_id: str) -> str:
        qid = html.escape(line_id, quote=True)
        info = lines.get(line_id) or {}
        button = (f"<button type='button' class='watch' data-id='{qid}'>&#9654; watch</button>" if info.get("src")
                  else "<span class='nop'>no player</span>")
        return f"<td class='review'>{button}<span class='decision' data-id='{qid}'></span></td>"

    scripts = (f"<script>window.kmtalkReport={{config:{_script_json(config)}}};</script>\n"
               + "".join(f"<script src='{REPORT_FILES}/{name}'></script>\n" for name in WEB_FILES))
    summary = ("<p>Review: <span id='review-summary'></span>. Press <b>watch</b> to play a line on the "
               "default head with its audio; approved lines are not redone by the next batch run "
               "(unless <code>--force</code>). See docs/dubbing.md.</p>\n")
    return {"style": _STYLE, "header": "<th>review</th>", "cell": cell, "scripts": scripts, "summary": summary}
