"""Helpers shared by the CLI sub-commands: transcript options and result printing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import TranscriptError

__all__ = ["add_transcript_options", "read_transcript", "emit", "write_animation"]


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
    else goes through :meth:`~kmtalk.animation.Animation.export`. Returns the files written."""
    if path.suffix.lower() == ".mp4":
        from ..render import render

        render(anim, path, progress=True)
        return [path]
    out = anim.export(path)
    return list(out) if isinstance(out, list) else [out]
