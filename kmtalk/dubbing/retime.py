"""``kmtalk.retime``: carry an edited animation over to a new recording of its line (dubbing, re-takes).

A dubbed line says the same thing at other times (or, translated, something
else with similar mouth shapes). Re-timing aligns the new audio, moves every
**anchor** of the source animation — its editor locks and its hand-edited
frames — to the *corresponding moment* of the new line, and regenerates
everything else with :func:`kmtalk.animate` (``locks=`` the carried anchors).
Anchors are not moved by stretching time: each is tied to the phone (or
pause) it sits in, and lands at the same relative position inside the
corresponding phone of the new line (see :mod:`kmtalk.dubbing.correspond` for how
words, phones and visemes are matched).

Anchors
-------
- **Locks**: ``source.locks`` (frame → {channel: value}), carried as they are
  (partial locks stay partial).
- **Hand-edited frames**: frames whose weights differ from what kmtalk
  would produce. They are found two ways (both by default):

  * ``source.meta["edited_frames"]``: a list of frame indices an editing
    tool marks when it changes weights by hand (the documented convention);
  * detection: the source is regenerated from its own timeline, audio, locks
    and options (bit-exact on CPU) and frames that differ by more than
    ``edit_tolerance`` on any channel are edited. When more than half of the
    frames differ the source was not made by this kmtalk (another method,
    lexicon or version; motion capture): detection is skipped and reported.

  An edited frame is carried as a full-frame lock (all 52 channels).

Where an anchor goes
--------------------
An anchor at source time ``t`` inside spoken phone ``p`` (relative position
``u`` in ``[0, 1)``) goes to ``start' + u (end' - start')`` of the phone's
match ``[start', end']``; an anchor in a pause between spoken phones ``a``
and ``b`` goes to the same relative position between the end of ``a``'s match
and the start of ``b``'s (the start or end of the audio at the edges). The
frame is the nearest one inside the matched interval. Two anchors landing on
one frame merge (the one whose exact time is nearer the frame wins a shared
channel; a lock wins over an edited frame). An anchor whose phone has no
counterpart (its word was cut from the new line) is **not placed and is
reported** in ``meta["retime"]["unplaced"]``.

The result's ``meta["retime"]`` records every placement (source frame, word,
phone, relative position, method, target frame) and the unplaced anchors;
:func:`kmtalk.dubbing.qc.qc_report` reads it.

Examples
--------
>>> import kmtalk
>>> src = kmtalk.animate("take1.wav", "Bob bought a blue balloon.", locks={20: {"jawOpen": 0.6}})  # doctest: +SKIP
>>> new = kmtalk.retime(src, "dub.wav", "Bob bought a blue balloon.")  # doctest: +SKIP
>>> new.meta["retime"]["placed"][0]["method"]  # doctest: +SKIP
'phone'
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from phoneme import align
from phoneme.audio import AudioSource, load_audio
from phoneme.frames import frame_within, n_frames_for
from phoneme.types import Alignment, Interval

from ..animator.api import _alignment, _transcript, align_heard, animate, check_line, hear_line
from ..errors import AnimationError, KmtalkError
from ..face.animation import Animation
from ..face.arkit import ARKIT_NAMES
from ..face.locks import merge_locks, read_locks_file, resolve_locks
from .correspond import PhoneMatch, match_phones
from .correspond import match_words as word_pairs

__all__ = ["Anchor", "detect_edited_frames", "place_anchors", "retime"]

log = logging.getLogger(__name__)

_SAMPLE_RATE = 16000
#: Above this share of differing frames, a source is taken as not made by this kmtalk.
_MAX_EDITED_SHARE = 0.5
#: Options of the source's ``meta`` that regenerate it the same way.
_INHERITED = ("style", "method", "seed")


@dataclass(frozen=True)
class Anchor:
    """A source frame to carry: a lock (partial) or an edited frame (all 52 channels)."""

    frame: int
    kind: str  # "lock" or "edit"
    values: Mapping[str, float]


def _inherited_options(source: Animation) -> dict[str, Any]:
    return {k: source.meta[k] for k in _INHERITED if source.meta.get(k) is not None}


def _source_alignment(source: Animation) -> Alignment:
    return Alignment(words=list(source.words), phones=list(source.phones), duration=source.duration,
                     transcript=str(source.meta.get("transcript", "")),
                     aligner=str(source.meta.get("aligner", "")),
                     language=str(source.meta.get("language", "en")))


def detect_edited_frames(
    source: Animation,
    *,
    tolerance: float = 1e-4,
    **animate_options: Any,
) -> list[int] | None:
    """Frames of ``source`` whose weights differ from a regeneration of it (hand edits).

    The source is animated again from its own phones and words, its audio,
    its locks and the options recorded in its ``meta`` (``style``,
    ``method``, ``seed``; ``animate_options`` override them) at its frame rate.

    Parameters
    ----------
    source : Animation
        An animation made by :func:`kmtalk.animate` (it needs its phones and its audio).
    tolerance : float, default 1e-4
        Largest difference on any channel that is not an edit.
    **animate_options
        Passed to :func:`kmtalk.animate` (e.g. ``lexicon=`` when the source used one).

    Returns
    -------
    list of int or None
        Sorted frame indices; None when the source cannot be regenerated (no
        audio or timeline, or its frame count differs).

    Examples
    --------
    >>> import kmtalk
    >>> src = kmtalk.animate("line.wav", "Bob bought a blue balloon.")  # doctest: +SKIP
    >>> src.weights[10, 17] = 0.9                                         # doctest: +SKIP
    >>> detect_edited_frames(src)                                         # doctest: +SKIP
    [10]
    """
    if not source.phones:
        return None
    if source.audio is None and source.audio_path is None:
        return None
    if source.audio is None and source.audio_offset == 0.0:
        audio: AudioSource = source.audio_path  # type: ignore[assignment]
    else:
        loaded = source.load_audio()
        if loaded is None:
            return None
        audio = loaded
    options = {**_inherited_options(source), **animate_options}
    try:
        regen = animate(audio, alignment=_source_alignment(source), fps=source.fps,
                        language=str(source.meta.get("language", "en")), locks=source.locks or None,
                        **options)
    except KmtalkError as exc:
        log.info("cannot regenerate the source to detect edits: %s", exc)
        return None
    if regen.n_frames != source.n_frames:
        return None
    diff = np.abs(regen.weights.astype(np.float64) - source.weights.astype(np.float64)).max(axis=1)
    return [int(f) for f in np.flatnonzero(diff > tolerance)]


def _locate(t: float, phones: list[Interval]) -> tuple[str, int | None, int | None, float]:
    """Where ``t`` lies: ("phone", index, None, u) inside a spoken phone, else
    ("pause", previous spoken phone or None, next spoken phone or None, u)."""
    spoken = [i for i, p in enumerate(phones) if not p.is_silence]
    for i in spoken:
        p = phones[i]
        if p.start <= t < p.end or (t == p.end and i == spoken[-1] and p.end > p.start):
            u = (t - p.start) / (p.end - p.start) if p.end > p.start else 0.0
            return "phone", i, None, min(max(u, 0.0), 1.0)
    prev = max((i for i in spoken if phones[i].end <= t), default=None, key=lambda i: phones[i].end)
    nxt = min((i for i in spoken if phones[i].start >= t), default=None, key=lambda i: phones[i].start)
    return "pause", prev, nxt, 0.0


def place_anchors(
    anchors: list[Anchor],
    source: Animation,
    target: Alignment,
    *,
    fps: float,
    n_frames: int,
    lexicon: Any = None,
    match_words: bool = True,
) -> tuple[dict[int, dict[str, float]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Move anchors of ``source`` to the corresponding moments of ``target``.

    Parameters
    ----------
    anchors : list of Anchor
    source : Animation
        Gives the anchors' timeline (``phones``, ``words``, ``fps``, ``duration``).
    target : Alignment
        The new line's timeline.
    fps, n_frames : float, int
        Frame rate and length of the new animation.
    lexicon : optional
        Viseme lexicon for phone matching.
    match_words : bool, default True
        Match word labels first (False for another language: visemes only).

    Returns
    -------
    locks : dict
        ``{frame: {channel: value}}`` for :func:`kmtalk.animate`.
    placed, unplaced : list of dict
        One record per anchor (see :func:`retime`).
    """
    phones = list(source.phones)
    matches = match_phones(source.words, phones, target.words, target.phones,
                           lexicon=lexicon, match_words=match_words)
    paired = word_pairs(source.words, target.words) if match_words else {}

    def nearest_match(i: int | None, step: int) -> PhoneMatch | None:
        while i is not None and 0 <= i < len(phones):
            if not phones[i].is_silence and matches[i] is not None:
                return matches[i]
            i += step
        return None

    placed: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    chosen: dict[int, list[tuple[int, float, Anchor]]] = {}
    for anchor in anchors:
        t = anchor.frame / source.fps
        where, i, j, u = _locate(t, phones)
        rec: dict[str, Any] = {"kind": anchor.kind, "source_frame": anchor.frame, "source_time": round(t, 4)}
        if where == "phone":
            assert i is not None
            ph = phones[i]
            word = source.words[ph.word].label if ph.word is not None and ph.word < len(source.words) else None
            rec.update(anchor="phone", phone=ph.label, word=word, position=round(u, 4))
            m = matches[i]
            if m is None:
                if ph.word in paired:
                    rec["reason"] = (f"the new line's alignment gives the word {word!r} no time "
                                     "(the aligner did not find it in the new audio)")
                elif word:
                    rec["reason"] = f"the word {word!r} has no counterpart in the new line"
                else:
                    rec["reason"] = f"the phone {ph.label!r} has no counterpart in the new line"
                unplaced.append(rec)
                continue
            t0, t1, method = m.start, m.end, m.method
            rec["target_word"] = target.words[m.word].label if m.word is not None else None
        else:
            before = nearest_match(i, -1)
            after = nearest_match(j, +1)
            s0 = phones[i].end if i is not None else 0.0
            s1 = phones[j].start if j is not None else source.duration
            u = (t - s0) / (s1 - s0) if s1 > s0 else 0.0
            rec.update(anchor="pause", phone=None, position=round(u, 4),
                       word=None, after_word=source.words[phones[i].word].label
                       if i is not None and phones[i].word is not None else None)
            if (i is not None and before is None) or (j is not None and after is None):
                rec["reason"] = "the words around this pause have no counterpart in the new line"
                unplaced.append(rec)
                continue
            t0 = before.end if before is not None else 0.0
            t1 = after.start if after is not None else target.duration
            method = "pause"
            if t1 < t0:
                t0 = t1 = 0.5 * (t0 + t1)
            if t1 - t0 < 1e-6:
                method = "pause-collapsed"
        t_new = t0 + u * (t1 - t0)
        frame = frame_within(t_new, t0, t1, fps, n_frames)
        rec.update(method=method, target_time=round(t_new, 4), target_frame=frame,
                   target_span=[round(t0, 4), round(t1, 4)])
        placed.append(rec)
        chosen.setdefault(frame, []).append((0 if anchor.kind == "lock" else 1, abs(t_new - frame / fps), anchor))
    locks: dict[int, dict[str, float]] = {}
    for frame, cands in sorted(chosen.items()):
        pins: dict[str, float] = {}
        # Apply the weakest first so the strongest wins a shared channel: edits before
        # locks, farther before nearer.
        for _, _, anchor in sorted(cands, key=lambda c: (-c[0], -c[1])):
            pins.update(anchor.values)
        locks[frame] = pins
    for rec in placed:
        if len(chosen[rec["target_frame"]]) > 1:
            rec["merged"] = True
    return locks, placed, unplaced


def _text(transcript: str | os.PathLike[str] | None) -> str | None:
    return _transcript(transcript)


def retime(
    source: Animation | str | os.PathLike[str],
    audio: AudioSource,
    transcript: str | os.PathLike[str] | None = None,
    *,
    language: str = "en",
    fps: float | None = None,
    detect_edits: bool = True,
    edit_tolerance: float = 1e-4,
    match_words: bool | None = None,
    **animate_options: Any,
) -> Animation:
    """Re-time an animation to a new recording of its line, keeping its locks and hand edits.

    Parameters
    ----------
    source : Animation or path to a ``.npz``
        The animation to carry over; it must hold its phones and words (any
        animation made by :func:`kmtalk.animate` does).
    audio : path or (samples, sample_rate)
        The new (dubbed) line.
    transcript : str or path, optional
        What the new line says (a ``.txt`` path is read). Without it (and
        without ``alignment=``) the new line is recognised, as by
        :func:`kmtalk.animate` (Whisper in any language it knows when the
        ``kmtalk[asr]`` extra is installed, else pocketsphinx for English);
        with it, it is checked against the audio (``check_transcript``,
        ``strict`` and ``recognizer`` in ``animate_options`` work as in
        :func:`kmtalk.animate`).
    language : str, default "en"
        Language of the new line.
    fps : float, optional
        Frame rate of the result (default: the source's).
    detect_edits : bool, default True
        Also find hand-edited frames by regenerating the source (see the
        module docstring); ``meta["edited_frames"]`` is always used.
    edit_tolerance : float, default 1e-4
        Weight difference above which a regenerated frame counts as edited.
    match_words : bool, optional
        Match the two lines' words by label before their visemes. Default:
        True when both lines are in the same language, else False (visemes only).
    **animate_options
        Passed to :func:`kmtalk.animate` (``aligner``, ``alignment``,
        ``lexicon``, ``style``, ``method``, ``seed`` …). ``style``, ``method``
        and ``seed`` default to the source's (from its ``meta``). ``locks``
        adds locks on the new line (frames or seconds of the *new* audio);
        they win over carried anchors on a shared channel.

    Returns
    -------
    Animation
        The new line's animation. ``meta["retime"]`` holds ``source``
        (duration, fps, transcript, language of the source), ``placed``
        (per anchor: ``kind`` lock/edit, ``source_frame``, ``anchor``
        phone/pause, ``word``, ``phone``, ``position``, ``method``,
        ``target_frame``, ``target_time``, ``target_word``), ``unplaced``
        (the same with a ``reason``), ``edited_frames`` and ``issues``.

    Raises
    ------
    AnimationError
        The source has no phone timeline.
    TranscriptError
        No transcript or alignment and no speech recognised in the new line;
        under ``strict``, a transcript that does not match it.
    AudioError, AlignmentError, LexiconError, LockError
        As :func:`kmtalk.animate`.

    Examples
    --------
    >>> import kmtalk
    >>> src = kmtalk.animate("take1.wav", "Bob bought a blue balloon.", locks={20: "PP"})  # doctest: +SKIP
    >>> dub = kmtalk.retime(src, "dub.wav", "Bob bought a blue balloon.")                # doctest: +SKIP
    >>> [p["target_frame"] for p in dub.meta["retime"]["placed"]]                         # doctest: +SKIP
    [14]
    """
    if not isinstance(source, Animation):
        source = Animation.load(source)
    if not source.phones:
        raise AnimationError(
            "the source animation has no phone timeline; retime needs the phones and words it was made "
            "from (animate it with kmtalk, or build it with phones=/words=)"
        )
    fps = float(source.fps if fps is None else fps)
    if not (math.isfinite(fps) and fps > 0):
        raise KmtalkError(f"fps must be a positive number, got {fps!r}")
    options = {**_inherited_options(source), **animate_options}
    aligner = options.pop("aligner", "auto")
    given = options.pop("alignment", None)
    extra = options.pop("locks", None)
    lexicon = options.get("lexicon")
    check = options.pop("check_transcript", None)
    strict = bool(options.pop("strict", False))
    recognizer = options.pop("recognizer", "auto")

    samples, sr = load_audio(audio, sample_rate=_SAMPLE_RATE)
    duration = samples.size / sr
    text = _text(transcript)
    heard: dict[str, Any] = {}
    checked: dict[str, Any] | None = None
    if given is not None:
        target = _alignment(given, duration)
    else:
        if text is None:
            text, language, heard, heard_words = hear_line(samples, sr, language, recognizer)
            target = align_heard(samples, sr, text, heard_words, language=language, aligner=aligner)
        else:
            checked = check_line(samples, sr, text, language, check=check, strict=strict, recognizer=recognizer)
            target = align((samples, sr), text, aligner=aligner, language=language)
    n = n_frames_for(duration, fps)

    issues: list[str] = []
    anchors = [Anchor(int(f), "lock", dict(ch)) for f, ch in sorted(source.locks.items())]
    try:
        marked = {int(f) for f in source.meta.get("edited_frames") or []}
    except (TypeError, ValueError):
        raise AnimationError("the source's meta['edited_frames'] must be a list of frame numbers") from None
    outside = sorted(f for f in marked if not 0 <= f < source.n_frames)
    if outside:
        raise AnimationError(f"meta['edited_frames'] names frames outside the source (0..{source.n_frames - 1}): "
                             f"{outside[:5]}")
    detected: list[int] | None = None
    if detect_edits:
        detected = detect_edited_frames(source, tolerance=edit_tolerance,
                                        **{k: v for k, v in options.items() if k in ("lexicon",)})
        if detected is None:
            issues.append("could not regenerate the source to detect hand edits (no audio or timeline); "
                          "only meta['edited_frames'] was used")
            detected = []
        elif len(detected) > _MAX_EDITED_SHARE * source.n_frames:
            issues.append(f"the source differs from its regeneration at {len(detected)} of {source.n_frames} "
                          "frames (made by another method, lexicon or version?); edits were not detected — "
                          "mark them in meta['edited_frames']")
            detected = []
    locked = set(source.locks)
    edited = sorted((marked | set(detected or [])) - locked)
    anchors += [Anchor(f, "edit", {name: float(source.weights[f, c]) for c, name in enumerate(ARKIT_NAMES)})
                for f in edited]

    src_lang = str(source.meta.get("language", "en")).split("-")[0].lower()
    same_language = src_lang == language.split("-")[0].lower()
    words_first = same_language if match_words is None else bool(match_words)
    locks, placed, unplaced = place_anchors(anchors, source, target, fps=fps, n_frames=n,
                                            lexicon=lexicon, match_words=words_first)
    for rec in unplaced:
        log.warning("retime: %s at source frame %d not placed: %s", rec["kind"], rec["source_frame"],
                    rec["reason"])
    all_locks: Any = locks or None
    if extra is not None:
        if isinstance(extra, (str, os.PathLike)):
            extra = read_locks_file(extra)
        carried = resolve_locks(locks, n_frames=n, fps=fps)
        all_locks = merge_locks(carried, resolve_locks(extra, n_frames=n, fps=fps))

    anim = animate(audio, text, fps=fps, language=language, alignment=target, locks=all_locks, **options)
    anim.meta.update(heard)
    if checked is not None:
        anim.meta["transcript_check"] = checked
        if not checked["ok"]:
            anim.meta["confidence"] = round(min(anim.meta.get("confidence") or 0.0,
                                                max(0.0, 1.0 - (checked["wer"] or 1.0))), 3)
    anim.meta["retime"] = {
        "source": {"duration": source.duration, "fps": source.fps, "n_frames": source.n_frames,
                   "transcript": source.meta.get("transcript"), "language": source.meta.get("language"),
                   "audio_path": source.audio_path,
                   "speech_span": _speech_span(source.phones)},
        "match_words": words_first,
        "edited_frames": edited,
        "placed": placed,
        "unplaced": unplaced,
        "issues": issues,
    }
    return anim


def _speech_span(phones: list[Interval]) -> list[float] | None:
    spoken = [p for p in phones if not p.is_silence]
    if not spoken:
        return None
    return [round(spoken[0].start, 4), round(spoken[-1].end, 4)]
