"""The style embedding of a reference animation (DiffPoseTalk's idea of a style code).

:func:`style_embedding` extracts a fixed-length, interpretable embedding from any
:class:`~kmtalk.Animation`: per-channel mean, spread and speed of the 52 curves, the
jaw's and lips' working range, the head pose's spread and the blink rate
(:meth:`StyleEmbedding.vector`, :data:`EMBEDDING_SIZE` numbers). The ``reference``
style (:mod:`kmtalk.animator.styles.reference`) matches a line to it, and
:class:`~kmtalk.animator.styles.base.PriorParams` carries it to the animator.

Examples
--------
>>> import numpy as np
>>> from kmtalk import Animation
>>> from kmtalk.animator.styles.embedding import style_embedding, EMBEDDING_SIZE
>>> w = np.zeros((60, 52), np.float32); w[:, 17] = np.linspace(0, 0.5, 60)   # jawOpen
>>> e = style_embedding(Animation(fps=30, weights=w))
>>> round(e.jaw_range, 3), e.vector().shape == (EMBEDDING_SIZE,)
(0.475, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import AnimationError, KmtalkError
from ...face.arkit import ARKIT_INDEX, ARKIT_NAMES
from ..prior import load_prior_tables

__all__ = ["EMBEDDING_SIZE", "EMBEDDING_VERSION", "MIN_RANGE", "StyleEmbedding", "jaw_lip_ranges", "lip_channels",
           "style_embedding"]

#: Version of the embedding layout (bump when :meth:`StyleEmbedding.vector` changes).
EMBEDDING_VERSION = 1
#: Length of :meth:`StyleEmbedding.vector`: mean, std, speed of 52 channels, 6 head std, 3 scalars.
EMBEDDING_SIZE = 52 * 3 + 6 + 3
#: Smallest jaw or lip range taken as movement.
MIN_RANGE = 1e-3
_BLINK_THRESHOLD = 0.5


def lip_channels(lexicon: Any = None) -> np.ndarray:
    """The lip group's channels (bool [52]) of a lexicon's prior tables (default: the bundled one)."""
    return load_prior_tables(lexicon).group_masks["lips"]


def jaw_lip_ranges(weights: np.ndarray, lip_mask: np.ndarray) -> tuple[float, float]:
    """(jaw range, lip range): 95th percentiles of jawOpen and of the mean lip-group activity."""
    w = np.asarray(weights, np.float64)
    jaw = float(np.percentile(w[:, ARKIT_INDEX["jawOpen"]], 95))
    lips = float(np.percentile(w[:, lip_mask].mean(axis=1), 95))
    return jaw, lips


@dataclass(frozen=True)
class StyleEmbedding:
    """A style code taken from a reference animation (see the module docstring).

    Attributes
    ----------
    mean, std : ndarray [52]
        Per-channel mean and standard deviation of the weights.
    speed : ndarray [52]
        Per-channel mean absolute change per second.
    jaw_range, lip_range : float
        95th percentile of ``jawOpen`` and of the mean lip-group activity.
    head_std : ndarray [6]
        Spread of the head pose columns (zeros without a head pose).
    blink_rate : float
        Blinks per minute (``eyeBlinkLeft`` rising through 0.5).
    seconds : float
        Length of the reference.
    """

    mean: np.ndarray
    std: np.ndarray
    speed: np.ndarray
    jaw_range: float
    lip_range: float
    head_std: np.ndarray
    blink_rate: float
    seconds: float

    def vector(self) -> np.ndarray:
        """The embedding as one float32 vector of :data:`EMBEDDING_SIZE` numbers (a model's input)."""
        return np.concatenate([self.mean, self.std, self.speed, self.head_std,
                               [self.jaw_range, self.lip_range, self.blink_rate / 60.0]]).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see :meth:`from_dict`)."""
        return {"version": EMBEDDING_VERSION, "channels": list(ARKIT_NAMES),
                "mean": self.mean.tolist(), "std": self.std.tolist(), "speed": self.speed.tolist(),
                "jaw_range": self.jaw_range, "lip_range": self.lip_range,
                "head_std": self.head_std.tolist(), "blink_rate": self.blink_rate, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StyleEmbedding:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        KmtalkError
            Another version or malformed data.
        """
        if data.get("version") != EMBEDDING_VERSION:
            raise KmtalkError(f"style embedding version {data.get('version')!r} is not {EMBEDDING_VERSION}")
        try:
            return cls(np.asarray(data["mean"], np.float64), np.asarray(data["std"], np.float64),
                       np.asarray(data["speed"], np.float64), float(data["jaw_range"]),
                       float(data["lip_range"]), np.asarray(data["head_std"], np.float64),
                       float(data["blink_rate"]), float(data["seconds"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise KmtalkError(f"malformed style embedding: {exc!r}") from None


def style_embedding(animation: Any, *, lexicon: Any = None) -> StyleEmbedding:
    """Extract a :class:`StyleEmbedding` from a reference animation (a few seconds of speech is enough).

    Parameters
    ----------
    animation : Animation
        The reference (any frame rate; with or without head pose).
    lexicon : Lexicon or str, optional
        Lexicon whose channel groups define "lips" (default: bundled).

    Raises
    ------
    AnimationError
        A reference shorter than 1 second.
    """
    w = np.asarray(animation.weights, np.float64)
    fps = float(animation.fps)
    seconds = w.shape[0] / fps
    if seconds < 1.0:
        raise AnimationError(f"a style reference needs at least 1 s of animation, got {seconds:.2f} s")
    jaw, lips = jaw_lip_ranges(w, lip_channels(lexicon))
    speed = np.abs(np.diff(w, axis=0)).mean(axis=0) * fps if w.shape[0] > 1 else np.zeros(w.shape[1])
    head = animation.head_pose
    head_std = np.asarray(head, np.float64).std(axis=0) if head is not None else np.zeros(6)
    blink = w[:, ARKIT_INDEX["eyeBlinkLeft"]]
    rises = int(np.sum((blink[1:] >= _BLINK_THRESHOLD) & (blink[:-1] < _BLINK_THRESHOLD)))
    return StyleEmbedding(mean=w.mean(axis=0), std=w.std(axis=0), speed=speed, jaw_range=jaw,
                          lip_range=lips, head_std=head_std, blink_rate=60.0 * rises / seconds,
                          seconds=seconds)
