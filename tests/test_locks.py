"""Editor locks: exact at locked frames, smooth around them, validated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kmtalk.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from kmtalk.errors import LockError
from kmtalk.face.locks import apply_locks, locks_to_json, merge_locks, read_locks_file, resolve_locks
from kmtalk.animator.prior.poses import load_prior_tables

FPS = 30.0


def _speechlike(n=150, seed=0):
    """Smooth random curves with speech-like frame-to-frame changes."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n // 5 + 2, 52))
    t = np.linspace(0, n // 5 + 1, n)
    out = np.stack([np.interp(t, np.arange(x.shape[0]), x[:, c]) for c in range(52)], axis=1)
    return (0.6 * out).astype(np.float32)


def test_exact_at_locks_and_only_named_channels_change():
    base = _speechlike()
    spec = {10: {"jawOpen": 0.95}, 40: {"mouthClose": 0.0, "mouthFunnel": 1.0}, 1.5: "ou", 120: base[3] * 0 + 0.3}
    locks = resolve_locks(spec, n_frames=base.shape[0], fps=FPS)
    out = apply_locks(base, locks, fps=FPS)
    assert out.dtype == np.float32 and out.shape == base.shape
    for k, f in enumerate(locks.frames):
        cols = np.flatnonzero(locks.mask[k])
        np.testing.assert_array_equal(out[f, cols], locks.values[k, cols])
    untouched = ~locks.mask.any(axis=0)
    np.testing.assert_array_equal(out[:, untouched], base[:, untouched])
    assert locks.frames.tolist() == [10, 40, 45, 120]


@pytest.mark.parametrize("seed", range(5))
def test_no_pop_into_locked_frames(seed):
    """The jump into a locked frame is no larger than the largest natural change nearby."""
    base = _speechlike(seed=seed)
    rng = np.random.default_rng(seed)
    frames = sorted(rng.choice(np.arange(8, 140, 30), size=4, replace=False) + rng.integers(0, 5, 4))
    spec = {int(f): {name: float(rng.uniform()) for name in rng.choice(ARKIT_NAMES, 5, replace=False)}
            for f in frames}
    locks = resolve_locks(spec, n_frames=base.shape[0], fps=FPS)
    out = apply_locks(base, locks, fps=FPS)
    natural_step = np.abs(np.diff(base, axis=0)).max(axis=1)
    for k, f in enumerate(locks.frames):
        cols = np.flatnonzero(locks.mask[k])
        jump_in = np.abs(out[f, cols] - out[f - 1, cols]).max()
        jump_out = np.abs(out[f + 1, cols] - out[f, cols]).max()
        nearby = natural_step[max(f - 15, 0):f + 15].max()
        assert jump_in <= nearby + 1e-6 and jump_out <= nearby + 1e-6


def test_consecutive_locks_hold_and_far_motion_is_untouched():
    base = _speechlike()
    spec = {f: {"jawOpen": 0.7} for f in range(50, 56)}
    locks = resolve_locks(spec, n_frames=base.shape[0], fps=FPS)
    out = apply_locks(base, locks, fps=FPS)
    j = ARKIT_INDEX["jawOpen"]
    np.testing.assert_array_equal(out[50:56, j], np.float32(0.7))
    # Beyond the 0.5 s pull window the original motion is kept exactly.
    np.testing.assert_allclose(out[:34, j], base[:34, j], atol=1e-7)
    np.testing.assert_allclose(out[72:, j], base[72:, j], atol=1e-7)


def test_viseme_lock_uses_lexicon_pose():
    tables = load_prior_tables()
    locks = resolve_locks({5: "PP"}, n_frames=20, fps=FPS)
    row = tables.poses[1]
    assert locks.values[0, ARKIT_INDEX["mouthPressLeft"]] == pytest.approx(row[ARKIT_INDEX["mouthPressLeft"]])
    assert locks.mask[0, ARKIT_INDEX["jawOpen"]] and not locks.mask[0, ARKIT_INDEX["eyeBlinkLeft"]]


def test_merge_override_wins():
    a = resolve_locks({3: {"jawOpen": 0.1, "mouthClose": 0.1}}, n_frames=10, fps=FPS)
    b = resolve_locks({3: {"jawOpen": 0.5}}, n_frames=10, fps=FPS)
    m = merge_locks(a, b).as_dict()
    assert m == {3: {"jawOpen": 0.5, "mouthClose": pytest.approx(0.1)}}


def test_json_file_keys(tmp_path):
    path = tmp_path / "locks.json"
    path.write_text(json.dumps({"12": {"jawOpen": 0.4}, "0.5s": "PP", "1.0": {"mouthClose": 0.2}}))
    locks = resolve_locks(read_locks_file(path), n_frames=60, fps=FPS)
    assert locks.frames.tolist() == [12, 15, 30]
    assert set(locks_to_json(locks)) == {"12", "15", "30"}


@pytest.mark.parametrize("spec, message", [
    ({100: {"jawOpen": 0.1}}, "outside the animation"),
    ({-1: {"jawOpen": 0.1}}, "outside the animation"),
    ({9.0: {"jawOpen": 0.1}}, "outside the audio"),
    ({3: {"jawOpn": 0.1}}, "did you mean 'jawOpen'"),
    ({3: {"jawOpen": 1.5}}, r"\[0, 1\]"),
    ({3: {"jawOpen": float("nan")}}, r"\[0, 1\]"),
    ({3: "XX"}, "unknown viseme"),
    ({3: {}}, "pins no channel"),
    ({3: np.zeros(7)}, "52 weights"),
    ({"soon": "PP"}, "neither a frame"),
])
def test_bad_locks(spec, message):
    with pytest.raises(LockError, match=message):
        resolve_locks(spec, n_frames=60, fps=FPS)


def test_bad_locks_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(LockError, match="JSON object"):
        read_locks_file(bad)
    with pytest.raises(LockError, match="cannot read"):
        read_locks_file(tmp_path / "none.json")


def test_reference_sets_the_pull_width():
    """A curve that already jumps to the pin in two frames (the learned model's bump) keeps the jump when
    widths come from the curve itself; with the free motion as the reference the pull spans the 0.5 s cap."""
    free = np.full((61, 52), 0.2, np.float32)
    free[:, 0] += 0.01 * np.sin(np.arange(61) / 3)  # some natural motion nearby
    bump = free.copy()
    bump[28:33, ARKIT_INDEX["jawOpen"]] = [0.5, 0.8, 0.9, 0.8, 0.5]
    locks = resolve_locks({30: {"jawOpen": 0.9}}, n_frames=61, fps=30)
    jaw = ARKIT_INDEX["jawOpen"]
    narrow = apply_locks(bump, locks, fps=30)
    wide = apply_locks(bump, locks, fps=30, reference=free)
    assert narrow[30, jaw] == wide[30, jaw] == np.float32(0.9)
    assert np.abs(np.diff(narrow[:, jaw])).max() >= 0.3 - 1e-6        # the bump stays
    assert np.abs(np.diff(wide[:, jaw])).max() < 0.1                  # spread over the cap
    assert wide[15, jaw] == pytest.approx(0.2, abs=1e-6)              # and no further than 0.5 s
    with pytest.raises(ValueError, match="reference"):
        apply_locks(bump, locks, fps=30, reference=free[:10])
