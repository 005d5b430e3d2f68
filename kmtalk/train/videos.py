"""Talking-head video folders: ``NAME.wav`` + ``NAME.landmarks.npz`` (+ a transcript).

The layout of ``../shared/data/video-dev`` (see its README), which anyone can
make from their own footage: the audio as a WAV, and per video frame the
MediaPipe FaceMesh landmarks with the derived ``aperture`` (inner-lip gap over
the outer-eye-corner distance) and the video ``fps``. A transcript is read from
``NAME.txt`` or from the second column of ``transcripts_asr.tsv``; without one,
callers recognise the speech.

Used by ``kmtalk eval`` (lip-sync score) and ``kmtalk finetune``.

Examples
--------
>>> from kmtalk.train.videos import video_clips
>>> [name for name, _ in video_clips("../shared/data/video-dev")][:1]  # doctest: +SKIP
['hdtf_WDA_AlexandriaOcasioCortez_000']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..capture.corpus import folder_transcripts
from ..errors import AnimationError

if TYPE_CHECKING:
    from phoneme.keys import KeyMotion
    from phoneme.types import Alignment

    from ..face.rig import Rig

__all__ = ["VideoClip", "is_video_folder", "load_clip", "read_aperture", "video_clips"]


def video_clips(folder: str | os.PathLike[str]) -> list[tuple[str, str | None]]:
    """``(name, transcript or None)`` for every ``NAME.landmarks.npz`` with a ``NAME.wav``, sorted by name."""
    folder = Path(folder)
    texts = folder_transcripts(folder)
    clips = []
    for npz in sorted(folder.glob("*.landmarks.npz")):
        name = npz.name[: -len(".landmarks.npz")]
        if (folder / f"{name}.wav").is_file():
            clips.append((name, texts.get(name)))
    return clips


def is_video_folder(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` holds ``NAME.wav`` + ``NAME.landmarks.npz`` pairs."""
    return bool(video_clips(folder)) if Path(folder).is_dir() else False


def read_aperture(path: str | os.PathLike[str]) -> tuple[np.ndarray, float]:
    """The tracked ``aperture [F]`` (NaN where no face) and the video ``fps`` of a ``.landmarks.npz``.

    Raises
    ------
    AnimationError
        The file lacks ``aperture`` or ``fps``, or they are unusable.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            aperture, fps = np.asarray(z["aperture"], np.float64).reshape(-1), float(z["fps"])
    except (KeyError, ValueError, OSError) as exc:
        raise AnimationError(f"{path}: not a landmarks file with 'aperture' and 'fps' ({exc})") from None
    if not (fps > 0 and np.isfinite(fps)) or aperture.size == 0:
        raise AnimationError(f"{path}: fps {fps} and {aperture.size} aperture frames are unusable")
    return aperture, fps


@dataclass
class VideoClip:
    """One clip of a video folder, aligned and keyed as ``animate`` would do it, with its tracked aperture.

    Attributes
    ----------
    name : str
    samples : ndarray float32 [N]
        Mono audio at ``sample_rate``.
    sample_rate : int
    alignment : Alignment
    fps : float
        The animation frame rate the keys and loudness were made at.
    n_frames : int
    loudness : ndarray [n_frames]
        Per-frame loudness (dB), as ``animate`` computes it.
    keys : list of KeyMotion
    aperture : ndarray [F]
        The tracked aperture per video frame (NaN where no face).
    video_fps : float
    """

    name: str
    samples: np.ndarray
    sample_rate: int
    alignment: Alignment
    fps: float
    n_frames: int
    loudness: np.ndarray
    keys: list[KeyMotion]
    aperture: np.ndarray
    video_fps: float

    def score(self, weights: np.ndarray, rig: Rig) -> float:
        """The lip-sync score of ARKit ``weights [n_frames, 52]`` (at ``fps``) against this clip."""
        from .metrics import weights_lipsync_score

        return weights_lipsync_score(weights, self.fps, self.aperture, self.video_fps, rig=rig)


def load_clip(folder: str | os.PathLike[str], name: str, text: str | None, *, fps: float,
              sample_rate: int = 16000) -> VideoClip:
    """Load clip ``name`` of a video folder: audio, alignment of ``text`` (recognised when None), keys, aperture.

    Raises
    ------
    AudioError, AlignmentError, AnimationError
        Unusable audio, transcript or landmarks file.
    """
    from phoneme import align
    from phoneme.audio import load_audio
    from phoneme.keys import select_keys
    from phoneme.loudness import frame_loudness

    from ..animator.prior import n_frames_for

    folder = Path(folder)
    samples, sr = load_audio(folder / f"{name}.wav", sample_rate=sample_rate)
    if text is None:
        from phoneme.recognize import recognize

        text = recognize((samples, sr)).text
    al = align((samples, sr), text)
    n = n_frames_for(samples.size / sr, fps)
    loud = frame_loudness(samples, sr, fps, n_frames=n)
    keys = select_keys(al, fps, loudness=loud)
    aperture, video_fps = read_aperture(folder / f"{name}.landmarks.npz")
    return VideoClip(name, samples, sr, al, float(fps), n, loud, keys, aperture, video_fps)
