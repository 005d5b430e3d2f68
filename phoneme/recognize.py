"""Speech recognition with pocketsphinx's bundled US-English model (for animating without a transcript).

The result is approximate — pocketsphinx's default language model mis-hears
many words — but the *phones* it implies usually look right on a face
(a mis-heard "weakness" for "weaknesses" still closes the lips on the right
frames). kmtalk marks animations made this way as transcript-free with a
lower confidence.

Examples
--------
>>> from phoneme.recognize import recognize
>>> r = recognize("../shared/data/video-dev/retalking_1.wav")  # doctest: +SKIP
>>> r.text.split()[:2]  # doctest: +SKIP
['my', 'biggest']
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .audio import AudioSource, load_audio
from .errors import TranscriptError
from .types import Interval

__all__ = ["Recognition", "recognize"]

log = logging.getLogger(__name__)

_SAMPLE_RATE = 16000
_FRAME_S = 0.01  # pocketsphinx frames are 10 ms


@dataclass
class Recognition:
    """What the recogniser heard.

    Attributes
    ----------
    text : str
        The recognised words, lower case, space-separated.
    words : list of Interval
        Each recognised word with its time span and posterior probability as ``confidence``.
    confidence : float
        Mean word posterior (0–1).
    """

    text: str
    words: list[Interval] = field(default_factory=list)
    confidence: float = 0.0


_LOCK = threading.Lock()


#: Search settings (measured in docs/benchmarks.md, "Transcript-free speed"): ``fwdflat=False``
#: skips the second flat-lexicon pass (0.28 → 0.18 s per audio second, same share of words
#: recognised); ``maxhmmpf`` caps the active HMMs per frame (pocketsphinx's default is 30000).
DECODER_OPTIONS: dict[str, object] = {"fwdflat": False, "maxhmmpf": 5000}


@lru_cache(maxsize=1)
def _decoder():  # noqa: ANN202 - pocketsphinx.Decoder
    """One decoder per process (building it costs ~0.27 s)."""
    from pocketsphinx import Decoder

    return Decoder(samprate=_SAMPLE_RATE, loglevel="FATAL", **DECODER_OPTIONS)


def _clean(word: str) -> str | None:
    if word.startswith(("<", "[")):
        return None  # <s>, </s>, <sil>, [SPEECH], [NOISE]
    return word.split("(")[0].lower()  # "for(3)" → "for"


def recognize(audio: AudioSource) -> Recognition:
    """Recognise English speech with pocketsphinx's default acoustic and language model.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        Anything :func:`phoneme.audio.load_audio` accepts.

    Returns
    -------
    Recognition

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        No word was recognised (no speech found).
    """
    samples, sr = load_audio(audio, sample_rate=_SAMPLE_RATE)
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
    return Recognition(text=text, words=words, confidence=conf)
