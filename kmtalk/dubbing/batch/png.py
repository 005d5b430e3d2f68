"""A minimal PNG encoder (8-bit RGB, zlib from the standard library): thumbnails without an imaging library.

Examples
--------
>>> import numpy as np
>>> data = encode_png(np.zeros((2, 3, 3), np.uint8))
>>> data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", len(data) > 40
(True, True)
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png"]


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def encode_png(image: np.ndarray, *, level: int = 6) -> bytes:
    """Encode an ``[H, W, 3]`` uint8 RGB image as PNG bytes (no filtering; deterministic).

    Parameters
    ----------
    image : ndarray [H, W, 3] uint8
    level : int, default 6
        zlib compression level (0–9).

    Raises
    ------
    ValueError
        Not an [H, W, 3] uint8 array.
    """
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"encode_png needs an [H, W, 3] uint8 image, got {img.dtype} {list(img.shape)}")
    h, w, _ = img.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(img).reshape(h, w * 3)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit, truecolour, deflate, no filter, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b""))
