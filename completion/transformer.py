"""The cross-modal completion transformer: known frames + audio → every frame.

One token per output frame. A token carries

- the *key track*: per channel, the linear interpolation between the known
  frames on either side (predicted keys and editor locks; held flat before
  the first and after the last), the per-channel mask of which channels are
  known at this frame (so a partial lock pins only some channels), and how
  close the nearest known frame is (:func:`key_track`),
- the audio features at the frame's time (linear interpolation of the 100 Hz
  features), and the style embedding.

Each block does self-attention over frames, cross-attention to the 100 Hz
audio features, a depthwise temporal convolution and a feed-forward layer
(pre-norm, residual). Positions enter only as *relative time*: every head
adds ``-(a_h * max(dt, 0) + b_h * max(-dt, 0))`` to its attention logits,
``dt`` the signed time difference in seconds between the two tokens (ALiBi
with learnable, direction-dependent slopes), so the model works at any length
and any fps. The output head predicts a *residual* that is added to the key
track: with every key known the network only has to shape the motion between
keys (coarticulation, audio-driven variation), and a key always moves the
output near it. Without the residual form the network learned to predict from
the training audio alone and ignored the keys (``docs/training.md``).

Training is masked infilling: the data side hides random subsets of keys
(:func:`random_key_mask`, :func:`random_channel_mask`) and asks for every
frame. :func:`scatter_known` turns per-key values into the ``[B, T, D]``
known arrays.

Examples
--------
>>> import torch
>>> from completion.transformer import CompletionTransformer
>>> net = CompletionTransformer(motion_dim=52, audio_dim=32, style_dim=8, d_model=64, n_layers=2)
>>> audio = torch.zeros(1, 101, 32)                        # 1 s at 100 Hz
>>> known = torch.zeros(1, 30, 52); mask = torch.zeros(1, 30, 52, dtype=torch.bool)
>>> net(audio, known, mask, fps=30.0, style=torch.zeros(1, 8)).shape
torch.Size([1, 30, 52])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .features import FEATURE_RATE

__all__ = [
    "CompletionTransformer",
    "interpolate_frames",
    "key_track",
    "random_channel_mask",
    "random_key_mask",
    "scatter_known",
]


def interpolate_frames(feats: torch.Tensor, times: torch.Tensor, rate: float = FEATURE_RATE) -> torch.Tensor:
    """Sample ``feats [B, S, C]`` (frame ``j`` at ``j / rate`` s) at ``times [T]`` or ``[B, T]`` (linear).

    Examples
    --------
    >>> import torch
    >>> f = torch.arange(5.)[None, :, None]
    >>> interpolate_frames(f, torch.tensor([0.015, 0.5]), rate=100).flatten().tolist()
    [1.5, 4.0]
    """
    s = feats.shape[1]
    pos = (times.to(torch.float32) * rate).clamp(0, s - 1)
    lo = pos.floor().long().clamp(max=s - 1)
    hi = (lo + 1).clamp(max=s - 1)
    frac = (pos - lo.to(pos.dtype)).to(feats.dtype)[..., None]
    if times.ndim == 1:
        return feats[:, lo] * (1 - frac) + feats[:, hi] * frac
    gather = lambda idx: torch.gather(feats, 1, idx[..., None].expand(-1, -1, feats.shape[-1]))
    return gather(lo) * (1 - frac) + gather(hi) * frac


def key_track(known_values: torch.Tensor, known_mask: torch.Tensor, fps: float, *, tau: float = 0.1
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel linear interpolation between known frames, and closeness to the nearest one.

    Parameters
    ----------
    known_values : Tensor [B, T, D]
    known_mask : BoolTensor [B, T, D]
    fps : float
        Frame rate (closeness is measured in seconds).
    tau : float, default 0.1
        Closeness is ``exp(-distance_s / tau)``: 1 at a known frame, ~0.37 at ``tau`` seconds.

    Returns
    -------
    track : Tensor [B, T, D]
        Interpolated between the known frames on either side of each frame,
        held flat before the first and after the last; 0 in a channel with none.
    closeness : Tensor [B, T, D]
        0 in a channel with no known frame.

    Examples
    --------
    >>> import torch
    >>> v = torch.zeros(1, 5, 1); v[0, 1, 0], v[0, 3, 0] = 1.0, 3.0
    >>> m = torch.zeros(1, 5, 1, dtype=torch.bool); m[0, [1, 3], 0] = True
    >>> track, near = key_track(v, m, fps=10.0)
    >>> track.flatten().tolist()
    [1.0, 1.0, 2.0, 3.0, 3.0]
    >>> round(float(near[0, 2, 0]), 3)
    0.368
    """
    b, t, d = known_values.shape
    dev = known_values.device
    idx = torch.arange(t, device=dev)[None, :, None].expand(b, t, d)
    prev = torch.where(known_mask, idx, torch.full_like(idx, -1)).cummax(dim=1).values
    nxt = torch.where(known_mask, idx, torch.full_like(idx, t)).flip(1).cummin(dim=1).values.flip(1)
    has_prev, has_next = prev >= 0, nxt < t
    v = known_values.masked_fill(~known_mask, 0.0)
    v_prev = torch.gather(v, 1, prev.clamp(min=0))
    v_next = torch.gather(v, 1, nxt.clamp(max=t - 1))
    span = (nxt - prev).clamp(min=1).to(v.dtype)
    frac = ((idx - prev).to(v.dtype) / span).clamp(0, 1)
    both = has_prev & has_next
    track = torch.where(both, v_prev + (v_next - v_prev) * frac,
                        torch.where(has_prev, v_prev, torch.where(has_next, v_next, torch.zeros_like(v))))
    big = torch.full_like(idx, 10 * t)
    dist = torch.minimum(torch.where(has_prev, idx - prev, big), torch.where(has_next, nxt - idx, big))
    closeness = torch.exp(-dist.to(v.dtype) / (float(fps) * tau))
    closeness = closeness.masked_fill(~(has_prev | has_next), 0.0)
    return track, closeness


class _TimeBias(nn.Module):
    """Learnable direction-dependent ALiBi slopes (per head, per second)."""

    def __init__(self, n_heads: int, lo: float, hi: float) -> None:
        super().__init__()
        init = torch.logspace(math.log10(lo), math.log10(hi), n_heads)
        self.log_fwd = nn.Parameter(init.log().clone())
        self.log_bwd = nn.Parameter(init.log().clone())

    def forward(self, dt: torch.Tensor) -> torch.Tensor:
        """``dt [..., T, S]`` seconds (key time − query time) → bias ``[..., H, T, S]``."""
        fwd = self.log_fwd.exp()[:, None, None]
        bwd = self.log_bwd.exp()[:, None, None]
        d = dt.unsqueeze(-3)
        return -(fwd * d.clamp(min=0) + bwd * (-d).clamp(min=0))


class _Attention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, kv_dim: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        self.h = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(kv_dim or d_model, 2 * d_model)
        self.o = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q = self.q(x).view(b, t, self.h, -1).transpose(1, 2)
        k, v = self.kv(ctx).view(b, ctx.shape[1], 2, self.h, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype),
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.o(y.transpose(1, 2).reshape(b, t, d))


class _Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, audio_dim: int, ff_mult: int, kernel: int,
                 dropout: float) -> None:
        super().__init__()
        self.n1, self.n2, self.n3, self.n4 = (nn.LayerNorm(d_model) for _ in range(4))
        self.self_attn = _Attention(d_model, n_heads, dropout=dropout)
        self.cross_attn = _Attention(d_model, n_heads, kv_dim=audio_dim, dropout=dropout)
        self.conv = nn.Conv1d(d_model, d_model, kernel, padding=kernel // 2, groups=d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, ff_mult * d_model), nn.GELU(),
                                nn.Linear(ff_mult * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, audio: torch.Tensor, self_bias: torch.Tensor,
                cross_bias: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        h = self.n1(x)
        x = x + self.drop(self.self_attn(h, h, self_bias))
        x = x + self.drop(self.cross_attn(self.n2(x), audio, cross_bias))
        h = (self.n3(x) * keep).transpose(1, 2)
        x = x + self.drop(F.gelu(self.conv(h)).transpose(1, 2))
        return x + self.drop(self.ff(self.n4(x)))


class CompletionTransformer(nn.Module):
    """Fill in every frame from known frames and audio (see the module docstring).

    Parameters
    ----------
    motion_dim : int
        Channels ``D`` of the motion space.
    audio_dim : int
        Size of the audio features.
    style_dim : int
        Size of the style embedding.
    d_model : int, default 128
    n_layers : int, default 4
    n_heads : int, default 4
    ff_mult : int, default 2
    kernel : int, default 5
        Depthwise temporal convolution over frames.
    dropout : float, default 0.1
    """

    def __init__(self, *, motion_dim: int, audio_dim: int, style_dim: int, d_model: int = 128,
                 n_layers: int = 4, n_heads: int = 4, ff_mult: int = 2, kernel: int = 5,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
        self.motion_dim = motion_dim
        self.in_value = nn.Linear(motion_dim, d_model)
        self.in_mask = nn.Linear(motion_dim, d_model)
        self.in_near = nn.Linear(motion_dim, d_model)
        self.in_audio = nn.Linear(audio_dim, d_model)
        self.in_style = nn.Linear(style_dim, d_model)
        self.self_time = _TimeBias(n_heads, 1.0, 30.0)
        self.cross_time = _TimeBias(n_heads, 2.0, 60.0)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, audio_dim, ff_mult, kernel, dropout)
                                    for _ in range(n_layers))
        self.out_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, motion_dim)
        nn.init.zeros_(self.head.weight)  # start as the key track itself
        nn.init.zeros_(self.head.bias)

    def forward(
        self,
        audio_feats: torch.Tensor,
        known_values: torch.Tensor,
        known_mask: torch.Tensor,
        *,
        fps: float,
        style: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
        audio_mask: torch.Tensor | None = None,
        start_time: float | torch.Tensor = 0.0,
        audio_rate: float = FEATURE_RATE,
    ) -> torch.Tensor:
        """Predict every frame.

        Parameters
        ----------
        audio_feats : Tensor [B, T_audio, audio_dim]
            Audio features; frame ``j`` is at ``j / audio_rate`` s.
        known_values : Tensor [B, T, D]
            Values of known channels (anything elsewhere; it is zeroed).
        known_mask : BoolTensor [B, T, D]
            True where a channel of a frame is known.
        fps : float
            Output frame rate; frame ``i`` is at ``start_time + i / fps`` s on the audio's clock.
        style : Tensor [B, style_dim], optional
            Style embedding (zeros when omitted).
        frame_mask : BoolTensor [B, T], optional
            False for padding frames (ignored as keys; their outputs are meaningless).
        audio_mask : BoolTensor [B, T_audio], optional
            False for padding audio frames.
        start_time : float or Tensor [B], default 0
            Time of output frame 0 relative to audio frame 0 (for windows), per utterance or shared.
        audio_rate : float, default 100

        Returns
        -------
        Tensor [B, T, D]
            The key track (:func:`key_track`) plus the predicted residual.
        """
        b, t, d = known_values.shape
        if known_mask.shape != known_values.shape:
            raise ValueError(f"known_mask {tuple(known_mask.shape)} must match known_values {tuple(known_values.shape)}")
        if d != self.motion_dim:
            raise ValueError(f"the model predicts {self.motion_dim} channels, known_values has {d}")
        dev, dtype = audio_feats.device, self.head.weight.dtype
        rel = torch.arange(t, device=dev, dtype=torch.float32) / float(fps)
        if isinstance(start_time, torch.Tensor):
            times = start_time.to(dev, torch.float32).reshape(-1, 1) + rel  # [B, T]
        else:
            times = (float(start_time) + rel)[None]  # [1, T]
        atimes = torch.arange(audio_feats.shape[1], device=dev, dtype=torch.float32) / float(audio_rate)
        known = known_mask if frame_mask is None else known_mask & frame_mask[..., None]
        track, near = key_track(known_values.to(audio_feats.dtype), known, fps)
        x = self.in_value(track) + self.in_mask(known.to(track.dtype)) + self.in_near(near)
        x = x + self.in_audio(interpolate_frames(audio_feats, times if times.shape[0] > 1 else times[0],
                                                 audio_rate))
        if style is not None:
            x = x + self.in_style(style.to(x.dtype))[:, None, :]
        self_bias = self.self_time(rel[None, :] - rel[:, None])[None]  # [1, H, T, T]
        cross_bias = self.cross_time(atimes[None, None, :] - times[:, :, None])  # [B or 1, H, T, Ta]
        if frame_mask is not None:
            self_bias = self_bias.masked_fill(~frame_mask[:, None, None, :], float("-inf"))
        if audio_mask is not None:
            cross_bias = cross_bias.masked_fill(~audio_mask[:, None, None, :], float("-inf"))
        keep = (frame_mask if frame_mask is not None else torch.ones(b, t, dtype=torch.bool, device=dev))
        keep = keep[..., None].to(x.dtype)
        for block in self.blocks:
            x = block(x, audio_feats, self_bias, cross_bias, keep)
        return (track + self.head(self.out_norm(x))).to(dtype)


def scatter_known(values: torch.Tensor, frames: torch.Tensor, mask: torch.Tensor, n_frames: int
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Place per-key values ``[B, K, D]`` at their ``frames [B, K]`` in ``[B, n_frames, D]`` arrays.

    Keys with ``mask`` False or a frame outside ``[0, n_frames)`` are skipped;
    when two keys share a frame the later one wins.

    Returns
    -------
    known_values : Tensor [B, n_frames, D]
    known_mask : BoolTensor [B, n_frames, D]

    Examples
    --------
    >>> import torch
    >>> v = torch.ones(1, 2, 3); f = torch.tensor([[1, 4]]); m = torch.tensor([[True, False]])
    >>> kv, km = scatter_known(v, f, m, 5)
    >>> km[0, :, 0].tolist()
    [False, True, False, False, False]
    """
    b, _, d = values.shape
    ok = mask & (frames >= 0) & (frames < n_frames)
    known_values = values.new_zeros(b, n_frames, d)
    known_mask = torch.zeros(b, n_frames, d, dtype=torch.bool, device=values.device)
    for i in range(b):  # a loop keeps "later key wins" deterministic
        sel = torch.nonzero(ok[i]).flatten()
        if sel.numel():
            fr = frames[i, sel]
            known_values[i, fr] = values[i, sel]
            known_mask[i, fr] = True
    return known_values, known_mask


def random_key_mask(key_mask: torch.Tensor, *, min_keep: float = 0.0, max_keep: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Random subsets of keys for masked-infilling training.

    Each utterance draws a keep ratio ``p`` uniformly in ``[min_keep, max_keep]``
    and keeps each of its keys with probability ``p`` (padding stays False).

    Parameters
    ----------
    key_mask : BoolTensor [B, K]
        Real keys.
    min_keep, max_keep : float
    generator : torch.Generator, optional
        For reproducible masks.

    Returns
    -------
    BoolTensor [B, K]

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> m = random_key_mask(torch.ones(2, 1000, dtype=torch.bool), min_keep=.5, max_keep=.5, generator=g)
    >>> 400 < int(m[0].sum()) < 600
    True
    """
    if not 0.0 <= min_keep <= max_keep <= 1.0:
        raise ValueError("need 0 <= min_keep <= max_keep <= 1")
    b, k = key_mask.shape
    p = min_keep + (max_keep - min_keep) * torch.rand(b, 1, generator=generator)
    draw = torch.rand(b, k, generator=generator)
    return (draw < p).to(key_mask.device) & key_mask


def random_channel_mask(frames_known: torch.Tensor, dim: int, *, partial_prob: float = 0.2,
                        channel_prob: float = 0.3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-channel known masks ``[B, T, dim]`` from per-frame ones ``[B, T]``, with partial locks.

    A known frame keeps all channels, except with probability ``partial_prob``
    where each channel is kept with probability ``channel_prob`` (at least one),
    as an editor's partial lock would.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> f = torch.zeros(1, 4, dtype=torch.bool); f[0, 1] = True
    >>> m = random_channel_mask(f, 52, partial_prob=0.0, generator=g)
    >>> m.sum(dim=2).tolist()
    [[0, 52, 0, 0]]
    """
    b, t = frames_known.shape
    partial = torch.rand(b, t, 1, generator=generator) < partial_prob
    chans = torch.rand(b, t, dim, generator=generator)
    keep = chans < channel_prob
    # at least one channel: the one with the smallest draw
    keep |= chans == chans.min(dim=-1, keepdim=True).values
    mask = torch.where(partial, keep, torch.ones_like(keep))
    return mask.to(frames_known.device) & frames_known[..., None]
