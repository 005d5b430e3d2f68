"""``kmtalk review``: serve a batch report on 127.0.0.1 so that approve/reject clicks write ``decisions.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import emit

HELP = "serve a batch QC report on this machine; the page's approve/reject buttons write decisions.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review", help=HELP,
        description=HELP[0].upper() + HELP[1:] + ". Each line of the report plays on the default head with its "
        "audio and curves. The next `kmtalk batch` run reads decisions.json: approved lines are not redone "
        "unless --force. Without this server the page still plays from the file, and a click downloads "
        "decisions.json for you to put beside report.html. See docs/dubbing.md.",
        epilog="examples:\n  kmtalk review build/            (then open the printed URL)\n"
               "  kmtalk review build/report.html --port 8765 --open",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("report", type=Path, help="the batch output folder (or its report.html)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.add_argument("--json", action="store_true",
                   help="print {url, decisions} as JSON once listening (the server keeps running)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dubbing.batch.review_server import make_server

    server = make_server(args.report, host=args.host, port=args.port)
    emit(args, {"url": server.url, "decisions": str(server.decisions_file)},
         f"reviewing {server.report_dir / 'report.html'}\nopen {server.url}\n"
         f"decisions go to {server.decisions_file}; Ctrl+C stops")
    sys.stdout.flush()
    if args.open:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
