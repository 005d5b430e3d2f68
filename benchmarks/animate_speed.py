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
* ``rss_base``: memory after imports and writing the input; ``rss_peak``: the
  process's peak.

Run::

    python benchmarks/animate_speed.py            # table (≈ 2 min)
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


def child(seconds: float, repeats: int) -> dict:
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

    phoneme.align = timed_align  # kmtalk.animate imports it from phoneme at call time
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
    cold, warm = runs[0], min(runs[1:]) if repeats else None

    def row(prefix: str, r: tuple[float, float] | None) -> dict:
        if r is None:
            return {}
        return {f"{prefix}_s": round(r[0], 3), f"{prefix}_s_per_s": round(r[0] / duration, 4),
                f"{prefix}_align_s": round(r[1], 3), f"{prefix}_animation_s": round(r[0] - r[1], 3)}

    return {"target_s": seconds, "audio_s": round(duration, 2), "words": len(words),
            "frames": int(anim.weights.shape[0]), "import_s": round(t_import, 2),
            **row("cold", cold), **row("warm", warm),
            "rss_base_mb": round(base, 1), "rss_peak_mb": round(_rss_mb(), 1),
            "alignment_issues": len(anim.meta.get("alignment_issues", []))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--repeats", type=int, default=2, help="warm runs per size (default 2)")
    ap.add_argument("--sizes", type=float, nargs="+", default=list(SIZES), help="target seconds (default 3 30 300)")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeats)))
        return 0
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--repeats", str(args.repeats)],
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
