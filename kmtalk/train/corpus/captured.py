"""A training corpus from real talking-head video: captured mouth motion on the audio's clock.

Each clip is captured with :func:`kmtalk.capture` (the tracker's ARKit
weights, retargeted to our rig), moved onto the audio's clock by its A/V
offset, and written in the synthetic corpus's layout, so the same
``kmtalk train`` reads it (:class:`completion.data.SyntheticCorpus`)::

    OUT/wav/NAME.wav            16-bit PCM, 16 kHz mono (the clip's audio)
    OUT/alignments/NAME.json    forced alignment of the clip's transcript
    OUT/keys/NAME.json          key motions selected as at inference
    OUT/curves/NAME.npy         float32 [T, 52] targets at ``fps`` on the audio's clock
    OUT/captured/NAME.npy       float32 [T, 52] the captured weights on the same grid (all channels)
    OUT/manifest.jsonl          one object per clip: id, text, speaker, group, source, av_offset, split, paths
    OUT/corpus.json             settings: supervised channels, offsets' source, fps

**What the targets hold.** The jaw, mouth and cheek channels
(:data:`SUPERVISED_PREFIXES`, 30 of the 52) are the captured ones. Every other
channel is kmtalk's prior animated from the same alignment: the eyes, brows
and nose of a talking head are not driven by speech, and ``tongueOut`` is not
measured by the tracker (it is reported in the capture's ``meta["uncaptured"]``),
so the model keeps the prior's tongue at /l/, /θ/ and /ð/ instead of learning a
tongue that never moves. ``captured/`` keeps all captured channels for
evaluation.

**Clocks.** An offset (seconds, positive when the audio lags the video, the
convention of :mod:`kmtalk.capture.offsets`) maps video time ``t`` to audio
time ``t + offset``: target frame ``i`` (audio time ``i / fps``) takes the
captured weights at video time ``i / fps - offset``, held at the ends.

Examples
--------
>>> from kmtalk.train.corpus.captured import supervised_channels
>>> len(supervised_channels()), supervised_channels()[:2]
(30, ('jawForward', 'jawLeft'))
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.errors import AlignmentError, KmtalkError

from ...atomic import atomic_write

__all__ = ["SUPERVISED_PREFIXES", "build_captured_corpus", "captured_line", "supervised_channels",
           "to_audio_clock"]

log = logging.getLogger(__name__)

#: ARKit channels whose captured values are the training targets (by name prefix).
SUPERVISED_PREFIXES = ("jaw", "mouth", "cheek")


def supervised_channels() -> tuple[str, ...]:
    """The ARKit names that a captured corpus takes from the video (jaw, mouth and cheek channels)."""
    from ... import ARKIT_NAMES

    return tuple(n for n in ARKIT_NAMES if n.startswith(SUPERVISED_PREFIXES))


def to_audio_clock(weights: np.ndarray, fps: float, offset: float, n_frames: int) -> np.ndarray:
    """Resample per-frame values on the video's clock onto ``n_frames`` frames of the audio's clock.

    Parameters
    ----------
    weights : ndarray [T, C]
        Frame ``i`` at video time ``i / fps``.
    fps : float
    offset : float
        Seconds, positive when the audio lags the video.
    n_frames : int
        Frames of the output (frame ``i`` at audio time ``i / fps``).

    Returns
    -------
    ndarray [n_frames, C], float32
        Values at video time ``i / fps - offset``, linearly interpolated and held at the ends.

    Examples
    --------
    >>> import numpy as np
    >>> to_audio_clock(np.arange(5.0)[:, None], 10.0, 0.1, 4)[:, 0].tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    w = np.asarray(weights, dtype=np.float64)
    src = np.arange(w.shape[0]) / float(fps)
    t = np.arange(int(n_frames)) / float(fps) - float(offset)
    return np.stack([np.interp(t, src, w[:, c]) for c in range(w.shape[1])], axis=1).astype(np.float32)


def captured_line(video: str | os.PathLike[str], transcript: str, *, offset: float | None = None,
                  fps: float = 30.0, cache_dir: str | os.PathLike[str] | None = None,
                  audio: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Capture one clip and make its training arrays (nothing is written).

    Parameters
    ----------
    video : str or PathLike
        A talking-head video with one face and an audio track.
    transcript : str
        What is said (forced-aligned to the audio).
    offset : float, optional
        A/V offset in seconds (positive: audio lags video). Default: estimated
        by :func:`kmtalk.capture` against the prior.
    fps : float, default 30
    cache_dir : str or PathLike, optional
        Track cache (see :func:`kmtalk.capture.track.track_video`).
    audio : str or PathLike, optional
        The clip's audio as a file (default: the video's own track).

    Returns
    -------
    dict
        ``samples``, ``sample_rate``, ``alignment``, ``keys``, ``curves`` [T, 52]
        (targets), ``captured`` [T, 52], ``offset``, ``meta`` (the capture's).

    Raises
    ------
    VideoError, FaceNotFoundError, AlignmentError
        The video cannot be captured or the transcript cannot be aligned.
    """
    from phoneme.aligning import align
    from phoneme.audio import load_audio
    from phoneme.loudness import frame_loudness

    from ... import ARKIT_NAMES
    from ...animator.prior import animate_prior
    from ...animator.prior.coarticulation import n_frames_for
    from ...capture import capture

    anim = capture(video, fps=fps, cache_dir=cache_dir, estimate_offset=offset is None,
                   transcript=transcript if offset is None else None)
    if offset is None:
        offset = float((anim.meta.get("av_offset") or {}).get("offset", 0.0))
    if audio is not None:
        samples, sr = load_audio(audio, sample_rate=16000)
    else:
        got = anim.load_audio()
        if got is None:
            raise KmtalkError(f"{video} has no audio track and no audio= file was given")
        samples, sr = got
    n = n_frames_for(len(samples) / sr, fps)
    try:
        alignment = align((samples, sr), transcript)
    except AlignmentError as exc:  # pocketsphinx gives up on some real lines; the DTW aligner rarely does
        log.info("%s: %s; aligning with synthesis_dtw instead", video, exc)
        alignment = align((samples, sr), transcript, aligner="synthesis_dtw")
    loud = frame_loudness(samples, sr, fps, n_frames=n)
    prior, keys = animate_prior(alignment, fps, loudness_db=loud, n_frames=n)
    captured = to_audio_clock(anim.weights, anim.fps, offset, n)
    curves = prior.copy()
    idx = [ARKIT_NAMES.index(c) for c in supervised_channels()]
    curves[:, idx] = np.clip(captured[:, idx], 0.0, 1.0)
    return {"samples": samples, "sample_rate": sr, "alignment": alignment, "keys": keys,
            "curves": curves.astype(np.float32), "captured": captured, "offset": float(offset),
            "meta": dict(anim.meta)}


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_write(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.asarray(array, np.float32), allow_pickle=False)


def build_captured_corpus(
    clips: Iterable[Mapping[str, Any]],
    out: str | os.PathLike[str],
    *,
    fps: float = 30.0,
    cache_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[dict[str, Any]]:
    """Capture clips into a training corpus folder (layout in the module docstring).

    Parameters
    ----------
    clips : iterable of mapping
        One per clip: ``video`` (path), ``text`` (transcript) and optionally
        ``name`` (default: the video's stem), ``audio`` (a wav beside it),
        ``offset`` (seconds; default: estimated), ``speaker``, ``group``
        (default: the speaker, else the name), ``source``, ``split``
        (default ``"train"``).
    out : str or PathLike
        The corpus folder (created).
    fps : float, default 30
    cache_dir : str or PathLike, optional
        Track cache, so a rebuild does not track the videos again.
    overwrite : bool, default False
        Replace a corpus already in ``out``.
    progress : callable, optional
        ``progress(done, total, name)`` after each clip.

    Returns
    -------
    list of dict
        The manifest rows. A clip that cannot be captured or aligned is logged
        and left out (its error is in ``corpus.json``'s ``skipped``).

    Raises
    ------
    KmtalkError
        ``out`` already holds a corpus and ``overwrite`` is false, a clip has no
        ``video`` or ``text``, or no clip could be used.

    Examples
    --------
    >>> rows = build_captured_corpus([{"video": "clip.mp4", "text": "hello there", "speaker": "ann"}],
    ...                              "corpus/")  # doctest: +SKIP
    >>> rows[0]["group"]  # doctest: +SKIP
    'ann'
    """
    import soundfile

    clips = list(clips)
    root = Path(out)
    if (root / "manifest.jsonl").exists() and not overwrite:
        raise KmtalkError(f"{root} already holds a corpus (manifest.jsonl); pass overwrite=True to replace it")
    for c in clips:
        if not c.get("video") or not str(c.get("text") or "").strip():
            raise KmtalkError(f"every clip needs a video and a transcript, got {dict(c)!r}")
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for k, c in enumerate(clips):
        name = str(c.get("name") or Path(c["video"]).stem)
        try:
            line = captured_line(c["video"], str(c["text"]), offset=c.get("offset"), fps=fps,
                                 cache_dir=cache_dir, audio=c.get("audio"))
        except KmtalkError as exc:
            log.warning("%s left out of the corpus: %s", name, exc)
            skipped[name] = f"{type(exc).__name__}: {exc}"
            continue
        for sub in ("wav", "alignments", "keys", "curves", "captured"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        rel = {"wav": f"wav/{name}.wav", "alignment": f"alignments/{name}.json", "keys": f"keys/{name}.json",
               "curves": f"curves/{name}.npy", "captured": f"captured/{name}.npy"}
        with atomic_write(root / rel["wav"]) as tmp:
            soundfile.write(str(tmp), line["samples"], line["sample_rate"], subtype="PCM_16", format="WAV")
        with atomic_write(root / rel["alignment"]) as tmp:
            Path(tmp).write_text(json.dumps(line["alignment"].to_dict(), ensure_ascii=False), "utf-8")
        with atomic_write(root / rel["keys"]) as tmp:
            Path(tmp).write_text(json.dumps([km.to_dict() for km in line["keys"]]), "utf-8")
        _save_npy(root / rel["curves"], line["curves"])
        _save_npy(root / rel["captured"], line["captured"])
        meta = line["meta"]
        rows.append({
            "id": name, "text": str(c["text"]), "speaker": c.get("speaker"),
            "group": str(c.get("group") or c.get("speaker") or name), "source": c.get("source"),
            "split": str(c.get("split") or "train"), "fps": float(fps),
            "duration": round(len(line["samples"]) / line["sample_rate"], 4),
            "n_frames": int(line["curves"].shape[0]), "n_keys": len(line["keys"]),
            "av_offset": line["offset"], "face_fraction": meta.get("face_fraction"), **rel})
        if progress is not None:
            progress(k + 1, len(clips), name)
    if not rows:
        raise KmtalkError(f"no clip could be captured into {root}: {skipped}")
    with atomic_write(root / "manifest.jsonl") as tmp:
        Path(tmp).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    with atomic_write(root / "corpus.json") as tmp:
        Path(tmp).write_text(json.dumps({
            "format": "kmtalk.captured_corpus", "version": 1, "fps": fps,
            "supervised_channels": list(supervised_channels()),
            "other_channels": "kmtalk's prior from the same alignment (tongueOut is not captured)",
            "skipped": skipped}, indent=1) + "\n", "utf-8")
    return rows
