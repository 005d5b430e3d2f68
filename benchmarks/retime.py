"""Re-timing: how far from the right moment does ``kmtalk.retime`` put a carried lock?

Synthetic pairs: espeak-ng (:func:`phoneme.espeak.synthesize`, 16 kHz)
speaks each of the 30 benchmark sentences (``benchmarks/alignment_accuracy.py``)
once as the *source* take (en-us, 150 wpm, 0.3 s of silence before) and
four times as *dubs* in other voices, rates and lead-in silences:

* ``en-gb+f3``, 215 wpm, 0.8 s lead-in (faster, late start);
* ``en-us-nyc``, 120 wpm, 0.1 s lead-in (slower, early start);
* ``en-gb-x-rp``, 175 wpm, 0.5 s lead-in (another accent: some phones differ);
* ``en-us+m3``, 165 wpm, 0.4 s lead-in, with a pause after the middle word
  (a comma in the text espeak speaks; the transcript given to retime has none).

The source is animated (``kmtalk.animate``, pocketsphinx alignment) with one
lock per spoken word, at a relative position 0.25, 0.5 or 0.75 of the word
(by the gold timing; cycling over the words), then re-timed to each dub
(``kmtalk.retime``, which aligns the dub with pocketsphinx).

**Gold position** of a lock: its source time's relative position inside its
word in the gold source timing (espeak's events), carried to the same word of
the dub's gold timing (words paired by label). **Error**: the placed time
(``target_frame / fps``; and before rounding to a frame) minus the gold
position, in milliseconds. Also counted: locks placed inside the right gold
word, unplaced locks, and frames wrongly detected as hand-edited.

Rows:

* ``retime``: the real path (pocketsphinx on both takes);
* ``retime, gold alignments``: both animations made from espeak's gold
  alignment — the error of the placement rule itself (it keeps the position
  inside the *phone*, the gold keeps it inside the *word*), plus frame rounding;
* ``stretch (file)``: the naive baseline, ``t × D_dub / D_source``;
* ``stretch (speech span)``: a linear map of the first-to-last phone span.

Also measured on the source animations: :func:`kmtalk.dubbing.qc.av_offset` (QC's
audio–visual offset), as is and with the lip aperture shifted by ±2, 4, 6
frames (the estimated change should equal the shift).

Run from the repository root::

    python benchmarks/retime.py            # 30 sentences x 4 dubs (about half a minute)
    python benchmarks/retime.py --quick    # 8 sentences
    python benchmarks/retime.py --json results.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import norm_word
from benchmarks.alignment_accuracy import SENTENCES

FPS = 30.0
SOURCE = ("en-us", 150, 0.3, False)
# (voice, words per minute, lead-in silence, a pause inserted mid-sentence)
DUBS = [("en-gb+f3", 215, 0.8, False), ("en-us-nyc", 120, 0.1, False), ("en-gb-x-rp", 175, 0.5, False),
        ("en-us+m3", 165, 0.4, True)]
POSITIONS = (0.25, 0.5, 0.75)
PAD_AFTER = 0.3


def take(text: str, voice: str, rate: int, lead: float, pause: bool = False):
    """espeak-ng speaking ``text``; with ``pause``, a comma after the middle word makes it pause there."""
    from phoneme.espeak import synthesize

    if pause:
        words = text.split()
        words[len(words) // 2 - 1] += ","
        text = " ".join(words)
    return synthesize(text, voice=voice, rate=rate, sample_rate=16000).padded(lead, PAD_AFTER)


def gold_words(syn) -> list[tuple[str, float, float]]:
    return [(norm_word(w.label), w.start, w.end) for w in syn.words]


def word_pairs(a: list[tuple[str, float, float]], b: list[tuple[str, float, float]]) -> dict[int, int]:
    sm = difflib.SequenceMatcher(None, [w[0] for w in a], [w[0] for w in b], autojunk=False)
    return {i + k: j + k for i, j, n in sm.get_matching_blocks() for k in range(n)}


def summary(errors_ms: list[float]) -> dict[str, float]:
    e = np.abs(np.asarray(errors_ms, float))
    if e.size == 0:
        return {"n": 0}
    return {"n": int(e.size), "median": float(np.median(e)), "mean": float(e.mean()),
            "p90": float(np.percentile(e, 90)), "max": float(e.max()),
            "within_frame": float(np.mean(e <= 1000.0 / FPS / 2 + 1e-9)),
            "within_33ms": float(np.mean(e <= 1000.0 / FPS + 1e-9))}


SHIFTS = (-6, -4, -2, 2, 4, 6)  # frames the picture is moved for the A/V offset check


def av_offsets(anim, audio) -> tuple[float, list[float]]:
    """QC's A/V offset of an animation, and the errors of its estimate when the picture is shifted."""
    from kmtalk.dubbing.qc import av_offset
    from kmtalk.train.metrics import lip_aperture

    ap = lip_aperture(anim.weights, anim.get_rig())
    base, _ = av_offset(ap, anim.fps, *audio)
    errors = []
    for k in SHIFTS:
        shifted = np.concatenate([np.repeat(ap[:1], k), ap[:-k]]) if k > 0 else \
            np.concatenate([ap[-k:], np.repeat(ap[-1:], -k)])
        off, _ = av_offset(shifted, anim.fps, *audio)
        errors.append((off - base) - 1000 * k / anim.fps)
    return base, errors


def run(sentences: list[str]) -> dict:
    import kmtalk
    from kmtalk.dubbing.retime import retime

    by_dub: dict[str, list[list[float]]] = {}
    rows: dict[str, dict[str, list]] = {name: {"err": [], "err_exact": [], "inside": []}
                                        for name in ("retime", "retime, gold alignments",
                                                     "stretch (file)", "stretch (speech span)")}
    unplaced = {"retime": 0, "retime, gold alignments": 0}
    false_edits = 0
    reasons: dict[str, int] = {}
    av: dict[str, list[float]] = {"base": [], "shift_err": []}
    methods: dict[str, int] = {}
    n_pairs = 0
    t_retime = []
    for text in sentences:
        src = take(text, *SOURCE)
        audio_src = (src.samples, src.sample_rate)
        gs = gold_words(src)
        # one lock per gold word, cycling the relative position
        locks: dict[int, dict[str, float]] = {}
        lock_word: dict[int, int] = {}
        for i, (_, s, e) in enumerate(gs):
            f = round((s + POSITIONS[i % 3] * (e - s)) * FPS)
            if f not in locks:
                locks[f] = {"mouthSmileLeft": 0.3 + 0.05 * (i % 5)}
                lock_word[f] = i
        anim_ps = kmtalk.animate(audio_src, text, fps=FPS, locks=locks)
        av_base, av_err = av_offsets(anim_ps, audio_src)
        av["base"].append(av_base)
        av["shift_err"] += av_err
        anim_gold = kmtalk.animate(audio_src, text, fps=FPS, locks=locks, alignment=src.to_alignment())
        span_src = (min(s for _, s, _ in gs), max(e for _, _, e in gs))
        for d, (voice, rate, lead, pause) in enumerate(DUBS):
            dub = take(text, voice, rate, lead, pause)
            gd = gold_words(dub)
            pairs = word_pairs(gs, gd)
            audio_dub = (dub.samples, dub.sample_rate)
            n_pairs += 1
            span_dub = (min(s for _, s, _ in gd), max(e for _, _, e in gd))
            t0 = time.perf_counter()
            new_ps = retime(anim_ps, audio_dub, text)
            t_retime.append(time.perf_counter() - t0)
            new_gold = retime(anim_gold, audio_dub, text, alignment=dub.to_alignment())
            false_edits += len(new_ps.meta["retime"]["edited_frames"])
            for name, new in (("retime", new_ps), ("retime, gold alignments", new_gold)):
                unplaced[name] += len(new.meta["retime"]["unplaced"])
                for u in new.meta["retime"]["unplaced"]:
                    why = "aligner found no time for the word" if "no time" in u["reason"] else u["reason"]
                    reasons[why] = reasons.get(why, 0) + (name == "retime")
                for rec in new.meta["retime"]["placed"]:
                    methods[rec["method"]] = methods.get(rec["method"], 0) + (name == "retime")
                    wi = lock_word[rec["source_frame"]]
                    if wi not in pairs:
                        continue
                    t_s = rec["source_frame"] / FPS
                    _, s, e = gs[wi]
                    _, s2, e2 = gd[pairs[wi]]
                    gold = s2 + (t_s - s) / (e - s) * (e2 - s2)
                    placed = rec["target_frame"] / FPS
                    rows[name]["err"].append(1000 * (placed - gold))
                    by_dub.setdefault(name, [[] for _ in DUBS])[d].append(1000 * (placed - gold))
                    rows[name]["err_exact"].append(1000 * (rec["target_time"] - gold))
                    rows[name]["inside"].append(s2 - 1e-6 <= placed <= e2 + 1e-6)
            for f, wi in lock_word.items():
                if wi not in pairs:
                    continue
                t_s = f / FPS
                _, s, e = gs[wi]
                _, s2, e2 = gd[pairs[wi]]
                gold = s2 + (t_s - s) / (e - s) * (e2 - s2)
                for name, t in (("stretch (file)", t_s * dub.duration / src.duration),
                                ("stretch (speech span)", span_dub[0] + (t_s - span_src[0])
                                 * (span_dub[1] - span_dub[0]) / (span_src[1] - span_src[0]))):
                    placed = min(round(t * FPS), round(dub.duration * FPS) - 1) / FPS
                    rows[name]["err"].append(1000 * (placed - gold))
                    by_dub.setdefault(name, [[] for _ in DUBS])[d].append(1000 * (placed - gold))
                    rows[name]["err_exact"].append(1000 * (t - gold))
                    rows[name]["inside"].append(s2 - 1e-6 <= placed <= e2 + 1e-6)
    out = {"pairs": n_pairs, "sentences": len(sentences), "fps": FPS, "rows": {}, "methods": methods,
           "false_edit_frames": false_edits, "unplaced_reasons": reasons,
           "av_offset_ms": {"base_median": float(np.median(av["base"])), "base_min": float(np.min(av["base"])),
                            "base_max": float(np.max(av["base"])),
                            "shift_error_median": float(np.median(np.abs(av["shift_err"]))),
                            "shift_error_max": float(np.max(np.abs(av["shift_err"]))),
                            "shift_error_within_20ms": float(np.mean(np.abs(av["shift_err"]) <= 20.0)),
                            "n_shifts": len(av["shift_err"]),
                            "shifts_frames": list(SHIFTS)}, "retime_seconds_median": float(np.median(t_retime))}
    for name, r in rows.items():
        out["rows"][name] = {"frame": summary(r["err"]), "exact": summary(r["err_exact"]),
                             "inside_word": float(np.mean(r["inside"])) if r["inside"] else None,
                             "signed_mean_ms": float(np.mean(r["err"])) if r["err"] else None,
                             "unplaced": unplaced.get(name),
                             "median_by_dub": [float(np.median(np.abs(e))) if e else None
                                               for e in by_dub.get(name, [])]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 sentences")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    t0 = time.perf_counter()
    res = run(SENTENCES[:8] if args.quick else SENTENCES)
    res["seconds"] = time.perf_counter() - t0
    print(f"{res['pairs']} pairs ({res['sentences']} sentences x {len(DUBS)} dubs) at {FPS:g} fps, "
          f"{res['seconds']:.0f} s; retime median {1000 * res['retime_seconds_median']:.0f} ms per line")
    print(f"{'method':<26}{'locks':>6}{'median':>8}{'mean':>7}{'p90':>7}{'max':>7}{'<=1/2f':>8}"
          f"{'<=1f':>7}{'in word':>8}{'exact med':>10}{'unplaced':>9}")
    for name, r in res["rows"].items():
        f, x = r["frame"], r["exact"]
        print(f"{name:<26}{f['n']:>6}{f['median']:>8.1f}{f['mean']:>7.1f}{f['p90']:>7.1f}{f['max']:>7.0f}"
              f"{100 * f['within_frame']:>7.0f}%{100 * f['within_33ms']:>6.0f}%{100 * r['inside_word']:>7.0f}%"
              f"{x['median']:>10.1f}{'' if r['unplaced'] is None else r['unplaced']:>9}")
    print("median |error| (ms) by dub:", " / ".join(f"{v}{' +pause' if p else ''}" for v, _, _, p in DUBS))
    for name, r in res["rows"].items():
        print(f"  {name:<24}" + "".join(f"{m:>8.1f}" for m in r["median_by_dub"]))
    print("placement methods (retime):", json.dumps(res["methods"]))
    print("unplaced (retime):", json.dumps(res["unplaced_reasons"]))
    print("frames wrongly detected as hand-edited:", res["false_edit_frames"])
    a = res["av_offset_ms"]
    print(f"QC A/V offset of the source animations: median {a['base_median']:+.1f} ms "
          f"(range {a['base_min']:+.1f} to {a['base_max']:+.1f}); picture shifted by {a['shifts_frames']} frames: "
          f"estimated shift error median {a['shift_error_median']:.1f} ms, max {a['shift_error_max']:.1f} ms, "
          f"{100 * a['shift_error_within_20ms']:.0f} % of {a['n_shifts']} within 20 ms")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
