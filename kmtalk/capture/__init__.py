"""Video capture: a talking-head video → ARKit-52 curves, head pose and audio (an :class:`~kmtalk.Animation`).

``kmtalk.capture`` is this package *and* callable: ``kmtalk.capture(video)``
is :func:`kmtalk.capture.api.capture`. It needs the ``capture`` extra
(``pip install 'kmtalk[capture]'``: mediapipe and PyAV), imported only when
a video is captured. See ``docs/capture.md``.

=========================  ====================================================
module                     job
=========================  ====================================================
:mod:`.video`              decode frames with presentation times, and the audio
:mod:`.tracker`            the MediaPipe face landmarker, its model hash-checked
:mod:`.track`              track every frame of a video (optionally cached)
:mod:`.timing`             face gaps; resample frame times onto ``i / fps``
:mod:`.pose`               head pose from the transformation matrices
:mod:`.calibrate`          neutral calibration (a frame, or the rest pose)
:mod:`.retarget`           per-channel map and lip-gap solve onto our rig
:mod:`.offsets`            audio/video offset of a clip
:mod:`.corpus`             capture a folder into one ``.npz`` per clip
:mod:`.api`                :func:`capture`
=========================  ====================================================

Examples
--------
>>> import kmtalk
>>> anim = kmtalk.capture("../shared/data/video-dev/retalking_2.mp4")  # doctest: +SKIP
>>> anim.meta["uncaptured"]  # doctest: +SKIP
['tongueOut']
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .api import CAPTURED_CHANNELS, DEFAULT_MAX_GAP, DEFAULT_MIN_FACE, capture, capture_track
from .calibrate import apply_neutral, neutral_pose
from .offsets import AVOffset, aperture_audio_offset, estimate_av_offset
from .retarget import RetargetMap, load_retarget
from .track import Track, landmark_aperture, track_video
from .tracker import MODEL_SHA256, UNCAPTURED

__all__ = [
    "CAPTURED_CHANNELS",
    "DEFAULT_MAX_GAP",
    "DEFAULT_MIN_FACE",
    "MODEL_SHA256",
    "UNCAPTURED",
    "AVOffset",
    "RetargetMap",
    "Track",
    "aperture_audio_offset",
    "apply_neutral",
    "capture",
    "capture_track",
    "estimate_av_offset",
    "landmark_aperture",
    "load_retarget",
    "neutral_pose",
    "track_video",
]


class _CallableModule(types.ModuleType):
    """Lets ``kmtalk.capture(video, ...)`` call :func:`capture` while ``kmtalk.capture.x`` names stay reachable."""

    def __call__(self, video: Any, **options: Any) -> Any:
        return capture(video, **options)


sys.modules[__name__].__class__ = _CallableModule
