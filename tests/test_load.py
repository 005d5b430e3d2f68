"""``kmtalk.load``: every format ``Animation.export`` writes that can be read back, dispatched on the extension.

Real files: a real animation (the bundled example's speech, pocketsphinx, the prior, the ``head``
style for a head pose, editor locks) is exported in each format to disk and read back with
``kmtalk.load``; the write-only formats and bad files give a typed error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kmtalk
from kmtalk.errors import AnimationError, KmtalkError
from kmtalk.face.formats import readable_extensions, register_reader, supported_extensions

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"
TEXT = HELLO.with_suffix(".txt").read_text("utf-8").strip()


@pytest.fixture(scope="module")
def anim():
    a = kmtalk.animate(HELLO, TEXT, method="prior", style="head", seed=3, locks={30: {"jawOpen": 0.6}})
    assert a.head_pose is not None and np.abs(a.head_pose[:, :3]).max() > 0.005
    return a


def _timeline(a):
    return [(p.label, p.start, p.end) for p in a.phones], [(w.label, w.start, w.end) for w in a.words]


@pytest.mark.parametrize("ext", [".npz", ".json", ".csv", ".glb", ".gltf"])
def test_every_readable_format_round_trips(anim, tmp_path, ext):
    path = anim.export(tmp_path / f"line{ext}")
    back = kmtalk.load(path)
    assert isinstance(back, kmtalk.Animation)
    assert back.fps == anim.fps and back.n_frames == anim.n_frames
    tol = {".json": 1e-6}.get(ext, 0.0)  # JSON rounds to 6 decimals; the others are float32-exact
    np.testing.assert_allclose(back.weights, anim.weights, rtol=0, atol=tol)
    if ext in (".npz", ".json"):  # the whole timeline travels
        np.testing.assert_allclose(back.head_pose, anim.head_pose, rtol=0, atol=tol)
        assert _timeline(back) == _timeline(anim)
        assert [k.frame for k in back.keys] == [k.frame for k in anim.keys]
        assert back.locks == anim.locks == {30: {"jawOpen": pytest.approx(0.6)}}
        assert back.meta["styles"] == anim.meta["styles"]
    elif ext == ".csv":  # Live Link Face: head rotation (yaw, pitch, roll), no translation
        np.testing.assert_allclose(back.head_pose[:, :3], anim.head_pose[:, :3], rtol=0, atol=1e-6)
    else:  # glTF: head pose through quaternions, meta and the audio sidecar
        np.testing.assert_allclose(back.head_pose[:, :3], anim.head_pose[:, :3], rtol=0, atol=2e-6)
        np.testing.assert_array_equal(back.head_pose[:, 3:], anim.head_pose[:, 3:])
        # meta travels in asset.extras (pygltflib leaves out empty values such as [] and "")
        assert {k: back.meta[k] for k in ("method", "styles", "transcript", "seed")} == \
            {k: anim.meta[k] for k in ("method", "styles", "transcript", "seed")}
        assert back.audio_path is not None and Path(back.audio_path) == path.with_suffix(".wav")
        sound = back.load_audio()
        assert sound is not None and abs(len(sound[0]) / sound[1] - anim.duration) < 0.05


def test_load_takes_the_readers_options(anim, tmp_path):
    rig = kmtalk.default_rig()
    assert kmtalk.load(anim.save(tmp_path / "a.npz"), rig=rig).rig is rig
    at60 = kmtalk.load(anim.export(tmp_path / "a.csv"), fps=60)
    assert at60.fps == 60 and abs(at60.n_frames - 2 * anim.n_frames) <= 1
    with pytest.raises(AnimationError, match="bad load option"):
        kmtalk.load(tmp_path / "a.npz", fps=60)


def test_every_written_format_is_read_or_refused_with_the_reason(anim, tmp_path):
    assert set(readable_extensions()) < set(supported_extensions())
    for ext in sorted(set(supported_extensions()) - set(readable_extensions())):
        name = "frames/%04d" + ext if ext in (".obj", ".ply") else "line" + ext
        written = anim.export(tmp_path / name)
        first = written[0] if isinstance(written, list) else written
        assert first.is_file()
        with pytest.raises(AnimationError, match="cannot read it back") as info:
            kmtalk.load(first)
        assert ".npz" in str(info.value)  # names what it can read


@pytest.mark.parametrize("name, content, match", [
    ("a.fbx", b"x", "unknown extension '.fbx'"),
    ("noext", b"x", "unknown extension"),
    ("a.glb", b"glTF but not really", "cannot read glTF"),
    ("a.gltf", b"{\"asset\": {\"version\": \"2.0\"}}", "no binary buffer"),
    ("a.npz", b"not a zip", "not a kmtalk animation"),
    ("a.json", b"{\"format\": \"something else\"}", "not a kmtalk JSON animation"),
    ("a.csv", b"a,b\n1,2\n", "not a Live Link Face CSV"),
])
def test_bad_files_are_a_typed_error(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AnimationError, match=match):
        kmtalk.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(AnimationError, match="no such file"):
        kmtalk.load(tmp_path / "none.glb")
    with pytest.raises(KmtalkError):
        kmtalk.load(str(tmp_path / "none.json"))


def test_register_reader(anim, tmp_path):
    path = anim.save(tmp_path / "a.npz").rename(tmp_path / "a.kmt")
    register_reader("kmt", "kmtalk.io.exporters.npz:read_npz")
    try:
        assert kmtalk.load(path).n_frames == anim.n_frames
    finally:
        from kmtalk.face.formats import _READERS

        del _READERS[".kmt"]


def test_file_format_names_are_not_module_paths(anim, tmp_path):
    """The format names inside the files stay what earlier versions wrote, wherever the code lives."""
    import json

    with np.load(anim.save(tmp_path / "a.npz")) as npz:
        assert json.loads(str(npz["metadata"]))["format"] == "kmtalk.animation"
    doc = json.loads(anim.export(tmp_path / "a.json").read_text("utf-8"))
    assert doc["format"] == "kmtalk.animation+json"
