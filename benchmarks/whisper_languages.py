"""Other languages (SYNTHETIC speech): language identification and word error rate on espeak-ng es/fr/de.

Ten everyday sentences per language (``benchmarks/data/languages_synthetic.tsv``, written for
kmtalk; English as the control) are spoken by espeak-ng
(:func:`phoneme.aligners.template_synthesis.synthesize_isolated`), alternating the plain
voice at 160 words per minute and the ``+f3`` variant at 140, padded with 0.3 s of silence.
**This is synthetic speech**: espeak-ng's formant voices are far from the recordings Whisper
was trained on, so these figures are a floor for real speech in these languages, not an
estimate of it. For each line:

* ``LID``: :func:`phoneme.whisper.detect_language` (multilingual base) — correct when its top
  language is the line's;
* ``WER given``: :func:`phoneme.whisper.transcribe` with the line's language (base; tiny.en
  for English);
* ``WER hear``: :func:`phoneme.hearing.hear` with the line's language (what transcript-free
  ``kmtalk.animate(..., language=...)`` uses; it switches language when sure it hears another);
* ``check ok``: :func:`phoneme.hearing.check_transcript` with the true text passes (no false
  alarm); ``check en-text``: the English sentence of the same row given as the transcript
  (with ``language="en"``) is flagged.

WER is pooled per language (normalised by :func:`phoneme.hearing.word_errors`).

Run::

    python benchmarks/whisper_languages.py      # ≈ 10 min
    python benchmarks/whisper_languages.py --json
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sentences() -> list[tuple[str, str]]:
    with open(HERE / "data" / "languages_synthetic.tsv", encoding="utf-8", newline="") as f:
        return [(r["language"], r["sentence"]) for r in csv.DictReader(f, delimiter="\t")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    from phoneme.aligners.template_synthesis import synthesize_isolated
    from phoneme.errors import TranscriptError
    from phoneme.hearing import check_transcript, hear, word_errors
    from phoneme.whisper import detect_language, transcribe

    rows_in = sentences()
    english = [s for lang, s in rows_in if lang == "en"]
    rows = []
    t0 = time.perf_counter()
    for k, (lang, text) in enumerate(rows_in):
        idx = k % 10
        voice, rate = (lang, 160) if idx % 2 == 0 else (f"{lang}+f3", 140)
        syn = synthesize_isolated(text, voice=voice, rate=rate, sample_rate=16000).padded(0.3, 0.3)
        audio = (syn.samples, 16000)
        g = detect_language(audio)
        row = {"language": lang, "voice": voice, "text": text, "lid": g.language, "lid_p": round(g.probability, 3)}
        try:
            heard = transcribe(audio, language=lang).text
        except TranscriptError:
            heard = ""
        e = word_errors(text, heard, language=lang)
        row.update(heard=heard, errors_given=sum(op[0] != "equal" for op in e.ops), words=len(e.reference))
        try:
            h = hear(audio, language=lang)
            hh, hl = h.recognition.text, h.language
        except TranscriptError:
            hh, hl = "", None
        e2 = word_errors(text, hh, language=lang)
        row.update(hear_language=hl, errors_hear=sum(op[0] != "equal" for op in e2.ops))
        row["check_ok"] = check_transcript(audio, text, language=lang).ok
        if lang != "en":
            row["check_en_text_flagged"] = not check_transcript(audio, english[idx], language="en").ok
        rows.append(row)
    seconds = time.perf_counter() - t0
    summary = {}
    for lang in dict.fromkeys(r["language"] for r in rows):
        rs = [r for r in rows if r["language"] == lang]
        words = sum(r["words"] for r in rs)
        summary[lang] = {
            "lines": len(rs), "lid_accuracy": sum(r["lid"] == lang for r in rs) / len(rs),
            "lid_mean_p": round(sum(r["lid_p"] for r in rs if r["lid"] == lang) / max(1, sum(r["lid"] == lang for r in rs)), 3),
            "wer_given": round(sum(r["errors_given"] for r in rs) / words, 3),
            "wer_hear": round(sum(r["errors_hear"] for r in rs) / words, 3),
            "hear_language_right": sum(r["hear_language"] == lang for r in rs),
            "check_ok": sum(r["check_ok"] for r in rs),
            "check_en_text_flagged": None if lang == "en" else sum(r["check_en_text_flagged"] for r in rs),
        }
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary, "seconds": round(seconds, 1)}, indent=1, ensure_ascii=False))
        return 0
    print("SYNTHETIC speech (espeak-ng), 10 lines per language")
    print(f"{'lang':<5} {'LID acc':>7} {'mean p':>6} {'WER given':>9} {'WER hear':>8} {'hear lang ok':>12} "
          f"{'check ok':>8} {'en text flagged':>15}")
    for lang, s in summary.items():
        flagged = "-" if s["check_en_text_flagged"] is None else f"{s['check_en_text_flagged']}/{s['lines']}"
        print(f"{lang:<5} {s['lid_accuracy']:7.2f} {s['lid_mean_p']:6.2f} {s['wer_given']:9.3f} {s['wer_hear']:8.3f} "
              f"{s['hear_language_right']:>9}/{s['lines']} {s['check_ok']:>5}/{s['lines']} {flagged:>15}")
    print(f"\n{len(rows)} lines in {seconds:.0f} s; misidentified lines:")
    for r in rows:
        if r["lid"] != r["language"]:
            print(f"  {r['language']} {r['voice']:<6} heard as {r['lid']} ({r['lid_p']:.2f}): {r['text']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
