"""Audio/video offset of every clip in ../shared/data/video-dev and video-train, as a committed table.

For each clip the video is captured (:func:`kmtalk.capture`, 30 fps, tracks
cached, ``estimate_offset=True``): :mod:`kmtalk.capture.offsets` finds the
lag in ±300 ms (10 ms steps) that maximises Pearson's r between the tracked
lip aperture and the lip aperture of kmtalk's prior animated from the clip's
own audio track (decoded from the video file, sample 0 at the first video
frame) and its ASR transcript (``transcripts_asr.tsv``). Convention:
**positive = the audio lags the video** (the video is ahead); to sync, read
the audio at ``t + offset`` for video time ``t``.

Two more columns, for comparison only: the same search against log-RMS
loudness instead of the prior (``loudness``), and the prior estimate made
with the clip's ``NAME.wav`` (the 16 kHz copy in the data folder) instead of
the video's own track (``wav``; it differs when the wav does not start where
the video's audio does).

Writes ``benchmarks/results/av_offsets.json`` (read by training and
evaluation: ``{"clips": {name: {"split", "offset", "r", "r_zero", "at_edge",
"offset_wav"}}, ...}``) and prints the table.

Run::

    python benchmarks/av_offsets.py            # ~1 min with the track cache of capture_fidelity.py
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
from _common import ROOT, SHARED_DATA

SPLITS = ("video-dev", "video-train")
OUT = ROOT / "benchmarks" / "results" / "av_offsets.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kmtalk-capture-cache"), help="track cache folder")
    ap.add_argument("--out", type=Path, default=OUT, help=f"table to write (default {OUT.relative_to(ROOT)})")
    ap.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import kmtalk
    from kmtalk.atomic import atomic_write
    from kmtalk.capture.corpus import folder_transcripts
    from kmtalk.capture.offsets import aperture_audio_offset
    from kmtalk.capture.timing import resample_rows
    from kmtalk.capture.track import track_video
    from phoneme.audio import load_audio

    clips = {}
    for split in SPLITS:
        texts = folder_transcripts(SHARED_DATA / split)
        for mp4 in sorted((SHARED_DATA / split).glob("*.mp4")):
            text = texts.get(mp4.stem)
            anim = kmtalk.capture(mp4, cache_dir=args.cache, estimate_offset=True, transcript=text)
            est = anim.meta["av_offset"]
            tr = track_video(mp4, cache_dir=args.cache)
            aperture = resample_rows(tr.times, tr.aperture[:, None], fps=anim.fps, n_frames=anim.n_frames)[:, 0]
            loud = aperture_audio_offset(aperture, anim.fps, *anim.audio, signal="loudness")
            wav, sr = load_audio(mp4.with_suffix(".wav"), sample_rate=16000)
            check = aperture_audio_offset(aperture, anim.fps, wav, sr, transcript=text)
            clips[mp4.stem] = {"split": split, "offset": est["offset"], "r": est["r"], "r_zero": est["r_zero"],
                               "at_edge": est["at_edge"], "offset_wav": round(check.offset, 3),
                               "offset_loudness": round(loud.offset, 3), "r_loudness": round(loud.r, 4)}
    offsets = np.array([c["offset"] for c in clips.values()])
    table = {
        "format": "kmtalk.av_offsets", "version": 1,
        "convention": "offset in seconds; positive = the audio lags the video (video ahead); "
                      "to sync, read the audio at t + offset for video time t",
        "method": "lag in [-0.3, 0.3] s (10 ms steps) maximising Pearson r between the tracked lip aperture "
                  "(kmtalk.capture, 30 fps) and the lip aperture of kmtalk's prior animated from the clip's own "
                  "audio track and its ASR transcript; kmtalk.capture.offsets (signal='prior'). "
                  "offset_loudness/r_loudness: the same against log-RMS loudness, for comparison; offset_wav: "
                  "the prior estimate on NAME.wav",
        "command": "python benchmarks/av_offsets.py",
        "summary": {"clips": len(clips), "median": round(float(np.median(offsets)), 3),
                    "min": round(float(offsets.min()), 3), "max": round(float(offsets.max()), 3)},
        "clips": clips,
    }
    with atomic_write(args.out) as tmp:
        Path(tmp).write_text(json.dumps(table, indent=1) + "\n", "utf-8")
    if args.json:
        json.dump(table, sys.stdout, indent=1)
        print()
        return 0
    print(f"{'clip':40s} {'split':12s} {'offset ms':>9s} {'r':>6s} {'r@0':>6s} {'wav ms':>7s} "
          f"{'loudness ms':>11s} {'r':>6s}")
    for name, c in clips.items():
        print(f"{name:40s} {c['split']:12s} {c['offset'] * 1000:+9.0f} {c['r']:6.3f} {c['r_zero']:6.3f} "
              f"{c['offset_wav'] * 1000:+7.0f} {c['offset_loudness'] * 1000:+11.0f} {c['r_loudness']:6.3f}"
              + ("  (at the edge of the range)" if c["at_edge"] else ""))
    s = table["summary"]
    print(f"median {s['median'] * 1000:+.0f} ms, range {s['min'] * 1000:+.0f} to {s['max'] * 1000:+.0f} ms "
          f"over {s['clips']} clips; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
