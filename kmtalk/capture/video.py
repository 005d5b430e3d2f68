"""Decode a video file with PyAV: frames with their real presentation times, and its audio.

Every problem a user can cause — a missing path, a folder, a file no demuxer
reads, an audio-only file, a still image, a stream that fails to decode —
raises :class:`~kmtalk.errors.VideoError` (PyAV's own exceptions never reach
the caller). Times are seconds on the container's clock; :func:`read_audio`
returns the audio that plays from a given container time, so that sample 0
lines up with the first video frame.

Examples
--------
>>> from kmtalk.capture.video import probe_video
>>> info = probe_video("../shared/data/video-dev/retalking_1.mp4")  # doctest: +SKIP
>>> info.width, info.has_audio  # doctest: +SKIP
(700, True)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, VideoError

from .tracker import INSTALL_HINT

__all__ = ["VideoInfo", "iter_frames", "probe_video", "read_audio"]

log = logging.getLogger(__name__)

# Demuxers that read single pictures (or picture sequences), not videos.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "webp")


def _av() -> Any:
    try:
        import av
    except ImportError as exc:
        raise BackendUnavailableError(f"video capture needs PyAV ({exc}); {INSTALL_HINT}") from None
    return av


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (before decoding).

    Attributes
    ----------
    path : pathlib.Path
    width, height : int
    fps : float
        The stream's average frame rate (informative; decoding uses real times).
    n_frames : int
        Frame count from the header (0 when the container does not say).
    duration : float
        Seconds, from the header (0 when unknown).
    has_audio : bool
    format : str
        Demuxer name, e.g. ``"mov,mp4,m4a,3gp,3g2,mj2"``.
    """

    path: Path
    width: int
    height: int
    fps: float
    n_frames: int
    duration: float
    has_audio: bool
    format: str


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.is_dir():
        raise VideoError(f"{p} is a folder, not a video file; pass one video (or use capture_folder for a folder)")
    if not p.exists():
        raise VideoError(f"video {p} does not exist")
    if p.stat().st_size == 0:
        raise VideoError(f"video {p} is empty (0 bytes)")
    return p


def _open(p: Path) -> Any:
    av = _av()
    try:
        return av.open(str(p))
    except av.FFmpegError as exc:
        raise VideoError(f"{p} cannot be read as a video ({exc}); is it a corrupt or non-video file?") from None


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Open ``path`` and describe its video stream, refusing what is not a video.

    Raises
    ------
    VideoError
        Missing or empty path, a folder, an unreadable file, no video stream
        (an audio-only file), or a still image.
    BackendUnavailableError
        PyAV is not installed.

    Examples
    --------
    >>> probe_video("../shared/data/video-dev/retalking_2.mp4").has_audio  # doctest: +SKIP
    True
    """
    p = _check_path(path)
    with _open(p) as container:
        if not container.streams.video:
            kind = "an audio-only file" if container.streams.audio else "no media streams"
            raise VideoError(f"{p} has no video stream ({kind}); capture needs a video of a face")
        vs = container.streams.video[0]
        fmt = container.format.name or ""
        n = int(vs.frames or 0)
        if any(tag in fmt for tag in _IMAGE_FORMATS) and n <= 1:
            raise VideoError(f"{p} is a still image ({fmt}); capture needs a video with moving frames")
        rate = float(vs.average_rate or vs.guessed_rate or 0)
        duration = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else 0.0
        if not duration and container.duration:
            duration = container.duration / 1_000_000
        return VideoInfo(p, int(vs.codec_context.width or 0), int(vs.codec_context.height or 0), rate, n,
                         duration, bool(container.streams.audio), fmt)


def iter_frames(path: str | os.PathLike[str]) -> Iterator[tuple[float, np.ndarray]]:
    """Decode the first video stream: ``(time in seconds, RGB uint8 [H, W, 3])`` per frame, in order.

    Times are the frames' presentation times (``pts * time_base``) on the
    container clock, so a variable-frame-rate video keeps its real timing.
    A frame without a timestamp gets the previous time plus one frame.

    Raises
    ------
    VideoError
        The stream cannot be opened or decoded (corrupt data).
    """
    p = _check_path(path)
    av = _av()
    with _open(p) as container:
        if not container.streams.video:
            raise VideoError(f"{p} has no video stream; capture needs a video of a face")
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        tb = float(vs.time_base) if vs.time_base else 0.0
        step = 1.0 / float(vs.average_rate) if vs.average_rate else 1 / 30
        last = None
        try:
            for frame in container.decode(vs):
                t = float(frame.pts * tb) if frame.pts is not None and tb else (
                    (last + step) if last is not None else 0.0)
                last = t
                yield t, frame.to_ndarray(format="rgb24")
        except av.FFmpegError as exc:
            raise VideoError(f"{p}: the video stream fails to decode ({exc}); the file may be corrupt") from None


def read_audio(path: str | os.PathLike[str], *, start: float, duration: float,
               sample_rate: int = 16000) -> tuple[np.ndarray, int] | None:
    """The mono audio of ``path`` from container time ``start`` for ``duration`` seconds; None without audio.

    Samples before the audio stream begins, or after it ends, are zeros, so
    sample 0 plays with the video frame shown at ``start``. Decoded with
    PyAV, mixed to mono and resampled with soxr (:func:`phoneme.audio.load_audio`).

    Raises
    ------
    VideoError
        The audio stream exists but cannot be decoded.

    Examples
    --------
    >>> y, sr = read_audio("../shared/data/video-dev/retalking_2.mp4", start=0.0, duration=1.0)  # doctest: +SKIP
    >>> sr, y.shape  # doctest: +SKIP
    (16000, (16000,))
    """
    from phoneme.audio import load_audio
    from phoneme.errors import AudioError

    p = _check_path(path)
    av = _av()
    with _open(p) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        chunks: list[np.ndarray] = []
        first: float | None = None
        mixer = av.AudioResampler(format="flt", layout="mono", rate=rate)  # channels averaged by FFmpeg
        try:
            for frame in container.decode(stream):
                if first is None:
                    first = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
                chunks += [f.to_ndarray().reshape(-1) for f in mixer.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in mixer.resample(None)]
        except av.FFmpegError as exc:
            raise VideoError(f"{p}: the audio stream fails to decode ({exc}); the file may be corrupt") from None
    if not chunks or rate <= 0:
        return None
    mono = np.concatenate(chunks)
    # Place the decoded samples on the container clock, then cut [start, start + duration).
    n_out = round(duration * rate)
    out = np.zeros(n_out, np.float32)
    shift = round(((first or 0.0) - start) * rate)  # where decoded sample 0 lands in `out`
    lo, hi = max(0, shift), min(n_out, shift + len(mono))
    if hi > lo:
        out[lo:hi] = mono[lo - shift: hi - shift]
    try:
        return load_audio((out, rate), sample_rate=sample_rate, min_duration=0.0, silence_dbfs=-np.inf)
    except AudioError as exc:  # e.g. NaN samples from a broken decoder
        raise VideoError(f"{p}: unusable audio track ({exc})") from None
