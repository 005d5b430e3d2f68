"""Lip-sync on real video (prior): the lip-sync score of ``kmtalk.animate`` on every clip of ../shared/data/video-dev.

The score (../shared/data/README.md, :func:`kmtalk.train.metrics.lipsync_score`):
the animation's inner-lip gap (rig landmarks ``upper_lip_inner`` /
``lower_lip_inner``, over the outer-eye-corner distance, x and y only) is
resampled to the video's frame times ``i / fps`` and correlated (Pearson r)
with the tracked ``aperture`` over the frames where both exist. Per clip, and
the mean over the 7 clips, for

(a) ``kmtalk.animate(wav, asr_transcript)`` — the approximate ASR transcripts of
    ``transcripts_asr.tsv``;
(b) ``kmtalk.animate(wav)`` — transcript-free (pocketsphinx recognises the speech);
(c) the **loudness-only baseline**: :func:`kmtalk.train.metrics.loudness_lipsync_score`
    — the RMS of the 16 kHz audio in a 40 ms rectangular window centred on
    each video frame time, in dBFS (floored at −120 dB), correlated with the
    aperture the same way (no lag, no further smoothing).

Diagnostics (not the score): the best r within ±400 ms of shift
(:func:`kmtalk.train.metrics.best_lag`; a positive lag means the animation's events
come after the video's), the baseline with other windows and a 300–3000 Hz
band, the mean z-scored aperture per viseme (video vs ours, at phone midpoints
of the ASR alignment), and with ``--ceiling`` an upper bound for any
per-viseme pose table: a least-squares fit of the video aperture on the
smoothed viseme timeline (in-sample and leave-one-clip-out).

Run::

    python benchmarks/lipsync.py                 # table (≈ 30 s)
    python benchmarks/lipsync.py --ceiling       # + the viseme-timeline ceiling
    python benchmarks/lipsync.py --json          # machine-readable
    python benchmarks/lipsync.py --lexicon my.json   # score other poses / coarticulation settings
    python benchmarks/lipsync.py --maxhmmpf 2000     # transcript-free with another recogniser search cap

Target (issue 4): mean r ≥ 0.7.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from _common import VIDEO_DEV as VIDEO  # $KMTALK_DATA, else ../shared/data

MAX_LAG = 0.4
BASELINE_VARIANTS = (("rms 25 ms", 0.025, None), ("rms 100 ms", 0.1, None), ("rms 200 ms", 0.2, None),
                     ("rms 40 ms, 300-3000 Hz", 0.04, (300.0, 3000.0)))


def clips() -> list[tuple[str, str]]:
    """(name, approximate ASR transcript) for every clip, in the order of ``transcripts_asr.tsv``."""
    with open(VIDEO / "transcripts_asr.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return [(r[0], r[1]) for r in rows[1:] if r]


def _bandpass(x: np.ndarray, sr: int, lo: float, hi: float) -> np.ndarray:
    spec = np.fft.rfft(x.astype(np.float64))
    f = np.fft.rfftfreq(x.size, 1.0 / sr)
    spec[(f < lo) | (f > hi)] = 0.0
    return np.fft.irfft(spec, x.size)


def _z(x: np.ndarray) -> np.ndarray:
    return (x - np.nanmean(x)) / np.nanstd(x)


def _viseme_timeline(phones, lexicon, visemes, times: np.ndarray, sigma: float) -> np.ndarray:
    """One-hot viseme per 10 ms frame (silence included), Gaussian-smoothed, read at ``times``: [F, 15]."""
    from kmtalk.animator.prior.coarticulation import gaussian_smooth

    rate = 100.0
    n = int(np.ceil(max(times.max(), phones[-1].end) * rate)) + 2
    x = np.zeros((n, len(visemes)))
    for p in phones:
        v = "sil" if p.is_silence else lexicon.viseme(p.label)
        a = round(p.start * rate)
        x[a:max(round(p.end * rate), a + 1), visemes.index(v)] = 1.0
    grid = np.arange(n) / rate
    return np.stack([np.interp(times, grid, gaussian_smooth(x[:, i], sigma * rate)) for i in range(x.shape[1])], 1)


def ceiling(per_clip: list[dict], sigma: float = 0.08) -> dict:
    """Least-squares fit of the z-scored video aperture on the smoothed viseme timeline (ASR alignment)."""
    from phoneme.lexicon import VISEMES, load_lexicon

    lex = load_lexicon()
    xs, ys = [], []
    for c in per_clip:
        ok = np.isfinite(c["_ap"])
        xs.append(_viseme_timeline(c["_phones"], lex, VISEMES, c["_times"], sigma)[ok])
        ys.append(_z(c["_ap"])[ok])
    from kmtalk.train.metrics import pearson

    coef, *_ = np.linalg.lstsq(np.concatenate(xs), np.concatenate(ys), rcond=None)
    r_in = [pearson(x @ coef, y) for x, y in zip(xs, ys)]
    r_loo = []
    for i in range(len(xs)):
        c_i, *_ = np.linalg.lstsq(np.concatenate(xs[:i] + xs[i + 1:]), np.concatenate(ys[:i] + ys[i + 1:]),
                                  rcond=None)
        r_loo.append(pearson(xs[i] @ c_i, ys[i]))
    return {"sigma_s": sigma, "in_sample": [round(r, 3) for r in r_in], "in_sample_mean": round(float(np.mean(r_in)), 3),
            "leave_one_clip_out": [round(r, 3) for r in r_loo], "loo_mean": round(float(np.mean(r_loo)), 3),
            "coefficients": {v: round(float(c), 2) for v, c in zip(VISEMES, coef)}}


def run_clip(name: str, text: str, rig, lexicon: str | None = None, method: str = "prior") -> dict:
    import kmtalk
    from kmtalk.train.metrics import (
        best_lag,
        lip_aperture,
        lipsync_score,
        loudness_lipsync_score,
        pearson,
    )
    from phoneme.audio import load_audio
    from phoneme.loudness import frame_loudness

    wav = VIDEO / f"{name}.wav"
    lm = np.load(VIDEO / f"{name}.landmarks.npz")
    ap, fps = np.asarray(lm["aperture"], np.float64), float(lm["fps"])
    samples, sr = load_audio(wav)
    out: dict = {"clip": name, "video_fps": round(fps, 3), "frames": len(ap), "audio_s": round(samples.size / sr, 2)}
    anims = {}
    for key, transcript in (("asr", text), ("free", None)):
        t0 = time.perf_counter()
        anim = kmtalk.animate(str(wav), transcript, lexicon=lexicon, method=method)
        out[f"{key}_animate_s"] = round(time.perf_counter() - t0, 2)
        anims[key] = anim
        out[f"r_{key}"] = round(lipsync_score(anim, ap, fps, rig=rig), 4)
        r, lag = best_lag(lip_aperture(anim.weights, rig), anim.fps, ap, fps, max_lag=MAX_LAG)
        out[f"bestlag_r_{key}"], out[f"bestlag_ms_{key}"] = round(r, 4), round(lag * 1000)
    out["recognised"] = anims["free"].meta.get("recognised")
    out["r_loudness"] = round(loudness_lipsync_score(samples, sr, ap, fps), 4)
    loud100 = frame_loudness(samples, sr, 100.0, window=0.04)
    r, lag = best_lag(loud100, 100.0, ap, fps, max_lag=MAX_LAG)
    out["bestlag_r_loudness"], out["bestlag_ms_loudness"] = round(r, 4), round(lag * 1000)
    out["loudness_variants"] = {}
    for label, window, band in BASELINE_VARIANTS:
        x = samples if band is None else _bandpass(samples, sr, *band)
        out["loudness_variants"][label] = round(pearson(frame_loudness(x, sr, fps, n_frames=len(ap), window=window),
                                                        ap), 4)
    # For the per-viseme diagnostic and the ceiling (dropped from the JSON).
    out["_ap"], out["_times"] = ap, np.arange(len(ap)) / fps
    out["_phones"] = anims["asr"].phones
    out["_ours"] = lip_aperture(anims["asr"].weights, rig)
    out["_fps"] = anims["asr"].fps
    return out


def viseme_table(per_clip: list[dict]) -> dict:
    """Mean z-scored aperture at phone midpoints per viseme, video vs ours (ASR alignment, pooled)."""
    from phoneme.lexicon import load_lexicon

    lex = load_lexicon()
    acc: dict[str, list[tuple[float, float]]] = {}
    for c in per_clip:
        zv, zo = _z(c["_ap"]), _z(c["_ours"])
        grid = np.arange(len(zo)) / c["_fps"]
        for p in c["_phones"]:
            mid = 0.5 * (p.start + p.end)
            v = "sil" if p.is_silence else lex.viseme(p.label)
            acc.setdefault(v, []).append((float(np.interp(mid, c["_times"], zv)), float(np.interp(mid, grid, zo))))
    return {v: {"n": len(x), "video_z": round(float(np.nanmean([a for a, _ in x])), 2),
                "ours_z": round(float(np.nanmean([b for _, b in x])), 2)}
            for v, x in sorted(acc.items(), key=lambda kv: np.nanmean([a for a, _ in kv[1]]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--ceiling", action="store_true", help="also fit the viseme-timeline ceiling")
    ap.add_argument("--lexicon", help="animate with this lexicon JSON instead of the bundled one (to compare poses)")
    ap.add_argument("--method", default="prior", choices=("prior", "auto"),
                    help="prior (default) or auto (the shipped model: fine-tuned on these very clips, so in-sample; "
                         "benchmarks/video_finetune.py gives the held-out figure)")
    ap.add_argument("--maxhmmpf", type=int,
                    help="the recogniser's active-HMM cap for the transcript-free column (default: phoneme.recognize's)")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import kmtalk
    import phoneme.recognize as recognizer

    if args.maxhmmpf is not None:
        recognizer.DECODER_OPTIONS["maxhmmpf"] = args.maxhmmpf

    rig = kmtalk.default_rig()
    t0 = time.perf_counter()
    per_clip = [run_clip(name, text, rig, args.lexicon, args.method) for name, text in clips()]
    result = {
        "lexicon": args.lexicon or "bundled",
        "clips": [{k: v for k, v in c.items() if not k.startswith("_")} for c in per_clip],
        "mean": {k: round(float(np.mean([c[k] for c in per_clip])), 4)
                 for k in ("r_asr", "r_free", "r_loudness", "bestlag_r_asr", "bestlag_r_free", "bestlag_r_loudness")},
        "mean_loudness_variants": {label: round(float(np.mean([c["loudness_variants"][label] for c in per_clip])), 4)
                                   for label, *_ in BASELINE_VARIANTS},
        "viseme_aperture_z": viseme_table(per_clip),
    }
    if args.ceiling:
        result["ceiling"] = ceiling(per_clip)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    if args.lexicon:
        print(f"lexicon: {args.lexicon}")
    print("Lip-sync score (Pearson r, lag 0) and best-lag diagnostic (r @ lag ms; + = ours later than video)")
    print(f"{'clip':38s} {'fps':>6} {'ASR text':>8} {'no text':>8} {'loudness':>8} │ "
          f"{'ASR best-lag':>14} {'no-text best-lag':>16} {'loud best-lag':>14}")
    for c in per_clip:
        print(f"{c['clip']:38s} {c['video_fps']:6.2f} {c['r_asr']:8.3f} {c['r_free']:8.3f} {c['r_loudness']:8.3f} │ "
              f"{c['bestlag_r_asr']:6.3f} @{c['bestlag_ms_asr']:+5d} {c['bestlag_r_free']:8.3f} @{c['bestlag_ms_free']:+5d} "
              f"{c['bestlag_r_loudness']:6.3f} @{c['bestlag_ms_loudness']:+5d}")
    m = result["mean"]
    print(f"{'MEAN':38s} {'':6s} {m['r_asr']:8.3f} {m['r_free']:8.3f} {m['r_loudness']:8.3f} │ "
          f"{m['bestlag_r_asr']:6.3f} {'':6s} {m['bestlag_r_free']:8.3f} {'':6s} {m['bestlag_r_loudness']:6.3f}")
    print("\nLoudness baseline variants (lag 0), mean r: "
          + "; ".join(f"{k}: {v:.3f}" for k, v in result["mean_loudness_variants"].items()))
    print("\nMean z-scored aperture at phone midpoints per viseme (ASR alignment, all clips): video / ours (n)")
    print("  " + "  ".join(f"{v}: {x['video_z']:+.2f}/{x['ours_z']:+.2f} ({x['n']})"
                           for v, x in result["viseme_aperture_z"].items()))
    if args.ceiling:
        c = result["ceiling"]
        print(f"\nViseme-timeline ceiling (least squares, sigma {c['sigma_s']} s): in-sample mean {c['in_sample_mean']:.3f} "
              f"{c['in_sample']}; leave-one-clip-out mean {c['loo_mean']:.3f} {c['leave_one_clip_out']}")
    print(f"\n({result['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
