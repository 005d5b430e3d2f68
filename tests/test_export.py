"""Exports other than glTF: registry, Live Link CSV, JSON, TextGrid, OBJ/PLY sequences, CLI.

Every file is really written and read back with an independent reader where
one exists (praatio for TextGrid, Blender's importers for meshes, the csv module / our
reader for Live Link CSV). The animation is real (LibriVox alignment + the
linguistic prior, see anim_samples.py).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from anim_samples import real_animation
from praatio import textgrid

from kmtalk.face.animation import Animation
from kmtalk.face.arkit import ARKIT_NAMES
from kmtalk.cli import main as cli_main
from kmtalk.errors import AnimationError, ExportError
from kmtalk.face.formats import export, register, supported_extensions
from kmtalk.io.exporters.gltf import vertex_normals
from kmtalk.io.exporters.jsonfile import read_json
from kmtalk.io.exporters.livelink import format_timecode, parse_timecode, read_livelink_csv
from kmtalk.face.rig import default_rig

HERE = Path(__file__).resolve().parent

# The header row of a real Live Link Face recording, byte for byte as published in tests of
# open-source Live Link Face CSV writers that compare against a real capture (see docs/exports.md).
REAL_LIVE_LINK_HEADER = (
    "Timecode,BlendshapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll"
)


@pytest.fixture(scope="module")
def anim(speech_dir):
    return real_animation(speech_dir)


# --------------------------------------------------------------------------- registry
def test_unknown_extension_lists_supported(anim, tmp_path):
    with pytest.raises(ExportError) as info:
        anim.export(tmp_path / "line.fbx")
    msg = str(info.value)
    assert "'.fbx'" in msg
    for ext in (".csv", ".glb", ".gltf", ".json", ".npz", ".obj", ".ply", ".textgrid"):
        assert ext in msg
    with pytest.raises(ExportError, match=r"\(none\)"):
        anim.export(tmp_path / "noext")
    assert list(tmp_path.iterdir()) == []


def test_register_custom_writer(anim, tmp_path):
    seen = {}

    def writer(a, path, **opts):
        seen.update(opts, n=a.n_frames)
        return path

    register("xyz", writer)
    try:
        assert ".xyz" in supported_extensions()
        assert export(anim, tmp_path / "a.XYZ", flag=1) == tmp_path / "a.XYZ"
        assert seen == {"flag": 1, "n": anim.n_frames}
    finally:
        from kmtalk.face.formats import _REGISTRY

        _REGISTRY.pop(".xyz")


def test_bad_option_is_an_export_error(anim, tmp_path):
    with pytest.raises(ExportError, match="bad export option"):
        anim.export(tmp_path / "a.csv", colour="red")


def test_npz_extension_is_save(anim, tmp_path):
    path = anim.export(tmp_path / "a.npz")
    assert Animation.load(path).weights.tobytes() == anim.weights.tobytes()


# --------------------------------------------------------------------------- Live Link CSV
def test_csv_header_is_the_real_live_link_layout(anim, tmp_path):
    path = anim.export(tmp_path / "take.csv")
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == REAL_LIVE_LINK_HEADER
    assert len(lines) == anim.n_frames + 1
    rows = list(csv.reader(lines[1:]))
    assert all(len(r) == 63 and r[1] == "61" for r in rows)
    assert [r[0] for r in rows[:3]] == ["00:00:00:00.000", "00:00:00:01.000", "00:00:00:02.000"]
    assert rows[30][0] == "00:00:01:00.000" and rows[-1][0] == "00:00:02:29.000"
    # JawOpen column holds jawOpen; JawRight and JawLeft are swapped relative to Apple's order
    header = lines[0].split(",")
    for name in ("JawOpen", "JawLeft", "JawRight", "MouthLeft", "TongueOut"):
        col = header.index(name)
        arkit = ARKIT_NAMES.index(name[0].lower() + name[1:])
        got = np.array([float(r[col]) for r in rows], np.float32)
        np.testing.assert_array_equal(got, anim.weights[:, arkit])
    # head rotation columns carry the head pose in radians (yaw, pitch, roll)
    yaw = np.array([float(r[header.index("HeadYaw")]) for r in rows], np.float32)
    np.testing.assert_array_equal(yaw, anim.head_pose[:, 1])


def test_csv_round_trip_bit_exact(anim, tmp_path):
    path = anim.export(tmp_path / "take.csv")
    take = read_livelink_csv(path)
    assert take.fps == 30.0  # inferred from the timecodes
    np.testing.assert_allclose(take.times, anim.times, atol=1e-9)
    assert take.weights.tobytes() == anim.weights.tobytes()
    np.testing.assert_array_equal(take.head[:, 0], anim.head_pose[:, 1])
    np.testing.assert_array_equal(take.head[:, 1], anim.head_pose[:, 0])
    assert take.eyes.shape == (anim.n_frames, 6) and not take.eyes.any()
    back = take.to_animation()
    assert back.n_frames == anim.n_frames and back.weights.tobytes() == anim.weights.tobytes()
    np.testing.assert_allclose(back.head_pose[:, :3], anim.head_pose[:, :3], atol=1e-7)


def test_csv_reader_tolerates_real_world_variants(tmp_path):
    """camelCase names, the other count-column spelling, shuffled columns, 60 fps, a dropped row."""
    rng = np.random.default_rng(3)
    w = rng.uniform(0, 1, (130, 52)).astype(np.float32)
    names = ["Timecode", "BlendShapeCount", *ARKIT_NAMES]  # camelCase, no rotation columns
    order = [0, 1] + list(2 + rng.permutation(52))
    path = tmp_path / "variant.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([names[i] for i in order])
        for f in range(130):
            if f == 70:
                continue  # a dropped frame
            row = [f"14:03:{52 + f // 60:02d}:{f % 60:02d}.000", "52", *w[f].tolist()]
            out.writerow([row[i] for i in order])
    take = read_livelink_csv(path)
    assert take.fps == 60.0 and take.head is None and take.eyes is None
    keep = np.r_[0:70, 71:130]
    np.testing.assert_allclose(take.weights, w[keep], atol=1e-7)
    np.testing.assert_allclose(take.times, keep / 60.0, atol=1e-9)  # relative to the first row
    anim = take.to_animation(30)
    assert anim.n_frames == 65 and anim.fps == 30
    np.testing.assert_allclose(anim.weights[10], w[20], atol=1e-6)
    # the dropped frame 70 is interpolated from 69 and 71 (resampled frame 35)
    np.testing.assert_allclose(anim.weights[35], 0.5 * (w[69] + w[71]), atol=1e-6)


def test_csv_reader_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Timecode,BlendshapeCount,EyeBlinkLeft\n00:00:00:00.000,1,0.5\n")
    with pytest.raises(AnimationError, match="lacks blendshape columns"):
        read_livelink_csv(bad)
    bad.write_text("Timecode\n")
    with pytest.raises(AnimationError, match="no data rows"):
        read_livelink_csv(bad)
    with pytest.raises(AnimationError, match="cannot read"):
        read_livelink_csv(tmp_path / "missing.csv")
    good = Animation(fps=30, weights=np.zeros((3, 52))).export(tmp_path / "g.csv")
    text = good.read_text().replace("00:00:00:01.000", "1 second")
    bad.write_text(text)
    with pytest.raises(AnimationError, match="timecode"):
        read_livelink_csv(bad)


def test_timecodes():
    assert format_timecode(0, 30) == "00:00:00:00.000"
    assert format_timecode(29, 30) == "00:00:00:29.000"
    assert format_timecode(30 * 3661 + 7, 30) == "01:01:01:07.000"
    assert format_timecode(1, 60, start=52 * 60 + 14 * 3600) == "14:52:00:01.000"
    # a 29.97 fps animation: frame numbers stay below 30, times are exact to the millisecond frame
    for f in range(0, 200, 7):
        tc = format_timecode(f, 29.97)
        assert int(tc.split(":")[3].split(".")[0]) < 30
        assert parse_timecode(tc, 29.97) == pytest.approx(f / 29.97, abs=0.5 / 29.97 / 1000 + 1e-9)


# --------------------------------------------------------------------------- JSON
def test_json_schema_fields(anim, tmp_path):
    path = anim.export(tmp_path / "line.json")
    doc = json.loads(path.read_text("utf-8"))
    assert doc["format"] == "kmtalk.animation+json" and doc["version"] == 1
    assert doc["fps"] == 30.0 and doc["n_frames"] == anim.n_frames
    assert doc["duration"] == pytest.approx(anim.duration)
    assert doc["names"] == list(ARKIT_NAMES) and list(doc["curves"]) == list(ARKIT_NAMES)
    assert all(len(c) == anim.n_frames for c in doc["curves"].values())
    np.testing.assert_allclose(doc["curves"]["jawOpen"], anim.weights[:, 17], atol=5e-7)
    assert list(doc["head_pose"]) == ["pitch", "yaw", "roll", "tx", "ty", "tz"]
    assert [w["label"] for w in doc["words"]] == [w.label for w in anim.words]
    phones = doc["phones"]
    assert [p["label"] for p in phones] == [p.label for p in anim.phones]
    visemes = {p["label"]: p["viseme"] for p in phones}
    assert visemes["sil"] == "sil" and visemes["m"] == "PP" and visemes["n"] == "nn"
    assert all(
        set(k) >= {"frame", "time", "phone", "viseme", "kind", "weight"} for k in doc["keys"]
    )
    assert len(doc["keys"]) == len(anim.keys)
    assert doc["locks"] == {"45": {"jawOpen": anim.locks[45]["jawOpen"]}}
    assert doc["audio"]["path"] == anim.audio_path and doc["audio"]["offset"] == 0.0
    assert doc["meta"]["method"] == "prior"


def test_json_round_trip(anim, tmp_path):
    back = read_json(anim.export(tmp_path / "line.json", decimals=None))
    assert back.weights.tobytes() == anim.weights.tobytes()  # full precision on request
    assert back.phones == anim.phones and back.words == anim.words and back.keys == anim.keys
    assert back.locks == anim.locks and back.meta == anim.meta
    np.testing.assert_array_equal(back.head_pose, anim.head_pose)
    rounded = read_json(anim.export(tmp_path / "r.json"))
    np.testing.assert_allclose(rounded.weights, anim.weights, atol=5e-7)
    (tmp_path / "other.json").write_text(
        json.dumps({"format": "kmtalk.animation+json", "version": 9})
    )
    with pytest.raises(AnimationError, match="version 9"):
        read_json(tmp_path / "other.json")


# --------------------------------------------------------------------------- TextGrid
def test_textgrid_read_back_with_praatio(anim, tmp_path):
    path = anim.export(tmp_path / "line.TextGrid")
    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert tg.tierNames == ("words", "phones", "visemes", "keys")
    assert tg.maxTimestamp == pytest.approx(anim.duration)
    phones = tg.getTier("phones").entries
    spoken = [p for p in anim.phones if not p.is_silence]  # pauses are empty intervals
    assert [e.label for e in phones] == [p.label for p in spoken]
    assert [e.start for e in phones] == pytest.approx([p.start for p in spoken])
    assert [e.end for e in phones] == pytest.approx([p.end for p in spoken])
    words = [e.label for e in tg.getTier("words").entries]
    assert " ".join(words) == "he was not an ill disposed young man"
    visemes = tg.getTier("visemes").entries
    assert len(visemes) == len(phones)
    assert [e.start for e in visemes] == [e.start for e in phones]
    lookup = dict(zip([e.label for e in phones], [e.label for e in visemes]))
    assert lookup["m"] == "PP" and lookup["n"] == "nn" and lookup["z"] == "SS"
    points = tg.getTier("keys").entries
    assert len(points) == len({k.time for k in anim.keys})
    assert points[0].label == f"{anim.keys[0].kind}:{anim.keys[0].phone}"
    assert [p.time for p in points] == pytest.approx(sorted({k.time for k in anim.keys}))


def test_textgrid_reads_back_as_an_alignment(anim, tmp_path):
    """The aligner's own TextGrid reader takes the export: same words and phones."""
    from phoneme.aligners.textgrid import read_textgrid

    path = anim.export(tmp_path / "line.TextGrid", phone_labels="arpabet")
    assert 'text = "IY"' in path.read_text("utf-8")  # ARPAbet on request (no stress here)
    al = read_textgrid(path)
    assert [p.label for p in al.spoken_phones()] == [
        p.label for p in anim.phones if not p.is_silence
    ]
    assert [w.label for w in al.spoken_words()] == [w.label for w in anim.words if not w.is_silence]
    assert al.duration == pytest.approx(anim.duration)


def test_textgrid_of_a_slice_is_shifted(anim, tmp_path):
    part = anim.slice(1.0, 2.0)
    tg = textgrid.openTextgrid(
        str(part.export(tmp_path / "p.TextGrid")), includeEmptyIntervals=False
    )
    assert tg.maxTimestamp == pytest.approx(1.0)
    assert all(0 <= e.start < e.end <= 1.0 + 1e-9 for e in tg.getTier("phones").entries)


# --------------------------------------------------------------------------- mesh sequences
def _blender_read(*paths: Path) -> dict:
    """Vertices and polygons of each file as Blender's own PLY/OBJ importers read them."""
    proc = subprocess.run([sys.executable, str(HERE / "blender_mesh.py"), *map(str, paths)],
                          check=False, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")]
    assert proc.returncode == 0 and lines, proc.stderr[-2000:]
    out = json.loads(lines[-1][2:])
    return {Path(k).name: v for k, v in out.items()}


def _ply_normals(path: Path, n_vertices: int) -> np.ndarray:
    """The nx ny nz columns of a binary PLY whose vertex properties are six float32s."""
    data = path.read_bytes()
    body = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:body].decode("ascii").splitlines()
    props = [ln.split()[-1] for ln in header if ln.startswith("property float")]
    assert header[1] == "format binary_little_endian 1.0" and props == ["x", "y", "z", "nx", "ny", "nz"]
    return np.frombuffer(data, "<f4", n_vertices * 6, body).reshape(-1, 6)[:, 3:]


def test_ply_sequence_read_back_exact(anim, tmp_path):
    part = anim.slice(1.0, 1.4)  # 12 frames
    paths = part.export(tmp_path / "frames" / "%04d.ply")
    assert [p.name for p in paths] == [f"{i:04d}.ply" for i in range(part.n_frames)]
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [p.name for p in paths]
    expected = part.vertices(head_pose=True)
    rig = default_rig()
    got = _blender_read(*(paths[i] for i in (0, 5, 11)))
    for i in (0, 5, 11):
        mesh = got[paths[i].name]
        assert mesh["identity"]
        # the rig's vertex order, bit for bit (float32 in the file)
        np.testing.assert_array_equal(np.asarray(mesh["vertices"], np.float32), expected[i])
        np.testing.assert_array_equal(np.asarray(mesh["polygons"]), rig.triangles)
        normals = _ply_normals(paths[i], rig.n_vertices)
        np.testing.assert_allclose(normals, vertex_normals(expected[i], rig.triangles), atol=1e-6)


def test_obj_sequence_read_back(anim, tmp_path):
    part = anim.slice(0.0, 0.2)  # 6 frames
    paths = part.export(tmp_path / "obj" / "f%03d.obj", head_pose=False, first=1)
    assert paths[0].name == "f001.obj" and len(paths) == 6
    expected = part.vertices()
    rig = default_rig()
    got = _blender_read(paths[0], paths[5])
    for i in (0, 5):
        mesh = got[paths[i].name]
        assert len(mesh["vertices"]) == rig.n_vertices and len(mesh["polygons"]) == rig.n_triangles
        # vertex order kept (custom-rig reading relies on it); 8 decimals in the text
        np.testing.assert_allclose(mesh["vertices"], expected[i], atol=1e-7)
        np.testing.assert_array_equal(np.asarray(mesh["polygons"]), rig.triangles)
    lines = paths[2].read_text().splitlines()
    vn = np.array([ln.split()[1:] for ln in lines if ln.startswith("vn ")], float)
    assert vn.shape == (rig.n_vertices, 3)
    np.testing.assert_allclose(np.linalg.norm(vn, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(vn, vertex_normals(expected[2], rig.triangles), atol=1e-6)
    assert part.export(tmp_path / "bare" / "%d.obj", normals=False)[0].read_text().count("vn ") == 0


def test_mesh_sequence_needs_a_pattern(anim, tmp_path):
    with pytest.raises(ExportError, match="frames/%04d.obj"):
        anim.export(tmp_path / "single.obj")
    assert list(tmp_path.iterdir()) == []


def test_mesh_sequence_all_or_nothing(anim, tmp_path):
    """A frame that cannot be placed (its name is taken by a folder) leaves no frame behind."""
    out = tmp_path / "seq"
    (out / "0003.ply").mkdir(parents=True)
    with pytest.raises(ExportError):
        anim.slice(0, 0.2).export(out / "%04d.ply")
    assert [p.name for p in out.iterdir()] == ["0003.ply"]  # no frames, no temp folder


# --------------------------------------------------------------------------- CLI
def test_cli_export(anim, tmp_path, capsys):
    src = anim.save(tmp_path / "line.npz")
    assert cli_main(["export", str(src), "-o", str(tmp_path / "out.csv"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["files"] == [str(tmp_path / "out.csv")] and result["n_frames"] == anim.n_frames
    assert read_livelink_csv(tmp_path / "out.csv").weights.tobytes() == anim.weights.tobytes()
    # Live Link CSV in, resampled and cut, npz out
    code = cli_main(
        [
            "export",
            str(tmp_path / "out.csv"),
            "--fps",
            "60",
            "--start",
            "1",
            "--end",
            "2",
            "-o",
            str(tmp_path / "cut.npz"),
        ]
    )
    assert code == 0
    cut = Animation.load(tmp_path / "cut.npz")
    assert cut.fps == 60 and cut.n_frames == 60
    assert cli_main(["export", str(src), "-o", str(tmp_path / "x.fbx")]) == 2
    assert "unknown extension '.fbx'" in capsys.readouterr().err
    assert cli_main(["export", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "y.csv")]) == 2
