"""Live decoding: timed phones from audio that is still arriving (for streaming animation).

========================================================  =====================================
:class:`~phoneme.live.aligner.LiveAligner`                a known transcript, force-aligned
                                                          phone by phone as the audio comes
:class:`~phoneme.live.recognizer.LiveRecognizer`          no transcript: live recognition,
                                                          phones spread over the words heard
========================================================  =====================================

Both feed pocketsphinx one piece of audio at a time (:meth:`~phoneme.live.base.LiveDecoder.feed`),
read the best partial path as phones (:meth:`~phoneme.live.base.LiveDecoder.phones`) and keep their
work bounded on long streams by restarting at settled pauses
(:meth:`~phoneme.live.base.LiveDecoder.restart`). See ``docs/streaming.md``.

Examples
--------
>>> from phoneme.live import LiveAligner, LiveRecognizer
>>> LiveAligner("bob").words
['bob']
"""

from .aligner import LiveAligner
from .base import LiveDecoder
from .recognizer import LiveRecognizer

__all__ = ["LiveAligner", "LiveDecoder", "LiveRecognizer"]
