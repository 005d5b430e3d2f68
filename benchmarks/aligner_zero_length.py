"""pocketsphinx on the re-timing benchmark's espeak-ng lines: which get zero-length words?

Every sentence of ``benchmarks/retime.py`` spoken as its source take and its four dubs
(``SOURCE`` + ``DUBS``: 30 sentences × 5 takes = 150 lines, synthesised in that order, so
espeak-ng's internal state is the same as in that benchmark) is aligned with its transcript
by the default aligner. Listed: each line where a transcript word got no time (the aligner
skipped it), and the count.

Run::

    python benchmarks/aligner_zero_length.py     # ≈ 20 s
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.alignment_accuracy import SENTENCES
from benchmarks.retime import DUBS, SOURCE, take


def main() -> int:
    from phoneme import align

    bad = 0
    for text in SENTENCES:
        for voice, rate, lead, pause in [*DUBS, SOURCE]:
            syn = take(text, voice, rate, lead, pause)
            words = align((syn.samples, 16000), text).spoken_words()
            zero = [w.label for w in words if w.end <= w.start]
            if zero:
                bad += 1
                print(f"{voice:12s} {rate} wpm  {text!r}: zero length {zero} of {len(words)} words")
    print(f"{bad} of {len(SENTENCES) * (len(DUBS) + 1)} lines have zero-length words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
