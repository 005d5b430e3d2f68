"""``kmtalk animate``: speech (+ transcript) → animation file (npz, csv, json, glb, TextGrid, obj/ply frames, mp4)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import KmtalkError
from .common import (
    add_quiet_option,
    add_transcript_options,
    check_output,
    emit,
    read_transcript,
    stage_progress,
    write_animation,
)

HELP = "animate a face from speech and write it (format from the -o extension)"


def _style(specs: list[str] | None) -> list[Any] | None:
    """``--style`` values: JALI axes ``jaw=1.2,lip=0.8`` or style specs (``emotion:happy=0.5``, ``head``)."""
    if not specs:
        return None
    out: list[Any] = []
    for text in specs:
        if ":" in text or "=" not in text:
            out.append(text)  # a style spec, parsed (and validated) by kmtalk.animator.styles
            continue
        axes: dict[str, float] = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            try:
                axes[name.strip()] = float(value)
            except ValueError:
                raise KmtalkError(f"--style expects 'jaw=1.2,lip=0.8' or a style spec like "
                                  f"'emotion:happy=0.5', got {part!r}") from None
        out.append(axes)
    return out


def add_hearing_options(p: argparse.ArgumentParser) -> None:
    """``--strict``, ``--no-check`` and ``--recognizer`` (shared by animate and retime)."""
    p.add_argument("--strict", action="store_true",
                   help="refuse (exit 2) when the transcript does not match what is heard in the audio, "
                        "or nothing is heard")
    p.add_argument("--no-check", action="store_true",
                   help="do not compare the transcript with the audio (by default it is compared when "
                        "Whisper is installed: pip install 'kmtalk[asr]')")
    p.add_argument("--recognizer", choices=("auto", "whisper", "pocketsphinx"), default="auto",
                   help="who hears the speech without a transcript, and for the check (default: auto, "
                        "Whisper when installed)")


def hearing_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`kmtalk.animate` set by :func:`add_hearing_options`."""
    return {"check_transcript": False if args.no_check else None, "strict": args.strict,
            "recognizer": args.recognizer}


HEARING_KEYS = ("recognizer", "recognised", "language", "requested_language", "transcript_check", "heard")


def hearing_lines(meta: dict[str, Any]) -> str:
    """Human-readable lines about what was heard and the transcript check."""
    text = ""
    if meta.get("transcript_free"):
        text += (f"\nno transcript: animated from speech recognised by {meta.get('recognizer', 'pocketsphinx')}: "
                 f"{meta.get('recognised')!r}")
    for w in (meta.get("heard") or {}).get("warnings", []):
        text += f"\nwarning: {w}"
    check = meta.get("transcript_check")
    if check and not check["ok"]:
        text += f"\nwarning: transcript check: {check['message']}"
    return text


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "animate", help=HELP, description=HELP.capitalize() + ". Without --text/--text-file/--textgrid "
        "the speech is recognised first (less accurate; the result is marked transcript-free).",
        epilog="examples:\n  kmtalk animate line.wav --text 'Bob bought a big balloon.' -o line.glb\n"
               "  kmtalk animate line.wav --text-file line.txt --locks locks.json -o line.csv\n"
               "  kmtalk animate line.wav -o line.mp4   (no transcript: speech is recognised)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("audio", type=Path, help="speech audio (WAV, FLAC, OGG or MP3; any rate)")
    add_transcript_options(p, required=False)
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output file: .npz (kmtalk), .csv (Live Link Face), .json, .glb/.gltf, .TextGrid, "
                        "frames/%%04d.obj|.ply, or .mp4 (preview render with audio)")
    p.add_argument("--locks", type=Path, metavar="FILE",
                   help='editor locks as JSON, e.g. {"12": {"jawOpen": 0.4}, "1.5s": "PP"}')
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default: 30)")
    p.add_argument("--style", metavar="SPEC", action="append",
                   help="repeatable: JALI axes 'jaw=1.2,lip=0.8', or a style such as "
                        "'articulation:lip=1.3', 'emotion:happy=0.5', 'head' (see docs/styles.md)")
    p.add_argument("--method", choices=("auto", "prior", "learned"), default="auto",
                   help="auto (default): the trained model when one is available, else the prior")
    p.add_argument("--checkpoint", type=Path, metavar="DIR|NAME",
                   help="a trained model folder (from 'kmtalk train') for the learned method, or a shipped "
                        "model: kmtalk-arkit (default) or kmtalk-arkit-whisper (needs the asr extra)")
    p.add_argument("--lexicon", type=Path, metavar="FILE", help="your own viseme lexicon (JSON)")
    p.add_argument("--aligner", default="auto", help="forced-aligner backend (default: auto)")
    p.add_argument("--language", default="en", help="language code (default: en)")
    add_hearing_options(p)
    add_quiet_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..animator.api import animate

    check_output(args.output)  # before any work: an unknown format or unwritable place fails now

    with stage_progress(args, "animate") as show:
        anim = animate(
            args.audio, read_transcript(args), fps=args.fps, language=args.language, aligner=args.aligner,
            alignment=args.textgrid, lexicon=args.lexicon, style=_style(args.style), locks=args.locks,
            method=args.method, checkpoint=args.checkpoint, **hearing_options(args), progress=show,
        )
        show("writing")
        written = write_animation(anim, args.output)
    summary = {
        "output": [str(p) for p in written],
        "frames": anim.n_frames, "fps": anim.fps, "duration": anim.duration,
        "keys": len(anim.keys), "locks": len(anim.locks),
        **{k: anim.meta.get(k) for k in ("method", "transcript", "transcript_free", "confidence",
                                        "alignment_issues")},
        **{k: anim.meta.get(k) for k in HEARING_KEYS},
    }
    text = (f"wrote {written[0]}" + (f" (+{len(written) - 1} more files)" if len(written) > 1 else "")
            + f": {anim.n_frames} frames at {anim.fps:g} fps, {len(anim.keys)} key motions")
    text += hearing_lines(anim.meta)
    for issue in anim.meta.get("alignment_issues") or []:
        text += f"\nwarning: {issue}"
    emit(args, summary, text)
    return 0
