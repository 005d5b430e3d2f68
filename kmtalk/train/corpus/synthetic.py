"""The synthetic training corpus: espeak-ng speech with exact phone timing and prior-animated targets.

For every line the generator

1. picks a sentence (:class:`~kmtalk.train.corpus.text.SentenceGenerator`), an
   English espeak-ng voice with a random variant, a speaking rate and a pitch,
   and synthesises it at 16 kHz with silence before and after;
2. reads the phone timing from espeak's own events
   (:meth:`phoneme.espeak.Synthesis.to_alignment` — exact, no aligner);
3. animates it with the prior (:func:`kmtalk.animator.prior.animate_prior`) using a
   randomly perturbed lexicon (:func:`~kmtalk.train.corpus.perturb.perturb_lexicon`),
   random JALI ``jaw``/``lip`` style axes and the line's loudness (which drives
   the jaw);
4. writes plain files::

       OUT/wav/ID.wav            16-bit PCM, 16 kHz mono
       OUT/alignments/ID.json    Alignment.save_json (words, IPA phones, times)
       OUT/keys/ID.json          [KeyMotion.to_dict(), ...] of the prior
       OUT/curves/ID.npy         float32 [T, 52] ARKit weights at ``fps`` (Apple order)
       OUT/manifest.jsonl        one JSON object per line (text, voice, style, split, paths)
       OUT/corpus.json           the generator's settings

Models trained on this corpus learn the prior's behaviour plus audio-driven
variation; they learn nothing the prior does not already know.

Reproducibility: each line draws from its own generator seeded with
``(seed, index)``. espeak-ng keeps a pitch-flutter phase in a C static, so
the audio of a line also depends on what the same process synthesised before
it; a run with the same ``seed``, ``lines`` and ``workers`` reproduces the
corpus exactly.

Command line::

    python -m kmtalk.train.corpus.synthetic --out corpus/ --lines 300 --seed 0

Examples
--------
>>> import tempfile
>>> from kmtalk.train.corpus.synthetic import generate_corpus
>>> with tempfile.TemporaryDirectory() as d:
...     lines = generate_corpus(d, 1, seed=0)
...     lines[0].n_frames > 0, lines[0].sample_rate
(True, 16000)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.errors import KmtalkError, PronunciationError, TranscriptError
from phoneme.espeak import UnknownVoiceError, list_voices, synthesize
from phoneme.keys import KeyMotion
from phoneme.lexicon import load_lexicon
from phoneme.loudness import frame_loudness
from phoneme.types import Alignment

from ...animator.prior import animate_prior, n_frames_for
from .perturb import perturb_lexicon
from .text import SentenceGenerator

__all__ = ["DEFAULT_VARIANTS", "CorpusLine", "generate_corpus", "main", "make_line"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1

#: espeak-ng voice variants drawn from ("" is the plain voice). Robotic, whispered
#: and croaking variants are left out: they are not speech a user would give.
DEFAULT_VARIANTS: tuple[str, ...] = (
    "", "", "", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "Andy", "Annie", "Alex", "Denis", "Lee", "Michael", "Mike", "steph",
    "john", "linda", "max", "robert", "zac", "adam", "anika", "david", "ed", "edward", "iven",
    "quincy", "travis", "victor", "belinda", "benjamin", "caleb", "grandma", "grandpa",
)


@dataclass
class CorpusLine:
    """One line of the corpus as written to ``manifest.jsonl`` (paths relative to the corpus folder)."""

    id: str
    text: str
    voice: str
    rate: int
    pitch: int
    jaw: float
    lip: float
    duration: float
    n_frames: int
    fps: float
    sample_rate: int
    split: str
    wav: str
    alignment: str
    keys: str
    curves: str
    n_keys: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)


def make_line(
    text: str,
    *,
    voice: str = "en-us",
    rate: int = 175,
    pitch: int = 50,
    jaw: float = 1.0,
    lip: float = 1.0,
    lexicon: Any = None,
    fps: float = 30.0,
    sample_rate: int = 16000,
    pad: tuple[float, float] = (0.3, 0.3),
) -> tuple[np.ndarray, Alignment, np.ndarray, list[KeyMotion]]:
    """Synthesise one line and animate it with the prior.

    Parameters
    ----------
    text : str
    voice, rate, pitch
        espeak-ng settings (see :func:`phoneme.espeak.synthesize`).
    jaw, lip : float
        JALI style axes of the prior.
    lexicon : Lexicon, dict or str, optional
        Lexicon for the prior (e.g. from :func:`~kmtalk.train.corpus.perturb.perturb_lexicon`).
    fps : float, default 30
    sample_rate : int, default 16000
    pad : (float, float)
        Seconds of silence before and after the speech.

    Returns
    -------
    samples : ndarray, float32 [N]
        The audio as it will be stored (quantised to 16 bits).
    alignment : Alignment
        Exact phone timing from espeak's events (IPA).
    weights : ndarray, float32 [T, 52]
        The prior's ARKit curves; ``T = n_frames_for(duration, fps)``.
    keys : list of KeyMotion

    Raises
    ------
    TranscriptError, PronunciationError, UnknownVoiceError
        From espeak-ng (empty text, a phoneme outside the English table, a missing voice).

    Examples
    --------
    >>> x, a, w, keys = make_line("Bob ate a plum.", rate=160)
    >>> w.shape[1], x.dtype.name, any(k.kind == "bilabial_closure" for k in keys)
    (52, 'float32', True)
    """
    syn = synthesize(text, voice=voice, rate=int(rate), pitch=int(pitch), sample_rate=sample_rate)
    syn = syn.padded(*pad)
    samples = np.round(np.clip(syn.samples, -1.0, 1.0) * 32767.0).astype(np.int16).astype(np.float32) / 32767.0
    alignment = syn.to_alignment()
    n = n_frames_for(alignment.duration, fps)
    loud = frame_loudness(samples, sample_rate, fps, n_frames=n)
    lex = load_lexicon(lexicon) if lexicon is not None else None
    weights, keys = animate_prior(alignment, fps, lexicon=lex, loudness_db=loud, jaw=jaw, lip=lip, n_frames=n)
    return samples, alignment, weights, keys


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_text(path: Path, text: str) -> None:
    _atomic(path, lambda p: p.write_text(text, "utf-8"))


def _split_of(index: int, every: int) -> str:
    if every <= 0:
        return "train"
    r = index % every
    return "val" if r == every - 1 else "test" if r == every - 2 else "train"


def _english_voices() -> list[str]:
    return sorted({v.language for v in list_voices("en") if v.language})


def _draw_line(index: int, seed: int, out: Path, settings: dict[str, Any]) -> CorpusLine:
    """Draw the settings of line ``index``, synthesise and animate it, and write its files."""
    import soundfile

    gen = SentenceGenerator(settings.get("mix"))
    last: Exception | None = None
    for attempt in range(12):
        rng = np.random.default_rng([seed, index, attempt])
        text = gen.sentence(rng)
        base = settings["voices"][int(rng.integers(len(settings["voices"])))]
        variant = settings["variants"][int(rng.integers(len(settings["variants"])))]
        voice = f"{base}+{variant}" if variant else base
        rate = int(rng.integers(settings["rate"][0], settings["rate"][1] + 1))
        pitch = int(rng.integers(settings["pitch"][0], settings["pitch"][1] + 1))
        jaw = round(float(rng.uniform(*settings["jaw"])), 4)
        lip = round(float(rng.uniform(*settings["lip"])), 4)
        pad = (float(rng.uniform(*settings["pad"])), float(rng.uniform(*settings["pad"])))
        lexicon = perturb_lexicon(rng, dominance=settings["dominance_spread"],
                                  timing=settings["timing_spread"], global_spread=settings["global_spread"])
        try:
            samples, alignment, weights, keys = make_line(
                text, voice=voice, rate=rate, pitch=pitch, jaw=jaw, lip=lip, lexicon=lexicon,
                fps=settings["fps"], sample_rate=settings["sample_rate"], pad=pad)
        except (TranscriptError, PronunciationError, UnknownVoiceError) as exc:
            log.info("line %d attempt %d (%s, %r) skipped: %s", index, attempt, voice, text, exc)
            last = exc
            continue
        break
    else:
        raise KmtalkError(f"line {index}: no usable synthesis after 12 attempts (last error: {last})")

    lid = f"{index:06d}"
    rel = {"wav": f"wav/{lid}.wav", "alignment": f"alignments/{lid}.json",
           "keys": f"keys/{lid}.json", "curves": f"curves/{lid}.npy"}
    sr = settings["sample_rate"]
    _atomic(out / rel["wav"], lambda p: soundfile.write(str(p), samples, sr, subtype="PCM_16", format="WAV"))
    _write_text(out / rel["alignment"], json.dumps(alignment.to_dict(), ensure_ascii=False))
    _write_text(out / rel["keys"], json.dumps([k.to_dict() for k in keys], ensure_ascii=False))

    def save_npy(p: Path) -> None:
        with open(p, "wb") as fh:
            np.save(fh, weights.astype(np.float32), allow_pickle=False)

    _atomic(out / rel["curves"], save_npy)
    return CorpusLine(id=lid, text=text, voice=voice, rate=rate, pitch=pitch, jaw=jaw, lip=lip,
                      duration=round(alignment.duration, 6), n_frames=int(weights.shape[0]),
                      fps=float(settings["fps"]), sample_rate=int(sr),
                      split=_split_of(index, settings["split_every"]), n_keys=len(keys), **rel)


def _work(args: tuple[Sequence[int], int, str, dict[str, Any]]) -> list[dict[str, Any]]:
    indices, seed, out, settings = args
    return [_draw_line(i, seed, Path(out), settings).to_dict() for i in indices]


def generate_corpus(
    out: str | os.PathLike[str],
    lines: int,
    *,
    seed: int = 0,
    fps: float = 30.0,
    sample_rate: int = 16000,
    voices: Sequence[str] | None = None,
    variants: Sequence[str] = DEFAULT_VARIANTS,
    rate: tuple[int, int] = (130, 250),
    pitch: tuple[int, int] = (20, 80),
    jaw: tuple[float, float] = (0.75, 1.25),
    lip: tuple[float, float] = (0.75, 1.25),
    pad: tuple[float, float] = (0.15, 0.5),
    dominance_spread: float = 0.2,
    timing_spread: float = 0.3,
    global_spread: float = 0.3,
    split_every: int = 20,
    workers: int = 1,
    overwrite: bool = False,
) -> list[CorpusLine]:
    """Generate a synthetic corpus of ``lines`` utterances in ``out`` (see the module docstring).

    Parameters
    ----------
    out : path
        Output folder (created). It must not hold a corpus unless ``overwrite``.
    lines : int
        Number of utterances.
    seed : int, default 0
    fps : float, default 30
        Frame rate of the target curves.
    sample_rate : int, default 16000
    voices : sequence of str, optional
        espeak-ng voices (default: every installed English voice).
    variants : sequence of str
        Voice variants drawn uniformly ("" for none); see :data:`DEFAULT_VARIANTS`.
    rate, pitch : (int, int)
        Inclusive ranges of words per minute and base pitch.
    jaw, lip : (float, float)
        Ranges of the prior's JALI style axes.
    pad : (float, float)
        Range of the silence added before and after each line (seconds).
    dominance_spread, timing_spread, global_spread : float
        Lexicon perturbation (see :func:`~kmtalk.train.corpus.perturb.perturb_lexicon`).
    split_every : int, default 20
        Of every ``split_every`` lines one goes to ``"val"`` and one to ``"test"``
        (0: all ``"train"``).
    workers : int, default 1
        Processes; line ``i`` goes to worker ``i % workers``.
    overwrite : bool, default False
        Replace an existing corpus in ``out``.

    Returns
    -------
    list of CorpusLine

    Raises
    ------
    KmtalkError
        ``out`` already holds a corpus, or a line cannot be synthesised at all.
    """
    if lines < 1:
        raise ValueError(f"lines must be >= 1, got {lines}")
    out = Path(out)
    manifest = out / "manifest.jsonl"
    if manifest.exists() and not overwrite:
        raise KmtalkError(f"{out} already holds a corpus (manifest.jsonl); pass overwrite=True "
                          "(--overwrite) or choose another folder")
    for sub in ("wav", "alignments", "keys", "curves"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = {
        "format_version": FORMAT_VERSION, "generator": "kmtalk.train.corpus.synthetic",
        "seed": int(seed),
        "lines": int(lines), "fps": float(fps), "sample_rate": int(sample_rate),
        "voices": list(voices) if voices else _english_voices(), "variants": list(variants),
        "rate": list(rate), "pitch": list(pitch), "jaw": list(jaw), "lip": list(lip), "pad": list(pad),
        "dominance_spread": dominance_spread, "timing_spread": timing_spread,
        "global_spread": global_spread, "split_every": int(split_every), "workers": int(workers),
    }
    t0 = time.perf_counter()
    workers = max(1, int(workers))
    chunks = [list(range(w, lines, workers)) for w in range(workers)]
    if workers == 1:
        rows = _work((chunks[0], seed, str(out), settings))
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_work, [(c, seed, str(out), settings) for c in chunks])
        rows = sorted((r for p in parts for r in p), key=lambda r: r["id"])
    _write_text(manifest, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    _write_text(out / "corpus.json", json.dumps(settings, indent=1))
    log.info("wrote %d lines (%.1f s of audio) to %s in %.1f s", len(rows),
             sum(r["duration"] for r in rows), out, time.perf_counter() - t0)
    return [CorpusLine(**r) for r in rows]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kmtalk.train.corpus.synthetic``: generate a corpus; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m kmtalk.train.corpus.synthetic",
        description="Generate a synthetic training corpus: espeak-ng speech with exact phone timing "
                    "and ARKit targets from kmtalk's prior animator (randomised coarticulation and style).",
    )
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--lines", required=True, type=int, help="number of utterances")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the curves (default 30)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing corpus in --out")
    p.add_argument("-v", "--verbose", action="count", default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        rows = generate_corpus(args.out, args.lines, seed=args.seed, fps=args.fps, workers=args.workers,
                               overwrite=args.overwrite)
    except (KmtalkError, ValueError) as exc:
        print(f"kmtalk.train.corpus.synthetic: error: {exc}", file=sys.stderr)
        return 2
    hours = sum(r.duration for r in rows) / 3600.0
    print(f"wrote {len(rows)} lines ({hours * 60:.1f} min of speech) to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
