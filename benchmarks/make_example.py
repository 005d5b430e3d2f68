"""Make the bundled example line ``assets/examples/hello.{wav,txt,alignment.json}`` with espeak-ng.

The sentence has bilabials (b, m), labiodentals (f, v) and rounded vowels
(u, aʊ) — the mouth shapes a lip-sync check needs to see. The audio is
espeak-ng's en-us voice at 160 words per minute, resampled to 16 kHz mono
16-bit PCM, with 0.25 s of silence added before and after; the alignment is
the gold timing from espeak-ng's synthesis events (see
:mod:`phoneme.espeak.synthesis`), shifted by the padding. Its phone boundaries
flagged inexact there (vowels after l/ɹ/w/j/m/n/ŋ, l/ɹ/w/j after a vowel) are
midpoint estimates; all others are sample-exact.

Run from the repository root (re-running in a fresh process rewrites the same
files)::

    python benchmarks/make_example.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import soundfile as sf

from phoneme.espeak import synthesize

TEXT = "Bob fed five blue balloons to the movie mouse."
VOICE = "en-us"
RATE = 160
SAMPLE_RATE = 16000
PAD_S = 0.25


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_example(out_dir: Path) -> None:
    """Write hello.wav, hello.txt and hello.alignment.json into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    syn = synthesize(TEXT, voice=VOICE, rate=RATE, sample_rate=SAMPLE_RATE).padded(PAD_S, PAD_S)
    audio = syn.samples
    alignment = syn.to_alignment()
    _atomic_write(out_dir / "hello.wav",
                  lambda p: sf.write(p, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV"))
    _atomic_write(out_dir / "hello.txt", lambda p: Path(p).write_text(TEXT + "\n", "utf-8"))
    _atomic_write(out_dir / "hello.alignment.json", lambda p: alignment.save_json(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets" / "examples")
    args = parser.parse_args()
    make_example(args.out)
    for name in ("hello.wav", "hello.txt", "hello.alignment.json"):
        p = args.out / name
        print(f"{p}  {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
