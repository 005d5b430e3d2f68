"""The default head rig: names, evaluation (numpy/torch), landmarks, regions, asset round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kmtalk.face.arkit import (
    ARKIT_GROUPS,
    ARKIT_INDEX,
    ARKIT_MIRROR,
    ARKIT_NAMES,
    LIVE_LINK_FACE_BLENDSHAPES,
    LIVE_LINK_FACE_COLUMNS,
    canonical_name,
)
from kmtalk.errors import AnimationError, RigError
from kmtalk.face.rig import Rig, default_rig, validate_weights


@pytest.fixture(scope="module")
def rig() -> Rig:
    return default_rig()


def one_hot(name: str, value: float = 1.0) -> np.ndarray:
    w = np.zeros(52, np.float32)
    w[ARKIT_INDEX[name]] = value
    return w


def test_arkit_names_apple_order_and_live_link_layout():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert ARKIT_NAMES[:2] == ("eyeBlinkLeft", "eyeLookDownLeft")
    assert ARKIT_NAMES[14:18] == ("jawForward", "jawLeft", "jawRight", "jawOpen")
    assert ARKIT_NAMES[41] == "browDownLeft" and ARKIT_NAMES[-1] == "tongueOut"
    assert LIVE_LINK_FACE_COLUMNS[:2] == ("Timecode", "BlendshapeCount")
    assert len(LIVE_LINK_FACE_COLUMNS) == 63
    # Live Link Face swaps the Left/Right order of jaw and mouth sideways shapes
    assert LIVE_LINK_FACE_BLENDSHAPES[15:17] == ("JawRight", "JawLeft")
    assert sorted(canonical_name(c) for c in LIVE_LINK_FACE_BLENDSHAPES) == sorted(ARKIT_NAMES)
    assert sum(len(v) for v in ARKIT_GROUPS.values()) == 52
    assert ARKIT_MIRROR["mouthSmileLeft"] == "mouthSmileRight"
    assert canonical_name("EYEBLINK_L") == "eyeBlinkLeft" and canonical_name("smile") is None


def test_default_rig_shapes_and_parts(rig):
    v = rig.n_vertices
    assert rig.names == ARKIT_NAMES
    assert rig.neutral.shape == (v, 3) and rig.neutral.dtype == np.float32
    assert rig.targets.shape == (52, v, 3)
    assert rig.triangles.shape[1] == 3 and rig.triangles.max() < v
    assert set(rig.part.tolist()) == {"skin", "mouth", "eyes", "teeth", "tongue", "lashes"}
    assert rig.hm08_index.shape == (v,) and rig.hm08_index.max() < 19158
    assert len(np.unique(rig.hm08_index)) == v
    # metres, centred, face looking +Z: a head is ~20-30 cm, nose is the front
    size = np.ptp(rig.neutral[rig.part == "skin"], axis=0)
    assert 0.15 < size[0] < 0.25 and 0.2 < size[1] < 0.35
    assert np.abs(rig.neutral[rig.part == "skin"].mean(axis=0)).max() < 0.05
    assert rig.neutral[rig.landmarks["nose_tip"], 2] == rig.neutral[:, 2].max()
    # every target moves something
    assert (np.abs(rig.targets).reshape(52, -1).max(axis=1) > 1e-4).all()
    assert rig.uvs is not None and rig.uv_triangles.shape == rig.triangles.shape


def test_neutral_is_rest_mesh(rig):
    np.testing.assert_array_equal(rig.evaluate(np.zeros(52)), rig.neutral)
    out = rig.evaluate(np.zeros((3, 52)))
    assert out.shape == (3, rig.n_vertices, 3)
    np.testing.assert_array_equal(out[2], rig.neutral)


def test_single_target_is_linear_delta(rig):
    w = one_hot("browInnerUp", 0.5)
    np.testing.assert_allclose(
        rig.evaluate(w), rig.neutral + 0.5 * rig.targets[ARKIT_INDEX["browInnerUp"]], atol=1e-6
    )


def gap_mm(rig, v) -> float:
    lm = rig.landmarks
    return float(v[lm["upper_lip_inner"], 1] - v[lm["lower_lip_inner"], 1]) * 1000


def test_jaw_open_with_mouth_close_gives_closed_lips(rig):
    """The animator's bilabials with an open jaw: inner-lip gap under 1 mm."""
    w = one_hot("jawOpen")
    assert gap_mm(rig, rig.evaluate(w)) > 30  # the jaw really is open
    for jaw in (0.3, 0.6, 1.0):
        w = one_hot("jawOpen", jaw) + one_hot("mouthClose", jaw)
        assert abs(gap_mm(rig, rig.evaluate(w))) < 1.0, jaw


def test_corrective_rules(rig):
    # clamp: mouthClose alone is limited by jawOpen (= 0): the face stays neutral
    np.testing.assert_allclose(rig.evaluate(one_hot("mouthClose")), rig.neutral, atol=1e-7)
    assert not np.allclose(rig.evaluate(one_hot("mouthClose"), correctives=False), rig.neutral)
    # combination shape: only active when both drivers are
    smile = one_hot("mouthSmileLeft")
    np.testing.assert_allclose(rig.evaluate(smile), rig.evaluate(smile, correctives=False))
    both = smile + one_hot("jawOpen")
    fixed, plain = rig.evaluate(both), rig.evaluate(both, correctives=False)
    moved = np.linalg.norm(fixed - plain, axis=1)
    assert moved.max() > 2e-3
    assert moved[rig.regions["upper_face"]].max() < 1e-4  # 0.1 mm
    assert {c.name for c in rig.correctives} == {"jawOpen_mouthSmileLeft", "jawOpen_mouthSmileRight"}
    assert ("mouthClose", "jawOpen") in rig.clamps
    # torch path applies the same rules
    np.testing.assert_allclose(rig.evaluate(torch.from_numpy(both)).numpy(), fixed, atol=1e-5)


@pytest.mark.parametrize(
    "name, still_region",
    [
        ("eyeBlinkLeft", "lips"),
        ("eyeBlinkRight", "lips"),
        ("browDownLeft", "lips"),
        ("jawOpen", "upper_face"),
        ("mouthClose", "upper_face"),
        ("mouthFunnel", "upper_face"),
        ("tongueOut", "upper_face"),
        ("tongueOut", "lips"),
    ],
)
def test_targets_move_only_their_region(rig, name, still_region):
    # the raw target (mouthClose alone is clamped to nothing by the corrective rules)
    moved = np.linalg.norm(rig.evaluate(one_hot(name), correctives=False) - rig.neutral, axis=1)
    assert moved.max() > 2e-3, f"{name} should visibly move something"
    # the Face Units targets spill up to ~0.7 mm into neighbouring areas; 1 mm is "still"
    assert moved[rig.regions[still_region]].max() < 1e-3


def test_jaw_and_eye_targets_move_their_own_regions(rig):
    jaw = np.linalg.norm(rig.targets[ARKIT_INDEX["jawOpen"]], axis=1)
    assert jaw[rig.regions["lips"]].max() > 0.02
    assert jaw[rig.landmarks["chin"]] > 0.02
    assert jaw[rig.regions["teeth_lower"]].min() > 0.005
    assert jaw[rig.regions["teeth_upper"]].max() < 1e-6
    blink = np.linalg.norm(rig.targets[ARKIT_INDEX["eyeBlinkLeft"]], axis=1)
    assert blink[rig.regions["eyes"]].max() > 0.01
    # the subject's left is +X
    assert rig.neutral[blink > 1e-3, 0].mean() > 0.01


def test_numpy_and_torch_agree(rig):
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 1, (4, 52)).astype(np.float32)
    out_np = rig.evaluate(w)
    out_t = rig.evaluate(torch.from_numpy(w))
    assert isinstance(out_t, torch.Tensor) and out_t.dtype == torch.float32
    np.testing.assert_allclose(out_t.numpy(), out_np, atol=1e-5)
    out_t64 = rig.evaluate(torch.from_numpy(w).double())
    assert out_t64.dtype == torch.float64
    np.testing.assert_allclose(out_t64.numpy(), out_np, atol=1e-5)
    # gradients flow through the torch path
    wt = torch.from_numpy(w[0]).requires_grad_(True)
    rig.evaluate(wt, clip=False).sum().backward()
    assert wt.grad is not None and torch.isfinite(wt.grad).all()


def test_bad_weights_rejected_or_clipped(rig):
    with pytest.raises(AnimationError, match="shape"):
        rig.evaluate(np.zeros(51))
    with pytest.raises(AnimationError, match="shape"):
        rig.evaluate(np.zeros((2, 3, 52)))
    bad = np.zeros((2, 52))
    bad[1, 3] = np.nan
    with pytest.raises(AnimationError, match="NaN"):
        rig.evaluate(bad)
    with pytest.raises(AnimationError, match="NaN"):
        rig.evaluate(torch.full((52,), float("inf")))
    with pytest.raises(AnimationError):
        rig.evaluate("jawOpen")
    # out of range: clipped to [0, 1] (documented), unless clip=False
    np.testing.assert_allclose(rig.evaluate(one_hot("jawOpen", 3.0)), rig.evaluate(one_hot("jawOpen")))
    np.testing.assert_allclose(rig.evaluate(-np.ones(52)), rig.neutral)
    far = rig.evaluate(one_hot("jawOpen", 2.0), clip=False)
    assert not np.allclose(far, rig.evaluate(one_hot("jawOpen")))
    assert validate_weights(np.full((1, 52), 7.0)).max() == 1.0


def test_landmarks_sane(rig):
    lm, v = rig.landmarks, rig.neutral
    expected = {
        "upper_lip_inner", "lower_lip_inner", "upper_lip_outer", "lower_lip_outer",
        "mouth_corner_left", "mouth_corner_right", "eye_outer_left", "eye_outer_right",
        "eye_inner_left", "eye_inner_right", "nose_tip", "chin",
    }
    assert set(lm) == expected
    y = {k: v[i, 1] for k, i in lm.items()}
    assert y["upper_lip_outer"] > y["upper_lip_inner"] >= y["lower_lip_inner"] > y["lower_lip_outer"]
    assert y["eye_inner_left"] > y["nose_tip"] > y["upper_lip_outer"] > y["chin"]
    # lips closed at rest: inner points within 3 mm
    assert np.linalg.norm(v[lm["upper_lip_inner"]] - v[lm["lower_lip_inner"]]) < 3e-3
    for a, b in [("mouth_corner_left", "mouth_corner_right"), ("eye_outer_left", "eye_outer_right"),
                 ("eye_inner_left", "eye_inner_right")]:
        pa, pb = v[lm[a]], v[lm[b]]
        assert pa[0] > 0.005 and pb[0] < -0.005, (a, b)
        np.testing.assert_allclose(pa * [-1, 1, 1], pb, atol=1e-3)
    for k in ("upper_lip_inner", "lower_lip_inner", "upper_lip_outer", "lower_lip_outer",
              "nose_tip", "chin"):
        assert abs(v[lm[k], 0]) < 1e-3, k
    # eye corners: outer further out than inner; eye width 2-4 cm; mouth 4-7 cm wide
    assert v[lm["eye_outer_left"], 0] > v[lm["eye_inner_left"], 0]
    assert 0.02 < v[lm["eye_outer_left"], 0] - v[lm["eye_inner_left"], 0] < 0.04
    assert 0.04 < v[lm["mouth_corner_left"], 0] - v[lm["mouth_corner_right"], 0] < 0.07
    # the lips landmarks are in the lips region
    for k in ("upper_lip_inner", "lower_lip_inner", "mouth_corner_left"):
        assert lm[k] in set(rig.regions["lips"].tolist())


def test_save_load_round_trip(rig, tmp_path):
    npz, meta = rig.save(tmp_path / "copy.npz")
    assert npz.suffix == ".npz" and meta.suffix == ".json"
    back = Rig.load(tmp_path / "copy")
    np.testing.assert_array_equal(back.neutral, rig.neutral)
    np.testing.assert_array_equal(back.targets, rig.targets)
    np.testing.assert_array_equal(back.triangles, rig.triangles)
    assert back.landmarks == rig.landmarks
    assert (back.part == rig.part).all()
    assert len(back.correctives) == len(rig.correctives)
    w = np.random.default_rng(1).uniform(0, 1, (2, 52))
    np.testing.assert_allclose(back.evaluate(w), rig.evaluate(w))
    assert not list(tmp_path.glob("tmp*")), "temporary files left behind"


def test_load_rejects_bad_files(tmp_path, rig):
    with pytest.raises(RigError, match="missing"):
        Rig.load(tmp_path / "nothing.npz")
    rig.save(tmp_path / "r")
    (tmp_path / "r.json").write_text('{"format": "kmtalk-rig", "version": 99}')
    with pytest.raises(RigError, match="version"):
        Rig.load(tmp_path / "r")


def test_rig_constructor_validates(rig):
    with pytest.raises(RigError, match="ARKit"):
        Rig(names=list(reversed(ARKIT_NAMES)), neutral=rig.neutral, triangles=rig.triangles,
            targets=rig.targets)
    with pytest.raises(RigError, match="topology"):
        Rig(names=ARKIT_NAMES, neutral=rig.neutral[:-1], triangles=rig.triangles[:10],
            targets=rig.targets)
    with pytest.raises(RigError, match="outside"):
        Rig(names=ARKIT_NAMES, neutral=rig.neutral, triangles=rig.triangles + rig.n_vertices,
            targets=rig.targets)
