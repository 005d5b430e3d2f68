"""``kmtalk export``: convert a saved animation to another format, chosen by the output extension.

Examples
--------
``kmtalk export line.npz -o line.glb`` · ``kmtalk export line.npz -o frames/%04d.obj``
· ``kmtalk export take.csv --fps 30 -o take.npz`` (a Live Link Face recording in).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import check_output, emit

__all__ = ["add_parser", "run", "read_animation"]



def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk export`` on the top-level sub-parsers."""
    from ..face.formats import supported_extensions

    p = subparsers.add_parser(
        "export",
        help="write an animation as glTF, Live Link CSV, JSON, TextGrid, OBJ/PLY frames or npz",
        description=(
            "Convert an animation (.npz from 'kmtalk animate', kmtalk .json, a Live Link Face "
            "CSV or a kmtalk .glb/.gltf) to the format named by the output's extension: "
            + ", ".join(supported_extensions())
            + ". Mesh sequences take a frame pattern such as frames/%04d.obj."
        ),
    )
    p.add_argument(
        "input", type=Path,
        help="animation file: anything kmtalk.load reads (.npz, kmtalk .json, Live Link Face .csv, .glb/.gltf)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output path; its extension picks the format (e.g. out.glb, frames/%%04d.ply)",
    )
    p.add_argument(
        "--fps",
        type=float,
        help="resample to this frame rate first "
        "(for a .csv input: the take's timecode rate, default inferred)",
    )
    p.add_argument(
        "--start", type=float, metavar="SECONDS", help="keep the animation from this time"
    )
    p.add_argument(
        "--end", type=float, metavar="SECONDS", help="keep the animation up to this time"
    )
    p.add_argument(
        "--rig",
        type=Path,
        metavar="FILE",
        help="custom rig for mesh formats: .glb/.gltf with ARKit-named morph targets, "
        "or a kmtalk rig .npz (default: the bundled head)",
    )
    p.add_argument("--no-audio", action="store_true", help="glTF: do not write the audio sidecar")
    p.add_argument(
        "--no-head-pose",
        action="store_true",
        help="OBJ/PLY: write face-local meshes even when the animation has a head pose",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def read_animation(path: Path, *, fps: float | None = None) -> Any:
    """Read any format :func:`kmtalk.load` reads; a Live Link ``.csv`` takes ``fps`` as its timecode
    rate and is resampled to it."""
    from ..io import load

    if path.suffix.lower() == ".csv":
        return load(path, fps=fps, timecode_fps=fps)
    return load(path)


def _load_rig(path: Path) -> Any:
    from ..face.rig import Rig

    ext = path.suffix.lower()
    if ext in (".glb", ".gltf"):
        return Rig.from_gltf(path)
    return Rig.load(path)


def run(args: argparse.Namespace) -> int:
    """Handler of ``kmtalk export``."""
    from ..face.formats import supported_extensions

    check_output(args.output, supported_extensions())  # before any work
    anim = read_animation(args.input, fps=args.fps)
    if args.fps is not None and anim.fps != args.fps:
        anim = anim.resample(args.fps)
    if args.start is not None or args.end is not None:
        anim = anim.slice(args.start, args.end)
    out_ext = Path(args.output).suffix.lower()
    options: dict[str, Any] = {}
    if out_ext in (".glb", ".gltf", ".obj", ".ply"):
        if args.rig is not None:
            options["rig"] = _load_rig(args.rig)
        if out_ext in (".glb", ".gltf") and args.no_audio:
            options["audio"] = False
        if out_ext in (".obj", ".ply") and args.no_head_pose:
            options["head_pose"] = False
    written = anim.export(args.output, **options)
    files = [str(p) for p in written] if isinstance(written, list) else [str(written)]
    if out_ext in (".glb", ".gltf"):
        sidecars = [".bin"] if out_ext == ".gltf" else []
        if options.get("audio", True) and (anim.audio is not None or anim.audio_path is not None):
            sidecars.append(".wav")
        files += [
            str(Path(files[0]).with_suffix(s))
            for s in sidecars
            if Path(files[0]).with_suffix(s).exists()
        ]
    emit(
        args,
        {
            "input": str(args.input),
            "output": args.output,
            "files": files,
            "n_frames": anim.n_frames,
            "fps": anim.fps,
            "duration": anim.duration,
        },
        f"wrote {len(files)} file(s): {files[0]}" + (f" … {files[-1]}" if len(files) > 1 else ""),
    )
    return 0
