"""Every CLI command on the bundled example line, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WAV = ROOT / "assets" / "examples" / "hello.wav"
TXT = ROOT / "assets" / "examples" / "hello.txt"


def kmtalk(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kmtalk", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_help_for_every_command(tmp_path):
    top = kmtalk("--help", cwd=tmp_path)
    assert top.returncode == 0
    for command in ("align", "animate", "render", "export"):
        assert command in top.stdout
        sub = kmtalk(command, "--help", cwd=tmp_path)
        assert sub.returncode == 0 and "usage: kmtalk " + command in sub.stdout


def test_align_writes_textgrid_and_json(tmp_path):
    r = kmtalk("align", WAV, "--text-file", TXT, "-o", "hello.TextGrid", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    spoken = [w["label"] for w in data["words"] if w["label"] != "sil"]
    assert spoken == ["bob", "fed", "five", "blue", "balloons", "to", "the", "movie", "mouse"]
    from phoneme.aligners.textgrid import read_textgrid

    back = read_textgrid(tmp_path / "hello.TextGrid")
    assert [w.label for w in back.spoken_words()] == spoken


def test_animate_then_export_and_render(tmp_path):
    r = kmtalk("animate", WAV, "--text-file", TXT, "-o", "hello.npz", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["frames"] == 96 and summary["transcript_free"] is False
    from kmtalk import Animation

    anim = Animation.load(tmp_path / "hello.npz")
    assert anim.weights.shape == (96, 52) and anim.keys

    r = kmtalk("export", "hello.npz", "-o", "hello.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    header = (tmp_path / "hello.csv").read_text().splitlines()[0]
    assert header.startswith("Timecode,BlendshapeCount,EyeBlinkLeft")

    r = kmtalk("render", "hello.npz", "-o", "hello.mp4", "--size", "128", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "hello.mp4").stat().st_size > 10_000


def test_animate_with_locks_file(tmp_path):
    (tmp_path / "locks.json").write_text(json.dumps({"40": {"jawOpen": 0.8}, "1.0s": "PP"}))
    r = kmtalk("animate", WAV, "--text-file", TXT, "--locks", "locks.json", "-o", "locked.json",
               cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "locked.json").read_text())
    assert data["curves"]["jawOpen"][40] == pytest.approx(0.8)
    assert set(data["locks"]) == {"30", "40"}


@pytest.mark.parametrize("args, message", [
    (["animate", "missing.wav", "--text", "hi", "-o", "x.npz"], "does not exist"),
    (["animate", TXT, "--text", "hi", "-o", "x.npz"], "audio"),
    (["animate", WAV, "--text", "hi", "-o", "x.xyz"], "xyz"),
    (["animate", WAV, "--text", "hi", "--locks", "nope.json", "-o", "x.npz"], "locks"),
    (["animate", WAV, "--text", "hi", "--style", "jaw", "-o", "x.npz"], "unknown style 'jaw'"),
    (["animate", WAV, "--text", "hi", "--style", "jaw=big", "-o", "x.npz"], "--style"),
    (["align", WAV, "--text", "hi", "-o", "x.doc"], "TextGrid or .json"),
])
def test_bad_input_one_line_and_exit_2(tmp_path, args, message):
    r = kmtalk(*args, cwd=tmp_path)
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("x.*"))  # nothing half-written
