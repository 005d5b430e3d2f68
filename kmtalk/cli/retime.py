"""``kmtalk retime``: carry an animation's locks and hand edits over to a new (dubbed) recording of its line."""

from __future__ import annotations

import argparse
from pathlib import Path

from .animate import HEARING_KEYS, add_hearing_options, hearing_lines, hearing_options
from .common import (
    EXIT_OK,
    EXIT_QC,
    EXIT_STATUS_HELP,
    add_quiet_option,
    add_transcript_options,
    check_output,
    emit,
    read_transcript,
    stage_progress,
    write_animation,
)

HELP = "re-time an animation (.npz) to a new recording of its line, keeping its locks and hand edits"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "retime", help=HELP, description=HELP.capitalize() + ". Each lock and edited frame moves to the "
        "corresponding word/phone of the new line (not by stretching time); the rest is regenerated. "
        "Anchors whose word is missing from the new line are reported.",
        epilog="examples:\n  kmtalk retime take1.npz dub.wav --text 'Bob bought a big balloon.' -o dub.npz\n"
               "  kmtalk retime take1.npz dub_es.wav --text-file dub_es.txt --language es -o dub_es.glb --qc\n\n"
               + EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", type=Path, help="the source animation (.npz or .json written by kmtalk)")
    p.add_argument("audio", type=Path, help="the new line's audio")
    add_transcript_options(p, required=False)
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output file (.npz, .csv, .json, .glb/.gltf, .TextGrid, frames/%%04d.obj, .mp4)")
    p.add_argument("--language", default="en", help="language of the new line (default: en)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the source's)")
    p.add_argument("--aligner", default="auto", help="forced-aligner backend (default: auto)")
    p.add_argument("--locks", type=Path, metavar="FILE", help="extra locks on the new line (JSON)")
    p.add_argument("--no-detect-edits", action="store_true",
                   help="carry only locks and meta['edited_frames'], do not diff against a regeneration")
    p.add_argument("--qc", action="store_true",
                   help="check the new line (QC) and print the report; exit status 3 when it fails")
    p.add_argument("--qc-fail-ok", action="store_true",
                   help="with --qc: report QC failures but exit 0")
    add_hearing_options(p)
    add_quiet_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dubbing.qc import qc_report
    from ..dubbing.retime import retime
    from .export import read_animation

    check_output(args.output)  # before any work
    options = {"aligner": args.aligner}
    if args.textgrid is not None:
        options["alignment"] = args.textgrid
    if args.locks is not None:
        options["locks"] = args.locks
    options.update(hearing_options(args))
    source = read_animation(args.source)  # .npz, or kmtalk's .json export
    with stage_progress(args, "retime") as show:
        anim = retime(source, args.audio, read_transcript(args), language=args.language, fps=args.fps,
                      detect_edits=not args.no_detect_edits, progress=show, **options)
        show("writing")
        written = write_animation(anim, args.output)
    info = anim.meta["retime"]
    summary = {"output": [str(p) for p in written], "frames": anim.n_frames, "fps": anim.fps,
               "duration": anim.duration, "placed": info["placed"], "unplaced": info["unplaced"],
               "edited_frames": info["edited_frames"], "issues": info["issues"],
               **{k: anim.meta.get(k) for k in ("transcript_free", *HEARING_KEYS)}}
    text = (f"wrote {written[0]}: {anim.n_frames} frames; carried {len(info['placed'])} anchors "
            f"({sum(p['kind'] == 'lock' for p in info['placed'])} locks, "
            f"{sum(p['kind'] == 'edit' for p in info['placed'])} edited frames)")
    text += hearing_lines(anim.meta)
    for u in info["unplaced"]:
        text += f"\nnot placed: {u['kind']} at source frame {u['source_frame']}: {u['reason']}"
    for issue in info["issues"]:
        text += f"\nwarning: {issue}"
    if args.qc:
        rep = qc_report(anim)
        summary["qc"] = rep.to_dict()
        text += "\nQC: " + ("ok" if rep.ok else "; ".join(rep.problems()))
        if rep.av_offset_ms is not None:
            text += f"\nA/V offset {rep.av_offset_ms:+.0f} ms (positive: sound before picture)"
    emit(args, summary, text)
    if args.qc and not summary["qc"]["ok"] and not args.qc_fail_ok:
        return EXIT_QC
    return EXIT_OK
