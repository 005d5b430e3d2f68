"""Live streaming: audio chunks in, final ARKit-52 frames out (``kmtalk.Stream``), and Live Link over UDP.

==================================================  ==========================================
:class:`~kmtalk.stream.stream.Stream`               takes chunks (any rate, 10–100 ms), emits
                                                    each frame once it is final
:func:`~kmtalk.stream.stream.stream_frames`         the same as a generator over an iterable
                                                    of chunks
:class:`~kmtalk.stream.livelink.LiveLinkSender`     sends frames to Unreal as the Live Link
                                                    Face app does (UDP)
:func:`~kmtalk.stream.livelink.encode_packet`       one Live Link Face datagram (and
                                                    :func:`~kmtalk.stream.livelink.decode_packet`)
==================================================  ==========================================

Modules: :mod:`~kmtalk.stream.audio` (chunk resampling), :mod:`~kmtalk.stream.window`
(animating one window), :mod:`~kmtalk.stream.styling` (styles across windows),
:mod:`~kmtalk.stream.level` (running speech level), :mod:`~kmtalk.stream.livelink`.
The live decoders are in :mod:`phoneme.live`. See ``docs/streaming.md``.

Examples
--------
>>> import numpy as np
>>> from kmtalk.stream import Stream
>>> s = Stream("hello", method="prior", lookahead=0.2)
>>> early = s.push(np.zeros(1600, np.float32))     # 0.1 s of audio: nothing final yet
>>> late = s.push(np.zeros(4800, np.float32))      # 0.4 s: the frames up to 0.2 s are final
>>> len(early), [f.index for f in late]
(0, [0, 1, 2, 3, 4, 5, 6])
"""

from .livelink import LiveLinkPacket, LiveLinkSender, decode_packet, encode_packet
from .stream import DEFAULT_LOOKAHEAD, MAX_LOOKAHEAD, Stream, StreamFrame, stream_frames

__all__ = [
    "DEFAULT_LOOKAHEAD",
    "MAX_LOOKAHEAD",
    "LiveLinkPacket",
    "LiveLinkSender",
    "Stream",
    "StreamFrame",
    "decode_packet",
    "encode_packet",
    "stream_frames",
]
