"""Speed and size of each export format on the default head.

Run: ``python benchmarks/export_speed.py [SECONDS]`` (prints figures; nothing is asserted).

The animation is the linguistic prior on a real LibriVox alignment (3 s),
tiled to SECONDS (default 30) at 30 fps, with a head pose and the audio
path, so that the files are the size a real line gives. Each writer runs
once after a warm-up export (imports, rig loading) into a temporary folder.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # anim_samples: the realistic test animation

from anim_samples import real_animation  # noqa: E402

from kmtalk.face.animation import Animation  # noqa: E402


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    base = real_animation(ROOT / "tests" / "data" / "speech")
    reps = int(np.ceil(seconds / base.duration))
    n = int(round(seconds * base.fps))
    anim = Animation(
        fps=base.fps,
        weights=np.tile(base.weights, (reps, 1))[:n],
        head_pose=np.tile(base.head_pose, (reps, 1))[:n],
        phones=base.phones, words=base.words, keys=base.keys, locks=base.locks,
        audio_path=base.audio_path, meta=base.meta,
    )
    print(f"python {platform.python_version()} on {platform.machine()}; "
          f"{anim.n_frames} frames ({anim.duration:.1f} s at {anim.fps:g} fps)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        anim.slice(0, 0.2).export(out / "warm.glb")
        for name, opts in [
            ("line.npz", {}),
            ("line.csv", {}),
            ("line.json", {}),
            ("line.TextGrid", {}),
            ("line.glb", {}),
            ("line_nonormals.glb", {"normals": False}),
            ("frames/%04d.ply", {}),
            ("objs/%04d.obj", {}),
        ]:
            t0 = time.perf_counter()
            written = anim.export(out / name, **opts)
            dt = time.perf_counter() - t0
            files = written if isinstance(written, list) else [written]
            size = sum(p.stat().st_size for p in files)
            per = f", {dt / len(files) * 1e3:.1f} ms/frame" if len(files) > 1 else ""
            print(f"{name:20s} {dt * 1e3:8.0f} ms  {size / 1e6:8.2f} MB in {len(files)} file(s){per}")
        t0 = time.perf_counter()
        Animation.load(out / "line.npz")
        print(f"Animation.load npz   {(time.perf_counter() - t0) * 1e3:8.1f} ms")
        t0 = time.perf_counter()
        anim.resample(60)
        print(f"resample 30->60 fps  {(time.perf_counter() - t0) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
