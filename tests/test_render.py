"""The preview renderer: real moderngl/EGL frames, real MP4s read back with ffprobe."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.errors import AnimationError, RenderError
from kmtalk.io.render import FaceRenderer, render, render_frames
from kmtalk.io.render.curves import CURVES, curve_strip
from kmtalk.io.render.scene import BACKGROUND
from kmtalk.io.render.video import write_mp4
from kmtalk.face.rig import default_rig

SIZE = 128


@pytest.fixture(scope="module")
def rig():
    return default_rig()


def weights_with(**channels: float) -> np.ndarray:
    w = np.zeros(52, np.float32)
    for name, value in channels.items():
        w[ARKIT_INDEX[name]] = value
    return w


def background_rgb() -> np.ndarray:
    return np.round(255 * np.asarray(BACKGROUND) ** 0.5)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,width,height,pix_fmt,nb_frames:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def test_frames_show_the_face(rig):
    frame = next(render_frames(rig, np.zeros(52), size=SIZE))
    assert frame.shape == (SIZE, SIZE, 3) and frame.dtype == np.uint8
    bg = background_rgb()
    is_bg = (np.abs(frame.astype(int) - bg) <= 2).all(axis=-1)
    centre = is_bg[SIZE // 4: 3 * SIZE // 4, SIZE // 4: 3 * SIZE // 4]
    assert centre.mean() < 0.05, "the centre of the frame should be face, not background"
    assert is_bg[:, :4].mean() > 0.9, "the frame's left edge should be background"
    # skin-coloured: red above green above blue in the face centre
    r, g, b = frame[SIZE // 2, SIZE // 2].astype(int)
    assert r > g > b


def test_mouth_region_changes_with_jaw_open(rig):
    closed, opened = render_frames(rig, np.stack([np.zeros(52), weights_with(jawOpen=1.0)]),
                                   size=SIZE)
    diff = np.abs(closed.astype(int) - opened.astype(int)).sum(axis=-1)
    mouth = diff[int(0.60 * SIZE):int(0.85 * SIZE), int(0.35 * SIZE):int(0.65 * SIZE)]
    brow = diff[int(0.15 * SIZE):int(0.35 * SIZE), int(0.25 * SIZE):int(0.75 * SIZE)]
    assert (mouth > 30).mean() > 0.2, "opening the jaw should change the mouth area"
    assert (brow > 30).mean() < 0.01, "opening the jaw should leave the brows alone"


def test_blink_changes_the_eye_on_the_subjects_left(rig):
    """Subject's left is +X, which the front camera shows on the image's right."""
    a, b = render_frames(rig, np.stack([np.zeros(52), weights_with(eyeBlinkLeft=1.0)]), size=SIZE)
    diff = np.abs(a.astype(int) - b.astype(int)).sum(axis=-1) > 30
    assert diff[:, SIZE // 2:].sum() > 10 * max(diff[:, : SIZE // 2].sum(), 1)


def test_views_and_head_pose(rig):
    both = next(render_frames(rig, np.zeros(52), size=SIZE, view="both"))
    assert both.shape == (SIZE, 2 * SIZE, 3)
    front = next(render_frames(rig, np.zeros(52), size=SIZE, view="front"))
    side = next(render_frames(rig, np.zeros(52), size=SIZE, view="side"))
    # same pictures (multisampling may differ by a level on a few edge pixels)
    assert np.abs(both[:, :SIZE].astype(int) - front).mean() < 0.05
    assert np.abs(both[:, SIZE:].astype(int) - side).mean() < 0.05
    assert np.abs(front.astype(int) - side.astype(int)).mean() > 5
    turned = next(render_frames(rig, np.zeros((1, 52)), size=SIZE,
                                head_pose=np.array([[0.0, 0.6, 0.0, 0.0, 0.0, 0.0]])))
    assert np.abs(turned.astype(int) - front.astype(int)).mean() > 5
    with pytest.raises(RenderError, match="view"):
        next(render_frames(rig, np.zeros(52), size=SIZE, view="top"))
    with pytest.raises(AnimationError, match="head_pose"):
        next(render_frames(rig, np.zeros((2, 52)), size=SIZE, head_pose=np.zeros((3, 6))))


def test_bad_weights_rejected_or_clipped(rig):
    with pytest.raises(AnimationError, match="NaN"):
        next(render_frames(rig, np.full((2, 52), np.nan), size=SIZE))
    with pytest.raises(AnimationError, match="shape"):
        next(render_frames(rig, np.zeros((2, 50)), size=SIZE))
    over, one = render_frames(rig, np.stack([weights_with(jawOpen=2.5), weights_with(jawOpen=1.0)]),
                              size=SIZE)
    np.testing.assert_array_equal(over, one)


def test_renderer_rejects_wrong_vertices(rig):
    with FaceRenderer(rig, size=32) as r, pytest.raises(RenderError, match="vertices"):
        r.draw(np.zeros((10, 3)))


def test_curve_strip_draws_the_main_curves():
    w = np.zeros((90, 52), np.float32)
    w[:, ARKIT_INDEX["jawOpen"]] = 1.0
    img = curve_strip(w, 45, fps=30, width=120, height=40)
    colour = dict((label, c) for label, _, c in CURVES)["jawOpen"]
    rows = np.flatnonzero((img == colour).all(axis=-1).any(axis=1))
    assert len(rows) and rows.max() < 6, "a jawOpen of 1 is drawn at the top of the strip"


def test_mp4_has_video_and_audio(tmp_path, rig):
    sr = 16000
    t = np.arange(sr) / sr
    audio = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    w = np.zeros((30, 52), np.float32)
    w[:, ARKIT_INDEX["jawOpen"]] = np.linspace(0, 1, 30)
    out = render(w, tmp_path / "take.mp4", rig=rig, fps=30, audio=(audio, sr), size=SIZE,
                 side=True, curves=True)
    info = ffprobe(out)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264" and kinds["video"]["pix_fmt"] == "yuv420p"
    assert kinds["audio"]["codec_name"] == "aac"
    strip = SIZE // 4 + (SIZE // 4) % 2
    assert (kinds["video"]["width"], kinds["video"]["height"]) == (2 * SIZE, SIZE + strip)
    assert int(kinds["video"]["nb_frames"]) == 30
    assert abs(float(info["format"]["duration"]) - 1.0) < 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["take.mp4"]


def test_render_takes_an_animation_with_its_audio_and_compare(tmp_path):
    from kmtalk.face.animation import Animation

    sr = 16000
    audio = (0.1 * np.sin(2 * np.pi * 300 * np.arange(sr // 2) / sr)).astype(np.float32)
    a = Animation(fps=25, weights=np.zeros((12, 52), np.float32), audio=(audio, sr))
    b = np.zeros((8, 52), np.float32)
    out = render(a, tmp_path / "ab.mp4", size=64, compare=b)
    kinds = {s["codec_type"]: s for s in ffprobe(out)["streams"]}
    assert "audio" in kinds and kinds["video"]["width"] == 128
    assert int(kinds["video"]["nb_frames"]) == 12
    with pytest.raises(RenderError, match="fps"):
        render(a, tmp_path / "bad.mp4", size=64, compare=Animation(fps=30, weights=b))
    with pytest.raises(RenderError, match=".mp4"):
        render(a, tmp_path / "x.avi", size=64)
    assert not (tmp_path / "bad.mp4").exists()


def test_failed_write_leaves_nothing(tmp_path):
    def frames():
        for _ in range(3):
            yield np.zeros((32, 32, 3), np.uint8)
        raise RenderError("boom")

    with pytest.raises(RenderError, match="boom"):
        write_mp4(frames(), tmp_path / "half.mp4", fps=10)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RenderError, match="even"):
        write_mp4(iter([np.zeros((33, 32, 3), np.uint8)]), tmp_path / "odd.mp4", fps=10)
    assert list(tmp_path.iterdir()) == []


def test_no_egl_gives_a_clear_error(monkeypatch):
    """EGL works on this machine, so its absence is simulated by making moderngl's
    context creation fail the way it does without libEGL (a mock, by necessity)."""
    import moderngl

    from kmtalk.io.render import context

    def no_egl(*args, **kwargs):
        raise Exception("(standalone) eglGetDisplay failed: libEGL.so.1 not found")

    monkeypatch.setattr(context, "_ctx", None)
    monkeypatch.setattr(moderngl, "create_context", no_egl)
    with pytest.raises(RenderError, match="apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri"):
        context.gl_context()


def test_cli_render(tmp_path):
    from kmtalk.face.animation import Animation
    from kmtalk.cli import main

    sr = 16000
    audio = (0.1 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
    Animation(fps=30, weights=np.zeros((30, 52), np.float32), audio=(audio, sr)).save(
        tmp_path / "a.npz")
    out = tmp_path / "a.mp4"
    assert main(["render", str(tmp_path / "a.npz"), "-o", str(out), "--size", "64",
                 "--curves"]) == 0
    kinds = {s["codec_type"] for s in ffprobe(out)["streams"]}
    assert kinds == {"video", "audio"}
    assert main(["render", str(tmp_path / "missing.npz"), "-o", str(out)]) == 2
