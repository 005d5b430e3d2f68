"""Batch overhead of Ray against the local process pool, and the figures of a cost model for N machines.

Run: ``python benchmarks/batch_ray.py [--lines 100] [--cpus 2] [--method prior] [--no-thumbnails]``
(prints figures; nothing is asserted).

The lines are short slices of real speech: word-bounded spans of 1.0–2.5 s
cut from the five LibriVox utterances shipped in ``tests/data/speech`` (their
reference word alignments give the words), written as 16 kHz WAVs; the
manifest repeats the slices when it asks for more lines than there are. Each
line writes its ``.npz`` (and, by default, a thumbnail strip and the QC
player data, as ``kmtalk batch`` does). One invocation runs, into fresh folders:

1. local: ``run_batch(workers=CPUS)`` — the process pool;
2. Ray, cold: ``run_batch(executor="ray", workers=CPUS)`` — starts a private
   local Ray instance with CPUS CPUs, runs, shuts it down (all in the time);
3. Ray, warm: the same with Ray already started (``ray.init`` before the
   clock), so the difference from 2 is Ray's start and stop;

then checks that the three runs wrote the same bytes and prints the cost
model's constants from the Ray run's stats: per-line worker time, model and
lexicon load per worker, the driver's time per line, bytes shipped each way.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
LIBRIVOX = ROOT / "tests" / "data" / "speech" / "librivox"


def slices(min_s: float = 1.0, max_s: float = 2.5) -> list[tuple[str, np.ndarray, str]]:
    """Word-bounded spans of the LibriVox utterances: ``(name, samples at 16 kHz, words)``."""
    out = []
    for ref in sorted(LIBRIVOX.glob("*.json")):
        if ref.name.endswith(".phone.json"):
            continue
        samples, sr = sf.read(ref.with_suffix(".flac"), dtype="float32")
        assert sr == 16000
        words = [(w["b"], w["b"] + w["d"], re.sub(r"\(\d+\)$", "", w["t"]))
                 for w in json.loads(ref.read_text())["w"]]
        words = [w for w in words if w[2] not in ("<sil>", "<s>", "</s>")]
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                t0, t1 = words[i][0], words[j - 1][1]
                if min_s <= t1 - t0 <= max_s:
                    a, b = max(0, int((t0 - 0.05) * sr)), min(len(samples), int((t1 + 0.05) * sr))
                    out.append((f"{ref.stem[-4:]}_{i}_{j}", samples[a:b], " ".join(w[2] for w in words[i:j])))
    return out


def make_manifest(folder: Path, n: int) -> Path:
    spans = slices()
    # Spread the picks over all utterances and lengths, deterministically.
    picks = [spans[k] for k in np.linspace(0, len(spans) - 1, min(n, len(spans))).round().astype(int)]
    rows = [["id", "audio", "transcript"]]
    for name, audio, words in picks:
        sf.write(folder / f"{name}.wav", audio, 16000, subtype="PCM_16")
    for k in range(n):
        name, _, words = picks[k % len(picks)]
        rows.append([f"l{k:03d}", f"{name}.wav", words])
    manifest = folder / "lines.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    print(f"{n} lines from {len(picks)} distinct slices ({len(spans)} candidates); slice durations "
          f"{min(len(p[1]) for p in picks) / 16000:.2f}–{max(len(p[1]) for p in picks) / 16000:.2f} s, "
          f"mean {statistics.mean(len(p[1]) for p in picks) / 16000:.2f} s")
    return manifest


def outputs(folder: Path) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in sorted(folder.rglob("*"))
            if f.is_file() and not f.name.startswith("report") and "report_files" not in f.parts
            and not f.name.endswith(".kmtalk.json")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=100)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--method", default="prior", choices=("auto", "prior", "learned"))
    ap.add_argument("--no-thumbnails", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)

    import ray

    from kmtalk.dubbing.batch import run_batch

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared with other "
          f"jobs: figures are noisy), python {platform.python_version()}, ray {ray.__version__}")
    print(f"method {args.method}, thumbnails {'off' if args.no_thumbnails else 'on'}, {args.cpus} CPUs each run")
    tmp = Path(tempfile.mkdtemp(prefix="kmtalk-batch-ray-"))
    manifest = make_manifest(tmp, args.lines)
    common: dict[str, Any] = {"method": args.method, "thumbnails": not args.no_thumbnails, "workers": args.cpus}

    t = time.perf_counter()
    local = run_batch(manifest, out=tmp / "local", **common)
    t_local = time.perf_counter() - t

    t = time.perf_counter()
    cold = run_batch(manifest, out=tmp / "ray_cold", executor="ray", **common)
    t_cold = time.perf_counter() - t

    t = time.perf_counter()
    ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, logging_level=logging.ERROR)
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    warm = run_batch(manifest, out=tmp / "ray_warm", executor="ray", **common)
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    ray.shutdown()
    t_down = time.perf_counter() - t

    for name, res in (("local", local), ("ray cold", cold), ("ray warm", warm)):
        counts = {s: res.count(s) for s in ("done", "failed")}
        assert counts["done"] == args.lines, (name, counts, [r.message for r in res.failed][:3])
    a, b, c = outputs(tmp / "local"), outputs(tmp / "ray_cold"), outputs(tmp / "ray_warm")
    same = sorted(a) == sorted(b) == sorted(c) and all(a[k] == b[k] == c[k] for k in a)
    print(f"files written: {len(a)} per run; byte-identical across the three runs: {same}")

    n = args.lines
    print(f"\nwall time, {n} lines, {args.cpus} CPUs:")
    print(f"  local process pool (--workers {args.cpus}) {t_local:7.1f} s  {n / t_local:5.2f} lines/s")
    print(f"  Ray, cold (start + run + stop)       {t_cold:7.1f} s  {n / t_cold:5.2f} lines/s  "
          f"ratio to local {t_cold / t_local:.2f}")
    print(f"  Ray, warm (cluster already up)       {t_warm:7.1f} s  {n / t_warm:5.2f} lines/s  "
          f"ratio to local {t_warm / t_local:.2f}")
    print(f"  Ray start {t_init:.1f} s (ray.init), stop {t_down:.1f} s; connect inside the cold run "
          f"{cold.stats['connect_seconds']:.1f} s")

    for label, st in (("cold", cold.stats), ("warm", warm.stats)):
        made = st["lines_made"]
        loads = list(st["load_seconds"].values())
        firsts = list(st["first_line_seconds"].values())
        steady = (st["worker_seconds"] - sum(firsts)) / max(1, made - len(firsts))
        print(f"\ncost model constants (Ray {label} run, {made} lines on {st['workers']} worker processes):")
        print(f"  worker time per line, steady state       {steady * 1000:7.0f} ms")
        print(f"  first line of a worker (loading incl.)    {statistics.mean(firsts) * 1000:7.0f} ms  "
              f"(per worker: {', '.join(f'{s:.2f}' for s in firsts)} s)")
        print(f"  of which lexicon + model load (warm())    {statistics.mean(loads) * 1000:7.0f} ms")
        print(f"  driver time per line (plan, ship, write)  {st['driver_seconds'] / n * 1000:7.1f} ms  "
              f"=> one driver feeds at most {n / max(st['driver_seconds'], 1e-9):.0f} lines/s")
        print(f"  bytes per line to workers                 {st['bytes_to_workers'] / made / 1024:7.1f} KiB")
        print(f"  bytes per line back to the driver         {st['bytes_from_workers'] / made / 1024:7.1f} KiB")
    local_seconds = [r.seconds for r in local.lines]
    print(f"\nlocal pool: per-line seconds in its workers, median {statistics.median(local_seconds) * 1000:.0f} ms, "
          f"max {max(local_seconds):.2f} s (the first lines of each worker carry its loading)")
    print(f"\nfolder: {tmp}  (delete when done)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
