"""Capture fidelity: how much of a real face's lip motion survives ``kmtalk.capture`` onto our rig.

For every clip of ../shared/data/video-dev and video-train (39 clips), the
video is captured with :func:`kmtalk.capture` (30 fps), our rig is driven
with the captured weights, and the lip-sync score of ../shared/data/README.md
(:func:`kmtalk.train.metrics.weights_lipsync_score`: the rig's inner-lip gap over
its eye-corner distance, resampled to the video frames, Pearson r against the
clip's stored FaceMesh ``aperture``) is taken. Columns:

- ``raw``: the tracker's blendshapes as they come (``retarget=False``);
- ``shipped``: the shipped retargeting (``assets/rig/capture_retarget.json``:
  the lip-gap solve, nothing fitted to these clips);
- ``landmarks``: the capture tracker's own landmark aperture against the
  stored one (two trackers on one video: a ceiling for any retargeting that
  follows the tracked lips).

``--fit-map`` also runs the experiment that was rejected: a per-channel
gain/offset map (left/right tied, gains in [0.1, 5], offsets in [-0.3, 0],
jaw/mouth/cheek/nose channels) fitted by gradient ascent on the mean r of
video-train, then scored on video-train (in-sample) and video-dev (held out).

Tracks are cached (``--cache``, default ``/tmp/kmtalk-capture-cache``), so a
rerun takes seconds (plus ~5 min for ``--fit-map``); the first run tracks ~13,000 frames (~3 min here)
and prints the tracking speed (frames/s, decoding included) — point
``--cache`` at an empty folder to measure it.

Run::

    python benchmarks/capture_fidelity.py
    python benchmarks/capture_fidelity.py --fit-map --json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
from _common import SHARED_DATA

SPLITS = ("video-dev", "video-train")


def clips() -> list[tuple[str, Path]]:
    return [(split, mp4) for split in SPLITS for mp4 in sorted((SHARED_DATA / split).glob("*.mp4"))]


def fit_map(data: dict, steps: int = 300) -> tuple[object, dict]:
    """The rejected experiment: a constrained per-channel gain/offset map fitted on video-train's mean r."""
    import torch

    from kmtalk.capture.retarget import RetargetMap
    from kmtalk.face.arkit import ARKIT_NAMES as N
    from kmtalk.face.rig import default_rig
    from kmtalk.train.metrics import APERTURE_LANDMARKS

    torch.manual_seed(0)
    rig = default_rig()
    idx = [rig.landmarks[n] for n in APERTURE_LANDMARKS]
    cols = np.concatenate([[3 * v, 3 * v + 1, 3 * v + 2] for v in idx])
    basis = torch.tensor(rig._basis[:, cols])
    neutral = torch.tensor(np.asarray(rig.neutral)[idx].reshape(-1))

    def aperture(w):
        p = (rig._coefficients(rig._apply_clamps(w, torch), torch) @ basis + neutral).reshape(-1, 4, 3)
        return torch.linalg.norm(p[:, 0, :2] - p[:, 1, :2], dim=1) / torch.linalg.norm(p[:, 2, :2] - p[:, 3, :2], dim=1)

    def prep(items):
        out = []
        for it in items:
            w, ap, vfps = it["raw"], it["aperture"], it["video_fps"]
            t = np.arange(len(ap)) / vfps * 30.0
            ok = np.isfinite(ap) & (t <= len(w) - 1)
            i0 = np.floor(t[ok]).astype(int)
            out.append((torch.tensor(w), torch.tensor(i0), torch.tensor(np.minimum(i0 + 1, len(w) - 1)),
                        torch.tensor(t[ok] - i0, dtype=torch.float32), torch.tensor(ap[ok], dtype=torch.float32)))
        return out

    def r(x, y):
        x, y = x - x.mean(), y - y.mean()
        return (x * y).sum() / torch.sqrt((x * x).sum() * (y * y).sum() + 1e-12)

    mouth = [i for i, n in enumerate(N) if n.startswith(("jaw", "mouth", "cheek", "nose"))]
    mask = torch.zeros(52)
    mask[mouth] = 1
    pair = torch.tensor([N.index(n[:-5] + "Left") if n.endswith("Right") and n[:-5] + "Left" in N else i
                         for i, n in enumerate(N)])
    lg = torch.zeros(52, requires_grad=True)
    off = torch.full((52,), -1e-3, requires_grad=True)

    def params():
        g = torch.exp(torch.clamp(lg[pair], float(np.log(0.1)), float(np.log(5.0))) * mask)
        return g, torch.clamp(off[pair], -0.3, 0.0) * mask

    train = prep([it for it in data.values() if it["split"] == "video-train"])
    opt = torch.optim.Adam([lg, off], lr=0.03)
    for _ in range(steps):
        opt.zero_grad()
        g, o = params()
        rs = []
        for w, i0, i1, fr, ap in train:
            a = aperture(torch.clamp(w * g + o, 0, 1))
            rs.append(r((1 - fr) * a[i0] + fr * a[i1], ap))
        loss = -torch.stack(rs).mean() + 1e-3 * (lg ** 2).sum()
        loss.backward()
        opt.step()
    g, o = (x.detach().numpy() for x in params())
    rmap = RetargetMap(gain={N[i]: round(float(g[i]), 4) for i in mouth},
                       offset={N[i]: round(float(o[i]), 4) for i in mouth if o[i] < 0},
                       meta={"name": "fitted gain/offset (rejected experiment)"})
    return rmap, {"gain": rmap.gain, "offset": rmap.offset}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kmtalk-capture-cache"), help="track cache folder")
    ap.add_argument("--fit-map", action="store_true", help="also fit and score the rejected gain/offset map")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from kmtalk.capture import capture_track, track_video
    from kmtalk.capture.retarget import identity_map
    from kmtalk.capture.track import _cache_file
    from kmtalk.face.rig import default_rig
    from kmtalk.train.metrics import pearson, weights_lipsync_score
    from kmtalk.train.videos import read_aperture

    rig = default_rig()
    t0 = time.perf_counter()
    data: dict[str, dict] = {}
    fresh_frames, fresh_seconds = 0, 0.0
    for split, mp4 in clips():
        cached = _cache_file(args.cache, mp4, None).is_file()
        t1 = time.perf_counter()
        tr = track_video(mp4, cache_dir=args.cache)
        if not cached:
            fresh_frames += tr.n_frames
            fresh_seconds += time.perf_counter() - t1
        aperture, vfps = read_aperture(mp4.with_name(f"{mp4.stem}.landmarks.npz"))
        raw = capture_track(tr, fps=30.0, retarget=identity_map()).weights
        shipped = capture_track(tr, fps=30.0).weights
        n = min(len(aperture), tr.n_frames)
        data[mp4.stem] = {
            "split": split, "raw": raw, "aperture": aperture, "video_fps": vfps,
            "r_raw": weights_lipsync_score(raw, 30.0, aperture, vfps, rig=rig),
            "r_shipped": weights_lipsync_score(shipped, 30.0, aperture, vfps, rig=rig),
            "r_landmarks": pearson(tr.aperture[:n], aperture[:n]),
        }
    cols = ["r_raw", "r_shipped", "r_landmarks"]
    fitted = None
    if args.fit_map:
        rmap, fitted = fit_map(data)
        for item in data.values():
            item["r_map"] = weights_lipsync_score(rmap.apply(item["raw"]), 30.0, item["aperture"],
                                                  item["video_fps"], rig=rig)
        cols.append("r_map")
    summary = {}
    for name, sel in (("video-dev", ["video-dev"]), ("video-train", ["video-train"]), ("all", list(SPLITS))):
        items = [v for v in data.values() if v["split"] in sel]
        summary[name] = {"clips": len(items), **{c: round(float(np.mean([v[c] for v in items])), 4) for c in cols}}
    seconds = round(time.perf_counter() - t0, 1)
    speed = {"frames_tracked": fresh_frames, "seconds": round(fresh_seconds, 1),
             "frames_per_second": round(fresh_frames / fresh_seconds, 1) if fresh_seconds else None}
    if args.json:
        out = {"clips": {k: {c: round(float(v[c]), 4) for c in cols} | {"split": v["split"]}
                         for k, v in data.items()},
               "mean": summary, "seconds": seconds, "tracking": speed}
        if fitted:
            out["fitted_map"] = fitted
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    head = f"{'clip':42s} {'split':12s}" + "".join(f"{c[2:]:>10s}" for c in cols)
    print(head)
    for k, v in data.items():
        print(f"{k:42s} {v['split']:12s}" + "".join(f"{v[c]:10.3f}" for c in cols))
    print("-" * len(head))
    for name, s in summary.items():
        print(f"{'mean ' + name:42s} {s['clips']:<12d}" + "".join(f"{s[c]:10.3f}" for c in cols))
    if fitted:
        print("map: fitted on video-train (its video-train mean is in-sample; video-dev is held out)")
    if fresh_frames:
        print(f"tracked {fresh_frames} frames (not cached) in {speed['seconds']} s: "
              f"{speed['frames_per_second']} frames/s with decoding")
    print(f"({seconds} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
