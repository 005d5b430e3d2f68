"""``phoneme.align`` (defined here, exported by :mod:`phoneme`): audio + transcript → timed words and phones.

Loads the audio (:func:`phoneme.audio.load_audio`), reads and normalises the
transcript (:func:`phoneme.text.normalize_text`), picks a backend from
:mod:`phoneme.aligners` and runs it. See ``docs/aligners.md``.

Examples
--------
>>> from phoneme import align
>>> a = align("../shared/data/speech/praatio/mary.wav", "Mary rolled the barrel.")  # doctest: +SKIP
>>> [w.label for w in a.spoken_words()]  # doctest: +SKIP
['mary', 'rolled', 'the', 'barrel']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from .aligners import Aligner, Pronunciations, available_aligners, get_aligner
from .audio import AudioSource, load_audio
from .errors import BackendUnavailableError, TranscriptError
from .multilingual import is_english, transcript_words
from .text import normalize_text
from .types import Alignment

__all__ = ["align", "read_transcript"]

log = logging.getLogger(__name__)

_TRANSCRIPT_SUFFIXES = (".txt", ".lab")


def read_transcript(transcript: str | os.PathLike) -> str:
    """Return the transcript text; a ``Path``, or a string that is a ``.txt``/``.lab`` file name, is read.

    Raises
    ------
    TranscriptError
        If a named file cannot be read or is not UTF-8.

    Examples
    --------
    >>> from phoneme.aligning import read_transcript
    >>> read_transcript("hello there")
    'hello there'
    """
    path: Path | None = None
    if isinstance(transcript, os.PathLike):
        path = Path(transcript)
    elif isinstance(transcript, str):
        text = transcript.strip()
        # one "word" ending in .txt/.lab is a file name (a missing one is an error, not text)
        if text.lower().endswith(_TRANSCRIPT_SUFFIXES) and (len(text.split()) == 1 or Path(text).is_file()):
            path = Path(text)
    if path is None:
        if not isinstance(transcript, str):
            raise TranscriptError(f"transcript must be text or a path, got {type(transcript).__name__}")
        return transcript
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TranscriptError(f"transcript file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"cannot read transcript file {str(path)!r}: {exc}") from exc


def _pick(aligner: str | Aligner, language: str, options: dict[str, Any]) -> Aligner:
    if isinstance(aligner, Aligner) or str(aligner).lower() != "auto":
        return get_aligner(aligner, **options)
    if is_english(language):
        return get_aligner("pocketsphinx", **options)
    if "mfa" in available_aligners():
        return get_aligner("mfa", **options)
    if "synthesis_dtw" in available_aligners():
        return get_aligner("synthesis_dtw", **options)
    raise BackendUnavailableError(
        f"no aligner for language {language!r} here: pocketsphinx ships English only, and neither "
        "the Montreal Forced Aligner (`mfa`) nor espeak-ng (for aligner='synthesis_dtw') is "
        "installed; install one (`conda install -c conda-forge montreal-forced-aligner`, or "
        "`apt-get install libespeak-ng1`), or pass aligner='textgrid'"
    )


def align(
    audio: AudioSource,
    transcript: str | os.PathLike,
    *,
    aligner: str | Aligner = "auto",
    language: str = "en",
    pronunciations: Pronunciations | None = None,
    **options: Any,
) -> Alignment:
    """Force-align a transcript to speech.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        Any format :func:`phoneme.audio.load_audio` reads; resampled to 16 kHz mono.
    transcript : str or path-like
        The words spoken, as text (normalised with
        :func:`phoneme.text.normalize_text`: numbers, abbreviations and
        punctuation are handled), or a ``.txt``/``.lab`` file holding them.
    aligner : str or Aligner, default "auto"
        ``"pocketsphinx"``, ``"mfa"``, ``"textgrid"``, ``"synthesis_dtw"``, a
        registered name, or an instance. ``"auto"`` is pocketsphinx for
        English; for other languages MFA when installed, else synthesis_dtw
        (espeak-ng + dynamic time warping).
    language : str, default "en"
        Language of the transcript. English text is normalised with
        :func:`phoneme.text.normalize_text`; other languages are split into
        words with :func:`phoneme.multilingual.transcript_words` (espeak-ng
        says numbers in the language).
    pronunciations : mapping, optional
        Word → ARPAbet pronunciation(s) that win over the dictionary and G2P,
        e.g. ``{"kmtalk": "K EY1 EH1 M T AO2 K"}``.
    **options
        Passed to the backend (e.g. ``window=20.0`` for pocketsphinx,
        ``textgrid="line.TextGrid"`` for the TextGrid reader,
        ``dictionary=``/``acoustic_model=`` for MFA).

    Returns
    -------
    Alignment
        Contiguous word and phone tiers over the whole audio (pauses ``"sil"``),
        IPA phones with stress, word confidences, and ``issues`` listing words
        the audio does not seem to contain and untranscribed speech.

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        Empty or unreadable transcript; ``PronunciationError`` for a word that
        cannot be pronounced.
    AlignmentError
        The aligner failed (the message says why).
    BackendUnavailableError
        The chosen backend is not installed here.

    Examples
    --------
    >>> from phoneme import align
    >>> a = align("../shared/data/speech/praatio/bobby.wav", "Bobby ripped the ledger")  # doctest: +SKIP
    >>> a.ok, [p.label for p in a.spoken_phones()][:4]  # doctest: +SKIP
    (True, ['b', 'ɑ', 'b', 'i'])
    """
    backend = _pick(aligner, language, options)
    samples, sr = load_audio(audio, sample_rate=getattr(backend, "sample_rate", 16000))
    text = read_transcript(transcript)
    if is_english(language):
        words = normalize_text(text, language=language)
    else:
        words = transcript_words(text, language=language)
    if not words:
        raise TranscriptError(
            f"the transcript {text[:60]!r} has no speakable words; give the words spoken in the audio"
        )
    log.debug("aligning %d words to %.2f s with %s", len(words), len(samples) / sr, backend.name)
    return backend.align(samples, sr, words, language=language, pronunciations=pronunciations)
