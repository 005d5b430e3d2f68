"""kmtalk.capture on real video: a real clip from ../shared/data/video-dev, the Live Link round trip,
every bad input (made with ffmpeg in tmp_path), the CLI, A/V offsets and the corpus builder.

The tracker is the real MediaPipe face landmarker shipped in assets/models. Tracks are cached in a
module-scoped folder so the one real clip is tracked once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe", reason="needs the capture extra (pip install 'kmtalk[capture]')")
pytest.importorskip("av", reason="needs the capture extra (pip install 'kmtalk[capture]')")

import kmtalk
from kmtalk.capture import capture_track, track_video
from kmtalk.cli import main
from kmtalk.errors import AssetError, BackendUnavailableError, FaceNotFoundError, VideoError
from kmtalk.face.arkit import ARKIT_NAMES

CLIP = "retalking_1"  # 6.1 s, variable frame rate (135 frames, 22.1 fps on average), one face throughout
FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="needs the ffmpeg command to make test videos")


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracks")


@pytest.fixture(scope="module")
def clip(video_dir: Path) -> Path:
    return video_dir / f"{CLIP}.mp4"


@pytest.fixture(scope="module")
def anim(clip: Path, cache: Path) -> kmtalk.Animation:
    return kmtalk.capture(clip, cache_dir=cache)


@pytest.fixture(scope="module")
def track(clip: Path, cache: Path, anim: kmtalk.Animation):
    return track_video(clip, cache_dir=cache)  # from the cache the capture wrote


# ----------------------------------------------------------------------------- a real clip

def test_capture_real_clip_shapes_ranges_pose_audio(anim: kmtalk.Animation, video_dir: Path) -> None:
    n = round(6.1 * 30)  # the last frame ends 6.1 s after the first
    assert anim.fps == 30.0 and anim.weights.shape == (n, 52) and anim.weights.dtype == np.float32
    assert anim.weights.min() >= 0.0 and anim.weights.max() <= 1.0
    assert anim.weights[:, ARKIT_NAMES.index("jawOpen")].std() > 0.02  # the mouth moves
    assert anim.head_pose is not None and anim.head_pose.shape == (n, 6) and np.isfinite(anim.head_pose).all()
    assert np.abs(anim.head_pose[:, :3]).max() < 1.0  # radians: a talking head, not spinning
    assert anim.head_pose[:, :3].std(axis=0).max() > 1e-3  # and it does move
    samples, sr = anim.audio
    assert sr == 16000 and samples.shape == (n * 16000 // 30,)
    assert anim.meta["uncaptured"] == ["tongueOut"] and len(anim.meta["captured_channels"]) == 51
    assert "tongueOut" not in anim.meta["captured_channels"]
    assert np.all(anim.weights[:, ARKIT_NAMES.index("tongueOut")] == 0)
    assert anim.meta["face_fraction"] == 1.0 and anim.meta["face_gaps"] == []
    assert anim.meta["video_frames"] == 135


def test_frame_times_are_the_videos_presentation_times(track, anim: kmtalk.Animation) -> None:
    # retalking_1 is variable-frame-rate: steps of 1/30 and 2/30 s, 22.1 fps on average.
    steps = np.round(np.diff(track.times) * 30).astype(int)
    assert set(steps.tolist()) == {1, 2}
    assert track.times[-1] == pytest.approx(6.1 - 1 / 30, abs=1e-6)
    assert anim.meta["video_fps"] == pytest.approx(134 / track.times[-1], rel=1e-6)
    # Resampled onto i/30: animation frame 3 * k sits on a video frame shown at k/10 s when one exists there.
    on_grid = np.flatnonzero(np.isclose(track.times * 30, np.round(track.times * 30)))
    raw = capture_track(track, retarget=False).weights
    for i in on_grid[:20]:
        j = round(track.times[i] * 30)
        np.testing.assert_allclose(raw[j, :51], track.blendshapes[i, :51], atol=1e-6)


def test_head_pose_signs_follow_the_face_in_the_image(track) -> None:
    # kmtalk.face.headpose: +yaw turns the face to its left (image right), +pitch tips it down,
    # +roll tilts the top of the head to its right (image left: the eye line turns counter-clockwise).
    from kmtalk.capture.pose import pose_from_matrices

    pose, lm = pose_from_matrices(track.matrices), track.landmarks.astype(np.float64)
    eyes = (lm[:, 33] + lm[:, 263]) / 2
    scale = np.linalg.norm(lm[:, 33, :2] - lm[:, 263, :2], axis=1)
    nose_right = (lm[:, 1, 0] - eyes[:, 0]) / scale
    nose_down = (lm[:, 1, 1] - eyes[:, 1]) / scale  # image y grows downwards
    eye_line = np.arctan2(lm[:, 263, 1] - lm[:, 33, 1], lm[:, 263, 0] - lm[:, 33, 0])
    assert np.corrcoef(pose[:, 1], nose_right)[0, 1] > 0.6  # 0.87 measured
    assert np.corrcoef(pose[:, 0], nose_down)[0, 1] > 0.6  # 0.79
    assert np.corrcoef(pose[:, 2], eye_line)[0, 1] < -0.8  # -0.94


def test_left_and_right_are_the_persons_own_as_in_arkit(track) -> None:
    # ARKit's eyeBlinkLeft is the person's left eye (MediaPipe landmarks 386/374; right eye 159/145).
    lm, shapes = track.landmarks.astype(np.float64), track.blendshapes
    scale = np.linalg.norm(lm[:, 33, :2] - lm[:, 263, :2], axis=1)
    open_left = np.linalg.norm(lm[:, 386, :2] - lm[:, 374, :2], axis=1) / scale
    open_right = np.linalg.norm(lm[:, 159, :2] - lm[:, 145, :2], axis=1) / scale
    blink_diff = shapes[:, ARKIT_NAMES.index("eyeBlinkLeft")] - shapes[:, ARKIT_NAMES.index("eyeBlinkRight")]
    assert np.corrcoef(blink_diff, open_right - open_left)[0, 1] > 0.3  # 0.55 here; 0.70 over 19 train clips


def test_attached_audio_is_the_clips_own_sound_in_sync(anim: kmtalk.Animation, track, video_dir: Path) -> None:
    from phoneme.audio import load_audio

    wav, sr = load_audio(video_dir / f"{CLIP}.wav", sample_rate=16000)
    ours = anim.audio[0]
    start = round(track.start * sr)  # frame 0 is the first video frame's presentation time
    n = min(len(ours), len(wav) - start)
    assert np.corrcoef(ours[:n], wav[start:start + n])[0, 1] > 0.98


def test_retargeted_capture_follows_the_real_lips(anim: kmtalk.Animation, track, video_dir: Path) -> None:
    from kmtalk.train.metrics import lipsync_score
    from kmtalk.train.videos import read_aperture

    aperture, vfps = read_aperture(video_dir / f"{CLIP}.landmarks.npz")
    shipped = lipsync_score(anim, aperture, vfps)
    raw = lipsync_score(capture_track(track, retarget=False), aperture, vfps)
    assert shipped > 0.9 and shipped > raw + 0.05  # docs/capture.md: 0.951 vs 0.843 on this clip


def test_import_kmtalk_does_not_load_the_capture_extra() -> None:
    code = ("import sys, kmtalk, kmtalk.capture; assert callable(kmtalk.capture); "
            "assert callable(kmtalk.capture.estimate_av_offset); "
            "bad = [m for m in ('mediapipe', 'av', 'cv2') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- Live Link round trip

def test_live_link_csv_round_trip(anim: kmtalk.Animation, tmp_path: Path) -> None:
    from kmtalk.io.exporters.livelink import read_livelink_csv

    path = anim.export(tmp_path / "take.csv")
    back = read_livelink_csv(path, fps=30).to_animation()
    assert back.n_frames == anim.n_frames
    np.testing.assert_array_equal(back.weights, anim.weights)  # shortest round-trip float32 text: exact
    np.testing.assert_array_equal(back.head_pose[:, :3], anim.head_pose[:, :3])
    # and through the CLI: kmtalk export take.csv -> npz
    assert main(["export", str(path), "--fps", "30", "-o", str(tmp_path / "take.npz")]) == 0
    np.testing.assert_array_equal(kmtalk.Animation.load(tmp_path / "take.npz").weights, anim.weights)


# ----------------------------------------------------------------------------- calibration and gaps

def test_calibration_rest_pose_and_neutral_frame(track) -> None:
    raw = capture_track(track, retarget=False).weights
    rest = capture_track(track, retarget=False, calibrate="rest")
    captured = [ARKIT_NAMES.index(n) for n in rest.meta["captured_channels"]]
    p5 = np.percentile(rest.weights[:, captured], 5, axis=0)
    assert np.all(p5 < 0.01)  # each channel's rest level is now 0
    assert np.all(rest.weights <= raw + 1e-6) and rest.meta["calibration"]["mode"] == "rest"
    frame = capture_track(track, retarget=False, calibrate=40)
    assert np.all(frame.weights[40] == 0) and frame.meta["calibration"]["frame"] == 40
    with pytest.raises(kmtalk.errors.AnimationError, match="outside"):
        capture_track(track, calibrate=10_000)


def test_face_gaps_short_bridged_long_reported(track, caplog: pytest.LogCaptureFixture) -> None:
    import dataclasses

    holey = dataclasses.replace(track, blendshapes=track.blendshapes.copy(), matrices=track.matrices.copy(),
                                landmarks=track.landmarks.copy())
    for rows in (slice(10, 13), slice(60, 80)):  # ~0.1 s and ~0.9 s without a face
        holey.blendshapes[rows] = np.nan
        holey.matrices[rows] = np.nan
        holey.landmarks[rows] = np.nan
    with caplog.at_level("WARNING", logger="kmtalk.capture"):
        out = capture_track(holey, max_gap=0.25)
    assert len(out.meta["face_gaps"]) == 2 and len(out.meta["long_face_gaps"]) == 1
    g0, g1 = out.meta["long_face_gaps"][0]
    assert g0 == pytest.approx(track.times[60]) and g1 == pytest.approx(track.times[80])
    assert np.isfinite(out.weights).all() and np.isfinite(out.head_pose).all()
    assert any("no face from" in r.message for r in caplog.records)
    # bridged linearly: inside the long gap jawOpen lies between its values at the edges
    j = ARKIT_NAMES.index("jawOpen")
    raw = capture_track(holey, retarget=False).weights
    lo, hi = sorted((track.blendshapes[59, j], track.blendshapes[80, j]))
    inside = raw[int(np.ceil(track.times[60] * 30)):int(track.times[80] * 30), j]
    assert inside.min() >= lo - 1e-6 and inside.max() <= hi + 1e-6


# ----------------------------------------------------------------------------- bad inputs

@pytest.fixture(scope="module")
def bad_videos(tmp_path_factory: pytest.TempPathFactory, clip: Path, video_dir: Path) -> dict[str, Path]:
    if FFMPEG is None:
        pytest.skip("needs the ffmpeg command to make test videos")
    d = tmp_path_factory.mktemp("bad")
    v = {
        "no_face": d / "testsrc.mp4", "ten_percent": d / "ten_percent.mp4", "no_audio": d / "silent.mp4",
        "corrupt": d / "corrupt.mp4", "truncated": d / "truncated.mp4", "audio_only": d / "speech.m4a",
        "still": d / "still.png", "folder": d / "a_folder",
    }
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=1", "-f", "lavfi",
           "-i", "sine=frequency=300:duration=1", "-shortest", "-pix_fmt", "yuv420p", str(v["no_face"]))
    # 0.4 s of the real clip (a face), then 3.6 s of black: a face in 10 % of the frames
    ffmpeg("-i", str(clip), "-f", "lavfi", "-i", "color=black:size=700x700:rate=25:duration=3.6",
           "-filter_complex", "[0:v]trim=0:0.4,setpts=PTS-STARTPTS,fps=25,format=yuv420p[a];"
           "[1:v]format=yuv420p[b];[a][b]concat=n=2:v=1[v]", "-map", "[v]", "-map", "0:a", "-t", "4",
           str(v["ten_percent"]))
    ffmpeg("-i", str(clip), "-t", "1.5", "-an", "-c:v", "copy", str(v["no_audio"]))
    v["corrupt"].write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    v["truncated"].write_bytes(clip.read_bytes()[:3000])
    ffmpeg("-i", str(video_dir / f"{CLIP}.wav"), "-c:a", "aac", str(v["audio_only"]))
    ffmpeg("-i", str(clip), "-frames:v", "1", str(v["still"]))
    v["folder"].mkdir()
    return v


@pytest.mark.parametrize("kind, error, message", [
    ("no_face", FaceNotFoundError, "no face found in any"),
    ("ten_percent", FaceNotFoundError, r"only 10% of the 100 frames"),
    ("no_audio", VideoError, "no audio track"),
    ("corrupt", VideoError, "cannot be read as a video"),
    ("truncated", VideoError, "corrupt"),
    ("audio_only", VideoError, "no video stream"),
    ("still", VideoError, "still image"),
    ("folder", VideoError, "is a folder"),
])
def test_bad_video_typed_error_and_no_file(bad_videos: dict[str, Path], kind: str, error: type, message: str,
                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(error, match=message):
        kmtalk.capture(bad_videos[kind])
    if kind == "folder":
        return  # the CLI takes a folder as a corpus to build; see test_cli_folder_without_videos
    out = tmp_path / "take.csv"
    assert main(["capture", str(bad_videos[kind]), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kmtalk capture: error:")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="does not exist"):
        kmtalk.capture(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        kmtalk.capture(tmp_path / "empty.mp4")


def test_silent_video_captured_when_audio_not_required(bad_videos: dict[str, Path]) -> None:
    anim = kmtalk.capture(bad_videos["no_audio"], require_audio=False)
    assert anim.audio is None and anim.n_frames == 45 and anim.meta["face_fraction"] == 1.0


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch, clip: Path) -> None:
    # Simulated: the extra is installed here, so an import failure is forced (sys.modules entry None).
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(BackendUnavailableError, match=r"pip install 'kmtalk\[capture\]'"):
        kmtalk.capture(clip)


def test_damaged_model_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clip: Path) -> None:
    from kmtalk.capture import tracker

    good = tracker.model_path()
    bad = tmp_path / "face_landmarker.task"
    data = bytearray(good.read_bytes())
    data[1000] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(tracker, "asset_path", lambda *parts: bad)
    with pytest.raises(AssetError, match="damaged"):
        kmtalk.capture(clip)


# ----------------------------------------------------------------------------- CLI

def test_cli_json(clip: Path, cache: Path, tmp_path: Path, transcript: str,
                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "take.npz"
    assert main(["capture", str(clip), "-o", str(out), "--calibrate", "rest", "--offset", "--text", transcript,
                 "--json", "--quiet", "--cache", str(cache)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["output"] == [str(out)] and result["frames"] == 183 and result["fps"] == 30
    assert result["uncaptured"] == ["tongueOut"] and result["audio"] is True
    assert result["calibration"]["mode"] == "rest" and result["av_offset"]["signal"] == "prior"
    assert result["av_offset"]["offset"] == pytest.approx(-0.08, abs=0.02)  # benchmarks/results/av_offsets.json
    back = kmtalk.Animation.load(out)
    assert back.n_frames == 183 and back.meta["uncaptured"] == ["tongueOut"] and back.audio is not None


def test_cli_checks_the_output_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the input does not even exist: the output format is refused first
    assert main(["capture", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "take.fbx")]) == 2
    assert "unknown extension" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_help_lists_capture(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["capture", "--help"])
    assert "--calibrate" in capsys.readouterr().out


def test_cli_folder_without_videos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    assert main(["capture", str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 2
    assert "holds no video" in capsys.readouterr().err and not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- offsets and corpus

@pytest.fixture(scope="module")
def transcript(video_dir: Path) -> str:
    from kmtalk.capture.corpus import folder_transcripts

    return folder_transcripts(video_dir)[CLIP]


@pytest.mark.parametrize("signal", ["prior", "loudness"])
def test_av_offset_of_a_shifted_copy_moves_by_the_shift(anim: kmtalk.Animation, transcript: str,
                                                        signal: str) -> None:
    from kmtalk.capture import estimate_av_offset

    base = estimate_av_offset(anim, signal=signal, transcript=transcript)
    assert abs(base.offset) <= 0.3 and base.r > 0.3 and base.signal == signal
    samples, sr = anim.audio
    late = np.concatenate([np.zeros(int(0.1 * sr), np.float32), samples])[: len(samples)]  # audio 100 ms late
    shifted = kmtalk.Animation(fps=anim.fps, weights=anim.weights, audio=(late, sr))
    moved = estimate_av_offset(shifted, signal=signal, transcript=transcript)
    assert moved.offset == pytest.approx(base.offset + 0.1, abs=0.035)  # within a frame (alignment jitter)
    assert moved.r > base.r_zero  # unshifting the delayed audio beats leaving it


@needs_ffmpeg
def test_capture_folder_writes_npz_per_clip_and_manifest(bad_videos: dict[str, Path], clip: Path,
                                                        tmp_path: Path, cache: Path) -> None:
    from kmtalk.capture.corpus import capture_folder

    src = tmp_path / "videos"
    src.mkdir()
    ffmpeg("-i", str(clip), "-t", "2", "-c", "copy", str(src / "talk.mp4"))
    shutil.copy(bad_videos["no_face"], src / "bars.mp4")
    rows = capture_folder(src, tmp_path / "corpus", cache_dir=cache)
    by_name = {r["name"]: r for r in rows}
    assert by_name["talk"]["file"] == "talk.npz" and by_name["talk"]["av_offset"] is not None
    assert by_name["bars"]["file"] is None and by_name["bars"]["error"].startswith("FaceNotFoundError")
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == ["manifest.json", "talk.npz"]
    take = kmtalk.Animation.load(tmp_path / "corpus" / "talk.npz")
    assert take.meta["uncaptured"] == ["tongueOut"] and take.head_pose is not None and take.audio is not None
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    assert [c["name"] for c in manifest["clips"]] == ["bars", "talk"]


def test_capture_train_capture_in_one_process(clip: Path) -> None:
    """Capture, a PyTorch Lightning fit, capture again, in one fresh process. Lightning restores every
    signal handler from Python's record at the end of ``fit``; MediaPipe had set SIGPROF to ignored in C,
    so the second capture's profiling timers used to kill the process ("Profiling timer expired", exit
    155). A subprocess, because a failure ends the process."""
    code = f"""
import torch, pytorch_lightning as pl
import kmtalk
kmtalk.capture({str(clip)!r}, calibrate=None)

class M(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.l = torch.nn.Linear(4, 1)
    def training_step(self, batch, i):
        return self.l(batch[0]).pow(2).mean()
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 4)), batch_size=4)
pl.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
           enable_model_summary=False).fit(M(), data)
print("frames", kmtalk.capture({str(clip)!r}, calibrate=None).n_frames)
"""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, check=False, timeout=600)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-1500:])
    assert proc.stdout.strip().splitlines()[-1] == "frames 183"
