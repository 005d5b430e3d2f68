"""Transcript-free speed with Whisper: end to end, cold and warm, peak memory; int8/float32 and 1/2 threads.

**End to end** (``kmtalk.animate(wav, method="prior")`` without a transcript, as ``kmtalk
animate line.wav`` does): inputs of about 3 s, 30 s and 5 min are real read speech
(``benchmarks/alignment_speed.py``'s ``build_input``: ../shared/data/speech utterances,
cycled) written to a 16 kHz WAV. Each size runs in a fresh Python process, so:

* ``cold``: the first call — it builds the Whisper model (reads the wheel's bytes, checks
  their sha256, CTranslate2 converts to int8) and loads the dictionaries;
* ``warm``: the best of the next two calls;
* each split into **recognition** (inside :func:`phoneme.hearing.hear`), **alignment**
  (inside :func:`phoneme.align`, pocketsphinx forced alignment of the heard words) and
  **animation** (the rest: audio loading, keys, the prior);
* ``pocketsphinx``: one warm transcript-free call with ``recognizer="pocketsphinx"`` in the
  same process, the baseline;
* ``RSS peak``: the process's peak resident memory (``ru_maxrss``) after everything.

**Settings** (``--settings``): recognition alone (:func:`phoneme.whisper.transcribe`,
tiny.en and base, language "en") on the 30 s input for int8 and float32 at 1 and 2
CTranslate2 threads, best of two after a warm-up, with the WER of each against the
input's true words (so speed is not bought with accuracy).

The machine is shared with other jobs: compare rows of one run only.

Run::

    python benchmarks/whisper_speed.py                 # end to end, ≈ 4 min
    python benchmarks/whisper_speed.py --settings      # compute types and threads, ≈ 2 min
    python benchmarks/whisper_speed.py --sizes 3 30 --json

Target (issue 12): ≤ 0.1 s of computation per audio second, warm.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = (3.0, 30.0, 300.0)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(seconds: float) -> dict:
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(HERE))
    t0 = time.perf_counter()
    import kmtalk
    import phoneme
    import phoneme.hearing

    t_import = time.perf_counter() - t0
    import soundfile
    from alignment_speed import build_input

    samples, words = build_input(seconds)
    duration = samples.size / 16000
    spent = {"hear": 0.0, "align": 0.0}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            s = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - s
        return wrapper

    phoneme.hearing.hear = timed("hear", phoneme.hearing.hear)  # kmtalk.animator.api imports both at call time
    phoneme.align = timed("align", phoneme.align)
    out: dict = {"target_s": seconds, "audio_s": round(duration, 2), "words": len(words),
                 "import_s": round(t_import, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "input.wav"
        soundfile.write(wav, samples, 16000, subtype="PCM_16")
        out["rss_base_mb"] = round(_rss_mb(), 1)
        runs = []
        for recognizer in ("auto", "auto", "auto", "pocketsphinx"):
            spent.update(hear=0.0, align=0.0)
            s = time.perf_counter()
            anim = kmtalk.animate(str(wav), method="prior", recognizer=recognizer)
            total = time.perf_counter() - s
            runs.append({"total_s": round(total, 3), "s_per_s": round(total / duration, 4),
                         "recognise_s": round(spent["hear"], 3), "align_s": round(spent["align"], 3),
                         "animation_s": round(total - spent["hear"] - spent["align"], 3),
                         "recognizer": anim.meta["recognizer"],
                         "words_heard": len(anim.meta["recognised"].split())})
    out["cold"] = runs[0]
    out["warm"] = min(runs[1:3], key=lambda r: r["total_s"])
    out["pocketsphinx"] = runs[3]
    out["rss_peak_mb"] = round(_rss_mb(), 1)
    return out


def settings() -> list[dict]:
    import logging

    logging.disable(logging.WARNING)
    sys.path.insert(0, str(HERE))
    from alignment_speed import build_input

    from phoneme.hearing import word_errors
    from phoneme.whisper import transcribe

    samples, words = build_input(30.0)
    duration = samples.size / 16000
    rows = []
    for model in ("tiny.en", "base"):
        for compute in ("int8", "float32"):
            for threads in (1, 2):
                opts = {"model": model, "compute_type": compute, "threads": threads, "language": "en"}
                s = time.perf_counter()
                transcribe((samples[:16000 * 3], 16000), **opts)  # build the model, warm up
                load = time.perf_counter() - s
                best, text = float("inf"), ""
                for _ in range(2):
                    s = time.perf_counter()
                    text = transcribe((samples, 16000), **opts).text
                    best = min(best, time.perf_counter() - s)
                rows.append({**opts, "audio_s": round(duration, 1), "first_call_s": round(load, 2),
                             "s_per_s": round(best / duration, 4), "wer": round(word_errors(" ".join(words), text).wer, 3)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--settings", action="store_true", help="compute types and threads instead")
    ap.add_argument("--sizes", type=float, nargs="+", default=list(SIZES))
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return 0
    if args.settings:
        rows = settings()
        if args.json:
            print(json.dumps(rows, indent=1))
            return 0
        print(f"recognition only, {rows[0]['audio_s']} s of real speech (best of 2, warm)")
        print(f"{'model':<8} {'compute':<8} {'threads':>7} {'s/s':>7} {'first call s':>12} {'WER':>6}")
        for r in rows:
            print(f"{r['model']:<8} {r['compute_type']:<8} {r['threads']:>7} {r['s_per_s']:7.3f} "
                  f"{r['first_call_s']:12.2f} {r['wer']:6.3f}")
        return 0
    rows = []
    for size in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--child", str(size)], capture_output=True, text=True,
                              check=True, cwd=ROOT)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("transcript-free kmtalk.animate(wav, method='prior'); s per audio s, and (recognise / align / animation) s")
    print(f"{'audio':>7} {'import':>6} │ {'cold s/s':>8} {'(rec / align / anim)':>22} │ {'warm s/s':>8} "
          f"{'(rec / align / anim)':>22} │ {'pocketsphinx s/s':>16} │ {'RSS base':>8} {'RSS peak':>8}")
    for r in rows:
        c, w, p = r["cold"], r["warm"], r["pocketsphinx"]
        print(f"{r['audio_s']:6.1f}s {r['import_s']:5.2f}s │ {c['s_per_s']:8.3f} "
              f"{c['recognise_s']:7.2f}/{c['align_s']:6.2f}/{c['animation_s']:6.2f} │ {w['s_per_s']:8.3f} "
              f"{w['recognise_s']:7.2f}/{w['align_s']:6.2f}/{w['animation_s']:6.2f} │ {p['s_per_s']:16.3f} │ "
              f"{r['rss_base_mb']:6.0f}MB {r['rss_peak_mb']:6.0f}MB")
    print("\nwords heard (Whisper warm / pocketsphinx) vs words in the input: "
          + ", ".join(f"{r['warm']['words_heard']}/{r['pocketsphinx']['words_heard']} of {r['words']}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
