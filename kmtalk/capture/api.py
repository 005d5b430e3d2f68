"""``capture(video) -> Animation``: ARKit-52 curves, head pose and audio from a talking-head video.

The steps, each in its own module: decode frames with their presentation
times (:mod:`.video`), track every frame with MediaPipe's face landmarker
(:mod:`.tracker`, :mod:`.track`), bridge frames without a face and resample
onto ``i / fps`` (:mod:`.timing`), optionally calibrate a neutral
(:mod:`.calibrate`), retarget onto kmtalk's rig (:mod:`.retarget`), head
pose from the transformation matrices (:mod:`.pose`), and attach the clip's
own audio.

Examples
--------
>>> import kmtalk
>>> anim = kmtalk.capture("../shared/data/video-dev/retalking_2.mp4")  # doctest: +SKIP
>>> anim.weights.shape, anim.meta["uncaptured"]  # doctest: +SKIP
((150, 52), ['tongueOut'])
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from phoneme.frames import n_frames_for

from ..errors import FaceNotFoundError, VideoError
from ..face.animation import Animation
from ..face.arkit import ARKIT_NAMES
from .calibrate import REST_PERCENTILE, apply_neutral, neutral_pose
from .pose import pose_from_matrices
from .retarget import RetargetMap, identity_map, load_retarget
from .timing import face_gaps, resample_rows
from .track import Track, track_video
from .tracker import MODEL_SHA256, UNCAPTURED, require_capture_deps
from .video import probe_video, read_audio

if TYPE_CHECKING:  # pragma: no cover
    from ..face.rig import Rig

__all__ = ["CAPTURED_CHANNELS", "DEFAULT_MAX_GAP", "DEFAULT_MIN_FACE", "capture", "capture_track"]

log = logging.getLogger(__name__)

#: Longest run without a face (seconds) that is bridged silently; longer runs are reported.
DEFAULT_MAX_GAP = 0.25
#: Smallest share of frames with a face for a capture to be trusted.
DEFAULT_MIN_FACE = 0.5
#: The ARKit channels the tracker measures (all but :data:`~kmtalk.capture.tracker.UNCAPTURED`).
CAPTURED_CHANNELS: tuple[str, ...] = tuple(n for n in ARKIT_NAMES if n not in UNCAPTURED)


def _check_fps(fps: float) -> float:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0 and np.isfinite(value)):
        raise VideoError(f"fps must be a positive number, got {fps!r}")
    return value


def _retarget_map(retarget: bool | str | os.PathLike[str] | RetargetMap) -> RetargetMap:
    if isinstance(retarget, RetargetMap):
        return retarget
    if retarget is True:
        return load_retarget()
    if retarget is False or retarget is None:
        return identity_map()
    return load_retarget(retarget)


def capture_track(track: Track, *, fps: float = 30.0, calibrate: str | int | None = None,
                  retarget: bool | str | os.PathLike[str] | RetargetMap = True, max_gap: float = DEFAULT_MAX_GAP,
                  min_face: float = DEFAULT_MIN_FACE, source: str | None = None,
                  audio: tuple[np.ndarray, int] | None = None, rig: Rig | None = None,
                  estimate_offset: bool = False, transcript: str | None = None) -> Animation:
    """Turn a raw :class:`~kmtalk.capture.track.Track` into an :class:`Animation`.

    The parameters are those of :func:`capture`; ``source`` names the video in
    the messages and meta; ``audio`` (samples, rate) is attached as it is.

    Raises
    ------
    FaceNotFoundError
        No face, or a face in fewer than ``min_face`` of the frames.

    Examples
    --------
    >>> from kmtalk.capture.track import track_video
    >>> capture_track(track_video("clip.mp4"), fps=25).fps  # doctest: +SKIP
    25.0
    """
    fps = _check_fps(fps)
    name = source or "the video"
    found = track.found
    share = float(found.mean()) if len(found) else 0.0
    if not found.any():
        raise FaceNotFoundError(f"no face found in any of the {track.n_frames} frames of {name}; "
                                "capture needs a video of one face, seen from the front")
    if share < min_face:
        raise FaceNotFoundError(
            f"a face was found in only {share:.0%} of the {track.n_frames} frames of {name} "
            f"(at least {min_face:.0%} needed); trim the clip to the part where the face is visible")
    steps = np.diff(track.times)
    frame_time = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 1.0 / fps
    gaps = face_gaps(track.times, found, frame_time=frame_time)
    long_gaps = [g for g in gaps if g[1] - g[0] > max_gap + 1e-9]
    for g0, g1 in long_gaps:
        log.warning("%s: no face from %.2f s to %.2f s (%.2f s, longer than max_gap %.2f s); "
                    "the curves are interpolated across it", name, g0, g1, g1 - g0, max_gap)

    n = n_frames_for(track.duration, fps)
    raw = resample_rows(track.times, track.blendshapes, fps=fps, n_frames=n)
    raw = np.nan_to_num(raw, nan=0.0)  # only UNCAPTURED columns are NaN here; the mask says so
    calib: dict[str, Any] | None = None
    if calibrate is not None:
        neutral = neutral_pose(raw, calibrate)
        raw = apply_neutral(raw, neutral)
        calib = {"mode": "rest" if calibrate == "rest" else "frame",
                 **({"percentile": REST_PERCENTILE} if calibrate == "rest" else {"frame": int(calibrate)}),
                 "neutral": {k: round(float(v), 6) for k, v in zip(ARKIT_NAMES, neutral) if v > 0}}
    rmap = _retarget_map(retarget)
    # The tracked lips' aperture on the animation's frames: the solve's target and the offset's signal.
    aperture = resample_rows(track.times, track.aperture[:, None], fps=fps, n_frames=n)[:, 0]
    weights = rmap.apply(raw, aperture=aperture, rig=rig)
    for ch in UNCAPTURED:
        weights[:, ARKIT_NAMES.index(ch)] = 0.0
    pose = resample_rows(track.times, pose_from_matrices(track.matrices), fps=fps, n_frames=n)
    span = float(track.times[-1] - track.times[0])
    video_fps = (track.n_frames - 1) / span if span > 0 else 1.0 / frame_time  # mean rate (VFR-safe)
    meta: dict[str, Any] = {
        "method": "capture",
        "source": source,
        "captured_channels": list(CAPTURED_CHANNELS),
        "uncaptured": list(UNCAPTURED),
        "video_frames": track.n_frames,
        "video_fps": round(video_fps, 6),
        "video_size": [track.width, track.height],
        "face_fraction": round(share, 6),
        "face_gaps": [list(g) for g in gaps],
        "long_face_gaps": [list(g) for g in long_gaps],
        "max_gap": max_gap,
        "calibration": calib,
        "retarget": {"name": rmap.meta.get("name", "custom"), "solve": rmap.solve},
        "tracker": {"model": "mediapipe face_landmarker.task", "sha256": MODEL_SHA256},
        "av_offset": None,
    }
    if estimate_offset and audio is not None:
        from .offsets import aperture_audio_offset

        meta["av_offset"] = aperture_audio_offset(aperture, fps, audio[0], audio[1],
                                                  transcript=transcript).to_dict()
    return Animation(fps=fps, weights=weights, head_pose=np.nan_to_num(pose), audio=audio, meta=meta, rig=rig)


def capture(video: str | os.PathLike[str], *, fps: float = 30.0, calibrate: str | int | None = None,
            retarget: bool | str | os.PathLike[str] | RetargetMap = True, max_gap: float = DEFAULT_MAX_GAP,
            min_face: float = DEFAULT_MIN_FACE, require_audio: bool = True, sample_rate: int = 16000,
            model: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
            progress: bool | Callable[[int, int], None] = False, rig: Rig | None = None,
            estimate_offset: bool = False, transcript: str | None = None) -> Animation:
    """Capture ARKit-52 curves, head pose and audio from a talking-head video.

    Parameters
    ----------
    video : str or PathLike
        A video file with one face (any format FFmpeg decodes: mp4, mov, mkv, webm ...).
    fps : float, default 30
        Frame rate of the animation. The video's real frame times (also for
        variable-frame-rate files) are resampled to it.
    calibrate : None, "rest" or int
        Neutral calibration (see :mod:`kmtalk.capture.calibrate`): ``"rest"``
        subtracts the take's rest pose (5th percentile per channel), an int
        subtracts that animation frame; None (default) keeps the raw values.
    retarget : bool, path or RetargetMap, default True
        True applies the shipped retargeting ``assets/rig/capture_retarget.json``
        (per-channel map, then the lip-gap solve that sets ``jawOpen`` so the
        rig's inner lips open as far as the tracked person's; see
        :mod:`kmtalk.capture.retarget`); False keeps the tracker's values as
        they come; a path or map uses that one.
    max_gap : float, default 0.25
        Runs without a face up to this long (seconds) are bridged silently;
        longer runs are bridged too but logged as warnings and listed in
        ``meta["long_face_gaps"]``.
    min_face : float, default 0.5
        Smallest share of frames with a face.
    require_audio : bool, default True
        Refuse a video without an audio track (speech capture needs it).
        False captures silent video (``audio`` stays None).
    sample_rate : int, default 16000
        Rate of the attached audio.
    model : str or PathLike, optional
        Another MediaPipe face landmarker ``.task`` file.
    cache_dir : str or PathLike, optional
        Cache raw tracks here (see :func:`~kmtalk.capture.track.track_video`).
    progress : bool or callable
        True: a tqdm bar on stderr; a callable gets ``(frames_done, frames_expected)``.
    rig : Rig, optional
        The rig to retarget onto and to attach; default :func:`kmtalk.default_rig`.
    estimate_offset : bool, default False
        Estimate the clip's audio/video offset (:mod:`kmtalk.capture.offsets`:
        the tracked lip aperture against the prior animated from the audio)
        into ``meta["av_offset"]`` (``{"offset": seconds, "r", "r_zero",
        "max_offset", "signal", "at_edge"}``, positive when the audio lags the
        video). The curves and audio are not shifted.
    transcript : str, optional
        What is said, for ``estimate_offset`` (recognised from the audio when None).

    Returns
    -------
    Animation
        ``weights [T, 52]`` in [0, 1] with ``T = n_frames_for(duration, fps)``,
        ``head_pose [T, 6]`` (pitch, yaw, roll in radians; translation in
        metres about the take's median, see :mod:`kmtalk.capture.pose`),
        ``audio`` (mono, ``sample_rate``, sample 0 at frame 0), and ``meta``:
        ``captured_channels`` (the 51 channels measured) and ``uncaptured``
        (``["tongueOut"]``, written as 0 but **not measured**: exclude it from
        losses and scores), ``face_fraction``, ``face_gaps`` /
        ``long_face_gaps`` (``[start, end]`` seconds), ``video_fps``,
        ``calibration``, ``retarget``, ``source``.

    Raises
    ------
    VideoError
        Missing path, a folder, a corrupt or non-video file, an audio-only
        file, a still image, or no audio track (with ``require_audio``).
    FaceNotFoundError
        No face, or a face in fewer than ``min_face`` of the frames.
    BackendUnavailableError
        mediapipe or av missing: ``pip install 'kmtalk[capture]'``.

    Examples
    --------
    >>> import kmtalk
    >>> anim = kmtalk.capture("talk.mp4", calibrate="rest")  # doctest: +SKIP
    >>> anim.export("talk.csv")  # Live Link Face CSV  # doctest: +SKIP
    """
    fps = _check_fps(fps)
    require_capture_deps()
    info = probe_video(video)
    if require_audio and not info.has_audio:
        raise VideoError(f"{info.path} has no audio track; pass require_audio=False (CLI: --no-audio) "
                         "to capture a silent video")
    track = track_video(info.path, model=model, cache_dir=cache_dir, progress=progress)
    audio = None
    if info.has_audio:
        duration = n_frames_for(track.duration, fps) / fps
        audio = read_audio(info.path, start=track.start, duration=duration, sample_rate=sample_rate)
    return capture_track(track, fps=fps, calibrate=calibrate, retarget=retarget, max_gap=max_gap,
                         min_face=min_face, source=str(info.path), audio=audio, rig=rig,
                         estimate_offset=estimate_offset, transcript=transcript)


