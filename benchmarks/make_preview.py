"""Side-by-side preview: a real talking-head clip next to ``kmtalk.animate`` of its audio (prior path).

Left: the source video (../shared/data/video-dev/<clip>.mp4, decoded with the
ffmpeg of imageio-ffmpeg and resampled by its presentation times to the
animation's frame rate, so the two share one timeline). Right: the front view
of the default head animated from the clip's audio and its approximate ASR
transcript (``transcripts_asr.tsv``). Under both: the lip aperture over the
whole clip — the video's tracked ``aperture`` (white) and the animation's
(orange, same definition, each scaled to its own range) — with a cursor at
the current frame. The clip's audio is muxed in (AAC).

Run::

    python benchmarks/make_preview.py                      # retalking_1 → docs/preview/
    python benchmarks/make_preview.py --clip retalking_4 --height 320
    python benchmarks/make_preview.py --data video-train --clip pcavs_00098 \
        --checkpoint runs/real-folds/fold1/synthetic-real/checkpoint      # a held-out clip, learned model

``--checkpoint`` animates with that learned model (default: the prior);
``--data`` picks the folder of ../shared/data. The clip's A/V offset from
``benchmarks/results/av_offsets.json`` (``--offset`` to override) moves the
source video onto the audio's clock, so the left view is in sync with the
sound and the animation.

Writes ``docs/preview/<clip>_side_by_side.mp4`` and a poster frame
``docs/preview/<clip>_side_by_side.png``; prints the sizes and the clip's
lip-sync score.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from _common import VIDEO_DEV as VIDEO  # $KMTALK_DATA, else ../shared/data

OUT = ROOT / "docs" / "preview"
WHITE = np.array([235, 235, 235], np.uint8)
ORANGE = np.array([255, 140, 30], np.uint8)


def asr_transcript(clip: str, table: Path | None = None) -> str:
    table = table or VIDEO / "transcripts_asr.tsv"
    with open(table, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and row[0] == clip:
                return row[1]
    raise SystemExit(f"{clip} is not in {table}")


def clip_offset(clip: str) -> float:
    """The clip's A/V offset (s, positive: audio lags video) from the committed table, else 0."""
    import json

    table = ROOT / "benchmarks" / "results" / "av_offsets.json"
    clips = json.loads(table.read_text("utf-8"))["clips"] if table.is_file() else {}
    return float(clips.get(clip, {}).get("offset", 0.0))


def face_box(landmarks: np.ndarray, frame_size: tuple[int, int], *, margin: float = 1.7) -> tuple[int, int, int]:
    """A square crop ``(side, x, y)`` around every tracked landmark of the clip, ``margin`` × the face's extent."""
    pts = landmarks[..., :2].reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    w, h = frame_size
    side = int(min(margin * (hi - lo).max(), w, h)) // 2 * 2
    cx, cy = (lo + hi) / 2
    x = int(np.clip(cx - side / 2, 0, w - side))
    y = int(np.clip(cy - side / 2, 0, h - side))
    return side, x, y


def video_frames(path: Path, fps: float, size: int, n: int, box: tuple[int, int, int],
                 offset: float = 0.0) -> np.ndarray:
    """``n`` RGB frames ``[n, size, size, 3]`` at ``fps`` (by presentation time), cropped to ``box``, scaled.

    Frame ``i`` shows video time ``i / fps - offset`` (held at the ends): the audio's clock.
    """
    import imageio_ffmpeg

    side, x, y = box
    gen = imageio_ffmpeg.read_frames(str(path), output_params=[
        "-vf", f"fps={fps},crop={side}:{side}:{x}:{y},scale={size}:{size}"])
    meta = next(gen)
    w, h = meta["size"]
    frames = [np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in gen]
    idx = np.clip(np.round(np.arange(n) - offset * fps).astype(int), 0, len(frames) - 1)
    return np.stack([frames[i] for i in idx])  # ends held


def _scale(x: np.ndarray) -> np.ndarray:
    lo, hi = np.nanpercentile(x, 2), np.nanpercentile(x, 98)
    return np.clip((x - lo) / max(hi - lo, 1e-9), 0.0, 1.0)


def trace_strip(video_ap: np.ndarray, video_fps: float, ours: np.ndarray, fps: float, width: int,
                height: int) -> np.ndarray:
    """The two aperture traces over the clip, ``[height, width, 3]`` (cursor added per frame)."""
    strip = np.full((height, width, 3), 24, np.uint8)
    duration = len(ours) / fps
    t = (np.arange(width) + 0.5) / width * duration
    pad = 4
    for values, rate, colour in ((video_ap, video_fps, WHITE), (ours, fps, ORANGE)):
        y = np.interp(t, np.arange(len(values)) / rate, _scale(np.nan_to_num(values, nan=np.nanmean(values))))
        rows = np.round(pad + (1.0 - y) * (height - 2 * pad - 1)).astype(int)
        for x in range(width):  # a 2-px line, joined to the previous column
            a, b = sorted((rows[x], rows[max(x - 1, 0)]))
            strip[a:b + 2, x] = colour
    return strip


def write_png(frame: np.ndarray, path: Path) -> None:
    import imageio_ffmpeg

    h, w = frame.shape[:2]
    fd, tmp = tempfile.mkstemp(suffix=".png", prefix=".preview-", dir=path.parent)
    os.close(fd)
    try:
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                        "-s", f"{w}x{h}", "-i", "-", "-frames:v", "1", tmp],
                       input=np.ascontiguousarray(frame).tobytes(), check=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", default="retalking_1")
    ap.add_argument("--height", type=int, default=320, help="pixels per view (default 320)")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--crf", type=int, default=23, help="x264 quality (default 23)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--data", default="video-dev", help="folder of ../shared/data (video-dev, video-train)")
    ap.add_argument("--checkpoint", type=Path, help="animate with this learned model (default: the prior)")
    ap.add_argument("--transcripts", type=Path, help="clip<TAB>text table (default: the folder's transcripts_asr.tsv)")
    ap.add_argument("--offset", type=float, help="A/V offset in s (default: benchmarks/results/av_offsets.json)")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import kmtalk
    from kmtalk.io.render import render_frames
    from kmtalk.io.render.video import write_mp4
    from kmtalk.train.metrics import lip_aperture, lipsync_score

    size = args.height + args.height % 2
    folder = VIDEO.parent / args.data
    wav, mp4 = folder / f"{args.clip}.wav", folder / f"{args.clip}.mp4"
    lm = np.load(folder / f"{args.clip}.landmarks.npz")
    video_ap, video_fps = np.asarray(lm["aperture"], np.float64), float(lm["fps"])
    offset = clip_offset(args.clip) if args.offset is None else args.offset
    text = asr_transcript(args.clip, args.transcripts or folder / "transcripts_asr.tsv")
    how = {"method": "prior"} if args.checkpoint is None else {"method": "learned", "checkpoint": args.checkpoint}
    anim = kmtalk.animate(str(wav), text, fps=args.fps, check_transcript=False, **how)
    rig = kmtalk.default_rig()
    n = anim.weights.shape[0]
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(mp4))
    frame_size = next(reader)["size"]
    reader.close()
    left = video_frames(mp4, args.fps, size, n, face_box(np.asarray(lm["landmarks"]), frame_size), offset)
    video_ap = np.interp(np.arange(len(video_ap)) / video_fps - offset, np.arange(len(video_ap)) / video_fps,
                         video_ap)  # the trace on the audio's clock too
    strip = trace_strip(video_ap, video_fps, lip_aperture(anim.weights, rig), args.fps, 2 * size, (size // 5) // 2 * 2)
    strip_w = strip.shape[1]

    def frames():
        for i, face in enumerate(render_frames(rig, anim.weights, size=size, view="front")):
            frame = np.concatenate([np.concatenate([left[i], face], axis=1), strip.copy()], axis=0)
            x = min(int((i + 0.5) / n * strip_w), strip_w - 1)
            frame[size:, x] = (255, 60, 60)
            yield frame

    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.clip}_side_by_side.mp4"
    poster_at = int(np.argmax(lip_aperture(anim.weights, rig)[: n // 2]))  # a wide-open moment in the first half
    poster = []

    def keep_poster(it):
        for i, f in enumerate(it):
            if i == poster_at:
                poster.append(f.copy())
            yield f

    write_mp4(keep_poster(frames()), target, fps=args.fps, audio=str(wav), crf=args.crf)
    png = target.with_suffix(".png")
    write_png(poster[0], png)
    r = lipsync_score(anim, video_ap, video_fps, rig=rig)
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1e6:.2f} MB, {n} frames at {args.fps:g} fps, "
          f"{2 * size}x{size + strip.shape[0]}")
    print(f"{png.relative_to(ROOT)}: frame {poster_at} ({poster_at / args.fps:.2f} s), {png.stat().st_size / 1e3:.0f} kB")
    print(f"lip-sync score of this animation (source on the audio clock, offset {offset:+.2f} s): r = {r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
