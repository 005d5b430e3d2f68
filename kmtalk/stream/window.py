"""Animate one window of a stream with the offline animators (prior or learned).

A stream update animates the audio from a little before the first frame it
still owes (``context`` seconds, so coarticulation and the model see what came
before) up to the newest audio, with the phones known at that moment, and
keeps only the frames that are now final. :func:`window_alignment` cuts the
stream's phones to the window (times shifted to start at 0, words rebuilt);
:func:`animate_window` runs the same animator ``kmtalk.animate`` would —
:func:`kmtalk.animator.prior.animate_prior` or :func:`kmtalk.animator.learned.animate_learned` —
so closures are exact in every window.

Examples
--------
>>> from phoneme.types import Interval
>>> from kmtalk.stream.window import window_alignment
>>> ph = [Interval("sil", 0, .5), Interval("m", .5, .6, word=0), Interval("ɑ", .6, 1.0, word=0)]
>>> a = window_alignment(ph, 0.4, 0.9, labels=["ma"])
>>> [(p.label, round(p.start, 2), round(p.end, 2), p.word) for p in a.phones]
[('sil', 0.0, 0.1, None), ('m', 0.1, 0.2, 1), ('ɑ', 0.2, 0.5, 1)]
>>> [w.label for w in a.words]
['sil', 'ma']
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.loudness import frame_loudness
from phoneme.types import SILENCE, Alignment, Interval

from ..animator.learned import animate_learned
from ..animator.prior import PriorTables, animate_prior

if TYPE_CHECKING:  # pragma: no cover - torch is imported only on the learned path
    from completion.model import KMTalkModel

__all__ = ["WindowResult", "animate_window", "window_alignment"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowResult:
    """One animated window (times local: 0 is the window's first frame).

    Attributes
    ----------
    weights : ndarray, float32 [n, 52]
    keys : list of KeyMotion
    alignment : Alignment
    loudness_db : ndarray [n]
    """

    weights: np.ndarray
    keys: list[KeyMotion]
    alignment: Alignment
    loudness_db: np.ndarray


def window_alignment(phones: Sequence[Interval], t0: float, t1: float, *,
                     labels: Sequence[str] | None = None) -> Alignment:
    """The phones overlapping ``[t0, t1]`` as an alignment of that window (shifted to start at 0).

    Parameters
    ----------
    phones : sequence of Interval
        Contiguous, in stream time; ``word`` is an id shared by a word's phones.
    t0, t1 : float
        The window in stream seconds.
    labels : sequence of str, optional
        Word text by id (e.g. the transcript's words); default ``"speech"``.

    Returns
    -------
    Alignment
        Phones clipped to the window; a word per run of phones with the same
        id, pauses as ``"sil"``; phone ``word`` indices point into its words.
    """
    dur = max(t1 - t0, 1e-6)
    out: list[Interval] = []
    for p in phones:
        if p.end <= t0 or p.start >= t1:
            continue
        a, b = max(p.start, t0) - t0, min(p.end, t1) - t0
        out.append(replace(p, start=max(a, 0.0), end=min(max(b, a), dur)))
    if not out:
        out = [Interval(SILENCE, 0.0, dur)]
    if out[0].start > 1e-9:
        out.insert(0, Interval(SILENCE, 0.0, out[0].start))
    if out[-1].end < dur - 1e-9:
        out.append(Interval(SILENCE, out[-1].end, dur))
    words: list[Interval] = []
    ids: list[object] = []
    tier: list[Interval] = []
    for p in out:
        is_word = p.word is not None and not p.is_silence
        key = p.word if is_word else None
        if words and ids[-1] == key and (is_word or words[-1].label == SILENCE):
            words[-1] = replace(words[-1], end=p.end)
        else:
            label = SILENCE if not is_word else (
                labels[p.word] if labels is not None and 0 <= p.word < len(labels) else "speech")
            words.append(Interval(label, p.start, p.end))
            ids.append(key)
        tier.append(replace(p, word=len(words) - 1 if is_word else None))
    return Alignment(words=words, phones=tier, duration=dur, aligner="live")


def animate_window(
    alignment: Alignment,
    samples: np.ndarray,
    *,
    fps: float,
    n_frames: int,
    tables: PriorTables,
    jaw: float = 1.0,
    lip: float = 1.0,
    model: KMTalkModel | None = None,
    loudness_ref_db: float | None = None,
    sample_rate: int = 16000,
) -> WindowResult:
    """Animate a window: the prior (``model=None``) or the learned model, exact at every closure.

    ``samples`` are the window's audio (16 kHz), starting at its frame 0.
    """
    loud = frame_loudness(samples, sample_rate, fps, n_frames=n_frames)
    if model is None:
        w, keys = animate_prior(alignment, fps, lexicon=tables.lexicon, loudness_db=loud, jaw=jaw, lip=lip,
                                n_frames=n_frames, loudness_ref_db=loudness_ref_db)
    else:
        w, keys = animate_learned(model, samples, sample_rate, alignment, fps, tables=tables, loudness_db=loud,
                                  jaw=jaw, lip=lip, n_frames=n_frames)
    return WindowResult(np.asarray(w, np.float32), list(keys), alignment, loud)
