"""Preview renderer throughput: frames per second at 512×512 (headless moderngl on EGL).

Measures, on the default head with a moving animation:

1. ``render_frames`` (rig evaluation + normals + OpenGL draw + read-back), with
   and without 4× multisampling, front view and front + side;
2. ``render`` to an MP4 (adds x264 encoding and AAC muxing).

Run: ``python benchmarks/render_speed.py [--frames 300] [--size 512]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from kmtalk.io.render import render, render_frames
from kmtalk.io.render.context import gl_context
from kmtalk.face.rig import default_rig


def animation(n: int) -> np.ndarray:
    t = np.arange(n) / 30.0
    w = np.zeros((n, 52), np.float32)
    rig = default_rig()
    w[:, rig.index("jawOpen")] = 0.5 + 0.5 * np.sin(2 * np.pi * 2.0 * t)
    w[:, rig.index("mouthFunnel")] = 0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t)
    w[:, rig.index("mouthSmileLeft")] = 0.3
    w[:, rig.index("eyeBlinkLeft")] = (np.arange(n) % 90 < 4).astype(np.float32)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    rig = default_rig()
    ctx = gl_context()
    print(f"renderer: {ctx.info['GL_RENDERER']} / {ctx.info['GL_VERSION']}")
    print(f"rig: {rig.n_vertices} vertices, {rig.n_triangles} triangles; "
          f"{args.frames} frames at {args.size}x{args.size}")
    w = animation(args.frames)
    for view, samples in (("front", 0), ("front", 2), ("front", 4), ("both", 0)):
        list(render_frames(rig, w[:5], size=args.size, view=view, samples=samples))  # warm up
        t0 = time.perf_counter()
        n = sum(1 for _ in render_frames(rig, w, size=args.size, view=view, samples=samples))
        dt = time.perf_counter() - t0
        print(f"render_frames view={view:5s} msaa={samples}: {n / dt:7.1f} frames/s "
              f"({1000 * dt / n:.2f} ms/frame)")
    sr = 16000
    audio = (0.1 * np.sin(2 * np.pi * 220 * np.arange(int(sr * args.frames / 30)) / sr),
             sr)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render(w, Path(tmp) / "bench.mp4", fps=30, audio=audio, size=args.size, samples=0)
        dt = time.perf_counter() - t0
    print(f"render -> MP4 (H.264 + AAC, msaa=0): {args.frames / dt:7.1f} frames/s "
          f"({args.frames / 30 / dt:.1f}x real time at 30 fps)")


if __name__ == "__main__":
    main()
