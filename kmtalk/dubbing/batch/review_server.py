"""``kmtalk review``: serve a batch report on 127.0.0.1 and write the reviewer's decisions.

A page opened from a file cannot write files, so the QC page falls back to
downloading ``decisions.json``. Served by :func:`make_server`, the same page
saves every approve/reject click straight into ``<report folder>/decisions.json``
(:func:`kmtalk.dubbing.batch.decisions.set_decision`), which the next
``kmtalk batch`` run reads.

What it serves, and nothing else: ``report.html``, the files under
``report_files/``, ``GET api/decisions`` and ``POST api/decision`` (JSON
``{"id", "decision": "approved"|"rejected"|"clear", "version", "note"}``, for a
line of the report). It listens on the loopback interface only and refuses
requests whose ``Host`` or ``Origin`` is not its own (so another web page in
the reviewer's browser cannot post decisions).

Examples
--------
>>> import threading
>>> server = make_server("out/")                       # doctest: +SKIP
>>> threading.Thread(target=server.serve_forever, daemon=True).start()  # doctest: +SKIP
>>> server.url                                          # doctest: +SKIP
'http://127.0.0.1:8765/report.html'
>>> server.shutdown(); server.server_close()            # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ...errors import KmtalkError
from .decisions import DECISIONS_FILE, read_decisions, set_decision
from .player import REPORT_FILES

__all__ = ["LOOPBACK", "ReviewServer", "make_server"]

log = logging.getLogger(__name__)

#: The hosts the server may listen on.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".json": "application/json", ".png": "image/png", ".css": "text/css; charset=utf-8"}
_MAX_BODY = 64 * 1024


class ReviewServer(ThreadingHTTPServer):
    """The HTTP server of one report folder (``url``: the page; ``decisions_file``: where clicks go)."""

    daemon_threads = True

    def __init__(self, report_dir: Path, host: str, port: int) -> None:
        self.report_dir = report_dir
        self.decisions_file = report_dir / DECISIONS_FILE
        self.lock = threading.Lock()
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        name = "localhost" if host == "localhost" else (f"[{host}]" if ":" in host else host)
        self.origin = f"http://{name}:{self.server_address[1]}"
        self.url = f"{self.origin}/report.html"

    def known_lines(self) -> dict[str, Any]:
        """The report's lines (``report_files/index.json``): only these take decisions."""
        try:
            data = json.loads((self.report_dir / REPORT_FILES / "index.json").read_text("utf-8"))
            return dict(data.get("lines") or {})
        except (OSError, ValueError):
            return {}


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "kmtalk-review"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, json.dumps({"error": message}).encode("utf-8"))

    def _trusted(self) -> bool:
        port = self.server.server_address[1]
        hosts = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}
        if self.headers.get("Host", "") not in hosts:
            self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin.rstrip("/") not in {f"http://{h}" for h in hosts}:
            self._error(HTTPStatus.FORBIDDEN, "requests from other pages are refused")
            return False
        return True

    def _file(self, rel: str) -> Path | None:
        root = self.server.report_dir
        if rel == "report.html":
            return root / rel
        if not rel.startswith(REPORT_FILES + "/"):
            return None
        path = (root / rel).resolve()
        base = (root / REPORT_FILES).resolve()
        return path if base in path.parents and path.is_file() else None

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._trusted():
            return
        rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        if rel == "":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/report.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if rel == "api/decisions":
            with self.server.lock:
                try:
                    doc = read_decisions(self.server.decisions_file)
                except KmtalkError as exc:
                    self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
                    return
            self._send(HTTPStatus.OK, json.dumps(doc).encode("utf-8"))
            return
        path = self._file(rel)
        if path is None or not path.is_file():
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        self._send(HTTPStatus.OK, path.read_bytes(), _TYPES.get(path.suffix.lower(), "application/octet-stream"))

    def do_POST(self) -> None:
        if not self._trusted():
            return
        if self.path.split("?", 1)[0] != "/api/decision":
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= _MAX_BODY:
            self._error(HTTPStatus.BAD_REQUEST, "a JSON body of at most 64 KiB is needed")
            return
        try:
            body = json.loads(self.rfile.read(length))
            line_id, decision = str(body["id"]), str(body["decision"])
        except (ValueError, KeyError, TypeError):
            self._error(HTTPStatus.BAD_REQUEST, "expected {\"id\": ..., \"decision\": ...}")
            return
        known = self.server.known_lines()
        if line_id not in known:
            self._error(HTTPStatus.NOT_FOUND, f"no line {line_id!r} in this report")
            return
        version = str(body.get("version") or known[line_id].get("version") or "")
        with self.server.lock:
            try:
                doc = set_decision(self.server.decisions_file, line_id, decision, version=version,
                                   note=str(body.get("note") or ""))
            except KmtalkError as exc:
                self._error(HTTPStatus.BAD_REQUEST, str(exc))
                return
        log.info("review: %s %s", line_id, decision)
        self._send(HTTPStatus.OK, json.dumps(doc).encode("utf-8"))


def make_server(report: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 0) -> ReviewServer:
    """A server for the report in ``report`` (a folder, or its ``report.html``); call ``serve_forever()``.

    Parameters
    ----------
    report : str or PathLike
        The batch's output folder (holding ``report.html`` and ``report_files/``).
    host : str, default "127.0.0.1"
        One of :data:`LOOPBACK`: the server is for the reviewer's own machine.
    port : int, default 0
        0 picks a free port (see ``server.url``).

    Returns
    -------
    ReviewServer

    Raises
    ------
    KmtalkError
        No report there, a host that is not a loopback address, or the port is taken.
    """
    path = Path(report)
    folder = path.parent if path.name == "report.html" else path
    if not (folder / "report.html").is_file():
        raise KmtalkError(f"no report.html in {folder}; run `kmtalk batch` first (its --out folder)")
    if not (folder / REPORT_FILES / "index.json").is_file():
        raise KmtalkError(f"{folder / 'report.html'} has no player files ({REPORT_FILES}/); rerun `kmtalk batch` "
                          "with this kmtalk to make them")
    if host not in LOOPBACK:
        raise KmtalkError(f"kmtalk review listens on this machine only ({', '.join(LOOPBACK)}), not {host!r}")
    if not (isinstance(port, int) and 0 <= port <= 65535):
        raise KmtalkError(f"port must be 0..65535, got {port!r}")
    read_decisions(folder / DECISIONS_FILE)  # a broken file is reported now, not at the first click
    try:
        return ReviewServer(folder.resolve(), host, port)
    except OSError as exc:
        raise KmtalkError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
