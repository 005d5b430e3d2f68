"""Public exception hierarchy of kmtalk.

All errors derive from :class:`KmtalkError`. Each package defines the errors it
raises: :mod:`phoneme.errors` (audio, transcripts, alignment, assets — and the
base class), :mod:`completion.errors` (malformed motion and locks) and this
module (rigs, rendering, video). This module re-exports all of them: catch
them from here.

Examples
--------
>>> import kmtalk
>>> try:
...     raise kmtalk.errors.AudioError("empty audio")
... except kmtalk.errors.KmtalkError as err:
...     print(type(err).__name__)
AudioError
"""

from __future__ import annotations

from completion.errors import AnimationError, LockError
from phoneme.errors import (
    AlignmentError,
    AssetError,
    AudioError,
    BackendUnavailableError,
    CheckpointError,
    ExportError,
    KmtalkError,
    LexiconError,
    PronunciationError,
    TranscriptError,
)

__all__ = [
    "KmtalkError",
    "AudioError",
    "TranscriptError",
    "PronunciationError",
    "AlignmentError",
    "AssetError",
    "LexiconError",
    "CheckpointError",
    "RigError",
    "AnimationError",
    "LockError",
    "ExportError",
    "RenderError",
    "BackendUnavailableError",
    "VideoError",
    "FaceNotFoundError",
]


class RigError(AssetError, ValueError):
    """A face rig is malformed: wrong topology, missing targets, bad landmarks."""


class RenderError(KmtalkError):
    """Rendering failed, e.g. no EGL/OpenGL context can be created."""


class VideoError(KmtalkError, ValueError):
    """A video that cannot be used: missing, a folder, corrupt, a still image, no video or audio stream."""


class FaceNotFoundError(VideoError):
    """No face, or a face in too few frames of a video, for face capture to be trusted."""
