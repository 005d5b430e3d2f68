"""Unreal Live Link Face over UDP: the packets Epic's Live Link Face app sends, written by kmtalk.

One UDP datagram per frame, in network byte order (big-endian), as the app
sends it and Unreal's Apple ARKit Live Link source reads it
(``AppleARKitLiveLinkSource.cpp``; the layout was checked against two open
readers: ``think-biq/LLV``'s ``gesicht.py`` and PyLiveLinkFace's decoder):

=======================  ===============================================================
``uint8``                packet version (6)
``int32`` + bytes        device id, UTF-8 (a 36-character UUID string)
``int32`` + bytes        subject name, UTF-8
``int32``, ``float32``   frame number, sub-frame (``FFrameTime``)
``int32``, ``int32``     frame rate numerator, denominator (``FFrameRate``)
``uint8``                value count (61)
61 × ``float32``         the 52 ARKit blendshapes in Apple's order (as
                         :data:`kmtalk.ARKIT_NAMES`; *not* the CSV's column
                         order), then the 9 rotations of
                         :data:`kmtalk.io.exporters.livelink.LIVELINK_ROTATIONS`:
                         ``HeadYaw, HeadPitch, HeadRoll`` and the eyes
=======================  ===============================================================

Head rotations are kmtalk's head pose in radians, mapped as in the Live Link
CSV export (:func:`kmtalk.io.exporters.livelink.livelink_rotations`); eye
rotations are 0. The device id must be 36 bytes: PyLiveLinkFace (and other
readers written against the app's packets) read it at a fixed offset.

Examples
--------
>>> import numpy as np
>>> from kmtalk.stream.livelink import encode_packet, decode_packet
>>> w = np.zeros(52, np.float32); w[17] = 0.5               # jawOpen
>>> data = encode_packet(w, frame=12, fps=30, subject="npc", device_id="00000000-0000-0000-0000-000000000000")
>>> len(data), data[0]
(309, 6)
>>> p = decode_packet(data)
>>> p.subject, p.frame, p.fps, float(p.weights[17])
('npc', 12, 30.0, 0.5)
"""

from __future__ import annotations

import socket
import struct
import uuid
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from ..face.arkit import ARKIT_NAMES
from ..errors import KmtalkError
from ..io.exporters.livelink import LIVELINK_ROTATIONS, livelink_rotations

if TYPE_CHECKING:  # pragma: no cover
    from .stream import StreamFrame

__all__ = [
    "LIVELINK_PORT",
    "PACKET_VERSION",
    "LiveLinkPacket",
    "LiveLinkSender",
    "decode_packet",
    "default_device_id",
    "encode_packet",
]

#: The packet version the Live Link Face app sends (and Unreal 4.26+ reads).
PACKET_VERSION = 6
#: The app's default UDP port.
LIVELINK_PORT = 11111
_COUNT = len(ARKIT_NAMES) + len(LIVELINK_ROTATIONS)  # 61
_TIME = struct.Struct(">ifii")


def default_device_id(subject: str) -> str:
    """A stable 36-character device id for a subject name (UUID 5), so Unreal sees one source per subject.

    Examples
    --------
    >>> len(default_device_id("kmtalk"))
    36
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kmtalk-livelink:" + subject))


def _rate(fps: float) -> tuple[int, int]:
    r = Fraction(float(fps)).limit_denominator(1001)
    return r.numerator, r.denominator


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">i", len(raw)) + raw


def encode_packet(
    weights: np.ndarray,
    *,
    frame: int,
    fps: float,
    subject: str = "kmtalk",
    device_id: str | None = None,
    head_pose: np.ndarray | None = None,
    sub_frame: float = 0.0,
) -> bytes:
    """One Live Link Face datagram.

    Parameters
    ----------
    weights : ndarray [52]
        ARKit weights in Apple's order.
    frame : int
        Frame number (``FFrameTime``), at ``fps``.
    fps : float
        Frame rate, sent as a fraction (29.97 → 30000/1001).
    subject : str, default "kmtalk"
        The Live Link subject name Unreal shows.
    device_id : str, optional
        36-character id (default :func:`default_device_id` of the subject).
    head_pose : ndarray [6] or [3], optional
        kmtalk head pose (pitch, yaw, roll radians first).
    sub_frame : float, default 0

    Returns
    -------
    bytes

    Raises
    ------
    KmtalkError
        Wrong number of weights, non-finite values, or a device id that is not 36 bytes.
    """
    w = np.asarray(weights, np.float32).reshape(-1)
    if w.size != len(ARKIT_NAMES) or not np.isfinite(w).all():
        raise KmtalkError(f"a Live Link frame needs 52 finite ARKit weights, got {w.size}")
    dev = default_device_id(subject) if device_id is None else str(device_id)
    if len(dev.encode("utf-8")) != 36:
        raise KmtalkError(f"device_id must be 36 bytes (a UUID string), got {dev!r}")
    rot = livelink_rotations(None if head_pose is None else np.asarray(head_pose)[None, :], 1)[0]
    num, den = _rate(fps)
    values = np.concatenate([w, rot]).astype(">f4")
    return (struct.pack(">B", PACKET_VERSION) + _string(dev) + _string(subject)
            + _TIME.pack(int(frame), float(sub_frame), num, den) + struct.pack(">B", _COUNT) + values.tobytes())


@dataclass(frozen=True)
class LiveLinkPacket:
    """A decoded Live Link Face datagram.

    Attributes
    ----------
    version : int
    device_id, subject : str
    frame : int
    sub_frame : float
    fps : float
    weights : ndarray, float32 [52]
        Apple's order.
    rotations : ndarray, float32 [9]
        ``HeadYaw, HeadPitch, HeadRoll``, then the eyes.
    """

    version: int
    device_id: str
    subject: str
    frame: int
    sub_frame: float
    fps: float
    weights: np.ndarray
    rotations: np.ndarray


def decode_packet(data: bytes) -> LiveLinkPacket:
    """Read a datagram written by :func:`encode_packet` or the Live Link Face app.

    Raises
    ------
    KmtalkError
        Truncated or malformed data.
    """
    try:
        pos = 0
        (version,) = struct.unpack_from(">B", data, pos)
        pos += 1
        strings = []
        for _ in range(2):
            (n,) = struct.unpack_from(">i", data, pos)
            if not 0 <= n <= len(data) - pos - 4:
                raise KmtalkError(f"bad string length {n} in a Live Link packet")
            strings.append(bytes(data[pos + 4:pos + 4 + n]).decode("utf-8"))
            pos += 4 + n
        frame, sub, num, den = _TIME.unpack_from(data, pos)
        pos += _TIME.size
        (count,) = struct.unpack_from(">B", data, pos)
        pos += 1
        values = np.frombuffer(data, ">f4", count, pos).astype(np.float32)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise KmtalkError(f"not a Live Link Face packet ({exc})") from None
    if count < len(ARKIT_NAMES):
        raise KmtalkError(f"a Live Link packet with {count} values; expected at least 52")
    rot = np.zeros(len(LIVELINK_ROTATIONS), np.float32)
    rot[:count - len(ARKIT_NAMES)] = values[len(ARKIT_NAMES):]
    return LiveLinkPacket(version, strings[0], strings[1], frame, sub, num / den if den else 0.0,
                          values[:len(ARKIT_NAMES)].copy(), rot)


class LiveLinkSender:
    """Send frames to an Unreal Live Link source (or anything reading the app's packets) over UDP.

    Parameters
    ----------
    host : str, default "127.0.0.1"
    port : int, default 11111
    subject : str, default "kmtalk"
    device_id : str, optional
    fps : float, default 30

    Examples
    --------
    >>> import numpy as np
    >>> with LiveLinkSender("127.0.0.1", 11111, subject="npc") as out:  # doctest: +SKIP
    ...     out.send_weights(np.zeros(52, np.float32), frame=0)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = LIVELINK_PORT, *, subject: str = "kmtalk",
                 device_id: str | None = None, fps: float = 30.0) -> None:
        if not (isinstance(port, int) and 0 < port < 65536):
            raise KmtalkError(f"port must be 1..65535, got {port!r}")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise KmtalkError(f"cannot resolve host {host!r}: {exc}") from None
        family, _, _, _, self.address = infos[0]
        self.subject, self.fps = str(subject), float(fps)
        self.device_id = default_device_id(self.subject) if device_id is None else str(device_id)
        encode_packet(np.zeros(len(ARKIT_NAMES)), frame=0, fps=self.fps, subject=self.subject,
                      device_id=self.device_id)  # check the id early
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sent = 0

    def send_weights(self, weights: np.ndarray, *, frame: int, head_pose: np.ndarray | None = None) -> int:
        """Send one frame's weights; returns the datagram's size in bytes."""
        data = encode_packet(weights, frame=frame, fps=self.fps, subject=self.subject, device_id=self.device_id,
                             head_pose=head_pose)
        self._sock.sendto(data, self.address)
        self.sent += 1
        return len(data)

    def send(self, frame: StreamFrame) -> int:
        """Send a :class:`~kmtalk.stream.StreamFrame`."""
        return self.send_weights(frame.weights, frame=frame.index, head_pose=frame.head_pose)

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def __enter__(self) -> LiveLinkSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
