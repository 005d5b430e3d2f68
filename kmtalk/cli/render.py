"""``kmtalk render``: a preview MP4 (H.264 + AAC) of a saved animation, with its audio.

Examples
--------
``kmtalk render line.npz -o line.mp4`` · ``kmtalk render line.npz -o line.mp4 --side --curves``
· ``kmtalk render new.npz --compare old.npz -o ab.mp4``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .common import check_output, emit

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk render`` on the top-level sub-parsers."""
    p = subparsers.add_parser(
        "render",
        help="render an animation to a preview MP4 with its audio",
        description=(
            "Render an animation (.npz from 'kmtalk animate', kmtalk .json or a Live Link Face "
            ".csv) on the bundled head (or --rig) headlessly with OpenGL/EGL, and write an "
            "H.264 + AAC MP4 with the animation's audio muxed in."
        ),
    )
    p.add_argument("input", type=Path, help="animation file: .npz, kmtalk .json or Live Link .csv")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    p.add_argument("--size", type=int, default=512, help="pixels per view (default 512)")
    p.add_argument("--side", action="store_true", help="add a side view next to the front view")
    p.add_argument("--curves", action="store_true",
                   help="draw a strip of the main blendshape curves under the face")
    p.add_argument("--compare", type=Path, metavar="FILE",
                   help="a second animation to show side by side (same frame rate)")
    p.add_argument("--audio", type=Path, metavar="FILE",
                   help="sound to mux in (default: the animation's own audio)")
    p.add_argument("--no-audio", action="store_true", help="write a silent video")
    p.add_argument("--fps", type=float, help="resample the animation to this frame rate first")
    p.add_argument("--rig", type=Path, metavar="FILE",
                   help="custom head: .glb/.gltf with ARKit-named morph targets or a kmtalk rig "
                   ".npz (default: the bundled head)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Handler of ``kmtalk render``."""
    from ..io.render import render
    from ..io.render.api import check_size
    from .export import _load_rig, read_animation

    check_output(args.output, (".mp4",), what="video")  # before any work: nothing is read or created
    check_size(args.size)
    anim = read_animation(args.input, fps=args.fps)
    if args.fps is not None and anim.fps != args.fps:
        anim = anim.resample(args.fps)
    compare = None
    if args.compare is not None:
        compare = read_animation(args.compare)
        if compare.fps != anim.fps:
            compare = compare.resample(anim.fps)
    rig = _load_rig(args.rig) if args.rig is not None else None
    audio: Any = None
    if args.no_audio:
        anim.audio, anim.audio_path = None, None
    elif args.audio is not None:
        audio = args.audio
    t0 = time.perf_counter()
    out = render(anim, args.output, rig=rig, audio=audio, size=args.size, side=args.side,
                 curves=args.curves, compare=compare, progress=not args.json)
    seconds = time.perf_counter() - t0
    has_audio = audio is not None or (not args.no_audio and (anim.audio is not None
                                                           or anim.audio_path is not None))
    emit(
        args,
        {"input": str(args.input), "output": str(out), "n_frames": anim.n_frames,
         "fps": anim.fps, "duration": anim.duration, "audio": bool(has_audio),
         "seconds": round(seconds, 3)},
        f"wrote {out} ({anim.n_frames} frames, {anim.duration:.2f} s"
        f"{', with audio' if has_audio else ', silent'}) in {seconds:.1f} s",
    )
    return 0
