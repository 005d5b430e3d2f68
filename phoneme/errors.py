"""The kmtalk exception hierarchy.

It lives in the lowest layer (``phoneme``) so that every package can raise it
without importing upward; :mod:`kmtalk.errors` re-exports it as the public
name. Every error a user can cause is one of these, with a message that says
what was wrong and what to do.

Examples
--------
>>> from phoneme.errors import AudioError, KmtalkError
>>> issubclass(AudioError, KmtalkError)
True
"""

from __future__ import annotations

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


class KmtalkError(Exception):
    """Base class of every error kmtalk raises on purpose."""


class AudioError(KmtalkError, ValueError):
    """Audio that cannot be used: unreadable, empty, silent, non-finite, too short or too long."""


class TranscriptError(KmtalkError, ValueError):
    """A transcript that is empty, unusable, or does not match its audio."""


class PronunciationError(TranscriptError):
    """A word that no dictionary, override or G2P model could pronounce."""


class AlignmentError(KmtalkError):
    """Forced alignment failed or produced an unusable result."""


class AssetError(KmtalkError):
    """A bundled or user-supplied data file is missing or malformed."""


class LexiconError(AssetError, ValueError):
    """A viseme lexicon is malformed, e.g. misses a phone or names an unknown viseme."""


class CheckpointError(AssetError):
    """A model checkpoint is missing, corrupt, or does not match its configuration."""


class RigError(AssetError, ValueError):
    """A face rig is malformed: wrong topology, missing targets, bad landmarks."""


class AnimationError(KmtalkError, ValueError):
    """Animation data that is malformed (shape, NaN, range, version)."""


class LockError(AnimationError):
    """An editor lock outside the audio, on an unknown channel, or otherwise unusable."""


class ExportError(KmtalkError):
    """An export target that cannot be written (unknown extension, failed writer)."""


class RenderError(KmtalkError):
    """Rendering failed, e.g. no EGL/OpenGL context can be created."""


class BackendUnavailableError(KmtalkError, RuntimeError):
    """An optional backend (MFA, espeak-ng, a GPU) is not installed or not usable here."""


class VideoError(KmtalkError, ValueError):
    """A video that cannot be used: missing, a folder, corrupt, a still image, no video or audio stream."""


class FaceNotFoundError(VideoError):
    """No face, or a face in too few frames of a video, for face capture to be trusted."""
