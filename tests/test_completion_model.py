"""completion.model and completion.inference: training objective (overfit), inference with locks, windows, batches, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from completion_helpers import LIBRIVOX, toy_utterance

import completion.inference as inference_module
from completion.errors import LockError
from completion.keynet import KeyFeatures
from completion.model import KMTalkConfig, KMTalkModel, PredictRequest, window_spans
from completion.motion_space import VertexPCASpace
from kmtalk.animator.closures import meet_locks
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.face.locks import resolve_locks
from phoneme import align, load_audio, select_keys
from phoneme.errors import AudioError

JAW, CLOSE = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]


def _model(seed: int = 0, **kw) -> KMTalkModel:
    torch.manual_seed(seed)
    return KMTalkModel(KMTalkConfig.small(**kw)).eval()


@pytest.fixture(scope="module")
def speech():
    """A real LibriVox utterance aligned by the real pocketsphinx aligner."""
    wav = sorted(LIBRIVOX.glob("*.flac"))[0]
    samples, sr = load_audio(wav)
    alignment = align(wav, wav.with_suffix(".txt").read_text())
    return samples, sr, alignment, select_keys(alignment, 30)


# ----------------------------------------------------------------------------- training objective


def test_overfits_a_tiny_batch():
    """The loss falls by 10x in 200 Adam steps on two toy utterances (a few seconds on CPU)."""
    model = _model(0)
    model.train()
    items = [toy_utterance(s) for s in range(2)]
    keys = KeyFeatures.collate([KeyFeatures.build(a, k, 30, model.vocab) for a, k, _, _ in items])
    targets = torch.from_numpy(np.stack([it[2] for it in items]))
    audio = torch.from_numpy(np.stack([it[3] for it in items]))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    history = []
    for _ in range(200):
        out = model.losses(audio, 16000, keys, targets, fps=30, generator=gen)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        history.append(float(out["loss"].detach()))
        assert set(out) == {"loss", "frame", "velocity", "key"}
    first, last = np.mean(history[:5]), np.mean(history[-10:])
    assert last < first / 10, (first, last)


def test_losses_respect_padding():
    """Padding frames and audio do not change the loss of the real ones."""
    model = _model(1)
    a, k, targ, audio = toy_utterance(5, duration=1.0)
    keys = KeyFeatures.build(a, k, 30, model.vocab)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    t = torch.from_numpy(targ)[None]
    x = torch.from_numpy(audio)[None]
    plain = model.losses(x, 16000, keys, t, fps=30, generator=g1, lock_prob=0.0)
    pt = torch.cat([t, torch.rand(1, 15, 52)], 1)
    px = torch.cat([x, torch.randn(1, 8000)], 1)
    fm = torch.arange(45)[None] < 30
    padded = model.losses(px, 16000, keys, pt, fps=30, generator=g2, lock_prob=0.0, frame_mask=fm,
                          audio_lengths=torch.tensor([16000]))
    # the encoder's convolutions see the padding samples near the end; the rest is exact
    assert abs(float(plain["key"]) - float(padded["key"])) < 1e-3
    assert abs(float(plain["frame"]) - float(padded["frame"])) < 0.02 * float(plain["frame"])


# ----------------------------------------------------------------------------- inference


def test_predict_on_real_speech(speech):
    samples, sr, alignment, keys = speech
    model = _model(2)
    w = model.predict(samples, sr, alignment, keys, fps=30)
    n = int(np.floor(alignment.duration * 30 + 0.5))
    assert w.shape == (n, 52) and w.dtype == np.float32
    assert w.min() >= 0.0 and w.max() <= 1.0
    assert w.std(axis=0).max() > 1e-3  # it moves
    # keys, style and fps all reach the output
    assert not np.allclose(model.predict(samples, sr, alignment, [], fps=30), w)
    assert not np.allclose(model.predict(samples, sr, alignment, keys, fps=30, style={"jaw": 1.5}), w)
    w60 = model.predict(samples, sr, alignment, select_keys(alignment, 60), fps=60)
    assert w60.shape[0] == int(np.floor(alignment.duration * 60 + 0.5))
    # other sample rates are resampled
    assert model.predict(samples, sr, alignment, keys, fps=30, n_frames=10).shape == (10, 52)
    with pytest.raises(AudioError):
        model.predict(np.zeros(0, np.float32), sr, alignment, keys)
    with pytest.raises(ValueError, match="style"):
        model.predict(samples, sr, alignment, keys, style={"smile": 1.0})


def _max_step_near(curves: np.ndarray, frame: int, reach: int) -> float:
    """Largest frame-to-frame change of any channel within ``reach`` frames."""
    lo, hi = max(frame - reach, 0), min(frame + reach, curves.shape[0] - 1)
    return float(np.abs(np.diff(curves[lo:hi + 1], axis=0)).max())


def test_locks_are_exact_and_smooth_through_the_learned_path(speech):
    samples, sr, alignment, keys = speech
    model = _model(3)
    free = model.predict(samples, sr, alignment, keys, fps=30, window_s=3.0, overlap_s=1.0)
    n = free.shape[0]
    spans = window_spans(n, 90, 30)
    join = (spans[1][0] + spans[0][1]) // 2  # the middle of the first crossfade
    assert join - 20 >= 20 and n - 1 - join >= 20
    full = np.clip(free[20] + 0.3, 0, 1)
    locks = resolve_locks({20: full, join: {"jawOpen": 0.85, "mouthClose": 0.0}, n - 1: {"jawOpen": 0.0}},
                          n_frames=n, fps=30)
    out = model.predict(samples, sr, alignment, keys, fps=30, locks=locks, window_s=3.0, overlap_s=1.0)
    assert np.array_equal(out[20], full.astype(np.float32))
    assert out[join, JAW] == np.float32(0.85) and out[join, CLOSE] == np.float32(0.0)
    assert out[n - 1, JAW] == np.float32(0.0)
    # smooth: the step into each lock stays within the largest natural frame-to-frame change nearby
    # (any channel, as in kmtalk.face.locks), or where nothing moves, within the gentlest 0.5 s pull
    for frame, c in ((20, JAW), (20, 30), (join, JAW), (join, CLOSE), (n - 1, JAW)):
        step_in = max(abs(out[frame, c] - out[frame - 1, c]), abs(out[min(frame + 1, n - 1), c] - out[frame, c]))
        residual = abs(float(out[frame, c]) - float(free[frame, c]))
        bound = max(_max_step_near(free, frame, 15), 1.5 * residual / 15) + 1e-6
        assert step_in <= bound, (frame, c, step_in, bound)
    # a (frames, mask, values) tuple works the same as a Locks object
    again = model.predict(samples, sr, alignment, keys, fps=30, window_s=3.0, overlap_s=1.0,
                          locks=(locks.frames, locks.mask, locks.values))
    assert np.array_equal(again, out)
    # exact_locks=False: the locks only condition; kmtalk's one lock layer then meets them with the
    # same arithmetic, bit for bit (kmtalk.animator.closures.meet_locks -> kmtalk.face.locks.apply_locks)
    conditioned = model.predict(samples, sr, alignment, keys, fps=30, locks=locks, window_s=3.0, overlap_s=1.0,
                                exact_locks=False)
    assert not np.array_equal(conditioned, out)  # the pull around the locks is not applied
    assert np.array_equal(meet_locks(conditioned, locks, fps=30), out)


def test_lock_errors(speech):
    samples, sr, alignment, keys = speech
    model = _model(3)
    n = int(np.floor(alignment.duration * 30 + 0.5))
    mask = np.ones((1, 52), bool)
    with pytest.raises(LockError, match="outside"):
        model.predict(samples, sr, alignment, keys, locks=([n + 3], mask, np.zeros((1, 52))))
    with pytest.raises(LockError, match="shaped"):
        model.predict(samples, sr, alignment, keys, locks=([3], mask[:, :10], np.zeros((1, 10))))
    with pytest.raises(LockError, match="share a frame"):
        model.predict(samples, sr, alignment, keys, locks=([3, 3], np.ones((2, 52), bool), np.zeros((2, 52))))
    with pytest.raises(LockError):
        model.predict(samples, sr, alignment, keys, locks="PP")


def test_cpu_inference_is_deterministic(speech):
    samples, sr, alignment, keys = speech
    a = _model(4).predict(samples, sr, alignment, keys, fps=30)
    b = _model(4).predict(samples, sr, alignment, keys, fps=30)
    c = _model(4).predict(samples, sr, alignment, keys, fps=30)
    assert np.array_equal(a, b) and np.array_equal(b, c)
    assert not np.array_equal(a, _model(5).predict(samples, sr, alignment, keys, fps=30))


def test_windowed_long_input_matches_a_single_pass(speech):
    samples, sr, alignment, keys = speech
    model = _model(6)
    single = model.predict(samples, sr, alignment, keys, fps=30, window_s=60.0)
    windowed = model.predict(samples, sr, alignment, keys, fps=30, window_s=3.0, overlap_s=1.0)
    assert len(window_spans(single.shape[0], 90, 30)) >= 3
    scale = float(single.std(axis=0).mean())
    err = np.abs(windowed - single)
    assert err.max() < 0.3 * scale and err.mean() < 0.03 * scale, (err.max(), err.mean(), scale)
    # the default windows (10 s, 2 s overlap) leave a 7 s line in one piece
    assert np.array_equal(model.predict(samples, sr, alignment, keys, fps=30), single)


def _offset_stub(chunk, dev):
    """Per-window output: a smooth curve of absolute time plus an offset that differs per window."""
    out = []
    for c in chunk:
        t = torch.arange(c.a, c.b, dtype=torch.float32) / c.fps
        curve = 0.5 + 0.3 * torch.sin(2 * np.pi * 0.4 * t)[:, None].repeat(1, 52)
        out.append(curve + 0.002 * c.a)
    return out


def test_window_joins_have_no_step(speech, monkeypatch):
    """Stitching only: the transformer is replaced by a stub (smooth curve + a different offset in each
    window) because a random-init network's own frame-to-frame jitter (~0.5 per frame) would hide a
    join step of the size windows disagree by (~0.01). With the crossfade the output changes per frame
    by at most the curve's own change plus the offset spread over the ramp; a hard cut (negative
    control) jumps by the whole offset difference."""
    samples, sr, alignment, keys = speech
    model = _model(6)
    monkeypatch.setattr(model, "_complete_chunk", _offset_stub)
    n = int(np.floor(alignment.duration * 30 + 0.5))
    spans = window_spans(n, 60, 24)
    assert len(spans) >= 3
    single = model.predict(samples, sr, alignment, keys, fps=30, window_s=60.0)
    windowed = model.predict(samples, sr, alignment, keys, fps=30, window_s=2.0, overlap_s=0.8)
    natural = np.abs(np.diff(single, axis=0)).max()
    offsets = [0.002 * (b[0] - a[0]) for a, b in zip(spans, spans[1:])]
    overlap = min(b0 - a1 for (_, b0), (a1, _) in zip(spans, spans[1:]))
    bound = natural + max(offsets) * 1.5 / (overlap / 2) + 1e-5
    assert np.abs(np.diff(windowed, axis=0)).max() <= bound

    def hard_cut(spans_, span):
        a, b = span
        k = spans_.index(span)
        t = torch.arange(a, b)
        w = torch.ones(b - a, dtype=torch.float64)
        if k > 0:
            w[t < (spans_[k - 1][1] + a) // 2] = 0
        if k + 1 < len(spans_):
            w[t >= (spans_[k + 1][0] + b) // 2] = 0
        return w[:, None]

    monkeypatch.setattr(inference_module, "_crossfade", hard_cut)
    cut = model.predict(samples, sr, alignment, keys, fps=30, window_s=2.0, overlap_s=0.8)
    assert np.abs(np.diff(cut, axis=0)).max() > bound


def test_crossfade_weights_sum_to_one_and_ramp_gently():
    for n, win, ov in ((213, 90, 30), (1000, 300, 60), (301, 300, 60)):
        spans = window_spans(n, win, ov)
        overlaps = [b0 - a1 for (_, b0), (a1, _) in zip(spans, spans[1:])]
        total = np.zeros(n)
        for span in spans:
            w = inference_module._crossfade(spans, span)[:, 0].numpy()
            assert w.min() >= 0 and w.max() <= 1
            # a smoothstep over half the overlap: slope at most 1.5 / (overlap / 2) per frame
            assert np.abs(np.diff(w)).max() <= 1.5 / (min(overlaps) / 2) + 1e-9
            total[span[0]:span[1]] += w
        assert np.allclose(total, 1.0)


def test_predict_batch_matches_single_predictions(speech):
    samples, sr, alignment, keys = speech
    model = _model(7)
    a2, k2, _, audio2 = toy_utterance(3, duration=2.0)
    lock = ([5], np.eye(52, dtype=bool)[[JAW]], np.full((1, 52), 0.6, np.float32))
    reqs = [PredictRequest(samples, sr, alignment, keys, 30.0),
            PredictRequest(audio2, 16000, a2, k2, 30.0, locks=lock),
            PredictRequest(audio2[:16000], 16000, a2, [k for k in k2 if k.frame < 30], 30.0, n_frames=30)]
    batch = model.predict_batch(reqs, window_s=3.0, overlap_s=1.0)
    for r, b in zip(reqs, batch):
        one = model.predict(r.samples, r.sample_rate, r.alignment, r.keys, fps=r.fps, locks=r.locks,
                            n_frames=r.n_frames, window_s=3.0, overlap_s=1.0)
        assert b.shape == one.shape and np.abs(b - one).max() < 1e-4
    assert batch[1][5, JAW] == np.float32(0.6)
    assert model.predict_batch([]) == []


def test_bf16_and_device_auto(speech):
    samples, sr, alignment, keys = speech
    model = _model(8)
    ref = model.predict(samples, sr, alignment, keys, fps=30)
    auto = model.predict(samples, sr, alignment, keys, fps=30, device="auto")
    if not torch.cuda.is_available():
        assert np.array_equal(auto, ref)
    model.to("cpu")
    bf = model.predict(samples, sr, alignment, keys, fps=30, dtype="bf16")
    assert bf.dtype == np.float32 and bf.shape == ref.shape
    assert np.abs(bf - ref).max() < 0.1
    with pytest.raises(ValueError, match="dtype"):
        model.predict(samples, sr, alignment, keys, dtype="fp8")


def test_vertex_pca_model_predicts_unbounded_coordinates():
    rng = np.random.default_rng(0)
    space = VertexPCASpace.fit(rng.normal(size=(100, 20, 3)), dim=8)
    torch.manual_seed(0)
    model = KMTalkModel(KMTalkConfig.small(motion=space.config()), space=space).eval()
    a, k, _, audio = toy_utterance(1, duration=1.0)
    lock = ([10], np.ones((1, 8), bool), np.full((1, 8), 3.5, np.float32))
    z = model.predict(audio, 16000, a, k, fps=30, locks=lock)
    assert z.shape == (30, 8) and np.all(z[10] == np.float32(3.5))  # no [0, 1] clamp in PCA space
    assert space.decode(z).shape == (30, 20, 3)


def test_window_spans_cover_with_overlap():
    for n in (91, 200, 301, 1000, 3001):
        spans = window_spans(n, 300, 60)
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(b - a == min(n, 300) for a, b in spans)
        assert all(b0 - a1 >= 60 for (_, b0), (a1, _) in zip(spans, spans[1:]))
