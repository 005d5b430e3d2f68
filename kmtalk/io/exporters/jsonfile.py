"""``.json``: blendshape curves with the phone/viseme/word timeline, keys and locks.

A self-describing, engine-neutral file for web players and custom pipelines.
The schema (``"format": "kmtalk.animation+json"``, ``"version": 1``) is
documented field by field in ``docs/exports.md``; :func:`read_json` reads it
back into an :class:`~kmtalk.face.animation.Animation`.

Examples
--------
>>> import numpy as np, tempfile, os, json
>>> from kmtalk.face.animation import Animation
>>> anim = Animation(fps=30, weights=np.full((2, 52), 0.5))
>>> path = write_json(anim, os.path.join(tempfile.mkdtemp(), "a.json"))
>>> doc = json.load(open(path))
>>> doc["version"], doc["fps"], doc["curves"]["jawOpen"]
(1, 30.0, [0.5, 0.5])
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_write
from ...errors import AnimationError, ExportError
from ...face.animation import Animation
from ...face.arkit import ARKIT_NAMES
from ...face.headpose import HEAD_POSE_COLUMNS
from ._visemes import phone_visemes

__all__ = ["JSON_FORMAT", "JSON_VERSION", "to_json_dict", "write_json", "read_json"]

log = logging.getLogger(__name__)

#: Value of the ``format`` field.
JSON_FORMAT = "kmtalk.animation+json"
#: Value of the ``version`` field written by this kmtalk.
JSON_VERSION = 1


def _round(values: np.ndarray, decimals: int | None) -> list[float]:
    v = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        v = np.round(v, decimals)
    return v.tolist()


def to_json_dict(anim: "Animation", *, decimals: int | None = 6) -> dict[str, Any]:
    """The JSON document for ``anim`` as a dict (see ``docs/exports.md``).

    Parameters
    ----------
    anim : Animation
    decimals : int or None
        Round curve values to this many decimals (default 6, i.e. well below
        one 8-bit step); None keeps full float32 precision.
    """
    phones = []
    for p, viseme in zip(anim.phones, phone_visemes(anim.phones)):
        entry: dict[str, Any] = {"label": p.label, "start": p.start, "end": p.end, "viseme": viseme}
        for k in ("stress", "word", "confidence"):
            if getattr(p, k) is not None:
                entry[k] = getattr(p, k)
        phones.append(entry)
    words = []
    for w in anim.words:
        entry = {"label": w.label, "start": w.start, "end": w.end}
        if w.confidence is not None:
            entry["confidence"] = w.confidence
        words.append(entry)
    head = None
    if anim.head_pose is not None:
        head = {c: _round(anim.head_pose[:, i], decimals) for i, c in enumerate(HEAD_POSE_COLUMNS)}
    audio = None  # referenced, never embedded
    if anim.audio_path is not None:
        audio = {"path": os.path.abspath(anim.audio_path), "offset": anim.audio_offset}
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "fps": anim.fps,
        "n_frames": anim.n_frames,
        "duration": anim.duration,
        "names": list(ARKIT_NAMES),
        "curves": {n: _round(anim.weights[:, i], decimals) for i, n in enumerate(ARKIT_NAMES)},
        "head_pose": head,
        "words": words,
        "phones": phones,
        "keys": [k.to_dict() for k in anim.keys],
        "locks": {str(f): ch for f, ch in anim.locks.items()},
        "audio": audio,
        "meta": anim.meta,
    }


def write_json(
    anim: "Animation",
    path: str | os.PathLike[str],
    *,
    decimals: int | None = 6,
    indent: int | None = None,
) -> Path:
    """Write ``anim`` as kmtalk JSON.

    Parameters
    ----------
    anim : Animation
    path : str or PathLike
        Destination ``.json``.
    decimals : int or None
        Rounding of curve values (default 6); None for full float32 precision.
    indent : int, optional
        Pretty-print with this indent (default compact).

    Returns
    -------
    pathlib.Path
    """
    try:
        text = json.dumps(
            to_json_dict(anim, decimals=decimals),
            ensure_ascii=False,
            allow_nan=False,
            indent=indent,
        )
    except (TypeError, ValueError) as exc:
        raise ExportError(
            f"cannot serialise the animation to JSON (is meta JSON-serialisable?): {exc}"
        ) from exc
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def read_json(path: str | os.PathLike[str]) -> "Animation":
    """Read a file written by :func:`write_json` back into an :class:`Animation`.

    Curves are taken by name (so reordered ``curves`` are fine); visemes in
    the phone tier are dropped (they are derived from the phones).

    Raises
    ------
    AnimationError
        Not a kmtalk JSON animation, another version, or malformed content.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnimationError(f"cannot read JSON animation {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise AnimationError(f"{path} is not a kmtalk JSON animation (format {JSON_FORMAT!r})")
    if doc.get("version") != JSON_VERSION:
        raise AnimationError(
            f"{path} has JSON animation version {doc.get('version')!r}; "
            f"this kmtalk reads version {JSON_VERSION}"
        )
    try:
        curves = doc["curves"]
        missing = [n for n in ARKIT_NAMES if n not in curves]
        if missing:
            raise AnimationError(f"{path}: curves missing for {missing[:5]}")
        weights = np.stack([np.asarray(curves[n], dtype=np.float32) for n in ARKIT_NAMES], 1)
        head = doc.get("head_pose")
        head_pose = (
            None
            if head is None
            else np.stack([np.asarray(head[c], dtype=np.float32) for c in HEAD_POSE_COLUMNS], 1)
        )
        phones = [{k: v for k, v in p.items() if k != "viseme"} for p in doc.get("phones", [])]
        audio = doc.get("audio") or {}
        return Animation(
            fps=doc["fps"],
            weights=weights,
            head_pose=head_pose,
            phones=phones,
            words=doc.get("words", []),
            keys=doc.get("keys", []),
            locks=doc.get("locks", {}),
            audio_path=audio.get("path"),
            audio_offset=audio.get("offset", 0.0),
            meta=doc.get("meta", {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AnimationError):
            raise
        raise AnimationError(f"{path}: malformed JSON animation ({exc!r})") from exc
