"""Fine-tuning on talking-head video (``kmtalk.train.finetune``, ``completion.training.aperture``, ``kmtalk finetune``).

Real clips of ../shared/data/video-dev, a small untrained model (fast), the real rig.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import kmtalk
from completion.checkpoint import load_checkpoint, save_checkpoint
from completion.model import KMTalkConfig, KMTalkModel
from completion.training.aperture import ApertureClip, finetune_apertures, pearson_loss
from kmtalk.animator.learned import shipped_checkpoint
from kmtalk.errors import AnimationError
from kmtalk.train.finetune import aperture_operator, video_aperture_clips
from kmtalk.train.metrics import lip_aperture

CLIP = "retalking_1"


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    return KMTalkModel(KMTalkConfig.small()).eval()


@pytest.fixture(scope="module")
def clip(small, video_dir):
    (c,) = video_aperture_clips(small, video_dir, only={CLIP})
    return c


def test_operator_is_the_rig_aperture_of_the_metric():
    rig = kmtalk.default_rig()
    op = aperture_operator(rig)
    w = np.zeros((5, 52), np.float32)
    w[:, rig.index("jawOpen")] = np.linspace(0, 1, 5)  # no corrective fires with jawOpen alone
    w[:, rig.index("mouthFunnel")] = 0.3
    np.testing.assert_allclose(op(torch.from_numpy(w)).numpy(), lip_aperture(w, rig), rtol=1e-5)
    assert op(torch.from_numpy(w)).diff().min() > 0  # the jaw opens the lips


def test_clip_targets_follow_the_tracked_aperture(clip, video_dir, small):
    with np.load(video_dir / f"{CLIP}.landmarks.npz") as z:
        ap, fps = z["aperture"], float(z["fps"])
    assert clip.n_frames == round(6.106875 * small.config.fps)
    ok = np.isfinite(clip.target)
    assert ok.mean() > 0.95
    t = np.flatnonzero(ok)[10]
    src = t / small.config.fps * fps  # fractional video frame
    lo = int(src)
    assert clip.target[t] == pytest.approx(ap[lo] + (src - lo) * (ap[lo + 1] - ap[lo]), rel=1e-6)


def test_finetuning_raises_the_fit_and_leaves_the_model_alone(small, clip):
    op = aperture_operator()
    before = {k: v.clone() for k, v in small.state_dict().items()}
    x = torch.from_numpy(clip.samples)[None]
    with torch.no_grad():
        pred, _ = small(x, 16000, clip.keys, n_frames=clip.n_frames, fps=clip.fps)
    ok = np.isfinite(clip.target)
    r0 = 1 - float(pearson_loss(op(pred[0])[torch.from_numpy(ok)], torch.tensor(clip.target[ok]).float()))
    tuned, result = finetune_apertures(small, [clip], op, steps=15, lr=1e-3, anchor=0.1)
    assert result.losses[-1] < result.losses[0]
    assert result.train_r[CLIP] > r0 + 0.2, (r0, result.train_r)
    assert all(torch.equal(before[k], v) for k, v in small.state_dict().items())  # a copy was tuned
    assert not tuned.training
    again, result2 = finetune_apertures(small, [clip], op, steps=15, lr=1e-3, anchor=0.1)
    assert result2.losses == result.losses  # seeded: repeatable


def test_the_anchor_keeps_the_output_near_the_original(small, clip):
    op = aperture_operator()
    x = torch.from_numpy(clip.samples)[None]

    def drift(anchor: float) -> float:
        tuned, _ = finetune_apertures(small, [clip], op, steps=10, lr=1e-3, anchor=anchor)
        with torch.no_grad():
            a, _ = small(x, 16000, clip.keys, n_frames=clip.n_frames, fps=clip.fps)
            b, _ = tuned(x, 16000, clip.keys, n_frames=clip.n_frames, fps=clip.fps)
        return float(((a - b) ** 2).mean())

    assert drift(10.0) < 0.5 * drift(0.0)


def test_bad_inputs(small, clip, tmp_path):
    op = aperture_operator()
    with pytest.raises(ValueError, match="at least one clip"):
        finetune_apertures(small, [], op)
    empty = ApertureClip("x", clip.samples, clip.keys, clip.fps, np.full(clip.n_frames, np.nan))
    with pytest.raises(ValueError, match="fewer than 3 frames"):
        finetune_apertures(small, [empty], op, steps=1)
    with pytest.raises(ValueError, match="lr > 0"):
        finetune_apertures(small, [clip], op, lr=0.0)
    with pytest.raises(AnimationError, match="no talking-head clip"):
        video_aperture_clips(small, tmp_path)


def test_cli_writes_a_loadable_checkpoint_and_refuses_to_overwrite(small, video_dir, tmp_path):
    base = save_checkpoint(small, tmp_path / "base")
    out = tmp_path / "tuned"
    others = [n.name[: -len(".landmarks.npz")] for n in video_dir.glob("*.landmarks.npz")]
    exclude = [n for n in others if n != CLIP]
    cmd = [sys.executable, "-m", "kmtalk", "finetune", "--checkpoint", str(base), "--videos", str(video_dir),
           "--out", str(out), "--steps", "2", "--json", "--exclude", *exclude]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["clips"] == [CLIP] and len(summary["losses"]) == 2
    tuned = load_checkpoint(out)
    assert json.loads((out / "config.json").read_text())["metadata"]["finetune"]["clips"] == [CLIP]
    assert any(not torch.equal(a, b) for a, b in zip(tuned.state_dict().values(), small.state_dict().values()))
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "--force" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_the_shipped_model_is_the_video_finetuned_one():
    path = shipped_checkpoint()
    assert path is not None
    meta = json.loads((path / "config.json").read_text())["metadata"]
    assert meta["finetune"]["steps"] == 30 and len(meta["finetune"]["clips"]) == 7
    assert meta["layout"] == "synthetic"  # the base was trained on the synthetic corpus
    load_checkpoint(path)
