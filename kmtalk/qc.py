"""Quality control of one animated line: isochrony, missed closures, unplaced locks, alignment, A/V offset.

:func:`qc_report` checks what a dubbing or batch reviewer looks at first:

``duration_ratio`` / ``speech_ratio`` (isochrony)
    Length of the new line over the source's: the whole audio, and the span
    from the first to the last spoken phone (file padding aside, the figure
    that matters for dubbing). ``isochrony_ok`` is ``|speech_ratio - 1| <=
    isochrony_tolerance`` (10 % by default — a project choice, not a standard);
    None without a source.
``closures`` / ``closures_missed``
    Every /p b m/ (viseme PP) of the line's timeline: the vertical inner-lip
    gap on the rig (:func:`kmtalk.metrics.lip_gap_mm`) is measured at the
    phone's frames and its closure key frame; a closure is *missed* when the
    smallest gap there exceeds ``closure_threshold_mm`` (1 mm; the default
    head's lips at rest are 0.24 mm apart).
``unplaced_locks``
    Anchors :func:`kmtalk.retime` could not carry over (their word is gone).
``alignment_issues``
    The aligner's own issues, words aligned with confidence below 0.5, a
    transcript-free animation, and re-timing issues.
``av_offset_ms`` (audio–visual offset)
    Estimated by cross-correlating the animation's lip aperture
    (:func:`kmtalk.metrics.lip_aperture`) with the audio's loudness envelope
    (log RMS, 40 ms window) at 200 Hz over lags of ±300 ms (parabolic peak
    refinement). **Sign convention (ITU-R BT.1359):** positive means *sound
    before picture* (the mouth moves later than the sound it makes), negative
    means *sound after picture*. BT.1359 gives the detectability thresholds
    +45 ms / −125 ms (``av_within_detectability``) and the acceptability
    limits +90 ms / −185 ms (``av_within_acceptability``). A natural mouth
    opens slightly before the sound, so a well-synced line reads a little
    negative; the estimate is only as good as the correlation
    (``av_correlation``), and a line shorter than about a second is not rated.

Examples
--------
>>> import kmtalk
>>> from kmtalk.qc import qc_report
>>> anim = kmtalk.animate("line.wav", "Bob bought a blue balloon.")  # doctest: +SKIP
>>> rep = qc_report(anim)                                             # doctest: +SKIP
>>> rep.closures_missed, rep.av_within_detectability                  # doctest: +SKIP
([], True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from phoneme.types import Interval

from .correspond import viseme_labeller
from .errors import AnimationError, AudioError
from .metrics import lip_aperture, lip_gap_mm

if TYPE_CHECKING:  # pragma: no cover
    from .animation import Animation
    from .rig import Rig

__all__ = ["BT1359_ACCEPTABILITY_MS", "BT1359_DETECTABILITY_MS", "QCReport", "av_offset", "qc_report"]

#: ITU-R BT.1359 detectability thresholds (ms): (sound after picture, sound before picture).
BT1359_DETECTABILITY_MS = (-125.0, 45.0)
#: ITU-R BT.1359 acceptability limits (ms).
BT1359_ACCEPTABILITY_MS = (-185.0, 90.0)

_ENV_RATE = 200.0
_MIN_AV_SECONDS = 1.0
_LOW_CONFIDENCE = 0.5


@dataclass
class QCReport:
    """The QC figures of one line (see the module docstring for each field).

    Attributes
    ----------
    duration : float
        Seconds.
    source_duration, duration_ratio, speech_ratio, isochrony_ok
        Isochrony against the source (None without one).
    closures : int
        Bilabial phones in the line.
    closures_missed : list of dict
        ``{phone, word, time, frame, gap_mm}`` for each missed closure.
    unplaced_locks : list of dict
        From ``meta["retime"]["unplaced"]``.
    alignment_issues : list of str
    av_offset_ms, av_correlation : float or None
        Estimated offset (positive: sound before picture) and the peak correlation.
    av_within_detectability, av_within_acceptability : bool or None
        The offset inside BT.1359's detectability (+45/−125 ms) and acceptability
        (+90/−185 ms) limits.
    """

    duration: float
    source_duration: float | None = None
    duration_ratio: float | None = None
    speech_ratio: float | None = None
    isochrony_ok: bool | None = None
    closures: int = 0
    closures_missed: list[dict[str, Any]] = field(default_factory=list)
    unplaced_locks: list[dict[str, Any]] = field(default_factory=list)
    alignment_issues: list[str] = field(default_factory=list)
    av_offset_ms: float | None = None
    av_correlation: float | None = None
    av_within_detectability: bool | None = None
    av_within_acceptability: bool | None = None

    def problems(self) -> list[str]:
        """One human-readable line per failed check (empty when the line passes)."""
        out: list[str] = []
        if self.isochrony_ok is False:
            out.append(f"isochrony: the speech lasts {self.speech_ratio:.2f}× the source's")
        for c in self.closures_missed:
            out.append(f"missed closure: /{c['phone']}/ in {c['word']!r} at {c['time']:.2f} s "
                       f"(lips {c['gap_mm']:.1f} mm apart)")
        for u in self.unplaced_locks:
            out.append(f"unplaced {u.get('kind', 'lock')} from source frame {u.get('source_frame')}: "
                       f"{u.get('reason')}")
        out += [f"alignment: {a}" for a in self.alignment_issues]
        if self.av_within_detectability is False:
            side = "sound before picture" if (self.av_offset_ms or 0) > 0 else "sound after picture"
            out.append(f"A/V offset {self.av_offset_ms:+.0f} ms ({side}) is beyond BT.1359's "
                       "detectability threshold (+45/−125 ms)")
        return out

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field plus ``ok`` and ``problems``."""
        d = asdict(self)
        d["ok"] = self.ok
        d["problems"] = self.problems()
        return d


def _speech_span(phones: list[Interval]) -> tuple[float, float] | None:
    spoken = [p for p in phones if not p.is_silence]
    return (spoken[0].start, spoken[-1].end) if spoken else None


def _mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def av_offset(aperture: np.ndarray, fps: float, samples: np.ndarray, sample_rate: int, *,
              max_offset: float = 0.3) -> tuple[float, float]:
    """Audio–visual offset of a lip-aperture curve against speech audio, in milliseconds.

    The aperture (frame ``i`` at ``i / fps``) and the audio's loudness
    envelope (dBFS of a 40 ms RMS window, floored 50 dB below its peak) are
    both sampled at 200 Hz; Pearson's r is computed at every lag in
    ``±max_offset`` s (5 ms steps) and the best lag refined by a parabola.

    Parameters
    ----------
    aperture : ndarray [T]
    fps : float
    samples : ndarray [N] or [N, C]
    sample_rate : int
    max_offset : float, default 0.3
        Largest lag tried, in seconds.

    Returns
    -------
    (offset_ms, r) : tuple of float
        Positive ``offset_ms``: the picture lags the sound (sound before
        picture, BT.1359's positive sign). ``nan`` values when undefined.

    Examples
    --------
    >>> import numpy as np
    >>> sr, fps = 16000, 30.0
    >>> t = np.arange(3 * sr) / sr
    >>> env = (np.sin(2 * np.pi * 2.3 * t) > 0) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    >>> audio = env * np.sin(2 * np.pi * 220 * t)
    >>> frames = np.arange(90) / fps
    >>> late = np.interp(frames - 0.08, t, env)          # the mouth moves 80 ms after the sound
    >>> off, r = av_offset(late, fps, audio, sr)
    >>> round(off / 10) * 10, r > 0.8
    (80, True)
    """
    from phoneme.loudness import frame_loudness

    ap = np.asarray(aperture, np.float64)
    x = _mono(samples)
    if ap.size < 2 or x.size == 0 or not fps > 0:
        return float("nan"), float("nan")
    n_env = max(math.floor(x.size / sample_rate * _ENV_RATE + 0.5), 1)
    loud = frame_loudness(x, int(sample_rate), _ENV_RATE, n_frames=n_env)
    loud = np.maximum(loud, loud.max() - 50.0)
    t_env = np.arange(n_env) / _ENV_RATE
    t_ap = np.arange(ap.size) / fps
    max_lag = round(max_offset * _ENV_RATE)
    lags = np.arange(-max_lag, max_lag + 1)
    rs = np.full(lags.size, np.nan)
    for k, lag in enumerate(lags):
        times = t_env + lag / _ENV_RATE
        ok = (times >= 0) & (times <= t_ap[-1])
        if ok.sum() < 10:
            continue
        a = np.interp(times[ok], t_ap, ap)
        b = loud[ok]
        a, b = a - a.mean(), b - b.mean()
        den = math.sqrt(float((a * a).sum() * (b * b).sum()))
        rs[k] = float((a * b).sum()) / den if den > 0 else np.nan
    if not np.isfinite(rs).any():
        return float("nan"), float("nan")
    k = int(np.nanargmax(rs))
    shift = 0.0
    if 0 < k < lags.size - 1 and np.isfinite(rs[k - 1]) and np.isfinite(rs[k + 1]):
        den = rs[k - 1] - 2 * rs[k] + rs[k + 1]
        if den < 0:
            shift = 0.5 * (rs[k - 1] - rs[k + 1]) / den
    return float((lags[k] + shift) / _ENV_RATE * 1000.0), float(rs[k])


def _closures(anim: Animation, rig: Rig, threshold_mm: float,
              lexicon: Any = None) -> tuple[int, list[dict[str, Any]]]:
    viseme = viseme_labeller(lexicon)
    fps, n = anim.fps, anim.n_frames
    key_frames = {k.phone_index: k.frame for k in anim.keys if k.kind == "bilabial_closure"}
    wanted: list[tuple[int, Interval, list[int]]] = []
    for i, ph in enumerate(anim.phones):
        if ph.is_silence or viseme(ph.label) != "PP":
            continue
        lo = max(math.ceil(ph.start * fps - 1e-9), 0)
        hi = min(math.floor(ph.end * fps + 1e-9), n - 1)
        frames = list(range(lo, hi + 1))
        if i in key_frames:
            frames.append(key_frames[i])
        if not frames:
            frames = [min(max(math.floor(ph.mid * fps + 0.5), 0), n - 1)]
        wanted.append((i, ph, sorted(set(frames))))
    if not wanted:
        return 0, []
    needed = sorted({f for _, _, fr in wanted for f in fr})
    gaps = dict(zip(needed, lip_gap_mm(anim.weights[needed], rig)))
    missed = []
    for i, ph, frames in wanted:
        best = min(frames, key=lambda f: gaps[f])
        if gaps[best] > threshold_mm:
            word = anim.words[ph.word].label if ph.word is not None and ph.word < len(anim.words) else None
            missed.append({"phone": ph.label, "word": word, "time": round(ph.mid, 3),
                           "frame": int(key_frames.get(i, best)), "gap_mm": round(float(gaps[best]), 2)})
    return len(wanted), missed


def _source_info(anim: Animation, source: Animation | None) -> tuple[float | None, tuple[float, float] | None]:
    if source is not None:
        return source.duration, _speech_span(source.phones)
    info = (anim.meta.get("retime") or {}).get("source") or {}
    span = info.get("speech_span")
    return info.get("duration"), (tuple(span) if span else None)  # type: ignore[return-value]


def qc_report(
    animation: Animation,
    *,
    source: Animation | None = None,
    rig: Rig | None = None,
    audio: tuple[np.ndarray, int] | None = None,
    closure_threshold_mm: float = 1.0,
    isochrony_tolerance: float = 0.1,
    lexicon: Any = None,
) -> QCReport:
    """Check one animated line (see the module docstring for what each figure means).

    Parameters
    ----------
    animation : Animation
        The line (from :func:`kmtalk.animate` or :func:`kmtalk.retime`).
    source : Animation, optional
        The original line, for isochrony. Default: what ``retime`` recorded in
        ``meta["retime"]["source"]``; None without either.
    rig : Rig, optional
        Rig for lip measurements (default: the animation's).
    audio : (samples, sample_rate), optional
        The line's audio (default: :meth:`Animation.load_audio`); without audio
        the A/V offset is not estimated.
    closure_threshold_mm : float, default 1.0
        Largest lip gap that counts as a closure.
    isochrony_tolerance : float, default 0.1
        Accepted relative change of the speech span.
    lexicon : optional
        Viseme lexicon used to find bilabials (default: bundled English).

    Returns
    -------
    QCReport

    Raises
    ------
    AnimationError
        ``animation`` is not an Animation.
    """
    from .animation import Animation

    if not isinstance(animation, Animation):
        raise AnimationError(f"qc_report needs an Animation, got {type(animation).__name__}")
    rig = rig or animation.get_rig()
    rep = QCReport(duration=round(animation.duration, 4))

    src_dur, src_span = _source_info(animation, source)
    if src_dur:
        rep.source_duration = round(float(src_dur), 4)
        rep.duration_ratio = round(animation.duration / float(src_dur), 4)
        span = _speech_span(animation.phones)
        if span and src_span and src_span[1] > src_span[0]:
            rep.speech_ratio = round((span[1] - span[0]) / (src_span[1] - src_span[0]), 4)
        ratio = rep.speech_ratio if rep.speech_ratio is not None else rep.duration_ratio
        rep.isochrony_ok = bool(abs(ratio - 1.0) <= isochrony_tolerance)

    rep.closures, rep.closures_missed = _closures(animation, rig, closure_threshold_mm, lexicon)

    retime_meta = animation.meta.get("retime") or {}
    rep.unplaced_locks = list(retime_meta.get("unplaced", []))
    issues = list(animation.meta.get("alignment_issues") or [])
    if animation.meta.get("transcript_free"):
        issues.append("no transcript: animated from recognised speech "
                      f"{animation.meta.get('recognised', '')!r}")
    low = [w for w in animation.words if not w.is_silence and w.confidence is not None
           and w.confidence < _LOW_CONFIDENCE]
    issues += [f"low alignment confidence {w.confidence:.2f} for {w.label!r} at {w.start:.2f} s" for w in low]
    issues += [f"retime: {i}" for i in retime_meta.get("issues", [])]
    rep.alignment_issues = issues

    if audio is None:
        try:
            audio = animation.load_audio()
        except AudioError:  # an unreadable audio file: no A/V estimate, not a QC failure
            audio = None
    if audio is not None and animation.duration >= _MIN_AV_SECONDS:
        ap = lip_aperture(animation.weights, rig)
        off, r = av_offset(ap, animation.fps, audio[0], audio[1])
        if math.isfinite(off):
            rep.av_offset_ms = round(off, 1)
            rep.av_correlation = round(r, 3)
            lo, hi = BT1359_DETECTABILITY_MS
            rep.av_within_detectability = bool(lo <= off <= hi)
            lo, hi = BT1359_ACCEPTABILITY_MS
            rep.av_within_acceptability = bool(lo <= off <= hi)
    return rep
