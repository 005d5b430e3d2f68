"""Synthesis-DTW alignment accuracy: boundary errors of the ``synthesis_dtw`` aligner.

Sources
-------
* Synthetic speech in six languages (es, de, fr, it, pt, ja — Japanese in
  kana) and English: espeak-ng speaking 8 sentences per language with three
  *test* settings that differ from the DTW template — voice variants
  ``+f3`` (female, 130 wpm, pitch 70), ``+m3`` (220 wpm, pitch 35) and
  ``+klatt`` (espeak's Klatt synthesiser, 175 wpm, pitch 50) — padded with
  0.3 s of silence, resampled to 16 kHz. The gold alignment is the test
  voice's own synthesis events; the aligner's template is the language's
  default voice at a rate matched to the audio. Boundaries espeak cannot
  place exactly (a vowel after a liquid or nasal, a liquid after a vowel:
  see :mod:`phoneme.espeak.synthesis`) are left out.
* Real English speech in ``../shared/data/speech`` (praatio, mfa_tests,
  librivox; see benchmarks/alignment_accuracy.py for what each reference is),
  aligned by ``synthesis_dtw`` and by pocketsphinx (the default English
  aligner) against the same references.

Scoring: :func:`benchmarks._common.match_boundaries` (words paired by
sequence alignment, phones by broad class inside paired words; each distinct
boundary once). Figures: median and 90th percentile of |reference − aligner|.

Run from the repository root::

    python benchmarks/alignment_dtw.py              # everything (about 2 minutes here)
    python benchmarks/alignment_dtw.py --quick      # 3 sentences per language, one test setting
    python benchmarks/alignment_dtw.py --json results.json
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
    Errors,
    Seg,
    Timing,
    ipa_class,
    match_boundaries,
    norm_word,
    timing_from_alignment,
)
from benchmarks.alignment_accuracy import _print_table, _row, gold_timing, real_sources

SENTENCES = {
    "es": [
        "Hola, ¿cómo estás?",
        "Mi madre compró pan y manzanas en el mercado.",
        "El perro de mi vecino ladra toda la noche.",
        "Vamos a la playa mañana por la tarde.",
        "Los niños juegan al fútbol en el parque.",
        "Me gusta mucho el café con leche.",
        "Pablo bebe agua fresca de la fuente.",
        "Mañana viajaremos a Barcelona en tren.",
    ],
    "de": [
        "Guten Morgen, wie geht es dir?",
        "Mein Bruder wohnt in einem kleinen Haus am See.",
        "Wir fahren morgen mit dem Zug nach Berlin.",
        "Die Kinder spielen im Garten mit dem Ball.",
        "Bitte bring mir eine Tasse Kaffee.",
        "Im Winter fällt hier sehr viel Schnee.",
        "Das Buch liegt auf dem großen Tisch.",
        "Peter malt ein Bild von seiner Mutter.",
    ],
    "fr": [
        "Bonjour, comment allez-vous?",
        "Ma mère prépare une bonne soupe aux légumes.",
        "Nous partons en vacances au mois de juillet.",
        "Le petit chat dort sur le canapé.",
        "Il fait beau aujourd'hui à Paris.",
        "Pierre boit un verre de vin rouge.",
        "Les enfants mangent des pommes dans le jardin.",
        "Mon ami habite près de la mer.",
    ],
    "it": [
        "Ciao, come stai?",
        "Mia madre prepara la pasta ogni domenica.",
        "Andiamo al mare con i bambini.",
        "Il treno per Roma parte alle nove.",
        "Mi piace molto il pane fresco.",
        "Paolo beve un bicchiere di vino bianco.",
        "La finestra della camera è aperta.",
        "Domani visiteremo un museo famoso.",
    ],
    "pt": [
        "Olá, como você está?",
        "Minha mãe faz um bolo de chocolate.",
        "Nós vamos à praia no domingo.",
        "O menino bebe um copo de leite.",
        "Ela mora numa casa perto do mar.",
        "O médico chegou cedo ao hospital.",
        "Paulo comprou um livro muito bonito.",
        "Amanhã vamos visitar os nossos avós.",
    ],
    "ja": [
        "こんにちは、おげんきですか。",
        "わたしは まいにち でんしゃで がっこうに いきます。",
        "きょうは とても いい てんきですね。",
        "ともだちと いっしょに ひるごはんを たべました。",
        "この ほんは とても おもしろいです。",
        "あした やまに のぼります。",
        "ははは まいあさ コーヒーを のみます。",
        "ねこが まどの そばで ねています。",
    ],
    "en": [
        "Bob fed five blue balloons to the movie mouse.",
        "The quick brown fox jumps over the lazy dog.",
        "Please pass me the velvet pillow from the sofa.",
        "My father moved the heavy boxes before breakfast.",
        "We often visit the museum when it rains.",
        "She bought a few ripe peaches at the market.",
        "The boat floated past the wooden bridge at noon.",
        "Maybe the puppy wants to play with the ball.",
    ],
}
VOICE = {"es": "es", "de": "de", "fr": "fr", "it": "it", "pt": "pt", "ja": "ja", "en": "en-us"}
# (variant, words per minute, pitch) of the test speech; the template is the plain voice
SETTINGS = [("f3", 130, 70), ("m3", 220, 35), ("klatt", 175, 50)]
PAD_S = 0.3


def gold_any(syn) -> Timing:
    """Gold timing of any language: espeak's phoneme names classed directly (inexact edges flagged)."""
    ph = syn.phonemes
    exact = list(syn.onset_exact)

    def end_exact(i: int) -> bool:
        return not (i + 1 < len(ph) and abs(ph[i + 1].start - ph[i].end) < 1e-9 and not exact[i + 1])

    phones = [Seg(lab, s, e, ipa_class(lab), start_exact=exact[i], end_exact=end_exact(i))
              for i, (lab, s, e) in enumerate(ph) if not lab.startswith("(")]
    words = []
    for w, (label, start, end) in enumerate(syn.words):
        idx = [i for i, pw in enumerate(syn.phoneme_word) if pw == w]
        words.append(Seg(norm_word(label), start, end, "", start_exact=exact[idx[0]],
                         end_exact=end_exact(idx[-1])))
    return Timing(words, phones)


def _align(samples: np.ndarray, sr: int, text: str, language: str, aligner: str, options: dict):
    from phoneme import align

    return align((samples, sr), text, language=language, aligner=aligner, **options)


def _signed_word_start(ref: Timing, hyp: Timing) -> list[float]:
    """hyp - ref word starts (s) of exactly known starts, words paired by label in order."""
    out, j = [], 0
    for w in ref.words:
        while j < len(hyp.words) and hyp.words[j].label != w.label:
            j += 1
        if j == len(hyp.words):
            break
        if w.start_exact:
            out.append(hyp.words[j].start - w.start)
        j += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 sentences per language, one test setting")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--no-real", action="store_true", help="skip the real English speech")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the espeak-ng sources")
    parser.add_argument("--languages", default=",".join(SENTENCES), help="comma-separated subset")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="synthesis_dtw option, e.g. diagonal_weight=2 (repeatable)")
    args = parser.parse_args()
    options = {}
    for item in args.option:
        k, _, v = item.partition("=")
        options[k] = {"true": True, "false": False}.get(v.lower(), None)
        if options[k] is None:
            options[k] = float(v)

    from phoneme.audio import load_audio
    from phoneme.espeak import synthesize

    rows: list[dict] = []
    notes: list[str] = []
    t0 = time.perf_counter()
    dtw_wall, dtw_audio = 0.0, 0.0
    if not args.no_synthetic:
        langs = [x for x in args.languages.split(",") if x]
        settings = SETTINGS[:1] if args.quick else SETTINGS
        all_other, all_other_s = Errors([], []), 0.0
        by_setting: dict[str, tuple[Errors, float]] = {}
        signed: list[float] = []
        for lang in langs:
            acc, secs = Errors([], []), 0.0
            sentences = SENTENCES[lang][:3] if args.quick else SENTENCES[lang]
            for (variant, rate, pitch), text in itertools.product(settings, sentences):
                syn = synthesize(text, voice=f"{VOICE[lang]}+{variant}", rate=rate, pitch=pitch,
                                 sample_rate=16000).padded(PAD_S, PAD_S)
                w0 = time.perf_counter()
                a = _align(syn.samples, syn.sample_rate, text, lang, "synthesis_dtw", options)
                dtw_wall += time.perf_counter() - w0
                dtw_audio += syn.duration
                ref = gold_timing(syn) if lang == "en" else gold_any(syn)
                hyp = timing_from_alignment(a)
                e = match_boundaries(ref, hyp)
                signed += _signed_word_start(ref, hyp)
                acc.extend(e)
                secs += syn.duration
                b = by_setting.setdefault(variant, (Errors([], []), 0.0))
                b[0].extend(e)
                by_setting[variant] = (b[0], b[1] + syn.duration)
                if lang != "en":
                    all_other.extend(e)
                    all_other_s += syn.duration
            rows.append(_row(f"dtw synthetic {lang}", acc, secs))
            if lang == "en":
                ps, ps_s = Errors([], []), 0.0
                for (variant, rate, pitch), text in itertools.product(settings, sentences):
                    syn = synthesize(text, voice=f"en-us+{variant}", rate=rate, pitch=pitch,
                                     sample_rate=16000).padded(PAD_S, PAD_S)
                    a = _align(syn.samples, syn.sample_rate, text, "en", "pocketsphinx", {})
                    ps.extend(match_boundaries(gold_timing(syn), timing_from_alignment(a)))
                    ps_s += syn.duration
                rows.append(_row("pocketsphinx synthetic en", ps, ps_s))
        for variant, (e, secs) in by_setting.items():
            rows.append(_row(f"dtw synthetic +{variant}", e, secs))
        if all_other.word:
            rows.append(_row("dtw synthetic, 6 languages", all_other, all_other_s))
        if signed:
            notes.append(f"synthetic word starts, aligner - gold: median {1000 * np.median(signed):+.1f} ms "
                         f"over {len(signed)} exact starts")

    if not args.no_real:
        for aligner in ("synthesis_dtw", "pocketsphinx"):
            indep, indep_s, lib, lib_s = Errors([], []), 0.0, Errors([], []), 0.0
            for group, name, path, transcript, ref in real_sources():
                samples, sr = load_audio(str(path), sample_rate=16000)
                w0 = time.perf_counter()
                a = _align(samples, sr, transcript, "en", aligner, options if aligner == "synthesis_dtw" else {})
                if aligner == "synthesis_dtw":
                    dtw_wall += time.perf_counter() - w0
                    dtw_audio += len(samples) / sr
                e = match_boundaries(ref, timing_from_alignment(a))
                rows.append(_row(f"{aligner[:5]} {group}/{name}", e, len(samples) / sr))
                if group == "librivox":
                    lib.extend(e)
                    lib_s += len(samples) / sr
                else:
                    indep.extend(e)
                    indep_s += len(samples) / sr
            rows.append(_row(f"{aligner} real praatio+mfa", indep, indep_s))
            rows.append(_row(f"{aligner} real librivox", lib, lib_s))

    _print_table(rows)
    for note in notes:
        print(note)
    if dtw_audio:
        print(f"synthesis_dtw speed: {dtw_audio / dtw_wall:.1f} s of audio per s of wall time "
              f"({dtw_audio:.0f} s aligned)")
    print(f"\n{time.perf_counter() - t0:.0f} s wall; options {options or 'default'}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "notes": notes, "options": options}, indent=1))


if __name__ == "__main__":
    main()
