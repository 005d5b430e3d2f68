"""The errors ``phoneme`` raises, and the base of the kmtalk exception hierarchy.

:class:`KmtalkError` lives here, in the lowest layer, so that every package can
derive from it without importing upward. Each package defines the errors it
raises itself: ``phoneme`` here, :mod:`completion.errors` (malformed motion and
locks), :mod:`kmtalk.errors` (rigs, rendering, video) — and :mod:`kmtalk.errors`
re-exports the whole hierarchy under its public names. Every error a user can
cause is one of these, with a message that says what was wrong and what to do.

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
    "ExportError",
    "BackendUnavailableError",
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


class ExportError(KmtalkError):
    """A file that cannot be written: an alignment's TextGrid here, any export in :mod:`kmtalk`
    (unknown extension, failed writer)."""


class BackendUnavailableError(KmtalkError, RuntimeError):
    """An optional backend (MFA, espeak-ng, a GPU) is not installed or not usable here."""
