"""Helpers shared by the CLI sub-commands: transcript options, result printing, exit statuses.

Exit statuses of every ``kmtalk`` command:

====  ==========================================================================
0     success
1     ``kmtalk batch``: at least one line failed (could not be animated/written)
2     a user's mistake (bad option, unreadable input, unwritable output): one line on stderr
3     QC failed (``retime --qc``, ``batch``), unless ``--qc-fail-ok``; the outputs are written
130   interrupted
141   stdout's reader went away (``kmtalk ... | head``): stopped quietly, as after SIGPIPE
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ExportError, TranscriptError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_QC",
    "EXIT_STATUS_HELP",
    "EXIT_USAGE",
    "add_quiet_option",
    "add_transcript_options",
    "check_output",
    "emit",
    "read_transcript",
    "stage_progress",
    "write_animation",
]

#: What ``write_animation`` writes besides the exporters' formats.
ANIMATION_EXTRA_FORMATS = (".mp4",)

EXIT_OK = 0
#: ``kmtalk batch``: one or more lines failed.
EXIT_FAILED = 1
#: A user's mistake (argparse uses 2 as well).
EXIT_USAGE = 2
#: QC failed (opt out with ``--qc-fail-ok``); a failed line (1) outranks it.
EXIT_QC = 3
#: 128 + SIGPIPE: the reader of stdout went away; the command stopped quietly.
EXIT_BROKEN_PIPE = 141
#: The exit-status paragraph for ``--help`` epilogs.
EXIT_STATUS_HELP = ("exit status: 0 ok, 1 a batch line failed, 2 usage error, "
                    "3 QC failed (unless --qc-fail-ok), 130 interrupted, 141 stdout closed (| head)")


def add_transcript_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add the mutually exclusive ``--text`` / ``--text-file`` / ``--textgrid`` options."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--text", help="the transcript, in quotes")
    group.add_argument("--text-file", type=Path, metavar="FILE", help="a UTF-8 text file holding the transcript")
    group.add_argument("--textgrid", type=Path, metavar="FILE",
                       help="an existing alignment (Praat/MFA TextGrid): skips aligning")


def read_transcript(args: argparse.Namespace) -> str | None:
    """The transcript given by ``--text`` or ``--text-file`` (None for ``--textgrid`` or none)."""
    if getattr(args, "text", None) is not None:
        return args.text
    path = getattr(args, "text_file", None)
    if path is not None:
        try:
            return Path(path).read_text("utf-8")
        except OSError as exc:
            raise TranscriptError(f"cannot read transcript file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise TranscriptError(f"transcript file {path} is not UTF-8 text") from None
    return None


def emit(args: argparse.Namespace, result: dict[str, Any], text: str) -> None:
    """Print ``result`` as JSON with ``--json``, else the human-readable ``text``."""
    if getattr(args, "json", False):
        json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(text)


def write_animation(anim: Any, path: Path) -> list[Path]:
    """Write ``anim`` to ``path``: ``.mp4`` renders a preview (with a progress bar), anything
    else goes through :meth:`~kmtalk.face.animation.Animation.export`. Returns the files written."""
    if path.suffix.lower() == ".mp4":
        from ..io.render import render

        render(anim, path, progress=True)
        return [path]
    out = anim.export(path)
    return list(out) if isinstance(out, list) else [out]


def check_output(path: str | os.PathLike[str], formats: Iterable[str] | None = None, *,
                 what: str = "output") -> Path:
    """Check, before any work, that ``path`` can be written in a format named by its extension.

    Nothing is created: the folder is checked (its nearest existing ancestor
    must be a writable folder), not made.

    Parameters
    ----------
    path : str or PathLike
        The output the user named.
    formats : iterable of str, optional
        Accepted extensions (with dot, matched case-insensitively). Default: every exporter
        format plus ``.mp4`` (what :func:`write_animation` writes).
    what : str
        How the message names the output (e.g. ``"line l1's output"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ExportError
        Unknown extension, a mesh format without a frame pattern, an existing
        folder in the way, or a folder that cannot be written.

    Examples
    --------
    >>> check_output("out/line.glb").name
    'line.glb'
    >>> check_output("line.fbx")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kmtalk.errors.ExportError: cannot write line.fbx: unknown extension '.fbx'; ...
    """
    from ..face.formats import supported_extensions

    path = Path(path)
    shown = list(formats) if formats is not None else sorted({*supported_extensions(), *ANIMATION_EXTRA_FORMATS})
    ext = path.suffix.lower()
    if ext not in {f.lower() for f in shown}:
        choices = " or ".join(shown) if len(shown) <= 2 else "one of " + ", ".join(shown)
        raise ExportError(f"cannot write {what} {path}: unknown extension {ext or '(none)'!r}; use {choices}")
    if ext in (".obj", ".ply"):
        from ..io.exporters.meshseq import frame_paths

        try:
            frame_paths(path, 2)
        except ExportError:
            raise ExportError(f"cannot write {what} {path}: OBJ/PLY are written one file per frame; "
                              "give a frame pattern such as frames/%04d.obj") from None
    if path.is_dir():
        raise ExportError(f"cannot write {what} {path}: it is a folder")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {what} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {what} {path}: no permission to write in {folder}")
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"cannot write {what} {path}: the file is read-only")
    return path


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``-q/--quiet``: no progress display on stderr."""
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display on stderr (also off with --json or when stderr is not a terminal)")


@contextlib.contextmanager
def stage_progress(args: argparse.Namespace, command: str) -> Iterator[Callable[[str], None]]:
    """A one-line progress display on stderr: ``kmtalk animate: aligning [00:03]``.

    Yields a callback taking the current stage's name (for the library's
    ``progress=`` parameter). Off with ``--quiet`` or ``--json``, and when
    stderr is not a terminal (a log file gets no carriage-return clutter).
    """
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        yield lambda name: None
        return
    from tqdm import tqdm

    bar = tqdm(total=None, desc=f"kmtalk {command}", bar_format="{desc} [{elapsed}]", file=sys.stderr,
               disable=None, leave=False)

    def update(name: str) -> None:
        bar.set_description_str(f"kmtalk {command}: {name}", refresh=True)

    try:
        yield update
    finally:
        bar.close()
