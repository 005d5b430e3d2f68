"""Word confidences and mismatch reports from acoustic scores, durations and energy.

Pocketsphinx scores every frame of a forced alignment relative to the best
senone (tied HMM state) of that frame — the score an unconstrained "senone
loop" would get. A word that is really spoken scores about -0.5 to -3 nats
per frame; a word that the audio does not contain, forced into place, scores
-6 to -20. Speech that the transcript lacks ends up inside a pause (scored by
the silence model and loud) or stretched words (too long for their phones).
:func:`assess` turns these into per-word confidences in [0, 1] and
human-readable ``issues``; the thresholds live in :class:`MismatchConfig`.

Examples
--------
>>> import numpy as np
>>> from phoneme.types import Interval
>>> from phoneme.aligners.confidence import assess
>>> words = [Interval("sil", 0, 0.2), Interval("yes", 0.2, 0.5), Interval("zebra", 0.5, 0.8)]
>>> score = np.r_[np.full(20, -0.5), np.full(30, -1.0), np.full(30, -20.0)]
>>> conf, issues = assess(words, [0, 3, 5], score, np.full(80, -20.0))
>>> conf[0] is None, conf[1] > 0.95, conf[2] < 0.05
(True, True, True)
>>> issues[0].startswith("word 2 'zebra'")  # words are numbered from 1
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..frames import frame_at
from ..types import SILENCE, Interval

__all__ = ["MismatchConfig", "assess"]


@dataclass(frozen=True)
class MismatchConfig:
    """Thresholds of the mismatch detector (nats per 10 ms frame, seconds).

    Attributes
    ----------
    floor_score : float
        Mean frame score at which a word gets confidence 0.5 on clean audio.
    relative_margin : float
        On noisy audio the 0.5 point moves down to the recording's median word
        score minus this margin, whichever is lower.
    slope : float
        Width of the logistic from score to confidence.
    prior_frames : float
        A word's mean score is pulled towards the recording's median as if it
        had this many extra frames at the median, so that a 50 ms word is not
        condemned by a few noisy frames.
    base_seconds, seconds_per_phone : float
        A word longer than ``base + per_phone * n_phones`` seconds loses confidence
        (untranscribed speech merged into it).
    min_confidence : float
        Words below this are listed in ``Alignment.issues``.
    min_frames_per_phone, squeezed_confidence : int, float
        A word of three or more phones held at the acoustic model's minimum
        duration (3 frames per phone for pocketsphinx) got no support from the
        audio — typical of a word forced onto noise — and gets at most this
        confidence.
    pause_min : float
        Pauses at least this long are checked for untranscribed speech.
    pause_bad_score : float
        A pause of at least 0.3 s scoring below this per frame holds speech.
    pause_loud_seconds, pause_loud_score : float
        A pause with at least this many seconds of speech-loud frames that the
        silence model scores below ``pause_loud_score`` per frame holds speech.
    """

    floor_score: float = -4.6
    relative_margin: float = 3.0
    slope: float = 0.6
    prior_frames: float = 5.0
    base_seconds: float = 0.45
    seconds_per_phone: float = 0.22
    min_confidence: float = 0.5
    min_frames_per_phone: int = 3
    squeezed_confidence: float = 0.2
    pause_min: float = 0.15
    pause_bad_score: float = -4.5
    pause_loud_seconds: float = 0.15
    pause_loud_score: float = -2.0


def _sigmoid(x: float) -> float:
    if x < -50:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def _frames(item: Interval, fps: float, n: int) -> tuple[int, int]:
    start = min(frame_at(item.start, fps), n)
    end = min(frame_at(item.end, fps), n)
    return start, end


def assess(
    words: Sequence[Interval],
    phone_counts: Sequence[int],
    frame_score: np.ndarray,
    energy_db: np.ndarray,
    *,
    skipped: Sequence[int] = (),
    fps: float = 100.0,
    config: MismatchConfig = MismatchConfig(),
) -> tuple[list[float | None], list[str]]:
    """Compute word confidences and list transcript/audio mismatches.

    Parameters
    ----------
    words : sequence of Interval
        Contiguous word tier; pauses labelled ``"sil"``.
    phone_counts : sequence of int
        Number of phones of each word (0 for pauses and skipped words).
    frame_score : np.ndarray
        Acoustic score per frame in nats, relative to the frame's best senone;
        NaN where nothing was scored.
    energy_db : np.ndarray
        Frame energies (see :func:`~phoneme.loudness.block_energy_db`).
    skipped : sequence of int
        Indices (into ``words``) of words the aligner could not place at all.
    fps : float
        Frames per second of ``frame_score`` and ``energy_db``.
    config : MismatchConfig
        Thresholds.

    Returns
    -------
    confidences : list of float or None
        Per word in [0, 1]; ``None`` for pauses.
    issues : list of str
        One line per suspicious word (numbered from 1 in transcript order) or
        pause, in time order.
    """
    n = len(frame_score)
    skipped_set = set(skipped)
    sums: list[tuple[float, int] | None] = []
    for item in words:
        if item.label == SILENCE:
            sums.append(None)
            continue
        s, e = _frames(item, fps, n)
        seg = frame_score[s:e]
        seg = seg[np.isfinite(seg)]
        sums.append((float(seg.sum()), int(seg.size)) if seg.size else None)
    spoken = [total / count for total, count in (x for x in sums if x is not None)]
    reference = float(np.median(spoken)) if spoken else config.floor_score
    threshold = min(config.floor_score, reference - config.relative_margin)
    k0 = config.prior_frames
    means: list[float | None] = [
        None if x is None else (x[0] + k0 * reference) / (x[1] + k0) for x in sums
    ]

    finite_e = energy_db[np.isfinite(energy_db)] if energy_db.size else energy_db
    floor = float(np.percentile(finite_e, 10)) if finite_e.size else -120.0
    level = float(np.percentile(finite_e, 97)) if finite_e.size else 0.0
    loud_threshold = floor + 0.5 * (level - floor)

    confidences: list[float | None] = []
    issues: list[tuple[float, str]] = []
    number = 0  # 1-based position of the word in the transcript
    for k, (item, mean, nph) in enumerate(zip(words, means, phone_counts)):
        where = f"{item.start:.2f}-{item.end:.2f} s"
        if item.label != SILENCE:
            number += 1
        if item.label == SILENCE:
            confidences.append(None)
            if item.duration < config.pause_min:
                continue
            s, e = _frames(item, fps, n)
            m = min(e, len(energy_db)) - s
            seg = frame_score[s:s + m]
            finite = np.isfinite(seg)
            score = float(seg[finite].mean()) if finite.any() else None
            loud = energy_db[s:s + m] > loud_threshold
            n_loud = int(loud.sum())
            loud_scores = seg[loud & finite]
            loud_score = float(loud_scores.mean()) if loud_scores.size else None
            bad_pause = score is not None and item.duration >= 0.3 and score < config.pause_bad_score
            loud_speech = n_loud >= config.pause_loud_seconds * fps and (
                loud_score is None or loud_score < config.pause_loud_score
            )
            if bad_pause or loud_speech:
                shown = "unscored" if score is None else f"score {score:.1f}/frame"
                issues.append((item.start, (
                    f"pause {where} sounds like speech ({shown}, {n_loud / fps:.2f} s at speech "
                    "level): the transcript may be missing words here"
                )))
            continue
        if k in skipped_set or item.duration <= 0.0:
            confidences.append(0.0)
            issues.append((item.start, (
                f"word {number} {item.label!r}: not found in the audio near {item.start:.2f} s "
                "(the aligner skipped it); the transcript may have an extra word"
            )))
            continue
        # unscored words (phone boundaries estimated after a failed pass) are undecided
        c_ac = _sigmoid((mean - threshold) / config.slope) if mean is not None else 0.5
        limit = config.base_seconds + config.seconds_per_phone * max(nph, 1)
        c_dur = _sigmoid((limit - item.duration) / 0.08)
        squeezed = nph >= 3 and item.duration * fps <= config.min_frames_per_phone * nph + 1.01
        c_sq = config.squeezed_confidence if squeezed else 1.0
        conf = min(c_ac, c_dur, c_sq)
        confidences.append(conf)
        if conf < config.min_confidence:
            if c_sq <= min(c_ac, c_dur):
                why = (f"squeezed to the shortest possible duration ({item.duration:.2f} s for {nph} "
                       "phones): the audio gives it no support")
            elif c_dur < c_ac or mean is None:
                why = (f"unusually long ({item.duration:.2f} s for {nph} phones): untranscribed "
                       "speech may be merged into it")
            else:
                why = (f"poor acoustic match ({mean:.1f}/frame vs. typical {reference:.1f}): the "
                       "audio may not contain this word, or it is mispronounced")
            issues.append((item.start, f"word {number} {item.label!r} at {where}: {why} (confidence {conf:.2f})"))
    issues.sort(key=lambda x: x[0])
    return confidences, [text for _, text in issues]
