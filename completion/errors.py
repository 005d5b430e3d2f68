"""The errors ``completion`` raises beyond :mod:`phoneme.errors`: malformed motion and locks.

They derive from :class:`phoneme.errors.KmtalkError`; :mod:`kmtalk.errors`
re-exports them under their public names.

Examples
--------
>>> from completion.errors import AnimationError, LockError
>>> issubclass(LockError, AnimationError), issubclass(LockError, ValueError)
(True, True)
"""

from __future__ import annotations

from phoneme.errors import KmtalkError

__all__ = ["AnimationError", "LockError"]


class AnimationError(KmtalkError, ValueError):
    """Animation data that is malformed (shape, NaN, range, version)."""


class LockError(AnimationError):
    """An editor lock outside the audio, on an unknown channel, or otherwise unusable."""
