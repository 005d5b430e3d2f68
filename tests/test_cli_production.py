"""What a production user hit with the CLI (issue #13 part 3): exit codes for QC failures, broken pipes,
typed errors for wrong sources, outputs checked before any work, progress, render size, file modes.

Real components throughout: espeak-ng speech, pocketsphinx, the prior/learned animators, the exporters,
``kmtalk`` run as a real subprocess where a pipe or the process's exit matters.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kmtalk
from kmtalk.cli import main
from kmtalk.cli.common import EXIT_FAILED, EXIT_QC, EXIT_USAGE

TEXT = "Bob bought a big blue balloon"
ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    d = tmp_path_factory.mktemp("prod")
    for name, voice, rate in (("slow", "en-us", 140), ("fast", "en-gb+f3", 215)):
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(d / f"{name}.wav"), TEXT],
                       check=True, capture_output=True)
    src = kmtalk.animate(d / "slow.wav", TEXT, method="prior", locks={30: {"mouthSmileLeft": 0.6}})
    src.save(d / "src.npz")
    src.export(d / "src.json")
    return d


# ---------------------------------------------------------------- 1. QC has teeth


def test_retime_qc_failure_exit_code(takes, capsys):
    """The fast dub's speech lasts ~0.63x the source's: isochrony fails, so ``--qc`` exits 3."""
    args = ["retime", str(takes / "src.npz"), str(takes / "fast.wav"), "--text", TEXT, "--qc"]
    assert main([*args, "-o", str(takes / "dub1.npz"), "--json"]) == EXIT_QC == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["qc"]["ok"] is False and any(p.startswith("isochrony") for p in summary["qc"]["problems"])
    assert (takes / "dub1.npz").is_file()  # the output is still written: QC judges it, it does not discard it
    assert main([*args, "-o", str(takes / "dub2.npz"), "--qc-fail-ok"]) == 0
    assert "QC: isochrony" in capsys.readouterr().out
    assert main(args[:-1] + ["-o", str(takes / "dub3.npz")]) == 0  # no --qc: no QC verdict
    # Re-timed onto its own take the line passes QC: exit 0 with --qc.
    assert main(["retime", str(takes / "src.npz"), str(takes / "slow.wav"), "--text", TEXT, "--qc",
                 "-o", str(takes / "dub4.npz")]) == 0


def test_batch_counts_qc_failures(takes, capsys):
    d = takes / "batch"
    d.mkdir()
    rows = [["id", "audio", "transcript", "source", "output"],
            ["same", str(takes / "slow.wav"), TEXT, str(takes / "src.npz"), "same.npz"],
            ["dub", str(takes / "fast.wav"), TEXT, str(takes / "src.npz"), "dub.npz"]]
    with open(d / "m.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    base = ["batch", str(d / "m.csv"), "--workers", "1", "--no-thumbnails", "--out", str(d / "o")]
    assert main([*base, "--json"]) == EXIT_QC
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["done"] == 2 and summary["counts"]["failed_qc"] == 1
    assert summary["counts"]["failed"] == 0
    assert main(base) == EXIT_QC  # skipped lines keep their recorded QC verdict
    out = capsys.readouterr().out
    assert "2 skipped, 1 failed QC" in out and "failed QC: dub: isochrony" in out
    assert main([*base, "--qc-fail-ok"]) == 0
    capsys.readouterr()
    with open(d / "m.csv", "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["broken", str(d / "missing.wav"), TEXT, "", "broken.npz"])
    assert main(base) == EXIT_FAILED == 1  # a failed line outranks a QC failure
    assert "2 skipped, 1 failed QC, 1 failed" in capsys.readouterr().out


def test_exit_codes_are_documented():
    doc = (ROOT / "docs" / "dubbing.md").read_text("utf-8")
    assert "--qc-fail-ok" in doc and "| 3 |" in doc and EXIT_USAGE == 2
    helps = subprocess.run([sys.executable, "-m", "kmtalk", "batch", "--help"], capture_output=True, text=True,
                           check=True)
    assert "exit status" in helps.stdout and "3" in helps.stdout and "--qc-fail-ok" in helps.stdout


# ---------------------------------------------------------------- 4. broken pipes


def _closed_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``kmtalk ARGS`` with its stdout a pipe whose reading end is closed before it writes (``| head -0``)."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    try:
        return subprocess.run([sys.executable, "-m", "kmtalk", *args], stdout=write_fd, stderr=subprocess.PIPE,
                              text=True, cwd=cwd, timeout=300, check=False)
    finally:
        os.close(write_fd)


@pytest.mark.parametrize("command", ["align", "batch", "help"])
def test_broken_pipe_exits_quietly(takes, command):
    if command == "align":
        args = ["align", str(takes / "slow.wav"), "--text", TEXT, "--json"]
    elif command == "batch":
        (takes / "pipe.csv").write_text(f"id,audio,transcript\nl1,{takes / 'slow.wav'},{TEXT}\n", "utf-8")
        args = ["batch", str(takes / "pipe.csv"), "--workers", "1", "--no-thumbnails", "--json",
                "--out", str(takes / "pipe")]
    else:
        args = ["--help"]
    proc = _closed_pipe(args, takes)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
    # 128 + SIGPIPE, what a shell reports for a writer whose reader left; argparse's own --help output
    # swallows the error itself and exits 0.
    assert proc.returncode == (141 if command != "help" else 0)


# ---------------------------------------------------------------- 5. a .json source for retime


def test_retime_reads_a_json_source(takes, capsys):
    out = takes / "from_json.npz"
    args = [str(takes / "slow.wav"), "--text", TEXT, "--json", "-o"]
    assert main(["retime", str(takes / "src.json"), *args, str(out)]) == 0
    from_json = json.loads(capsys.readouterr().out)
    assert main(["retime", str(takes / "src.npz"), *args, str(takes / "from_npz.npz")]) == 0
    from_npz = json.loads(capsys.readouterr().out)
    assert out.is_file() and len(from_json["placed"]) == 1 and from_json["placed"] == from_npz["placed"]


def test_wrong_source_is_a_clear_error(takes, capsys):
    from kmtalk.face.animation import Animation
    from kmtalk.errors import AnimationError

    with pytest.raises(AnimationError, match="JSON") as info:
        Animation.load(takes / "src.json")
    assert "pickle" not in str(info.value)
    from kmtalk.dubbing.retime import retime

    with pytest.raises(AnimationError, match="kmtalk.load"):  # the library names the reader to use
        retime(takes / "src.json", takes / "slow.wav", TEXT)
    bad = takes / "notes.txt"
    bad.write_text("not an animation", "utf-8")
    assert main(["retime", str(bad), str(takes / "slow.wav"), "--text", TEXT, "-o", str(takes / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "pickle" not in err and err.count("\n") == 1 and "error:" in err
    assert not (takes / "x.npz").exists()


# ---------------------------------------------------------------- 6. outputs checked before any work


@pytest.mark.parametrize("output,reason", [
    ("x.fbx", "unknown extension '.fbx'"),
    ("frames/x.obj", "frame pattern"),
    ("FILE/sub/x.npz", "not a folder"),
    ("DIR", "is a folder"),
])
def test_output_refused_before_any_work(takes, capsys, output, reason):
    """Each command checks -o first: the (missing) input is never reached, nothing is created."""
    (takes / "afile").write_text("x", "utf-8")
    (takes / "adir.npz").mkdir(exist_ok=True)
    output = output.replace("FILE", str(takes / "afile")).replace("DIR", str(takes / "adir.npz"))
    if not os.path.isabs(output):
        output = str(takes / "refused" / output)
    missing = str(takes / "missing.wav")
    commands = [
        ["animate", missing, "--text", TEXT, "-o", output],
        ["retime", str(takes / "missing.npz"), missing, "--text", TEXT, "-o", output],
        ["export", str(takes / "missing.npz"), "-o", output],
    ]
    for cmd in commands:
        assert main(cmd) == EXIT_USAGE, cmd
        err = capsys.readouterr().err
        assert reason in err and "missing" not in err and err.count("\n") == 1, (cmd, err)
    assert not (takes / "refused").exists()


def test_command_specific_outputs_checked_first(takes, capsys):
    missing = str(takes / "missing.wav")
    assert main(["align", missing, "--text", TEXT, "-o", str(takes / "a.csv")]) == EXIT_USAGE
    assert ".csv" in capsys.readouterr().err
    assert main(["render", str(takes / "missing.npz"), "-o", str(takes / "r.gif")]) == EXIT_USAGE
    assert ".mp4" in capsys.readouterr().err
    (takes / "fbx.csv").write_text(f"id,audio,transcript,output\nl1,{missing},{TEXT},l1.fbx\n", "utf-8")
    assert main(["batch", str(takes / "fbx.csv"), "--out", str(takes / "fbx_out"), "--no-thumbnails"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "l1" in err and ".fbx" in err and not (takes / "fbx_out").exists()


# ---------------------------------------------------------------- 8. render --size


def test_render_size_message_and_nothing_created(takes, capsys):
    out_dir = takes / "render_out" / "deep"
    assert main(["render", str(takes / "src.npz"), "-o", str(out_dir / "x.mp4"), "--size", "7"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "got 7" in err and "got 8" not in err and "16" in err
    assert not (takes / "render_out").exists()  # no empty folder left behind


def test_library_render_validates_size_before_creating(takes):
    from kmtalk.errors import RenderError
    from kmtalk.io.render import render

    anim = kmtalk.Animation.load(takes / "src.npz")
    with pytest.raises(RenderError, match="got 7"):
        render(anim, takes / "lib_out" / "x.mp4", size=7)
    assert not (takes / "lib_out").exists()


# ---------------------------------------------------------------- 9. file modes


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_every_format_gets_the_same_mode(takes, umask):
    """Every export (TextGrid included) gets 0666 & ~umask, like a file opened for writing."""
    anim = kmtalk.Animation.load(takes / "src.npz")
    d = takes / f"modes_{umask:o}"
    old = os.umask(umask)
    try:
        files = []
        for name in ("a.npz", "a.csv", "a.json", "a.glb", "a.gltf", "a.TextGrid", "f/%03d.obj"):
            out = anim.export(d / name)
            files += out if isinstance(out, list) else [out]
        files += [d / "a.wav", d / "a.bin"]  # the glTF sidecars
        assert main(["align", str(takes / "slow.wav"), "--text", TEXT, "-o", str(d / "align.TextGrid")]) == 0
        files.append(d / "align.TextGrid")
    finally:
        os.umask(old)
    modes = {f.name if "%" not in str(f) else "obj": oct(f.stat().st_mode & 0o777) for f in files}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes


# ---------------------------------------------------------------- 3. batch writes the glTF's sidecars


def _gltf_uris(path: Path) -> list[str]:
    import pygltflib

    g = pygltflib.GLTF2().load(str(path))
    uris = [b.uri for b in g.buffers if b.uri]
    audio = (g.asset.extras or {}).get("audio")
    return uris + ([audio["uri"]] if audio else [])


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_batch_writes_the_files_a_gltf_refers_to(takes, executor):
    from kmtalk.dubbing.batch import run_batch
    from kmtalk.dubbing.batch.state import file_hash

    d = takes / f"gltf_{executor}"
    d.mkdir()
    audio = d / "line.wav"  # the input audio sits where the sidecar would go
    audio.write_bytes((takes / "slow.wav").read_bytes())
    before = file_hash(audio)
    (d / "m.csv").write_text("id,audio,transcript,output\n"
                             f"hello,{takes / 'slow.wav'},{TEXT},out/hello.glb;out/hello.gltf\n"
                             f"line,line.wav,{TEXT},line.glb\n", "utf-8")
    res = run_batch(d / "m.csv", method="prior", thumbnails=False, executor=executor)
    assert [r.status for r in res.lines] == ["done", "done"], [r.message for r in res.lines]
    for gltf in (d / "out" / "hello.glb", d / "out" / "hello.gltf", d / "line.glb"):
        uris = _gltf_uris(gltf)
        assert uris and all((gltf.parent / u).is_file() for u in uris), (gltf, uris)
    assert sorted(_gltf_uris(d / "out" / "hello.gltf")) == ["hello.bin", "hello.wav"]
    assert str(d / "out" / "hello.wav") in res.lines[0].outputs
    # line.glb refers to line.wav: the input audio itself, left as it was (not overwritten by a copy).
    assert _gltf_uris(d / "line.glb") == ["line.wav"] and file_hash(audio) == before


# ---------------------------------------------------------------- 7. progress on stderr


def _stderr_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``kmtalk ARGS`` with stderr on a real pseudo-terminal (progress displays only show on a terminal)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # A fresh pseudo-terminal is 0 columns wide; a real one has a size (tqdm draws nothing in 0 columns).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "kmtalk", *args], stdout=subprocess.PIPE, stderr=slave,
                            cwd=cwd, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read()
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def test_animate_shows_progress_unless_quiet_or_json(takes):
    args = ["animate", str(HELLO), "--text-file", str(HELLO.with_suffix(".txt")), "--method", "prior",
            "--no-check"]
    code, out, err = _stderr_on_a_terminal([*args, "-o", str(takes / "p1.npz")], takes)
    assert code == 0, err
    for stage in ("reading audio", "aligning", "animating", "writing"):
        assert stage in err, err
    assert "wrote" in out and "aligning" not in out  # progress is on stderr only
    for extra in (["--quiet"], ["--json"]):
        code, out, err = _stderr_on_a_terminal([*args, *extra, "-o", str(takes / "p2.npz")], takes)
        assert code == 0 and "aligning" not in err and err.strip() == "", (extra, err)
