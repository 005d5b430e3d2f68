"""Write RGB frames and audio to an H.264 + AAC MP4 with the ffmpeg bundled in imageio-ffmpeg.

The file is written under a temporary name in the target folder and renamed
when complete, so a failed render never leaves a half-written video.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from kmtalk.io.render.video import write_mp4
>>> out = pathlib.Path(tempfile.mkdtemp()) / "grey.mp4"
>>> write_mp4((np.full((64, 64, 3), 128, np.uint8) for _ in range(10)), out, fps=10).name
'grey.mp4'
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ...atomic import atomic_write
from ...errors import RenderError

__all__ = ["write_mp4"]

log = logging.getLogger(__name__)


def _audio_file(audio, tmpdir: str) -> str | None:
    """A path ffmpeg can read for ``audio``: a path as is, ``(samples, sr)`` written to WAV."""
    if audio is None:
        return None
    if isinstance(audio, (str, os.PathLike)):
        if not Path(audio).is_file():
            raise RenderError(f"audio file {audio} does not exist")
        return os.fspath(audio)
    try:
        samples, sr = audio
        samples = np.asarray(samples, np.float32)
        sr = int(sr)
    except (TypeError, ValueError) as err:
        raise RenderError("audio must be a file path or a (samples, sample_rate) pair") from err
    if samples.size == 0:
        return None
    import soundfile as sf

    path = os.path.join(tmpdir, "audio.wav")
    sf.write(path, np.clip(samples, -1.0, 1.0), sr, subtype="PCM_16")
    return path


def write_mp4(frames: Iterable[np.ndarray], path: str | os.PathLike, *, fps: float,
              audio=None, crf: int = 20) -> Path:
    """Encode ``uint8 [H, W, 3]`` frames (even H and W) as H.264/yuv420p, muxing AAC audio.

    Parameters
    ----------
    frames : iterable of numpy.ndarray
        All frames must have the same even size.
    path : str or path-like
        Output ``.mp4``.
    fps : float
        Frame rate.
    audio : str, path-like or (samples, sample_rate), optional
        Sound to mux in (AAC); its length is kept as is.
    crf : int
        x264 quality (lower is better; 20 is visually clean for previews).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    RenderError
        No frames, odd or changing frame size, unreadable audio or an ffmpeg failure.
    """
    import imageio_ffmpeg

    path = Path(path)
    writer = None
    n = 0
    with atomic_write(path) as tmp:
        try:
            with tempfile.TemporaryDirectory(prefix="kmtalk-render-") as tmpdir:
                audio_path = _audio_file(audio, tmpdir)
                size = None
                for frame in frames:
                    frame = np.ascontiguousarray(frame, np.uint8)
                    if size is None:
                        h, w = frame.shape[:2]
                        if frame.ndim != 3 or frame.shape[2] != 3 or h % 2 or w % 2:
                            raise RenderError(f"frames must be [H, W, 3] with even H and W, got {frame.shape}")
                        size = (w, h)
                        writer = imageio_ffmpeg.write_frames(
                            str(tmp), size, fps=fps, codec="libx264", pix_fmt_in="rgb24",
                            pix_fmt_out="yuv420p", macro_block_size=2, quality=None,
                            output_params=["-crf", str(crf), "-preset", "veryfast",
                                           "-movflags", "+faststart"]
                            + (["-b:a", "160k"] if audio_path else []),
                            audio_path=audio_path, audio_codec="aac" if audio_path else None,
                            ffmpeg_log_level="error",
                        )
                        writer.send(None)
                    elif frame.shape[1::-1] != size:
                        raise RenderError(f"frame {n} has size {frame.shape[1::-1]}, expected {size}")
                    writer.send(frame)
                    n += 1
                if writer is None:
                    raise RenderError("no frames to write (empty animation?)")
                writer.close()
                writer = None
        except RenderError:
            raise
        except Exception as err:
            raise RenderError(f"writing {path} failed: {err}") from err
        finally:
            if writer is not None:
                try:
                    writer.close()
                except Exception:  # pragma: no cover
                    pass
    log.info("wrote %s: %d frames at %g fps%s", path, n, fps, " with audio" if audio else "")
    return path
