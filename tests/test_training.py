"""Training end to end on tiny generated data: ``kmtalk train`` writes safetensors checkpoints that load,
``kmtalk eval`` measures them (ARKit error and closure on a synthetic corpus, LVE/FDD on a BIWI-layout
fixture), runs are bit-reproducible on CPU, and config files parse (JSON, TOML, YAML).

Overfitting (the loss falling 10x on one batch) is tested with the model in test_completion_model.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile

from completion.checkpoint import load_checkpoint
from completion.data import SyntheticCorpus
from completion.motion_space import VertexPCASpace
from completion.training import TrainConfig, train
from completion.training.run import read_metrics
from kmtalk.cli import main
from kmtalk.errors import KmtalkError
from kmtalk.train.corpus import generate_corpus
from phoneme.espeak import synthesize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    generate_corpus(root, 6, seed=1, split_every=3)   # 2 train, 2 val, 2 test lines
    return root


def _json_out(capsys):
    return json.loads(capsys.readouterr().out)


def test_cli_train_then_eval(corpus, tmp_path, capsys):
    run = tmp_path / "run"
    rc = main(["train", "--config", "tiny", "--data", str(corpus), "--out", str(run), "--max-steps", "3",
               "--device", "cpu", "--json"])
    assert rc == 0
    summary = _json_out(capsys)
    assert summary["steps"] == 3 and summary["train_utterances"] == 2 and summary["val_utterances"] == 2
    for rel in ("checkpoint/config.json", "checkpoint/model.safetensors", "last/model.safetensors",
                "metrics.csv", "summary.json", "train_config.json", "training_curve.png"):
        assert (run / rel).is_file(), rel
    raw = (run / "checkpoint" / "model.safetensors").read_bytes()
    assert raw[8:9] == b"{"                     # a safetensors header, not a pickle
    steps = [r["train/loss_step"] for r in read_metrics(run / "metrics.csv") if "train/loss_step" in r]
    assert len(steps) == 3 and all(math.isfinite(s) for s in steps)
    val = [r for r in read_metrics(run / "metrics.csv") if "val/frame" in r]
    assert len(val) == 3 and all(r["val/frame_nokeys"] > 0 and r["val/loss"] > 0 for r in val)
    model = load_checkpoint(run / "checkpoint")
    assert model.space.kind == "arkit" and model.config.fps == 30.0 and model.config.d_model == 16
    u = SyntheticCorpus(corpus, "test")[0]
    w = model.predict(u.samples, u.sample_rate, u.alignment, u.keys, style=u.style)
    assert w.shape == (u.n_frames, 52) and w.min() >= 0.0 and w.max() <= 1.0

    assert main(["eval", "--checkpoint", str(run), "--data", str(corpus), "--json"]) == 0
    res = _json_out(capsys)
    assert res["split"] == "test" and res["utterances"] == 2 and res["layout"] == "synthetic"
    assert 0 < res["learned"]["arkit_mae"] < 1 and 0 <= res["learned"]["closure_rate"] <= 1
    # the corpus's targets are the prior with jittered settings: the prior is close but not equal
    assert 0 < res["prior"]["arkit_mae"] < res["learned"]["arkit_mae"]
    assert res["target_closure_rate"] == 1.0


def test_training_is_reproducible_on_cpu(corpus, tmp_path):
    cfg = TrainConfig.load("tiny")
    a = train(cfg, corpus, tmp_path / "a", max_steps=2, device="cpu")
    b = train(cfg, corpus, tmp_path / "b", max_steps=2, device="cpu")
    assert a.steps == b.steps == 2

    def weights(run):
        # Compare tensors, not file bytes: safetensors writes its metadata map in hash order.
        from safetensors.numpy import load_file

        return load_file(str(run.last / "model.safetensors"))

    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    cfg.seed = 1
    c = train(cfg, corpus, tmp_path / "c", max_steps=2, device="cpu")
    wc = weights(c)
    assert any(not np.array_equal(wa[k], wc[k]) for k in wa)


def test_vertex_dataset_trains_in_pca_space_and_evaluates_lve_fdd(tmp_path, capsys):
    root = tmp_path / "BIWI"
    (root / "wav").mkdir(parents=True)
    (root / "vertices_npy").mkdir()
    (root / "regions").mkdir()
    rng = np.random.default_rng(0)
    tpls = {s: rng.normal(size=(6, 3)).astype(np.float32) for s in ("F2", "F1")}
    for name in ("F2_e01", "F2_e02", "F2_e33", "F1_e37"):
        syn = synthesize("Maybe a blue boat.", sample_rate=16000).padded(0.1, 0.1)
        soundfile.write(str(root / "wav" / f"{name}.wav"), syn.samples, 16000)
        t = round(syn.duration * 25)
        v = tpls[name[:2]][None] + 0.01 * rng.normal(size=(t, 6, 3))
        np.save(root / "vertices_npy" / f"{name}.npy", v.reshape(t, -1).astype(np.float32))
    np.savez(root / "templates.npz", **tpls)
    (root / "regions" / "lve.txt").write_text("0, 1", "utf-8")
    (root / "regions" / "fdd.txt").write_text("4, 5", "utf-8")
    run = tmp_path / "run"
    assert main(["train", "--config", "tiny", "--data", str(root), "--out", str(run), "--max-steps", "2",
                 "--device", "cpu"]) == 0
    capsys.readouterr()
    model = load_checkpoint(run / "checkpoint")
    assert isinstance(model.space, VertexPCASpace) and model.space.n_vertices == 6 and model.config.fps == 25.0
    assert main(["eval", "--checkpoint", str(run), "--data", str(root), "--json"]) == 0
    res = _json_out(capsys)
    assert res["utterances"] == 1 and res["motion_space"] == "vertex_pca"
    for key in ("lve", "fdd", "mean_vertex_error"):
        assert math.isfinite(res["learned"][key]), key
    assert res["learned"]["lve"] > 0


def test_config_files(tmp_path):
    data = {"seed": 4, "data": {"batch_size": 3}, "optim": {"lr": 0.01}}
    (tmp_path / "c.json").write_text(json.dumps(data), "utf-8")
    (tmp_path / "c.toml").write_text("seed = 4\n[data]\nbatch_size = 3\n[optim]\nlr = 0.01\n", "utf-8")
    (tmp_path / "c.yaml").write_text("seed: 4\ndata: {batch_size: 3}\noptim: {lr: 0.01}\n", "utf-8")
    loaded = [TrainConfig.load(tmp_path / f"c.{ext}") for ext in ("json", "toml", "yaml")]
    assert all(c.to_dict() == loaded[0].to_dict() for c in loaded)
    assert loaded[0].seed == 4 and loaded[0].data.batch_size == 3 and loaded[0].optim.lr == 0.01
    assert TrainConfig.load("default").model == {} and TrainConfig.load("tiny").model["d_model"] == 16
    (tmp_path / "bad.json").write_text('{"optim": {"learning_rate": 1}}', "utf-8")
    with pytest.raises(KmtalkError, match="learning_rate"):
        TrainConfig.load(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text('{"seed": ', "utf-8")
    with pytest.raises(KmtalkError, match="cannot parse"):
        TrainConfig.load(tmp_path / "broken.json")
    with pytest.raises(KmtalkError, match="bundled configs: .*tiny"):
        TrainConfig.load("no-such-config")


def test_cli_reports_user_mistakes(tmp_path, capsys):
    assert main(["train", "--config", "tiny", "--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "not a dataset folder" in capsys.readouterr().err
    assert main(["eval", "--checkpoint", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "checkpoint" in capsys.readouterr().err
