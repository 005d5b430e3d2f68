"""Key-motion selection rules (phoneme.keys)."""

from __future__ import annotations

import numpy as np
import pytest

from phoneme.errors import AlignmentError, LexiconError
from phoneme.keys import KEY_KINDS, KeyMotion, select_keys
from phoneme.types import Alignment, Interval

INVENTORY = ["p", "b", "m", "f", "v", "t", "d", "s", "k", "h", "w", "ɑ", "i", "u", "oʊ", "ə", "ʃ", "n"]


def _alignment(labels_durations, pause_start=0.3, pause_end=0.3) -> Alignment:
    phones = [Interval("sil", 0.0, pause_start)]
    t = pause_start
    for label, dur in labels_durations:
        phones.append(Interval(label, t, t + dur, word=1))
        t += dur
    phones.append(Interval("sil", t, t + pause_end))
    duration = t + pause_end
    words = [Interval("sil", 0.0, pause_start), Interval("x", pause_start, t),
             Interval("sil", t, duration)]
    return Alignment(words=words, phones=phones, duration=duration)


def test_bob_example():
    a = _alignment([("b", 0.08), ("ɑ", 0.15), ("b", 0.08)])
    keys = select_keys(a, fps=30)
    kinds = [k.kind for k in keys]
    assert kinds.count("bilabial_closure") == 2
    assert kinds.count("vowel_apex") == 1
    assert keys[0].frame == 0 and keys[0].kind == "rest"
    assert keys[-1].frame == round(a.duration * 30) - 1 and keys[-1].kind == "rest"
    for k in keys:
        assert k.kind in KEY_KINDS
        assert k.time == pytest.approx(k.frame / 30)
        ph = a.phones[k.phone_index]
        if k.kind == "bilabial_closure":
            assert ph.start - 1 / 60 <= k.time <= ph.end + 1 / 60


@pytest.mark.parametrize("fps", [24, 25, 30, 60])
def test_every_bilabial_and_labiodental_gets_a_key_even_when_short(fps):
    """Random phone strings with phones down to 10 ms: no p/b/m/f/v is ever dropped."""
    rng = np.random.default_rng(fps)
    for _ in range(40):
        n = int(rng.integers(3, 25))
        seq = [(str(rng.choice(INVENTORY)), float(rng.uniform(0.01, 0.2))) for _ in range(n)]
        a = _alignment(seq)
        keys = select_keys(a, fps=fps)
        frames = [k.frame for k in keys]
        assert frames == sorted(frames)
        assert all(0 <= f < round(a.duration * fps) for f in frames)
        keyed = {k.phone_index for k in keys if k.kind in ("bilabial_closure", "labiodental_contact")}
        expected = {i for i, p in enumerate(a.phones) if p.label in ("p", "b", "m", "f", "v")}
        assert keyed == expected
        # Other kinds never share a frame with each other.
        others = [k.frame for k in keys if k.kind not in ("bilabial_closure", "labiodental_contact")]
        assert len(others) == len(set(others))


def test_kinds_per_phone_class():
    a = _alignment([("w", 0.1), ("u", 0.2), ("f", 0.1), ("i", 0.2), ("ʃ", 0.1), ("t", 0.1), ("m", 0.1)])
    by_phone = {a.phones[k.phone_index].label: k.kind for k in select_keys(a, fps=100)}
    assert by_phone == {"w": "rounding", "u": "rounding", "f": "labiodental_contact",
                        "i": "vowel_apex", "ʃ": "protrusion", "m": "bilabial_closure", "sil": "rest"}


def test_rest_keys_inside_long_pause_with_margins():
    a = _alignment([("ɑ", 0.2)], pause_start=1.0, pause_end=0.05)
    rest = [k for k in select_keys(a, fps=100, rest_margin=0.12) if k.kind == "rest"]
    assert [k.frame for k in rest][:3] == [0, 12, 88]
    # A short final pause (< min_pause) gets only the final-frame key.
    assert rest[-1].frame == round(a.duration * 100) - 1
    assert len(rest) == 4


def test_loudness_moves_vowel_apex_to_loudest_frame():
    a = _alignment([("ɑ", 0.5)], pause_start=0.0, pause_end=0.0)
    loud = np.zeros(51)
    loud[35] = 1.0
    apex = [k for k in select_keys(a, fps=100, loudness=loud) if k.kind == "vowel_apex"][0]
    assert apex.frame == 35
    # Outside the central 60 % the peak is ignored.
    loud[:] = 0
    loud[45] = 1.0
    loud[20] = 0.5
    apex = [k for k in select_keys(a, fps=100, loudness=loud) if k.kind == "vowel_apex"][0]
    assert apex.frame == 20


def test_weight_scaled_by_word_confidence():
    a = _alignment([("b", 0.1), ("ɑ", 0.1)])
    a.words[1] = Interval("x", a.words[1].start, a.words[1].end, confidence=0.5)
    closure = [k for k in select_keys(a, fps=30) if k.kind == "bilabial_closure"][0]
    assert closure.weight == pytest.approx(0.5)


def test_round_trip_dict():
    k = KeyMotion(3, 0.1, "b", "PP", "bilabial_closure", 1.0, 2)
    assert KeyMotion.from_dict(k.to_dict()) == k


def test_bad_inputs():
    a = _alignment([("b", 0.1)])
    with pytest.raises(AlignmentError, match="fps"):
        select_keys(a, fps=0)
    with pytest.raises(LexiconError, match="'ʘ'"):
        select_keys(_alignment([("ʘ", 0.1)]), fps=30)
    with pytest.raises(AlignmentError, match="loudness"):
        select_keys(a, fps=30, loudness=np.zeros((2, 2)))
