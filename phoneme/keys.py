"""Key-motion selection: the frames where the mouth must hit a shape.

KMTalk's *key motions* are the few frames whose face is determined by
linguistics rather than by smooth motion. Given an :class:`~phoneme.types.Alignment`
and a frame rate, :func:`select_keys` returns one :class:`KeyMotion` per
articulatory target, by these rules (applied to every non-silent phone):

==========================  ======================================  =========================================
kind                        phones                                   frame
==========================  ======================================  =========================================
``bilabial_closure``        p b m (viseme PP) — **every one**        middle of the phone (the closure hold)
``labiodental_contact``     f v (viseme FF)                          middle of the phone (lip on teeth)
``rounding``                w ʍ and rounded vowels (u ʊ oʊ ɔ …)      middle of the phone / vowel apex
``protrusion``              ʃ ʒ tʃ dʒ (viseme CH)                    middle of the phone
``vowel_apex``              unrounded vowels                         loudest frame of the vowel's central 60 %
                                                                     when loudness is given, else its middle
``rest``                    pauses ≥ ``min_pause``                   ``rest_margin`` inside each end (one key
                                                                     in the middle of a short pause); frame 0 /
                                                                     the last frame when the audio starts / ends
                                                                     in silence
==========================  ======================================  =========================================

Why these frames: closures and labiodental contacts are *categorical* —
the lips either meet or they do not, and viewers notice a missed /p b m/
at once — so they are constraints, not averages. Rounding and protrusion
are lip gestures that neighbouring phones cannot undo (they are
anticipated, so the key fixes where they peak). A vowel's apex is the
moment of widest jaw opening, which carries the syllable rhythm viewers
track. Alveolar and velar consonants (t d n l s z k g ŋ h) are mostly
tongue movements hidden behind the teeth; they get no key and take their
shape from the neighbours, which is exactly what the completion model infills.

``weight`` is the phone's lexicon dominance times its word's alignment
confidence (when the aligner gives one): how strongly the key should be honoured.

Examples
--------
>>> from phoneme.types import Alignment, Interval
>>> a = Alignment(words=[Interval("sil", 0, .2), Interval("bob", .2, .6), Interval("sil", .6, 1.)],
...               phones=[Interval("sil", 0, .2), Interval("b", .2, .3, word=1),
...                       Interval("ɑ", .3, .5, stress=1, word=1), Interval("b", .5, .6, word=1),
...                       Interval("sil", .6, 1.)], duration=1.0)
>>> [(k.frame, k.kind) for k in select_keys(a, fps=30)]  # doctest: +NORMALIZE_WHITESPACE
[(0, 'rest'), (3, 'rest'), (8, 'bilabial_closure'), (12, 'vowel_apex'),
 (17, 'bilabial_closure'), (22, 'rest'), (26, 'rest'), (29, 'rest')]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from .errors import AlignmentError
from .frames import frame_within, n_frames_for
from .lexicon import Lexicon, PhoneEntry, load_lexicon
from .types import SILENCE, Alignment, Interval

__all__ = ["KEY_KINDS", "KeyMotion", "select_keys", "key_kind"]

#: Every kind :func:`select_keys` can emit, in priority order (earlier wins a shared frame).
KEY_KINDS: tuple[str, ...] = (
    "bilabial_closure", "labiodental_contact", "rounding", "protrusion", "vowel_apex", "rest",
)
_PRIORITY = {k: i for i, k in enumerate(KEY_KINDS)}
_MUST_KEEP = frozenset({"bilabial_closure", "labiodental_contact"})


@dataclass(frozen=True)
class KeyMotion:
    """One key motion: a frame where the face must take a phone's shape.

    Parameters
    ----------
    frame : int
        Output frame index (``frame_at(time, fps)``, within the phone).
    time : float
        ``frame / fps`` in seconds.
    phone : str
        IPA phone (``"sil"`` for rest keys).
    viseme : str
        Its viseme (one of :data:`phoneme.lexicon.VISEMES`).
    kind : str
        One of :data:`KEY_KINDS`.
    weight : float
        Importance in [0, 1] (lexicon dominance × word confidence).
    phone_index : int
        Index of the phone in ``Alignment.phones`` (context for the key network).
    """

    frame: int
    time: float
    phone: str
    viseme: str
    kind: str
    weight: float
    phone_index: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "KeyMotion":
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def key_kind(entry: PhoneEntry) -> str | None:
    """The key kind a phone's lexicon entry calls for, or None (no key: tongue-only phones).

    Examples
    --------
    >>> from phoneme.lexicon import load_lexicon
    >>> lex = load_lexicon()
    >>> key_kind(lex.entry("m")), key_kind(lex.entry("u")), key_kind(lex.entry("t"))
    ('bilabial_closure', 'rounding', None)
    """
    if entry.viseme == "sil":
        return "rest"
    if entry.place == "bilabial":
        return "bilabial_closure"
    if entry.place == "labiodental":
        return "labiodental_contact"
    if entry.viseme == "CH":
        return "protrusion"
    if entry.rounded and (entry.is_vowel or entry.place == "labiovelar"):
        return "rounding"
    if entry.is_vowel:
        return "vowel_apex"
    return None


def _apex_time(ph: Interval, loudness: np.ndarray | None, fps: float) -> float:
    if loudness is None or ph.duration * fps < 3:
        return ph.mid
    lo = int(math.ceil((ph.start + 0.2 * ph.duration) * fps))
    hi = int(math.floor((ph.end - 0.2 * ph.duration) * fps))
    lo, hi = max(lo, 0), min(hi, len(loudness) - 1)
    if hi < lo:
        return ph.mid
    return (lo + int(np.argmax(loudness[lo:hi + 1]))) / fps


def _rest_times(ph: Interval, duration: float, min_pause: float, margin: float) -> list[float]:
    times: list[float] = []
    if ph.start <= 1e-6:
        times.append(0.0)
    if ph.end >= duration - 1e-6:
        times.append(duration)
    if ph.duration >= min_pause:
        if ph.duration >= 2 * margin + 1e-6:
            times += [ph.start + margin, ph.end - margin]
        else:
            times.append(ph.mid)
    return times


def select_keys(
    alignment: Alignment,
    fps: float = 30.0,
    *,
    lexicon: Lexicon | str | None = None,
    loudness: Sequence[float] | np.ndarray | None = None,
    min_pause: float = 0.15,
    rest_margin: float = 0.12,
) -> list[KeyMotion]:
    """Choose the key-motion frames of an alignment.

    Parameters
    ----------
    alignment : Alignment
        Timed phones (IPA) and words.
    fps : float, default 30
        Output frame rate; frame ``i`` is at ``i / fps`` and there are
        ``n_frames_for(duration, fps)`` frames (the last one for a pause that reaches the end).
    lexicon : Lexicon or str, optional
        Viseme lexicon (default: the bundled English one).
    loudness : array of float, optional
        Per-frame loudness at ``fps``; when given, vowel apexes sit on the
        loudest frame of each vowel's central 60 %.
    min_pause : float, default 0.15
        Shortest pause (s) that gets rest keys in its interior.
    rest_margin : float, default 0.12
        Time (s) the mouth takes to reach / leave rest inside a pause.

    Returns
    -------
    list of KeyMotion
        Sorted by frame. Every bilabial (p b m) and labiodental (f v) phone
        has its own key, even when it is shorter than a frame; other keys
        that would share a frame with a higher-priority key are dropped.

    Raises
    ------
    AlignmentError
        ``fps`` not positive, or an alignment with no duration.
    LexiconError
        A phone the lexicon does not know (named).

    Examples
    --------
    >>> from phoneme.types import Alignment, Interval
    >>> a = Alignment(words=[Interval("me", 0, .3)],
    ...               phones=[Interval("m", 0, .1, word=0), Interval("i", .1, .3, word=0)],
    ...               duration=.3)
    >>> [k.kind for k in select_keys(a, fps=30)]
    ['bilabial_closure', 'vowel_apex']
    """
    if not (fps > 0 and math.isfinite(fps)):
        raise AlignmentError(f"fps must be a positive number, got {fps!r}")
    if not alignment.duration > 0:
        raise AlignmentError("the alignment has zero duration; nothing to animate")
    lex = load_lexicon(lexicon)
    n_frames = n_frames_for(alignment.duration, fps)
    loud = None if loudness is None else np.asarray(loudness, dtype=np.float64)
    if loud is not None and (loud.ndim != 1 or loud.size == 0):
        raise AlignmentError("loudness must be a non-empty 1-D per-frame array")

    candidates: list[KeyMotion] = []
    for index, ph in enumerate(alignment.phones):
        entry = lex.entry(ph.label)
        kind = key_kind(entry)
        if kind is None:
            continue
        if kind == "rest":
            for t in _rest_times(ph, alignment.duration, min_pause, rest_margin):
                frame = frame_within(t, ph.start, ph.end, fps, n_frames)
                candidates.append(KeyMotion(frame, frame / fps, SILENCE, "sil", "rest",
                                            entry.dominance, index))
            continue
        t = _apex_time(ph, loud, fps) if kind in ("vowel_apex", "rounding") and entry.is_vowel else ph.mid
        frame = frame_within(t, ph.start, ph.end, fps, n_frames)
        conf = 1.0
        if ph.word is not None and 0 <= ph.word < len(alignment.words):
            word_conf = alignment.words[ph.word].confidence
            conf = 1.0 if word_conf is None else float(word_conf)
        candidates.append(KeyMotion(frame, frame / fps, ph.label, entry.viseme, kind,
                                    float(np.clip(entry.dominance * conf, 0.0, 1.0)), index))

    # One key per frame, except closures and contacts, which are all kept.
    candidates.sort(key=lambda k: (k.frame, _PRIORITY[k.kind]))
    keys: list[KeyMotion] = []
    taken: dict[int, KeyMotion] = {}
    for key in candidates:
        other = taken.get(key.frame)
        if other is None:
            taken[key.frame] = key
            keys.append(key)
        elif key.kind in _MUST_KEEP and other.kind in _MUST_KEEP and key.phone_index != other.phone_index:
            keys.append(key)
    return keys
