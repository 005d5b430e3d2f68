"""``render_frames`` and ``render``: the public entry points of :mod:`kmtalk.render`.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from kmtalk.io.render import render
>>> w = np.zeros((15, 52), np.float32)
>>> out = render(w, pathlib.Path(tempfile.mkdtemp()) / "still.mp4", fps=15, size=64)
>>> out.suffix
'.mp4'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import AnimationError, RenderError
from ...face.headpose import rotation_matrices
from ...face.rig import Rig, default_rig, validate_weights
from .curves import curve_strip
from .scene import FaceRenderer
from .video import write_mp4

__all__ = ["check_size", "render", "render_frames"]

log = logging.getLogger(__name__)

_MIN_SIZE, _MAX_SIZE = 16, 4096  # pixels per view (FaceRenderer checks the same range)
_VIEWS = {"front": ("front",), "side": ("side",), "both": ("front", "side")}
_CHUNK = 64  # frames evaluated at once


def _pose_matrices(head_pose: Any, n: int) -> np.ndarray | None:
    """``[T, 4, 4]`` head transforms from ``[T, 6]`` (or ``[T, 3]``) pitch, yaw, roll, tx, ty, tz."""
    if head_pose is None:
        return None

    hp = np.asarray(head_pose, np.float64)
    if hp.ndim != 2 or hp.shape[0] != n or hp.shape[1] not in (3, 6):
        raise AnimationError(f"head_pose must be [T, 6] (or [T, 3]) with T={n}, got {list(hp.shape)}")
    if not np.isfinite(hp).all():
        raise AnimationError("head_pose contains NaN or infinite values")
    m = np.tile(np.eye(4), (n, 1, 1))
    m[:, :3, :3] = rotation_matrices(hp)
    if hp.shape[1] == 6:
        m[:, :3, 3] = hp[:, 3:6]
    return m


def render_frames(rig: Rig, weights: Any, *, size: int = 512, view: str = "front",
                  head_pose: Any = None, samples: int = 0) -> Iterator[np.ndarray]:
    """Yield one ``uint8 [H, W, 3]`` RGB frame per row of ``weights``.

    Parameters
    ----------
    rig : Rig
        The head to draw (``kmtalk.default_rig()`` or a custom rig).
    weights : array_like
        ``[T, 52]`` ARKit weights (or ``[52]`` for one frame); clipped to [0, 1],
        NaN/inf or a wrong shape raise :class:`~kmtalk.errors.AnimationError`.
    size : int, default 512
        Height and width of one view (rounded up to even).
    view : {"front", "side", "both"}
        ``both`` puts the front and the side (subject's left profile) views side by side.
    head_pose : array_like, optional
        ``[T, 6]`` pitch, yaw, roll (radians), tx, ty, tz (metres) — the
        convention of :mod:`kmtalk.face.headpose`.
    samples : int, default 0
        Multisample anti-aliasing: 0 is the fastest (≥ 100 frames/s at 512² on a
        2-core CPU, see docs/benchmarks.md); 4 gives smoother edges at about half the speed.

    Yields
    ------
    numpy.ndarray
        ``[size, size × n_views, 3]`` uint8.

    Raises
    ------
    RenderError
        No EGL/OpenGL (the message says what to install), a bad size or view.
    AnimationError
        Malformed weights or head pose.

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.rig import default_rig
    >>> from kmtalk.io.render import render_frames
    >>> next(render_frames(default_rig(), np.zeros(52), size=64, view="both")).shape
    (64, 128, 3)
    """
    if view not in _VIEWS:
        raise RenderError(f"view must be one of {sorted(_VIEWS)}, got {view!r}")
    w = validate_weights(weights)
    if w.ndim == 1:
        w = w[None]
    poses = _pose_matrices(head_pose, len(w))
    renderer = FaceRenderer(rig, size=size, views=_VIEWS[view], samples=samples)
    try:
        for start in range(0, len(w), _CHUNK):
            verts = rig.evaluate(w[start:start + _CHUNK])
            for k, v in enumerate(verts):
                yield renderer.draw(v, None if poses is None else poses[start + k])
    finally:
        renderer.release()


def _as_animation(obj: Any, fps: float | None, what: str, default_fps: float = 30.0):
    """``(weights [T, 52], fps, head_pose or None, audio or None, rig or None)`` from an input."""
    if hasattr(obj, "weights"):
        weights = np.asarray(obj.weights, np.float32)
        anim_fps = float(getattr(obj, "fps", fps or default_fps))
        head_pose = getattr(obj, "head_pose", None)
        audio = None
        if hasattr(obj, "load_audio"):
            audio = obj.load_audio()
        elif getattr(obj, "audio", None) is not None:
            audio = obj.audio
        elif getattr(obj, "audio_path", None):
            audio = obj.audio_path
        rig = getattr(obj, "rig", None)
        return weights, anim_fps if fps is None else float(fps), head_pose, audio, rig
    if isinstance(obj, (str, os.PathLike)):
        raise RenderError(
            f"{what}: pass an Animation or a [T, 52] array, not a path "
            "(load it first: kmtalk.Animation.load(path))"
        )
    return np.asarray(obj, np.float32), float(fps or default_fps), None, None, None


def check_size(size: Any) -> int:
    """Validate a render size (pixels per view) as the user gave it; returns it as an int.

    Raises
    ------
    RenderError
        Not an integer in [16, 4096] (odd sizes are rounded up to even when rendering).

    Examples
    --------
    >>> check_size(512)
    512
    """
    try:
        value = int(size)
    except (TypeError, ValueError):
        raise RenderError(f"size must be an integer number of pixels, got {size!r}") from None
    if value != size or not _MIN_SIZE <= value <= _MAX_SIZE:
        raise RenderError(f"size must be between {_MIN_SIZE} and {_MAX_SIZE} pixels, got {size}")
    return value


def render(animation_or_weights: Any, path: str | os.PathLike, *, rig: Rig | None = None,
           fps: float | None = None, audio: Any = None, size: int = 512, side: bool = False,
           curves: bool = False, compare: Any = None, samples: int = 0, progress: bool = False) -> Path:
    """Render an animation to an MP4 (H.264 + AAC) with its audio muxed in.

    Parameters
    ----------
    animation_or_weights : Animation or array_like
        An object with ``.weights`` ``[T, 52]`` and ``.fps`` (and optionally
        ``.head_pose``, ``.load_audio()`` / ``.audio`` / ``.audio_path``,
        ``.rig``) — e.g. :class:`kmtalk.Animation` — or a raw ``[T, 52]`` array.
    path : str or path-like
        Output ``.mp4``; written to a temporary file and renamed when complete.
    rig : Rig, optional
        The head; default: the animation's rig, else :func:`kmtalk.face.rig.default_rig`.
    fps : float, optional
        Frame rate; default: the animation's, else 30.
    audio : str, path-like or (samples, sample_rate), optional
        Sound to mux; default: the animation's audio, if any.
    size : int, default 512
        Pixels per view (height and width).
    side : bool, default False
        Add the side view to the right of the front view.
    curves : bool, default False
        Add a strip of the main curves (:data:`kmtalk.io.render.curves.CURVES`) under the face.
    compare : Animation or array_like, optional
        A second animation drawn to the right, same rig and views; the shorter one
        holds its last frame. Its frame rate must match.
    samples : int, default 0
        Multisample anti-aliasing (4 for smoother edges, about half the speed).
    progress : bool, default False
        Show a progress bar on stderr (the CLI turns it on).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    RenderError
        No EGL/OpenGL, ffmpeg failure, bad arguments.
    AnimationError
        Malformed weights.

    Examples
    --------
    >>> import kmtalk  # doctest: +SKIP
    >>> anim = kmtalk.animate("line.wav", "the transcript")  # doctest: +SKIP
    >>> kmtalk.render(anim, "line.mp4", side=True, curves=True)  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise RenderError(f"render writes .mp4 files, got {path.name!r}")
    check_size(size)
    weights, fps_a, pose_a, audio_a, rig_a = _as_animation(animation_or_weights, fps, "animation")
    rig = rig or rig_a or default_rig()
    weights = validate_weights(weights, what="animation weights")
    if weights.ndim == 1:
        weights = weights[None]
    if len(weights) == 0:
        raise AnimationError("the animation has no frames")
    if not fps_a > 0:
        raise RenderError(f"fps must be positive, got {fps_a}")
    panels = [(weights, pose_a)]
    if compare is not None:
        w_b, fps_b, pose_b, _, _ = _as_animation(compare, None, "compare", default_fps=fps_a)
        if abs(fps_b - fps_a) > 1e-6:
            raise RenderError(f"compare has {fps_b} fps, the animation {fps_a}; resample one first")
        w_b = validate_weights(w_b, what="compare weights")
        panels.append((w_b if w_b.ndim == 2 else w_b[None], pose_b))
    audio = audio if audio is not None else audio_a
    view = "both" if side else "front"
    n_frames = max(len(w) for w, _ in panels)
    size = int(size) + int(size) % 2
    strip_h = (size // 4) + (size // 4) % 2

    def frames() -> Iterator[np.ndarray]:
        gens = [render_frames(rig, w, size=size, view=view, head_pose=p, samples=samples)
                for w, p in panels]
        last: list[np.ndarray | None] = [None] * len(panels)
        try:
            for i in range(n_frames):
                tiles = []
                for k, (gen, (w, _)) in enumerate(zip(gens, panels)):
                    if i < len(w):
                        last[k] = next(gen)
                    tile = last[k]
                    if curves:
                        strip = curve_strip(w, min(i, len(w) - 1), fps=fps_a,
                                            width=tile.shape[1], height=strip_h)
                        tile = np.concatenate([tile, strip], axis=0)
                    tiles.append(tile)
                yield np.concatenate(tiles, axis=1) if len(tiles) > 1 else tiles[0]
        finally:
            for gen in gens:
                gen.close()

    log.info("rendering %d frames at %g fps to %s", n_frames, fps_a, path)
    stream: Iterator[np.ndarray] = frames()
    if progress:
        from tqdm import tqdm

        stream = iter(tqdm(stream, total=n_frames, desc="render", unit="frame", leave=False))
    return write_mp4(stream, path, fps=fps_a, audio=audio)
