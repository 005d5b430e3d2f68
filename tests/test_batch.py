"""kmtalk batch: manifest → outputs + report; failing lines, resumed runs, protected (edited/locked) outputs.

Real components: espeak-ng speech, pocketsphinx, the prior, the exporters,
the EGL renderer for thumbnails, and worker processes.
"""

from __future__ import annotations

import base64
import csv
import json
import subprocess
import zlib

import numpy as np
import pytest

import kmtalk
from kmtalk.dubbing.batch import read_manifest, run_batch
from kmtalk.dubbing.batch.png import encode_png
from kmtalk.dubbing.batch.state import file_hash, read_record
from kmtalk.cli import main
from kmtalk.errors import KmtalkError

TEXT_A = "Bob bought a big blue balloon"
TEXT_B = "My mother made muffins"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    for name, text, voice, rate in (("a", TEXT_A, "en-us", 160), ("b", TEXT_B, "en-gb", 170),
                                    ("a_dub", TEXT_A, "en-us+f3", 210)):
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(d / f"{name}.wav"), text],
                       check=True, capture_output=True)
    (d / "b.txt").write_text(TEXT_B + "\n", "utf-8")
    (d / "locks_b.json").write_text(json.dumps({"0.5s": {"jawOpen": 0.6}}), "utf-8")
    src = kmtalk.animate(d / "a.wav", TEXT_A, locks={12: {"mouthSmileLeft": 0.6}})
    src.save(d / "a_src.npz")
    rows = [
        ["id", "audio", "transcript", "language", "locks", "source", "output"],
        ["a", "a.wav", TEXT_A, "en", "", "", "out/a.npz;out/a.csv"],
        ["b", "b.wav", "b.txt", "en", "locks_b.json", "", "out/b.json"],
        ["dub", "a_dub.wav", TEXT_A, "en", "", "a_src.npz", "out/dub.npz"],
        ["broken", "missing.wav", "hello there", "en", "", "", "out/broken.npz"],
    ]
    with open(d / "lines.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return d


@pytest.fixture(scope="module")
def first_run(project):
    return run_batch(project / "lines.csv", workers=2)


def _status(result):
    return {r.id: r.status for r in result.lines}


def test_first_run_outputs_report_and_failing_line(project, first_run):
    assert _status(first_run) == {"a": "done", "b": "done", "dub": "done", "broken": "failed"}
    broken = next(r for r in first_run.lines if r.id == "broken")
    assert "missing.wav" in broken.message and "not found" in broken.message
    out = project / "out"
    assert kmtalk.Animation.load(out / "a.npz").n_frames > 0
    assert (out / "a.csv").read_text().startswith("Timecode")
    b = json.loads((out / "b.json").read_text())
    assert b["fps"] == 30
    dub = kmtalk.Animation.load(out / "dub.npz")
    assert dub.meta["retime"]["placed"][0]["source_frame"] == 12 and len(dub.locks) == 1
    # records beside the outputs
    rec = read_record(out / "a.kmtalk.json")
    assert rec["outputs"] == {"a.npz": file_hash(out / "a.npz"), "a.csv": file_hash(out / "a.csv")}
    # CSV report: one row per line in manifest order with the QC columns
    with open(first_run.report_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["a", "b", "dub", "broken"]
    assert rows[2]["retimed"] == "yes" and rows[2]["source_duration"] != ""
    assert rows[0]["closures"] == "6" and rows[0]["closures_missed"] == "0"
    assert rows[3]["status"] == "failed" and "missing.wav" in rows[3]["message"]
    # HTML report: self-contained, one embedded PNG thumbnail strip per finished line
    html = first_run.report_html.read_text("utf-8")
    uris = [part.split("'")[0] for part in html.split("src='data:image/png;base64,")[1:]]
    assert len(uris) == 3
    png = base64.b64decode(uris[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in png[-12:]


def test_second_run_skips_unchanged_and_protects_edits(project, first_run):
    out = project / "out"
    again = run_batch(project / "lines.csv", workers=1)
    assert _status(again) == {"a": "skipped", "b": "skipped", "dub": "skipped", "broken": "failed"}
    assert next(r for r in again.lines if r.id == "a").qc["closures"] == 6  # QC kept from the record

    # A user edits one output of line a: the line is kept without --force.
    edited = out / "a.csv"
    edited.write_text(edited.read_text() + "\n", "utf-8")
    mark = edited.read_bytes()
    # A user adds a lock to the re-timed animation: it is kept too.
    dub = kmtalk.Animation.load(out / "dub.npz")
    dub.locks[3] = {"jawOpen": 0.2}
    dub.save(out / "dub.npz")
    # Line b's input changes (new locks): it is redone (its output was not edited).
    (project / "locks_b.json").write_text(json.dumps({"0.6s": {"jawOpen": 0.5}}), "utf-8")

    third = run_batch(project / "lines.csv", workers=1, thumbnails=False)
    st = {r.id: r for r in third.lines}
    assert _status(third) == {"a": "kept", "b": "done", "dub": "kept", "broken": "failed"}
    assert "a.csv was edited" in st["a"].message and "--force" in st["a"].message
    assert "holds locks kmtalk did not write" in st["dub"].message
    assert edited.read_bytes() == mark and 3 in kmtalk.Animation.load(out / "dub.npz").locks

    forced = run_batch(project / "lines.csv", workers=1, force=True, thumbnails=False)
    assert _status(forced) == {"a": "done", "b": "skipped", "dub": "done", "broken": "failed"}
    assert edited.read_bytes() != mark
    assert file_hash(edited) == read_record(out / "a.kmtalk.json")["outputs"]["a.csv"]
    assert 3 not in kmtalk.Animation.load(out / "dub.npz").locks


def test_moved_project_still_skips(project, tmp_path):
    """Records name outputs relative to themselves: a moved project folder stays up to date."""
    import shutil

    moved = shutil.copytree(project, tmp_path / "moved", ignore=shutil.ignore_patterns("foreign", "cli"))
    res = run_batch(moved / "lines.csv", thumbnails=False)
    assert _status(res) == {"a": "skipped", "b": "skipped", "dub": "skipped", "broken": "failed"}


def test_unknown_existing_output_is_protected(project):
    d = project / "foreign"
    d.mkdir()
    (d / "m.csv").write_text(f"id,audio,transcript\nx,{project / 'a.wav'},{TEXT_A}\n", "utf-8")
    mine = kmtalk.Animation(fps=30, weights=np.zeros((5, 52)))
    mine.save(d / "x.npz")
    res = run_batch(d / "m.csv", thumbnails=False)
    assert res.lines[0].status == "kept" and "no record" in res.lines[0].message
    assert kmtalk.Animation.load(d / "x.npz").n_frames == 5


def test_manifest_errors(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("name,audio\nx,a.wav\n", "utf-8")
    with pytest.raises(KmtalkError, match="lacks the column"):
        read_manifest(m)
    m.write_text("id,audio,transcript\nx,a.wav,hi\nx,b.wav,hi\n", "utf-8")
    with pytest.raises(KmtalkError, match="already used on row 2"):
        read_manifest(m)
    m.write_text("id,audio\nx,a.wav\n", "utf-8")
    with pytest.raises(KmtalkError, match="needs a transcript"):
        read_manifest(m)
    m.write_text("line_id,audio,transcript,output,fps\nx,a.wav,x.TextGrid,o/x.glb;o/x.csv,25\n", "utf-8")
    (line,) = read_manifest(m, out_dir=tmp_path / "build")
    assert line.textgrid == tmp_path / "x.TextGrid" and line.transcript is None and line.fps == 25.0
    assert line.outputs == [tmp_path / "build" / "o" / "x.glb", tmp_path / "build" / "o" / "x.csv"]


def test_cli_batch_exit_status_and_json(project, capsys):
    d = project / "cli"
    d.mkdir()
    (d / "m.csv").write_text(f"id,audio,transcript\nok,{project / 'b.wav'},{TEXT_B}\n"
                             "bad,nothing.wav,hello\n", "utf-8")
    code = main(["batch", str(d / "m.csv"), "--workers", "1", "--json", "--no-thumbnails", "--out", str(d / "o")])
    summary = json.loads(capsys.readouterr().out)
    counts = {k: v for k, v in summary["counts"].items() if k != "failed_qc"}  # QC counts: test_cli_production
    assert code == 1 and counts == {"done": 1, "skipped": 0, "kept": 0, "failed": 1}
    assert (d / "o" / "ok.npz").is_file() and (d / "o" / "report.html").is_file()


def test_png_encoder_round_trip():
    img = (np.arange(4 * 5 * 3) * 7 % 256).astype(np.uint8).reshape(4, 5, 3)
    data = encode_png(img)
    length = int.from_bytes(data[33:37], "big")
    assert data[37:41] == b"IDAT"
    raw = np.frombuffer(zlib.decompress(data[41:41 + length]), np.uint8).reshape(4, 1 + 15)
    assert (raw[:, 0] == 0).all() and np.array_equal(raw[:, 1:].reshape(4, 5, 3), img)
    with pytest.raises(ValueError):
        encode_png(np.zeros((4, 5), np.uint8))
