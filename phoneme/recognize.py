"""Speech recognition for animating without a transcript: Whisper when installed, else pocketsphinx.

:func:`recognize` picks the recogniser (``recognizer="auto"``): Whisper
(:mod:`phoneme.whisper`, the ``kmtalk[asr]`` extra) when it is installed,
otherwise pocketsphinx's bundled US-English model. The result says which
one heard the words (``Recognition.recognizer``).

pocketsphinx's n-gram decoder mis-hears many words, but the *phones* it
implies usually look right on a face (a mis-heard "weakness" for
"weaknesses" still closes the lips on the right frames). kmtalk marks
animations made this way as transcript-free with a lower confidence.

Examples
--------
>>> from phoneme.recognize import recognize
>>> r = recognize("../shared/data/video-dev/retalking_1.wav")  # doctest: +SKIP
>>> r.recognizer, r.text.split()[:2]  # doctest: +SKIP
('whisper-tiny.en', ['my', 'biggest'])
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

import numpy as np

from . import whisper
from .audio import AudioSource, load_audio
from .errors import BackendUnavailableError, TranscriptError
from .types import Interval, Recognition

__all__ = ["RECOGNIZERS", "Recognition", "available_recognizer", "recognize"]

log = logging.getLogger(__name__)

_SAMPLE_RATE = 16000
_FRAME_S = 0.01  # pocketsphinx frames are 10 ms


_LOCK = threading.Lock()


#: Search settings (measured in docs/benchmarks.md, "Transcript-free speed"): ``fwdflat=False``
#: skips the second flat-lexicon pass (0.28 → 0.18 s per audio second, same share of words
#: recognised); ``maxhmmpf`` caps the active HMMs per frame (pocketsphinx's default is 30000).
DECODER_OPTIONS: dict[str, object] = {"fwdflat": False, "maxhmmpf": 5000}


@lru_cache(maxsize=1)
def _decoder():
    """One decoder per process (building it costs ~0.27 s)."""
    from pocketsphinx import Decoder

    return Decoder(samprate=_SAMPLE_RATE, loglevel="FATAL", **DECODER_OPTIONS)


def _clean(word: str) -> str | None:
    if word.startswith(("<", "[")):
        return None  # <s>, </s>, <sil>, [SPEECH], [NOISE]
    return word.split("(")[0].lower()  # "for(3)" → "for"


#: Recognisers :func:`recognize` knows.
RECOGNIZERS = ("auto", "whisper", "pocketsphinx")


def available_recognizer(language: str | None = "en") -> str | None:
    """The recogniser ``recognize(recognizer="auto")`` would use for ``language`` (None: none can).

    Whisper when the ``kmtalk[asr]`` extra is installed (tiny.en for English,
    the multilingual base model otherwise), else pocketsphinx for English.
    Nothing is imported or loaded.

    Examples
    --------
    >>> from phoneme.recognize import available_recognizer
    >>> available_recognizer("en") in ("whisper-tiny.en", "whisper-base", "pocketsphinx")
    True
    """
    name = whisper.pick_model(language)
    if whisper.missing_reason(name) is None:
        return f"whisper-{name}"
    return "pocketsphinx" if language is None or whisper.whisper_language(language) == "en" else None


def recognize(audio: AudioSource, *, recognizer: str = "auto", language: str | None = "en",
              **options: object) -> Recognition:
    """Recognise speech: Whisper when installed, else pocketsphinx (English).

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        Anything :func:`phoneme.audio.load_audio` accepts.
    recognizer : {"auto", "whisper", "pocketsphinx"}
        ``"auto"``: Whisper when the ``kmtalk[asr]`` extra is installed, else
        pocketsphinx.
    language : str or None, default "en"
        The language spoken; None lets Whisper detect it. pocketsphinx hears
        US English only.
    **options
        Passed to :func:`phoneme.whisper.transcribe` (``model``, ``beam_size``,
        ``compute_type``, ``threads``).

    Returns
    -------
    Recognition

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        No word was recognised (no speech found), or no recogniser here hears
        ``language``.
    BackendUnavailableError
        ``recognizer="whisper"`` without the asr extra.
    """
    if recognizer not in RECOGNIZERS:
        raise BackendUnavailableError(f"unknown recogniser {recognizer!r}; choose from {', '.join(RECOGNIZERS)}")
    if recognizer == "whisper" or (recognizer == "auto" and available_recognizer(language) not in
                                   (None, "pocketsphinx")):
        return whisper.transcribe(audio, language=language, **options)  # type: ignore[arg-type]
    if language is not None and whisper.whisper_language(language) != "en":
        reason = whisper.missing_reason("base") or "pocketsphinx hears English only"
        raise TranscriptError(f"no recogniser here hears {language!r} speech: pocketsphinx is English only, and "
                              f"{reason}; or give the transcript")
    return _pocketsphinx(audio)


def _pocketsphinx(audio: AudioSource) -> Recognition:
    """Recognise English speech with pocketsphinx's default acoustic and language model."""
    samples, _ = load_audio(audio, sample_rate=_SAMPLE_RATE)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    with _LOCK:
        decoder = _decoder()
        decoder.reinit_feat()  # reset the running cepstral mean: the result must not depend on earlier calls
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        segments = list(decoder.seg())
    words: list[Interval] = []
    for seg in segments:
        word = _clean(seg.word)
        if word is None:
            continue
        start = seg.start_frame * _FRAME_S
        end = max((seg.end_frame + 1) * _FRAME_S, start)
        words.append(Interval(word, start, end, confidence=float(np.clip(seg.prob, 0.0, 1.0))))
    if not words:
        raise TranscriptError("no speech was recognised in the audio; give a transcript instead")
    conf = float(np.mean([w.confidence for w in words]))
    text = " ".join(w.label for w in words)
    log.info("recognised %d words (mean confidence %.2f): %s", len(words), conf, text)
    return Recognition(text=text, words=words, confidence=conf, recognizer="pocketsphinx", language="en")
