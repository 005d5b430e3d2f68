"""The :class:`Animation`: ARKit-52 blendshape curves at a fixed frame rate, with their timeline.

An animation is a small, serialisable object (in the spirit of lhotse's
``Cut``): the curves ``weights`` [T, 52] in [0, 1], the frame rate, an optional
head pose, and the timeline it was made from — words, phones, key motions and
editor locks — plus a reference to its audio. Everything else (vertices,
files) is derived from it.

Frame ``i`` is shown at time ``i / fps`` and lasts ``1 / fps``; the animation
lasts ``n_frames / fps`` seconds.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.animation import Animation
>>> anim = Animation(fps=30, weights=np.zeros((60, 52), np.float32))
>>> anim.n_frames, anim.duration, anim.names[0]
(60, 2.0, 'eyeBlinkLeft')
>>> anim.slice(0.5, 1.0).n_frames, anim.resample(60).n_frames
(15, 120)
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.frames import frame_at, n_frames_for
from phoneme.keys import KeyMotion
from phoneme.types import Interval

from ..errors import AnimationError, RigError
from .arkit import ARKIT_NAMES
from .audio import audio_span
from .checks import as_interval, as_key, check_audio, check_head_pose, check_weights
from .formats import export
from .headpose import HEAD_POSE_COLUMNS, apply_head_pose
from .locks import check_lock_dict
from .npzfile import FORMAT_NAME, FORMAT_VERSION, read_npz_arrays, write_npz_arrays
from .rig import Rig, default_rig
from .timeline import (
    clip_tier,
    interp_columns,
    pin_locks,
    resample_keys,
    resample_locks,
    slice_keys,
    slice_locks,
)

__all__ = ["Animation", "FORMAT_VERSION", "HEAD_POSE_COLUMNS"]

log = logging.getLogger(__name__)

def _interval_dict(iv: Interval) -> dict[str, Any]:
    return {k: v for k, v in asdict(iv).items() if v is not None}


@dataclass(eq=False)
class Animation:
    """ARKit-52 blendshape animation with its timeline.

    Parameters
    ----------
    fps : float
        Frames per second (> 0).
    weights : array_like
        [T, 52] blendshape weights in [0, 1], columns in :attr:`names` order
        (Apple's ARKit order). Stored as float32 (a copy when the input is not
        float32 already).
    head_pose : array_like, optional
        [T, 6]: pitch, yaw, roll in radians, then tx, ty, tz in metres, in
        the rig's frame (see :mod:`kmtalk.face.headpose` for the exact convention).
    phones, words : list of Interval (or dicts), optional
        The timeline the animation was made from, in seconds from frame 0.
    keys : list of KeyMotion (or dicts), optional
        The key motions (frames where the face must hit a shape).
    locks : dict, optional
        Editor locks ``{frame: {channel_name: value}}``: pinned channel values.
        Frames must lie in ``[0, T)``, names must be ARKit names, values in [0, 1].
    audio_path : str, optional
        The audio file the animation belongs to.
    audio : tuple (samples, sample_rate), optional
        The audio in memory (used before ``audio_path`` when both are given).
    audio_offset : float
        Seconds into the audio where frame 0 starts (set by :meth:`slice`).
    meta : dict, optional
        JSON-serialisable extra information (e.g. ``method``, ``confidence``,
        ``transcript_free``).
    rig : Rig, optional
        The face rig the curves drive; :func:`kmtalk.face.rig.default_rig` when None.
        Not saved in files (pass ``rig=`` to :meth:`load`).
    clip : bool
        When True, weights outside [0, 1] are clipped (with a log message)
        instead of raising :class:`~kmtalk.errors.AnimationError`. Not stored.

    Raises
    ------
    AnimationError
        Wrong shape, non-finite values, weights out of range (without
        ``clip``), bad fps, malformed timeline.
    LockError
        A lock on a frame outside the animation, an unknown channel, or a
        value outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> w = np.zeros((3, 52)); w[1, 24] = 1.2
    >>> Animation(fps=30, weights=w)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kmtalk.errors.AnimationError: weights outside [0, 1] ...
    >>> Animation(fps=30, weights=w, clip=True).weights.max()
    1.0
    """

    fps: float
    weights: np.ndarray
    head_pose: np.ndarray | None = None
    phones: list[Interval] = field(default_factory=list)
    words: list[Interval] = field(default_factory=list)
    keys: list[KeyMotion] = field(default_factory=list)
    locks: dict[int, dict[str, float]] = field(default_factory=dict)
    audio_path: str | None = None
    audio: tuple[np.ndarray, int] | None = None
    audio_offset: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    rig: "Rig | None" = None
    clip: bool = field(default=False, repr=False)

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        try:
            fps = float(self.fps)
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"fps must be a number, got {self.fps!r}") from exc
        if not math.isfinite(fps) or fps <= 0:
            raise AnimationError(f"fps must be a positive finite number, got {self.fps!r}")
        self.fps = fps
        self.weights = check_weights(self.weights, self.clip)
        self.clip = False  # construction option, not state
        n = self.weights.shape[0]
        if self.head_pose is not None:
            self.head_pose = check_head_pose(self.head_pose, n)
        self.phones = [as_interval(p, "phone") for p in (self.phones or [])]
        self.words = [as_interval(w, "word") for w in (self.words or [])]
        self.keys = [as_key(k) for k in (self.keys or [])]
        self.locks = check_lock_dict(self.locks or {}, n)
        if self.audio_path is not None:
            self.audio_path = os.fspath(self.audio_path)
        if self.audio is not None:
            self.audio = check_audio(self.audio)
        off = float(self.audio_offset)
        if not math.isfinite(off) or off < 0:
            raise AnimationError(f"audio_offset must be >= 0 seconds, got {self.audio_offset!r}")
        self.audio_offset = off
        if not isinstance(self.meta, dict):
            raise AnimationError(f"meta must be a dict, got {type(self.meta).__name__}")

    # ------------------------------------------------------------------ properties
    @property
    def names(self) -> tuple[str, ...]:
        """The 52 ARKit blendshape names, in Apple's order (the columns of :attr:`weights`)."""
        return ARKIT_NAMES

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.weights.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds, ``n_frames / fps``."""
        return self.n_frames / self.fps

    @property
    def times(self) -> np.ndarray:
        """Time of each frame in seconds, ``arange(T) / fps`` (float64)."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """The curve of one blendshape by name, [T] float32 (a view).

        Examples
        --------
        >>> import numpy as np
        >>> Animation(fps=25, weights=np.zeros((4, 52))).channel("jawOpen").shape
        (4,)
        """
        try:
            return self.weights[:, ARKIT_NAMES.index(name)]
        except ValueError:
            raise AnimationError(
                f"unknown blendshape {name!r}; see kmtalk.face.arkit.ARKIT_NAMES"
            ) from None

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        return (
            f"Animation(fps={self.fps:g}, n_frames={self.n_frames}, duration={self.duration:.3f}s, "
            f"head_pose={'yes' if self.head_pose is not None else 'no'}, "
            f"phones={len(self.phones)}, "
            f"keys={len(self.keys)}, locks={len(self.locks)})"
        )

    # ------------------------------------------------------------------ derived data
    def get_rig(self) -> "Rig":
        """The rig this animation drives: :attr:`rig`, or the default rig."""
        return self.rig if self.rig is not None else default_rig()

    def weights_for(self, rig: "Rig") -> np.ndarray:
        """The weights with columns in ``rig.names`` order (a rig may list the 52 in its own order).

        Raises
        ------
        RigError
            If the rig lacks one of the 52 ARKit names.
        """
        rig_names = tuple(rig.names)
        if rig_names == ARKIT_NAMES:
            return self.weights
        index = {n: i for i, n in enumerate(ARKIT_NAMES)}
        missing = [n for n in rig_names if n not in index]
        if missing:
            raise RigError(f"the rig has targets that are not ARKit names: {missing[:5]}")
        return np.ascontiguousarray(self.weights[:, [index[n] for n in rig_names]])

    def vertices(self, rig: "Rig | None" = None, *, head_pose: bool = False) -> np.ndarray:
        """Vertex positions of every frame.

        Parameters
        ----------
        rig : Rig, optional
            The rig to drive; :attr:`rig` or the default rig when None.
        head_pose : bool
            When True and the animation has a head pose, rotate and translate
            each frame by it (about the rig's origin). Default False: face-local.

        Returns
        -------
        np.ndarray
            [T, V, 3] float32, metres.

        Examples
        --------
        >>> import numpy as np
        >>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
        >>> v = anim.vertices()            # default rig  # doctest: +SKIP
        >>> v.shape[0], v.shape[2]          # doctest: +SKIP
        (2, 3)
        """
        rig = rig if rig is not None else self.get_rig()
        verts = np.asarray(rig.evaluate(self.weights_for(rig)), dtype=np.float32)
        if head_pose and self.head_pose is not None:
            verts = apply_head_pose(verts, self.head_pose)
        return verts

    def load_audio(self) -> tuple[np.ndarray, int] | None:
        """The audio under this animation: ``duration`` seconds from ``audio_offset``.

        Uses the in-memory :attr:`audio` when set, else reads :attr:`audio_path`
        (only the needed span). Returns None when the animation has no audio.

        Returns
        -------
        tuple (samples float32 [N] or [N, C], sample_rate) or None

        Raises
        ------
        AudioError
            If ``audio_path`` cannot be read.
        """
        return audio_span(self.audio, self.audio_path, self.audio_offset, self.duration)

    # ------------------------------------------------------------------ transforms
    def _replace(self, **changes: Any) -> "Animation":
        return replace(self, **changes)

    def resample(self, fps: float) -> "Animation":
        """The same animation at another frame rate.

        Curves and head pose are interpolated linearly between frames (which
        keeps weights inside [0, 1]); the frame count becomes
        ``n_frames_for(duration, fps)`` (:mod:`phoneme.frames`: halves round up). Key motions move to
        their nearest frame (their ``time`` is updated to match); locks move
        to the nearest frame at the new rate, and locked channels keep their
        pinned values exactly at their new frames. When two locks land on the
        same frame their channels merge (the later one wins a shared channel).

        Parameters
        ----------
        fps : float
            The new frame rate.

        Returns
        -------
        Animation

        Examples
        --------
        >>> import numpy as np
        >>> w = np.zeros((3, 52), np.float32); w[:, 17] = [0.0, 1.0, 0.0]  # jawOpen
        >>> Animation(fps=2, weights=w).resample(4).channel("jawOpen").tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
        """
        new_fps = float(fps)
        if not math.isfinite(new_fps) or new_fps <= 0:
            raise AnimationError(f"fps must be a positive finite number, got {fps!r}")
        n_new = n_frames_for(self.duration, new_fps)
        t_old = self.times
        t_new = np.arange(n_new, dtype=np.float64) / new_fps
        head = None if self.head_pose is None else interp_columns(t_new, t_old, self.head_pose)
        locks = resample_locks(self.locks, self.fps, new_fps, n_new)
        weights = pin_locks(interp_columns(t_new, t_old, self.weights), locks)
        return self._replace(fps=new_fps, weights=weights, head_pose=head,
                             keys=resample_keys(self.keys, n_new, new_fps), locks=locks)

    def slice(self, start: float | None = None, end: float | None = None) -> "Animation":
        """The frames between two times, as a new animation starting at 0.

        Frames ``frame_at(start, fps)`` up to (excluding) ``frame_at(end, fps)`` are
        kept (the nearest frames, :mod:`phoneme.frames`). Phones and words are clipped to the span and shifted; keys and
        locks inside it are kept with shifted frames; :attr:`audio_offset`
        grows by the start time so the audio stays in sync. ``anim[t0:t1]``
        is the same (times in seconds; no step).

        Parameters
        ----------
        start, end : float, optional
            Seconds; default the beginning and the end.

        Returns
        -------
        Animation

        Raises
        ------
        AnimationError
            If the span is empty or reversed.

        Examples
        --------
        >>> import numpy as np
        >>> anim = Animation(fps=10, weights=np.zeros((20, 52)))
        >>> anim[0.5:1.2].n_frames, anim.slice(1.0).duration
        (7, 1.0)
        """
        f0 = 0 if start is None else frame_at(float(start), self.fps)
        f1 = self.n_frames if end is None else frame_at(float(end), self.fps)
        f0, f1 = max(0, f0), min(self.n_frames, f1)
        if f1 <= f0:
            raise AnimationError(
                f"slice {start!r}..{end!r} s holds no frame of this {self.duration:.3f} s animation"
            )
        t0, t1 = f0 / self.fps, f1 / self.fps
        return self._replace(
            weights=self.weights[f0:f1],
            head_pose=None if self.head_pose is None else self.head_pose[f0:f1],
            phones=clip_tier(self.phones, t0, t1),
            words=clip_tier(self.words, t0, t1),
            keys=slice_keys(self.keys, f0, f1, self.fps),
            locks=slice_locks(self.locks, f0, f1),
            audio_offset=self.audio_offset + t0,
        )

    def __getitem__(self, item: slice) -> "Animation":
        if not isinstance(item, slice) or item.step is not None:
            raise AnimationError("index an Animation by time with anim[t0:t1] (seconds, no step)")
        return self.slice(item.start, item.stop)

    # ------------------------------------------------------------------ serialisation
    def to_metadata(self) -> dict[str, Any]:
        """Everything but the arrays, as a JSON-serialisable dict (``metadata`` in :meth:`save`)."""
        audio_path = self.audio_path
        if audio_path is not None and not os.path.isabs(audio_path):
            audio_path = os.path.abspath(audio_path)
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "fps": self.fps,
            "names": list(ARKIT_NAMES),
            "head_pose_columns": list(HEAD_POSE_COLUMNS),
            "phones": [_interval_dict(p) for p in self.phones],
            "words": [_interval_dict(w) for w in self.words],
            "keys": [k.to_dict() for k in self.keys],
            "locks": {str(f): ch for f, ch in self.locks.items()},
            "audio_path": audio_path,
            "audio_offset": self.audio_offset,
            "audio_sample_rate": None if self.audio is None else self.audio[1],
            "rig": getattr(self.rig, "name", None) if self.rig is not None else None,
            "meta": self.meta,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the animation to a ``.npz`` file (no pickle; metadata as JSON inside).

        The file holds ``weights`` (float32 [T, 52]), ``head_pose`` when present,
        ``audio`` samples when the audio is in memory, and ``metadata``: a JSON
        string with ``format_version``, fps, names, timeline, locks, audio
        reference and ``meta``. Written to a temporary file, then renamed.

        Parameters
        ----------
        path : str or PathLike
            Destination; ``.npz`` is the expected extension.

        Returns
        -------
        pathlib.Path
            The written path.

        Raises
        ------
        AnimationError
            If ``meta`` is not JSON-serialisable.
        ExportError
            If the file cannot be written.

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> anim = Animation(fps=30, weights=np.full((5, 52), 0.25))
        >>> p = anim.save(os.path.join(tempfile.mkdtemp(), "a.npz"))
        >>> Animation.load(p).weights.tolist() == anim.weights.tolist()
        True
        """
        arrays: dict[str, np.ndarray] = {"weights": self.weights}
        if self.head_pose is not None:
            arrays["head_pose"] = self.head_pose
        if self.audio is not None:
            arrays["audio"] = self.audio[0]
        path = write_npz_arrays(path, self.to_metadata(), arrays)
        log.debug("saved %r to %s", self, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, rig: "Rig | None" = None) -> "Animation":
        """Read an animation written by :meth:`save`, validating it.

        Parameters
        ----------
        path : str or PathLike
            A ``.npz`` file from :meth:`save`.
        rig : Rig, optional
            The rig to attach (rigs are not stored in the file).

        Returns
        -------
        Animation

        Raises
        ------
        AnimationError
            If the file is missing, not a kmtalk animation, corrupt, of another
            format version, or holds invalid data (the message says which).
        """
        path = Path(path)
        arrays, meta = read_npz_arrays(path)
        audio = None
        if "audio" in arrays:
            audio = (arrays["audio"], meta.get("audio_sample_rate"))
        try:
            return cls(
                fps=meta["fps"],
                weights=arrays["weights"],
                head_pose=arrays.get("head_pose"),
                phones=meta.get("phones", []),
                words=meta.get("words", []),
                keys=meta.get("keys", []),
                locks=meta.get("locks", {}),
                audio_path=meta.get("audio_path"),
                audio=audio,
                audio_offset=meta.get("audio_offset", 0.0),
                meta=meta.get("meta", {}),
                rig=rig,
            )
        except KeyError as exc:
            raise AnimationError(f"{path}: metadata lacks {exc}") from exc
        except AnimationError as exc:
            raise type(exc)(f"{path}: {exc}") from exc

    def export(self, path: str | os.PathLike[str], **options: Any) -> Path | list[Path]:
        """Write the animation in the format its extension names.

        ``.npz`` (:meth:`save`), ``.csv`` (Live Link Face), ``.json``,
        ``.glb`` / ``.gltf``, ``.TextGrid``, and per-frame ``.obj`` / ``.ply``
        sequences (a pattern such as ``frames/%04d.obj``). See
        :mod:`kmtalk.face.formats`, :mod:`kmtalk.io.exporters` and ``docs/exports.md`` for each
        format's options; :func:`kmtalk.load` reads the files back.

        Returns
        -------
        pathlib.Path or list of Path
            What was written (a list for a frame sequence).

        Raises
        ------
        ExportError
            Unknown extension (the message lists the supported ones) or a failed writer.

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> anim = Animation(fps=30, weights=np.zeros((3, 52)))
        >>> anim.export(os.path.join(tempfile.mkdtemp(), "a.csv")).suffix
        '.csv'
        """
        return export(self, path, **options)

