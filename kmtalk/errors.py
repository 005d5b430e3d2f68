"""Public exception hierarchy of kmtalk.

All errors derive from :class:`KmtalkError`. They are defined in
:mod:`phoneme.errors` (the lowest layer, so every package can raise them) and
re-exported here under their public names.

Examples
--------
>>> import kmtalk
>>> try:
...     raise kmtalk.errors.AudioError("empty audio")
... except kmtalk.errors.KmtalkError as err:
...     print(type(err).__name__)
AudioError
"""

from phoneme.errors import (  # noqa: F401
    AlignmentError,
    AnimationError,
    AssetError,
    AudioError,
    BackendUnavailableError,
    CheckpointError,
    ExportError,
    KmtalkError,
    LexiconError,
    LockError,
    PronunciationError,
    RenderError,
    RigError,
    TranscriptError,
    VideoError,
    FaceNotFoundError,
)
from phoneme.errors import __all__  # noqa: F401
