"""glTF/GLB export on the default head: Khronos validator, read-back of the data, Blender import.

The validator is the npm package gltf-validator (2.0.0-dev.3.10), run through
tests/gltf_validate.js from $KMTALK_GLTF_VALIDATOR_DIR (CI) or .ci/node (dev).
Blender is the real thing too (``bpy`` from PyPI), run in a subprocess so a
crash cannot take pytest down. The animation is real (LibriVox alignment +
linguistic prior, see anim_samples.py) with a made-up head pose.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import soundfile as sf
from anim_samples import real_animation

from kmtalk.face.arkit import ARKIT_NAMES
from kmtalk.face.headpose import rotation_matrices
from kmtalk.face.rig import default_rig

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent

_COMPONENTS = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


@pytest.fixture(scope="module")
def anim(speech_dir):
    return real_animation(speech_dir)


@pytest.fixture(scope="module")
def glb(anim, tmp_path_factory):
    out = tmp_path_factory.mktemp("glb") / "line.glb"
    anim.export(out)
    return out


@pytest.fixture(scope="module")
def gltf_file(anim, tmp_path_factory):
    out = tmp_path_factory.mktemp("gltf") / "line.gltf"
    anim.export(out, normals=False, correctives=False)
    return out


def expected_targets(anim) -> tuple[list[str], np.ndarray]:
    """Target names and [T, K] weights the file should hold: the 52, then the rig's correctives."""
    rig = default_rig()
    names = list(ARKIT_NAMES) + [f"corrective:{c.name}" for c in rig.correctives]
    cols = [anim.weights]
    for c in rig.correctives:
        col = np.ones(anim.n_frames, np.float32)
        for d in c.drivers:
            col = col * anim.weights[:, ARKIT_NAMES.index(d)]
        cols.append(col[:, None])
    return names, np.concatenate(cols, 1)


def _validator_dir() -> Path:
    env = os.environ.get("KMTALK_GLTF_VALIDATOR_DIR")
    return Path(env) if env else ROOT / ".ci" / "node" / "node_modules" / "gltf-validator"


def validate(path: Path) -> dict:
    """The Khronos validator's report for ``path`` (fails the test if the validator cannot run)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (CI installs nodejs); cannot run the glTF validator")
    if not (_validator_dir() / "package.json").is_file():
        pytest.fail(
            f"gltf-validator not found in {_validator_dir()}; install it with "
            "npm install --prefix .ci/node gltf-validator@2.0.0-dev.3.10"
        )
    proc = subprocess.run(
        [node, str(HERE / "gltf_validate.js"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KMTALK_GLTF_VALIDATOR_DIR": str(_validator_dir())},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def accessor(doc: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = doc.accessors[index]
    view = doc.bufferViews[acc.bufferView]
    dtype = _COMPONENTS[acc.componentType]
    width = _WIDTH[acc.type]
    start = view.byteOffset + (acc.byteOffset or 0)
    data = np.frombuffer(blob, dtype=dtype, count=acc.count * width, offset=start)
    return data.reshape(acc.count, width) if width > 1 else data


def attr(obj, name: str):
    """An attribute of a pygltflib Attributes object, or of the dict it loads morph targets as."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)


def load(path: Path) -> tuple[pygltflib.GLTF2, bytes]:
    doc = pygltflib.GLTF2().load(str(path))
    if path.suffix == ".glb":
        blob = doc.binary_blob()
    else:
        blob = (path.parent / doc.buffers[0].uri).read_bytes()
    return doc, blob


# --------------------------------------------------------------------------- validator
@pytest.mark.parametrize("which", ["glb", "gltf_file"])
def test_khronos_validator_zero_errors(which, request):
    path = request.getfixturevalue(which)
    report = validate(path)
    issues = report["issues"]
    errors = [m for m in issues["messages"] if m["severity"] == 0]
    assert issues["numErrors"] == 0, errors[:5]
    assert issues["numWarnings"] == 0, [m for m in issues["messages"] if m["severity"] == 1][:5]
    info = report["info"]
    assert info["hasMorphTargets"] and info["animationCount"] == 1
    assert info["totalTriangleCount"] == default_rig().n_triangles


def test_validator_catches_a_broken_file(glb, tmp_path):
    """The validator check is not a rubber stamp: a file with a wrong accessor bound fails it."""
    doc, blob = load(glb)
    pos = doc.meshes[0].primitives[0].attributes.POSITION
    doc.accessors[pos].max = [0.0, 0.0, 0.0]
    doc.set_binary_blob(blob)
    bad = tmp_path / "bad.glb"
    doc.save_binary(str(bad))
    assert validate(bad)["issues"]["numErrors"] > 0


# --------------------------------------------------------------------------- content
def test_glb_content_matches_animation(anim, glb):
    doc, blob = load(glb)
    mesh = doc.meshes[0]
    names, expected_w = expected_targets(anim)
    assert mesh.extras["targetNames"] == names  # the 52 in ARKit order, then the correctives
    assert len(mesh.weights) == len(names) >= 52
    for prim in mesh.primitives:
        assert len(prim.targets) == len(names)
        pos = doc.accessors[prim.attributes.POSITION]
        assert pos.componentType == 5126 and pos.min and pos.max
        for t in prim.targets:
            acc = doc.accessors[attr(t, "POSITION")]
            assert acc.componentType == 5126 and acc.min is not None and acc.max is not None
            assert attr(t, "NORMAL") is not None
    (animation,) = doc.animations
    samplers = {c.target.path: animation.samplers[c.sampler] for c in animation.channels}
    assert set(samplers) == {"weights", "rotation", "translation"}
    assert all(s.interpolation == "LINEAR" for s in samplers.values())
    times = accessor(doc, blob, samplers["weights"].input)
    np.testing.assert_array_equal(times, (np.arange(anim.n_frames) / anim.fps).astype(np.float32))
    assert doc.accessors[samplers["weights"].input].max == [
        float(np.float32((anim.n_frames - 1) / 30))
    ]
    weights = accessor(doc, blob, samplers["weights"].output).reshape(anim.n_frames, len(names))
    assert weights[:, :52].tobytes() == anim.weights.tobytes()
    np.testing.assert_array_equal(weights, expected_w)
    # the head rotation: the quaternions rotate like the head pose's matrices
    q = accessor(doc, blob, samplers["rotation"].output).astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
    x, y, z, w = q.T
    mats = np.stack(
        [
            1 - 2 * (y * y + z * z),
            2 * (x * y - z * w),
            2 * (x * z + y * w),
            2 * (x * y + z * w),
            1 - 2 * (x * x + z * z),
            2 * (y * z - x * w),
            2 * (x * z - y * w),
            2 * (y * z + x * w),
            1 - 2 * (x * x + y * y),
        ],
        1,
    ).reshape(-1, 3, 3)
    np.testing.assert_allclose(mats, rotation_matrices(anim.head_pose), atol=1e-5)
    trans = accessor(doc, blob, samplers["translation"].output)
    np.testing.assert_array_equal(trans, anim.head_pose[:, 3:])


def test_glb_mesh_plays_back_the_rig(anim, glb):
    """Rest positions + Σ weight × target in the file give the rig's vertices at a frame."""
    rig = default_rig()
    doc, blob = load(glb)
    frame = int(np.argmax(anim.weights[:, 17]))  # widest jaw opening
    expected = anim.vertices()[frame]  # the rig's evaluate, correctives included
    w = expected_targets(anim)[1][frame].astype(np.float64)
    lookup = {}
    for i, row in enumerate(rig.neutral):
        lookup.setdefault(row.tobytes(), []).append(i)
    n_checked = 0
    for prim in doc.meshes[0].primitives:
        rest = accessor(doc, blob, prim.attributes.POSITION)
        moved = rest.astype(np.float64).copy()
        for k, t in enumerate(prim.targets):
            moved += w[k] * accessor(doc, blob, attr(t, "POSITION"))
        for i in range(len(rest)):
            cands = lookup[rest[i].tobytes()]  # every file vertex is a rig vertex
            assert min(np.abs(expected[c] - moved[i]).max() for c in cands) < 1e-5
            n_checked += 1
    assert n_checked >= rig.n_vertices


def test_audio_sidecar(anim, glb):
    doc, _ = load(glb)
    audio = doc.asset.extras["audio"]
    wav = glb.parent / audio["uri"]
    assert wav.name == "line.wav" and wav.is_file()
    data, sr = sf.read(wav, dtype="float32")
    src, sr0 = anim.load_audio()
    whole = sf.info(anim.audio_path).frames  # the recording is 2.99 s, the animation 3.0 s
    assert sr == sr0 and len(data) == len(src) == min(whole, round(anim.duration * sr))
    np.testing.assert_allclose(data, src, atol=1 / 32768 + 1e-6)  # 16-bit PCM
    assert doc.asset.extras["kmtalk"]["fps"] == anim.fps


def test_gltf_json_with_bin_and_options(anim, gltf_file):
    doc, blob = load(gltf_file)
    assert doc.buffers[0].uri == "line.bin" and (gltf_file.parent / "line.bin").is_file()
    assert all(
        attr(t, "NORMAL") is None for t in doc.meshes[0].primitives[0].targets
    )  # normals=False
    assert len(blob) == doc.buffers[0].byteLength


def test_no_head_pose_no_audio(anim, tmp_path):
    plain = anim.slice(0.5, 1.5)
    plain.head_pose = None
    plain.audio_path = None
    out = plain.export(tmp_path / "plain.glb")
    doc, _ = load(out)
    assert [c.target.path for c in doc.animations[0].channels] == ["weights"]
    assert "audio" not in (doc.asset.extras or {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.glb"]
    assert validate(out)["issues"]["numErrors"] == 0


# --------------------------------------------------------------------------- Blender
@pytest.mark.parametrize("which", ["glb", "gltf_file"])
def test_blender_imports_52_animated_shape_keys(anim, which, request):
    """The default GLB has the 52 ARKit keys, then the correctives; correctives=False: 52."""
    glb = request.getfixturevalue(which)
    proc = subprocess.run(
        [sys.executable, str(HERE / "blender_import.py"), str(glb), str(anim.fps)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")]
    assert proc.returncode == 0 and lines, proc.stderr[-2000:]
    report = json.loads(lines[-1][2:])
    assert report["result"] == ["FINISHED"]
    (head,) = [o for o in report["objects"] if o["type"] == "MESH"]
    names, expected_w = expected_targets(anim)
    if which == "gltf_file":
        names, expected_w = list(ARKIT_NAMES), anim.weights
    keys = [k for k in head["shape_keys"] if k != "Basis"]
    assert keys[:52] == list(ARKIT_NAMES) and keys == names  # 52 ARKit keys, then correctives
    channels = head["shape_key_channels"]
    last = anim.n_frames - 1
    for i, name in enumerate(names):
        kf = np.array(channels[f'key_blocks["{name}"].value[0]'])
        assert len(kf) == anim.n_frames
        assert kf[0, 0] == pytest.approx(0.0) and kf[-1, 0] == pytest.approx(last)
        np.testing.assert_allclose(kf[:, 1], expected_w[:, i], atol=1e-6)
    rot = [c for c in head["object_channels"] if c.startswith("rotation_quaternion")]
    assert len(rot) == 4
    assert all(len(head["object_channels"][c]) == anim.n_frames for c in rot)
