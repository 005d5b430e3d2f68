"""Quality control of one animated line: isochrony, missed closures, unplaced locks, alignment, A/V offset.

:func:`qc_report` checks what a dubbing or batch reviewer looks at first:

``duration_ratio`` / ``speech_ratio`` (isochrony)
    Length of the new line over the source's: the whole audio, and the span
    from the first to the last spoken phone (file padding aside, the figure
    that matters for dubbing). ``isochrony_ok`` is ``|speech_ratio - 1| <=
    isochrony_tolerance`` (10 % by default — a project choice, not a standard);
    None without a source.
``closures`` / ``closures_missed``
    Every bilabial closure of the line's timeline — a phone whose lexicon
    entry has place ``bilabial`` (/p b m/), the rule key selection uses; the
    approximant [β] and fricative [ɸ] share the PP viseme but never shut the
    lips, so they are not counted: the vertical inner-lip
    gap on the rig (:func:`kmtalk.train.metrics.lip_gap_mm`) is measured at the
    phone's frames and its closure key frame; a closure is *missed* when the
    smallest gap there exceeds ``closure_threshold_mm`` (1 mm; the default
    head's lips at rest are 0.24 mm apart).
``unplaced_locks``
    Anchors :func:`kmtalk.retime` could not carry over (their word is gone).
``locks_opening_closures``
    Editor locks that hold the lips open on a frame of /p b m/: a lock is met
    exactly, so it wins over the closure (:func:`locks_opening_closures`).
``alignment_issues``
    The aligner's own issues, words aligned with confidence below 0.5, a
    transcript-free animation, and re-timing issues.
``av_offset_ms`` (audio–visual offset)
    Estimated by :func:`av_sync`: the animation's lip aperture
    (:func:`kmtalk.train.metrics.lip_aperture`) cross-correlated at 100 Hz over lags
    of ±500 ms with the sound's timing — the alignment's phones as an expected
    aperture (``av_reference`` ``"phones"``), or the audio's loudness envelope
    when there are no phones (``"loudness"``). **Sign convention (ITU-R
    BT.1359):** positive means *sound before picture* (the mouth moves later
    than the sound it makes), negative means *sound after picture*. BT.1359
    gives the detectability thresholds +45 ms / −125 ms
    (``av_within_detectability``) and the acceptability limits +90 ms /
    −185 ms (``av_within_acceptability``). A line is called out of sync only
    on a *confident* estimate (``av_confident``: a strong interior peak that
    clearly beats the zero-lag correlation ``av_zero_lag_correlation``); a
    weak or ambiguous estimate is reported but not rated (None). A check that
    flags correct output is worse than none. Lines shorter than a second are
    not rated.

Examples
--------
>>> import kmtalk
>>> from kmtalk.dubbing.qc import qc_report
>>> anim = kmtalk.animate("line.wav", "Bob bought a blue balloon.")  # doctest: +SKIP
>>> rep = qc_report(anim)                                             # doctest: +SKIP
>>> rep.closures_missed, rep.av_within_detectability                  # doctest: +SKIP
([], True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from phoneme.frames import n_frames_for
from phoneme.loudness import frame_loudness
from phoneme.types import Interval

from ..animator.closures import closure_frames, locks_opening_closures, word_of
from ..animator.prior.poses import VISEME_INDEX, load_prior_tables
from ..errors import AnimationError, AudioError, KmtalkError
from ..face.animation import Animation
from ..face.rig import Rig
from ..train.metrics import lip_aperture, lip_gap_mm
from .correspond import viseme_labeller

__all__ = [
    "BT1359_ACCEPTABILITY_MS",
    "BT1359_DETECTABILITY_MS",
    "AVSync",
    "QCReport",
    "av_offset",
    "av_sync",
    "locks_opening_closures",
    "qc_report",
]

#: ITU-R BT.1359 detectability thresholds (ms): (sound after picture, sound before picture).
BT1359_DETECTABILITY_MS = (-125.0, 45.0)
#: ITU-R BT.1359 acceptability limits (ms).
BT1359_ACCEPTABILITY_MS = (-185.0, 90.0)

_ENV_RATE = 100.0
_MIN_AV_SECONDS = 1.0
_PHONE_SMOOTH_S = 0.03
#: (smallest peak r, smallest gain of the peak over the zero-lag r) for a confident offset, per reference.
#: Loudness is never confident: on real speech it called a correct learned line out of sync and
#: missed most shifted ones (benchmarks/av_sync.py), so it reports an offset but never flags one.
_AV_CONFIDENCE = {"phones": (0.3, 0.1), "loudness": (0.5, math.inf)}
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
    locks_opening_closures : list of dict
        ``{frame, time, phone, word, gap_mm, channels}`` for each editor lock
        that holds the lips open on a /p b m/ (see :func:`locks_opening_closures`).
    alignment_issues : list of str
    av_offset_ms, av_correlation : float or None
        Estimated offset (positive: sound before picture) and the peak correlation.
    av_within_detectability, av_within_acceptability : bool or None
        The offset inside BT.1359's detectability (+45/−125 ms) and acceptability
        (+90/−185 ms) limits; None when not rated (no audio, a line under 1 s, a
        weak peak, or an offset outside the limits that is not confident).
    av_zero_lag_correlation : float or None
        Pearson's r with no shift (compare with ``av_correlation``).
    av_reference : str or None
        What the aperture was correlated with: ``"phones"`` or ``"loudness"`` (see :func:`av_sync`).
    av_confident : bool or None
        The estimate is strong enough to call the line out of sync.
    transcript_check : dict or None
        ``meta["transcript_check"]`` of the line (:func:`phoneme.hearing.check_transcript`:
        ``ok``, ``verdict``, ``wer``, ``heard``, ``mismatched_words``, ``heard_language`` …);
        None when it did not run. A failed check is a problem.
    """

    duration: float
    source_duration: float | None = None
    duration_ratio: float | None = None
    speech_ratio: float | None = None
    isochrony_ok: bool | None = None
    closures: int = 0
    closures_missed: list[dict[str, Any]] = field(default_factory=list)
    unplaced_locks: list[dict[str, Any]] = field(default_factory=list)
    locks_opening_closures: list[dict[str, Any]] = field(default_factory=list)
    alignment_issues: list[str] = field(default_factory=list)
    av_offset_ms: float | None = None
    av_correlation: float | None = None
    av_within_detectability: bool | None = None
    av_within_acceptability: bool | None = None
    av_zero_lag_correlation: float | None = None
    av_reference: str | None = None
    av_confident: bool | None = None
    transcript_check: dict[str, Any] | None = None

    def problems(self) -> list[str]:
        """One human-readable line per failed check (empty when the line passes)."""
        out: list[str] = []
        if self.isochrony_ok is False:
            out.append(f"isochrony: the speech lasts {self.speech_ratio:.2f}× the source's")
        for c in self.closures_missed:
            out.append(f"missed closure: /{c['phone']}/ in {c['word']!r} at {c['time']:.2f} s "
                       f"(lips {c['gap_mm']:.1f} mm apart)")
        for c in self.locks_opening_closures:
            out.append(f"lock opens closure: the lock at frame {c['frame']} ({', '.join(c['channels'])}) holds "
                       f"the lips {c['gap_mm']:.1f} mm apart on /{c['phone']}/ in {c['word']!r}")
        for u in self.unplaced_locks:
            out.append(f"unplaced {u.get('kind', 'lock')} from source frame {u.get('source_frame')}: "
                       f"{u.get('reason')}")
        out += [f"alignment: {a}" for a in self.alignment_issues]
        if self.av_within_detectability is False:
            side = "sound before picture" if (self.av_offset_ms or 0) > 0 else "sound after picture"
            out.append(f"A/V offset {self.av_offset_ms:+.0f} ms ({side}) is beyond BT.1359's "
                       "detectability threshold (+45/−125 ms)")
        if self.transcript_check and not self.transcript_check.get("ok", True):
            out.append(f"transcript: {self.transcript_check.get('message')}")
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


def _lag_curve(moving: np.ndarray, reference: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's r of ``moving[t + lag]`` against ``reference[t]`` for every lag in ``±max_lag`` samples."""
    n = min(moving.size, reference.size)
    lags = np.arange(-max_lag, max_lag + 1)
    rs = np.full(lags.size, np.nan)
    for k, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(n, n - lag)
        if hi - lo < 10:
            continue
        a = moving[lo + lag:hi + lag] - moving[lo + lag:hi + lag].mean()
        b = reference[lo:hi] - reference[lo:hi].mean()
        den = math.sqrt(float((a * a).sum() * (b * b).sum()))
        rs[k] = float((a * b).sum()) / den if den > 0 else np.nan
    return lags, rs


def _peak(lags: np.ndarray, rs: np.ndarray) -> tuple[float, float] | None:
    """The highest *interior* local maximum of ``rs`` (lag refined by a parabola), or None.

    A maximum on the edge of the searched window is not a peak: the curve is
    still rising there, so the true peak (if any) lies outside the window.
    """
    r = np.where(np.isfinite(rs), rs, -np.inf)
    inner = np.flatnonzero((r[1:-1] >= r[:-2]) & (r[1:-1] >= r[2:]) & np.isfinite(r[1:-1])) + 1
    if inner.size == 0:
        return None
    k = int(inner[np.argmax(r[inner])])
    shift, den = 0.0, r[k - 1] - 2 * r[k] + r[k + 1]
    if den < 0:
        shift = 0.5 * (r[k - 1] - r[k + 1]) / den
    return float(lags[k] + shift), float(r[k])


def _loudness_envelope(samples: np.ndarray, sample_rate: int, n: int) -> np.ndarray:
    loud = frame_loudness(_mono(samples), int(sample_rate), _ENV_RATE, n_frames=n)
    return np.maximum(loud, loud.max() - 50.0)


def _on_grid(values: np.ndarray, fps: float, n: int) -> np.ndarray:
    return np.interp(np.arange(n) / _ENV_RATE, np.arange(values.size) / fps, values)


def av_offset(aperture: np.ndarray, fps: float, samples: np.ndarray, sample_rate: int, *,
              max_offset: float = 0.3) -> tuple[float, float]:
    """Audio–visual offset of a lip-aperture curve against speech audio, in milliseconds.

    The aperture (frame ``i`` at ``i / fps``) and the audio's loudness
    envelope (dBFS of a 40 ms RMS window, floored 50 dB below its peak) are
    both sampled at 100 Hz; Pearson's r is computed at every lag in
    ``±max_offset`` s and the highest interior peak refined by a parabola
    (a maximum on the window's edge is no peak). This is the loudness
    reference alone; :func:`av_sync` is what QC uses.

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
        picture, BT.1359's positive sign). ``nan`` values when undefined
        (no interior peak).

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
    ap = np.asarray(aperture, np.float64)
    x = _mono(samples)
    if ap.size < 2 or x.size == 0 or not fps > 0:
        return float("nan"), float("nan")
    n = n_frames_for(x.size / sample_rate, _ENV_RATE)
    n = min(n, math.floor((ap.size - 1) / fps * _ENV_RATE) + 1)
    lags, rs = _lag_curve(_on_grid(ap, fps, n), _loudness_envelope(x, sample_rate, n), round(max_offset * _ENV_RATE))
    peak = _peak(lags, rs)
    if peak is None:
        return float("nan"), float("nan")
    return peak[0] / _ENV_RATE * 1000.0, peak[1]


@dataclass
class AVSync:
    """One A/V sync estimate (see :func:`av_sync`).

    Attributes
    ----------
    offset_ms : float or None
        Lag of the best interior correlation peak (positive: sound before
        picture); None when the curve has no interior peak.
    correlation : float or None
        Pearson's r at that peak.
    zero_lag_correlation : float or None
        Pearson's r with no shift.
    reference : str
        ``"phones"`` (the alignment's phone timeline) or ``"loudness"``.
    confident : bool
        The peak is strong (r ≥ the reference's minimum) *and* beats the
        zero-lag r by the reference's margin: only then can the line be
        called out of sync.
    """

    offset_ms: float | None
    correlation: float | None
    zero_lag_correlation: float | None
    reference: str
    confident: bool


def _phone_openness(anim: Animation, rig: Rig, lexicon: Any, n: int) -> np.ndarray | None:
    """The alignment's phones as an expected lip aperture at 100 Hz: each phone's viseme pose (the
    lexicon's ``poses``) measured on the rig, silence closed, smoothed by a 30 ms Gaussian."""
    spoken = [p for p in anim.phones if not p.is_silence]
    if not spoken:
        return None
    try:
        tables = load_prior_tables(lexicon)
    except KmtalkError:  # a lexicon without poses: fall back to loudness
        return None
    openness = lip_aperture(tables.poses, rig)
    rest = float(openness[VISEME_INDEX["sil"]])
    default = float(np.median(openness))
    viseme = viseme_labeller(lexicon)
    ref = np.full(n, rest)
    t = np.arange(n) / _ENV_RATE
    for ph in spoken:
        v = VISEME_INDEX.get(viseme(ph.label))
        ref[(t >= ph.start) & (t < ph.end)] = openness[v] if v is not None else default
    sigma = _PHONE_SMOOTH_S * _ENV_RATE
    half = math.ceil(3 * sigma)
    g = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    return np.convolve(np.pad(ref, half, mode="edge"), g / g.sum(), "valid")


def av_sync(
    animation: Animation,
    *,
    rig: Rig | None = None,
    audio: tuple[np.ndarray, int] | None = None,
    lexicon: Any = None,
    max_offset: float = 0.5,
) -> AVSync | None:
    """Estimate how far an animation's mouth is shifted against its sound.

    The rig's lip aperture (:func:`kmtalk.train.metrics.lip_aperture`) is
    cross-correlated at 100 Hz, over lags of ``±max_offset``, with a
    reference for the sound's timing:

    - ``"phones"`` (when the animation has spoken phones): the alignment's
      phone timeline turned into an expected aperture — each phone's viseme
      pose from the lexicon, measured on the same rig; silence closed. The
      aligner placed those phones on the audio, so this is the sound's timing
      phone by phone, and it correlates far better with a mouth (r ≈ 0.8–0.9
      for the prior, 0.45–0.7 for the learned model on real speech) than
      loudness does;
    - ``"loudness"`` (no phones): the audio's log-RMS envelope (40 ms window,
      50 dB floor). It correlates weakly with a mouth (r ≈ 0.05–0.6), its
      curve repeats at the syllable rate, and loud vowels peak after the
      mouth opens, so it is biased. It reports an offset but is never
      *confident*.

    The offset is the highest *interior* peak (refined by a parabola; a
    maximum on the window's edge is no peak). With phones it is *confident*
    when that peak's r is at least 0.3 and exceeds the zero-lag r by at
    least 0.1: an offset the zero-lag alignment explains almost as well is
    no evidence of a shift. (Measured by ``benchmarks/av_sync.py``, see
    docs/benchmarks.md: no false alarm on 20 correct lines, every shift
    beyond BT.1359's limits but one flagged.)

    Parameters
    ----------
    animation : Animation
    rig : Rig, optional
        Default: the animation's.
    audio : (samples, sample_rate), optional
        Default: :meth:`Animation.load_audio`. Needed for the loudness
        reference; the phone reference uses the phones aligned to it.
    lexicon : optional
        Viseme lexicon with ``poses`` (default: bundled English).
    max_offset : float, default 0.5
        Largest lag tried, in seconds.

    Returns
    -------
    AVSync or None
        None when there is neither a phone timeline nor audio, or the line is
        too short.

    Examples
    --------
    >>> import kmtalk
    >>> from kmtalk.dubbing.qc import av_sync
    >>> anim = kmtalk.animate("line.wav", "Bob bought a blue balloon.")  # doctest: +SKIP
    >>> s = av_sync(anim)                                                 # doctest: +SKIP
    >>> s.reference, abs(s.offset_ms) < 45                                # doctest: +SKIP
    ('phones', True)
    """
    rig = rig or animation.get_rig()
    if animation.n_frames < 2 or animation.duration < _MIN_AV_SECONDS:
        return None
    n = math.floor((animation.n_frames - 1) / animation.fps * _ENV_RATE) + 1
    reference = _phone_openness(animation, rig, lexicon, n)
    kind = "phones"
    if reference is None:
        if audio is None:
            audio = animation.load_audio()
        if audio is None or _mono(audio[0]).size == 0:
            return None
        x, sr = _mono(audio[0]), int(audio[1])
        n = min(n, n_frames_for(x.size / sr, _ENV_RATE))
        reference, kind = _loudness_envelope(x, sr, n), "loudness"
    ap = _on_grid(lip_aperture(animation.weights, rig).astype(np.float64), animation.fps, n)
    lags, rs = _lag_curve(ap, reference[:n], round(max_offset * _ENV_RATE))
    r0 = rs[lags.size // 2]
    zero = float(r0) if np.isfinite(r0) else None
    peak = _peak(lags, rs)
    if peak is None:
        return AVSync(None, None, zero, kind, False)
    lag, r = peak
    r_min, margin = _AV_CONFIDENCE[kind]
    confident = bool(r >= r_min and zero is not None and r - zero >= margin)
    return AVSync(lag / _ENV_RATE * 1000.0, r, zero, kind, confident)


def _closures(anim: Animation, rig: Rig, threshold_mm: float,
              lexicon: Any = None) -> tuple[int, list[dict[str, Any]]]:
    wanted = closure_frames(anim, lexicon)
    if not wanted:
        return 0, []
    key_frames = {k.phone_index: k.frame for k in anim.keys if k.kind == "bilabial_closure"}
    needed = sorted({f for _, _, fr in wanted for f in fr})
    gaps = dict(zip(needed, lip_gap_mm(anim.weights[needed], rig)))
    missed = []
    for i, ph, frames in wanted:
        best = min(frames, key=lambda f: gaps[f])
        if gaps[best] > threshold_mm:
            missed.append({"phone": ph.label, "word": word_of(anim, ph), "time": round(ph.mid, 3),
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
    rep.locks_opening_closures = locks_opening_closures(animation, rig=rig, lexicon=lexicon,
                                                        threshold_mm=closure_threshold_mm)
    issues = list(animation.meta.get("alignment_issues") or [])
    if animation.meta.get("transcript_free"):
        issues.append("no transcript: animated from recognised speech "
                      f"{animation.meta.get('recognised', '')!r}")
    low = [w for w in animation.words if not w.is_silence and w.confidence is not None
           and w.confidence < _LOW_CONFIDENCE]
    issues += [f"low alignment confidence {w.confidence:.2f} for {w.label!r} at {w.start:.2f} s" for w in low]
    issues += [f"retime: {i}" for i in retime_meta.get("issues", [])]
    rep.alignment_issues = issues
    rep.transcript_check = animation.meta.get("transcript_check") or None

    if audio is None:
        try:
            audio = animation.load_audio()
        except AudioError:  # an unreadable audio file: no A/V estimate, not a QC failure
            audio = None
    sync = av_sync(animation, rig=rig, audio=audio, lexicon=lexicon) if audio is not None else None
    if sync is not None and sync.offset_ms is not None:
        off = sync.offset_ms
        rep.av_offset_ms = round(off, 1)
        rep.av_correlation = round(sync.correlation, 3)
        rep.av_zero_lag_correlation = None if sync.zero_lag_correlation is None else round(sync.zero_lag_correlation, 3)
        rep.av_reference, rep.av_confident = sync.reference, sync.confident
        for attr, (lo, hi) in (("av_within_detectability", BT1359_DETECTABILITY_MS),
                               ("av_within_acceptability", BT1359_ACCEPTABILITY_MS)):
            inside = lo <= off <= hi
            # Inside the limits: fine. Outside: only a confident estimate may call the line out of sync.
            setattr(rep, attr, True if inside and sync.correlation >= _AV_CONFIDENCE[sync.reference][0]
                    else False if not inside and sync.confident else None)
    return rep
