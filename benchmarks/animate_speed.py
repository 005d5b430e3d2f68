"""animate speed: end-to-end ``kmtalk.animate`` seconds per second of audio, alignment included, and peak memory.

Inputs of about 3 s, 30 s and 5 min are real read speech from
../shared/data/speech with their transcripts, concatenated as in
``benchmarks/alignment_speed.py`` (its ``build_input`` is reused) and written
to a 16 kHz WAV, so each call starts from a file path and a transcript string,
as the CLI does. Each size runs in a fresh Python process so that its peak
resident memory (``resource.getrusage(...).ru_maxrss``) is its own.

For each size:

* ``import``: ``import kmtalk`` in the fresh process;
* ``cold``: the first ``kmtalk.animate(wav, text)`` in the process (loads
  CMUdict, the G2P model, the lexicon, builds the decoder) — what a one-shot
  CLI call pays after its imports;
* ``warm``: the best of the following calls on the same input;
* each split into **alignment** (time spent inside ``phoneme.align``, measured
  by wrapping it) and **animation** (the rest: audio loading, loudness, key
  selection, coarticulation, locks);
* ``free``: then one transcript-free call, ``kmtalk.animate(wav)`` (warm
  dictionaries), split into **recognition** (inside
  ``phoneme.recognize.recognize``), alignment and animation (``--no-free``
  skips it);
* ``rss_base``: memory after imports and writing the input; ``rss_peak``: the
  process's peak (the transcript-free call included).

Run::

    python benchmarks/animate_speed.py            # table (≈ 3 min)
    python benchmarks/animate_speed.py --json

Target (issue 4): ≤ 0.1 s of computation per second of audio, alignment included.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (3.0, 30.0, 300.0)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child(seconds: float, repeats: int, free: bool = True) -> dict:
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    t0 = time.perf_counter()
    import kmtalk
    import phoneme

    t_import = time.perf_counter() - t0
    import soundfile
    from alignment_speed import build_input

    samples, words = build_input(seconds)
    text = " ".join(words)
    duration = samples.size / 16000
    spent = {"align": 0.0}
    real_align = phoneme.align

    def timed_align(*args, **kwargs):
        s = time.perf_counter()
        try:
            return real_align(*args, **kwargs)
        finally:
            spent["align"] += time.perf_counter() - s

    import phoneme.recognize as recognize_module

    real_recognize = recognize_module.recognize
    spent["recognize"] = 0.0

    def timed_recognize(*args, **kwargs):
        s = time.perf_counter()
        try:
            return real_recognize(*args, **kwargs)
        finally:
            spent["recognize"] += time.perf_counter() - s

    phoneme.align = timed_align  # kmtalk.animate imports both at call time
    recognize_module.recognize = timed_recognize
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "input.wav"
        soundfile.write(wav, samples, 16000, subtype="PCM_16")
        base = _rss_mb()
        runs = []
        for _ in range(1 + repeats):
            spent["align"] = 0.0
            s = time.perf_counter()
            anim = kmtalk.animate(str(wav), text)
            total = time.perf_counter() - s
            runs.append((total, spent["align"]))
        free_row = {}
        if free:
            spent["align"] = spent["recognize"] = 0.0
            s = time.perf_counter()
            heard = kmtalk.animate(str(wav))
            total = time.perf_counter() - s
            free_row = {"free_s": round(total, 3), "free_s_per_s": round(total / duration, 4),
                        "free_recognize_s": round(spent["recognize"], 3), "free_align_s": round(spent["align"], 3),
                        "free_animation_s": round(total - spent["recognize"] - spent["align"], 3),
                        "free_words": len(heard.meta.get("recognised", "").split())}
    cold, warm = runs[0], min(runs[1:]) if repeats else None

    def row(prefix: str, r: tuple[float, float] | None) -> dict:
        if r is None:
            return {}
        return {f"{prefix}_s": round(r[0], 3), f"{prefix}_s_per_s": round(r[0] / duration, 4),
                f"{prefix}_align_s": round(r[1], 3), f"{prefix}_animation_s": round(r[0] - r[1], 3)}

    return {"target_s": seconds, "audio_s": round(duration, 2), "words": len(words),
            "frames": int(anim.weights.shape[0]), "import_s": round(t_import, 2),
            **row("cold", cold), **row("warm", warm), **free_row,
            "rss_base_mb": round(base, 1), "rss_peak_mb": round(_rss_mb(), 1),
            "alignment_issues": len(anim.meta.get("alignment_issues", []))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--repeats", type=int, default=2, help="warm runs per size (default 2)")
    ap.add_argument("--sizes", type=float, nargs="+", default=list(SIZES), help="target seconds (default 3 30 300)")
    ap.add_argument("--no-free", action="store_true", help="skip the transcript-free call")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeats, not args.no_free)))
        return 0
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(size), "--repeats", str(args.repeats)]
        out = subprocess.run(cmd + (["--no-free"] if args.no_free else []),
                             capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'audio':>7} {'words':>5} {'import':>6} │ {'cold':>6} {'align':>6} {'anim':>6} {'s/s':>6} │ "
          f"{'warm':>6} {'align':>6} {'anim':>6} {'s/s':>6} │ {'RSS base':>8} {'RSS peak':>8}")
    for r in rows:
        print(f"{r['audio_s']:6.1f}s {r['words']:5d} {r['import_s']:5.2f}s │ {r['cold_s']:6.2f} {r['cold_align_s']:6.2f} "
              f"{r['cold_animation_s']:6.3f} {r['cold_s_per_s']:6.3f} │ {r['warm_s']:6.2f} {r['warm_align_s']:6.2f} "
              f"{r['warm_animation_s']:6.3f} {r['warm_s_per_s']:6.3f} │ {r['rss_base_mb']:6.0f}MB {r['rss_peak_mb']:6.0f}MB")
    if any("free_s" in r for r in rows):
        print("\ntranscript-free (kmtalk.animate(wav), dictionaries warm)")
        print(f"{'audio':>7} {'total':>7} {'recognise':>9} {'align':>6} {'anim':>6} {'s/s':>6} {'words heard':>11}")
        for r in rows:
            if "free_s" in r:
                print(f"{r['audio_s']:6.1f}s {r['free_s']:7.2f} {r['free_recognize_s']:9.2f} {r['free_align_s']:6.2f} "
                      f"{r['free_animation_s']:6.3f} {r['free_s_per_s']:6.3f} {r['free_words']:>5d}/{r['words']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
