"""The linguistic prior animator on synthetic alignments, measured on the real default rig."""

from __future__ import annotations

import numpy as np
import pytest

from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.face.locks import resolve_locks
from kmtalk.animator.prior import animate_prior, blend
from kmtalk.face.rig import default_rig
from phoneme.types import Alignment, Interval

FPS = 30.0
J = ARKIT_INDEX["jawOpen"]


def _alignment(seq, pause=0.4) -> Alignment:
    phones = [Interval("sil", 0.0, pause)]
    t = pause
    for label, dur in seq:
        phones.append(Interval(label, t, t + dur, word=1))
        t += dur
    phones.append(Interval("sil", t, t + pause))
    words = [Interval("sil", 0, pause), Interval("w", pause, t), Interval("sil", t, t + pause)]
    return Alignment(words=words, phones=phones, duration=t + pause)


# "bob bought a big blue balloon, mama" — many bilabials between open vowels
SEQ = [("b", .07), ("ɑ", .15), ("b", .06), ("b", .05), ("ɔ", .14), ("t", .05), ("ə", .05),
       ("b", .05), ("ɪ", .1), ("ɡ", .06), ("b", .05), ("l", .06), ("u", .14), ("b", .05), ("ə", .05),
       ("l", .06), ("u", .12), ("n", .08), ("m", .06), ("ɑ", .12), ("m", .05), ("ə", .1)]


def _lip_gap_mm(weights: np.ndarray) -> np.ndarray:
    rig = default_rig()
    v = rig.evaluate(weights)
    up = v[:, rig.landmarks["upper_lip_inner"]]
    lo = v[:, rig.landmarks["lower_lip_inner"]]
    return (up[:, 1] - lo[:, 1]) * 1000.0


def test_lips_meet_at_every_bilabial():
    a = _alignment(SEQ)
    w, keys = animate_prior(a, FPS)
    closures = [k for k in keys if k.kind == "bilabial_closure"]
    assert len(closures) == sum(1 for p, _ in SEQ if p in "bm")
    gap = _lip_gap_mm(w[[k.frame for k in closures]])
    assert np.all(gap < 1.0), gap
    # ... while the open vowels between them really open the mouth.
    apex = [k.frame for k in keys if k.kind == "vowel_apex" and k.phone == "ɑ"]
    assert np.all(_lip_gap_mm(w[apex]) > 5.0)


def test_curves_valid_smooth_and_deterministic():
    a = _alignment(SEQ)
    w1, _ = animate_prior(a, FPS)
    w2, _ = animate_prior(a, FPS)
    assert w1.dtype == np.float32 and w1.shape == (round(a.duration * FPS), 52)
    assert np.array_equal(w1, w2)
    assert w1.min() >= 0 and w1.max() <= 1
    vel = np.abs(np.diff(w1, axis=0))
    assert vel.max() < 0.45  # no frame-to-frame pops on 50 ms phones
    # Nothing outside the mouth moves.
    assert np.all(w1[:, ARKIT_INDEX["eyeBlinkLeft"]] == 0)


def test_rest_in_pauses_with_lead_times():
    a = _alignment([("ɑ", 0.3)], pause=1.0)
    w, _ = animate_prior(a, FPS)
    assert np.abs(w[:15]).max() < 1e-3  # deep in the leading pause: rest
    assert w[int(1.15 * FPS), J] > 0.3  # inside the vowel: open
    assert w[int(0.95 * FPS), J] > 0.01  # the jaw starts opening before the vowel (anticipation)


def test_rounding_is_anticipated():
    a = _alignment([("s", 0.12), ("t", 0.06), ("u", 0.2)])
    w = blend(a, FPS)
    pucker = w[:, ARKIT_INDEX["mouthPucker"]]
    s_mid = int((0.4 + 0.06) * FPS)
    assert pucker[s_mid] > 0.05
    a_plain = _alignment([("s", 0.12), ("t", 0.06), ("i", 0.2)])
    assert blend(a_plain, FPS)[s_mid, ARKIT_INDEX["mouthPucker"]] < 1e-3


def test_strong_lip_phone_keeps_its_shape_between_vowels():
    a = _alignment([("ɑ", 0.15), ("f", 0.1), ("ɑ", 0.15)])
    w, keys = animate_prior(a, FPS)
    f = [k.frame for k in keys if k.kind == "labiodental_contact"][0]
    assert w[f, ARKIT_INDEX["mouthRollLower"]] == pytest.approx(0.55, abs=1e-6)
    assert w[f, J] <= 0.1 + 1e-6


def test_loudness_and_style_axes():
    a = _alignment([("ɑ", 0.3), ("t", 0.05), ("ɑ", 0.3)])
    n = round(a.duration * FPS)
    quiet_then_loud = np.where(np.arange(n) < n // 2, -30.0, -10.0)
    w, _ = animate_prior(a, FPS, loudness_db=quiet_then_loud)
    first = w[int(0.55 * FPS), J]
    second = w[int(0.95 * FPS), J]
    assert second > first * 1.2
    base, _ = animate_prior(a, FPS)
    mumble, _ = animate_prior(a, FPS, lip=0.3, jaw=0.5)
    assert mumble[:, J].max() < 0.6 * base[:, J].max()
    funnel = ARKIT_INDEX["mouthLowerDownLeft"]
    assert mumble[:, funnel].max() < 0.5 * base[:, funnel].max()


def test_editor_lock_exact_and_wins_over_closure():
    a = _alignment(SEQ)
    n = round(a.duration * FPS)
    _, keys = animate_prior(a, FPS)
    b = [k.frame for k in keys if k.kind == "bilabial_closure"][0]
    locks = resolve_locks({b: {"jawOpen": 0.5}, 30: {"mouthSmileLeft": 0.8}}, n_frames=n, fps=FPS)
    w, _ = animate_prior(a, FPS, locks=locks)
    assert w[b, J] == np.float32(0.5)
    assert w[30, ARKIT_INDEX["mouthSmileLeft"]] == np.float32(0.8)


def test_regeneration_after_transcript_edit_keeps_locks():
    """Same locks, edited phones (a word changed): locked values identical."""
    a1 = _alignment(SEQ)
    seq2 = list(SEQ)
    seq2[1] = ("i", 0.15)
    a2 = _alignment(seq2)
    n = round(a1.duration * FPS)
    spec = {20: {"jawOpen": 0.3, "mouthFunnel": 0.2}, 1.2: "ou"}
    w1, _ = animate_prior(a1, FPS, locks=resolve_locks(spec, n_frames=n, fps=FPS))
    w2, _ = animate_prior(a2, FPS, locks=resolve_locks(spec, n_frames=n, fps=FPS))
    locks = resolve_locks(spec, n_frames=n, fps=FPS)
    for k, f in enumerate(locks.frames):
        cols = np.flatnonzero(locks.mask[k])
        assert np.array_equal(w1[f, cols], w2[f, cols])
    assert not np.array_equal(w1, w2)
