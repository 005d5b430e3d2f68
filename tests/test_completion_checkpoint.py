"""completion.checkpoint: safetensors + JSON round trip, and clear errors for broken checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from completion_helpers import toy_utterance

from completion.checkpoint import CONFIG_NAME, WEIGHTS_NAME, load_checkpoint, save_checkpoint
from completion.model import KMTalkConfig, KMTalkModel
from completion.motion_space import VertexPCASpace
from phoneme.errors import CheckpointError


@pytest.fixture()
def saved(tmp_path):
    torch.manual_seed(0)
    model = KMTalkModel(KMTalkConfig.small()).eval()
    return model, save_checkpoint(model, tmp_path / "ck", metadata={"note": "test"})


def test_round_trip_is_bit_exact(saved):
    model, folder = saved
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_NAME, WEIGHTS_NAME]  # no temp files left
    again = load_checkpoint(folder)
    assert not again.training
    a, b = model.state_dict(), again.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    al, keys, _, audio = toy_utterance(2)
    assert np.array_equal(model.predict(audio, 16000, al, keys), again.predict(audio, 16000, al, keys))
    header = json.loads((folder / CONFIG_NAME).read_text())
    assert header["format_version"] == 1 and header["metadata"] == {"note": "test"}
    # the file path works as well as the folder; the weights are not a pickle
    assert load_checkpoint(folder / WEIGHTS_NAME).config == model.config
    assert (folder / WEIGHTS_NAME).read_bytes()[:2] != b"\x80\x04"


def test_vertex_pca_space_travels_with_the_weights(tmp_path):
    rng = np.random.default_rng(0)
    space = VertexPCASpace.fit(rng.normal(size=(60, 15, 3)), dim=6)
    model = KMTalkModel(KMTalkConfig.small(motion=space.config()), space=space)
    again = load_checkpoint(save_checkpoint(model, tmp_path / "pca"))
    assert isinstance(again.space, VertexPCASpace)
    assert np.array_equal(again.space.basis, space.basis) and np.array_equal(again.space.mean, space.mean)


def test_missing_files(saved, tmp_path):
    _, folder = saved
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "nothing")
    (folder / WEIGHTS_NAME).unlink()
    with pytest.raises(CheckpointError, match=WEIGHTS_NAME):
        load_checkpoint(folder)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_weights(saved, damage):
    _, folder = saved
    path = folder / WEIGHTS_NAME
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"not a safetensors file" * 10,
                      "empty": b""}[damage])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(folder)


def _edit_config(folder, edit):
    path = folder / CONFIG_NAME
    header = json.loads(path.read_text())
    edit(header)
    path.write_text(json.dumps(header))


def test_config_that_does_not_match_the_weights(saved):
    _, folder = saved
    _edit_config(folder, lambda h: h["config"].update(d_model=48))
    with pytest.raises(CheckpointError, match="shape mismatch") as err:
        load_checkpoint(folder)
    assert "different models" in str(err.value)


def test_missing_tensor_and_extra_tensor(saved, tmp_path):
    model, folder = saved
    _edit_config(folder, lambda h: h["config"].update(n_layers=3))
    with pytest.raises(CheckpointError, match="missing tensors"):
        load_checkpoint(folder)
    folder2 = save_checkpoint(model, tmp_path / "ck2")
    _edit_config(folder2, lambda h: h["config"].update(n_layers=1))
    with pytest.raises(CheckpointError, match="unexpected tensors"):
        load_checkpoint(folder2)


@pytest.mark.parametrize("edit, msg", [
    (lambda h: h.update(format_version=2), "format_version 2"),
    (lambda h: h.update(format="something-else"), "not a kmtalk completion checkpoint"),
    (lambda h: h["config"].update(brand_new_field=1), "malformed"),
    (lambda h: h.update(motion_space={"kind": "flame", "dim": 52}), "unknown motion space"),
])
def test_wrong_format_or_config(saved, edit, msg):
    _, folder = saved
    _edit_config(folder, edit)
    with pytest.raises(CheckpointError, match=msg):
        load_checkpoint(folder)


def test_config_not_json(saved):
    _, folder = saved
    (folder / CONFIG_NAME).write_text("{ not json")
    with pytest.raises(CheckpointError, match="not readable JSON"):
        load_checkpoint(folder)


def test_failed_save_leaves_no_half_written_file(saved, tmp_path, monkeypatch):
    """A write that fails half-way leaves the previous checkpoint intact (temp file + rename).
    A full disk cannot be produced here, so safetensors' writer is replaced by one that writes a
    few bytes and then raises the OSError a full disk gives."""
    model, folder = saved
    before = (folder / WEIGHTS_NAME).read_bytes()
    import safetensors.torch as st

    def boom(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(st, "save_file", boom)
    with pytest.raises(CheckpointError, match="No space left"):
        save_checkpoint(model, folder)
    assert (folder / WEIGHTS_NAME).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_NAME, WEIGHTS_NAME]
    load_checkpoint(folder)
