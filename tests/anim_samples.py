"""Realistic animations for the Animation and export tests (a helper module, not a test file).

The timeline is a real one: the word and phone alignment that pocketsphinx made
for a LibriVox utterance (shipped in tests/data/speech/librivox), converted to
IPA. The curves come from the real linguistic prior (:func:`kmtalk.animator.prior.animate_prior`)
with its key motions. Only the head pose is made up (a slow nod and turn),
because nothing in the pipeline produces one yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from phoneme.phones import arpabet_to_ipa
from phoneme.types import SILENCE, Alignment, Interval

UTTERANCE = (
    "sense_and_sensibility_01_austen_64kb-0880"  # "he was not an ill disposed young man", 3 s
)


def _word_label(text: str) -> str:
    text = re.sub(r"\(\d+\)$", "", text)
    return SILENCE if text.startswith("<") or text.upper() == "SIL" else text.lower()


def librivox_alignment(speech_dir: Path, utterance: str = UTTERANCE) -> Alignment:
    """The reference alignment of a LibriVox utterance as an :class:`Alignment` (IPA phones)."""
    doc = json.loads((speech_dir / "librivox" / f"{utterance}.phone.json").read_text("utf-8"))
    words, phones = [], []
    for wi, w in enumerate(doc["w"]):
        words.append(
            Interval(_word_label(w["t"]), w["b"], round(w["b"] + w["d"], 3), confidence=w["p"])
        )
        for p in w["w"]:
            start, end = p["b"], round(p["b"] + p["d"], 3)
            if p["t"].upper() in ("SIL", "+NSN+", "+SPN+"):
                phones.append(Interval(SILENCE, start, end))
            else:
                ipa, stress = arpabet_to_ipa(p["t"])
                phones.append(Interval(ipa, start, end, stress=stress, word=wi))
    return Alignment(
        words=words,
        phones=phones,
        duration=round(doc["b"] + doc["d"], 3),
        transcript=doc["t"],
        aligner="pocketsphinx-reference",
    )


def real_animation(
    speech_dir: Path, *, fps: float = 30.0, head_pose: bool = True, utterance: str = UTTERANCE
):
    """An Animation of the utterance: prior curves, real keys and timeline, audio path, a lock."""
    from kmtalk.face.animation import Animation
    from kmtalk.animator.prior import animate_prior

    al = librivox_alignment(speech_dir, utterance)
    weights, keys = animate_prior(al, fps)
    n = len(weights)
    head = None
    if head_pose:
        t = np.arange(n) / fps
        head = np.zeros((n, 6), np.float32)
        head[:, 0] = 0.08 * np.sin(2 * np.pi * 0.7 * t)  # pitch (nod)
        head[:, 1] = 0.15 * np.sin(2 * np.pi * 0.3 * t)  # yaw (turn)
        head[:, 2] = 0.03 * np.sin(2 * np.pi * 0.5 * t)  # roll
        head[:, 4] = 0.004 * np.sin(2 * np.pi * 0.7 * t)  # ty in metres
    lock_frame = n // 2
    locks = {lock_frame: {"jawOpen": float(weights[lock_frame, 17])}}
    return Animation(
        fps=fps,
        weights=weights,
        head_pose=head,
        phones=al.phones,
        words=al.words,
        keys=keys,
        locks=locks,
        audio_path=str(speech_dir / "librivox" / f"{utterance}.flac"),
        meta={"method": "prior", "transcript": al.transcript, "confidence": 0.9},
    )
