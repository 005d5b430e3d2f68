"""Audio/video offset of a talking-head clip: the lag at which the lips best follow the sound.

Real footage often carries its audio a little late or early (the shared
data's README: video ahead of the audio by 60–220 ms in real sets). The
estimate is the lag in ``[-max_offset, max_offset]`` (10 ms steps) that
maximises Pearson's r between the tracked lip aperture and an audio-driven
aperture, using :func:`kmtalk.train.metrics.best_lag`. Two audio-driven signals:

- ``"prior"`` (default): the lip aperture of kmtalk's linguistic prior
  animated from the audio (:func:`kmtalk.animate`, ``method="prior"``, the
  transcript given or recognised). It places each mouth shape where a synced
  speaker makes it relative to the sound (forced-aligned phones, with the
  lexicon's anticipation), so a synced clip peaks near 0 and the peak is sharp.
- ``"loudness"``: log-RMS loudness (40 ms window, floored 60 dB below the
  peak). Needs no transcript, but loudness follows the lips only loosely
  (r about 0.2–0.4) and the lips open *before* the sound they shape, so its
  peak is broad and biased; on the shared clips it often lands at the edge
  of the range (docs/capture.md).

**Sign convention.** ``offset > 0`` means the audio *lags* the video: the
sound of a mouth movement shown at video time ``t`` is heard at ``t +
offset`` in the file (the video is ahead). To put them in sync, read the
audio at ``t + offset`` for video time ``t`` (drop the first ``offset``
seconds of audio, or delay the video).

``r`` is reported with the offset; a low r (below ~0.25) or an offset at
the edge of the range means the estimate is unreliable.

Examples
--------
>>> import numpy as np
>>> from kmtalk.capture.offsets import aperture_audio_offset
>>> fps, sr = 25.0, 16000
>>> def opening(t):  # syllables: the mouth opens and closes about 4 times a second
...     return 0.01 + np.maximum(0, np.sin(2 * np.pi * 1.7 * t) * np.sin(2 * np.pi * 0.37 * t))
>>> mouth = opening(np.arange(250) / fps)  # on the video clock
>>> ts = np.arange(10 * sr) / sr
>>> audio = opening(ts - 0.12) * np.sin(ts * 2000)  # the sound 120 ms later
>>> est = aperture_audio_offset(mouth, fps, audio, sr, signal="loudness")
>>> round(est.offset, 2), est.r > 0.8
(0.12, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AnimationError, AudioError

if TYPE_CHECKING:  # pragma: no cover
    from ..face.animation import Animation

__all__ = ["MAX_OFFSET", "SIGNALS", "AVOffset", "aperture_audio_offset", "estimate_av_offset"]

#: The audio-driven signals the lips are matched against.
SIGNALS = ("prior", "loudness")

#: Default search range (seconds either way).
MAX_OFFSET = 0.3
_LOUDNESS_FPS = 100.0
_DYNAMIC_RANGE_DB = 60.0


@dataclass(frozen=True)
class AVOffset:
    """An audio/video offset estimate.

    Attributes
    ----------
    offset : float
        Seconds; positive when the audio lags the video (see the module text).
    r : float
        Pearson r of aperture and loudness at ``offset``.
    r_zero : float
        The same r without a shift.
    max_offset : float
        The search range used; an offset at its edge is suspect.
    signal : str
        The audio-driven signal (:data:`SIGNALS`).
    """

    offset: float
    r: float
    r_zero: float
    max_offset: float
    signal: str = "prior"

    @property
    def at_edge(self) -> bool:
        """True when the best lag is at the end of the search range (the true offset may lie beyond)."""
        return abs(abs(self.offset) - self.max_offset) < 1e-9

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, rounded to the millisecond / 4 digits."""
        d = asdict(self)
        return {"offset": round(d["offset"], 3), "r": round(d["r"], 4), "r_zero": round(d["r_zero"], 4),
                "max_offset": d["max_offset"], "signal": d["signal"], "at_edge": self.at_edge}


def _loudness(samples: np.ndarray, sample_rate: int, window: float) -> np.ndarray:
    from phoneme.loudness import frame_loudness

    db = frame_loudness(np.asarray(samples, np.float64), int(sample_rate), _LOUDNESS_FPS, window=window)
    return np.maximum(db, db.max() - _DYNAMIC_RANGE_DB)


def _prior_aperture(samples: np.ndarray, sample_rate: int, fps: float, n_frames: int,
                    transcript: str | None) -> np.ndarray:
    from ..animator.api import animate
    from ..face.rig import default_rig
    from ..train.metrics import lip_aperture, resample_to

    prior = animate((np.asarray(samples, np.float32), int(sample_rate)), transcript, method="prior", fps=fps)
    ap = lip_aperture(prior.weights, default_rig())
    return resample_to(ap, prior.fps, np.arange(n_frames) / fps) if prior.n_frames != n_frames else ap


def aperture_audio_offset(aperture: np.ndarray, fps: float, samples: np.ndarray, sample_rate: int, *,
                          signal: str = "prior", transcript: str | None = None, max_offset: float = MAX_OFFSET,
                          step: float = 0.01, window: float = 0.04) -> AVOffset:
    """Offset between a per-frame lip ``aperture`` (frame ``i`` at ``i / fps``) and mono audio starting at time 0.

    Parameters
    ----------
    aperture : ndarray [F]
        Lip aperture per video frame (NaN where unknown).
    fps : float
        Frame rate of ``aperture``.
    samples : ndarray [N]
        Mono audio, sample 0 at frame 0's time.
    sample_rate : int
    signal : {"prior", "loudness"}, default "prior"
        The audio-driven signal (see the module text).
    transcript : str, optional
        What is said, for ``signal="prior"``; recognised from the audio when None.
    max_offset : float, default 0.3
        Search ``[-max_offset, max_offset]`` seconds.
    step : float, default 0.01
        Lag step in seconds.
    window : float, default 0.04
        Loudness window in seconds (``signal="loudness"``).

    Returns
    -------
    AVOffset

    Raises
    ------
    AudioError
        Empty or unusable audio.
    AnimationError
        Too few frames with an aperture to correlate, or an unknown ``signal``.
    TranscriptError, AlignmentError
        ``signal="prior"`` could not align the speech.
    """
    from ..train.metrics import best_lag, pearson, resample_to

    ap = np.asarray(aperture, np.float64).reshape(-1)
    if signal not in SIGNALS:
        raise AnimationError(f"signal must be one of {SIGNALS}, got {signal!r}")
    if np.isfinite(ap).sum() < 3:
        raise AnimationError("the aperture has fewer than 3 usable frames; no offset can be estimated")
    if np.asarray(samples).size == 0:
        raise AudioError("no audio samples; no offset can be estimated")
    if signal == "prior":
        values, rate = _prior_aperture(samples, sample_rate, float(fps), len(ap), transcript), float(fps)
    else:
        values, rate = _loudness(samples, sample_rate, window), _LOUDNESS_FPS
    r, lag = best_lag(values, rate, ap, float(fps), max_lag=float(max_offset), step=float(step))
    r0 = pearson(resample_to(values, rate, np.arange(len(ap)) / float(fps)), ap)
    return AVOffset(offset=float(round(lag, 6)), r=float(r), r_zero=float(r0), max_offset=float(max_offset),
                    signal=signal)


def estimate_av_offset(anim: Animation, *, signal: str = "prior", transcript: str | None = None,
                       max_offset: float = MAX_OFFSET, step: float = 0.01, window: float = 0.04) -> AVOffset:
    """Offset of a captured :class:`~kmtalk.Animation`'s audio against its lips.

    The aperture is the rig's (:func:`kmtalk.train.metrics.lip_aperture` of the
    weights), which after the default retargeting follows the tracked lips;
    :func:`kmtalk.capture` with ``estimate_offset=True`` uses the tracked
    landmarks themselves and stores the result in ``meta["av_offset"]``.
    The other parameters are those of :func:`aperture_audio_offset`.

    Raises
    ------
    AudioError
        The animation has no audio.

    Examples
    --------
    >>> import kmtalk
    >>> anim = kmtalk.capture("talk.mp4")  # doctest: +SKIP
    >>> kmtalk.capture.estimate_av_offset(anim, transcript="what is said").offset  # doctest: +SKIP
    0.12
    """
    from ..train.metrics import lip_aperture

    audio = anim.load_audio()
    if audio is None:
        raise AudioError("the animation has no audio; an A/V offset needs the clip's sound")
    samples, sr = audio
    samples = np.asarray(samples, np.float64)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    ap = lip_aperture(anim.weights, anim.get_rig())
    return aperture_audio_offset(ap, anim.fps, samples, sr, signal=signal, transcript=transcript,
                                 max_offset=max_offset, step=step, window=window)
