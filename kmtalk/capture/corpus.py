"""Capture every video of a folder into a training corpus: one ``NAME.npz`` per clip and a manifest.

Each ``NAME.npz`` is an :meth:`Animation.save <kmtalk.Animation.save>` file
(load it with :meth:`kmtalk.Animation.load`) holding the captured weights at
``fps``, the head pose, the clip's audio (in the file) and ``meta`` with
``captured_channels`` / ``uncaptured`` (``tongueOut`` is not measured:
mask it out of losses), ``face_fraction``, ``face_gaps``, ``long_face_gaps``
and ``av_offset`` (seconds, positive when the audio lags the video; see
:mod:`kmtalk.capture.offsets`; estimated against the prior animated from the
clip's transcript: ``NAME.txt`` or the ``transcripts_asr.tsv`` of the
folder when present, else the recognised speech). ``manifest.json`` lists every clip with its
file, frames, offset, or the error that made it fail; a clip that fails
leaves no ``.npz``.

Examples
--------
>>> from kmtalk.capture.corpus import capture_folder
>>> rows = capture_folder("../shared/data/video-train", "corpus/")  # doctest: +SKIP
>>> rows[0]["file"], rows[0]["av_offset"]["offset"]  # doctest: +SKIP
('edtalk_mouth_source.npz', 0.04)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import KmtalkError, VideoError

from ..atomic import atomic_write

__all__ = ["VIDEO_EXTENSIONS", "capture_folder", "folder_transcripts", "video_files"]

log = logging.getLogger(__name__)

#: File extensions taken as videos in a folder.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")


def folder_transcripts(folder: str | os.PathLike[str]) -> dict[str, str]:
    """Transcripts of a folder's clips: ``transcripts_asr.tsv`` (name, text) overridden by ``NAME.txt`` files."""
    import csv

    folder = Path(folder)
    texts: dict[str, str] = {}
    tsv = folder / "transcripts_asr.tsv"
    if tsv.is_file():
        with open(tsv, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
        texts = {r[0]: r[1] for r in rows[1:] if len(r) >= 2 and r[1].strip()}
    for txt in folder.glob("*.txt"):
        texts[txt.stem] = txt.read_text("utf-8").strip()
    return texts


def video_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The videos directly in ``folder`` (by extension), sorted by name.

    Raises
    ------
    VideoError
        ``folder`` is not a folder, or holds no video.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise VideoError(f"{folder} is not a folder of videos")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
    if not files:
        raise VideoError(f"{folder} holds no video ({', '.join(VIDEO_EXTENSIONS)})")
    return files


def capture_folder(folder: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, fps: float = 30.0,
                   calibrate: str | int | None = None, estimate_offset: bool = True,
                   cache_dir: str | os.PathLike[str] | None = None, overwrite: bool = False,
                   progress: Callable[[int, int, str], None] | None = None, **options: Any) -> list[dict[str, Any]]:
    """Capture each video of ``folder`` into ``out_dir/NAME.npz`` and write ``out_dir/manifest.json``.

    Parameters
    ----------
    folder : str or PathLike
        A folder of videos (:data:`VIDEO_EXTENSIONS`), e.g. ``../shared/data/video-train``.
    out_dir : str or PathLike
        Created when missing.
    fps, calibrate
        As for :func:`kmtalk.capture`.
    estimate_offset : bool, default True
        Store each clip's A/V offset in ``meta["av_offset"]``.
    cache_dir : str or PathLike, optional
        Track cache (see :func:`~kmtalk.capture.track.track_video`).
    overwrite : bool, default False
        Recapture clips whose ``.npz`` exists (else they are read back for the manifest).
    progress : callable, optional
        Called ``(done, total, name)`` after each clip.
    **options
        Passed to :func:`kmtalk.capture` (``retarget``, ``max_gap``, ``min_face``, ``require_audio`` ...).

    Returns
    -------
    list of dict
        One row per video: ``name``, ``file`` (None on failure), ``frames``,
        ``fps``, ``face_fraction``, ``long_face_gaps``, ``av_offset``, ``error``.

    Raises
    ------
    VideoError
        ``folder`` holds no video.
    """
    from ..face.animation import Animation
    from .api import capture

    files = video_files(folder)
    texts = folder_transcripts(folder)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for k, video in enumerate(files):
        target = out / f"{video.stem}.npz"
        row: dict[str, Any] = {"name": video.stem, "video": str(video), "file": None, "error": None}
        try:
            if target.is_file() and not overwrite:
                anim = Animation.load(target)
            else:
                anim = capture(video, fps=fps, calibrate=calibrate, estimate_offset=estimate_offset,
                               transcript=texts.get(video.stem), cache_dir=cache_dir, **options)
                anim.save(target)
            row.update(file=target.name, frames=anim.n_frames, fps=anim.fps,
                       face_fraction=anim.meta.get("face_fraction"),
                       long_face_gaps=anim.meta.get("long_face_gaps"), av_offset=anim.meta.get("av_offset"))
        except KmtalkError as exc:
            log.warning("%s: not captured: %s", video.name, exc)
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
        if progress is not None:
            progress(k + 1, len(files), video.stem)
    with atomic_write(out / "manifest.json") as tmp:
        Path(tmp).write_text(json.dumps({"format": "kmtalk.capture_corpus", "fps": fps, "calibrate": calibrate,
                                         "clips": rows}, indent=1) + "\n", "utf-8")
    return rows
