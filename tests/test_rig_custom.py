"""Custom rigs: a GLB with ARKit-named morph targets (written with pygltflib) and OBJ targets
(plain OBJ text written here, so the reader under test, trimesh, is not also the writer), made
from the default head in tmp_path and loaded back."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from kmtalk.face.arkit import ARKIT_NAMES
from kmtalk.errors import RigError
from kmtalk.face.rig import Rig, default_rig


@pytest.fixture(scope="module")
def rig() -> Rig:
    return default_rig()


def write_glb(path: Path, neutral: np.ndarray, triangles: np.ndarray,
              targets: dict[str, np.ndarray]) -> Path:
    """A one-mesh GLB whose morph targets are named in mesh.extras.targetNames."""
    blobs, views, accessors = [], [], []

    def add(arr: np.ndarray, ctype: int, kind: str, target: int | None, minmax: bool = False):
        data = np.ascontiguousarray(arr).tobytes()
        offset = sum(len(b) for b in blobs)
        blobs.append(data + b"\0" * (-len(data) % 4))
        views.append(pygltflib.BufferView(buffer=0, byteOffset=offset, byteLength=len(data),
                                          target=target))
        acc = pygltflib.Accessor(bufferView=len(views) - 1, componentType=ctype,
                                 count=len(arr), type=kind)
        if minmax:
            acc.min = arr.min(axis=0).tolist()
            acc.max = arr.max(axis=0).tolist()
        accessors.append(acc)
        return len(accessors) - 1

    pos = add(neutral.astype(np.float32), pygltflib.FLOAT, "VEC3", pygltflib.ARRAY_BUFFER, True)
    idx = add(triangles.astype(np.uint32).ravel(), pygltflib.UNSIGNED_INT, "SCALAR",
              pygltflib.ELEMENT_ARRAY_BUFFER)
    morph = [{"POSITION": add(d.astype(np.float32), pygltflib.FLOAT, "VEC3",
                              pygltflib.ARRAY_BUFFER, True)} for d in targets.values()]
    prim = pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=pos), indices=idx,
                               targets=morph)
    gltf = pygltflib.GLTF2(
        scene=0, scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(mesh=0)],
        meshes=[pygltflib.Mesh(name="head", primitives=[prim],
                               extras={"targetNames": list(targets)})],
        accessors=accessors, bufferViews=views,
        buffers=[pygltflib.Buffer(byteLength=sum(len(b) for b in blobs))],
    )
    gltf.set_binary_blob(b"".join(blobs))
    gltf.save_binary(str(path))
    return path


def pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def test_gltf_round_trip(rig, tmp_path):
    targets = {pascal(n): rig.targets[k] for k, n in enumerate(ARKIT_NAMES)}  # Live Link spelling
    path = write_glb(tmp_path / "head.glb", rig.neutral, rig.triangles, targets)
    custom = Rig.from_gltf(path)
    assert custom.names == ARKIT_NAMES
    np.testing.assert_allclose(custom.neutral, rig.neutral, atol=1e-7)
    np.testing.assert_allclose(custom.targets, rig.targets, atol=1e-7)
    np.testing.assert_array_equal(custom.triangles, rig.triangles)
    w = np.random.default_rng(0).uniform(0, 1, (3, 52))
    np.testing.assert_allclose(custom.evaluate(w, correctives=False),
                               rig.evaluate(w, correctives=False), atol=1e-5)
    # landmarks are found on a custom head by the same geometric rules
    assert custom.landmarks["nose_tip"] == rig.landmarks["nose_tip"]
    assert custom.landmarks["mouth_corner_left"] == rig.landmarks["mouth_corner_left"]


def test_gltf_missing_extra_and_wrong_topology(rig, tmp_path, caplog):
    targets = {n: rig.targets[k] for k, n in enumerate(ARKIT_NAMES)
               if n not in ("tongueOut", "cheekPuff")}
    targets["browsAngry"] = rig.targets[0]
    path = write_glb(tmp_path / "partial.glb", rig.neutral, rig.triangles, targets)
    with pytest.raises(RigError, match="cheekPuff, tongueOut"):
        Rig.from_gltf(path)
    with caplog.at_level(logging.WARNING):
        partial = Rig.from_gltf(path, allow_missing=True)
    assert "browsAngry" in caplog.text and "tongueOut" in caplog.text
    assert not partial.targets[ARKIT_NAMES.index("tongueOut")].any()
    assert partial.targets[ARKIT_NAMES.index("jawOpen")].any()

    bad = {n: rig.targets[k] for k, n in enumerate(ARKIT_NAMES)}
    bad["jawOpen"] = bad["jawOpen"][:-5]
    path = write_glb(tmp_path / "bad.glb", rig.neutral, rig.triangles, bad)
    with pytest.raises(RigError, match="topology"):
        Rig.from_gltf(path)

    (tmp_path / "junk.glb").write_bytes(b"not a gltf")
    with pytest.raises(RigError):
        Rig.from_gltf(tmp_path / "junk.glb")


def write_obj(path: Path, vertices: np.ndarray, triangles: np.ndarray) -> None:
    """A plain OBJ as modelling tools write it: ``v`` lines in vertex order, 1-based ``f`` lines."""
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in np.asarray(vertices, np.float64)]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in np.asarray(triangles)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def obj_rig(rig, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("objrig")
    write_obj(root / "neutral.obj", rig.neutral, rig.triangles)
    tdir = root / "targets"
    tdir.mkdir()
    for k, name in enumerate(ARKIT_NAMES):
        write_obj(tdir / f"{name}.obj", rig.neutral + rig.targets[k], rig.triangles)
    return root / "neutral.obj", tdir


def test_obj_round_trip(rig, obj_rig):
    custom = Rig.from_obj(*obj_rig)
    np.testing.assert_allclose(custom.neutral, rig.neutral, atol=1e-6)
    np.testing.assert_allclose(custom.targets, rig.targets, atol=2e-6)
    np.testing.assert_array_equal(custom.triangles, rig.triangles)


def test_obj_missing_extra_and_wrong_topology(rig, obj_rig, tmp_path, caplog):
    neutral, tdir = obj_rig
    partial = tmp_path / "targets"
    partial.mkdir()
    for p in tdir.glob("*.obj"):
        if p.stem not in ("jawOpen", "mouthClose"):
            (partial / p.name).symlink_to(p)
    write_obj(partial / "wink.obj", rig.neutral, rig.triangles)
    with pytest.raises(RigError, match="jawOpen, mouthClose"):
        Rig.from_obj(neutral, partial)
    with caplog.at_level(logging.WARNING):
        loaded = Rig.from_obj(neutral, partial, allow_missing=True)
    assert "wink" in caplog.text
    assert not loaded.targets[ARKIT_NAMES.index("jawOpen")].any()

    wrong = tmp_path / "wrong"
    wrong.mkdir()
    for p in tdir.glob("*.obj"):
        (wrong / p.name).symlink_to(p)
    (wrong / "jawOpen.obj").unlink()
    write_obj(wrong / "jawOpen.obj", rig.neutral[:100], np.array([[0, 1, 2], [2, 3, 4]]))
    with pytest.raises(RigError, match="jawOpen.obj has 100 vertices"):
        Rig.from_obj(neutral, wrong)
    with pytest.raises(RigError, match="does not exist"):
        Rig.from_obj(tmp_path / "none.obj", wrong)
