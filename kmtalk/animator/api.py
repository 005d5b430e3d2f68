"""``kmtalk.animate``: speech audio (+ transcript) → :class:`~kmtalk.face.animation.Animation`.

Examples
--------
>>> import kmtalk
>>> anim = kmtalk.animate("assets/examples/hello.wav", open("assets/examples/hello.txt").read())  # doctest: +SKIP
>>> anim.weights.shape[1], anim.fps  # doctest: +SKIP
(52, 30.0)
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from phoneme.audio import AudioSource, load_audio
from phoneme.lexicon import Lexicon
from phoneme.loudness import frame_loudness
from phoneme.types import Alignment

from ..errors import AlignmentError, CheckpointError, KmtalkError, TranscriptError
from ..face.animation import Animation
from ..face.locks import Locks, read_locks_file, resolve_locks
from .closures import locks_opening_closures
from .learned import animate_learned, load_model, resolve_checkpoint, shipped_checkpoint
from .prior import animate_prior, load_prior_tables, n_frames_for
from .styles import PriorParams, Style, parse_styles, stylize
from .styles.registry import StyleSpec

__all__ = ["animate", "METHODS"]

log = logging.getLogger(__name__)

#: Animation methods ``animate`` knows. ``"prior"`` needs no trained weights; ``"learned"`` runs
#: KMTalk's networks from a checkpoint; ``"auto"`` is ``"learned"`` when a trained model ships
#: (or ``checkpoint=`` is given) and ``"prior"`` otherwise.
METHODS = ("auto", "prior", "learned")
_SAMPLE_RATE = 16000
_MAX_FPS = 240.0


def _model(method: str, checkpoint: str | os.PathLike[str] | None):  # noqa: ANN202
    """The trained model the method calls for (None: use the prior)."""
    if method == "prior":
        if checkpoint is not None:
            raise KmtalkError("checkpoint= is for method='learned' or 'auto', not 'prior'")
        return None
    path = resolve_checkpoint(checkpoint) if checkpoint is not None else shipped_checkpoint()
    if path is None:
        if method == "learned":
            raise CheckpointError("method='learned' needs a trained model: none is installed with this kmtalk "
                                  "(assets/models/kmtalk-arkit is missing); pass checkpoint= (a 'kmtalk train' output) "
                                  "or use method='prior'")
        return None
    return load_model(path)


def _styles(style: StyleSpec) -> list[Style]:
    """The ``style=`` argument as a list of styles (see :func:`kmtalk.animator.styles.parse_styles`)."""
    return parse_styles(style)


def _alignment(alignment: Alignment | str | os.PathLike[str], duration: float) -> Alignment:
    if isinstance(alignment, Alignment):
        result = alignment
    else:
        from phoneme.aligners.textgrid import read_textgrid

        result = read_textgrid(alignment)
    if result.duration < duration - 0.05 or result.duration > duration + 0.5:
        log.warning("alignment covers %.2f s but the audio lasts %.2f s", result.duration, duration)
    return result


def _transcript(transcript: str | os.PathLike[str] | None) -> str | None:
    if transcript is None:
        return None
    if isinstance(transcript, os.PathLike) or (isinstance(transcript, str) and transcript.endswith(".txt")
                                                and Path(transcript).is_file()):
        try:
            return Path(transcript).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"cannot read transcript file {transcript}: {exc}") from None
    if not isinstance(transcript, str):
        raise TranscriptError(f"transcript must be text or a .txt path, got {type(transcript).__name__}")
    return transcript


#: Transcript-free confidences are the recogniser's mean word confidence scaled down by these factors
#: (a convention marking them less certain than a given transcript, not a measurement).
_FREE_CONFIDENCE = {"pocketsphinx": 0.5, "whisper": 0.8}


def hear_line(samples: np.ndarray, sr: int, language: str,
              recognizer: str = "auto") -> tuple[str, str, dict[str, Any], list[Any]]:
    """Recognise a line for transcript-free animation: (text, language heard in, meta fields, words).

    Whisper when the ``kmtalk[asr]`` extra is installed, else pocketsphinx (English only);
    see :func:`phoneme.hearing.hear`. The meta fields record the recogniser, what it heard,
    the language it was heard in and any warning; the words (``Interval`` with the
    recogniser's probability as ``confidence``) are for :func:`align_heard`.
    """
    from phoneme.hearing import hear

    heard = hear((samples, sr), language=language, recognizer=recognizer)
    rec = heard.recognition
    factor = _FREE_CONFIDENCE["pocketsphinx" if rec.recognizer == "pocketsphinx" else "whisper"]
    meta: dict[str, Any] = {"transcript_free": True, "recognised": rec.text, "recognizer": rec.recognizer,
                            "confidence": round(factor * rec.confidence, 3), "heard": heard.to_dict()}
    if heard.language != language:
        meta.update(language=heard.language, requested_language=language)
    return rec.text, heard.language, meta, list(rec.words)


#: Transcript-free: at most this many recognised words dropped at each edge when no alignment fits.
_MAX_EDGE_DROP = 2


def align_heard(samples: np.ndarray, sr: int, text: str, words: list[Any], *, language: str,
                aligner: str = "auto") -> Alignment:
    """Force-align the words a recogniser heard; when no alignment fits, leave out unsure edge words.

    A clip cut in the middle of a word ends (or starts) with a fragment that the
    recogniser still names, at low probability (video-dev's ``retalking_5`` ends 0.24 s
    into "crisis", heard at probability 0.17), and the forced aligner then finds no
    path for the whole text. Only for transcript-free lines, and only after the whole
    text failed: up to :data:`_MAX_EDGE_DROP` words at either end are left out, fewest
    and least probable first; what was left out is added to the alignment's issues.
    The first error is raised when nothing fits.
    """
    from phoneme import align

    try:
        return align((samples, sr), text, aligner=aligner, language=language)
    except AlignmentError as exc:
        first = exc
    labels = [w.label for w in words]
    probs = [1.0 if w.confidence is None else float(w.confidence) for w in words]
    tries = []
    for head in range(_MAX_EDGE_DROP + 1):
        for tail in range(_MAX_EDGE_DROP + 1):
            if 0 < head + tail < len(labels):
                dropped = probs[:head] + probs[len(probs) - tail:]
                tries.append((head + tail, float(np.mean(dropped)), head, tail))
    for _, _, head, tail in sorted(tries):
        kept = labels[head:len(labels) - tail]
        try:
            al = align((samples, sr), " ".join(kept), aligner=aligner, language=language)
        except AlignmentError:
            continue
        left_out = [f"{labels[i]!r} ({probs[i]:.2f})" for i in [*range(head), *range(len(labels) - tail, len(labels))]]
        note = (f"recognised word(s) {', '.join(left_out)} at the edge of the audio could not be aligned "
                "(a word cut off?) and were left out")
        log.warning("%s", note)
        al.issues.append(note)
        return al
    raise first


def check_line(samples: np.ndarray, sr: int, text: str, language: str, *, check: bool | None,
               strict: bool, recognizer: str = "auto") -> dict[str, Any] | None:
    """Run the transcript check (:func:`phoneme.hearing.check_transcript`) as ``animate`` does.

    ``check`` None: only when Whisper is installed; True: with any recogniser; False: never.
    Returns the check as a dict (None when it did not run). A mismatch is logged as a
    warning, and raised as a :class:`TranscriptError` under ``strict``.
    """
    if check is False:
        return None
    if check is None:
        from phoneme.recognize import available_recognizer

        if not (available_recognizer(language) or "").startswith("whisper"):
            log.debug("transcript check skipped: Whisper is not installed (pip install 'kmtalk[asr]')")
            return None
    from phoneme.hearing import check_transcript

    result = check_transcript((samples, sr), text, language=language, recognizer=recognizer)
    if not result.ok:
        if strict:
            raise TranscriptError(f"{result.message} (refused under strict; fix the transcript or the audio)")
        log.warning("transcript check: %s", result.message)
    return result.to_dict()


def animate(
    audio: AudioSource,
    transcript: str | os.PathLike[str] | None = None,
    *,
    fps: float = 30.0,
    language: str = "en",
    aligner: str = "auto",
    alignment: Alignment | str | os.PathLike[str] | None = None,
    lexicon: Lexicon | str | os.PathLike[str] | None = None,
    style: StyleSpec = None,
    locks: Mapping[Any, Any] | Locks | str | os.PathLike[str] | None = None,
    seed: int = 0,
    method: str = "auto",
    checkpoint: str | os.PathLike[str] | None = None,
    check_transcript: bool | None = None,
    strict: bool = False,
    recognizer: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> Animation:
    """Animate a face from speech.

    Parameters
    ----------
    audio : path or (samples, sample_rate)
        Speech (WAV/FLAC/OGG/MP3, any rate, mono or stereo).
    transcript : str or path, optional
        What is said (a ``.txt`` path is read). ``None`` (and no
        ``alignment``): the speech is recognised — by Whisper when the
        ``kmtalk[asr]`` extra is installed, else by pocketsphinx (English) —
        and the result is marked ``meta["transcript_free"] = True`` with a
        lower ``meta["confidence"]``, the recogniser in
        ``meta["recognizer"]``. When Whisper hears another language than
        ``language`` it warns, and when sure it animates the language heard
        (``meta["language"]``, ``meta["requested_language"]``).
    fps : float, default 30
        Output frame rate.
    language : str, default "en"
    aligner : str, default "auto"
        Forced-aligner backend (see :func:`phoneme.align`).
    alignment : Alignment or TextGrid path, optional
        An existing alignment: skips aligning.
    lexicon : Lexicon or path, optional
        Viseme lexicon with poses (default: bundled English).
    style : str, Style, mapping or list of them, optional
        Styles applied in order (see :mod:`kmtalk.animator.styles` and ``docs/styles.md``):
        specs such as ``["articulation:lip=1.3", "emotion:happy=0.5", "head"]``,
        :class:`~kmtalk.animator.styles.Style` objects, or the JALI axes
        ``{"jaw": 1.0, "lip": 1.0}`` (jaw opening and lip articulation
        intensity, 0–3). Closures and locks stay exact whatever the styles do.
    locks : mapping, Locks or JSON path, optional
        Editor locks (see :mod:`kmtalk.face.locks`): the output equals them exactly
        at the locked frames and flows smoothly around them.
    seed : int, default 0
        Seed for stochastic parts (styles such as ``head``; the prior itself is
        deterministic). Same inputs and seed give the same animation.
    method : {"auto", "prior", "learned"}
        ``"prior"``: the linguistic prior (no trained weights). ``"learned"``:
        the key-motion network and completion transformer of ``checkpoint``
        (default: the model shipped in ``assets/models/kmtalk-arkit``).
        ``"auto"`` (default): learned when a checkpoint is available, else prior.
        Both paths keep bilabial closures and locks exact.
    checkpoint : path or str, optional
        A trained model folder (``model.safetensors`` + ``config.json``), e.g.
        the output of ``kmtalk train``, or the name of a shipped model:
        ``"kmtalk-arkit"`` (the default) or ``"kmtalk-arkit-whisper"``
        (real-motion model with Whisper audio features; needs the ``asr``
        extra; ``docs/training.md`` §8).
    check_transcript : bool, optional
        Compare the transcript with what the audio says
        (:func:`phoneme.hearing.check_transcript`; result in
        ``meta["transcript_check"]``, a mismatch is logged as a warning and
        lowers ``meta["confidence"]``). Default: when Whisper is installed.
        ``False`` skips it; ``True`` runs it with pocketsphinx too (noisy).
    strict : bool, default False
        A transcript that does not match the audio (or no speech heard) is a
        :class:`TranscriptError` instead of a warning.
    recognizer : {"auto", "whisper", "pocketsphinx"}
        Who hears the speech (transcript-free and the check).
    progress : callable, optional
        Called with the name of each stage as it starts (``"loading model"``,
        ``"reading audio"``, ``"recognising speech"``, ``"checking
        transcript"``, ``"aligning"``, ``"animating"``), e.g. to drive a
        progress display; the stages are also logged (INFO).

    Returns
    -------
    Animation
        ``weights`` [T, 52] in [0, 1] with ``T = n_frames_for(duration, fps)``, the
        phones, words, key motions and locks it was made from.

    Raises
    ------
    AudioError, TranscriptError, AlignmentError, LexiconError, LockError
        Bad input, each with a message that says what to fix.
    """
    if method not in METHODS:
        raise KmtalkError(f"unknown method {method!r}; available: {', '.join(METHODS)}")

    def stage(name: str) -> None:
        log.info("animate: %s", name)
        if progress is not None:
            progress(name)

    if method != "prior":
        stage("loading model")
    model = _model(method, checkpoint)
    method = "prior" if model is None else "learned"
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and 0 < fps <= _MAX_FPS):
        raise KmtalkError(f"fps must be in (0, {_MAX_FPS:g}], got {fps!r}")
    styles = _styles(style)
    stage("reading audio")
    samples, sr = load_audio(audio, sample_rate=_SAMPLE_RATE)
    duration = samples.size / sr
    n = n_frames_for(duration, fps)
    tables = load_prior_tables(lexicon if not isinstance(lexicon, os.PathLike) else str(lexicon))

    if isinstance(locks, (str, os.PathLike)):
        locks = read_locks_file(locks)
    # the user's locks are checked before the slow steps (recognition, the transcript check, alignment)
    editor = resolve_locks(locks, n_frames=n, fps=fps, viseme_poses=tables.poses)
    meta: dict[str, Any] = {"method": method, "language": language, "seed": int(seed),
                            "lexicon": tables.lexicon.name, "transcript_free": False}
    text = _transcript(transcript)
    if alignment is not None:
        al = _alignment(alignment, duration)
        meta["aligner"] = al.aligner or "given"
    else:
        from phoneme import align

        if text is None:
            stage("recognising speech")
            text, language, heard, heard_words = hear_line(samples, sr, language, recognizer)
            meta.update(heard)
            stage("aligning")
            al = align_heard(samples, sr, text, heard_words, language=language, aligner=aligner)
        else:
            if check_transcript is not False:
                stage("checking transcript")
            meta["transcript_check"] = check_line(samples, sr, text, language, check=check_transcript,
                                                  strict=strict, recognizer=recognizer)
            stage("aligning")
            al = align((samples, sr), text, aligner=aligner, language=language)
        meta["aligner"] = al.aligner
    if not al.phones:
        raise AlignmentError("the alignment has no phones; check the transcript")
    meta["transcript"] = al.transcript or (text or "")
    meta["alignment_issues"] = list(al.issues)
    if "confidence" not in meta:
        confs = [w.confidence for w in al.spoken_words() if w.confidence is not None]
        meta["confidence"] = round(float(np.mean(confs)), 3) if confs else None
    check = meta.get("transcript_check")
    if check and not check["ok"]:  # not a confident animation: the words are not what is said
        meta["confidence"] = round(min(meta["confidence"] or 0.0, max(0.0, 1.0 - (check["wer"] or 1.0))), 3)

    loud = frame_loudness(samples, sr, fps, n_frames=n)

    def run(params: PriorParams) -> tuple[np.ndarray, list]:
        if model is not None:
            return animate_learned(model, samples, sr, al, fps, tables=tables, loudness_db=loud,
                                   jaw=params.jaw, lip=params.lip, locks=editor, n_frames=n)
        return animate_prior(al, fps, lexicon=tables.lexicon, loudness_db=loud,
                             jaw=params.jaw, lip=params.lip, locks=editor, n_frames=n)

    stage("animating")
    styled = stylize(styles, animate=run, alignment=al, fps=fps, n_frames=n, tables=tables,
                     loudness_db=loud, locks=editor, seed=seed)
    weights, keys = styled.weights, styled.keys
    meta["style"] = {"jaw": styled.params.jaw, "lip": styled.params.lip}
    meta["styles"] = styled.specs
    audio_path = str(audio) if isinstance(audio, (str, os.PathLike)) else None
    anim = Animation(
        fps=float(fps), weights=weights, head_pose=styled.head_pose, phones=list(al.phones),
        words=list(al.words), keys=keys,
        locks=editor.as_dict(), audio_path=audio_path,
        audio=None if audio_path else (samples, sr), meta=meta,
    )
    if anim.locks:  # the editor wins over the closure rule: say so when a lock opens a /p b m/
        for c in locks_opening_closures(anim, lexicon=tables.lexicon):
            log.warning("the lock at frame %d (%s) holds the lips %.1f mm apart on /%s/ in %r, where they "
                        "must close; move the lock or lock the closure too", c["frame"],
                        ", ".join(c["channels"]), c["gap_mm"], c["phone"], c["word"])
    return anim
