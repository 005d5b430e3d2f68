"""completion: motion spaces, key features and the key-motion network, the completion transformer, masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from completion_helpers import toy_alignment

from completion.keynet import CONTEXT, PAD_ID, UNK_ID, KeyFeatures, KeyMotionNet, KeyVocab
from completion.motion_space import ArkitSpace, VertexPCASpace, motion_space_from_config
from completion.transformer import (
    CompletionTransformer,
    interpolate_frames,
    key_track,
    random_channel_mask,
    random_key_mask,
    scatter_known,
)
from kmtalk.face.arkit import ARKIT_NAMES
from phoneme.errors import CheckpointError
from phoneme.keys import KeyMotion, select_keys
from phoneme.types import Alignment, Interval

# ----------------------------------------------------------------------------- motion spaces


def test_arkit_space_is_the_52_names_identity_and_clamps():
    s = ArkitSpace()
    assert s.names == ARKIT_NAMES and s.dim == 52 and s.bounds == (0.0, 1.0)
    w = np.linspace(-0.5, 1.5, 52, dtype=np.float32)[None].repeat(3, 0)
    assert np.array_equal(s.encode(w), w)
    out = s.decode(w)
    assert out.min() == 0.0 and out.max() == 1.0 and np.array_equal(out[:, 20], w[:, 20])
    with pytest.raises(ValueError, match="52"):
        s.encode(np.zeros((3, 51)))


def test_vertex_pca_round_trip_whitening_and_files(tmp_path):
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(300, 4)) * np.array([3.0, 1.0, 0.3, 0.1])
    offsets = (latent @ rng.normal(size=(4, 30))).reshape(300, 10, 3) + 0.01
    space = VertexPCASpace.fit(offsets, dim=4)
    z = space.encode(offsets)
    assert z.shape == (300, 4)
    assert np.allclose(z.std(axis=0, ddof=1), 1.0, atol=1e-3)  # whitened
    assert np.allclose(space.decode(z), offsets, atol=1e-4)
    assert space.decode(z[:2]).shape == (2, 10, 3)
    space.save(tmp_path / "pca.npz")
    again = VertexPCASpace.load(tmp_path / "pca.npz")
    assert np.array_equal(again.encode(offsets), z)
    rebuilt = motion_space_from_config(space.config(), space.arrays())
    assert rebuilt.dim == 4 and np.array_equal(rebuilt.encode(offsets), z)
    # a truncated basis loses the small directions
    assert not np.allclose(VertexPCASpace.fit(offsets, dim=2).decode(VertexPCASpace.fit(offsets, 2).encode(offsets)),
                           offsets, atol=1e-2)


def test_vertex_pca_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\[N, V, 3\]"):
        VertexPCASpace.fit(np.zeros((10, 4)), dim=2)
    with pytest.raises(ValueError, match="dim"):
        VertexPCASpace.fit(np.zeros((3, 4, 3)), dim=5)
    with pytest.raises(CheckpointError):
        VertexPCASpace.load(tmp_path / "missing.npz")
    with pytest.raises(CheckpointError, match="unknown motion space"):
        motion_space_from_config({"kind": "flame", "dim": 100})
    with pytest.raises(CheckpointError, match="lacks"):
        motion_space_from_config({"kind": "vertex_pca", "dim": 4}, {})


# ----------------------------------------------------------------------------- key features


def test_key_features_read_neighbours_durations_and_kinds():
    a = Alignment(
        words=[Interval("sil", 0, .2), Interval("bob", .2, .6), Interval("sil", .6, 1.0)],
        phones=[Interval("sil", 0, .2), Interval("b", .2, .3, word=1), Interval("ɑ", .3, .5, stress=1, word=1),
                Interval("b", .5, .6, word=1), Interval("sil", .6, 1.0)], duration=1.0)
    keys = select_keys(a, fps=30)
    vocab = KeyVocab.from_lexicon()
    f = KeyFeatures.build(a, keys, fps=30, vocab=vocab)
    k = next(i for i, key in enumerate(keys) if key.kind == "vowel_apex")  # the ɑ: phone 2
    assert f.phone_ids[0, k].tolist() == [vocab.phone_id(p) for p in ("sil", "b", "ɑ", "b", "sil")]
    assert f.viseme_ids[0, k, CONTEXT] == vocab.viseme_id("aa")
    assert f.viseme_ids[0, k, CONTEXT - 1] == vocab.viseme_id("PP")
    assert np.allclose(f.durations[0, k].numpy(), [.2, .1, .2, .1, .4])
    assert f.kind_ids[0, k] == vocab.kind_id("vowel_apex")
    assert f.frames[0, k] == keys[k].frame and abs(float(f.times[0, k]) - keys[k].frame / 30) < 1e-6
    assert 0.0 <= float(f.position[0, k]) <= 1.0
    first = 0  # the rest key at frame 0: no left neighbours
    assert f.phone_ids[0, first, :CONTEXT].tolist() == [PAD_ID, PAD_ID]
    assert f.durations[0, first, :CONTEXT].tolist() == [0.0, 0.0]


def test_unknown_phones_get_the_unknown_id():
    vocab = KeyVocab(phones=("sil", "m"), visemes=("sil", "PP"), kinds=("rest",))
    assert vocab.phone_id("m") == 3 and vocab.phone_id("ʘ") == UNK_ID and vocab.phone_id("sp") == 2
    assert vocab.kind_id("vowel_apex") == UNK_ID
    assert KeyVocab.from_dict(vocab.to_dict()) == vocab


def test_collate_pads_keys_and_the_network_ignores_padding():
    vocab = KeyVocab.from_lexicon()
    a1, a2 = toy_alignment(1, 1.0), toy_alignment(2, 2.0)
    f1 = KeyFeatures.build(a1, select_keys(a1, 30), 30, vocab)
    f2 = KeyFeatures.build(a2, select_keys(a2, 30), 30, vocab)
    assert f1.n_keys < f2.n_keys
    batch = KeyFeatures.collate([f1, f2])
    assert batch.mask.sum(dim=1).tolist() == [f1.n_keys, f2.n_keys]
    torch.manual_seed(0)
    net = KeyMotionNet(vocab, audio_dim=8, motion_dim=52, style_dim=4, dropout=0.0).eval()
    audio = torch.randn(2, 201, 8)
    style = torch.randn(2, 4)
    with torch.no_grad():
        both = net(batch, audio, style, torch.tensor([101, 201]))
        one = net(f1, audio[:1, :101], style[:1])
    assert both.shape == (2, f2.n_keys, 52)
    assert torch.allclose(both[0, :f1.n_keys], one[0], atol=1e-5)
    # the audio window matters: other audio at the key changes the prediction
    with torch.no_grad():
        other = net(f1, audio[1:, :101], style[:1])
    assert not torch.allclose(other, one)


# ----------------------------------------------------------------------------- transformer


def _net(zero_head: bool = False, **kw):
    """A small transformer; its residual head is randomised (as after training) unless ``zero_head``,
    so that tests of attention, padding and timing see more than the key track."""
    torch.manual_seed(0)
    base = dict(motion_dim=6, audio_dim=8, style_dim=4, d_model=16, n_layers=2, n_heads=2, dropout=0.0)
    base.update(kw)
    net = CompletionTransformer(**base).eval()
    if not zero_head:
        torch.nn.init.normal_(net.head.weight, std=0.2)
        torch.nn.init.normal_(net.head.bias, std=0.2)
    return net


def test_transformer_shapes_any_length_and_fps():
    net = _net()
    for t, fps in ((1, 30.0), (45, 30.0), (300, 60.0)):
        n_audio = int(t / fps * 100) + 1
        out = net(torch.randn(2, n_audio, 8), torch.zeros(2, t, 6), torch.zeros(2, t, 6, dtype=torch.bool),
                  fps=fps, style=torch.zeros(2, 4))
        assert out.shape == (2, t, 6) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="match"):
        net(torch.randn(1, 10, 8), torch.zeros(1, 3, 6), torch.zeros(1, 3, 5, dtype=torch.bool), fps=30)


def test_known_values_and_their_mask_change_the_prediction():
    net = _net()
    audio = torch.randn(1, 101, 8)
    vals = torch.rand(1, 30, 6)
    none = torch.zeros(1, 30, 6, dtype=torch.bool)
    some = none.clone()
    some[0, 10, 2] = True
    with torch.no_grad():
        a = net(audio, vals, none, fps=30)
        b = net(audio, vals, some, fps=30)
        c = net(audio, torch.zeros_like(vals), none, fps=30)
    assert torch.equal(a, c)  # unknown values are ignored
    assert not torch.allclose(a, b)


def test_padding_does_not_change_real_frames():
    net = _net()
    audio = torch.randn(1, 101, 8)
    vals = torch.rand(1, 30, 6)
    mask = torch.rand(1, 30, 6) < 0.2
    with torch.no_grad():
        alone = net(audio, vals, mask, fps=30)
        pa = torch.cat([audio, torch.randn(1, 60, 8)], 1)
        pv = torch.cat([vals, torch.rand(1, 20, 6)], 1)
        pm = torch.cat([mask, torch.ones(1, 20, 6, dtype=torch.bool)], 1)
        fm = torch.arange(50)[None] < 30
        am = torch.arange(161)[None] < 101
        padded = net(pa, pv, pm, fps=30, frame_mask=fm, audio_mask=am)
    assert torch.allclose(padded[:, :30], alone, atol=1e-5)


def test_relative_time_only_shifting_audio_and_start_time_together_changes_nothing():
    net = _net(kernel=3)
    audio = torch.randn(1, 200, 8)
    vals = torch.zeros(1, 30, 6)
    mask = torch.zeros(1, 30, 6, dtype=torch.bool)
    with torch.no_grad():
        late = net(audio, vals, mask, fps=30, start_time=0.5)           # frames from 0.5 s on
        cut = net(audio[:, 50:], vals, mask, fps=30, start_time=0.0)    # the same audio, cut at 0.5 s
        per_item = net(audio, vals, mask, fps=30, start_time=torch.tensor([0.5]))
    assert torch.equal(late, per_item)
    # identical up to the audio before 0.5 s, which the early-frame cross-attention can still see a bit
    assert torch.allclose(late[:, 10:], cut[:, 10:], atol=0.05)


def test_key_track_per_channel_hold_and_empty_channels():
    """Channel 0: keys at 2 and 6 (interpolated between, held outside); 1: none; 2: one key (held)."""
    vals = torch.zeros(1, 8, 3)
    mask = torch.zeros(1, 8, 3, dtype=torch.bool)
    vals[0, 2, 0], vals[0, 6, 0], vals[0, 4, 2] = 0.2, 1.0, 0.7
    vals[0, :, 1] = 5.0  # unknown values never leak in
    mask[0, [2, 6], 0] = True
    mask[0, 4, 2] = True
    track, near = key_track(vals, mask, fps=30.0)
    assert torch.allclose(track[0, :, 0], torch.tensor([.2, .2, .2, .4, .6, .8, 1., 1.]))
    assert torch.equal(track[0, :, 1], torch.zeros(8)) and torch.equal(near[0, :, 1], torch.zeros(8))
    assert torch.allclose(track[0, :, 2], torch.full((8,), 0.7))
    assert near[0, 2, 0] == 1 and near[0, 4, 2] == 1
    assert near[0, 4, 0] < near[0, 3, 0] < 1  # two frames from a key is farther than one


def test_an_untrained_transformer_is_its_key_track():
    """The residual head starts at zero: before training the output is the key track, so every known
    channel is met exactly and every frame in between is interpolated — keys matter from the start."""
    net = _net(zero_head=True)
    vals = torch.rand(1, 30, 6)
    mask = torch.rand(1, 30, 6) < 0.2
    with torch.no_grad():
        out = net(torch.randn(1, 101, 8), vals, mask, fps=30)
    track, _ = key_track(vals, mask, fps=30)
    assert torch.allclose(out, track)
    assert torch.allclose(out[mask], vals[mask])


def test_interpolate_frames_per_batch_times():
    f = torch.arange(10.0)[None, :, None].repeat(2, 1, 1)
    out = interpolate_frames(f, torch.tensor([[0.015, 0.02], [0.0, 0.095]]), rate=100)
    assert out[..., 0].tolist() == [[1.5, 2.0], [0.0, 9.0]]


# ----------------------------------------------------------------------------- masks


def test_scatter_known_and_random_masks():
    values = torch.arange(12.0).reshape(1, 4, 3)
    frames = torch.tensor([[2, 5, 5, 99]])
    mask = torch.tensor([[True, True, True, True]])
    kv, km = scatter_known(values, frames, mask, 8)
    assert km[0, :, 0].tolist() == [False, False, True, False, False, True, False, False]
    assert kv[0, 5].tolist() == [6.0, 7.0, 8.0]  # the later key wins
    g = torch.Generator().manual_seed(0)
    real = torch.ones(4, 500, dtype=torch.bool)
    real[:, 400:] = False
    sub = random_key_mask(real, min_keep=0.2, max_keep=0.8, generator=g)
    assert not sub[:, 400:].any()
    ratios = sub[:, :400].float().mean(dim=1)
    assert (ratios > 0.1).all() and (ratios < 0.9).all() and ratios.std() > 0.01
    assert random_key_mask(real, min_keep=1.0, max_keep=1.0).equal(real)
    with pytest.raises(ValueError):
        random_key_mask(real, min_keep=0.9, max_keep=0.1)
    frames_known = torch.rand(2, 300, generator=g) < 0.3
    cm = random_channel_mask(frames_known, 52, partial_prob=0.5, generator=g)
    per_frame = cm.sum(dim=2)
    assert (per_frame[~frames_known] == 0).all()
    assert (per_frame[frames_known] >= 1).all()
    assert (per_frame[frames_known] == 52).any() and (per_frame[frames_known] < 52).any()


def test_key_motion_dataclass_roundtrip_used_by_features():
    k = KeyMotion(3, 0.1, "m", "PP", "bilabial_closure", 1.0, 0)
    assert KeyMotion.from_dict(k.to_dict()) == k


# ----------------------------------------------------------------------------- locks


def test_array_lock_application_equals_kmtalk_apply_locks():
    """completion.locks is the array core of kmtalk.face.locks.apply_locks: same result, bit for bit."""
    from completion.locks import apply_lock_arrays
    from kmtalk.face.locks import apply_locks, resolve_locks
    from kmtalk.animator.prior.animator import animate_prior

    a = toy_alignment(4, 3.0)
    w, _ = animate_prior(a, fps=30)
    n = w.shape[0]
    locks = resolve_locks({5: {"jawOpen": 0.9}, 12: "PP", 40: np.full(52, 0.3), n - 1: {"mouthClose": 0.2}},
                          n_frames=n, fps=30)
    ours = apply_lock_arrays(w, locks.frames, locks.mask, locks.values, fps=30, bounds=(0.0, 1.0))
    assert np.array_equal(ours, apply_locks(w, locks, fps=30))
    with pytest.raises(ValueError, match="sorted"):
        apply_lock_arrays(w, np.array([5, 3]), locks.mask[:2], locks.values[:2])
    free = apply_lock_arrays(w * 3 - 1, np.zeros(0, int), np.zeros((0, 52), bool), np.zeros((0, 52)), bounds=None)
    assert free.min() < 0  # no clamp without bounds
