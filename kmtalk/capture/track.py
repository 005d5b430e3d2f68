"""Track a whole video: per decoded frame, its time, blendshapes, head matrix and landmarks (cached on request).

A :class:`Track` is the raw tracker output on the video's own frame times,
before gap filling, resampling, calibration or retargeting
(:mod:`kmtalk.capture.api` does those). Frames without a face are NaN rows.
With ``cache_dir`` the track is stored as ``<sha256 of the video>.npz`` and
reused while the video file and the model stay the same, so that benchmarks
and corpus builds can rerun in seconds.

Examples
--------
>>> from kmtalk.capture.track import track_video
>>> tr = track_video("../shared/data/video-dev/retalking_2.mp4")  # doctest: +SKIP
>>> tr.n_frames, round(tr.found.mean(), 2)  # doctest: +SKIP
(125, 1.0)
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import VideoError

from ..face.arkit import ARKIT_NAMES
from .tracker import MODEL_SHA256, FaceTracker
from .video import VideoInfo, iter_frames, probe_video

__all__ = ["CACHE_VERSION", "Track", "landmark_aperture", "track_video"]

log = logging.getLogger(__name__)

#: Bumped when the cached layout or the tracking settings change.
CACHE_VERSION = 1
_N_LANDMARKS = 478

ProgressFn = Callable[[int, int], None]


def landmark_aperture(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap over outer-eye-corner distance (x, y only) of ``[F, 478, 3]`` landmarks; NaN where NaN.

    The same definition as the shared data's ``aperture``: ``|L13 - L14| / |L33 - L263|``.

    Examples
    --------
    >>> import numpy as np
    >>> lm = np.zeros((1, 478, 3)); lm[0, 14, 1] = 2.0; lm[0, 263, 0] = 10.0
    >>> landmark_aperture(lm).tolist()
    [0.2]
    """
    lm = np.asarray(landmarks, np.float64)
    gap = np.linalg.norm(lm[:, 13, :2] - lm[:, 14, :2], axis=1)
    eyes = np.linalg.norm(lm[:, 33, :2] - lm[:, 263, :2], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gap / eyes


@dataclass
class Track:
    """Raw face tracking of one video, on its own frame times.

    Attributes
    ----------
    times : ndarray float64 [F]
        Presentation time of each decoded frame, seconds from the first frame.
    blendshapes : ndarray float32 [F, 52]
        Scores in ARKit order; NaN rows where no face, NaN ``tongueOut`` always.
    matrices : ndarray float64 [F, 4, 4]
        Facial transformation matrices (NaN where no face).
    landmarks : ndarray float32 [F, 478, 3]
        Landmarks in pixels (NaN where no face).
    start : float
        Container time of the first frame (seconds); the audio is cut from here.
    duration : float
        Seconds from the first frame to the end of the last one.
    width, height : int
    """

    times: np.ndarray
    blendshapes: np.ndarray
    matrices: np.ndarray
    landmarks: np.ndarray
    start: float
    duration: float
    width: int
    height: int

    @property
    def n_frames(self) -> int:
        """Decoded frames."""
        return len(self.times)

    @property
    def found(self) -> np.ndarray:
        """[F] bool: a face was tracked in the frame."""
        return np.isfinite(self.matrices[:, 0, 0])

    @property
    def aperture(self) -> np.ndarray:
        """[F] lip aperture of the tracked landmarks (see :func:`landmark_aperture`)."""
        return landmark_aperture(self.landmarks)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the track as a compressed ``.npz`` (atomically)."""
        from ..atomic import atomic_write

        with atomic_write(Path(path)) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, times=self.times, blendshapes=self.blendshapes, matrices=self.matrices,
                landmarks=self.landmarks.astype(np.float32),
                info=np.array([self.start, self.duration, self.width, self.height], np.float64),
                version=np.array([CACHE_VERSION]), names=np.array(ARKIT_NAMES))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Track:
        """Read a track written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"][0]) != CACHE_VERSION or tuple(z["names"]) != ARKIT_NAMES:
                raise ValueError("stale track cache")
            start, duration, width, height = z["info"].tolist()
            return cls(z["times"], z["blendshapes"], z["matrices"], z["landmarks"], float(start), float(duration),
                       int(width), int(height))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cache_file(cache_dir: str | os.PathLike[str], video: Path, model: str | os.PathLike[str] | None) -> Path:
    model_tag = MODEL_SHA256[:12] if model is None else hashlib.sha256(Path(model).read_bytes()).hexdigest()[:12]
    return Path(cache_dir) / f"{_file_sha256(video)[:32]}-{model_tag}-v{CACHE_VERSION}.npz"


def track_video(video: str | os.PathLike[str], *, model: str | os.PathLike[str] | None = None,
                min_confidence: float = 0.5, cache_dir: str | os.PathLike[str] | None = None,
                progress: bool | ProgressFn = False) -> Track:
    """Decode ``video`` and run the face landmarker on every frame.

    Parameters
    ----------
    video : str or PathLike
        Any video PyAV (FFmpeg) decodes.
    model : str or PathLike, optional
        A MediaPipe face landmarker ``.task``; default the shipped model.
    min_confidence : float, default 0.5
        Detection, presence and tracking thresholds.
    cache_dir : str or PathLike, optional
        Folder for cached tracks, keyed by the video's sha256 and the model.
    progress : bool or callable, default False
        True shows a tqdm bar on stderr; a callable gets ``(frames_done, frames_expected)``.

    Returns
    -------
    Track

    Raises
    ------
    VideoError
        Not a usable video (see :func:`~kmtalk.capture.video.probe_video`), or
        fewer than two decodable frames (a still image).
    BackendUnavailableError
        The capture extra is missing.

    Examples
    --------
    >>> track_video("clip.mp4", cache_dir="/tmp/kmtalk-tracks").blendshapes.shape  # doctest: +SKIP
    (150, 52)
    """
    info: VideoInfo = probe_video(video)
    cache = None
    if cache_dir is not None:
        cache = _cache_file(cache_dir, info.path, model)
        if cache.is_file():
            try:
                track = Track.load(cache)
                log.info("track of %s read from cache %s", info.path, cache)
                return track
            except (ValueError, KeyError, OSError):
                log.info("ignoring unreadable track cache %s", cache)
    times: list[float] = []
    shapes: list[np.ndarray] = []
    mats: list[np.ndarray] = []
    marks: list[np.ndarray] = []
    nan_shapes = np.full(len(ARKIT_NAMES), np.nan, np.float32)
    nan_mat = np.full((4, 4), np.nan)
    nan_marks = np.full((_N_LANDMARKS, 3), np.nan, np.float32)
    bar: Any = None
    if progress is True:
        from tqdm import tqdm

        bar = tqdm(total=info.n_frames or None, desc="capture", unit="frame", leave=False)
    size = (info.width, info.height)
    with FaceTracker(model, min_confidence=min_confidence) as tracker:
        for t, rgb in iter_frames(info.path):
            size = (rgb.shape[1], rgb.shape[0])
            t0 = times[0] if times else t
            got = tracker.track(rgb, time_ms=round((t - t0) * 1000))
            times.append(t)
            shapes.append(got.blendshapes if got else nan_shapes)
            mats.append(got.matrix if got else nan_mat)
            marks.append(got.landmarks if got else nan_marks)
            if bar is not None:
                bar.update(1)
            elif callable(progress):
                progress(len(times), info.n_frames)
    if bar is not None:
        bar.close()
    if len(times) < 2:
        raise VideoError(f"{info.path} has {len(times)} decodable frame(s); a still image cannot be captured, "
                         "capture needs a video")
    t_abs = np.asarray(times, np.float64)
    order = np.argsort(t_abs, kind="stable")  # decode order is presentation order for sane files
    t_abs = t_abs[order]
    steps = np.diff(t_abs)
    last_step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else (1.0 / (info.fps or 30.0))
    track = Track(
        times=t_abs - t_abs[0],
        blendshapes=np.stack(shapes)[order],
        matrices=np.stack(mats)[order],
        landmarks=np.stack(marks)[order],
        start=float(t_abs[0]),
        duration=float(t_abs[-1] - t_abs[0] + last_step),
        width=int(size[0]),
        height=int(size[1]),
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        track.save(cache)
    return track
