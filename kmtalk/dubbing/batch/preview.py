"""What the QC page's player needs of one line, written beside the line's record as ``<id>.preview.js``.

The browser player (``assets/web/player.js``) loads the default head once
(:func:`write_head`: the ``.glb`` that :func:`kmtalk.io.exporters.gltf.write_gltf`
writes, with its 52 ARKit and corrective morph targets) and, per line, the
morph-weight track of the line's glTF animation (the same float32 samples, in
the same target order, that the line's ``.glb`` holds), its head pose, phones
and audio. 10,000 lines then cost 10,000 small files, not 10,000 heads.

Both files are *classic scripts* that call a function of the page
(``kmtalkReport.headLoaded(...)`` / ``kmtalkReport.lineLoaded(...)``): a page
opened from a ``file://`` URL may load scripts from neighbouring files, but
Chromium refuses it ``fetch()`` and module scripts there. Binary data travel
as base64 (float32 little-endian; the GLB; the audio as a WAV ``data:`` URI).

Examples
--------
>>> import kmtalk
>>> anim = kmtalk.animate("line.wav", "Bob fed five blue balloons.")   # doctest: +SKIP
>>> write_preview(anim, "out/l1.preview.js", line_id="l1", version="ab12")  # doctest: +SKIP
PosixPath('out/l1.preview.js')
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_write
from ...errors import ExportError
from ...face.animation import Animation
from ...face.headpose import quaternions
from ...face.rig import Rig, default_rig
from ...io.exporters.gltf import _corrective_weights, write_gltf

__all__ = ["HEAD_FORMAT", "LINE_FORMAT", "existing_preview", "line_track", "make_line_preview", "preview_path",
           "read_preview", "write_head", "write_preview"]

log = logging.getLogger(__name__)

LINE_FORMAT = "kmtalk.preview.line"
HEAD_FORMAT = "kmtalk.preview.head"
_VERSION = 1
_LINE_CALL = "kmtalkReport.lineLoaded"
_HEAD_CALL = "kmtalkReport.headLoaded"
#: Landmarks the page uses: the camera frames eyes to chin; the mouth's projection is the mouth region.
PLAYER_LANDMARKS = ("upper_lip_outer", "lower_lip_outer", "mouth_corner_left", "mouth_corner_right",
                    "upper_lip_inner", "lower_lip_inner", "chin", "nose_tip", "eye_outer_left",
                    "eye_outer_right")


def preview_path(record_file: Path, line_id: str) -> Path:
    """Where a line's preview lives: beside its record, ``<id>.preview.js``."""
    return Path(record_file).with_name(f"{line_id}.preview.js")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _f32(array: np.ndarray) -> str:
    return _b64(np.ascontiguousarray(array, dtype="<f4").tobytes())


def line_track(anim: Animation, rig: Rig | None = None) -> tuple[list[str], np.ndarray]:
    """The morph targets and weights ``[T, K]`` that the line's glTF animation holds.

    The 52 ARKit names in the rig's order, then the rig's corrective shapes
    (``corrective:<name>``, the product of their drivers) — exactly the
    ``weights`` sampler :func:`kmtalk.io.exporters.gltf.write_gltf` writes.

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.animation import Animation
    >>> names, w = line_track(Animation(fps=30, weights=np.zeros((4, 52))))
    >>> w.shape[0], names[0], w.dtype
    (4, 'eyeBlinkLeft', dtype('float32'))
    """
    rig = rig if rig is not None else anim.get_rig()
    weights = np.asarray(anim.weights_for(rig), np.float32)
    extra_names, extra = _corrective_weights(rig, weights)
    return list(rig.names) + extra_names, np.concatenate([weights, extra], 1).astype(np.float32)


def _wav_data_uri(anim: Animation) -> str | None:
    import soundfile as sf

    sound = anim.load_audio()
    if sound is None or not len(sound[0]):
        return None
    buf = io.BytesIO()
    sf.write(buf, sound[0], sound[1], subtype="PCM_16", format="WAV")
    return "data:audio/wav;base64," + _b64(buf.getvalue())


def _jsonp(call: str, payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return f"/* kmtalk QC player data (generated) */\n{call}({text});\n"


def write_preview(anim: Animation, path: str | os.PathLike[str], *, line_id: str, version: str = "",
                  qc: dict[str, Any] | None = None) -> Path:
    """Write one line's player data as a classic script (atomically).

    Parameters
    ----------
    anim : Animation
        The line, on the default head (another rig is refused: the page shows the default head).
    path : str or PathLike
        Usually :func:`preview_path` of the line's record.
    line_id : str
    version : str
        What a review decision applies to: the line's input hash (the record's ``input_hash``).
    qc : dict, optional
        The line's QC dict (missed closures are marked on the curves).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ExportError
        The animation drives another rig than the default head.
    """
    rig = default_rig()
    if anim.rig is not None and anim.rig is not rig and anim.rig.name != rig.name:
        raise ExportError(f"the QC player shows the default head; line {line_id!r} drives rig {anim.rig.name!r}")
    names, weights = line_track(anim, rig)
    pose: dict[str, str] | None = None
    if anim.head_pose is not None:
        quat = quaternions(anim.head_pose).astype(np.float64)
        quat /= np.linalg.norm(quat, axis=1, keepdims=True)
        pose = {"rotation": _f32(quat), "translation": _f32(np.asarray(anim.head_pose)[:, 3:6])}
    missed = [c.get("time") for c in (qc or {}).get("closures_missed", [])]
    payload = {
        "format": LINE_FORMAT, "version": _VERSION, "id": line_id, "line_version": version,
        "fps": float(anim.fps), "n_frames": int(anim.n_frames), "duration": float(anim.duration),
        "targets": names, "weights": _f32(weights), "head_pose": pose,
        "phones": [[p.label, round(p.start, 4), round(p.end, 4)] for p in anim.phones],
        "words": [[w.label, round(w.start, 4), round(w.end, 4)] for w in anim.words],
        "closures_missed": missed, "audio": _wav_data_uri(anim),
    }
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(_jsonp(_LINE_CALL, payload), "utf-8")
    return path


def read_preview(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read back a file written by :func:`write_preview` or :func:`write_head` (the JSON payload).

    Raises
    ------
    ExportError
        Not such a file.
    """
    text = Path(path).read_text("utf-8")
    start = max(text.find(_LINE_CALL + "("), text.find(_HEAD_CALL + "("))
    start, end = text.find("(", start), text.rfind(")")
    try:
        data = json.loads(text[start + 1:end])
    except ValueError as exc:
        raise ExportError(f"{path} is not a kmtalk player data file") from exc
    if data.get("format") not in (LINE_FORMAT, HEAD_FORMAT):
        raise ExportError(f"{path} is not a kmtalk player data file")
    return data


def write_head(path: str | os.PathLike[str]) -> Path:
    """Write the default head (a ``.glb`` with every morph target, no animation) as a classic script.

    A file already holding the same head (same kmtalk version and rig) is left alone.

    Returns
    -------
    pathlib.Path
    """
    import tempfile

    from ... import __version__

    path = Path(path)
    rig = default_rig()
    stamp = f"/* kmtalk {__version__} head {rig.name} {rig.n_vertices} v{_VERSION} */\n"
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.readline() == stamp:
                return path
    except OSError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        glb = write_gltf(Animation(fps=30.0, weights=np.zeros((1, 52), np.float32)), Path(tmp) / "head.glb",
                         rig=rig, audio=False)
        data = glb.read_bytes()
    names, _ = line_track(Animation(fps=30.0, weights=np.zeros((1, 52), np.float32)), rig)
    landmarks = {k: [float(x) for x in rig.neutral[rig.landmarks[k]]] for k in PLAYER_LANDMARKS
                 if k in rig.landmarks}
    payload = {"format": HEAD_FORMAT, "version": _VERSION, "rig": rig.name, "targets": names,
               "landmarks": landmarks, "glb": _b64(data)}
    with atomic_write(path) as tmp_path:
        tmp_path.write_text(stamp + _jsonp(_HEAD_CALL, payload), "utf-8")
    return path


def make_line_preview(anim: Animation, line_id: str, record_file: Path, qc: dict[str, Any] | None = None,
                      ) -> str | None:
    """Write a batch line's preview beside its record; never fails the line (logs and returns None).

    Returns
    -------
    str or None
        The file written.
    """
    try:
        return str(write_preview(anim, preview_path(record_file, line_id), line_id=line_id, qc=qc))
    except Exception as exc:  # noqa: BLE001 — the report goes without a player for this line
        log.warning("line %s: no player data for the report (%s: %s)", line_id, type(exc).__name__, exc)
        return None


def existing_preview(record_file: Path, line_id: str) -> str | None:
    """The preview a line skipped or kept from an earlier run left beside its record, if any."""
    path = preview_path(record_file, line_id)
    return str(path) if path.is_file() else None
