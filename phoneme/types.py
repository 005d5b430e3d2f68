"""Timed-label data types shared by every stage: :class:`Interval` and :class:`Alignment`.

Times are seconds (float). Phone labels are IPA without stress marks (stress
is a separate field); silence is the label :data:`SILENCE`.

Examples
--------
>>> from phoneme.types import Alignment, Interval
>>> a = Alignment(words=[Interval("hi", 0.1, 0.4)],
...               phones=[Interval("sil", 0.0, 0.1), Interval("h", 0.1, 0.2),
...                       Interval("aɪ", 0.2, 0.4)], duration=0.4)
>>> [p.label for p in a.spoken_phones()]
['h', 'aɪ']
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from .errors import AlignmentError

__all__ = ["SILENCE", "Interval", "Alignment", "Recognition", "is_silence", "fill_silence"]

#: Label of a silence (pause) interval in both the word and the phone tier.
SILENCE = "sil"

_SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "<s>", "</s>", "pau", "SIL", "<eps>"})


def is_silence(label: str) -> bool:
    """Return True when ``label`` marks a pause in any common aligner convention.

    Examples
    --------
    >>> is_silence("sp"), is_silence("b")
    (True, False)
    """
    return label.strip() in _SILENCE_LABELS


def fill_silence(items: "Iterable[Interval]", duration: float) -> "list[Interval]":
    """A contiguous tier over ``[0, duration]``: gaps between (time-ordered) items become silence.

    Items are kept as they are (no merging), so indices into the result stay predictable.

    Examples
    --------
    >>> [(i.label, i.start, i.end) for i in fill_silence([Interval("a", 0.1, 0.2)], 0.3)]
    [('sil', 0.0, 0.1), ('a', 0.1, 0.2), ('sil', 0.2, 0.3)]
    """
    out: list[Interval] = []
    t = 0.0
    for it in items:
        if it.start > t + 1e-9:
            out.append(Interval(SILENCE, t, it.start))
        out.append(it)
        t = max(t, it.end)
    if duration > t + 1e-9:
        out.append(Interval(SILENCE, t, duration))
    return out


@dataclass(frozen=True)
class Interval:
    """A labelled stretch of time.

    Parameters
    ----------
    label : str
        Word (orthographic, lower case), IPA phone, or :data:`SILENCE`.
    start, end : float
        Seconds, ``0 <= start <= end``.
    confidence : float, optional
        For words: the aligner's confidence in [0, 1] that the word was spoken
        where it was placed (``None`` when the aligner gives none).
    stress : int, optional
        For vowel phones: lexical stress (0 none, 1 primary, 2 secondary).
    word : int, optional
        For phones: index of the word (in ``Alignment.words``) they belong to.
    """

    label: str
    start: float
    end: float
    confidence: float | None = None
    stress: int | None = None
    word: int | None = None

    def __post_init__(self) -> None:
        if not (self.end >= self.start >= 0.0):
            raise AlignmentError(
                f"interval {self.label!r} has start={self.start} end={self.end}; "
                "need 0 <= start <= end"
            )

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start

    @property
    def mid(self) -> float:
        """Centre time in seconds."""
        return 0.5 * (self.start + self.end)

    @property
    def is_silence(self) -> bool:
        """True for a pause."""
        return is_silence(self.label)


@dataclass
class Alignment:
    """Words and phones on one timeline, as produced by an aligner.

    Parameters
    ----------
    words, phones : list of Interval
        Contiguous tiers covering ``[0, duration]``; pauses carry the label
        :data:`SILENCE`.
    duration : float
        Length of the audio in seconds.
    transcript : str
        The (normalised) transcript that was aligned.
    aligner : str
        Name of the backend that made it (``"pocketsphinx"``, ``"mfa"``, ``"textgrid"`` …).
    language : str
        Language code, ``"en"`` by default.
    issues : list of str
        Human-readable problems found while aligning (e.g. words that the
        audio does not seem to contain). Empty when the transcript matches.
    """

    words: list[Interval]
    phones: list[Interval]
    duration: float
    transcript: str = ""
    aligner: str = ""
    language: str = "en"
    issues: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the aligner reported no mismatch between transcript and audio."""
        return not self.issues

    def spoken_words(self) -> list[Interval]:
        """Words that are not pauses."""
        return [w for w in self.words if not w.is_silence]

    def spoken_phones(self) -> list[Interval]:
        """Phones that are not pauses."""
        return [p for p in self.phones if not p.is_silence]

    def shifted(self, offset: float) -> "Alignment":
        """Return a copy with every time moved by ``offset`` seconds (used when stitching segments)."""

        def mv(items: Iterable[Interval]) -> list[Interval]:
            return [replace(i, start=i.start + offset, end=i.end + offset) for i in items]

        return replace(self, words=mv(self.words), phones=mv(self.phones),
                       duration=self.duration + offset, issues=list(self.issues))

    # --- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (see :meth:`from_dict`)."""
        return {
            "version": 1,
            "duration": self.duration,
            "transcript": self.transcript,
            "aligner": self.aligner,
            "language": self.language,
            "issues": list(self.issues),
            "words": [asdict(w) for w in self.words],
            "phones": [asdict(p) for p in self.phones],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Alignment":
        """Inverse of :meth:`to_dict`; raises :class:`AlignmentError` on malformed data."""
        try:
            return cls(
                words=[Interval(**w) for w in data["words"]],
                phones=[Interval(**p) for p in data["phones"]],
                duration=float(data["duration"]),
                transcript=data.get("transcript", ""),
                aligner=data.get("aligner", ""),
                language=data.get("language", "en"),
                issues=list(data.get("issues", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AlignmentError(f"malformed alignment data: {exc}") from exc

    def save_json(self, path: str | Path) -> None:
        """Write the alignment as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")

    @classmethod
    def load_json(cls, path: str | Path) -> "Alignment":
        """Read an alignment written by :meth:`save_json`."""
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AlignmentError(f"cannot read alignment JSON {path}: {exc}") from exc
        return cls.from_dict(data)


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
        Mean word posterior or probability (0–1).
    recognizer : str
        Who heard it: ``"pocketsphinx"``, ``"whisper-tiny.en"`` or ``"whisper-base"``.
    language : str or None
        The language transcribed (Whisper's code; ``"en"`` for pocketsphinx).
    language_probability : float or None
        When the language was detected rather than given: its probability.
    """

    text: str
    words: list[Interval] = field(default_factory=list)
    confidence: float = 0.0
    recognizer: str = "pocketsphinx"
    language: str | None = "en"
    language_probability: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (words as ``[label, start, end, confidence]``)."""
        return {"text": self.text, "recognizer": self.recognizer, "language": self.language,
                "language_probability": self.language_probability, "confidence": round(self.confidence, 4),
                "words": [[w.label, round(w.start, 3), round(w.end, 3),
                           None if w.confidence is None else round(w.confidence, 4)] for w in self.words]}
