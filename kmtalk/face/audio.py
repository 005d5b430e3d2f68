"""The audio under an animation: the span of its recording that its frames cover.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.audio import audio_span
>>> samples, sr = audio_span((np.arange(16000, dtype=np.float32), 16000), None, 0.25, 0.5)
>>> len(samples), sr, float(samples[0])
(8000, 16000, 4000.0)
"""

from __future__ import annotations

import numpy as np
import soundfile as sf

from ..errors import AudioError

__all__ = ["audio_span"]


def audio_span(audio: tuple[np.ndarray, int] | None, audio_path: str | None, offset: float,
               duration: float) -> tuple[np.ndarray, int] | None:
    """``duration`` seconds from ``offset``: from ``audio`` (in memory) when set, else read from
    ``audio_path`` (only that span; a shorter recording gives what exists). None without either.

    Raises
    ------
    AudioError
        If ``audio_path`` cannot be read.
    """
    if audio is not None:
        samples, sr = audio
        i0 = int(round(offset * sr))
        i1 = i0 + int(round(duration * sr))
        return samples[i0:i1], sr
    if audio_path is None:
        return None
    try:
        info = sf.info(audio_path)
        i0 = int(round(offset * info.samplerate))
        i1 = i0 + int(round(duration * info.samplerate))
        data, sr = sf.read(
            audio_path,
            start=min(i0, info.frames),
            stop=min(i1, info.frames),
            dtype="float32",
            always_2d=False,
        )
    except (RuntimeError, OSError, sf.LibsndfileError) as exc:
        raise AudioError(
            f"cannot read the animation's audio {audio_path!r}: {exc}; "
            "fix audio_path or pass audio=(samples, sr)"
        ) from exc
    return data, int(sr)
