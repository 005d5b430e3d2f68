"""Transcript-free recognition: pocketsphinx search settings against speed and words recognised.

Decodes the 30 s (or ``--seconds``) read-speech input of ``benchmarks/alignment_speed.py``
with ``phoneme.recognize``'s decoder settings and variants of ``maxhmmpf`` (active HMMs per
frame), and reports seconds per audio second (best of 2) and the share of reference words
recognised in order (longest common subsequence / reference length).

Run::

    python benchmarks/recognizer_speed.py              # ≈ 1 min
    python benchmarks/recognizer_speed.py --seconds 300
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def recall(hyp: list[str], ref: list[str]) -> float:
    """Share of ``ref`` found in order in ``hyp``."""
    dp = np.zeros((len(ref) + 1, len(hyp) + 1), int)
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            dp[i, j] = dp[i - 1, j - 1] + 1 if ref[i - 1] == hyp[j - 1] else max(dp[i - 1, j], dp[i, j - 1])
    return float(dp[-1, -1] / max(len(ref), 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    from alignment_speed import build_input
    from pocketsphinx import Decoder

    from phoneme.recognize import DECODER_OPTIONS

    samples, words = build_input(args.seconds)
    ref = [re.sub(r"[^a-z']", "", w.lower()) for w in words]
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    dur = samples.size / 16000
    print(f"{dur:.1f} s of audio, {len(ref)} reference words; phoneme.recognize uses {DECODER_OPTIONS}")
    for hmm in (30000, 10000, 5000, 3000, 2000):
        opts = {**DECODER_OPTIONS, "maxhmmpf": hmm}
        d = Decoder(samprate=16000, loglevel="FATAL", **opts)
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            d.reinit_feat()
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            best = min(best, time.perf_counter() - t)
        hyp = [s.word.split("(")[0].lower() for s in d.seg() if not s.word.startswith(("<", "["))]
        print(f"maxhmmpf {hmm:>5}: {best / dur:.3f} s/s, words recognised {recall(hyp, ref):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
