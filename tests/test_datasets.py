"""Dataset loaders on fixtures generated here in the exact layouts: synthetic corpus, FaceFormer
VOCASET/BIWI (vertices_npy/, wav/, templates.pkl, splits) and Live Link Face CSV + WAV.

Mesh fixtures are tiny (5-vertex templates, a handful of frames); their audio is real espeak-ng
speech so that a transcript is really force-aligned by pocketsphinx.
"""

from __future__ import annotations

import collections
import pickle

import numpy as np
import pytest
import soundfile
import torch

from completion.data import (
    BIWI_SUBJECTS,
    VOCASET_SUBJECTS,
    FaceFormerDataset,
    LiveLinkDataset,
    SyntheticCorpus,
    detect_layout,
    load_regions,
    load_templates,
    open_dataset,
    resample_frames,
)
from completion.keynet import KeyVocab
from completion.motion_space import VertexPCASpace
from completion.training.config import DataConfig
from completion.training.datamodule import EncodedItems, KMTalkDataModule
from kmtalk.errors import KmtalkError
from kmtalk.face.animation import Animation
from kmtalk.io.exporters.livelink import read_livelink_csv, write_livelink_csv
from kmtalk.train.corpus import generate_corpus
from phoneme.espeak import synthesize

V = 5


def _speech(path, text="Bob fed five blue balloons.", sr=22050):
    syn = synthesize(text, sample_rate=sr).padded(0.2, 0.2)
    soundfile.write(str(path), syn.samples, sr, subtype="PCM_16")
    return syn.duration


def _faceformer(root, names, fps, *, templates="pkl", seed=0):
    """Write a FaceFormer-layout folder; returns {name: vertices [T, V, 3]} as stored."""
    rng = np.random.default_rng(seed)
    (root / "wav").mkdir(parents=True)
    (root / "vertices_npy").mkdir()
    subjects = sorted({"_".join(n.split("_")[:-1]) for n in names})
    tpls = {s: rng.normal(size=(V, 3)).astype(np.float32) for s in subjects}
    stored = {}
    for n in names:
        dur = _speech(root / "wav" / f"{n}.wav")
        t = round(dur * fps)
        subj = "_".join(n.split("_")[:-1])
        verts = tpls[subj][None] + 0.01 * rng.normal(size=(t, V, 3)).astype(np.float32)
        np.save(root / "vertices_npy" / f"{n}.npy", verts.reshape(t, V * 3))
        stored[n] = verts
    if templates == "pkl":
        with open(root / "templates.pkl", "wb") as fh:
            pickle.dump(tpls, fh)  # the original data's format (a pickle of numpy arrays)
    else:
        np.savez(root / "templates.npz", **tpls)
    return tpls, stored


@pytest.fixture(scope="module")
def vocaset(tmp_path_factory):
    root = tmp_path_factory.mktemp("vocaset")
    tr, va, te = VOCASET_SUBJECTS["train"][0], VOCASET_SUBJECTS["val"][0], VOCASET_SUBJECTS["test"][1]
    names = [f"{tr}_sentence01", f"{tr}_sentence02", f"{tr}_sentence41", f"{va}_sentence25",
             f"{va}_sentence05", f"{te}_sentence30"]
    tpls, stored = _faceformer(root, names, 60.0)
    return root, names, tpls, stored


def test_vocaset_splits_follow_faceformer(vocaset):
    root, names, _, _ = vocaset
    assert detect_layout(root) == "faceformer"
    tr = FaceFormerDataset(root, split="train")
    assert tr.dataset == "vocaset" and tr.fps == 30.0 and tr.source_fps == 60.0
    assert tr.names == [names[0], names[1]]          # sentence 41 is outside 1..40
    assert FaceFormerDataset(root, split="val").names == [names[3]]   # val sentences are 21..40
    assert FaceFormerDataset(root, split="test").names == [names[5]]
    assert len(FaceFormerDataset(root, split="all")) == 6


def test_vocaset_items_are_offsets_at_30_fps(vocaset):
    root, names, tpls, stored = vocaset
    ds = FaceFormerDataset(root, split="train")
    u = ds[0]
    verts = stored[names[0]]
    assert u.sample_rate == 16000 and u.samples.dtype == np.float32
    assert u.template is not None and np.array_equal(u.template, tpls[u.subject])
    np.testing.assert_array_equal(u.values, verts[::2] - tpls[u.subject][None])   # FaceFormer's [::2]
    assert u.alignment is None and u.keys == []                                  # no transcript
    assert u.n_frames == pytest.approx(u.duration * 30, abs=1)


def test_biwi_splits_templates_npz_transcripts_and_regions(tmp_path):
    root = tmp_path / "BIWI"
    names = ["F2_e01", "F2_e35", "F1_e38", "M3_e38"]
    tpls, stored = _faceformer(root, names, 25.0, templates="npz", seed=1)
    (root / "text").mkdir()
    (root / "text" / "F2_e01.txt").write_text("Bob fed five blue balloons.", "utf-8")
    (root / "regions").mkdir()
    (root / "regions" / "lve.txt").write_text("0, 1, 2", "utf-8")
    (root / "regions" / "fdd.txt").write_text("3, 4", "utf-8")
    assert FaceFormerDataset(root, split="train").names == ["F2_e01"]
    assert FaceFormerDataset(root, split="val").names == ["F2_e35"]
    assert FaceFormerDataset(root, split="test").names == ["F1_e38"]              # CodeTalker's test speakers
    assert FaceFormerDataset(root, split="test", subjects=BIWI_SUBJECTS["train"]).names == ["M3_e38"]
    assert load_regions(root)["lips"].tolist() == [0, 1, 2]
    cache = tmp_path / "cache"
    u = FaceFormerDataset(root, split="train", cache_dir=cache)[0]
    assert u.fps == 25.0
    np.testing.assert_allclose(u.values, stored["F2_e01"] - tpls["F2"][None], atol=1e-6)
    assert u.alignment is not None and [w.label for w in u.alignment.spoken_words()][:2] == ["bob", "fed"]
    assert any(k.kind == "bilabial_closure" for k in u.keys)
    assert (cache / "F2_e01.json").is_file()                                      # alignment cached
    assert load_templates(root).keys() == {"F1", "F2", "M3"}


def test_templates_pickle_is_restricted_to_arrays(tmp_path):
    with open(tmp_path / "templates.pkl", "wb") as fh:
        pickle.dump({"F1": collections.Counter("ab")}, fh)
    with pytest.raises(KmtalkError, match="refusing"):
        load_templates(tmp_path)
    with open(tmp_path / "templates.pkl", "wb") as fh:
        pickle.dump({"F1": np.zeros((4, 2))}, fh)
    with pytest.raises(KmtalkError, match=r"expected \[V, 3\]"):
        load_templates(tmp_path)


def test_livelink_takes_read_through_kmtalks_reader(tmp_path):
    rng = np.random.default_rng(2)
    dur = _speech(tmp_path / "take1.wav", sr=48000)
    n60 = int(dur * 60)
    weights = rng.uniform(0, 1, size=(n60, 52)).astype(np.float32)
    write_livelink_csv(Animation(fps=60.0, weights=weights), tmp_path / "take1.csv")
    _speech(tmp_path / "take2.wav", "Hello there.")
    write_livelink_csv(Animation(fps=60.0, weights=weights[:40]), tmp_path / "take2.csv")
    (tmp_path / "splits.json").write_text('{"train": ["take1"], "val": ["take2"]}', "utf-8")
    assert detect_layout(tmp_path) == "livelink"
    with pytest.raises(ValueError, match="reader"):
        LiveLinkDataset(tmp_path)
    ds = open_dataset(tmp_path, "train", reader=read_livelink_csv)
    assert isinstance(ds, LiveLinkDataset) and ds.names == ["take1"]
    u = ds[0]
    assert u.fps == 30.0 and u.values.shape[1] == 52
    np.testing.assert_allclose(u.values, weights[::2][: u.n_frames], atol=1e-4)  # CSV holds ~6 decimals
    assert open_dataset(tmp_path, "val", reader=read_livelink_csv).names == ["take2"]


def test_synthetic_corpus_loader_and_resampling(tmp_path):
    generate_corpus(tmp_path, 3, seed=2, split_every=3)
    assert detect_layout(tmp_path) == "synthetic"
    assert SyntheticCorpus(tmp_path, "train").names == ["000000"]
    assert SyntheticCorpus(tmp_path, "test").names == ["000001"]
    assert SyntheticCorpus(tmp_path, "val").names == ["000002"]
    u = SyntheticCorpus(tmp_path, "all")[0]
    np.testing.assert_array_equal(u.values, np.load(tmp_path / "curves" / "000000.npy"))
    assert u.style is not None and set(u.style) == {"jaw", "lip"} and u.alignment.aligner == "espeak-ng"
    u25 = SyntheticCorpus(tmp_path, "all", fps=25.0)[0]
    assert u25.n_frames == round(u.duration * 25) and all(k.frame < u25.n_frames for k in u25.keys)
    assert len(u25.keys) > 0


def test_resample_frames():
    x = np.arange(7.0)[:, None]
    np.testing.assert_array_equal(resample_frames(x, 60, 30)[:, 0], [0, 2, 4, 6])
    np.testing.assert_allclose(resample_frames(x, 30, 60)[:5, 0], [0, 0.5, 1, 1.5, 2])
    assert resample_frames(x, 30, 30, n_out=9)[-1, 0] == 6.0   # past the end: last frame repeats
    with pytest.raises(ValueError):
        resample_frames(x[:0], 30, 30)


def test_datamodule_fits_vertex_pca_and_pads_batches(vocaset):
    root = vocaset[0]
    dm = KMTalkDataModule(root, DataConfig(batch_size=2, pca_dim=3 * V, max_seconds=None))
    dm.setup()
    assert isinstance(dm.space, VertexPCASpace) and dm.space.dim == 3 * V and dm.fps == 30.0
    batch = next(iter(dm.train_dataloader()))
    b, t, d = batch["targets"].shape
    assert (b, d) == (2, 3 * V) and batch["samples"].shape[0] == 2 and batch["style"].shape == (2, 2)
    lengths = {u.name: u.n_frames for u in dm.raw["train"]}
    assert batch["frame_mask"].sum(1).tolist() == [lengths[n] for n in batch["names"]]
    assert t == max(lengths.values())
    assert not batch["targets"][~batch["frame_mask"]].any()          # padding is zero
    assert torch.equal(batch["style"], torch.ones(2, 2))              # neutral style for mesh data
    # coordinates are the PCA of the offsets: decoding gives them back (all 3V components kept)
    u = dm.raw["train"][0]
    z = dm.train_set[0]["coords"].numpy()
    assert z.shape == (u.n_frames, 3 * V)
    np.testing.assert_allclose(dm.space.decode(z), u.values, atol=1e-5)


def test_crop_keeps_keys_consistent(tmp_path):
    generate_corpus(tmp_path, 1, seed=4, split_every=0)
    u = SyntheticCorpus(tmp_path)[0]
    torch.manual_seed(0)
    items = EncodedItems([u], dm_space(), KeyVocab.from_lexicon(), style_names=("jaw", "lip"),
                         style_defaults=(1.0, 1.0), max_seconds=1.0, random_crop=True)
    full = u.values
    starts = set()
    for _ in range(4):
        it = items[0]
        z = it["coords"].numpy()
        assert z.shape[0] == 30 and abs(it["samples"].shape[0] - 16000) <= 1
        start = next(s for s in range(full.shape[0] - 29) if np.array_equal(full[s:s + 30], z))
        starts.add(start)
        a = round(start / 30 * 16000)
        np.testing.assert_array_equal(it["samples"].numpy(), u.samples[a:a + 16000])
        k = it["keys"]
        expected = [kk.frame - start for kk in u.keys if start <= kk.frame < start + 30]
        assert k.frames[0].tolist() == expected and torch.allclose(k.times, k.frames / 30.0)
    assert len(starts) > 1   # random windows


def dm_space():
    from completion.motion_space import ArkitSpace

    return ArkitSpace()


def test_training_audio_augmentation(tmp_path):
    generate_corpus(tmp_path, 1, seed=4, split_every=0)
    u = SyntheticCorpus(tmp_path)[0]
    base = {"style_names": ("jaw", "lip"), "style_defaults": (1.0, 1.0)}
    vocab = KeyVocab.from_lexicon()
    silent = EncodedItems([u], dm_space(), vocab, augment={"audio_dropout": 1.0}, **base)[0]
    assert not silent["samples"].any() and silent["coords"].shape[0] == u.n_frames
    torch.manual_seed(0)
    louder = EncodedItems([u], dm_space(), vocab, augment={"gain_db": 6.0}, **base)[0]["samples"].numpy()
    ratio = np.abs(louder).max() / np.abs(u.samples).max()
    assert 0.5 <= ratio <= 2.0 and not np.allclose(ratio, 1.0)
    noisy = EncodedItems([u], dm_space(), vocab, augment={"noise_snr_db": [10, 10]}, **base)[0]["samples"].numpy()
    noise = noisy - u.samples
    snr = 10 * np.log10(np.mean(u.samples ** 2) / np.mean(noise ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)
    with pytest.raises(KmtalkError, match="augment"):
        DataConfig(augment={"reverb": 1})
