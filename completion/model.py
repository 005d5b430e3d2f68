"""KMTalk: audio encoder + key-motion network + completion transformer, and inference.

Read top to bottom: :class:`KMTalkConfig` (every size, JSON-serialisable),
:class:`KMTalkModel` (the modules, the training objective :meth:`~KMTalkModel.losses`
and inference :meth:`~KMTalkModel.predict` / :meth:`~KMTalkModel.predict_batch`).

Inference, for one utterance::

    samples ──encoder──► audio features [T_audio, A] (100 Hz)
    alignment + keys ──KeyFeatures──► key-motion net ──► face at each key [K, D]
    keys + editor locks ──► known values/mask [T, D]      (locks override keys)
    completion transformer (10 s windows, 2 s crossfaded overlap) ──► every frame [T, D]
    apply_lock_arrays ──► exact at every lock, smooth around it; clamped to the space's bounds

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
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from phoneme.errors import AudioError
from phoneme.frames import n_frames_for
from phoneme.keys import KeyMotion
from phoneme.types import Alignment

from .encoders import AudioEncoder, ConvMelEncoder, PretrainedSpeechEncoder
from .features import FEATURE_RATE, frames_for, hop_for, resample
from .keynet import KeyFeatures, KeyMotionNet, KeyVocab
from .locks import apply_lock_arrays, lock_arrays
from .motion_space import MotionSpace, motion_space_from_config
from .transformer import CompletionTransformer, random_channel_mask, random_key_mask, scatter_known

__all__ = ["KMTalkConfig", "KMTalkModel", "PredictRequest", "resolve_device", "window_spans"]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- config
@dataclass
class KMTalkConfig:
    """Every setting of a :class:`KMTalkModel` (stored as ``config.json`` next to the weights).

    Parameters
    ----------
    motion : dict
        The motion space's :meth:`~completion.motion_space.MotionSpace.config`
        (``{"kind": "arkit", "dim": 52}`` by default).
    vocab : dict
        :meth:`KeyVocab.to_dict` of the phone/viseme/kind inventories (default: bundled English lexicon).
    sample_rate : int, default 16000
        Rate audio is resampled to before encoding.
    encoder : str, default "conv_mel"
        ``"conv_mel"`` or ``"pretrained"`` (then ``encoder_path`` is a local folder).
    mel_norm : str, default "fixed"
        The conv-mel encoder's input scaling: ``"fixed"`` or ``"utterance"`` (per-band
        mean and variance over each utterance; see :class:`~completion.encoders.ConvMelEncoder`).
    style_names, style_defaults : tuple
        Named style axes (continuous) and their neutral values.
    window_s, overlap_s : float
        Inference windows for long inputs and their crossfaded overlap.
    """

    motion: dict[str, Any] = field(default_factory=lambda: {"kind": "arkit", "dim": 52})
    vocab: dict[str, Any] = field(default_factory=lambda: KeyVocab.from_lexicon().to_dict())
    sample_rate: int = 16000
    # audio encoder
    encoder: str = "conv_mel"
    encoder_path: str | None = None
    encoder_layer: int | None = None
    n_mels: int = 80
    encoder_channels: int = 128
    encoder_layers: int = 3
    encoder_kernel: int = 5
    mel_norm: str = "fixed"
    audio_dim: int = 128
    # style
    style_names: tuple[str, ...] = ("jaw", "lip")
    style_defaults: tuple[float, ...] = (1.0, 1.0)
    style_dim: int = 16
    # key-motion network
    key_hidden: int = 256
    key_audio_window: int = 8
    # completion transformer
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    ff_mult: int = 2
    conv_kernel: int = 5
    dropout: float = 0.1
    # inference
    fps: float = 30.0
    window_s: float = 10.0
    overlap_s: float = 2.0

    def __post_init__(self) -> None:
        self.style_names = tuple(self.style_names)
        self.style_defaults = tuple(float(v) for v in self.style_defaults)
        if len(self.style_names) != len(self.style_defaults):
            raise ValueError("style_names and style_defaults must have the same length")
        if self.encoder not in ("conv_mel", "pretrained"):
            raise ValueError(f"encoder must be 'conv_mel' or 'pretrained', got {self.encoder!r}")
        if not 0 <= self.overlap_s < self.window_s:
            raise ValueError("need 0 <= overlap_s < window_s")

    @property
    def motion_dim(self) -> int:
        return int(self.motion["dim"])

    @classmethod
    def small(cls, **overrides: Any) -> KMTalkConfig:
        """A tiny configuration for tests and doc examples (well under 1 MB of weights)."""
        base = dict(encoder_channels=32, audio_dim=32, style_dim=8, key_hidden=64, d_model=32,
                    n_layers=2, n_heads=2, dropout=0.0)
        base.update(overrides)
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (tuples become lists)."""
        out = asdict(self)
        out["style_names"] = list(self.style_names)
        out["style_defaults"] = list(self.style_defaults)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KMTalkConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error (a newer format)."""
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown config field(s) {extra}")
        return cls(**dict(data))


def resolve_device(device: str | torch.device | None, current: torch.device | None = None) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``None`` → ``current`` (or CPU).

    Examples
    --------
    >>> resolve_device("cpu").type
    'cpu'
    """
    if device is None:
        return current or torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def window_spans(n_frames: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Frame ranges ``[a, b)`` of the inference windows: as few windows of length ``window`` as
    cover ``n_frames`` with at least ``overlap`` frames shared by neighbours, evenly spaced.

    Examples
    --------
    >>> window_spans(700, 300, 60)
    [(0, 300), (200, 500), (400, 700)]
    >>> window_spans(100, 300, 60)
    [(0, 100)]
    """
    if n_frames <= window:
        return [(0, n_frames)]
    count = math.ceil((n_frames - overlap) / (window - overlap))
    step = (n_frames - window) / (count - 1)
    return [(int(round(i * step)), int(round(i * step)) + window) for i in range(count)]


@dataclass
class PredictRequest:
    """One utterance for :meth:`KMTalkModel.predict_batch` (same meaning as :meth:`KMTalkModel.predict`'s arguments)."""

    samples: np.ndarray
    sample_rate: int
    alignment: Alignment
    keys: Sequence[KeyMotion]
    fps: float = 30.0
    locks: Any = None
    style: Any = None
    n_frames: int | None = None


@dataclass
class _Prepared:
    samples: np.ndarray
    keys: KeyFeatures
    n_frames: int
    fps: float
    lock_frames: np.ndarray
    lock_mask: np.ndarray
    lock_values: np.ndarray
    style: np.ndarray


# ----------------------------------------------------------------------------- model
class KMTalkModel(nn.Module):
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

    # --- inference ----------------------------------------------------------
    def _style_vector(self, style: Any) -> np.ndarray:
        names = self.config.style_names
        vec = np.asarray(self.config.style_defaults, dtype=np.float32).copy()
        if style is None:
            return vec
        if isinstance(style, Mapping):
            for name, value in style.items():
                if name not in names:
                    raise ValueError(f"unknown style axis {name!r}; this model knows {list(names)}")
                vec[names.index(name)] = float(value)
            return vec
        arr = np.asarray(style, dtype=np.float32).reshape(-1)
        if arr.size != len(names):
            raise ValueError(f"style must give {len(names)} values ({list(names)}), got {arr.size}")
        return arr

    def _prepare(self, req: PredictRequest) -> _Prepared:
        x = req.samples.detach().cpu().numpy() if isinstance(req.samples, torch.Tensor) else req.samples
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 1 or x.size == 0:
            raise AudioError(f"predict needs mono samples shaped [N] with N > 0, got {x.shape}")
        if not np.isfinite(x).all():
            raise AudioError("the audio holds NaN or infinite samples")
        x = resample(x, int(req.sample_rate), self.config.sample_rate)
        if not (req.fps > 0 and math.isfinite(req.fps)):
            raise ValueError(f"fps must be positive, got {req.fps!r}")
        n = req.n_frames if req.n_frames is not None else n_frames_for(req.alignment.duration, req.fps)
        keys = KeyFeatures.build(req.alignment, list(req.keys), req.fps, self.vocab)
        frames, mask, values = lock_arrays(req.locks, n, self.config.motion_dim)
        return _Prepared(x, keys, n, float(req.fps), frames, mask, values, self._style_vector(req.style))

    def predict(
        self,
        samples: np.ndarray,
        sample_rate: int,
        alignment: Alignment,
        keys: Sequence[KeyMotion],
        *,
        fps: float = 30.0,
        locks: Any = None,
        style: Any = None,
        n_frames: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype | str | None = None,
        window_s: float | None = None,
        overlap_s: float | None = None,
        exact_locks: bool = True,
    ) -> np.ndarray:
        """Animate one utterance: motion-space coordinates for every frame.

        Parameters
        ----------
        samples : ndarray [N]
            Mono audio (resampled to ``config.sample_rate`` when needed).
        sample_rate : int
        alignment : Alignment
            Its timed phones.
        keys : sequence of KeyMotion
            From :func:`phoneme.keys.select_keys` at the same ``fps``.
        fps : float, default 30
        locks : Locks or (frames [K], mask [K, D], values [K, D]), optional
            Editor locks in motion-space coordinates (for ARKit: weights). They
            condition the transformer and are then applied exactly
            (:func:`~completion.locks.apply_lock_arrays`): the output equals
            them at every locked frame and channel and flows smoothly into them.
            Validated by :func:`~completion.locks.lock_arrays`.
        style : dict or array, optional
            Style axes by name (``{"jaw": 1.3}``) or all values; default neutral.
        n_frames : int, optional
            Frames to produce (default ``round(alignment.duration * fps)``).
        device : str or torch.device, optional
            ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``…; default: where the model is.
            The model is moved there.
        dtype : torch.dtype or "bf16", optional
            ``torch.bfloat16`` runs under autocast (GPU; CPU works but is slower).
        window_s, overlap_s : float, optional
            Override the config's inference windows.
        exact_locks : bool, default True
            Apply the locks exactly after the prediction. ``False``: they only
            condition the transformer, and the caller meets them (kmtalk's
            animate path does, in one place: :mod:`kmtalk.animator.closures`).

        Returns
        -------
        ndarray, float32 [T, D]
            Clamped to the space's bounds (ARKit: weights in [0, 1]).

        Raises
        ------
        AudioError, LockError, LexiconError
        """
        req = PredictRequest(samples, sample_rate, alignment, keys, fps, locks, style, n_frames)
        return self.predict_batch([req], device=device, dtype=dtype, window_s=window_s, overlap_s=overlap_s,
                                  exact_locks=exact_locks)[0]

    def predict_batch(
        self,
        requests: Sequence[PredictRequest],
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | str | None = None,
        window_s: float | None = None,
        overlap_s: float | None = None,
        max_windows: int = 64,
        exact_locks: bool = True,
    ) -> list[np.ndarray]:
        """Animate several utterances in batches (see :meth:`predict` for the arguments).

        Audio is encoded per utterance; every utterance's windows go through the
        transformer together, ``max_windows`` at a time (padded to a common length).

        Returns
        -------
        list of ndarray [T_i, D]
        """
        if not requests:
            return []
        dev = resolve_device(device, self.device)
        if dev != self.device:
            self.to(dev)
        if isinstance(dtype, str):
            if dtype not in ("bf16", "bfloat16", "fp32", "float32"):
                raise ValueError(f"dtype must be 'bf16' or 'fp32', got {dtype!r}")
            dtype = torch.bfloat16 if dtype.startswith("bf") else torch.float32
        autocast = dtype is not None and dtype != torch.float32
        was_training = self.training
        self.eval()
        prepared = [self._prepare(r) for r in requests]
        try:
            with torch.inference_mode(), torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=autocast):
                out = self._run(prepared, dev, window_s or self.config.window_s,
                                self.config.overlap_s if overlap_s is None else overlap_s, max_windows)
        finally:
            self.train(was_training)
        results = []
        for p, pred in zip(prepared, out):
            pred = self.space.clip(pred)  # clamp first, so the locks' pull is sized on what is shown
            if exact_locks and p.lock_frames.size:
                pred = apply_lock_arrays(pred, p.lock_frames, p.lock_mask, p.lock_values, fps=p.fps,
                                         bounds=self.space.bounds)
            results.append(pred)
        return results

    def _run(self, prepared: list[_Prepared], dev: torch.device, window_s: float, overlap_s: float,
             max_windows: int) -> list[np.ndarray]:
        sr = self.config.sample_rate
        d = self.config.motion_dim
        jobs: list[_Window] = []
        spans: list[list[tuple[int, int]]] = []
        for i, p in enumerate(prepared):
            audio = self.encode_audio(torch.from_numpy(p.samples).to(dev)[None], sr)  # [1, Ta, A]
            s = self.style_embedding(torch.from_numpy(p.style).to(dev)[None], 1)
            keys = p.keys.to(dev)
            key_pred = self.keynet(keys, audio, s).float()
            kv, km = scatter_known(key_pred, keys.frames, keys.mask, p.n_frames)
            if p.lock_frames.size:
                lf = torch.from_numpy(p.lock_frames).to(dev)
                lm = torch.from_numpy(p.lock_mask).to(dev)
                kv[0, lf] = torch.where(lm, torch.from_numpy(p.lock_values).to(dev), kv[0, lf])
                km[0, lf] |= lm
            win = max(int(round(window_s * p.fps)), 1)
            ov = min(int(round(overlap_s * p.fps)), win - 1)
            spans.append(window_spans(p.n_frames, win, ov))
            for a, b in spans[-1]:
                # audio from _AUDIO_MARGIN s before the window to _AUDIO_MARGIN s after it
                a0 = max(int(math.floor((a / p.fps - _AUDIO_MARGIN) * FEATURE_RATE)), 0)
                a1 = min(int(math.ceil(((b - 1) / p.fps + _AUDIO_MARGIN) * FEATURE_RATE)) + 1, audio.shape[1])
                a1 = max(a1, a0 + 1)
                jobs.append(_Window(i, a, b, p.fps, audio[0, a0:a1], kv[0, a:b], km[0, a:b], s[0],
                                    a / p.fps - a0 / FEATURE_RATE))
        results = [torch.zeros(p.n_frames, d, dtype=torch.float64) for p in prepared]
        totals = [torch.zeros(p.n_frames, 1, dtype=torch.float64) for p in prepared]
        by_fps: dict[float, list[_Window]] = {}
        for job in jobs:
            by_fps.setdefault(job.fps, []).append(job)
        for group in by_fps.values():
            for start in range(0, len(group), max_windows):
                chunk = group[start:start + max_windows]
                for job, pred in zip(chunk, self._complete_chunk(chunk, dev)):
                    w = _crossfade(spans[job.item], (job.a, job.b))
                    results[job.item][job.a:job.b] += pred.double().cpu() * w
                    totals[job.item][job.a:job.b] += w
        return [(r / t).float().numpy() for r, t in zip(results, totals)]

    def _complete_chunk(self, chunk: list[_Window], dev: torch.device) -> list[torch.Tensor]:
        """Run the transformer on windows (same fps, possibly different lengths, padded) in one batch."""
        n, d = len(chunk), self.config.motion_dim
        t_max = max(c.b - c.a for c in chunk)
        ta_max = max(c.audio.shape[0] for c in chunk)
        audio = chunk[0].audio.new_zeros(n, ta_max, chunk[0].audio.shape[-1])
        kv = torch.zeros(n, t_max, d, device=dev)
        km = torch.zeros(n, t_max, d, dtype=torch.bool, device=dev)
        fm = torch.zeros(n, t_max, dtype=torch.bool, device=dev)
        am = torch.zeros(n, ta_max, dtype=torch.bool, device=dev)
        for j, c in enumerate(chunk):
            audio[j, :c.audio.shape[0]] = c.audio
            am[j, :c.audio.shape[0]] = True
            kv[j, :c.b - c.a] = c.known_values
            km[j, :c.b - c.a] = c.known_mask
            fm[j, :c.b - c.a] = True
        style = torch.stack([c.style for c in chunk])
        starts = torch.tensor([c.start_time for c in chunk], dtype=torch.float32, device=dev)
        pad_free = bool(fm.all()) and bool(am.all())
        pred = self.transformer(audio, kv, km, fps=chunk[0].fps, style=style,
                                frame_mask=None if pad_free else fm,
                                audio_mask=None if pad_free else am, start_time=starts)
        return [pred[j, :c.b - c.a].float() for j, c in enumerate(chunk)]


#: Seconds of audio context given to each window beyond its frames.
_AUDIO_MARGIN = 0.5


@dataclass
class _Window:
    item: int
    a: int
    b: int
    fps: float
    audio: torch.Tensor
    known_values: torch.Tensor
    known_mask: torch.Tensor
    style: torch.Tensor
    start_time: float


def _crossfade(spans: list[tuple[int, int]], span: tuple[int, int]) -> torch.Tensor:
    """Weight ``[b - a, 1]`` of window ``span`` among ``spans``.

    Over each overlap with a neighbour the weight ramps (smoothstep) across the
    overlap's central half: the outer quarters, where a window has the least
    context, count only for the other window. Neighbouring ramps are
    complementary, so the weights of overlapping windows sum to 1.
    """
    a, b = span
    k = spans.index(span)
    t = torch.arange(a, b, dtype=torch.float64) + 0.5
    w = torch.ones(b - a, dtype=torch.float64)

    def ramp(lo: int, hi: int) -> torch.Tensor:  # 0 before the central half of [lo, hi), 1 after
        q = (hi - lo) / 4.0
        u = ((t - lo - q) / max(hi - lo - 2 * q, 1.0)).clamp(0, 1)
        return u * u * (3 - 2 * u)

    if k > 0:
        w = w * ramp(a, spans[k - 1][1])
    if k + 1 < len(spans):
        w = w * (1 - ramp(spans[k + 1][0], b))
    return w[:, None]
