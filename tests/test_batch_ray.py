"""kmtalk batch on Ray: the same files as the local executor, resumable, edits protected, dead workers survived.

Real components: a local Ray instance (2 CPUs, started here and shut down),
real speech (the example line, LibriVox, espeak-ng), pocketsphinx, the prior
(and the learned model in one test), the exporters, the EGL renderer for
thumbnails. The only injected code is the per-line function of the
dead-worker tests, which kills its real worker process with ``os._exit``.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kmtalk
from kmtalk.dubbing.batch import read_manifest, run, run_batch
from kmtalk.dubbing.batch.state import read_record
from kmtalk.cli import main
from kmtalk.errors import BackendUnavailableError

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'kmtalk[ray]')")

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"
HELLO_TEXT = (ROOT / "assets" / "examples" / "hello.txt").read_text("utf-8").strip()
LIBRI = "librivox/sense_and_sensibility_01_austen_64kb-0880"
DUB_TEXT = "Bob fed five blue balloons to the movie mouse"


@pytest.fixture(scope="module")
def ray_cluster():
    """A private local Ray instance with 2 CPUs for this module (left alone if a caller already started one)."""
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    # Workers cannot import this test module: its per-line functions travel by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def project(tmp_path_factory, speech_dir):
    d = tmp_path_factory.mktemp("ray_batch")
    shutil.copy(HELLO, d / "hello.wav")
    shutil.copy(speech_dir / f"{LIBRI}.flac", d / "libri.flac")
    (d / "libri.txt").write_text((speech_dir / f"{LIBRI}.txt").read_text("utf-8"), "utf-8")
    (d / "locks.json").write_text(json.dumps({"0.6s": {"jawOpen": 0.5}}), "utf-8")
    subprocess.run(["espeak-ng", "-v", "en-us+f3", "-s", "190", "-w", str(d / "dub.wav"), DUB_TEXT],
                   check=True, capture_output=True)
    src = kmtalk.animate(d / "hello.wav", HELLO_TEXT, locks={15: {"mouthSmileLeft": 0.6}}, method="prior")
    src.save(d / "src.npz")
    rows = [
        ["id", "audio", "transcript", "locks", "source", "output"],
        ["hello", "hello.wav", HELLO_TEXT, "", "", "hello.npz;hello.json;hello.csv"],
        ["libri", "libri.flac", "libri.txt", "locks.json", "", "libri/libri.npz;libri/libri.TextGrid"],
        ["dub", "dub.wav", DUB_TEXT, "", "src.npz", "dub.npz"],
        ["broken", "missing.wav", "hello there", "", "", "broken.npz"],
    ]
    with open(d / "lines.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return d


def _status(result):
    return {r.id: r.status for r in result.lines}


def _files(folder: Path) -> dict[str, Path]:
    """Every file a run left in ``folder`` but its report (whose page stamps the time)."""
    return {f.relative_to(folder).as_posix(): f for f in sorted(folder.rglob("*"))
            if f.is_file() and not f.relative_to(folder).as_posix().startswith("report")}


def _comparable_record(path: Path) -> dict:
    rec = read_record(path)
    assert rec is not None, path
    rec.pop("written_at")
    rec["thumbnail"] = rec["thumbnail"] and Path(rec["thumbnail"]).name  # absolute: differs by output folder
    return rec


@pytest.fixture(scope="module")
def runs(project, ray_cluster):
    local = run_batch(project / "lines.csv", out=project / "local", workers=2, method="prior")
    on_ray = run(project / "lines.csv", out=project / "ray", method="prior", executor="ray")
    return local, on_ray


def test_ray_run_writes_the_local_run_bytes(project, runs):
    local, on_ray = runs
    assert _status(local) == _status(on_ray) == {"hello": "done", "libri": "done", "dub": "done",
                                                 "broken": "failed"}
    broken = {r.id: r for r in on_ray.lines}["broken"]
    assert broken.message == {r.id: r for r in local.lines}["broken"].message
    assert "missing.wav" in broken.message
    a, b = _files(project / "local"), _files(project / "ray")
    assert sorted(a) == sorted(b)
    assert {"hello.npz", "hello.json", "hello.csv", "libri/libri.npz", "libri/libri.TextGrid", "dub.npz",
            "hello.thumbs.png", "libri/libri.thumbs.png", "dub.preview.js"} <= set(a)
    for name in a:
        if name.endswith(".kmtalk.json"):
            assert _comparable_record(a[name]) == _comparable_record(b[name]), name
        else:
            assert a[name].read_bytes() == b[name].read_bytes(), f"{name} differs between local and Ray"
    # The outputs name the driver's inputs (the worker read private copies of them).
    assert kmtalk.Animation.load(b["hello.npz"]).audio_path == str(project / "hello.wav")
    dub = kmtalk.Animation.load(b["dub.npz"])
    assert dub.meta["retime"]["source"]["audio_path"] == str(project / "hello.wav")
    assert dub.meta["retime"]["placed"][0]["source_frame"] == 15
    # The QC report: same rows but the timing and the output folder.
    with open(local.report_csv, encoding="utf-8") as fa, open(on_ray.report_csv, encoding="utf-8") as fb:
        rows_a, rows_b = list(csv.DictReader(fa)), list(csv.DictReader(fb))
    for ra, rb in zip(rows_a, rows_b, strict=True):
        for key in ("seconds", "outputs"):
            ra.pop(key), rb.pop(key)
        assert ra == rb
    assert on_ray.report_html.is_file()


def test_ray_stats_count_what_travelled(project, runs):
    _, on_ray = runs
    s = on_ray.stats
    assert s["executor"] == "ray" and s["cluster_cpus"] == 2 and s["lines_made"] == 3
    shipped = sum((project / f).stat().st_size for f in ("hello.wav", "libri.flac", "libri.txt", "locks.json",
                                                         "dub.wav", "src.npz"))
    shipped += (project / "hello.wav").stat().st_size  # the source animation's own audio, for edit detection
    assert s["bytes_to_workers"] == shipped
    made = [Path(p) for r in on_ray.lines if r.status == "done" for p in [*r.outputs, r.thumbnail, r.preview] if p]
    assert s["bytes_from_workers"] == sum(p.stat().st_size for p in made)
    # Lexicon and model loaded once per worker process, not per line.
    assert 1 <= s["workers"] <= 2 and s["model_loads"] == s["workers"]
    assert set(s["load_seconds"]) and all(v > 0 for v in s["load_seconds"].values())


def test_ray_resumes_protects_edits_and_forces(project, runs):
    out = project / "ray"
    again = run_batch(project / "lines.csv", out=out, method="prior", executor="ray", thumbnails=False)
    assert _status(again) == {"hello": "skipped", "libri": "skipped", "dub": "skipped", "broken": "failed"}
    assert again.stats["lines_made"] == 0 and again.stats["bytes_to_workers"] == 0

    edited = out / "hello.csv"
    edited.write_text(edited.read_text() + "\n", "utf-8")
    mark = edited.read_bytes()
    kept = run_batch(project / "lines.csv", out=out, method="prior", executor="ray", thumbnails=False)
    st = {r.id: r for r in kept.lines}
    assert st["hello"].status == "kept" and "hello.csv was edited" in st["hello"].message
    assert edited.read_bytes() == mark

    forced = run_batch(project / "lines.csv", out=out, method="prior", executor="ray", thumbnails=False,
                       force=True)
    assert _status(forced)["hello"] == "done" and edited.read_bytes() != mark
    assert _files(project / "local")["hello.csv"].read_bytes() == edited.read_bytes()


def test_local_and_ray_records_interoperate(project, runs):
    """A project made locally is up to date for the Ray executor (and the other way round)."""
    res = run_batch(project / "lines.csv", out=project / "local", method="prior", executor="ray")
    assert _status(res) == {"hello": "skipped", "libri": "skipped", "dub": "skipped", "broken": "failed"}


def _edit_while_made(job):
    """Make the line, but first edit its (existing) first output as a user would meanwhile."""
    from kmtalk.dubbing.batch.ray_executor import make_line

    first = job.line.outputs[0]
    with open(first, "ab") as fh:
        fh.write(b"user edit")
    return make_line(job)


def test_an_output_edited_while_the_line_is_made_is_kept(project, ray_cluster):
    d = project / "race"
    d.mkdir()
    (d / "m.csv").write_text(f"id,audio,transcript,output\nx,{project / 'hello.wav'},{HELLO_TEXT},x.npz\n",
                             "utf-8")
    first = run_batch(d / "m.csv", method="prior", executor="ray", thumbnails=False)
    assert _status(first) == {"x": "done"}
    from kmtalk.dubbing.batch.ray_executor import run_ray

    # A new frame rate changes the input hash: the line is planned to be redone, its output being unedited.
    lines, results = read_manifest(d / "m.csv"), {}
    run_ray(lines, {"fps": 25.0, "aligner": None, "method": "prior"}, results, thumbnails=False,
            make=_edit_while_made)
    target = d / "x.npz"
    assert results["x"].status == "kept" and "x.npz was edited" in results["x"].message
    assert target.read_bytes().endswith(b"user edit")


def _dying(job):
    """Kill the worker process on lines named ``die*``; ``flaky``: only on its first try."""
    import os as _os
    from pathlib import Path as _Path

    from kmtalk.dubbing.batch.ray_executor import make_line

    if job.line.id.startswith("die"):
        _os._exit(3)
    if job.line.id == "flaky":
        marker = _Path(job.line.outputs[0]).with_suffix(".tried")
        if not marker.exists():
            marker.write_text("1")
            _os._exit(3)
    return make_line(job)


def test_a_killed_worker_does_not_sink_the_run(project, ray_cluster):
    from kmtalk.dubbing.batch.ray_executor import run_ray
    from kmtalk.dubbing.batch.report import write_reports

    d = project / "dying"
    d.mkdir()
    rows = [f"{name},{project / 'hello.wav'},{HELLO_TEXT}" for name in ("ok1", "die", "flaky", "ok2")]
    (d / "m.csv").write_text("id,audio,transcript\n" + "\n".join(rows) + "\n", "utf-8")
    lines, results = read_manifest(d / "m.csv"), {}
    stats = run_ray(lines, {"fps": None, "aligner": None, "method": "prior"}, results, thumbnails=False,
                    max_retries=1, make=_dying)
    assert {k: r.status for k, r in results.items()} == {"ok1": "done", "die": "failed", "flaky": "done",
                                                         "ok2": "done"}
    assert "worker lost 2 times" in results["die"].message
    assert (d / "flaky.tried").is_file() and kmtalk.Animation.load(d / "flaky.npz").n_frames > 0
    assert not (d / "die.npz").exists() and read_record(d / "die.kmtalk.json") is None
    assert stats["lines_made"] == 3
    csv_path, _ = write_reports([results[ln.id] for ln in lines], d)
    assert "die,failed,worker lost" in csv_path.read_text("utf-8")


def test_learned_model_on_ray_matches_in_process_bytes(project, ray_cluster, tmp_path):
    """The learned model (torch, 2 threads here, 1 per Ray task) gives the same bytes."""
    m = tmp_path / "m.csv"
    m.write_text(f"id,audio,transcript\nl,{project / 'libri.flac'},{project / 'libri.txt'}\n", "utf-8")
    here = run_batch(m, out=tmp_path / "here", thumbnails=False)
    there = run_batch(m, out=tmp_path / "there", executor="ray", thumbnails=False)
    assert _status(here) == _status(there) == {"l": "done"}
    anim = kmtalk.Animation.load(tmp_path / "there" / "l.npz")
    assert anim.meta["method"] == "learned"
    assert (tmp_path / "here" / "l.npz").read_bytes() == (tmp_path / "there" / "l.npz").read_bytes()
    assert (tmp_path / "here" / "l.preview.js").read_bytes() == (tmp_path / "there" / "l.preview.js").read_bytes()


def test_cli_batch_on_ray(project, ray_cluster, capsys):
    d = project / "cli"
    d.mkdir()
    (d / "m.csv").write_text(f"id,audio,transcript\nok,{project / 'hello.wav'},{HELLO_TEXT}\n"
                             "bad,nothing.wav,hello\n", "utf-8")
    code = main(["batch", str(d / "m.csv"), "--executor", "ray", "--method", "prior", "--json",
                 "--no-thumbnails", "--out", str(d / "o")])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["counts"]["done"] == 1 and summary["counts"]["failed"] == 1
    assert summary["stats"]["executor"] == "ray" and summary["stats"]["lines_made"] == 1
    assert (d / "o" / "ok.npz").is_file()


def test_without_ray_a_clear_error(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when the extra is not installed
    with pytest.raises(BackendUnavailableError, match=r"kmtalk\[ray\]"):
        run_batch(project / "lines.csv", out=project / "noray", executor="ray")
    code = main(["batch", str(project / "lines.csv"), "--executor", "ray", "--out", str(project / "noray")])
    assert code == 2
    assert not (project / "noray" / "hello.npz").exists()


def test_a_worker_needs_none_of_the_drivers_files(project, tmp_path):
    """make_line on a 'machine' where no driver path exists: it reads only the shipped bytes."""
    from kmtalk.dubbing.batch.manifest import ManifestLine
    from kmtalk.dubbing.batch.preview import read_preview
    from kmtalk.dubbing.batch.ray_executor import LineJob, make_line

    elsewhere = Path("/nonexistent-driver") / project.name
    src = kmtalk.Animation.load(project / "src.npz")
    src.audio_path = str(elsewhere / "hello.wav")  # the source remembers its audio on the driver only
    src.save(tmp_path / "src.npz")
    inputs = {str(elsewhere / "hello.wav"): (project / "hello.wav").read_bytes(),
              str(elsewhere / "dub.wav"): (project / "dub.wav").read_bytes(),
              str(elsewhere / "src.npz"): (tmp_path / "src.npz").read_bytes()}
    line = ManifestLine(id="dub", row=2, audio=elsewhere / "dub.wav", transcript=DUB_TEXT,
                        source=elsewhere / "src.npz", outputs=[elsewhere / "dub.npz", elsewhere / "glb" / "dub.glb"])
    made = make_line(LineJob(line=line, options={"method": "prior"}, thumbnails=False, inputs=inputs))
    assert made.error is None
    assert [(k, name) for k, name, _ in made.files][:2] == [(0, "dub.npz"), (1, "dub.glb")]
    (tmp_path / "dub.npz").write_bytes(made.files[0][2])
    anim = kmtalk.Animation.load(tmp_path / "dub.npz")
    assert anim.audio_path == str(elsewhere / "dub.wav")
    assert anim.meta["retime"]["source"]["audio_path"] == str(elsewhere / "hello.wav")
    assert not any("could not regenerate" in issue for issue in anim.meta["retime"]["issues"])
    assert made.qc["av_offset_ms"] is not None  # QC read the audio (the worker's copy)
    (tmp_path / "dub.preview.js").write_bytes(made.preview)
    assert read_preview(tmp_path / "dub.preview.js")["audio"].startswith("data:audio/wav;base64,")
    assert not elsewhere.exists()
