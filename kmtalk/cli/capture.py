"""``kmtalk capture``: a talking-head video → ARKit-52 animation (Live Link CSV, npz, glTF, JSON ...).

Examples
--------
``kmtalk capture talk.mp4 -o take.csv`` · ``kmtalk capture talk.mp4 --calibrate rest -o take.glb``
· ``kmtalk capture videos/ -o corpus/`` (one ``.npz`` per clip and a ``manifest.json``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import KmtalkError
from .common import EXIT_FAILED, check_output, emit, write_animation

__all__ = ["add_parser", "run"]

HELP = "capture ARKit-52 curves, head pose and audio from a talking-head video (or a folder of them)"


def _calibrate(text: str) -> str | int:
    if text == "rest":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'rest' or a frame number, got {text!r}") from None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk capture`` on the top-level sub-parsers."""
    p = sub.add_parser(
        "capture", help=HELP,
        description=HELP[0].upper() + HELP[1:] + ", with MediaPipe's face landmarker (needs the capture extra: "
        "pip install 'kmtalk[capture]'). The output format follows the -o extension. "
        "tongueOut is not measured by the tracker: it is written as 0 and flagged in the metadata.",
        epilog="examples:\n  kmtalk capture talk.mp4 -o take.csv            (Live Link Face CSV)\n"
               "  kmtalk capture talk.mp4 --calibrate rest -o take.glb\n"
               "  kmtalk capture videos/ -o corpus/              (one .npz per clip + manifest.json)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("video", type=Path, help="a video file with one face and its audio, or a folder of videos")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output file (.csv Live Link Face, .npz, .json, .glb/.gltf, .TextGrid, frames/%%04d.obj, "
                        ".mp4 preview); for a folder input, the output folder")
    p.add_argument("--fps", type=float, default=30.0, help="animation frame rate (default: 30)")
    p.add_argument("--calibrate", type=_calibrate, metavar="rest|N",
                   help="neutral calibration: 'rest' (the take's rest pose) or a frame number of the neutral face")
    p.add_argument("--raw", action="store_true",
                   help="keep the tracker's weights as they come (no retargeting onto the rig)")
    p.add_argument("--no-audio", action="store_true", help="accept a video without an audio track")
    p.add_argument("--max-gap", type=float, default=0.25, metavar="SECONDS",
                   help="face gaps longer than this are reported (default: 0.25)")
    p.add_argument("--offset", action="store_true",
                   help="estimate the audio/video offset into the metadata (always on for a folder)")
    p.add_argument("--text", metavar="TRANSCRIPT",
                   help="what is said, for --offset (default: recognised; a folder uses NAME.txt or "
                        "transcripts_asr.tsv beside the videos)")
    p.add_argument("--cache", type=Path, metavar="DIR", help="cache raw tracks here (fast reruns)")
    p.add_argument("--overwrite", action="store_true", help="folder input: recapture clips already in the output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)
    return p


def _summary(anim: Any, written: list[Path]) -> dict[str, Any]:
    meta = anim.meta
    return {"output": [str(p) for p in written], "frames": anim.n_frames, "fps": anim.fps,
            "duration": anim.duration, "audio": anim.audio is not None,
            **{k: meta.get(k) for k in ("face_fraction", "long_face_gaps", "uncaptured", "video_fps",
                                       "calibration", "av_offset")}}


def run(args: argparse.Namespace) -> int:
    from ..capture.api import capture

    if not args.fps > 0:
        raise KmtalkError(f"--fps must be positive, got {args.fps:g}")
    if args.video.is_dir():
        return _run_folder(args)
    out = check_output(args.output)  # format and writability, before any work
    anim = capture(args.video, fps=args.fps, calibrate=args.calibrate, retarget=not args.raw,
                   max_gap=args.max_gap, require_audio=not args.no_audio, cache_dir=args.cache,
                   estimate_offset=args.offset, transcript=args.text, progress=not args.quiet)
    written = write_animation(anim, out)
    text = (f"wrote {written[0]}" + (f" (+{len(written) - 1} more files)" if len(written) > 1 else "")
            + f": {anim.n_frames} frames at {anim.fps:g} fps, face in {anim.meta['face_fraction']:.0%} of "
            f"{anim.meta['video_frames']} video frames" + ("" if anim.audio is not None else ", no audio"))
    for g0, g1 in anim.meta["long_face_gaps"]:
        text += f"\nwarning: no face from {g0:.2f} s to {g1:.2f} s (interpolated)"
    if anim.meta.get("av_offset"):
        text += f"\nA/V offset {anim.meta['av_offset']['offset'] * 1000:+.0f} ms (positive: audio lags the video)"
    emit(args, _summary(anim, written), text)
    return 0


def _run_folder(args: argparse.Namespace) -> int:
    from ..capture.corpus import capture_folder, video_files

    files = video_files(args.video)  # refuses a folder without videos before anything is made
    check_output(args.output / "manifest.json", [".json"], what="the output folder")
    bar: Any = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="capture", unit="clip", leave=False, file=sys.stderr)
    rows = capture_folder(args.video, args.output, fps=args.fps, calibrate=args.calibrate, cache_dir=args.cache,
                          overwrite=args.overwrite, retarget=not args.raw, max_gap=args.max_gap,
                          require_audio=not args.no_audio,
                          progress=(lambda done, total, name: bar.update(1)) if bar is not None else None)
    if bar is not None:
        bar.close()
    failed = [r for r in rows if r["error"]]
    lines = [f"{r['name']}: " + (f"error: {r['error']}" if r["error"] else
             f"{r['frames']} frames" + (f", A/V offset {r['av_offset']['offset'] * 1000:+.0f} ms"
                                        if r.get("av_offset") else "")) for r in rows]
    lines.append(f"wrote {len(rows) - len(failed)} of {len(rows)} clips to {args.output} (manifest.json)")
    emit(args, {"output": str(args.output), "clips": rows, "failed": len(failed)}, "\n".join(lines))
    return EXIT_FAILED if failed else 0
