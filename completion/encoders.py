"""Audio encoders: samples → feature frames at 100 Hz (one every 10 ms).

Every encoder is an :class:`AudioEncoder`: ``forward(samples [B, N],
sample_rate) -> [B, T_audio, out_dim]`` with ``T_audio = N // hop + 1``
(frame ``j`` is the audio at ``j / 100`` s; see :mod:`completion.features`).

- :class:`ConvMelEncoder` (default) — log-mel (80 bands) and a small stack of
  1-D convolutions, trained with the model. Its receptive field is local
  (±``layers * (kernel // 2)`` frames), so with ``norm="fixed"`` encoding a
  long file once and slicing it equals encoding the slices (away from the
  ends). ``norm="utterance"`` normalises each mel band by its mean and spread
  over the utterance (cepstral mean and variance normalisation), which
  removes the recording channel's fixed spectral colouring and most of the
  level difference (not all: quiet bins sit on the log floor): a model
  trained on synthetic speech then meets real recordings on a more equal footing.
- :class:`PretrainedSpeechEncoder` — a wav2vec 2.0 / HuBERT / WavLM model
  loaded with ``transformers`` **from a local folder only**
  (``local_files_only=True``; nothing is ever downloaded). Its 50 Hz
  output is interpolated to 100 Hz. ``transformers`` is an optional extra.
- :class:`WhisperEncoder` — Whisper tiny.en's encoder (CTranslate2, frozen,
  from the ``asr`` extra's pinned weights, see :mod:`phoneme.whisper`) and a
  small trainable projection. Its 50 Hz states are interpolated to 100 Hz.

Examples
--------
>>> import torch
>>> from completion.encoders import ConvMelEncoder
>>> enc = ConvMelEncoder(out_dim=64)
>>> enc(torch.zeros(2, 16000), 16000).shape
torch.Size([2, 101, 64])
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from phoneme.errors import AudioError, BackendUnavailableError, CheckpointError

from .features import FEATURE_RATE, frames_for, hop_for, log_mel

__all__ = ["AudioEncoder", "ConvMelEncoder", "PretrainedSpeechEncoder", "WhisperEncoder"]

log = logging.getLogger(__name__)

# Fixed input scaling of the log-mel (natural log, floor 1e-5): speech sits around -9 ± 3.
_MEL_SHIFT = 7.0
_MEL_SCALE = 3.0


class AudioEncoder(nn.Module):
    """Interface: ``forward(samples [B, N], sample_rate) -> Tensor [B, T_audio, out_dim]`` at 100 Hz.

    Attributes
    ----------
    out_dim : int
        Feature size ``D`` of each frame.
    frame_rate : float
        Frames per second of the output (always 100).
    """

    out_dim: int
    frame_rate: float = FEATURE_RATE

    def n_frames(self, n_samples: int, sample_rate: int) -> int:
        """Frames the encoder returns for ``n_samples`` at ``sample_rate``."""
        return frames_for(n_samples, hop_for(sample_rate))

    def forward(self, samples: torch.Tensor, sample_rate: int,
                lengths: torch.Tensor | None = None) -> torch.Tensor:  # pragma: no cover
        """``lengths [B]``: real samples per row (the rest is padding), when the encoder needs them."""
        raise NotImplementedError


def _check_samples(samples: torch.Tensor) -> torch.Tensor:
    if samples.ndim == 1:
        samples = samples[None]
    if samples.ndim != 2 or samples.shape[-1] == 0:
        raise AudioError(f"an audio encoder needs samples shaped [B, N] with N > 0, got {tuple(samples.shape)}")
    return samples


def _normalize_bands(mel: torch.Tensor, n_real: torch.Tensor | None, floor: float = 0.5) -> torch.Tensor:
    """Each band of ``mel [B, T, M]`` minus its mean over the real frames, over its standard deviation."""
    b, t, _ = mel.shape
    if n_real is None:
        w = mel.new_ones(b, t, 1)
    else:
        w = (torch.arange(t, device=mel.device)[None] < n_real[:, None]).to(mel.dtype)[..., None]
    count = w.sum(dim=1, keepdim=True).clamp(min=1)
    mean = (mel * w).sum(dim=1, keepdim=True) / count
    var = (((mel - mean) ** 2) * w).sum(dim=1, keepdim=True) / count
    return (mel - mean) / var.sqrt().clamp(min=floor)


class ConvMelEncoder(AudioEncoder):
    """Log-mel + 1-D convolutions (GELU, per-frame LayerNorm, residual), 100 Hz in and out.

    Parameters
    ----------
    n_mels : int, default 80
    channels : int, default 128
        Width of the hidden convolutions.
    out_dim : int, default 128
    layers : int, default 3
        Residual convolution blocks after the input projection.
    kernel : int, default 5
        Temporal kernel (odd); receptive field ±``layers * (kernel // 2) + kernel // 2`` frames.
    norm : {"fixed", "utterance"}, default "fixed"
        Log-mel input scaling: a fixed shift and scale, or each band's mean and
        standard deviation over the utterance's real frames (floor 0.5 nats).
    """

    def __init__(self, n_mels: int = 80, channels: int = 128, out_dim: int = 128, layers: int = 3,
                 kernel: int = 5, norm: str = "fixed") -> None:
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError("kernel must be odd")
        if norm not in ("fixed", "utterance"):
            raise ValueError(f"norm must be 'fixed' or 'utterance', got {norm!r}")
        self.norm = norm
        self.n_mels = n_mels
        self.out_dim = out_dim
        self.inp = nn.Conv1d(n_mels, channels, kernel, padding=kernel // 2)
        self.blocks = nn.ModuleList(nn.Conv1d(channels, channels, kernel, padding=kernel // 2)
                                    for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(channels) for _ in range(layers))
        self.out = nn.Linear(channels, out_dim)

    def forward(self, samples: torch.Tensor, sample_rate: int, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = _check_samples(samples)
        hop = hop_for(sample_rate)
        mel = log_mel(x, sample_rate, n_mels=self.n_mels, hop_length=hop, n_fft=int(round(0.025 * sample_rate)))
        if self.norm == "utterance":
            mel = _normalize_bands(mel, None if lengths is None else
                                   torch.as_tensor([frames_for(int(n), hop) for n in lengths], device=mel.device))
        else:
            mel = (mel + _MEL_SHIFT) / _MEL_SCALE
        h = mel.to(self.inp.weight.dtype).transpose(1, 2)  # [B, M, T]
        h = F.gelu(self.inp(h))
        for conv, norm in zip(self.blocks, self.norms):
            h = h + F.gelu(norm(conv(h).transpose(1, 2)).transpose(1, 2))
        return self.out(h.transpose(1, 2))


class PretrainedSpeechEncoder(AudioEncoder):
    """A pretrained self-supervised speech model (wav2vec 2.0, HuBERT, WavLM) from a local folder.

    Use :meth:`from_local_path`. The backbone is frozen by default; its
    last hidden state (or ``layer``) is interpolated from 50 Hz to 100 Hz.
    Input is normalised per utterance (zero mean, unit variance), as the
    models' feature extractors do. Audio must be 16 kHz.

    Examples
    --------
    >>> enc = PretrainedSpeechEncoder.from_local_path("/path/to/wav2vec2-base")  # doctest: +SKIP
    >>> enc.out_dim  # doctest: +SKIP
    768
    """

    def __init__(self, backbone: nn.Module, *, path: str, layer: int | None = None,
                 trainable: bool = False) -> None:
        super().__init__()
        self.backbone = backbone
        self.path = path
        self.layer = layer
        self.trainable = trainable
        self.out_dim = int(backbone.config.hidden_size)
        self.sample_rate = 16000
        if not trainable:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def train(self, mode: bool = True) -> PretrainedSpeechEncoder:
        super().train(mode)
        if not self.trainable:
            self.backbone.eval()
        return self

    @classmethod
    def from_local_path(cls, path: str | os.PathLike, *, layer: int | None = None,
                        trainable: bool = False) -> PretrainedSpeechEncoder:
        """Load a ``transformers`` speech model saved with ``save_pretrained`` in ``path``.

        Parameters
        ----------
        path : str or PathLike
            A local folder with ``config.json`` and the weights. Never a hub id:
            nothing is downloaded.
        layer : int, optional
            Hidden layer to use (default: the last).
        trainable : bool, default False
            Fine-tune the backbone with the rest of the model.

        Raises
        ------
        BackendUnavailableError
            ``transformers`` is not installed.
        CheckpointError
            The folder is missing, has no ``config.json``, or cannot be loaded.
        """
        folder = Path(path)
        if not folder.is_dir() or not (folder / "config.json").is_file():
            raise CheckpointError(
                f"no pretrained speech model at {folder} (expected a folder with config.json and "
                "weights, written by save_pretrained); encoders load from a local path only, "
                "never from the hub")
        try:
            import transformers
        except ImportError:
            raise BackendUnavailableError(
                "the pretrained speech encoder needs the optional 'transformers' package "
                "(pip install transformers); or use the default ConvMelEncoder") from None
        hf_logging = transformers.utils.logging
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # the library logs; it does not draw progress bars
        try:
            backbone = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True)
        except Exception as exc:  # transformers/safetensors raise many types for a broken folder
            raise CheckpointError(f"cannot load the pretrained speech model in {folder}: "
                                  f"{type(exc).__name__}: {exc}") from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        if not hasattr(backbone.config, "hidden_size"):
            raise CheckpointError(f"{folder} is not a speech encoder with a hidden_size "
                                  f"(model type {backbone.config.model_type!r})")
        log.info("loaded pretrained speech encoder %s from %s", backbone.config.model_type, folder)
        return cls(backbone, path=str(folder), layer=layer, trainable=trainable)

    def forward(self, samples: torch.Tensor, sample_rate: int, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = _check_samples(samples).to(torch.float32)
        if int(sample_rate) != self.sample_rate:
            raise AudioError(f"the pretrained speech encoder needs 16000 Hz audio, got {sample_rate} Hz; "
                             "resample first (completion.features.resample)")
        n_out = frames_for(x.shape[-1], hop_for(sample_rate))
        x = (x - x.mean(dim=-1, keepdim=True)) / torch.sqrt(x.var(dim=-1, keepdim=True) + 1e-7)
        want_hidden = self.layer is not None
        with torch.set_grad_enabled(self.trainable and torch.is_grad_enabled()):
            out = self.backbone(x, output_hidden_states=want_hidden)
        h = out.hidden_states[self.layer] if want_hidden else out.last_hidden_state  # [B, T50, D]
        # Frame k of the backbone covers ~[20k, 20k + 25] ms: centre at 20k + 12.5 ms. Sample at j*10 ms.
        return _resample_frames(h, n_out, src_rate=50.0, src_offset=0.0125, dst_rate=FEATURE_RATE)


class WhisperEncoder(AudioEncoder):
    """Whisper's encoder states (frozen, CTranslate2 on the CPU) and a trainable projection, 100 Hz out.

    Each row is cut into windows of at most 30 s (Whisper's context), turned
    into Whisper's log-mel by faster-whisper's feature extractor, encoded
    without padding to 30 s (a 6 s window costs a fifth of a padded one), and
    its 50 Hz states (frame ``k`` centred at ``20 k`` ms) are interpolated to
    100 Hz. Then: LayerNorm, a linear layer to ``channels``, one residual
    1-D convolution (GELU, LayerNorm) and a linear layer to ``out_dim``. No
    gradient reaches Whisper; a checkpoint stores only the projection. Audio
    must be 16 kHz.

    Parameters
    ----------
    name : str, default "tiny.en"
        A model of :mod:`phoneme.whisper` (its pinned, hash-checked weights).
    out_dim, channels, kernel : int
        Output size, hidden width and the convolution's (odd) temporal kernel.

    Raises
    ------
    BackendUnavailableError
        The ``asr`` extra is not installed.

    Examples
    --------
    >>> import torch
    >>> enc = WhisperEncoder(out_dim=32)  # doctest: +SKIP
    >>> enc(torch.zeros(1, 16000), 16000).shape  # doctest: +SKIP
    torch.Size([1, 101, 32])
    """

    _WINDOW_FRAMES = 3000  # 30 s of 10 ms mel frames
    sample_rate = 16000

    def __init__(self, name: str = "tiny.en", out_dim: int = 128, channels: int = 128, kernel: int = 5) -> None:
        super().__init__()
        self.name = name
        self._threads = max(1, torch.get_num_threads())
        width = int(self._encode(torch.zeros(1, 1600)).shape[-1])  # 384 for tiny
        self.out_dim = out_dim
        self.norm_in = nn.LayerNorm(width)
        self.inp = nn.Linear(width, channels)
        self.conv = nn.Conv1d(channels, channels, kernel, padding=kernel // 2)
        self.norm = nn.LayerNorm(channels)
        self.out = nn.Linear(channels, out_dim)

    @property
    def _whisper(self) -> Any:
        """The frozen CTranslate2 model, from :func:`phoneme.whisper.load_model`'s cache: not an attribute,
        so the module deep-copies and pickles (the fine-tune copies the model) and copies share one model."""
        from phoneme.whisper import load_model

        return load_model(self.name, compute_type="float32", threads=self._threads)

    @torch.no_grad()
    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        """Whisper states ``[B, ceil(N / 320), width]`` of 16 kHz rows ``x [B, N]`` (CPU, float32)."""
        whisper = self._whisper  # first: without the asr extra this is the BackendUnavailableError
        import ctranslate2

        rows = x.detach().to("cpu", torch.float32).numpy()
        mels = np.stack([whisper.feature_extractor(r, padding=0) for r in rows])  # [B, 80, N // 160]
        states = []
        for start in range(0, mels.shape[-1], self._WINDOW_FRAMES):
            chunk = np.ascontiguousarray(mels[..., start:start + self._WINDOW_FRAMES], np.float32)
            out = whisper.model.encode(ctranslate2.StorageView.from_array(chunk), to_cpu=True)
            states.append(torch.from_numpy(np.array(out)))
        return torch.cat(states, dim=1)

    def states(self, samples: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """Whisper's frozen encoder states ``[B, T_audio, width]`` at 100 Hz (before the projection)."""
        x = _check_samples(samples)
        if int(sample_rate) != self.sample_rate:
            raise AudioError(f"the Whisper encoder needs 16000 Hz audio, got {sample_rate} Hz; "
                             "resample first (completion.features.resample)")
        h = self._encode(x).to(device=x.device, dtype=self.inp.weight.dtype)
        return _resample_frames(h, frames_for(x.shape[-1], hop_for(sample_rate)), src_rate=50.0,
                                src_offset=0.0, dst_rate=FEATURE_RATE)

    def forward(self, samples: torch.Tensor, sample_rate: int, lengths: torch.Tensor | None = None) -> torch.Tensor:
        h = self.inp(self.norm_in(self.states(samples, sample_rate)))
        h = h + F.gelu(self.norm(self.conv(h.transpose(1, 2)).transpose(1, 2)))
        return self.out(h)


def _resample_frames(h: torch.Tensor, n_out: int, *, src_rate: float, src_offset: float,
                     dst_rate: float) -> torch.Tensor:
    """Linear interpolation of frames ``h [B, S, D]`` (frame k at ``src_offset + k/src_rate`` s) to
    ``n_out`` frames at ``j / dst_rate`` s (edges held)."""
    s = h.shape[1]
    t = torch.arange(n_out, device=h.device, dtype=torch.float32) / dst_rate
    pos = ((t - src_offset) * src_rate).clamp(0, max(s - 1, 0))
    lo = pos.floor().long().clamp(max=max(s - 1, 0))
    hi = (lo + 1).clamp(max=max(s - 1, 0))
    frac = (pos - lo.to(pos.dtype)).to(h.dtype)[None, :, None]
    return h[:, lo] * (1 - frac) + h[:, hi] * frac
