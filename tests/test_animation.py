"""The Animation type: validation, save/load, resample, slice, vertices, audio span.

The animations are real (LibriVox alignment + the linguistic prior, see
anim_samples.py); every file is written to disk and read back.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import soundfile as sf
from anim_samples import real_animation

from kmtalk.face.animation import FORMAT_VERSION, Animation
from kmtalk.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from kmtalk.errors import AnimationError, AudioError, KmtalkError, LockError
from kmtalk.face.rig import default_rig
from phoneme.frames import frame_at
from phoneme.keys import KeyMotion
from phoneme.types import Interval

JAW = ARKIT_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def anim(speech_dir):
    return real_animation(speech_dir)


# --------------------------------------------------------------------------- validation
def test_weights_stored_as_float32_copy():
    w = np.full((4, 52), 0.25, np.float64)
    a = Animation(fps=25, weights=w)
    assert a.weights.dtype == np.float32 and a.weights.flags.c_contiguous
    w[0, 0] = 0.9
    assert a.weights[0, 0] == np.float32(0.25)  # not a view of the caller's array
    assert a.names == ARKIT_NAMES and len(a.names) == 52
    assert a.n_frames == 4 and a.duration == pytest.approx(0.16)
    assert a.times.tolist() == pytest.approx([0.0, 0.04, 0.08, 0.12])


@pytest.mark.parametrize("shape", [(10, 51), (10, 53), (52,), (0, 52), (2, 52, 1)])
def test_wrong_shape_rejected(shape):
    with pytest.raises(AnimationError, match=r"\[T, 52\]"):
        Animation(fps=30, weights=np.zeros(shape))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_rejected_with_location(bad):
    w = np.zeros((10, 52))
    w[7, JAW] = bad
    with pytest.raises(AnimationError, match="frame 7, channel jawOpen"):
        Animation(fps=30, weights=w)
    with pytest.raises(AnimationError):  # clip does not rescue NaN
        Animation(fps=30, weights=w, clip=True)


def test_out_of_range_rejected_or_clipped():
    w = np.zeros((5, 52))
    w[1, JAW], w[2, 0] = 1.25, -0.5
    with pytest.raises(AnimationError, match=r"outside \[0, 1\].*clip=True"):
        Animation(fps=30, weights=w)
    a = Animation(fps=30, weights=w, clip=True)
    assert a.weights[1, JAW] == 1.0 and a.weights[2, 0] == 0.0
    assert a.weights.min() >= 0 and a.weights.max() <= 1
    assert isinstance(AnimationError("x"), KmtalkError)


@pytest.mark.parametrize("fps", [0, -30, float("nan"), float("inf"), "fast"])
def test_bad_fps_rejected(fps):
    with pytest.raises(AnimationError, match="fps"):
        Animation(fps=fps, weights=np.zeros((3, 52)))


def test_non_numeric_weights_rejected():
    with pytest.raises(AnimationError):
        Animation(fps=30, weights=np.array([["a"] * 52]))
    with pytest.raises(AnimationError):
        Animation(fps=30, weights=[[0.0] * 52, [0.0] * 3])  # ragged


def test_head_pose_validated():
    w = np.zeros((6, 52))
    with pytest.raises(AnimationError, match=r"\[6, 6\]"):
        Animation(fps=30, weights=w, head_pose=np.zeros((5, 6)))
    hp = np.zeros((6, 6))
    hp[2, 1] = np.nan
    with pytest.raises(AnimationError, match="head_pose"):
        Animation(fps=30, weights=w, head_pose=hp)
    ok = Animation(fps=30, weights=w, head_pose=np.zeros((6, 6), np.float64))
    assert ok.head_pose.dtype == np.float32


@pytest.mark.parametrize(
    "locks, match",
    [
        ({10: {"jawOpen": 0.5}}, "outside the animation"),
        ({-1: {"jawOpen": 0.5}}, "outside the animation"),
        ({2: {"jawOpn": 0.5}}, "unknown channel 'jawOpn'"),
        ({2: {"jawOpen": 1.5}}, r"values must be in \[0, 1\]"),
        ({2.5: {"jawOpen": 0.5}}, "not an integer frame"),
        ({2: {}}, "must map channel names"),
    ],
)
def test_bad_locks_rejected(locks, match):
    with pytest.raises(LockError, match=match):
        Animation(fps=30, weights=np.zeros((10, 52)), locks=locks)


def test_timeline_accepts_dicts_and_rejects_junk():
    a = Animation(
        fps=30,
        weights=np.zeros((3, 52)),
        phones=[{"label": "b", "start": 0.0, "end": 0.05}],
        keys=[
            {
                "frame": 1,
                "time": 1 / 30,
                "phone": "b",
                "viseme": "PP",
                "kind": "bilabial_closure",
                "weight": 1.0,
                "phone_index": 0,
            }
        ],
        locks={"2": {"jawOpen": 0.1}},
    )
    assert isinstance(a.phones[0], Interval) and isinstance(a.keys[0], KeyMotion)
    assert a.locks == {2: {"jawOpen": pytest.approx(0.1)}}
    with pytest.raises(AnimationError):
        Animation(fps=30, weights=np.zeros((3, 52)), phones=["b"])
    with pytest.raises(AnimationError):
        Animation(fps=30, weights=np.zeros((3, 52)), keys=[{"frame": 1}])


def test_channel_by_name(anim):
    assert np.shares_memory(anim.channel("jawOpen"), anim.weights)
    np.testing.assert_array_equal(anim.channel("jawOpen"), anim.weights[:, JAW])
    with pytest.raises(AnimationError, match="unknown blendshape"):
        anim.channel("smile")


# --------------------------------------------------------------------------- save / load
def _same(a: Animation, b: Animation) -> None:
    assert a.fps == b.fps
    assert a.weights.dtype == b.weights.dtype and a.weights.tobytes() == b.weights.tobytes()
    if a.head_pose is None:
        assert b.head_pose is None
    else:
        assert a.head_pose.tobytes() == b.head_pose.tobytes()
    assert a.phones == b.phones and a.words == b.words and a.keys == b.keys
    assert a.locks == b.locks and a.meta == b.meta
    assert a.audio_offset == b.audio_offset


def test_npz_round_trip_bit_exact(anim, tmp_path):
    path = anim.save(tmp_path / "line.npz")
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == ["line.npz"]
    back = Animation.load(path)
    _same(anim, back)
    assert back.audio_path == anim.audio_path
    assert back.locks == {45: {"jawOpen": anim.weights[45, JAW].item()}}
    # saving the loaded animation gives the same arrays and metadata again
    again = Animation.load(back.save(tmp_path / "again.npz"))
    _same(back, again)


def test_npz_in_memory_audio_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    samples = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    a = Animation(fps=25, weights=rng.uniform(0, 1, (25, 52)), audio=(samples, 8000))
    b = Animation.load(a.save(tmp_path / "a.npz"))
    assert b.audio[1] == 8000 and b.audio[0].tobytes() == samples.tobytes()


def test_npz_has_version_and_no_pickle(anim, tmp_path):
    path = anim.save(tmp_path / "a.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert int(npz["format_version"]) == FORMAT_VERSION == 1
        meta = json.loads(str(npz["metadata"]))
        assert all(npz[k].dtype != object for k in npz.files)
    assert meta["format_version"] == 1 and meta["names"] == list(ARKIT_NAMES)
    assert meta["fps"] == 30.0 and len(meta["keys"]) == len(anim.keys)


def _rewrite(src, dst, **changes):
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    with open(dst, "wb") as fh:
        np.savez(fh, **arrays)
    return dst


def test_other_version_rejected(anim, tmp_path):
    src = anim.save(tmp_path / "a.npz")
    bad = _rewrite(src, tmp_path / "v2.npz", format_version=np.array(2))
    with pytest.raises(AnimationError, match="version 2.*reads version 1"):
        Animation.load(bad)


@pytest.mark.parametrize(
    "damage",
    [
        "truncate",
        "garbage",
        "empty",
        "no_metadata",
        "bad_json",
        "pickled",
        "bad_weights",
        "wrong_format",
    ],
)
def test_corrupt_files_rejected(anim, tmp_path, damage):
    src = anim.save(tmp_path / "a.npz")
    dst = tmp_path / f"{damage}.npz"
    raw = src.read_bytes()
    if damage == "truncate":
        dst.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        dst.write_bytes(np.random.default_rng(0).bytes(4096))
    elif damage == "empty":
        dst.write_bytes(b"")
    elif damage == "no_metadata":
        _rewrite(src, dst, metadata=None)
    elif damage == "bad_json":
        _rewrite(src, dst, metadata=np.array("{not json"))
    elif damage == "pickled":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name in ("format_version", "metadata", "weights"):
                arr = np.array([{"x": 1}], dtype=object) if name == "weights" else None
                with np.load(src, allow_pickle=False) as npz:
                    arr = npz[name] if arr is None else arr
                member = io.BytesIO()
                np.save(member, arr, allow_pickle=True)
                zf.writestr(name + ".npy", member.getvalue())
        dst.write_bytes(buf.getvalue())
    elif damage == "bad_weights":
        w = np.array(anim.weights)
        w[3, 3] = np.nan
        _rewrite(src, dst, weights=w)
    elif damage == "wrong_format":
        meta = json.loads(str(np.load(src)["metadata"]))
        meta["format"] = "something.else"
        _rewrite(src, dst, metadata=np.array(json.dumps(meta)))
    with pytest.raises(AnimationError) as info:
        Animation.load(dst)
    assert str(dst.name) in str(info.value) or damage in ("bad_weights",)


def test_missing_file_and_unserialisable_meta(tmp_path):
    with pytest.raises(AnimationError, match="does not exist"):
        Animation.load(tmp_path / "nope.npz")
    a = Animation(fps=30, weights=np.zeros((2, 52)), meta={"f": object()})
    with pytest.raises(AnimationError, match="JSON"):
        a.save(tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# --------------------------------------------------------------------------- resample
def test_resample_up_and_down_keeps_curves(anim):
    up = anim.resample(60)
    assert up.fps == 60 and up.n_frames == 180 and up.duration == pytest.approx(anim.duration)
    # every old frame is an even new frame: values kept exactly (locked one included)
    np.testing.assert_allclose(up.weights[::2], anim.weights, atol=1e-6)
    # new frames in between are the linear midpoints
    mid = 0.5 * (anim.weights[:-1] + anim.weights[1:])
    np.testing.assert_allclose(up.weights[1:-1:2], mid, atol=1e-6)
    down = up.resample(30)
    np.testing.assert_allclose(down.weights, anim.weights, atol=1e-6)
    np.testing.assert_allclose(down.head_pose, anim.head_pose, atol=1e-6)
    assert up.weights.min() >= 0 and up.weights.max() <= 1


def test_resample_maps_keys_locks_and_timeline(anim):
    r = anim.resample(24)
    assert r.n_frames == round(anim.duration * 24) == 72
    assert [k.kind for k in r.keys] == [k.kind for k in anim.keys]
    for old, new in zip(anim.keys, r.keys):
        assert new.frame == frame_at(old.time, 24) and new.time == pytest.approx(new.frame / 24)
    ((f_old, ch),) = anim.locks.items()
    ((f_new, ch_new),) = r.locks.items()
    assert f_new == frame_at(f_old / 30, 24) and ch_new == ch
    assert r.weights[f_new, JAW] == np.float32(ch["jawOpen"])  # locked values stay pinned
    assert r.phones == anim.phones and r.words == anim.words
    with pytest.raises(AnimationError):
        anim.resample(0)


def test_halves_round_up_as_everywhere_else():
    """phoneme.frames' rule (halves up), not Python's round (halves to even: round(2.5) = 2, round(3.5) = 4)."""
    a = Animation(fps=30, weights=np.full((10, 52), 0.1), locks={5: {"jawOpen": 0.5}, 7: {"jawOpen": 0.2}})
    r = a.resample(15)  # the locks land on frames 2.5 and 3.5
    assert sorted(r.locks) == [3, 4] and r.weights[3, JAW] == np.float32(0.5)
    assert a.slice(2.5 / 30, None).n_frames == 7 and a.slice(3.5 / 30, None).n_frames == 6
    assert Animation(fps=30, weights=np.zeros((5, 52))).resample(15).n_frames == 3  # 2.5 frames long


def test_resample_single_frame():
    a = Animation(fps=30, weights=np.full((1, 52), 0.3))
    r = a.resample(60)
    assert r.n_frames == 2 and np.allclose(r.weights, 0.3)


# --------------------------------------------------------------------------- slice
def test_slice_by_time(anim):
    s = anim.slice(1.0, 2.0)
    assert s.n_frames == 30 and s.fps == anim.fps
    np.testing.assert_array_equal(s.weights, anim.weights[30:60])
    np.testing.assert_array_equal(s.head_pose, anim.head_pose[30:60])
    assert s.audio_offset == pytest.approx(1.0)
    assert all(0 <= p.start < p.end <= 1.0 + 1e-9 for p in s.phones + s.words)
    # the phone under the middle of the slice is the one under t = 1.5 s in the original
    orig = next(p for p in anim.phones if p.start <= 1.5 < p.end)
    here = next(p for p in s.phones if p.start <= 0.5 < p.end)
    assert here.label == orig.label and here.start == pytest.approx(max(0.0, orig.start - 1.0))
    assert [k.frame for k in s.keys] == [k.frame - 30 for k in anim.keys if 30 <= k.frame < 60]
    assert s.locks == {15: anim.locks[45]}
    # anim[t0:t1] is the same
    t = anim[1.0:2.0]
    assert t.weights.tobytes() == s.weights.tobytes() and t.keys == s.keys
    assert anim[:0.5].n_frames == 15 and anim[2.5:].n_frames == 15


def test_slice_keeps_audio_in_sync(anim):
    whole, sr = anim.load_audio()
    part, sr2 = anim.slice(1.0, 2.0).load_audio()
    assert sr == sr2 == 16000 and len(part) == 16000
    np.testing.assert_array_equal(part, whole[16000:32000])
    nested = anim.slice(1.0, 2.5).slice(0.5, 1.0)  # offsets add up
    assert nested.audio_offset == pytest.approx(1.5)
    np.testing.assert_array_equal(nested.load_audio()[0], whole[24000:32000])


def test_empty_or_bad_slice_rejected(anim):
    with pytest.raises(AnimationError, match="holds no frame"):
        anim.slice(2.0, 1.0)
    with pytest.raises(AnimationError, match="holds no frame"):
        anim.slice(5.0, 6.0)
    with pytest.raises(AnimationError):
        anim[1]
    with pytest.raises(AnimationError):
        anim[0:1:2]


def test_audio_errors(tmp_path):
    a = Animation(fps=30, weights=np.zeros((3, 52)), audio_path=str(tmp_path / "missing.wav"))
    with pytest.raises(AudioError, match="missing.wav"):
        a.load_audio()
    assert Animation(fps=30, weights=np.zeros((3, 52))).load_audio() is None
    sf.write(tmp_path / "short.wav", np.zeros(800, np.float32), 16000)
    b = Animation(fps=30, weights=np.zeros((30, 52)), audio_path=str(tmp_path / "short.wav"))
    assert len(b.load_audio()[0]) == 800  # what exists, no padding


# --------------------------------------------------------------------------- vertices
def test_vertices_on_default_rig(anim):
    rig = default_rig()
    v = anim.vertices()
    assert v.shape == (anim.n_frames, rig.n_vertices, 3) and v.dtype == np.float32
    np.testing.assert_allclose(v, rig.evaluate(anim.weights), atol=1e-6)
    # the mouth opens where jawOpen is largest: the chin is lower than at rest
    f = int(np.argmax(anim.weights[:, JAW]))
    chin = rig.landmarks["chin"]
    assert v[f, chin, 1] < rig.neutral[chin, 1] - 1e-3


def test_vertices_with_head_pose(anim):
    local = anim.vertices()
    posed = anim.vertices(head_pose=True)
    # a rigid motion: distances between vertices are preserved, positions are not
    i, j = 0, 1000
    np.testing.assert_allclose(
        np.linalg.norm(posed[:, i] - posed[:, j], axis=1),
        np.linalg.norm(local[:, i] - local[:, j], axis=1),
        atol=1e-6,
    )
    assert np.abs(posed - local).max() > 1e-3
