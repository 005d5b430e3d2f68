"""Live streaming (``kmtalk.Stream``): latency, compute per chunk, streamed against offline curves, lip-sync.

Four measurements, each on real speech:

1. **Latency.** For every frame, the audio time at which the push that
   returned it ended, minus the frame's time: the algorithmic latency (what a
   listener waits, compute excluded). Reported as median and maximum against
   the bound ``lookahead + hop + chunk + resampler hold-back``, for 16 kHz and
   44.1 kHz input (soxr's streaming resampler holds ~20 ms back at 44.1 kHz,
   measured here as the largest gap between audio pushed and audio out).
   Then at real-time pace (chunks pushed as the audio plays): the wall-clock
   latency of each frame, compute included.
2. **Compute.** Wall-clock seconds inside ``Stream.push`` per chunk (p50,
   p99, max: the caller's thread), per animated window (in the worker thread
   for the learned model), and the real-time factor (all compute / audio
   duration), for chunks of 10, 20, 50 and 100 ms, the prior and the learned
   model (torch with ``--threads`` threads), with and without a transcript,
   on ``assets/examples/hello.wav`` repeated to ~16 s (so restarts happen).
   **The machine is shared with other jobs** (the load average is printed):
   these are upper bounds.
3. **Streamed against offline.** Pearson r of the rig's lip aperture,
   streamed vs ``kmtalk.animate`` on the same audio and transcript, same
   method, at look-aheads 0.1–0.5 s: the example line, the five LibriVox
   lines (correct transcripts) and the 7 video-dev clips (approximate ASR
   transcripts). Target r ≥ 0.9 at the default 0.3 s.
4. **Lip-sync on video-dev** (``kmtalk.train.metrics.lipsync_score``, as
   ``benchmarks/lipsync.py``), streamed vs offline, with the ASR transcript and
   without one. Target: streamed within 0.05 of offline.

Run (from the repository root; a few minutes)::

    python benchmarks/stream.py                  # everything
    python benchmarks/stream.py --only latency,compute
    python benchmarks/stream.py --json
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = (ROOT.parent / "shared" / "data").resolve()
VIDEO = DATA / "video-dev"
LIBRIVOX = DATA / "speech" / "librivox"
HELLO = ROOT / "assets" / "examples" / "hello.wav"
HELLO_TEXT = (ROOT / "assets" / "examples" / "hello.txt").read_text("utf-8").strip()
LOOKAHEADS = (0.1, 0.2, 0.3, 0.5)
CHUNKS = (0.01, 0.02, 0.05, 0.1)


def _stream(samples: np.ndarray, rate: int, chunk_s: float, **options):
    """Run a stream; returns (stream, frames, per-frame latency in s)."""
    from kmtalk.stream import Stream

    s = Stream(sample_rate=rate, **options)
    step = max(int(round(chunk_s * rate)), 1)
    frames, latency = [], []
    for i in range(0, len(samples), step):
        new = s.push(samples[i:i + step])
        heard = min(i + step, len(samples)) / rate
        frames += new
        latency += [heard - f.time for f in new]
    tail = s.close()
    frames += tail
    latency += [len(samples) / rate - f.time for f in tail]
    return s, frames, np.asarray(latency)


def _ms(x) -> dict:
    x = np.asarray(x) * 1000.0
    return {"p50": round(float(np.percentile(x, 50)), 2), "p99": round(float(np.percentile(x, 99)), 2),
            "max": round(float(x.max()), 2)}


def latency() -> list[dict]:
    import soxr

    from kmtalk.stream.audio import ChunkResampler
    from phoneme.audio import load_audio

    x, sr = load_audio(HELLO)
    rows = []
    for rate in (16000, 44100):
        y = x if rate == sr else soxr.resample(x, sr, rate, quality="HQ")
        rs = ChunkResampler(rate)
        step = rate // 50
        held = [(i + step) / rate - n / 16000 for i, n in
                zip(range(0, len(y) - step, step), np.cumsum([len(rs.push(y[i:i + step])) for i in
                                                              range(0, len(y) - step, step)]))]
        held_ms = round(float(np.max(held)) * 1000, 1)
        for method in ("prior", "learned"):
            for lookahead in (0.1, 0.3):
                for chunk in (0.02, 0.1):
                    s, frames, lat = _stream(y, rate, chunk, transcript=HELLO_TEXT, method=method,
                                             lookahead=lookahead, background=False)
                    live = lat[:-max(1, int(round((lookahead + s.hop) * s.fps)))]  # frames out before close()
                    rows.append({"rate": rate, "method": method, "lookahead": lookahead, "chunk": chunk,
                                 "hop": round(s.hop, 4), "resampler_ms": held_ms,
                                 "bound_ms": round((lookahead + s.hop + chunk) * 1000 + held_ms, 1),
                                 "median_ms": round(float(np.median(live)) * 1000, 1),
                                 "max_ms": round(float(live.max()) * 1000, 1)})
    return rows


def realtime() -> list[dict]:
    """Chunks pushed at the pace of the audio (sleeping between them): wall-clock latency of each frame,
    compute included (the learned model animates in its worker thread)."""
    from kmtalk.stream import Stream
    from phoneme.audio import load_audio

    x, sr = load_audio(HELLO)
    rows = []
    for method in ("prior", "learned"):
        for chunk in (0.02, 0.1):
            s = Stream(HELLO_TEXT, method=method)
            step = int(chunk * sr)
            lat: list[float] = []
            start = time.monotonic()
            for k, i in enumerate(range(0, len(x), step)):
                wait = start + (i + step) / sr - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                now = time.monotonic() - start
                lat += [now - f.time for f in s.push(x[i:i + step])]
            rows.append({"method": method, "background": s.background, "chunk": chunk,
                         "bound_ms": round((s.lookahead + s.hop + chunk) * 1000, 1),
                         "median_ms": round(float(np.median(lat)) * 1000, 1),
                         "p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1),
                         "max_ms": round(float(np.max(lat)) * 1000, 1)})
            s.close()
    return rows


def compute(threads: int) -> list[dict]:
    import torch

    from phoneme.audio import load_audio

    torch.set_num_threads(threads)
    x, sr = load_audio(HELLO)
    long = np.concatenate([x] * 5)
    text = " ".join([HELLO_TEXT] * 5)
    rows = []
    for method in ("prior", "learned"):
        for transcript in (text, None):
            for chunk in CHUNKS:
                s, frames, _ = _stream(long, sr, chunk, transcript=transcript, method=method)
                st = s.stats
                worker = float(np.sum(st.animate_seconds)) if s.background else 0.0
                rows.append({"method": method, "transcript": transcript is not None, "chunk_ms": chunk * 1000,
                             "hop_ms": round(s.hop * 1000, 1), "background": s.background,
                             "chunk": _ms(st.chunk_seconds), "window": _ms(st.animate_seconds),
                             "rtf": round((float(np.sum(st.chunk_seconds)) + st.update_seconds[-1] + worker)
                                          / (len(long) / sr), 4),
                             "frames": len(frames), "restarts_or_recoveries": getattr(s.decoder, "recoveries", 0)})
    return rows


def _inputs() -> list[tuple[str, Path, str]]:
    items = [("hello", HELLO, HELLO_TEXT)]
    for wav in sorted(LIBRIVOX.glob("*.wav")):
        items.append((wav.stem[-4:], wav, wav.with_suffix(".txt").read_text("utf-8").strip()))
    with open(VIDEO / "transcripts_asr.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    items += [(r[0], VIDEO / f"{r[0]}.wav", r[1]) for r in rows if r]
    return items


def curves(methods=("prior", "learned")) -> list[dict]:
    import kmtalk
    from kmtalk.train.metrics import lip_aperture, pearson
    from phoneme.audio import load_audio

    rig = kmtalk.default_rig()
    rows = []
    for name, wav, text in _inputs():
        x, sr = load_audio(wav)
        for method in methods:
            off = lip_aperture(kmtalk.animate(str(wav), text, method=method).weights, rig)
            row = {"input": name, "seconds": round(len(x) / sr, 2), "method": method}
            for lookahead in LOOKAHEADS:
                _, frames, _ = _stream(x, sr, 0.02, transcript=text, method=method, lookahead=lookahead)
                ours = lip_aperture(np.stack([f.weights for f in frames]), rig)
                row[f"r@{lookahead}"] = round(pearson(ours, off), 4)
            rows.append(row)
    return rows


def lipsync() -> list[dict]:
    import kmtalk
    from kmtalk.train.metrics import lipsync_score, weights_lipsync_score
    from phoneme.audio import load_audio

    rig = kmtalk.default_rig()
    rows = []
    for name, wav, text in _inputs():
        if not wav.is_relative_to(VIDEO):
            continue
        lm = np.load(VIDEO / f"{name}.landmarks.npz")
        ap, fps = np.asarray(lm["aperture"], np.float64), float(lm["fps"])
        x, sr = load_audio(wav)
        for method in ("prior", "learned"):
            for key, transcript in (("asr", text), ("free", None)):
                try:
                    off = kmtalk.animate(str(wav), transcript, method=method)
                except kmtalk.errors.KmtalkError as exc:  # reported, not fatal: the row says so
                    rows.append({"clip": name, "method": method, "text": key, "error": f"offline: {exc}"})
                    continue
                _, frames, _ = _stream(x, sr, 0.02, transcript=transcript, method=method)
                w = np.stack([f.weights for f in frames])
                rows.append({"clip": name, "method": method, "text": key,
                             "offline": round(lipsync_score(off, ap, fps, rig=rig), 4),
                             "streamed": round(weights_lipsync_score(w, 30.0, ap, fps, rig=rig), 4)})
    return rows


def _print(result: dict) -> None:
    if "latency" in result:
        print("\nLatency (audio heard when the frame came out − frame time), frames out before close():")
        print("rate   method   lookahead  chunk   hop     resampler  bound    median   max   (ms)")
        for r in result["latency"]:
            print(f"{r['rate']:<6} {r['method']:<8} {r['lookahead']:<10} {r['chunk']:<7} {r['hop']:<7} "
                  f"{r['resampler_ms']:<10} {r['bound_ms']:<8} {r['median_ms']:<8} {r['max_ms']}")
    if "compute" in result:
        print(f"\nCompute on {result['machine']}; torch threads {result['threads']}:")
        print("method   text  chunk  hop    worker  push() per chunk p50/p99/max ms   window p50/p99 ms   RTF")
        for r in result["compute"]:
            c, u = r["chunk"], r["window"]
            print(f"{r['method']:<8} {'yes' if r['transcript'] else 'no':<5} {r['chunk_ms']:<6g} {r['hop_ms']:<6} "
                  f"{'yes' if r['background'] else 'no':<7} {c['p50']:>7} {c['p99']:>7} {c['max']:>7}"
                  f"            {u['p50']:>7} {u['p99']:>7}      {r['rtf']}")
    if "realtime" in result:
        print("\nReal-time pace (chunks pushed as the audio plays): wall-clock latency, compute included:")
        print("method   worker  chunk  bound   median  p99     max   (ms)")
        for r in result["realtime"]:
            print(f"{r['method']:<8} {'yes' if r['background'] else 'no':<7} {r['chunk']:<6} {r['bound_ms']:<7} "
                  f"{r['median_ms']:<7} {r['p99_ms']:<7} {r['max_ms']}")
    if "curves" in result:
        print("\nStreamed vs offline lip aperture, Pearson r:")
        for method in ("prior", "learned"):
            rows = [r for r in result["curves"] if r["method"] == method]
            if not rows:
                continue
            for r in rows:
                print(f"  {method:<8} {r['input']:<40} " + " ".join(f"{r[f'r@{la}']:.3f}" for la in LOOKAHEADS))
            means = " ".join(f"{np.mean([r[f'r@{la}'] for r in rows]):.3f}" for la in LOOKAHEADS)
            mins = " ".join(f"{np.min([r[f'r@{la}'] for r in rows]):.3f}" for la in LOOKAHEADS)
            print(f"  {method:<8} {'MEAN (lookahead ' + ', '.join(map(str, LOOKAHEADS)) + ')':<40} {means}")
            print(f"  {method:<8} {'MIN':<40} {mins}")
    if "lipsync" in result:
        print("\nLip-sync on video-dev (mean r over 7 clips):")
        for method in ("prior", "learned"):
            for key in ("asr", "free"):
                rows = [r for r in result["lipsync"] if r["method"] == method and r["text"] == key]
                for r in rows:
                    if "error" in r:
                        print(f"  {method:<8} {key:<5} {r['clip']}: {r['error']}")
                rows = [r for r in rows if "error" not in r]
                off, st = np.mean([r["offline"] for r in rows]), np.mean([r["streamed"] for r in rows])
                print(f"  {method:<8} {key:<5} offline {off:.3f}  streamed {st:.3f}  diff {st - off:+.3f}   per clip: "
                      + " ".join(f"{r['offline']:.2f}/{r['streamed']:.2f}" for r in rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="latency,realtime,compute,curves,lipsync",
                    help="comma-separated parts: latency, realtime, compute, curves, lipsync")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the learned model (default 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import torch

    torch.set_num_threads(args.threads)
    parts = {p.strip() for p in args.only.split(",")}
    result: dict = {"machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start",
                    "threads": args.threads}
    t0 = time.perf_counter()
    for part, fn in (("latency", latency), ("realtime", realtime), ("compute", lambda: compute(args.threads)), ("curves", curves),
                     ("lipsync", lipsync)):
        if part in parts:
            result[part] = fn()
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["machine"] += f", {os.getloadavg()[0]:.2f} at end"
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        _print(result)
        print(f"\n({result['machine']}; {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
