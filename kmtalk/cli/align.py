"""``kmtalk align``: force-align a transcript to speech and write a TextGrid or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import check_output, emit, read_transcript

HELP = "force-align a transcript to speech (words and phones with times)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "align", help=HELP, description=HELP.capitalize() + ".",
        epilog="examples:\n  kmtalk align line.wav --text 'Bob bought a big balloon.' -o line.TextGrid\n"
               "  kmtalk align line.wav -o line.TextGrid   (no text: the speech is recognised first, by Whisper "
               "when installed)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("audio", type=Path, help="speech audio (WAV, FLAC, OGG or MP3; any rate)")
    group = p.add_mutually_exclusive_group(required=False)
    group.add_argument("--text", help="the transcript, in quotes")
    group.add_argument("--text-file", type=Path, metavar="FILE", help="a UTF-8 text file holding the transcript")
    p.add_argument("-o", "--output", type=Path,
                   help="write the alignment: .TextGrid (Praat, words+phones tiers) or .json")
    p.add_argument("--aligner", default="auto", help="backend: auto, pocketsphinx, mfa (default: auto)")
    p.add_argument("--language", default="en", help="language code (default: en)")
    p.add_argument("--recognizer", choices=("auto", "whisper", "pocketsphinx"), default="auto",
                   help="who hears the speech when no text is given (default: auto, Whisper when installed)")
    p.add_argument("--json", action="store_true", help="print the alignment as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from phoneme import align
    from phoneme.aligners.textgrid import write_textgrid

    from ..errors import ExportError

    if args.output is not None:
        check_output(args.output, (".TextGrid", ".json"), what="alignment")  # before any work
    text = read_transcript(args)
    language, heard = args.language, None
    if text is None:
        from phoneme.hearing import hear

        heard = hear(args.audio, language=args.language, recognizer=args.recognizer)
        text, language = heard.recognition.text, heard.language
    alignment = align(args.audio, text, aligner=args.aligner, language=language)
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
    if heard is not None:
        lines = [f"no text: aligned the speech {heard.recognition.recognizer} heard"] + \
            [f"warning: {w}" for w in heard.warnings] + lines
    if args.output is not None:
        lines.append(f"wrote {args.output}")
    result = alignment.to_dict()
    result["recognition"] = None if heard is None else heard.to_dict()
    emit(args, result, "\n".join(lines))
    return 0
