"""Speech synthesis with espeak-ng, timed to the sample by espeak's own events.

What the times mean
-------------------
espeak-ng reports each event with ``sample``: the index, counted from the first
sample it returns for the call, at which the event sits in its output stream
(``audio_position`` is the same point in whole milliseconds, rounded down;
this module uses ``sample``). Events are queued between the sound commands
that make the audio, so they are exact in that stream. From espeak-ng's
``Generate()`` (synthesize.c) and measurement:

* **Word event** — emitted *before* the word's pre-pause (a short stretch of
  digital silence, 0–50 ms, that espeak inserts between words and which forms
  the closure of a word-initial stop), i.e. where the previous word's sound ends.
* **Phoneme event** — emitted after that pre-pause, where the phoneme's own
  sound begins, with one exception: before a vowel, a liquid (l, ɹ, w, j —
  espeak types w and j as liquids) or a nasal is sounded inside the vowel's
  onset sequence (its murmur and the transition), and the vowel's event comes
  only after it, 40–80 ms after the true boundary at the default rate. When the
  vowel starts the next word, that word's event even coincides with the
  consonant's. Likewise a liquid after a vowel of the same word (``film``,
  ``old``) is sounded inside the vowel's offset and its event comes at or near
  the end of its sound. Such boundaries cannot be read from the events.
* A phoneme event with an empty name is a pause (``_``, ``_:`` …), possibly of
  zero length.
* Stops inside a word are preceded by a pre-pause too (their closure, 20–50 ms
  of digital silence) that comes before their event.

From these, the intervals are:

* A word that starts with a stop or affricate starts at its word event: the
  pre-pause is the stop's closure.
* A word that starts with any other phone starts where the sound resumes after
  the pre-pause (the end of its digital silence); the pre-pause is a silent gap
  between the words. For a word-initial vowel this is also its true onset, even
  when espeak's event for it comes late.
* After a pause, or at the start of the audio, the silent pre-pause belongs to
  the pause and the word starts at its first phoneme event (a stop then starts
  at its burst: after silence a closure cannot be seen).
* A stop or affricate inside a word starts where the run of digital silence
  before its event begins (closure included, as in TIMIT-style labelling).
* A vowel after a liquid or nasal (in the same word or across a word
  boundary, not after a pause), and a liquid after a vowel of its word, start
  at the midpoint between the previous phone's event and their own — an
  estimate, flagged ``onset_exact=False``.
* Every other phone starts at its event; each phone ends where the next phone
  or pause or gap starts; a word ends where its last phone ends.
* Text that espeak speaks as one unit (``"of a"`` is one dictionary entry)
  comes back as one word whose label is that text.

``tests/test_espeak.py`` checks these semantics against the waveform (silence
before the first event, energy between a word's start and end, silence in the
pauses).

Reproducibility: espeak-ng keeps a pitch-flutter phase in a C static that is
never reset, so the same text synthesised twice *in one process* can differ by
a few milliseconds (the times always match the audio returned). A fresh
process making the same calls in the same order gets identical output.

Examples
--------
>>> from phoneme.espeak import synthesize
>>> syn = synthesize("Bob fed five blue balloons.", voice="en-us", rate=175)
>>> [w.label for w in syn.words][:3], round(syn.words[0].start, 3)
(['Bob', 'fed', 'five'], 0.013)
>>> a = syn.to_alignment()
>>> [p.label for p in a.spoken_phones()][:4]
['b', 'ɑ', 'b', 'f']
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from ..audio import resample
from ..errors import BackendUnavailableError, TranscriptError
from ..types import Alignment, Interval, fill_silence
from . import _library as _lib
from .ipa import espeak_manner, espeak_to_ipa, strip_stress
from .voices import select_voice

__all__ = ["Synthesis", "TimedLabel", "synthesize"]

log = logging.getLogger(__name__)

#: int16 magnitude at or below which espeak's output counts as its digital silence.
_SILENT = 4
_CLOSURE_MANNERS = frozenset({"stop", "affricate"})
_LATE_ONSET_AFTER = frozenset({"liquid", "nasal"})
_EDGE = re.compile(r"^[^\w']+|[^\w']+$")


class TimedLabel(NamedTuple):
    """A label with start and end in seconds (unpacks as ``label, start, end``)."""

    label: str
    start: float
    end: float


@dataclass(frozen=True)
class Synthesis:
    """espeak-ng audio with its word and phoneme timing.

    Attributes
    ----------
    samples : numpy.ndarray
        Mono float32 audio in [-1, 1].
    sample_rate : int
        Rate of :attr:`samples` (espeak's native 22050 Hz unless resampled).
    text, voice : str
        What was spoken, and by which voice.
    rate, pitch : int
        Words per minute and base pitch (0–100) used.
    phonemes : list of TimedLabel
        espeak's phoneme names (IPA, stress marks removed) with times in seconds;
        pauses are left out (they are the gaps).
    words : list of TimedLabel
        Word text (as written in :attr:`text`) with times in seconds.
    phoneme_word : list of int
        For each phoneme, the index of its word in :attr:`words` (-1 for none).
    onset_exact : list of bool
        For each phoneme, False where its start (and so the end of the phone
        before it) is an estimate rather than read from espeak's events: a vowel
        after a liquid or nasal, a liquid after a vowel. A word's start is exact when its first
        phoneme's is. Every other boundary is exact to the sample.
    native_rate : int
        espeak's output rate (times are computed at this rate, then converted).
    """

    samples: np.ndarray
    sample_rate: int
    text: str
    voice: str
    rate: int
    pitch: int
    phonemes: list[TimedLabel]
    words: list[TimedLabel]
    phoneme_word: list[int]
    onset_exact: list[bool]
    native_rate: int = 22050
    events: list = field(default_factory=list, repr=False)

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.samples) / float(self.sample_rate)

    def padded(self, before: float = 0.0, after: float = 0.0) -> Synthesis:
        """A copy with ``before``/``after`` seconds of silence added and every time shifted.

        The padding is rounded to whole samples; times shift by exactly that.

        Examples
        --------
        >>> syn = synthesize("Hi.")
        >>> p = syn.padded(0.25, 0.25)
        >>> round(p.words[0].start - syn.words[0].start, 3), round(p.duration - syn.duration, 3)
        (0.25, 0.5)
        """
        if before < 0 or after < 0:
            raise ValueError(f"padding must be >= 0 seconds, got before={before}, after={after}")
        n0 = round(before * self.sample_rate)
        n1 = round(after * self.sample_rate)
        shift = n0 / float(self.sample_rate)
        samples = np.concatenate([np.zeros(n0, np.float32), self.samples, np.zeros(n1, np.float32)])

        def mv(items: list[TimedLabel]) -> list[TimedLabel]:
            return [TimedLabel(t.label, t.start + shift, t.end + shift) for t in items]

        return replace(self, samples=samples, phonemes=mv(self.phonemes), words=mv(self.words))

    def to_alignment(self, *, phone_set: str = "ipa") -> Alignment:
        """The timing as an :class:`~phoneme.types.Alignment` (gaps filled with silence).

        Parameters
        ----------
        phone_set : {"ipa", "espeak"}
            ``"ipa"`` maps espeak's English names to kmtalk's IPA inventory
            (``assets/phones/espeak_en_to_ipa.tsv``); a name that maps to two
            phones (``ɑːɹ`` → ``ɑ ɹ``) is split into equal halves. ``"espeak"``
            keeps espeak's names (any language).

        Returns
        -------
        Alignment
            ``aligner="espeak-ng"``; words lower-cased.

        Raises
        ------
        PronunciationError
            With ``phone_set="ipa"``, for a phoneme outside the English table.

        Examples
        --------
        >>> a = synthesize("Blue balloons.").to_alignment()
        >>> [w.label for w in a.spoken_words()]
        ['blue', 'balloons']
        """
        if phone_set not in ("ipa", "espeak"):
            raise ValueError(f"phone_set must be 'ipa' or 'espeak', got {phone_set!r}")
        duration = self.duration
        words = fill_silence([Interval(w.label.lower(), w.start, w.end) for w in self.words], duration)
        spoken_index = [i for i, w in enumerate(words) if not w.is_silence]
        phones: list[Interval] = []
        for (label, start, end), widx in zip(self.phonemes, self.phoneme_word):
            word = spoken_index[widx] if widx >= 0 else None
            parts = espeak_to_ipa(label) if phone_set == "ipa" else (label,)
            step = (end - start) / len(parts)
            for k, part in enumerate(parts):
                phones.append(Interval(part, start + k * step, start + (k + 1) * step, word=word))
        return Alignment(
            words=words, phones=fill_silence(phones, duration), duration=duration,
            transcript=self.text, aligner="espeak-ng", language=self.voice.split("-")[0],
        )


@dataclass
class _Word:
    pos: int
    sample: int
    after_pause: bool
    phones: list[int] = field(default_factory=list)


@dataclass
class _Seg:
    label: str  # "" for a pause
    start: int
    word: int = -1
    exact: bool = True
    event: int = -1  # the sample of its own phoneme event


def _segments(events: list, audio: np.ndarray) -> tuple[list[_Seg], list[_Word]]:
    """Turn espeak's event stream into phone/pause segments (start samples) and words."""
    segs: list[_Seg] = []
    words: list[_Word] = []
    pending: _Word | None = None
    prev_kind = ""  # "" start of audio, "pause", "phone"
    prev_manner = ""
    for ev in events:
        if ev.type == _lib.EVENT_WORD:
            if ev.length <= 0:
                continue
            pending = _Word(ev.text_position, ev.sample, after_pause=prev_kind != "phone")
            words.append(pending)
        elif ev.type == _lib.EVENT_PHONEME:
            name = strip_stress(ev.name)
            if not name:
                segs.append(_Seg("", ev.sample, event=ev.sample))
                prev_kind = "pause"
                if pending is not None:
                    pending.after_pause = True
                continue
            manner = espeak_manner(name)
            exact = True
            after_pause = pending.after_pause if pending is not None else prev_kind != "phone"
            if manner == "vowel" and not after_pause and prev_manner in _LATE_ONSET_AFTER:
                # espeak makes the liquid/nasal's sound inside the vowel's onset and
                # reports the vowel only after it: the boundary lies between the two
                # events; estimate it as their midpoint and flag it.
                start = (segs[-1].event + ev.sample) // 2
                exact = False
                pending = None
            elif pending is not None:
                if pending.after_pause:
                    start = ev.sample
                elif manner in _CLOSURE_MANNERS:
                    start = pending.sample
                else:
                    # the pre-pause is a silent gap between the words; the phone
                    # starts where sound resumes
                    start = pending.sample
                    while start < ev.sample and start < len(audio) and abs(int(audio[start])) <= _SILENT:
                        start += 1
                    if start > pending.sample:
                        segs.append(_Seg("", pending.sample, event=pending.sample))
                pending = None
            elif manner == "liquid" and prev_kind == "phone" and prev_manner == "vowel":
                # a liquid after a vowel of the same word is sounded inside the
                # vowel's offset; its event comes at (or near) its end
                start = (segs[-1].event + ev.sample) // 2
                exact = False
            else:
                start = ev.sample
                if prev_kind == "phone" and manner in _CLOSURE_MANNERS:
                    floor = segs[-1].start + 1
                    while start > floor and start <= len(audio) and abs(int(audio[start - 1])) <= _SILENT:
                        start -= 1
            start = max(start, segs[-1].start if segs else 0)
            widx = len(words) - 1 if words else -1
            if widx >= 0:
                words[widx].phones.append(len(segs))
            segs.append(_Seg(name, start, widx, exact, ev.sample))
            prev_kind, prev_manner = "phone", manner
    return segs, words


def _word_label(text: str, pos: int, next_pos: int | None) -> str:
    start = max(pos - 1, 0)
    span = text[start:(next_pos - 1) if next_pos else len(text)]
    return _EDGE.sub("", span.strip()) or span.strip()


def synthesize(text: str, *, voice: str = "en-us", rate: int = 175, pitch: int = 50,
               sample_rate: int | None = None) -> Synthesis:
    """Speak ``text`` with espeak-ng and return the audio with exact word and phone times.

    Parameters
    ----------
    text : str
        What to say (plain text; numbers and abbreviations are expanded by
        espeak's rules; SSML is not interpreted).
    voice : str, default ``"en-us"``
        espeak-ng voice or language code, optionally with a variant
        (``"en-gb-x-rp"``, ``"en-us+f3"``); see :func:`list_voices`.
    rate : int, default 175
        Speaking rate in words per minute, 80–450.
    pitch : int, default 50
        Base pitch, 0–100.
    sample_rate : int, optional
        Resample the audio to this rate (soxr); times do not change.
        Default: espeak's native 22050 Hz.

    Returns
    -------
    Synthesis

    Raises
    ------
    TranscriptError
        If ``text`` is empty or espeak speaks no word of it.
    UnknownVoiceError
        If the voice is not installed.
    BackendUnavailableError
        If espeak-ng's library is not installed or fails.

    Examples
    --------
    >>> syn = synthesize("Hello there.", rate=150, sample_rate=16000)
    >>> syn.sample_rate, syn.samples.dtype.name, [w.label for w in syn.words]
    (16000, 'float32', ['Hello', 'there'])
    """
    if not isinstance(text, str) or not text.strip():
        raise TranscriptError("synthesize() needs non-empty text")
    if not isinstance(rate, (int, np.integer)) or not 80 <= rate <= 450:
        raise ValueError(f"rate must be an integer 80..450 words per minute, got {rate!r}")
    if not isinstance(pitch, (int, np.integer)) or not 0 <= pitch <= 100:
        raise ValueError(f"pitch must be an integer 0..100, got {pitch!r}")
    if sample_rate is not None and (not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0):
        raise ValueError(f"sample_rate must be a positive integer or None, got {sample_rate!r}")

    lib = _lib.library()
    chunks: list[np.ndarray] = []
    events: list = []

    def collect(wav, n: int, evs: list) -> None:
        if wav and n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        events.extend(evs)

    data = text.encode("utf-8")
    with _lib.LOCK:
        select_voice(voice)
        for param, value in ((_lib.PARAM_RATE, rate), (_lib.PARAM_PITCH, pitch),
                             (_lib.PARAM_RANGE, 50), (_lib.PARAM_VOLUME, 100),
                             (_lib.PARAM_WORDGAP, 0), (_lib.PARAM_PUNCTUATION, 0),
                             (_lib.PARAM_CAPITALS, 0)):
            lib.lib.espeak_SetParameter(param, int(value), 0)
        _lib.set_collector(collect)
        try:
            rc = lib.lib.espeak_Synth(data, len(data) + 1, 0, _lib.POS_CHARACTER, 0,
                                      _lib.CHARS_UTF8, None, None)
        finally:
            _lib.set_collector(None)
    if rc != _lib.EE_OK:
        raise BackendUnavailableError(f"espeak-ng failed to synthesise (status {rc}); " + _lib.INSTALL_HINT)

    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    native = lib.sample_rate
    segs, words = _segments(events, audio)
    n = len(audio)
    ends = [segs[i + 1].start if i + 1 < len(segs) else n for i in range(len(segs))]

    phone_ix = [i for i, s in enumerate(segs) if s.label]
    kept_words = [w for w in words if w.phones]
    if not kept_words:
        raise TranscriptError(f"espeak-ng spoke no word of {text!r}")
    word_index = {id(w): k for k, w in enumerate(kept_words)}
    positions = [w.pos for w in words]

    timed_words: list[TimedLabel] = []
    for w in kept_words:
        nxt = next((p for p in positions if p > w.pos), None)
        first, last = w.phones[0], w.phones[-1]
        timed_words.append(TimedLabel(_word_label(text, w.pos, nxt),
                                      segs[first].start / native, ends[last] / native))
    phonemes = [TimedLabel(segs[i].label, segs[i].start / native, ends[i] / native) for i in phone_ix]
    phoneme_word = [word_index.get(id(words[segs[i].word]), -1) if segs[i].word >= 0 else -1
                    for i in phone_ix]
    onset_exact = [segs[i].exact for i in phone_ix]

    samples = audio.astype(np.float32) / 32768.0
    out_rate = native
    if sample_rate is not None and sample_rate != native:
        samples = resample(samples, native, int(sample_rate))
        np.clip(samples, -1.0, 1.0, out=samples)  # resampling can overshoot a full-scale peak
        out_rate = int(sample_rate)
    log.debug("espeak-ng spoke %d words, %d phonemes, %.2f s (%s, %d wpm)",
              len(timed_words), len(phonemes), n / native, voice, rate)
    return Synthesis(samples=samples, sample_rate=out_rate, text=text, voice=voice, rate=int(rate),
                     pitch=int(pitch), phonemes=phonemes, words=timed_words,
                     phoneme_word=phoneme_word, onset_exact=onset_exact, native_rate=native,
                     events=events)
