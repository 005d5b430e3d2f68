"""One training/evaluation utterance and the helpers every loader shares.

Examples
--------
>>> import numpy as np
>>> from completion.data.item import resample_frames
>>> resample_frames(np.arange(6.0)[:, None], 60.0, 30.0)[:, 0].tolist()
[0.0, 2.0, 4.0]
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.errors import AlignmentError, KmtalkError
from phoneme.keys import KeyMotion, select_keys
from phoneme.loudness import frame_loudness
from phoneme.types import Alignment

__all__ = ["SAMPLE_RATE", "Utterance", "align_and_select", "resample_frames"]

log = logging.getLogger(__name__)

#: Rate every loader returns audio at.
SAMPLE_RATE = 16000


@dataclass
class Utterance:
    """One utterance: audio, target motion at ``fps`` and what is known about its phones.

    Attributes
    ----------
    name : str
        Unique within its dataset (file stem).
    samples : ndarray, float32 [N]
        Mono audio in [-1, 1] at ``sample_rate``.
    sample_rate : int
    fps : float
        Frame rate of ``values`` (frame ``i`` at ``i / fps`` s on the audio's clock).
    values : ndarray
        The target motion in native values: ARKit weights ``[T, 52]`` or vertex
        offsets from ``template`` ``[T, V, 3]``.
    alignment : Alignment or None
        Timed phones when known (synthetic: exact; real data: forced alignment of a transcript).
    keys : list of KeyMotion
        Key motions at ``fps`` (empty when there is no alignment).
    style : dict or None
        Style axis values (``{"jaw": 1.1, "lip": 0.9}``) when known; None is neutral.
    subject : str or None
    template : ndarray [V, 3] or None
        The subject's neutral mesh for vertex data.
    meta : dict
        Anything else from the source (text, voice, sentence number …).
    """

    name: str
    samples: np.ndarray
    sample_rate: int
    fps: float
    values: np.ndarray
    alignment: Alignment | None = None
    keys: list[KeyMotion] = field(default_factory=list)
    style: dict[str, float] | None = None
    subject: str | None = None
    template: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    @property
    def duration(self) -> float:
        """Audio length in seconds."""
        return len(self.samples) / float(self.sample_rate)


def resample_frames(values: np.ndarray, src_fps: float, dst_fps: float, n_out: int | None = None) -> np.ndarray:
    """Linear interpolation of per-frame values (axis 0, frame ``i`` at ``i / fps``) to another rate.

    Parameters
    ----------
    values : ndarray [T, ...]
    src_fps, dst_fps : float
    n_out : int, optional
        Output frames (default ``round((T - 1) * dst / src) + 1``, the frames
        within the source's span). Frames past the last source frame repeat it.

    Returns
    -------
    ndarray [n_out, ...], float32
        Exact copies where an output time falls on a source frame (60 → 30 fps
        takes every second frame, as FaceFormer does for VOCASET).
    """
    x = np.asarray(values)
    if x.shape[0] == 0:
        raise ValueError("cannot resample an empty sequence")
    if not (src_fps > 0 and dst_fps > 0):
        raise ValueError(f"frame rates must be positive, got {src_fps} and {dst_fps}")
    if n_out is None:
        n_out = math.floor((x.shape[0] - 1) * dst_fps / src_fps + 1e-6) + 1
    if src_fps == dst_fps and n_out <= x.shape[0]:
        return np.ascontiguousarray(x[:n_out], dtype=np.float32)
    pos = np.arange(n_out, dtype=np.float64) * (src_fps / dst_fps)
    near = np.abs(pos - np.round(pos)) < 1e-6
    pos[near] = np.round(pos[near])
    pos = np.clip(pos, 0, x.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, x.shape[0] - 1)
    frac = (pos - lo).reshape(-1, *([1] * (x.ndim - 1)))
    out = x[lo] * (1.0 - frac) + x[hi] * frac
    return out.astype(np.float32)


def align_and_select(
    name: str,
    samples: np.ndarray,
    sample_rate: int,
    transcript: str,
    fps: float,
    n_frames: int,
    *,
    cache_dir: Path | None = None,
    aligner: str = "auto",
) -> tuple[Alignment | None, list[KeyMotion]]:
    """Force-align a transcript (cached as ``cache_dir/NAME.json``) and select its key motions.

    A transcript that cannot be aligned is logged and gives ``(None, [])``: the
    utterance still trains the completion transformer from audio alone.
    """
    from phoneme.aligning import align

    alignment = None
    cached = cache_dir / f"{name}.json" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            alignment = Alignment.load_json(cached)
        except AlignmentError as exc:
            log.warning("ignoring unreadable cached alignment %s: %s", cached, exc)
    if alignment is None:
        try:
            alignment = align((samples, sample_rate), transcript, aligner=aligner)
        except KmtalkError as exc:
            log.warning("%s: transcript not aligned (%s); training it without keys", name, exc)
            return None, []
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f".{cached.name}.tmp")
            alignment.save_json(tmp)
            tmp.replace(cached)
    loud = frame_loudness(samples, sample_rate, fps, n_frames=n_frames)
    return alignment, select_keys(alignment, fps, loudness=loud)
