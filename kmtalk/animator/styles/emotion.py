"""The ``emotion`` style: an overlay of brows, eyes, cheeks and smile that leaves the lip-sync alone.

Each emotion is a pose of ARKit weights in ``assets/styles/emotions.json``
(happy, sad, angry, surprised), blended over the speech curves as
``w + a (1 - w)`` with ``a = intensity × pose`` — it adds to what speech
does and stays in [0, 1]. Several emotions combine the same way. The file
lists the channels that carry the lip-sync (jaw, lip closure and opening,
rounding, tongue); no emotion may use them, so bilabial closures stay
closed (and :func:`kmtalk.animator.styles.stylize` re-imposes the closure facts and
the editor's locks after every style anyway).

Examples
--------
>>> import numpy as np
>>> from kmtalk.animator.styles import get_style
>>> from kmtalk.face.arkit import ARKIT_INDEX
>>> w = np.zeros((10, 52), np.float32)
>>> out = get_style("emotion", happy=0.5).apply(w, None)
>>> round(float(out[0, ARKIT_INDEX["mouthSmileLeft"]]), 2), float(out[0, ARKIT_INDEX["jawOpen"]])
(0.3, 0.0)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from phoneme.assets import asset_path

from ...face.arkit import ARKIT_INDEX, ARKIT_NAMES
from ...errors import AssetError, KmtalkError
from .base import BaseStyle, StyleContext

__all__ = ["EMOTIONS", "EmotionStyle", "emotion_poses"]

_FORMAT_VERSION = 1


@dataclass(frozen=True)
class _Table:
    poses: dict[str, np.ndarray]  # emotion -> [52]
    leaves_alone: np.ndarray  # bool [52]


@lru_cache(maxsize=1)
def _table() -> _Table:
    path = asset_path("styles", "emotions.json")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot read {path}: {exc}; reinstall kmtalk") from None
    if data.get("format_version") != _FORMAT_VERSION:
        raise AssetError(f"{path}: format_version {data.get('format_version')!r} is not {_FORMAT_VERSION}")
    alone = np.zeros(len(ARKIT_NAMES), bool)
    for name in data.get("leaves_alone", []):
        if name not in ARKIT_INDEX:
            raise AssetError(f"{path}: leaves_alone names unknown channel {name!r}")
        alone[ARKIT_INDEX[name]] = True
    poses: dict[str, np.ndarray] = {}
    for emotion, pose in (data.get("emotions") or {}).items():
        vec = np.zeros(len(ARKIT_NAMES), np.float64)
        for name, value in pose.items():
            if name not in ARKIT_INDEX or not 0.0 <= float(value) <= 1.0:
                raise AssetError(f"{path}: emotion {emotion!r} has a bad channel or weight {name!r}={value!r}")
            if alone[ARKIT_INDEX[name]]:
                raise AssetError(f"{path}: emotion {emotion!r} uses {name!r}, a lip-sync channel it must "
                                 "leave alone")
            vec[ARKIT_INDEX[name]] = float(value)
        poses[str(emotion)] = vec
    if not poses:
        raise AssetError(f"{path}: no emotions defined")
    return _Table(poses, alone)


def emotion_poses() -> dict[str, np.ndarray]:
    """The emotion poses: name → [52] weights at intensity 1 (a copy).

    Examples
    --------
    >>> sorted(emotion_poses())
    ['angry', 'happy', 'sad', 'surprised']
    """
    return {k: v.copy() for k, v in _table().poses.items()}


#: Names of the built-in emotions.
EMOTIONS: tuple[str, ...] = ("happy", "sad", "angry", "surprised")


class EmotionStyle(BaseStyle):
    """Emotion overlay.

    Parameters
    ----------
    ease : float, default 0
        Seconds over which the overlay fades in at the start of the line and
        out at its end (0: constant over the whole line).
    **intensities : float
        Emotion name → intensity in [0, 1] (``True`` means 1), e.g. ``happy=0.5``.

    Raises
    ------
    KmtalkError
        An unknown emotion (the message lists them) or an intensity outside [0, 1].
    """

    name = "emotion"

    def __init__(self, *, ease: float = 0.0, **intensities: float | bool) -> None:
        table = _table()
        if not intensities:
            raise KmtalkError(f"emotion needs at least one emotion and intensity, e.g. 'emotion:happy=0.5' "
                              f"(emotions: {', '.join(table.poses)})")
        levels: dict[str, float] = {}
        for emotion, value in intensities.items():
            if emotion not in table.poses:
                raise KmtalkError(f"unknown emotion {emotion!r}; known: {', '.join(table.poses)}")
            v = 1.0 if value is True else float(value)
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise KmtalkError(f"emotion {emotion}={value!r} must be an intensity in [0, 1]")
            levels[emotion] = v
        ease_s = float(ease)
        if not (math.isfinite(ease_s) and ease_s >= 0):
            raise KmtalkError(f"emotion ease={ease!r} must be >= 0 seconds")
        super().__init__(**levels, **({"ease": ease_s} if ease_s else {}))
        self.levels = levels
        self.ease = ease_s

    def overlay(self) -> np.ndarray:
        """The combined overlay ``a`` [52] at full envelope."""
        keep = np.ones(len(ARKIT_NAMES))
        for emotion, level in self.levels.items():
            keep *= 1.0 - level * _table().poses[emotion]
        return 1.0 - keep

    def apply(self, weights: np.ndarray, context: StyleContext | None) -> np.ndarray:
        w = np.asarray(weights, np.float64)
        a = self.overlay()[None, :] * np.ones((w.shape[0], 1))
        if self.ease > 0 and context is not None:
            t = (context.start_frame + np.arange(w.shape[0])) / context.fps
            rise = np.clip(t / self.ease, 0.0, 1.0)
            fall = 1.0 if context.open_end else np.clip((context.end_time - t) / self.ease, 0.0, 1.0)
            env = np.minimum(rise, fall)
            env = env * env * (3 - 2 * env)
            a = a * env[:, None]
        out = w + a * (1.0 - w)
        out[:, _table().leaves_alone] = w[:, _table().leaves_alone]
        return np.clip(out, 0.0, 1.0).astype(np.float32)
