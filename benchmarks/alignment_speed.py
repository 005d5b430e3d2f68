"""Alignment speed and memory: seconds of computation per second of audio, and peak memory.

Inputs of about 3 s, 30 s and 5 min are built by concatenating the real read
speech in ../shared/data/speech (LibriVox utterances and a LibriSpeech
utterance, cycled) with their transcripts. Each size runs in a fresh Python
process so that its peak resident memory (``resource.getrusage(...).ru_maxrss``,
which counts pocketsphinx's C allocations, unlike tracemalloc) is its own.

For each size it reports

* ``cold``: the first ``phoneme.align`` call in the process (loads CMUdict and
  the G2P model, builds the decoder) — what a one-shot CLI call pays;
* ``warm``: the best of the following calls on the same input;
* ``rss_base``: memory after imports and loading the audio; ``rss_peak``:
  the process's peak.

Run::

    python benchmarks/alignment_speed.py            # table
    python benchmarks/alignment_speed.py --json     # machine-readable

Target: warm ≤ 0.1 s of computation per second of audio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from _common import SPEECH  # $KMTALK_DATA, else ../shared/data

SIZES = (3.0, 30.0, 300.0)


def _sources() -> list[tuple[Path, Path]]:
    lib = SPEECH / "librivox"
    pairs = [(p, p.with_suffix(".txt")) for p in sorted(lib.glob("*.wav"))]
    pairs.append((SPEECH / "mfa_tests" / "61-70968-0000.flac", SPEECH / "mfa_tests" / "61-70968-0000.lab"))
    return pairs


def build_input(seconds: float):
    """Concatenate real utterances (cycling) until at least ``seconds`` of audio; return (samples, words)."""
    import numpy as np

    from phoneme import load_audio
    from phoneme.text import normalize_text

    pairs = _sources()
    if seconds <= 3.5:  # the one utterance of about 3 s
        pairs = [p for p in pairs if p[0].name.endswith("-0880.wav")]
    ys, words, total, i = [], [], 0.0, 0
    while total < seconds - 0.5 or not ys:
        wav, txt = pairs[i % len(pairs)]
        y, _ = load_audio(wav)
        ys.append(y)
        words += normalize_text(txt.read_text(encoding="utf-8"))
        total += len(y) / 16000
        i += 1
    return np.concatenate(ys), words


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child(seconds: float, repeats: int) -> dict:
    import phoneme
    from phoneme.aligners import PocketsphinxAligner

    samples, words = build_input(seconds)
    duration = len(samples) / 16000
    base = _rss_mb()
    t0 = time.perf_counter()
    first = phoneme.align((samples, 16000), " ".join(words))
    cold = time.perf_counter() - t0
    warm = []
    aligner = PocketsphinxAligner()
    for _ in range(repeats):
        t0 = time.perf_counter()
        aligner.align(samples, 16000, words)
        warm.append(time.perf_counter() - t0)
    return {
        "target_s": seconds,
        "audio_s": round(duration, 2),
        "words": len(words),
        "cold_s": round(cold, 3),
        "cold_s_per_s": round(cold / duration, 4),
        "warm_s": round(min(warm), 3) if warm else None,
        "warm_s_per_s": round(min(warm) / duration, 4) if warm else None,
        "rss_base_mb": round(base, 1),
        "rss_peak_mb": round(_rss_mb(), 1),
        "issues": len(first.issues),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--repeats", type=int, default=2, help="warm runs per size (default 2)")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeats)))
        return 0
    rows = []
    for size in SIZES:
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--repeats", str(args.repeats)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'audio':>8} {'words':>6} {'cold s':>8} {'cold s/s':>9} {'warm s':>8} {'warm s/s':>9} "
          f"{'RSS base':>9} {'RSS peak':>9} {'issues':>6}")
    for r in rows:
        print(f"{r['audio_s']:>7.1f}s {r['words']:>6} {r['cold_s']:>8.2f} {r['cold_s_per_s']:>9.3f} "
              f"{r['warm_s']:>8.2f} {r['warm_s_per_s']:>9.3f} {r['rss_base_mb']:>7.0f}MB "
              f"{r['rss_peak_mb']:>7.0f}MB {r['issues']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
