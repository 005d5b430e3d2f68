"""Metrics helpers used by the benchmarks: lip contour gaps, the loudness baseline, the best-lag diagnostic.

Everything runs on the real default head and, where audio is needed, on a real
clip of ../shared/data/video-dev.
"""

from __future__ import annotations

import numpy as np
import pytest

from kmtalk.errors import AnimationError, RigError
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.face.rig import default_rig
from kmtalk.train.metrics import (
    best_lag,
    lip_contour_gaps_mm,
    lip_gap_mm,
    loudness_lipsync_score,
    pearson,
)
from phoneme.audio import load_audio
from phoneme.loudness import frame_loudness


def _pose(**weights: float) -> np.ndarray:
    w = np.zeros(52, np.float32)
    for name, value in weights.items():
        w[ARKIT_INDEX[name]] = value
    return w


@pytest.fixture(scope="module")
def rig():
    return default_rig()


def test_contour_gaps_closed_at_rest_and_closure_open_with_jaw(rig):
    w = np.stack([_pose(), _pose(jawOpen=0.3, mouthClose=0.3), _pose(jawOpen=0.3), _pose(jawOpen=0.6)])
    g = lip_contour_gaps_mm(w, rig)
    assert g.shape[0] == 4 and g.shape[1] >= 5          # several columns across the central stretch
    assert np.all(g[:2] < 1.0)                          # rest and jaw+mouthClose: sealed all along
    assert np.all(g[2] > 5.0) and np.all(g[3] > g[2])   # the jaw opens every column, wider with more jaw
    # The midline column agrees with the landmark measure.
    mid = np.argmin(np.abs(np.arange(g.shape[1]) - (g.shape[1] - 1) / 2))
    np.testing.assert_allclose(g[:, mid], lip_gap_mm(w, rig), rtol=0.03, atol=0.3)


def test_contour_gaps_see_an_opening_off_the_midline(rig):
    """A lip shape open beside the midline but not at it is caught by the contour, not by the landmarks."""
    # mouthUpperUpLeft raises the upper lip on one side only.
    w = _pose(jawOpen=0.1, mouthClose=0.1, mouthUpperUpLeft=1.0)[None]
    g = lip_contour_gaps_mm(w, rig)[0]
    landmark = float(lip_gap_mm(w, rig)[0])
    assert g.max() > landmark + 1.0
    assert g.max() > 1.0


def test_contour_gaps_scalar_frame_and_width(rig):
    narrow = lip_contour_gaps_mm(_pose(), rig, half_width_mm=3.0)
    wide = lip_contour_gaps_mm(_pose(), rig, half_width_mm=10.0)
    assert narrow.shape[0] == 1 and narrow.shape[1] < wide.shape[1]


def test_contour_gaps_need_a_lips_region(rig):
    import dataclasses

    bare = dataclasses.replace(rig, regions={k: v for k, v in rig.regions.items() if k != "lips"})
    with pytest.raises(RigError, match="lips"):
        lip_contour_gaps_mm(_pose(), bare)


def test_loudness_baseline_on_real_clip(video_dir):
    y, sr = load_audio(video_dir / "retalking_1.wav")
    d = np.load(video_dir / "retalking_1.landmarks.npz")
    ap, fps = d["aperture"], float(d["fps"])
    r = loudness_lipsync_score(y, sr, ap, fps)
    expected = pearson(frame_loudness(y, sr, fps, n_frames=len(ap), window=0.04), ap)
    assert r == pytest.approx(expected)
    assert 0.2 < r < 0.9            # this clip's loudness does follow its lips (measured 0.51)
    # A reversed audio track breaks the relation.
    assert loudness_lipsync_score(y[::-1].copy(), sr, ap, fps) < r - 0.3
    with pytest.raises(AnimationError):
        loudness_lipsync_score(y, sr, ap, 0.0)


def test_best_lag_sign_and_bounds():
    t = np.arange(250) / 25.0
    rng = np.random.default_rng(0)
    video = np.convolve(rng.standard_normal(260), np.ones(5) / 5, mode="same")[:250]
    late = np.interp(t - 0.2, t, video)             # the same signal, 200 ms later
    r, lag = best_lag(late, 25.0, video, 25.0)
    assert lag == pytest.approx(0.2, abs=0.011) and r > 0.95
    early = np.interp(t + 0.1, t, video)
    assert best_lag(early, 25.0, video, 25.0)[1] == pytest.approx(-0.1, abs=0.011)
    # Lags outside the window are not searched.
    r_small, lag_small = best_lag(late, 25.0, video, 25.0, max_lag=0.05)
    assert abs(lag_small) <= 0.05 + 1e-9 and r_small < r
    assert best_lag(late, 25.0, video, 25.0)[0] >= pearson(np.interp(t, t, late), video)
