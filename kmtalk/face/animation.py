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

import json
import logging
import math
import os
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from phoneme.keys import KeyMotion
from phoneme.types import Interval

from .arkit import ARKIT_NAMES
from .formats import export
from ..errors import AnimationError, AudioError, RigError
from .headpose import HEAD_POSE_COLUMNS, apply_head_pose
from .locks import check_lock_dict

if TYPE_CHECKING:  # pragma: no cover
    from .rig import Rig

__all__ = ["Animation", "FORMAT_VERSION", "HEAD_POSE_COLUMNS"]

log = logging.getLogger(__name__)

#: Version of the ``.npz`` layout written by :meth:`Animation.save`.
FORMAT_VERSION = 1
_FORMAT_NAME = "kmtalk.animation"  # the file format's name (not a module path)


def _as_interval(item: Any, what: str) -> Interval:
    if isinstance(item, Interval):
        return item
    if isinstance(item, Mapping):
        try:
            return Interval(**item)
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"malformed {what} interval {dict(item)!r}: {exc}") from exc
    raise AnimationError(f"{what} must be Interval objects or dicts, got {type(item).__name__}")


def _as_key(item: Any) -> KeyMotion:
    if isinstance(item, KeyMotion):
        return item
    if isinstance(item, Mapping):
        try:
            return KeyMotion.from_dict(dict(item))
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"malformed key motion {dict(item)!r}: {exc}") from exc
    raise AnimationError(f"keys must be KeyMotion objects or dicts, got {type(item).__name__}")


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
        self.weights = self._check_weights(self.weights, self.clip)
        self.clip = False  # construction option, not state
        n = self.weights.shape[0]
        if self.head_pose is not None:
            hp = np.asarray(self.head_pose)
            if hp.shape != (n, 6):
                raise AnimationError(
                    f"head_pose must have shape [T, 6] = [{n}, 6] "
                    f"(pitch, yaw, roll in radians; tx, ty, tz in metres), got {list(hp.shape)}"
                )
            if not np.issubdtype(hp.dtype, np.number) or not np.isfinite(hp).all():
                raise AnimationError("head_pose has non-finite or non-numeric values")
            self.head_pose = np.ascontiguousarray(hp, dtype=np.float32)
        self.phones = [_as_interval(p, "phone") for p in (self.phones or [])]
        self.words = [_as_interval(w, "word") for w in (self.words or [])]
        self.keys = [_as_key(k) for k in (self.keys or [])]
        self.locks = check_lock_dict(self.locks or {}, n)
        if self.audio_path is not None:
            self.audio_path = os.fspath(self.audio_path)
        if self.audio is not None:
            self.audio = self._check_audio(self.audio)
        off = float(self.audio_offset)
        if not math.isfinite(off) or off < 0:
            raise AnimationError(f"audio_offset must be >= 0 seconds, got {self.audio_offset!r}")
        self.audio_offset = off
        if not isinstance(self.meta, dict):
            raise AnimationError(f"meta must be a dict, got {type(self.meta).__name__}")

    @staticmethod
    def _check_weights(weights: Any, clip: bool) -> np.ndarray:
        try:
            w = np.asarray(weights)
        except Exception as exc:  # ragged lists and the like
            raise AnimationError(f"weights cannot be read as an array: {exc}") from exc
        if w.ndim != 2 or w.shape[1] != len(ARKIT_NAMES) or w.shape[0] < 1:
            raise AnimationError(
                f"weights must have shape [T, {len(ARKIT_NAMES)}] with T >= 1 "
                f"(one column per ARKit blendshape), got {list(w.shape)}"
            )
        if not (
            np.issubdtype(w.dtype, np.floating)
            or np.issubdtype(w.dtype, np.integer)
            or w.dtype == np.bool_
        ):
            raise AnimationError(f"weights must be numeric, got dtype {w.dtype}")
        w = np.array(w, dtype=np.float32, order="C", copy=True)
        bad = ~np.isfinite(w)
        if bad.any():
            t, c = np.argwhere(bad)[0]
            raise AnimationError(
                f"weights contain {int(bad.sum())} non-finite values (first at frame {t}, "
                f"channel {ARKIT_NAMES[c]}); fix the source curves"
            )
        lo, hi = float(w.min()), float(w.max())
        if lo < 0.0 or hi > 1.0:
            if not clip:
                raise AnimationError(
                    f"weights outside [0, 1] (min {lo:.4g}, max {hi:.4g}); "
                    "pass clip=True to clip them"
                )
            log.info("clipping weights from [%.4g, %.4g] to [0, 1]", lo, hi)
            np.clip(w, 0.0, 1.0, out=w)
        return w

    @staticmethod
    def _check_audio(audio: Any) -> tuple[np.ndarray, int]:
        try:
            samples, sr = audio
        except (TypeError, ValueError) as exc:
            raise AnimationError("audio must be a (samples, sample_rate) pair") from exc
        samples = np.asarray(samples)
        if samples.ndim not in (1, 2) or samples.shape[0] == 0:
            raise AnimationError(
                f"audio samples must be [N] or [N, channels], got {list(samples.shape)}"
            )
        if not np.issubdtype(samples.dtype, np.floating) or not np.isfinite(samples).all():
            raise AnimationError("audio samples must be finite floating-point values")
        if int(sr) != sr or int(sr) <= 0:
            raise AnimationError(f"audio sample rate must be a positive integer, got {sr!r}")
        return samples.astype(np.float32, copy=False), int(sr)

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
        if self.rig is not None:
            return self.rig
        from .rig import default_rig

        return default_rig()

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
        if self.audio is not None:
            samples, sr = self.audio
            i0 = int(round(self.audio_offset * sr))
            i1 = i0 + int(round(self.duration * sr))
            return samples[i0:i1], sr
        if self.audio_path is None:
            return None
        import soundfile as sf

        try:
            info = sf.info(self.audio_path)
            i0 = int(round(self.audio_offset * info.samplerate))
            i1 = i0 + int(round(self.duration * info.samplerate))
            data, sr = sf.read(
                self.audio_path,
                start=min(i0, info.frames),
                stop=min(i1, info.frames),
                dtype="float32",
                always_2d=False,
            )
        except (RuntimeError, OSError, sf.LibsndfileError) as exc:
            raise AudioError(
                f"cannot read the animation's audio {self.audio_path!r}: {exc}; "
                "fix audio_path or pass audio=(samples, sr)"
            ) from exc
        return data, int(sr)

    # ------------------------------------------------------------------ transforms
    def _replace(self, **changes: Any) -> "Animation":
        return replace(self, **changes)

    def resample(self, fps: float) -> "Animation":
        """The same animation at another frame rate.

        Curves and head pose are interpolated linearly between frames (which
        keeps weights inside [0, 1]); the frame count becomes
        ``max(1, round(duration * fps))``. Key motions move to
        ``round(time * fps)`` (their ``time`` is updated to match); locks move
        to ``round(frame * fps / old_fps)``, and locked channels keep their
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
        n_new = max(1, int(round(self.duration * new_fps)))
        t_old = self.times
        t_new = np.arange(n_new, dtype=np.float64) / new_fps
        weights = _interp_columns(t_new, t_old, self.weights)
        head = None if self.head_pose is None else _interp_columns(t_new, t_old, self.head_pose)
        keys = []
        for k in self.keys:
            frame = min(n_new - 1, max(0, int(round(k.time * new_fps))))
            keys.append(replace(k, frame=frame, time=frame / new_fps))
        locks: dict[int, dict[str, float]] = {}
        for f, ch in self.locks.items():
            nf = min(n_new - 1, max(0, int(round(f * new_fps / self.fps))))
            locks.setdefault(nf, {}).update(ch)
        for nf, ch in locks.items():
            for name, v in ch.items():
                weights[nf, ARKIT_NAMES.index(name)] = v
        return self._replace(fps=new_fps, weights=weights, head_pose=head, keys=keys, locks=locks)

    def slice(self, start: float | None = None, end: float | None = None) -> "Animation":
        """The frames between two times, as a new animation starting at 0.

        Frames ``round(start * fps)`` up to (excluding) ``round(end * fps)`` are
        kept. Phones and words are clipped to the span and shifted; keys and
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
        f0 = 0 if start is None else int(round(float(start) * self.fps))
        f1 = self.n_frames if end is None else int(round(float(end) * self.fps))
        f0, f1 = max(0, f0), min(self.n_frames, f1)
        if f1 <= f0:
            raise AnimationError(
                f"slice {start!r}..{end!r} s holds no frame of this {self.duration:.3f} s animation"
            )
        t0, t1 = f0 / self.fps, f1 / self.fps

        def clip_tier(items: Iterable[Interval]) -> list[Interval]:
            out = []
            for iv in items:
                s, e = max(iv.start, t0), min(iv.end, t1)
                if e > s:
                    out.append(replace(iv, start=s - t0, end=e - t0))
            return out

        keys = [
            replace(k, frame=k.frame - f0, time=(k.frame - f0) / self.fps)
            for k in self.keys
            if f0 <= k.frame < f1
        ]
        locks = {f - f0: dict(ch) for f, ch in self.locks.items() if f0 <= f < f1}
        return self._replace(
            weights=self.weights[f0:f1],
            head_pose=None if self.head_pose is None else self.head_pose[f0:f1],
            phones=clip_tier(self.phones),
            words=clip_tier(self.words),
            keys=keys,
            locks=locks,
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
            "format": _FORMAT_NAME,
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
        from ..atomic import atomic_write

        try:
            meta_json = json.dumps(self.to_metadata(), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"animation metadata is not JSON-serialisable: {exc}") from exc
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
            "metadata": np.array(meta_json),
            "weights": self.weights,
        }
        if self.head_pose is not None:
            arrays["head_pose"] = self.head_pose
        if self.audio is not None:
            arrays["audio"] = self.audio[0]
        path = Path(path)
        with atomic_write(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
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
        if not path.is_file():
            raise AnimationError(f"animation file {path} does not exist")
        if not zipfile.is_zipfile(path):  # not an .npz at all: say so, not numpy's "allow_pickle" message
            hint = (" It looks like a JSON export: read it with kmtalk.load "
                    "(the CLI's export, render and retime accept .json)."
                    if path.suffix.lower() == ".json" else "")
            raise AnimationError(f"{path} is not a kmtalk animation (.npz written by Animation.save).{hint}")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
            raise AnimationError(
                f"{path} is not a readable kmtalk animation (.npz written by Animation.save): {exc}"
            ) from exc
        for key in ("format_version", "metadata", "weights"):
            if key not in arrays:
                raise AnimationError(
                    f"{path} is not a kmtalk animation: it has no {key!r} array "
                    f"(found {sorted(arrays)})"
                )
        try:
            version = int(arrays["format_version"])
        except (TypeError, ValueError) as exc:
            raise AnimationError(f"{path}: unreadable format_version") from exc
        if version != FORMAT_VERSION:
            raise AnimationError(
                f"{path} has animation format version {version}; this kmtalk reads version "
                f"{FORMAT_VERSION}. Re-export it with a matching kmtalk version."
            )
        try:
            meta = json.loads(str(arrays["metadata"]))
        except (json.JSONDecodeError, TypeError) as exc:
            raise AnimationError(f"{path}: corrupt metadata JSON: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT_NAME:
            raise AnimationError(f"{path}: metadata does not describe a kmtalk animation")
        names = meta.get("names")
        if names is not None and tuple(names) != ARKIT_NAMES:
            if sorted(names) != sorted(ARKIT_NAMES):
                raise AnimationError(f"{path}: its channels are not the 52 ARKit blendshapes")
            order = [list(names).index(n) for n in ARKIT_NAMES]
            arrays["weights"] = arrays["weights"][:, order]
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


def _interp_columns(t_new: np.ndarray, t_old: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of each column of [T, C] values onto new times (held at the ends)."""
    if len(t_old) == 1:
        return np.repeat(values[:1], len(t_new), axis=0).astype(values.dtype)
    pos = np.clip(t_new * (1.0 / (t_old[1] - t_old[0])), 0, len(t_old) - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, len(t_old) - 1)
    a = (pos - i0)[:, None]
    v = values.astype(np.float64)
    out = v[i0] * (1.0 - a) + v[i1] * a
    return out.astype(values.dtype)
