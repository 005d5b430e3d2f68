"""Learned-model inference speed: model time per second of audio (alignment excluded).

For each real utterance in ``../shared/data/speech`` (the five LibriVox lines and
MFA's 26.7 s ``acoustic_corpus``), the audio is aligned once with pocketsphinx
and its keys selected (not timed); then ``KMTalkModel.predict`` (resampling,
encoder, key network, windowed completion transformer, crossfade, clamp) is
timed: the first call (cold: one-off kernel set-up for new shapes) and the
median of ``--repeats`` warm calls. Also timed: ``predict_batch`` over all
utterances at once, and bf16 autocast. A GPU is used when present
(``--device auto``).

The weights do not change the speed; without ``--checkpoint`` a randomly
initialised model of the default configuration is timed.

Run: ``python benchmarks/model_speed.py [--checkpoint DIR] [--repeats 5] [--device auto] [--threads N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from _common import SPEECH  # $KMTALK_DATA, else ../shared/data

from completion.checkpoint import load_checkpoint
from completion.model import KMTalkConfig, KMTalkModel, PredictRequest
from phoneme import align, load_audio, select_keys


def utterances() -> list[tuple[str, np.ndarray, int, object, list]]:
    items = []
    for wav in sorted((SPEECH / "librivox").glob("*.wav")) + [SPEECH / "mfa_tests" / "acoustic_corpus.wav"]:
        text_file = wav.with_suffix(".txt") if wav.with_suffix(".txt").exists() else wav.with_suffix(".lab")
        samples, sr = load_audio(wav)
        alignment = align(wav, text_file.read_text())
        items.append((wav.stem, samples, sr, alignment, select_keys(alignment, 30)))
    return items


def timed(fn, repeats: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.checkpoint:
        model = load_checkpoint(args.checkpoint)
    else:
        torch.manual_seed(0)
        model = KMTalkModel(KMTalkConfig()).eval()
    n_params = model.n_parameters()
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    if args.device == "auto" and device == "auto":
        device = "cpu"
    print(f"model: {n_params:,} parameters ({4 * n_params / 1e6:.1f} MB float32); "
          f"window {model.config.window_s:g} s, overlap {model.config.overlap_s:g} s; device {device}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    items = utterances()
    total_audio = sum(len(s) / sr for _, s, sr, _, _ in items)
    total_warm = 0.0
    print(f"{'utterance':42s} {'audio s':>8s} {'cold s':>8s} {'warm s':>8s} {'warm s/s':>9s}")
    for name, samples, sr, alignment, keys in items:
        cold, warm = timed(lambda: model.predict(samples, sr, alignment, keys, fps=30, device=device),
                           args.repeats)
        dur = len(samples) / sr
        total_warm += warm
        print(f"{name:42s} {dur:8.2f} {cold:8.3f} {warm:8.4f} {warm / dur:9.4f}")
    print(f"{'all (sum of warm medians)':42s} {total_audio:8.2f} {'':8s} {total_warm:8.4f} "
          f"{total_warm / total_audio:9.4f}")
    reqs = [PredictRequest(s, sr, a, k, 30.0) for _, s, sr, a, k in items]
    _, batch = timed(lambda: model.predict_batch(reqs, device=device), args.repeats)
    print(f"predict_batch, all {len(reqs)} utterances at once: {batch:.4f} s "
          f"= {batch / total_audio:.4f} s per audio second ({total_audio / batch:.0f}x real time)")
    _, bf16 = timed(lambda: model.predict_batch(reqs, device=device, dtype="bf16"), args.repeats)
    print(f"predict_batch, bf16 autocast: {bf16:.4f} s = {bf16 / total_audio:.4f} s per audio second")


if __name__ == "__main__":
    main()
