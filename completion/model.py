"""KMTalk: audio encoder + key-motion network + completion transformer.

Read top to bottom: :class:`KMTalkModel` — the modules, one full pass
(:meth:`~KMTalkModel.forward`) and the training objective (:meth:`~KMTalkModel.losses`).
Its settings are :class:`~completion.config.KMTalkConfig`; inference
(:meth:`~KMTalkModel.predict`, :meth:`~KMTalkModel.predict_batch`: windows, batches,
locks) is :class:`completion.inference.Inference`, which the model inherits.

Examples
--------
>>> import numpy as np
>>> from phoneme.types import Alignment, Interval
>>> from phoneme.keys import select_keys
>>> from completion.model import KMTalkConfig, KMTalkModel
>>> model = KMTalkModel(KMTalkConfig.small()).eval()
>>> a = Alignment(words=[Interval("ma", 0, .5)],
...               phones=[Interval("m", 0, .1, word=0), Interval("ɑ", .1, .5, word=0)], duration=.5)
>>> audio = np.zeros(8000, np.float32)
>>> w = model.predict(audio, 16000, a, select_keys(a, 30), fps=30,
...                   locks=([3], np.eye(52, dtype=bool)[[17]], np.full((1, 52), .7, np.float32)))
>>> w.shape, float(w[3, 17])
((15, 52), 0.699999988079071)
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from .config import KMTalkConfig
from .encoders import AudioEncoder, ConvMelEncoder, PretrainedSpeechEncoder, WhisperEncoder
from .features import frames_for, hop_for
from .inference import Inference, PredictRequest, resolve_device, window_spans
from .keynet import KeyFeatures, KeyMotionNet, KeyVocab
from .motion_space import MotionSpace, motion_space_from_config
from .transformer import CompletionTransformer, random_channel_mask, random_key_mask, scatter_known

__all__ = ["KMTalkConfig", "KMTalkModel", "PredictRequest", "resolve_device", "window_spans"]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- model
class KMTalkModel(Inference, nn.Module):
    """The KMTalk model (see the module docstring).

    Parameters
    ----------
    config : KMTalkConfig
    space : MotionSpace, optional
        Needed for ``vertex_pca`` (its arrays); built from ``config.motion`` for ``arkit``.
    encoder : AudioEncoder, optional
        An already-built encoder (e.g. a :class:`PretrainedSpeechEncoder`); by
        default built from the config.
    """

    def __init__(self, config: KMTalkConfig | None = None, *, space: MotionSpace | None = None,
                 encoder: AudioEncoder | None = None) -> None:
        super().__init__()
        self.config = config = config or KMTalkConfig()
        self.space = space if space is not None else motion_space_from_config(config.motion)
        if self.space.dim != config.motion_dim:
            raise ValueError(f"space has {self.space.dim} channels, config.motion says {config.motion_dim}")
        self.vocab = KeyVocab.from_dict(config.vocab)
        if encoder is None:
            if config.encoder == "pretrained":
                if not config.encoder_path:
                    raise ValueError("encoder='pretrained' needs encoder_path (a local folder)")
                encoder = PretrainedSpeechEncoder.from_local_path(config.encoder_path, layer=config.encoder_layer)
            elif config.encoder == "whisper":
                encoder = WhisperEncoder(config.encoder_path or "tiny.en", config.audio_dim,
                                         config.encoder_channels, config.encoder_kernel)
            else:
                encoder = ConvMelEncoder(config.n_mels, config.encoder_channels, config.audio_dim,
                                         config.encoder_layers, config.encoder_kernel, norm=config.mel_norm)
        if encoder.out_dim != config.audio_dim:
            raise ValueError(f"the encoder gives {encoder.out_dim} features, config.audio_dim is {config.audio_dim}")
        self.encoder = encoder
        n_style = len(config.style_names)
        self.style_proj = nn.Linear(n_style, config.style_dim)
        self.register_buffer("style_neutral", torch.tensor(config.style_defaults, dtype=torch.float32),
                             persistent=False)
        self.keynet = KeyMotionNet(self.vocab, audio_dim=config.audio_dim, motion_dim=config.motion_dim,
                                   style_dim=config.style_dim, hidden=config.key_hidden,
                                   audio_window=config.key_audio_window, dropout=config.dropout)
        self.transformer = CompletionTransformer(
            motion_dim=config.motion_dim, audio_dim=config.audio_dim, style_dim=config.style_dim,
            d_model=config.d_model, n_layers=config.n_layers, n_heads=config.n_heads,
            ff_mult=config.ff_mult, kernel=config.conv_kernel, dropout=config.dropout)

    # --- pieces -------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.style_proj.weight.device

    def n_parameters(self, trainable_only: bool = False) -> int:
        """Number of parameters (optionally only those with ``requires_grad``)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def encode_audio(self, samples: torch.Tensor, sample_rate: int,
                     lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``samples [B, N]`` (``lengths [B]`` real samples, default all) → features ``[B, T_audio, audio_dim]`` at 100 Hz."""
        return self.encoder(samples, sample_rate, lengths)

    def style_embedding(self, style: torch.Tensor | None, batch: int) -> torch.Tensor:
        """Style values ``[B, n_style]`` (None: neutral) → embedding ``[B, style_dim]``."""
        if style is None:
            style = self.style_neutral[None].expand(batch, -1)
        return self.style_proj(style.to(self.style_neutral) - self.style_neutral)

    def _audio_mask(self, audio: torch.Tensor, sample_rate: int, audio_lengths: torch.Tensor | None
                    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Real audio frames per utterance and the ``[B, T_audio]`` mask, from lengths in samples."""
        if audio_lengths is None:
            return None, None
        hop = hop_for(sample_rate)
        n_audio = torch.as_tensor([frames_for(int(n), hop) for n in audio_lengths], device=audio.device)
        return n_audio, torch.arange(audio.shape[1], device=audio.device)[None] < n_audio[:, None]

    def forward(
        self,
        samples: torch.Tensor,
        sample_rate: int,
        keys: KeyFeatures,
        *,
        n_frames: int,
        fps: float,
        key_known: torch.Tensor | None = None,
        key_values: torch.Tensor | None = None,
        known_values: torch.Tensor | None = None,
        known_mask: torch.Tensor | None = None,
        style: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
        audio_lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One full pass (no windowing): predicted frames and predicted key values.

        Parameters
        ----------
        samples : Tensor [B, N]
            Audio at ``sample_rate`` (padded with zeros; see ``audio_lengths``).
        sample_rate : int
        keys : KeyFeatures
            ``B`` utterances' keys.
        n_frames : int
            Output frames ``T`` (padded length).
        fps : float
        key_known : BoolTensor [B, K], optional
            Which keys enter the transformer as known (default: all real keys).
        key_values : Tensor [B, K, D], optional
            Values those keys enter with (default: the key network's predictions).
        known_values, known_mask : Tensor [B, T, D], optional
            Extra known frames (editor locks); they override keys where both are known.
        style : Tensor [B, n_style], optional
        frame_mask : BoolTensor [B, T], optional
            Real frames (default all).
        audio_lengths : LongTensor [B], optional
            Real samples per utterance (default all).

        Returns
        -------
        frames : Tensor [B, T, D]
        key_pred : Tensor [B, K, D]
        """
        b = samples.shape[0]
        audio = self.encode_audio(samples, sample_rate, audio_lengths)
        n_audio, audio_mask = self._audio_mask(audio, sample_rate, audio_lengths)
        s = self.style_embedding(style, b)
        key_pred = self.keynet(keys, audio, s, n_audio)
        values = key_pred if key_values is None else key_values
        use = keys.mask if key_known is None else (key_known & keys.mask)
        kv, km = scatter_known(values, keys.frames, use, n_frames)
        if known_values is not None and known_mask is not None:
            kv = torch.where(known_mask, known_values.to(kv.dtype), kv)
            km = km | known_mask
        frames = self.transformer(audio, kv, km, fps=fps, style=s, frame_mask=frame_mask,
                                  audio_mask=audio_mask)
        return frames, key_pred

    def losses(
        self,
        samples: torch.Tensor,
        sample_rate: int,
        keys: KeyFeatures,
        targets: torch.Tensor,
        *,
        fps: float,
        frame_mask: torch.Tensor | None = None,
        audio_lengths: torch.Tensor | None = None,
        style: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        min_keep: float = 0.3,
        max_keep: float = 1.0,
        teacher_prob: float = 0.5,
        lock_prob: float = 0.02,
        partial_prob: float = 0.3,
        key_weight: float = 1.0,
        velocity_weight: float = 1.0,
    ) -> dict[str, torch.Tensor]:
        """The training objective: key regression + masked infilling of every frame.

        The key network regresses the targets at key frames. A random subset of
        keys (:func:`random_key_mask`, keep ratio in ``[min_keep, max_keep]``)
        enters the transformer as known, each with its true value
        (probability ``teacher_prob``) or the key network's detached
        prediction; random non-key frames (probability ``lock_prob`` each)
        enter as editor-style locks with true values, some partial
        (``partial_prob``). The transformer predicts every frame; the loss is
        MSE on frames and on frame-to-frame velocity, plus ``key_weight`` × key MSE.

        Parameters
        ----------
        targets : Tensor [B, T, D]
            True motion-space coordinates (padded; see ``frame_mask``).

        Returns
        -------
        dict
            ``loss`` (to minimise), ``frame``, ``velocity``, ``key`` (detached parts).
        """
        b, t, d = targets.shape
        fm = frame_mask if frame_mask is not None else torch.ones(b, t, dtype=torch.bool, device=targets.device)
        dev = targets.device
        k = keys.n_keys
        # keys' targets
        fr = keys.frames.clamp(0, t - 1)
        key_targets = torch.gather(targets, 1, fr[..., None].expand(-1, -1, d))
        key_ok = keys.mask & (keys.frames < t)
        subset = random_key_mask(key_ok, min_keep=min_keep, max_keep=max_keep, generator=generator).to(dev)
        gt = (torch.rand(b, k, 1, generator=generator) < teacher_prob).to(dev)
        # locks on random frames
        lock_frames = (torch.rand(b, t, generator=generator) < lock_prob).to(dev) & fm
        lock_mask = random_channel_mask(lock_frames, d, partial_prob=partial_prob, generator=generator).to(dev)

        audio = self.encode_audio(samples, sample_rate, audio_lengths)
        n_audio, audio_mask = self._audio_mask(audio, sample_rate, audio_lengths)
        s = self.style_embedding(style, b)
        key_pred = self.keynet(keys, audio, s, n_audio)
        values = torch.where(gt, key_targets, key_pred.detach())
        kv, km = scatter_known(values, keys.frames, subset, t)
        kv = torch.where(lock_mask, targets, kv)
        km = km | lock_mask
        pred = self.transformer(audio, kv, km, fps=fps, style=s, frame_mask=fm, audio_mask=audio_mask)

        w = fm[..., None].to(pred.dtype)
        frame_loss = ((pred - targets) ** 2 * w).sum() / (w.sum() * d).clamp(min=1)
        vw = (fm[:, 1:] & fm[:, :-1])[..., None].to(pred.dtype)
        vel = ((pred.diff(dim=1) - targets.diff(dim=1)) ** 2 * vw).sum() / (vw.sum() * d).clamp(min=1)
        kw = key_ok[..., None].to(pred.dtype)
        key_loss = ((key_pred - key_targets) ** 2 * kw).sum() / (kw.sum() * d).clamp(min=1)
        loss = frame_loss + velocity_weight * vel + key_weight * key_loss
        return {"loss": loss, "frame": frame_loss.detach(), "velocity": vel.detach(), "key": key_loss.detach()}
