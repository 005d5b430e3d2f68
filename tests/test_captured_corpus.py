"""Training on real motion: two short real clips captured into a corpus, trained on end to end
(from scratch and fine-tuned with ``--init``), and the corpus's clocks, channels and bad inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from completion.checkpoint import load_checkpoint
from completion.data import SyntheticCorpus
from kmtalk import ARKIT_NAMES
from kmtalk.capture.corpus import folder_transcripts
from kmtalk.cli import main
from kmtalk.errors import KmtalkError
from kmtalk.train.corpus.captured import build_captured_corpus, supervised_channels, to_audio_clock

CLIPS = ("pcavs_00010", "pcavs_620900105")   # 4.2 s and 4.3 s, two speakers


@pytest.fixture(scope="module")
def captured(video_train_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("captured")
    texts = folder_transcripts(video_train_dir)
    clips = [{"video": video_train_dir / f"{n}.mp4", "audio": video_train_dir / f"{n}.wav", "text": texts[n],
              "offset": 0.1 * k, "speaker": f"speaker{k}", "split": ("train", "val")[k]}
             for k, n in enumerate(CLIPS)]
    rows = build_captured_corpus(clips, root, cache_dir=tmp_path_factory.mktemp("track-cache"))
    return root, rows, clips


def test_corpus_layout_targets_and_clock(captured):
    root, rows, clips = captured
    assert [r["id"] for r in rows] == list(CLIPS)
    assert [r["group"] for r in rows] == ["speaker0", "speaker1"] and rows[1]["av_offset"] == 0.1
    meta = json.loads((root / "corpus.json").read_text())
    assert meta["supervised_channels"] == list(supervised_channels())
    sup = [ARKIT_NAMES.index(c) for c in supervised_channels()]
    other = [i for i in range(52) if i not in sup]
    tongue = ARKIT_NAMES.index("tongueOut")
    assert tongue in other
    for r in rows:
        curves, cap = np.load(root / r["curves"]), np.load(root / r["captured"])
        assert curves.shape == cap.shape == (r["n_frames"], 52) and curves.dtype == np.float32
        assert r["n_frames"] == round(r["duration"] * 30)
        # the mouth is the captured one (it moves), the rest is the prior's (not the tracker's)
        np.testing.assert_array_equal(curves[:, sup], np.clip(cap[:, sup], 0, 1))
        assert cap[:, ARKIT_NAMES.index("jawOpen")].std() > 0.02
        assert not np.allclose(curves[:, other], cap[:, other])
        assert r["n_keys"] > 5 and (root / r["alignment"]).is_file()
    # SyntheticCorpus (what `kmtalk train` opens) reads it, with the manifest's splits
    train, val = SyntheticCorpus(root, "train"), SyntheticCorpus(root, "val")
    assert train.names == [CLIPS[0]] and val.names == [CLIPS[1]]
    u = train[0]
    assert u.values.shape == (rows[0]["n_frames"], 52) and u.keys and u.alignment is not None


def test_offset_moves_the_capture_onto_the_audio_clock():
    x = np.arange(10.0)[:, None]
    late = to_audio_clock(x, 10.0, 0.2, 10)[:, 0]   # audio lags the video by 2 frames
    assert late.tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    early = to_audio_clock(x, 10.0, -0.1, 10)[:, 0]
    assert early.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]


def test_training_on_captured_clips_end_to_end(captured, tmp_path, capsys):
    root, rows, _ = captured
    scratch = tmp_path / "scratch"
    assert main(["train", "--config", "tiny", "--data", str(root), "--out", str(scratch),
                 "--max-steps", "3", "--device", "cpu", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["layout"] == "synthetic" and s["train_utterances"] == 1 and s["val_utterances"] == 1
    assert s["init"] is None
    # fine-tuning from it: the weights start where the first run ended
    tuned = tmp_path / "tuned"
    assert main(["train", "--config", "tiny", "--data", str(root), "--out", str(tuned), "--max-steps", "2",
                 "--device", "cpu", "--init", str(scratch / "last"), "--json"]) == 0
    s2 = json.loads(capsys.readouterr().out)
    assert s2["init"] == str(scratch / "last") and s2["steps"] == 2
    a, b = load_checkpoint(scratch / "last"), load_checkpoint(tuned / "last")
    diffs = [float((pa - pb).abs().max()) for pa, pb in zip(a.state_dict().values(), b.state_dict().values())]
    assert 0 < max(diffs) < 0.1        # moved by two small steps, not re-initialised
    u = SyntheticCorpus(root, "val")[0]
    w = b.predict(u.samples, u.sample_rate, u.alignment, u.keys)
    assert w.shape == (u.n_frames, 52) and np.isfinite(w).all()


def test_init_of_another_size_is_refused(captured, tmp_path, capsys):
    root, _, _ = captured
    shipped = Path(__file__).resolve().parents[1] / "assets" / "models" / "kmtalk-arkit"   # default sizes
    rc = main(["train", "--config", "tiny", "--data", str(root), "--out", str(tmp_path / "r"), "--max-steps", "1",
               "--device", "cpu", "--init", str(shipped)])
    assert rc == 2
    assert "other sizes" in capsys.readouterr().err


def test_bad_clip_lists(tmp_path, video_train_dir):
    with pytest.raises(KmtalkError, match="video and a transcript"):
        build_captured_corpus([{"video": video_train_dir / f"{CLIPS[0]}.mp4", "text": " "}], tmp_path / "a")
    assert not (tmp_path / "a" / "manifest.jsonl").exists()
    with pytest.raises(KmtalkError, match="no clip could be captured"):
        build_captured_corpus([{"video": tmp_path / "missing.mp4", "text": "hello"}], tmp_path / "b")
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
