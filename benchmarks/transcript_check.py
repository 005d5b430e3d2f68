"""Transcript check on a labelled set: precision and recall of the mismatch warning.

The recordings are the 11 real utterances with true text of ``benchmarks/whisper_wer.py``
(../shared/data/speech). Each is checked (:func:`phoneme.hearing.check_transcript`,
Whisper, default :class:`~phoneme.hearing.CheckConfig`) against

* ``correct`` — its true text (should pass);
* ``one word`` — the middle word replaced by "elephant";
* ``half`` — every second word replaced by words of a fixed list;
* ``wrong line`` — another LibriVox line of the same reader (the 5 LibriVox recordings only);
* ``french (fr)`` — a French translation (``benchmarks/data/transcript_check_fr.tsv``) with
  ``language="fr"``; ``french (en)`` — the same text with ``language="en"`` (a user pasting the
  dub's text over the original);
* ``noise/music`` — 5 s of white noise, pink noise and synthetic music (a plucked-harmonic
  melody over a bass line with noise-burst drums; made here, deterministic) with three of the
  true texts each.

A row is *flagged* when the check fails (``TranscriptCheck.ok`` False). Precision is over all
flagged rows (a flagged ``correct`` row is a false alarm), recall per kind of wrong transcript.
Beside it, the existing detector: the forced aligner's own mismatch report
(``phoneme.align(...).issues`` non-empty, or the aligner refusing the line), on the same rows,
and ``either`` (a row flagged by one or the other: what ``kmtalk animate`` and the QC report
show, as the check's warning and the alignment issues).

Run::

    python benchmarks/transcript_check.py        # ≈ 2 min
    python benchmarks/transcript_check.py --json

Target (issue 12): no false alarm on correct lines; every line wrong by half or more caught.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from whisper_wer import utterances

HERE = Path(__file__).resolve().parent
DISTRACTORS = ("window", "river", "green", "table", "seven", "music", "paper", "garden", "silver", "doctor")
KINDS = ("correct", "one word", "half", "wrong line", "french (fr)", "french (en)", "noise/music")


def one_word(words: list[str]) -> list[str]:
    k = len(words) // 2
    return words[:k] + ["elephant" if words[k] != "elephant" else "banana"] + words[k + 1:]


def half(words: list[str]) -> list[str]:
    return [DISTRACTORS[i % len(DISTRACTORS)] if i % 2 else w for i, w in enumerate(words)]


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    return np.fft.irfft(spec, n)


def music(seconds: float = 5.0, sr: int = 16000) -> np.ndarray:
    """Synthetic music: a plucked melody (5 harmonics) over a bass line, with noise-burst drums."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros_like(t)
    melody = [60, 64, 67, 72, 71, 67, 64, 62, 60, 65, 69, 72, 70, 67, 64, 60]
    step = seconds / len(melody)
    for i, midi in enumerate(melody):
        on = (t >= i * step) & (t < (i + 1) * step)
        tt = t[on] - i * step
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        env = np.exp(-tt * 4.0)
        out[on] += env * sum(np.sin(2 * np.pi * f0 * h * tt) / h for h in range(1, 6))
        fb = 440.0 * 2 ** ((midi - 12 - 69) / 12)
        out[on] += 0.6 * np.sin(2 * np.pi * fb * tt)
        if i % 2 == 0:
            n = min(int(0.08 * sr), int(on.sum()))
            idx = np.flatnonzero(on)[:n]
            out[idx] += rng.normal(size=n) * np.exp(-np.arange(n) / (0.02 * sr))
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def noises(sr: int = 16000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 5 * sr
    pink = _pink(n, rng)
    return {"white noise": (0.05 * rng.normal(size=n)).astype(np.float32),
            "pink noise": (0.2 * pink / np.abs(pink).max()).astype(np.float32),
            "music": music(5.0, sr)}


def rows() -> list[dict]:
    """Every labelled (audio, transcript, language, kind) row."""
    from phoneme.audio import load_audio
    from phoneme.text import normalize_text

    with open(HERE / "data" / "transcript_check_fr.tsv", encoding="utf-8", newline="") as f:
        french = {r["utterance"]: r["french"] for r in csv.DictReader(f, delimiter="\t")}
    utts = [(n, *load_audio(p), t) for n, p, t in utterances()]
    libri = [u for u in utts if u[0].isdigit()]
    out = []
    for name, y, sr, text in utts:
        words = normalize_text(text)
        audio = (y, sr)
        out += [
            {"kind": "correct", "utterance": name, "audio": audio, "text": text, "language": "en"},
            {"kind": "one word", "utterance": name, "audio": audio, "text": " ".join(one_word(words)), "language": "en"},
            {"kind": "half", "utterance": name, "audio": audio, "text": " ".join(half(words)), "language": "en"},
            {"kind": "french (fr)", "utterance": name, "audio": audio, "text": french[name], "language": "fr"},
            {"kind": "french (en)", "utterance": name, "audio": audio, "text": french[name], "language": "en"},
        ]
    for i, (name, y, sr, _) in enumerate(libri):
        other = libri[(i + 1) % len(libri)]
        out.append({"kind": "wrong line", "utterance": f"{name} with {other[0]}", "audio": (y, sr),
                    "text": other[3], "language": "en"})
    texts = [t for n, _, _, t in utts if n in ("mary", "61-70968-0000", "0870")]
    for label, x in noises().items():
        for text in texts:
            out.append({"kind": "noise/music", "utterance": label, "audio": (x, 16000), "text": text,
                        "language": "en"})
    return out


def aligner_flags(row: dict) -> bool:
    """The existing detector: the forced aligner reports issues, or refuses the line."""
    from phoneme import align
    from phoneme.errors import KmtalkError

    try:
        return bool(align(row["audio"], row["text"], language=row["language"]).issues)
    except KmtalkError:
        return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-aligner", action="store_true", help="skip the aligner-issues baseline")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    from phoneme.hearing import check_transcript

    data = rows()
    results = []
    t0 = time.perf_counter()
    for row in data:
        c = check_transcript(row["audio"], row["text"], language=row["language"])
        res = {k: row[k] for k in ("kind", "utterance", "language")}
        res.update(text=row["text"][:60], flagged=not c.ok, verdict=c.verdict,
                   wer=None if c.wer is None else round(c.wer, 3), cer=None if c.cer is None else round(c.cer, 3),
                   heard=c.heard[:60],
                   heard_language=c.heard_language)
        if not args.no_aligner:
            res["aligner_flagged"] = aligner_flags(row)
            res["either_flagged"] = res["flagged"] or res["aligner_flagged"]
        results.append(res)
    seconds = time.perf_counter() - t0

    def summary(key: str) -> dict:
        per = {}
        for kind in KINDS:
            rs = [r for r in results if r["kind"] == kind]
            per[kind] = {"rows": len(rs), "flagged": sum(r[key] for r in rs)}
        flagged = [r for r in results if r[key]]
        tp = sum(r["kind"] != "correct" for r in flagged)
        wrong = sum(r["kind"] != "correct" for r in results)
        return {"per_kind": per, "precision": round(tp / len(flagged), 3) if flagged else None,
                "recall": round(tp / wrong, 3), "false_alarms": per["correct"]["flagged"]}

    out = {"rows": results, "check": summary("flagged"), "seconds": round(seconds, 1)}
    if not args.no_aligner:
        out["aligner"] = summary("aligner_flagged")
        out["either"] = summary("either_flagged")
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    cols = ["check"] + ([] if args.no_aligner else ["aligner", "either"])
    print(f"{'kind':<14} {'rows':>4}  " + "  ".join(f"{c + ' flagged':>16}" for c in cols))
    for kind in KINDS:
        n = out["check"]["per_kind"][kind]["rows"]
        print(f"{kind:<14} {n:>4}  " + "  ".join(f"{out[c]['per_kind'][kind]['flagged']:>16}" for c in cols))
    for what in ("precision", "recall", "false_alarms"):
        print(f"{what:<19} " + "  ".join(f"{out[c][what]!s:>16}" for c in cols))
    print(f"\n{len(results)} rows in {seconds:.0f} s")
    print("\nrows where the check disagrees with the label (wrong transcript not flagged, or correct flagged):")
    for r in results:
        if r["flagged"] != (r["kind"] != "correct"):
            print(f"  {r['kind']:<12} {r['utterance']:<16} wer {r['wer']} cer {r['cer']} verdict {r['verdict']}: text {r['text']!r} "
                  f"heard {r['heard']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
