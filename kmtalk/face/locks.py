"""Editor locks: pin channels at chosen frames; the animation passes through them exactly and smoothly.

The one home of kmtalk's lock logic: the specification (:func:`resolve_locks`),
the stored form of :attr:`Animation.locks <kmtalk.face.animation.Animation.locks>`
(:func:`check_lock_dict`), merging, files, and exact application
(:func:`apply_locks`, whose array core :func:`completion.locks.apply_lock_arrays`
the learned model shares). Which locks an animation must meet besides the
editor's — the closures of /p b m/, the lip-teeth contact of /f v/ — and where
they are applied is :mod:`kmtalk.animator.closures`.

A lock specification maps a *when* to a *what*:

- when: an ``int`` is a frame index, a ``float`` is a time in seconds. In
  JSON (``--locks locks.json``) keys are strings: ``"12"`` is frame 12,
  ``"1.25"`` or ``"1.25s"`` is 1.25 s.
- what: a ``{channel: weight}`` dict (a *partial* lock: only the named
  ARKit channels are pinned), a viseme name such as ``"PP"`` (the mouth —
  jaw, lip and tongue channels — takes that viseme's pose), or a full frame
  (an array of 52 weights, or an object with ``weights`` such as a frame of
  another :class:`~kmtalk.face.animation.Animation`; all 52 channels pinned).

:func:`apply_locks` pulls each locked channel towards its value with a
smoothstep-shaped weight around the lock, over a window that grows with the
distance to cover (up to 0.5 s) and never reaches past the channel's
neighbouring locks. The curve meets every lock exactly and arrives with zero
slope: the step into a locked frame stays within the largest natural
frame-to-frame change nearby, and away from locks the motion is untouched.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.locks import resolve_locks, apply_locks
>>> w = np.full((31, 52), 0.2, np.float32)
>>> locks = resolve_locks({15: {"jawOpen": 0.9}}, n_frames=31, fps=30)
>>> out = apply_locks(w, locks)
>>> out[15, 17] == np.float32(0.9), bool(0.2 < out[14, 17] < 0.9), out[15, 0] == np.float32(0.2)
(True, True, True)
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from completion.locks import apply_lock_arrays
from phoneme.frames import frame_at
from phoneme.lexicon import VISEMES, load_lexicon

from ..errors import LockError
from .arkit import ARKIT_INDEX, ARKIT_NAMES
from .visemes import viseme_poses as lexicon_poses

__all__ = ["Locks", "apply_locks", "check_lock_dict", "locks_to_json", "merge_locks", "read_locks_file",
           "resolve_locks"]



@dataclass(frozen=True)
class Locks:
    """Resolved locks: ``frames`` [K] (sorted, unique), ``mask`` [K, 52] bool, ``values`` [K, 52] float32."""

    frames: np.ndarray
    mask: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.frames.size)

    def as_dict(self) -> dict[int, dict[str, float]]:
        """``{frame: {channel: weight}}`` — the form stored in an Animation."""
        return {int(f): {ARKIT_NAMES[c]: float(self.values[k, c]) for c in np.flatnonzero(self.mask[k])}
                for k, f in enumerate(self.frames)}

    @classmethod
    def empty(cls) -> "Locks":
        return cls(np.zeros(0, np.int64), np.zeros((0, 52), bool), np.zeros((0, 52), np.float32))


def _frame_of(when: Any, n_frames: int, fps: float) -> int:
    if isinstance(when, str):
        text = when.strip().lower()
        try:
            when = float(text[:-1]) if text.endswith("s") else (int(text) if text.lstrip("-").isdigit()
                                                                 else float(text))
        except ValueError:
            raise LockError(f"lock time {when!r} is neither a frame number nor seconds (e.g. '12' or '1.25s')") from None
    if isinstance(when, (bool, np.bool_)):
        raise LockError(f"lock time {when!r} must be a frame (int) or seconds (float)")
    if isinstance(when, (int, np.integer)):
        frame = int(when)
        if not 0 <= frame < n_frames:
            raise LockError(f"lock at frame {frame} is outside the animation (frames 0..{n_frames - 1})")
        return frame
    if isinstance(when, (float, np.floating)):
        t = float(when)
        duration = n_frames / fps
        if not (math.isfinite(t) and -0.5 / fps <= t <= duration + 0.5 / fps):
            raise LockError(f"lock at {t:.3f} s is outside the audio (0..{duration:.3f} s)")
        return min(max(frame_at(t, fps), 0), n_frames - 1)
    raise LockError(f"lock time {when!r} must be a frame (int) or seconds (float)")


def _channel(name: str, where: str = "lock") -> int:
    try:
        return ARKIT_INDEX[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), ARKIT_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise LockError(f"{where} names unknown channel {name!r}{hint}; use one of the 52 ARKit names "
                        "(kmtalk.face.arkit.ARKIT_NAMES)") from None


def _weight(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise LockError(f"lock weight for {what} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise LockError(f"lock weight for {what} is {v}; values must be in [0, 1]")
    return v


def _pins(channels: Any, where: str) -> dict[int, float]:
    """``{channel name: weight}`` → ``{column: weight}``, checked."""
    if not isinstance(channels, Mapping) or not channels:
        raise LockError(f"{where} pins no channel: it must map channel names to values")
    return {_channel(k, where): _weight(v, f"{k!r} in the {where}") for k, v in channels.items()}


def check_lock_dict(locks: Any, n_frames: int) -> dict[int, dict[str, float]]:
    """Check the stored form of locks, ``{frame: {channel: weight}}``, and return it sorted by frame.

    This is the form :attr:`Animation.locks <kmtalk.face.animation.Animation.locks>`
    holds and files store (frame keys may be integer strings, as in JSON).
    Unlike :func:`resolve_locks` it takes frames only, not seconds or visemes.

    Raises
    ------
    LockError
        Not a mapping, a frame that is not an integer or lies outside
        ``0..n_frames - 1``, an unknown channel, or a value outside [0, 1].

    Examples
    --------
    >>> check_lock_dict({"3": {"jawOpen": 0.5}, 1: {"mouthClose": 0.1}}, n_frames=10)
    {1: {'mouthClose': 0.1}, 3: {'jawOpen': 0.5}}
    """
    if not isinstance(locks, Mapping):
        raise LockError(f"locks must be a dict {{frame: {{name: value}}}}, got {type(locks).__name__}")
    out: dict[int, dict[str, float]] = {}
    for frame, channels in locks.items():
        try:
            f = int(frame)
        except (TypeError, ValueError) as exc:
            raise LockError(f"lock frame {frame!r} is not an integer frame index") from exc
        if isinstance(frame, float) and not frame.is_integer():
            raise LockError(f"lock frame {frame!r} is not an integer frame index")
        if not 0 <= f < n_frames:
            raise LockError(f"lock at frame {f} is outside the animation (frames 0..{n_frames - 1})")
        out[f] = {ARKIT_NAMES[c]: v for c, v in _pins(channels, f"lock at frame {f}").items()}
    return dict(sorted(out.items()))


def resolve_locks(
    locks: Mapping[Any, Any] | Locks | None,
    *,
    n_frames: int,
    fps: float,
    viseme_poses: np.ndarray | None = None,
    mouth_mask: np.ndarray | None = None,
) -> Locks:
    """Validate a lock specification and turn it into arrays.

    Parameters
    ----------
    locks : mapping or Locks or None
        See the module docstring.
    n_frames : int
        Frames of the animation the locks apply to.
    fps : float
        Its frame rate (to place locks given in seconds).
    viseme_poses : ndarray [15, 52], optional
        Poses for viseme-name locks (rows in :data:`phoneme.lexicon.VISEMES` order;
        default: the bundled lexicon's, :func:`kmtalk.face.visemes.viseme_poses`).
    mouth_mask : ndarray[bool, 52], optional
        Channels a viseme lock pins (default: those any viseme pose uses).

    Returns
    -------
    Locks

    Raises
    ------
    LockError
        A lock outside the animation, on an unknown channel, with a weight outside
        [0, 1], or naming an unknown viseme. Two locks on one frame are merged
        (the later one wins per channel).
    """
    if isinstance(locks, Locks):
        return locks
    if not locks:
        return Locks.empty()
    merged: dict[int, dict[int, float]] = {}
    for when, what in locks.items():
        frame = _frame_of(when, n_frames, fps)
        pins = merged.setdefault(frame, {})
        if isinstance(what, str):
            if what not in VISEMES:
                raise LockError(f"lock at {when!r} names unknown viseme {what!r}; use one of {', '.join(VISEMES)}")
            if viseme_poses is None:
                viseme_poses = lexicon_poses(load_lexicon())
            mask = mouth_mask if mouth_mask is not None else np.any(viseme_poses != 0, axis=0)
            row = viseme_poses[VISEMES.index(what)]
            pins.update({int(c): float(row[c]) for c in np.flatnonzero(mask)})
        elif isinstance(what, Mapping):
            pins.update(_pins(what, f"lock at {when!r}"))
        else:
            row = np.asarray(getattr(what, "weights", what), dtype=np.float64)
            if row.ndim == 2 and row.shape[0] == 1:
                row = row[0]
            if row.shape != (52,):
                raise LockError(f"lock at {when!r} must be a dict, a viseme name or 52 weights; got shape {row.shape}")
            pins.update({c: _weight(row[c], f"{ARKIT_NAMES[c]!r} at {when!r}") for c in range(52)})
    frames = np.array(sorted(merged), dtype=np.int64)
    mask = np.zeros((frames.size, 52), bool)
    values = np.zeros((frames.size, 52), np.float32)
    for k, f in enumerate(frames):
        for c, v in merged[int(f)].items():
            mask[k, c] = True
            values[k, c] = v
    return Locks(frames, mask, values)


def merge_locks(base: Locks, override: Locks) -> Locks:
    """Union of two lock sets; where both pin a channel on one frame, ``override`` wins.

    Examples
    --------
    >>> a = resolve_locks({3: {"jawOpen": 0.1}}, n_frames=10, fps=30)
    >>> b = resolve_locks({3: {"jawOpen": 0.5}, 5: "PP"}, n_frames=10, fps=30)
    >>> m = merge_locks(a, b)
    >>> m.frames.tolist(), float(m.values[0, 17])
    ([3, 5], 0.5)
    """
    frames = np.union1d(base.frames, override.frames).astype(np.int64)
    mask = np.zeros((frames.size, 52), bool)
    values = np.zeros((frames.size, 52), np.float32)
    for src in (base, override):
        rows = np.searchsorted(frames, src.frames)
        values[rows] = np.where(src.mask, src.values, values[rows])
        mask[rows] |= src.mask
    return Locks(frames, mask, values)


def apply_locks(weights: np.ndarray, locks: Locks, *, fps: float = 30.0,
                reference: np.ndarray | None = None) -> np.ndarray:
    """Return ``weights`` bent smoothly through every lock (exact at the locked frames).

    Each locked channel is blended towards its locked value with a pull
    ``w_k(t) = 1 - smoothstep(|t - f_k| / W_k)`` around each lock ``f_k``::

        out(t) = (1 - sum_k w_k(t)) * weights(t) + sum_k w_k(t) * value_k

    ``W_k`` grows with the distance to cover (see the module docstring) but
    never reaches past the neighbouring locks of the same channel, so the
    pulls never sum above 1, every lock is met exactly, the curve arrives at
    a lock with zero slope, and between far-apart locks the original motion
    is untouched. The array core is :func:`completion.locks.apply_lock_arrays`,
    shared with the learned path.

    Parameters
    ----------
    weights : ndarray [T, 52]
    locks : Locks
    fps : float, default 30
        Frame rate (sets the 0.5 s maximum pull window).
    reference : ndarray [T, 52], optional
        Curves that set the pulls' widths instead of ``weights``
        (:func:`completion.locks.apply_lock_arrays`).

    Returns
    -------
    ndarray, float32 [T, 52], in [0, 1], equal to the lock values at locked channels.
    """
    return apply_lock_arrays(weights, locks.frames, locks.mask, locks.values, fps=fps, bounds=(0.0, 1.0),
                             reference=reference)


def read_locks_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON locks file (``{"12": {"jawOpen": 0.4}, "1.5s": "PP"}``).

    Raises
    ------
    LockError
        Unreadable or not a JSON object.
    """
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise LockError(f"cannot read locks file {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LockError(f"locks file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LockError(f"locks file {path} must hold a JSON object of time -> lock")
    return data


def locks_to_json(locks: Locks) -> dict[str, dict[str, float]]:
    """Locks as a JSON object keyed by frame number strings."""
    return {str(f): pins for f, pins in locks.as_dict().items()}
