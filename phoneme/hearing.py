"""What the audio says: hear speech in the language it is in, and check a transcript against it.

:func:`hear` recognises speech for transcript-free animation (Whisper when
the ``kmtalk[asr]`` extra is installed, else pocketsphinx) and checks the
language: when the speech does not sound like ``language`` it says so, and
(Whisper's multilingual model being sure) transcribes the language it hears.

:func:`check_transcript` compares a transcript with what is heard: the word
error rate over the two word sequences aligned word by word (both normalised
the same way: numbers and abbreviations spelled out, case and punctuation
dropped, fillers such as "um" ignored), the words that differ, and the
likely language. Its verdict (``TranscriptCheck.ok``) is what kmtalk warns
about, records in ``Animation.meta["transcript_check"]`` and the QC report,
and refuses under ``--strict``. Thresholds are in :class:`CheckConfig`; their
precision and recall on a labelled set are in ``docs/benchmarks.md``
("Recognition (Whisper)", "Transcript check").

Examples
--------
>>> from phoneme.hearing import word_errors
>>> e = word_errors("the cat sat on the mat", "the cat sat on a hat")
>>> e.wer, e.mismatches
(0.3333333333333333, [('substitute', 'the', 'a'), ('substitute', 'mat', 'hat')])
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .audio import AudioSource, load_audio
from .errors import TranscriptError
from .recognize import available_recognizer, recognize
from .types import Recognition

__all__ = ["CheckConfig", "Heard", "TranscriptCheck", "WordErrors", "char_error_rate", "check_transcript", "hear",
           "word_errors"]

log = logging.getLogger(__name__)

_SAMPLE_RATE = 16000
#: Hesitations that transcripts write and Whisper leaves out (or the reverse); not counted as errors.
FILLERS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "ah", "eh", "hm", "hmm", "mm", "mhm", "uhm"})


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds of :func:`hear` and :func:`check_transcript`.

    Attributes
    ----------
    max_wer, max_cer : float
        A transcript whose word error rate against what is heard reaches ``max_wer`` *and*
        whose character error rate (words written together, :func:`char_error_rate`)
        reaches ``max_cer`` is a mismatch. The second condition keeps a recogniser that
        splits a word ("a liner" for "aligner") from failing a correct short line.
    language_probability : float
        Whisper's language identification must be at least this sure of another
        language to call the speech another language than the one given …
    unlikely_probability : float
        … or give the language given less than this.
    switch_probability : float
        Transcript-free: at least this sure, the heard language is transcribed instead of
        the one given (below it, the given language is kept and a warning says what it
        may be).
    english_gate : float
        Whisper tiny.en hears English only; when its mean word probability is below
        this (or it hears nothing), the multilingual model identifies the language.
    """

    max_wer: float = 0.4
    max_cer: float = 0.25
    language_probability: float = 0.5
    unlikely_probability: float = 0.05
    switch_probability: float = 0.9
    english_gate: float = 0.6


# ----------------------------------------------------------------------------- word errors


@dataclass
class WordErrors:
    """Word-by-word comparison of a reference (the transcript) with a hypothesis (what was heard).

    Attributes
    ----------
    wer : float
        (substitutions + deletions + insertions) / reference words.
    reference, hypothesis : list of str
        The compared words.
    cer : float
        :func:`char_error_rate` of the same words.
    ops : list of (op, ref, hyp)
        The alignment: ``op`` is ``"equal"``, ``"substitute"``, ``"delete"`` (in the
        transcript, not heard; ``hyp`` None) or ``"insert"`` (heard, not in the
        transcript; ``ref`` None).
    """

    wer: float
    reference: list[str]
    hypothesis: list[str]
    ops: list[tuple[str, str | None, str | None]]
    cer: float = 0.0

    @property
    def mismatches(self) -> list[tuple[str, str | None, str | None]]:
        """The ops that are not ``"equal"``."""
        return [op for op in self.ops if op[0] != "equal"]


def _key(word: str) -> list[str]:
    w = word.lower().replace("’", "'").replace("'", "")
    return [p for p in w.replace("-", " ").split() if p and p not in FILLERS]


#: Languages written without spaces between words (and Japanese: kana transcripts, kanji from Whisper):
#: their word error rate says little, so only the language is checked.
UNSPACED = frozenset({"ja", "zh", "yue", "th", "lo", "my", "km", "bo"})


def _words(text: str, language: str) -> list[str]:
    from .errors import KmtalkError
    from .multilingual import is_english, transcript_words
    from .text import normalize_text

    try:
        raw = (normalize_text(text, language=language) if is_english(language)
               else transcript_words(text, language=language))
    except KmtalkError:  # e.g. heard Japanese written in kanji: compare the plain word tokens
        raw = re.findall(r"[\w'’-]+", text.lower())
    return [k for w in raw for k in _key(w)]


def _distance_matrix(a: list[str], b: list[str]) -> np.ndarray:
    """Levenshtein distances between every prefix of ``a`` and of ``b`` ([len(a)+1, len(b)+1]).

    Row by row with numpy: substitutions and deletions elementwise, insertions by a running
    minimum (``d[i, j] = min(v[j], d[i, j-1] + 1)`` is ``minimum.accumulate(v - j) + j``).
    """
    codes: dict[str, int] = {}
    x = np.array([codes.setdefault(w, len(codes)) for w in a], dtype=np.int64)
    y = np.array([codes.setdefault(w, len(codes)) for w in b], dtype=np.int64)
    n, m = x.size, y.size
    j = np.arange(m + 1, dtype=np.int64)
    d = np.empty((n + 1, m + 1), dtype=np.int64)
    d[0] = j
    for i in range(1, n + 1):
        v = np.empty(m + 1, dtype=np.int64)
        v[0] = i
        v[1:] = np.minimum(d[i - 1, :-1] + (y != x[i - 1]), d[i - 1, 1:] + 1)
        d[i] = np.minimum.accumulate(v - j) + j
    return d


def char_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Character error rate of the words written together without spaces.

    Robust to a recogniser splitting or joining words differently ("aligner" heard as "a
    liner"), which word error rate counts as two or three errors.

    Examples
    --------
    >>> from phoneme.hearing import char_error_rate
    >>> round(char_error_rate(["montreal", "forced", "aligner"], ["montreal", "forced", "a", "liner"]), 3)
    0.048
    """
    a, b = list("".join(reference)), list("".join(hypothesis))
    if not a:
        return 0.0 if not b else 1.0
    # two rows suffice for the distance; keep it linear in memory for long lines
    return float(_distance_matrix(a, b)[-1, -1]) / len(a) if len(a) * len(b) <= 4_000_000 else \
        float(_row_distance(a, b)) / len(a)


def _row_distance(a: list[str], b: list[str]) -> int:
    """The Levenshtein distance of ``a`` and ``b`` keeping one row at a time."""
    codes: dict[str, int] = {}
    x = np.array([codes.setdefault(w, len(codes)) for w in a], dtype=np.int64)
    y = np.array([codes.setdefault(w, len(codes)) for w in b], dtype=np.int64)
    j = np.arange(y.size + 1, dtype=np.int64)
    row = j.copy()
    for i in range(1, x.size + 1):
        v = np.empty_like(row)
        v[0] = i
        v[1:] = np.minimum(row[:-1] + (y != x[i - 1]), row[1:] + 1)
        row = np.minimum.accumulate(v - j) + j
    return int(row[-1])


def word_errors(reference: str | list[str], hypothesis: str | list[str], *, language: str = "en") -> WordErrors:
    """Word error rate with the word alignment (Levenshtein over words, ties: substitution first).

    Parameters
    ----------
    reference, hypothesis : str or list of str
        Texts (normalised: :func:`phoneme.text.normalize_text` for English,
        :func:`phoneme.multilingual.transcript_words` otherwise; apostrophes and
        hyphens dropped, fillers ignored) or word lists taken as they are.
    language : str, default "en"

    Returns
    -------
    WordErrors

    Examples
    --------
    >>> from phoneme.hearing import word_errors
    >>> word_errors("Mr. Smith paid $5.", "mister smith paid five dollars").wer
    0.0
    """
    ref = _words(reference, language) if isinstance(reference, str) else list(reference)
    hyp = _words(hypothesis, language) if isinstance(hypothesis, str) else list(hypothesis)
    n, m = len(ref), len(hyp)
    d = _distance_matrix(ref, hyp)
    ops: list[tuple[str, str | None, str | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i, j] == d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            ops.append(("equal" if ref[i - 1] == hyp[j - 1] else "substitute", ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and d[i, j] == d[i - 1, j] + 1:
            ops.append(("delete", ref[i - 1], None))
            i -= 1
        else:
            ops.append(("insert", None, hyp[j - 1]))
            j -= 1
    ops.reverse()
    wer = float(d[n, m]) / n if n else (0.0 if not m else 1.0)
    return WordErrors(wer=wer, reference=ref, hypothesis=hyp, ops=ops, cer=char_error_rate(ref, hyp))


# ----------------------------------------------------------------------------- hearing


@dataclass
class Heard:
    """What :func:`hear` recognised, in which language, and what it noticed.

    Attributes
    ----------
    recognition : Recognition
        Words, times, recogniser.
    language : str
        The language transcribed (kmtalk code as given, or Whisper's code when the
        heard language was transcribed instead).
    requested_language : str or None
        The ``language`` asked for.
    language_guess : LanguageGuess or None
        Whisper's language identification, when it ran.
    warnings : list of str
        Human-readable notes (the language heard differs from the one given …).
    """

    recognition: Recognition
    language: str
    requested_language: str | None
    language_guess: Any = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        g = self.language_guess
        return {"recognizer": self.recognition.recognizer, "text": self.recognition.text,
                "language": self.language, "requested_language": self.requested_language,
                "heard_language": None if g is None else g.language,
                "heard_language_probability": None if g is None else round(g.probability, 4),
                "warnings": list(self.warnings)}


def _same(a: str | None, b: str | None) -> bool:
    from .whisper import whisper_language

    return a is not None and b is not None and whisper_language(a) == whisper_language(b)


def _other_language(guess: Any, language: str | None, config: CheckConfig) -> bool:
    """The identified language is not ``language``, and Whisper is sure of it or finds ``language`` unlikely."""
    if guess is None or language is None or _same(guess.language, language):
        return False
    return guess.probability >= config.language_probability or \
        guess.probability_of(language) < config.unlikely_probability


def _guess(samples: np.ndarray) -> Any:
    from .whisper import detect_language, missing_reason

    if missing_reason("base") is not None:
        return None
    return detect_language((samples, _SAMPLE_RATE))


def hear(
    audio: AudioSource,
    *,
    language: str | None = "en",
    recognizer: str = "auto",
    config: CheckConfig = CheckConfig(),
    **options: Any,
) -> Heard:
    """Recognise speech, making sure it is heard in the language it is spoken in.

    With Whisper (``kmtalk[asr]``): English goes to tiny.en; when tiny.en hears
    nothing or little (mean word probability below ``config.english_gate``) the
    multilingual model identifies the language. Other languages go to the
    multilingual model, which identifies the language first. When the speech
    sounds like another language (probability at least
    ``config.language_probability``) a warning says so, and at
    ``config.switch_probability`` or more the heard language is transcribed.
    pocketsphinx (no extra) hears US English only and identifies nothing.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
    language : str or None, default "en"
        The language the caller expects; None: whatever is heard.
    recognizer : {"auto", "whisper", "pocketsphinx"}
    config : CheckConfig
    **options
        Passed to :func:`phoneme.whisper.transcribe`.

    Returns
    -------
    Heard

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        No speech was heard.

    Examples
    --------
    >>> from phoneme.hearing import hear
    >>> h = hear("tests/data/speech/praatio/mary.flac")  # doctest: +SKIP
    >>> h.recognition.text, h.language  # doctest: +SKIP
    ('Mary rolled the barrel.', 'en')
    """
    from .whisper import whisper_language

    samples, _ = load_audio(audio, sample_rate=_SAMPLE_RATE)
    pcm = (samples, _SAMPLE_RATE)
    who = recognizer if recognizer != "auto" else (available_recognizer(language) or "pocketsphinx")
    if not who.startswith("whisper"):
        rec = recognize(pcm, recognizer="pocketsphinx", language=language)
        return Heard(rec, language or "en", language)

    warnings: list[str] = []
    guess = None
    english = language is not None and whisper_language(language) == "en"
    if english:
        try:
            rec: Recognition | None = recognize(pcm, recognizer="whisper", language=language, **options)
        except TranscriptError:
            rec = None
        if rec is not None and rec.recognizer.endswith(".en") and rec.confidence >= config.english_gate:
            return Heard(rec, language, language)
        guess = _guess(samples)
        if rec is None and not _other_language(guess, language, config):
            raise TranscriptError("no speech was recognised in the audio; give a transcript instead")
    else:
        guess = _guess(samples)
    use = language
    if _other_language(guess, language, config):
        if guess.probability >= config.switch_probability:
            use = guess.language
            warnings.append(f"language={language!r} but the speech sounds like {guess.language!r} "
                            f"(probability {guess.probability:.2f}); transcribed as {guess.language!r}")
        else:
            warnings.append(f"language={language!r} but the speech may be {guess.language!r} "
                            f"(probability {guess.probability:.2f})")
    if use is None and guess is not None:
        use = guess.language
    if english and _same(use, language):
        if rec is None:
            raise TranscriptError("no speech was recognised in the audio; give a transcript instead")
        out = rec
    else:
        out = recognize(pcm, recognizer="whisper", language=use, **options)
    for w in warnings:
        log.warning("%s", w)
    return Heard(out, use or out.language or "en", language, guess, warnings)


# ----------------------------------------------------------------------------- the check


@dataclass
class TranscriptCheck:
    """A transcript compared with what the audio says.

    Attributes
    ----------
    ok : bool
        False when the transcript does not match the audio (see ``verdict``).
    verdict : str
        ``"ok"``; ``"mismatch"`` (word error rate at least ``max_wer``; not for
        languages written without spaces, :data:`UNSPACED`, where only the language is checked);
        ``"language"`` (the speech is confidently another language than the
        transcript's); ``"no_speech"`` (nothing was heard: noise, music, silence).
    message : str
        One line for a user: what is wrong and what to do ("" when ok).
    wer, cer : float or None
        Word and character error rates of the transcript against what was heard.
    heard : str
        What the recogniser heard.
    recognizer : str
        Who heard it.
    language, heard_language : str or None
        The transcript's language and the language identified in the audio
        (None when not identified).
    heard_language_probability : float or None
    mismatched_words : list of dict
        ``{"op", "transcript", "heard"}`` for every word that differs.
    """

    ok: bool
    verdict: str
    message: str
    wer: float | None
    heard: str
    recognizer: str
    language: str
    cer: float | None = None
    heard_language: str | None = None
    heard_language_probability: float | None = None
    mismatched_words: list[dict[str, str | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        d = asdict(self)
        for k in ("wer", "cer"):
            if d[k] is not None:
                d[k] = round(d[k], 4)
        if d["heard_language_probability"] is not None:
            d["heard_language_probability"] = round(d["heard_language_probability"], 4)
        return d


def _show(mismatches: list[tuple[str, str | None, str | None]], limit: int = 6) -> str:
    parts = []
    for op, ref, hyp in mismatches[:limit]:
        parts.append(f"{ref!r}→{hyp!r}" if op == "substitute" else
                     f"{ref!r} not heard" if op == "delete" else f"heard {hyp!r}")
    more = len(mismatches) - limit
    return ", ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def check_transcript(
    audio: AudioSource,
    transcript: str | os.PathLike[str],
    *,
    language: str = "en",
    recognizer: str = "auto",
    config: CheckConfig = CheckConfig(),
    **options: Any,
) -> TranscriptCheck:
    """Compare a transcript with what the audio says.

    The audio is recognised (:func:`hear` with the transcript's language) and
    the two word sequences are aligned (:func:`word_errors`). When the
    transcript mismatches and the language was not identified yet, the
    multilingual model identifies it so the message can say what the audio is.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
    transcript : str or path
        The transcript (a ``.txt``/``.lab`` path is read).
    language : str, default "en"
        The transcript's language.
    recognizer : {"auto", "whisper", "pocketsphinx"}
        ``"auto"``: Whisper when installed, else pocketsphinx (English only; it
        mis-hears many words, so its word error rates run high).
    config : CheckConfig
    **options
        Passed to :func:`phoneme.whisper.transcribe`.

    Returns
    -------
    TranscriptCheck

    Raises
    ------
    AudioError
        Unusable audio.
    TranscriptError
        Unreadable transcript.

    Examples
    --------
    >>> from phoneme.hearing import check_transcript
    >>> c = check_transcript("tests/data/speech/praatio/mary.flac", "Bob bought a big balloon")  # doctest: +SKIP
    >>> c.ok, c.verdict  # doctest: +SKIP
    (False, 'mismatch')
    """
    from .aligning import read_transcript
    from .whisper import whisper_language

    text = read_transcript(transcript)
    samples, _ = load_audio(audio, sample_rate=_SAMPLE_RATE)
    try:
        heard = hear((samples, _SAMPLE_RATE), language=language, recognizer=recognizer, config=config, **options)
    except TranscriptError:
        guess = None
        if (available_recognizer(language) or "").startswith("whisper"):
            guess = _guess(samples)
        return TranscriptCheck(
            ok=False, verdict="no_speech", wer=None, heard="", recognizer=available_recognizer(language) or "",
            language=language, heard_language=None if guess is None else guess.language,
            heard_language_probability=None if guess is None else guess.probability,
            message="no speech was heard in the audio, but a transcript was given: is this the right file "
                    "(noise, music or silence)?")
    rec = heard.recognition
    errors = word_errors(_words(text, language), _words(rec.text, heard.language))
    guess = heard.language_guess
    if errors.wer >= config.max_wer and errors.cer >= config.max_cer and guess is None \
            and rec.recognizer.startswith("whisper"):
        guess = _guess(samples)
    other_language = _other_language(guess, language, config)
    mismatched = [{"op": op, "transcript": r, "heard": h} for op, r, h in errors.mismatches]
    if other_language:
        verdict = "language"
        message = (f"the transcript is in {language!r} but the speech sounds like {guess.language!r} "
                   f"(probability {guess.probability:.2f}); heard {rec.text[:80]!r}")
    elif errors.wer >= config.max_wer and errors.cer >= config.max_cer and whisper_language(language) not in UNSPACED:
        verdict = "mismatch"
        message = (f"the transcript does not match the audio: word error rate {errors.wer:.2f} (characters "
                   f"{errors.cer:.2f}) against what "
                   f"{rec.recognizer} heard ({rec.text[:80]!r}); differences: {_show(errors.mismatches)}")
    else:
        verdict, message = "ok", ""
    return TranscriptCheck(
        ok=verdict == "ok", verdict=verdict, message=message, wer=errors.wer, cer=errors.cer, heard=rec.text,
        recognizer=rec.recognizer, language=language,
        heard_language=None if guess is None else guess.language,
        heard_language_probability=None if guess is None else guess.probability,
        mismatched_words=mismatched)
