"""``kmtalk align``: force-align a transcript to speech and write a TextGrid or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import emit, read_transcript

HELP = "force-align a transcript to speech (words and phones with times)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "align", help=HELP, description=HELP.capitalize() + ".",
        epilog="example: kmtalk align line.wav --text 'Bob bought a big balloon.' -o line.TextGrid",
    )
    p.add_argument("audio", type=Path, help="speech audio (WAV, FLAC, OGG or MP3; any rate)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text", help="the transcript, in quotes")
    group.add_argument("--text-file", type=Path, metavar="FILE", help="a UTF-8 text file holding the transcript")
    p.add_argument("-o", "--output", type=Path,
                   help="write the alignment: .TextGrid (Praat, words+phones tiers) or .json")
    p.add_argument("--aligner", default="auto", help="backend: auto, pocketsphinx, mfa (default: auto)")
    p.add_argument("--language", default="en", help="language code (default: en)")
    p.add_argument("--json", action="store_true", help="print the alignment as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from phoneme import align
    from phoneme.aligners.textgrid import write_textgrid

    from ..errors import ExportError

    text = read_transcript(args)
    alignment = align(args.audio, text, aligner=args.aligner, language=args.language)
    if args.output is not None:
        suffix = args.output.suffix.lower()
        if suffix == ".textgrid":
            write_textgrid(alignment, args.output)
        elif suffix == ".json":
            alignment.save_json(args.output)
        else:
            raise ExportError(f"cannot write an alignment as {args.output.suffix or 'no extension'!r}; "
                              "use .TextGrid or .json")
    lines = [f"{w.start:7.2f} {w.end:7.2f}  {w.label}" + (f"  (confidence {w.confidence:.2f})"
                                                           if w.confidence is not None else "")
             for w in alignment.spoken_words()]
    if alignment.issues:
        lines += ["", "possible transcript mismatch:"] + [f"  - {i}" for i in alignment.issues]
    if args.output is not None:
        lines.append(f"wrote {args.output}")
    emit(args, alignment.to_dict(), "\n".join(lines))
    return 0
