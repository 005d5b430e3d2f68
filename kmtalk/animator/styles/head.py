"""The ``head`` style: head motion and eye blinks with natural statistics, seeded.

* **Blinks.** Conversational blinking comes every few seconds and clusters
  at phrase boundaries (pauses between words). Here the interval from one
  blink to the next is drawn from a log-normal around 3.5 s and kept within
  2–6 s; when a pause of at least 150 ms begins after the 2 s refractory
  interval and before the drawn time, the blink moves to that pause (with
  probability ``pause_bias``, 0.8). A blink closes in 60 ms, stays shut for
  30 ms and opens in 130 ms (``eyeBlinkLeft/Right`` to 1, combined with
  whatever the curves already hold by taking the larger).
* **Nods.** Stressed syllables (vowels with ``stress`` 1, which the English
  aligner and the espeak-ng languages provide) get a small downward pitch
  pulse — a raised cosine 0.4 s wide peaking 80 ms into the vowel — with
  probability 0.6, at least 0.35 s apart, 2–3.5° scaled by the vowel's
  loudness against the line's speech level.
* **Sway.** A slow drift of pitch, yaw and roll: three sinusoids per axis
  between 0.05 and 0.4 Hz with random phases (about 1–2° in all).

Everything random comes from the context's seeded streams (one each for
blinks, nods and sway), so the same seed gives the same motion, and
turning one part off leaves the others unchanged. ``nod``, ``blink`` and ``sway`` scale each part
(0 turns it off).

Examples
--------
>>> import numpy as np
>>> from phoneme.types import Alignment, Interval
>>> from kmtalk.animator.styles import StyleContext, get_style
>>> a = Alignment(words=[Interval("sil", 0, 10)], phones=[Interval("sil", 0, 10)], duration=10)
>>> ctx = StyleContext(fps=30, n_frames=300, alignment=a, entropy=(1,))
>>> blinks = get_style("head").blink_times(ctx)
>>> bool(np.all((np.diff(blinks) >= 2) & (np.diff(blinks) <= 6)))
True
"""

from __future__ import annotations

import math

import numpy as np

from phoneme.frames import frame_at

from ...errors import KmtalkError
from ...face.arkit import ARKIT_INDEX
from .base import BaseStyle, StyleContext

__all__ = ["BLINK_INTERVAL_S", "HeadStyle"]

#: Shortest and longest time between two blinks.
BLINK_INTERVAL_S = (2.0, 6.0)
_BLINK_MEDIAN_S = 3.5
_BLINK_SIGMA = 0.35
_FIRST_BLINK_S = (0.3, 2.0)
_PAUSE_MIN_S = 0.15
_BLINK_AFTER_PAUSE_S = 0.05
_CLOSE_S, _HOLD_S, _OPEN_S = 0.06, 0.03, 0.13
_NOD_PROB = 0.6
_NOD_GAP_S = 0.35
_NOD_WIDTH_S = 0.4
_NOD_PEAK_S = 0.08
_NOD_RAD = (math.radians(2.0), math.radians(3.5))
_SWAY_RAD = (math.radians(1.0), math.radians(1.5), math.radians(0.7))  # pitch, yaw, roll
_SWAY_HZ = (0.05, 0.4)


def _scale(name: str, value: float | bool) -> float:
    v = 1.0 if value is True else float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 3.0):
        raise KmtalkError(f"head {name}={value!r} must be in [0, 3] (1 is natural, 0 turns it off)")
    return v


class HeadStyle(BaseStyle):
    """Head nods on stressed syllables, slow sway, and eye blinks.

    Parameters
    ----------
    nod, sway : float, default 1
        Scale of the nods and of the sway (0–3; 0 turns it off).
    blink : float, default 1
        How far the lids close in a blink (0–1; 1 fully, 0 no blinks).
    pause_bias : float, default 0.8
        Probability that a blink due soon moves to a pause (phrase boundary).
    """

    name = "head"

    def __init__(self, *, nod: float = 1.0, blink: float = 1.0, sway: float = 1.0,
                 pause_bias: float = 0.8) -> None:
        given = {k: v for k, v in (("nod", nod), ("blink", blink), ("sway", sway)) if v != 1.0}
        bias = float(pause_bias)
        if not 0.0 <= bias <= 1.0:
            raise KmtalkError(f"head pause_bias={pause_bias!r} must be a probability in [0, 1]")
        if bias != 0.8:
            given["pause_bias"] = bias
        super().__init__(**given)
        self.nod = _scale("nod", nod)
        self.blink = _scale("blink", blink)
        if self.blink > 1.0:
            raise KmtalkError(f"head blink={blink!r} must be in [0, 1] (how far the lids close)")
        self.sway = _scale("sway", sway)
        self.pause_bias = bias

    # ------------------------------------------------------------------ blinks
    def blink_times(self, context: StyleContext) -> list[float]:
        """Blink onsets in seconds (from the context's stream 0: the same for the same seed)."""
        rng = context.stream(0)
        pauses = [p.start + _BLINK_AFTER_PAUSE_S for p in context.pauses(_PAUSE_MIN_S)]
        lo, hi = BLINK_INTERVAL_S
        end = context.end_time - (_CLOSE_S + _HOLD_S)
        t = float(rng.uniform(*_FIRST_BLINK_S))
        first_pause = next((p for p in pauses if _FIRST_BLINK_S[0] <= p <= t), None)
        if first_pause is not None and rng.random() < self.pause_bias:
            t = first_pause
        times: list[float] = []
        while t < end:
            times.append(t)
            gap = float(np.clip(rng.lognormal(math.log(_BLINK_MEDIAN_S), _BLINK_SIGMA), lo, hi))
            nxt = t + gap
            at_pause = next((p for p in pauses if t + lo <= p <= nxt), None)
            if at_pause is not None and rng.random() < self.pause_bias:
                nxt = at_pause
            t = nxt
        return times

    def apply(self, weights: np.ndarray, context: StyleContext) -> np.ndarray:
        if self.blink == 0:
            return weights
        n, fps = weights.shape[0], context.fps
        t = (context.start_frame + np.arange(n)) / fps
        lid = np.zeros(n)
        for onset in self.blink_times(context):
            u = t - onset
            closing = np.clip(u / _CLOSE_S, 0.0, 1.0)
            opening = np.clip(1.0 - (u - _CLOSE_S - _HOLD_S) / _OPEN_S, 0.0, 1.0)
            shape = np.where(u < _CLOSE_S, closing, opening)
            shape = np.where((u < 0) | (u > _CLOSE_S + _HOLD_S + _OPEN_S), 0.0, shape)
            # a blink shorter than a frame still shows: its nearest frame is closed
            k = frame_at(onset + _CLOSE_S, fps) - context.start_frame
            if 0 <= k < n:
                shape[k] = max(shape[k], 1.0)
            lid = np.maximum(lid, shape * shape * (3 - 2 * shape))
        lid = np.clip(lid * min(self.blink, 1.0), 0.0, 1.0)
        out = np.array(weights, np.float32, copy=True)
        for name in ("eyeBlinkLeft", "eyeBlinkRight"):
            c = ARKIT_INDEX[name]
            out[:, c] = np.maximum(out[:, c], lid.astype(np.float32))
        return out

    # ------------------------------------------------------------------ head pose
    def nod_times(self, context: StyleContext) -> list[tuple[float, float]]:
        """(peak time s, amplitude rad) of the nods, from the stressed vowels."""
        rng = context.stream(1)
        loud = context.loudness_db
        level = None
        if loud is not None and np.size(loud):
            speech = loud[loud > np.max(loud) - 40.0]
            level = float(np.percentile(speech, 90)) if speech.size else None
        nods: list[tuple[float, float]] = []
        last = -np.inf
        for ph in context.phones:
            if ph.stress != 1 or ph.is_silence:
                continue
            draw = rng.random()
            gain = rng.uniform(*_NOD_RAD)
            if draw >= _NOD_PROB or ph.start - last < _NOD_GAP_S:
                continue
            if level is not None:
                k = min(max(frame_at(ph.mid, context.fps) - context.start_frame, 0), len(loud) - 1)
                gain *= float(np.clip(1.0 + (loud[k] - level) / 20.0, 0.5, 1.2))
            nods.append((ph.start + _NOD_PEAK_S, gain))
            last = ph.start
        return nods

    def head_pose(self, pose: np.ndarray, context: StyleContext) -> np.ndarray:
        out = np.array(pose, np.float32, copy=True)
        n, fps = out.shape[0], context.fps
        t = (context.start_frame + np.arange(n)) / fps
        if self.nod > 0:
            pitch = np.zeros(n)
            for peak, amp in self.nod_times(context):
                u = np.clip((t - peak) / (_NOD_WIDTH_S / 2), -1.0, 1.0)
                pitch += amp * 0.5 * (1.0 + np.cos(np.pi * u))
            out[:, 0] += (self.nod * pitch).astype(np.float32)
        if self.sway > 0:
            rng = context.stream(2)
            for axis, amp in enumerate(_SWAY_RAD):
                freqs = rng.uniform(*_SWAY_HZ, size=3)
                phases = rng.uniform(0, 2 * np.pi, size=3)
                weights = rng.dirichlet(np.ones(3))
                drift = sum(w * np.sin(2 * np.pi * f * t + p) for w, f, p in zip(weights, freqs, phases))
                out[:, axis] += (self.sway * amp * drift).astype(np.float32)
        return out
