"""The ``kmtalk`` command line.

Each sub-command lives in its own module in this package and exposes
``add_parser(subparsers)``, which registers an :mod:`argparse` parser whose
``func`` default is the handler ``(args) -> int``. A user's mistake ends in a
one-line reason on stderr and exit status 2; ``--json`` prints
machine-readable results on stdout.

Examples
--------
>>> from kmtalk.cli import main
>>> main(["--version"])  # doctest: +SKIP
kmtalk 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Sequence

from ..errors import KmtalkError
from .common import EXIT_BROKEN_PIPE

__all__ = ["main", "build_parser"]

# Sub-command modules, in the order `kmtalk --help` lists them. A module that
# is not there yet (features land issue by issue) is simply skipped.
_COMMANDS = ("align", "animate", "render", "export", "retime", "batch", "review", "stream", "train", "eval", "finetune", "capture")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available sub-command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="kmtalk",
        description="Speech + transcript to 3D facial animation (ARKit-52 blendshapes).",
        epilog="Run 'kmtalk COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"kmtalk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress (-v) or debug details (-vv) to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (see :mod:`kmtalk.cli.common` for the codes).

    When the reader of stdout goes away (``kmtalk batch ... --json | head``) the
    command stops quietly with status 141 (128 + SIGPIPE, what a shell reports for
    a writer whose reader left), like any well-behaved Unix filter.
    """
    try:
        try:
            status = _run(argv)
        except SystemExit:  # argparse: --help, --version, usage errors
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a closed pipe shows up here, not as a message at interpreter exit
        return status
    except BrokenPipeError:
        # Python's recommended handling: point stdout at /dev/null so the final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KmtalkError as exc:
        print(f"kmtalk {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kmtalk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
