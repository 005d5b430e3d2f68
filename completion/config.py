"""Every setting of a KMTalk model: :class:`KMTalkConfig` (JSON-serialisable, stored as ``config.json``).

Examples
--------
>>> from completion.config import KMTalkConfig
>>> cfg = KMTalkConfig.small()
>>> KMTalkConfig.from_dict(cfg.to_dict()) == cfg, cfg.motion_dim
(True, 52)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .keynet import KeyVocab

__all__ = ["KMTalkConfig"]


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
        ``"conv_mel"``, ``"pretrained"`` (then ``encoder_path`` is a local folder) or
        ``"whisper"`` (then ``encoder_path`` names a :mod:`phoneme.whisper` model, default
        ``"tiny.en"``; needs the ``asr`` extra).
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
        if self.encoder not in ("conv_mel", "pretrained", "whisper"):
            raise ValueError(f"encoder must be 'conv_mel', 'pretrained' or 'whisper', got {self.encoder!r}")
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
