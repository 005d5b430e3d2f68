"""The closure guarantee: the articulatory facts every animation meets, computed and applied here only.

Averaged poses miss categorical facts: the lips must meet over every /p b m/
and the lower lip must touch the upper teeth at every /f v/. kmtalk states
them as internal locks and meets them exactly, on every path, through the
three functions of this module:

1. :func:`articulatory_locks` — the facts of a line, measured on its curves
   (``{frame: {channel: weight}}``);
2. :func:`closure_locks` — those facts as :class:`~kmtalk.face.locks.Locks`, with
   the editor's locks merged over them (the editor wins where both pin a
   channel on one frame; :func:`kmtalk.animate` warns when that opens a closure);
3. :func:`meet_locks` — the curves bent through them exactly
   (:func:`kmtalk.face.locks.apply_locks`), on every channel, or only on the
   channels a style changed.

The prior animator (:func:`kmtalk.animator.prior.animate_prior`) meets the facts of its
own curves; the learned animator (:func:`kmtalk.animator.learned.animate_learned`)
measures them on a first prediction, conditions a second prediction on them
and then meets them here (the model itself is asked not to:
``predict(..., exact_locks=False)``); styles (:func:`kmtalk.animator.styles.stylize`,
:class:`kmtalk.Stream`) re-impose them on the channels they changed.

Examples
--------
>>> from phoneme.keys import select_keys
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.prior import animate_prior, load_prior_tables
>>> from kmtalk.animator.closures import closure_locks
>>> a = Alignment(words=[Interval("ma", .2, .6)],
...               phones=[Interval("sil", 0, .2), Interval("m", .2, .3, word=0),
...                       Interval("ɑ", .3, .6, word=0), Interval("sil", .6, .8)], duration=.8)
>>> w, keys = animate_prior(a, 30)
>>> facts = closure_locks(w, a, keys, load_prior_tables(), fps=30)
>>> facts.frames.tolist()[:3], bool(w[7, 17] == facts.values[1, 17])
([6, 7, 8], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from phoneme.frames import frame_at, frame_span
from phoneme.keys import KeyMotion, key_kind
from phoneme.lexicon import VISEMES, load_lexicon
from phoneme.types import Alignment, Interval

from ..errors import KmtalkError, LexiconError
from ..face.animation import Animation
from ..face.arkit import ARKIT_INDEX
from ..face.locks import Locks, apply_locks, merge_locks, resolve_locks
from ..face.rig import Rig
from ..train.metrics import lip_gap_mm

if TYPE_CHECKING:  # pragma: no cover
    from .prior.poses import PriorTables

__all__ = ["articulatory_locks", "closes_lips", "closure_frames", "closure_locks", "locks_opening_closures",
           "meet_locks", "word_of"]

_JAW = ARKIT_INDEX["jawOpen"]


def articulatory_locks(
    weights: np.ndarray,
    alignment: Alignment,
    keys: Sequence[KeyMotion],
    tables: PriorTables,
    *,
    fps: float,
) -> dict[int, dict[str, float]]:
    """Internal locks for the categorical facts: bilabial closures and labiodental contacts.

    Every frame inside a p/b/m phone (and its key frame, for phones shorter
    than a frame) gets: ``jawOpen`` at most ``closure.max_jaw``,
    ``mouthClose`` equal to it, and the lip-opening channels at 0. Every f/v
    key frame gets the lip channels of the FF pose and a jaw no wider than it.
    The settings come from the lexicon's ``coarticulation`` section.

    Returns
    -------
    dict
        ``{frame: {channel: weight}}``, ready for :func:`kmtalk.face.locks.resolve_locks`.
    """
    co = tables.lexicon.coarticulation or {}
    try:
        max_jaw = float(co["closure"]["max_jaw"])
        opening = [ARKIT_INDEX[n] for n in co["closure"]["open_channels"]]
        contact = tables.poses[VISEMES.index(co["contact"]["viseme"])]
    except (KeyError, TypeError, ValueError) as exc:
        raise LexiconError(f"the lexicon's 'closure'/'contact' settings are malformed ({exc!r})") from None
    names = list(ARKIT_INDEX)
    n = weights.shape[0]
    pins: dict[int, dict[str, float]] = {}

    def closure(frame: int) -> None:
        j = float(min(weights[frame, _JAW], max_jaw))
        p = pins.setdefault(frame, {})
        p.update({"jawOpen": j, "mouthClose": j})
        p.update({names[c]: 0.0 for c in opening})

    lips = np.flatnonzero(tables.group_masks["lips"])
    for key in keys:
        ph = alignment.phones[key.phone_index]
        if key.kind == "bilabial_closure":
            lo, hi = frame_span(ph.start, ph.end, fps)
            lo, hi = max(lo, 0), min(hi, n - 1)
            for frame in {key.frame, *range(lo, hi + 1)}:
                closure(frame)
        elif key.kind == "labiodental_contact" and key.frame not in pins:
            p = pins.setdefault(key.frame, {})
            p.update({names[c]: float(contact[c]) for c in lips})
            p["jawOpen"] = float(min(weights[key.frame, _JAW], contact[_JAW]))
    return pins


def closure_locks(
    weights: np.ndarray,
    alignment: Alignment,
    keys: Sequence[KeyMotion],
    tables: PriorTables,
    *,
    fps: float,
    n_frames: int | None = None,
    editor: Locks | None = None,
) -> Locks:
    """The locks an animation must meet: the facts measured on ``weights``, with the editor's merged over them.

    Parameters
    ----------
    weights : ndarray [T, 52]
        The curves the facts are measured on (the jaw opening they keep).
    alignment : Alignment
    keys : sequence of KeyMotion
    tables : PriorTables
        The lexicon's tables (closure and contact settings).
    fps : float
    n_frames : int, optional
        Frames of the animation (default ``len(weights)``).
    editor : Locks, optional
        The editor's locks; they win where they pin a channel a fact pins on the same frame.

    Returns
    -------
    Locks
    """
    n = int(weights.shape[0] if n_frames is None else n_frames)
    facts = resolve_locks(articulatory_locks(np.asarray(weights), alignment, keys, tables, fps=fps),
                          n_frames=n, fps=fps)
    if editor is not None and len(editor):
        facts = merge_locks(facts, editor)  # the editor wins where both pin a channel
    return facts


def meet_locks(weights: np.ndarray, locks: Locks, *, fps: float, changed: np.ndarray | None = None) -> np.ndarray:
    """Bend ``weights`` exactly through ``locks`` (see :func:`kmtalk.face.locks.apply_locks`).

    Parameters
    ----------
    weights : ndarray [T, 52]
    locks : Locks
        From :func:`closure_locks`.
    fps : float
    changed : ndarray[bool, 52], optional
        Only these channels (those a style changed): elsewhere the curves met
        the locks already, and pulling an already-locked curve again would bend
        its neighbourhood twice. Curves are returned untouched when no lock
        falls on them.

    Returns
    -------
    ndarray, float32 [T, 52]
    """
    if changed is None:
        return apply_locks(weights, locks, fps=fps)
    mask = locks.mask & np.asarray(changed, bool)[None, :]
    rows = mask.any(axis=1)
    if not rows.any():
        return weights
    return apply_locks(weights, Locks(locks.frames[rows], mask[rows], locks.values[rows]), fps=fps)


def closes_lips(lexicon: Any = None) -> Callable[[str], bool]:
    """phone → True when the lips must shut: the lexicon's place is ``bilabial`` (the rule key selection
    uses, :func:`phoneme.keys.key_kind`). Bilabial approximants and fricatives (Spanish [β], [ɸ]) share
    the PP viseme but never close; a phone the lexicon lacks is not counted."""
    lex = load_lexicon(lexicon)
    cache: dict[str, bool] = {}

    def closes(phone: str) -> bool:
        if phone not in cache:
            try:
                cache[phone] = key_kind(lex.entry(phone)) == "bilabial_closure"
            except KmtalkError:
                cache[phone] = False
        return cache[phone]

    return closes


def closure_frames(anim: Animation, lexicon: Any = None) -> list[tuple[int, Interval, list[int]]]:
    """Each bilabial closure (/p b m/): (phone index, phone, the frames where the lips must be shut)."""
    closes = closes_lips(lexicon)
    fps, n = anim.fps, anim.n_frames
    key_frames = {k.phone_index: k.frame for k in anim.keys if k.kind == "bilabial_closure"}
    wanted: list[tuple[int, Interval, list[int]]] = []
    for i, ph in enumerate(anim.phones):
        if ph.is_silence or not closes(ph.label):
            continue
        lo, hi = frame_span(ph.start, ph.end, fps)
        lo, hi = max(lo, 0), min(hi, n - 1)
        frames = list(range(lo, hi + 1))
        if i in key_frames:
            frames.append(key_frames[i])
        if not frames:
            frames = [min(max(frame_at(ph.mid, fps), 0), n - 1)]
        wanted.append((i, ph, sorted(set(frames))))
    return wanted


def word_of(anim: Animation, ph: Interval) -> str | None:
    """The word a phone belongs to, or None."""
    return anim.words[ph.word].label if ph.word is not None and ph.word < len(anim.words) else None


def locks_opening_closures(animation: Animation, *, rig: Rig | None = None, lexicon: Any = None,
                           threshold_mm: float = 1.0) -> list[dict[str, Any]]:
    """Editor locks that hold the lips open where a bilabial closure belongs.

    A lock is met exactly (the editor wins over the closure rule), so a lock
    such as ``{"jawOpen": 0.9}`` on a frame of /p b m/ opens the closure.
    That may be wanted (a stylised take) but is usually a lock on the wrong
    frame, so :func:`kmtalk.animate` logs a warning and QC reports it.

    Parameters
    ----------
    animation : Animation
    rig : Rig, optional
        Default: the animation's.
    lexicon : optional
        Viseme lexicon used to find bilabials (default: bundled English).
    threshold_mm : float, default 1.0
        Largest lip gap that still counts as closed (as for missed closures).

    Returns
    -------
    list of dict
        ``{frame, time, phone, word, gap_mm, channels}`` per locked frame
        whose lips are apart by more than ``threshold_mm`` inside a closure.

    Examples
    --------
    >>> import kmtalk
    >>> anim = kmtalk.animate("line.wav", "Bob", locks={10: {"jawOpen": 0.9}})  # doctest: +SKIP
    >>> [(c["frame"], c["phone"]) for c in locks_opening_closures(anim)]      # doctest: +SKIP
    [(10, 'b')]
    """
    locked = {int(f): ch for f, ch in (animation.locks or {}).items()}
    if not locked:
        return []
    hits = [(f, ph) for _, ph, frames in closure_frames(animation, lexicon) for f in frames if f in locked]
    if not hits:
        return []
    rig = rig or animation.get_rig()
    frames = sorted({f for f, _ in hits})
    gaps = dict(zip(frames, lip_gap_mm(animation.weights[frames], rig)))
    out, seen = [], set()
    for f, ph in hits:
        if gaps[f] > threshold_mm and f not in seen:
            seen.add(f)
            ch = locked[f]
            out.append({"frame": f, "time": round(f / animation.fps, 3), "phone": ph.label,
                        "word": word_of(animation, ph), "gap_mm": round(float(gaps[f]), 2),
                        "channels": sorted(ch) if isinstance(ch, dict) else []})
    return out
