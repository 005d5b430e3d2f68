"""Training configuration files: JSON (always), TOML (Python ≥ 3.11) or YAML (when PyYAML is installed).

A config has four sections besides ``seed``; every key is optional and
defaults to the dataclass fields below::

    {"format_version": 1, "seed": 0,
     "model": {...KMTalkConfig fields (d_model, n_layers, ...)...},
     "data":  {"batch_size": 8, "max_seconds": 8.0, "pca_dim": 64, ...},
     "loss":  {"min_keep": 0.3, "teacher_prob": 0.5, ...},
     "optim": {"lr": 1e-3, "max_epochs": 20, ...}}

Bundled configs live in ``assets/configs/`` and are found by name
(``"default"``, ``"tiny"``).

Examples
--------
>>> from completion.training.config import TrainConfig
>>> cfg = TrainConfig.from_dict({"seed": 3, "optim": {"lr": 0.002}})
>>> cfg.seed, cfg.optim.lr, cfg.optim.max_epochs
(3, 0.002, 20)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from phoneme.assets import assets_dir
from phoneme.errors import KmtalkError

__all__ = ["FORMAT_VERSION", "DataConfig", "LossConfig", "OptimConfig", "TrainConfig"]

FORMAT_VERSION = 1


@dataclass
class DataConfig:
    """How a dataset folder becomes batches.

    Parameters
    ----------
    layout : str, default "auto"
        ``auto``, ``synthetic``, ``faceformer`` or ``livelink``.
    dataset : str, optional
        ``vocaset`` or ``biwi`` for the FaceFormer layout (default: guessed from the file names).
    fps : float, optional
        Frame rate of the targets (default: the model's ``fps``; VOCASET 30, BIWI 25).
    batch_size : int, default 8
    max_seconds : float, default 8
        Longer training utterances are cropped to a random window of this length.
    num_workers : int, default 0
    pca_dim : int, default 64
        Components of the vertex-PCA space (mesh datasets).
    pca_frames : int, default 4000
        Training frames (evenly strided) the PCA is fitted on.
    limit_train, limit_val : int, optional
        Use only the first N utterances of a split (quick runs).
    augment : dict, optional
        Training-audio augmentation: ``{"gain_db": 6, "noise_snr_db": [10, 40],
        "audio_dropout": 0.1}`` (see :class:`~completion.training.datamodule.EncodedItems`).
    """

    layout: str = "auto"
    dataset: str | None = None
    fps: float | None = None
    batch_size: int = 8
    max_seconds: float = 8.0
    num_workers: int = 0
    pca_dim: int = 64
    pca_frames: int = 4000
    limit_train: int | None = None
    limit_val: int | None = None
    augment: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.augment is not None:
            unknown = sorted(set(self.augment) - {"gain_db", "noise_snr_db", "audio_dropout"})
            if unknown:
                raise KmtalkError(f"data.augment has unknown key(s) {unknown}; "
                                  "known: gain_db, noise_snr_db, audio_dropout")


@dataclass
class LossConfig:
    """Arguments of :meth:`completion.model.KMTalkModel.losses` (see it for their meaning)."""

    min_keep: float = 0.3
    max_keep: float = 1.0
    teacher_prob: float = 0.5
    lock_prob: float = 0.02
    partial_prob: float = 0.3
    key_weight: float = 1.0
    velocity_weight: float = 1.0


@dataclass
class OptimConfig:
    """Optimiser, schedule and trainer settings.

    AdamW with a linear warm-up over ``warmup_steps`` then cosine decay to
    ``min_lr_ratio × lr`` at the last step.
    """

    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0
    max_epochs: int = 20
    max_steps: int = -1
    val_every: int = 1
    log_every: int = 10
    precision: str = "32-true"
    limit_train_batches: int | float | None = None


def _section(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise KmtalkError(f"config section {where!r} must be an object")
    known = {f.name for f in fields(cls)}
    extra = sorted(set(data) - known - {"description"})
    if extra:
        raise KmtalkError(f"config section {where!r} has unknown key(s) {extra}; known: {sorted(known)}")
    return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class TrainConfig:
    """A whole training configuration (see the module docstring).

    Attributes
    ----------
    seed : int
    model : dict
        Overrides of :class:`completion.model.KMTalkConfig` fields (the motion
        space and ``fps`` are filled in from the data).
    data : DataConfig
    loss : LossConfig
    optim : OptimConfig
    description : str
    source : str
        Where it was loaded from.
    """

    seed: int = 0
    model: dict[str, Any] = field(default_factory=dict)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    description: str = ""
    source: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> TrainConfig:
        """Build from a parsed config file.

        Raises
        ------
        KmtalkError
            Unknown sections or keys, or an unsupported ``format_version``.
        """
        if not isinstance(data, Mapping):
            raise KmtalkError(f"{source}: a training config must be an object")
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise KmtalkError(f"{source}: config format_version {version!r} is not supported "
                              f"(this kmtalk reads {FORMAT_VERSION})")
        extra = sorted(set(data) - {"format_version", "seed", "model", "data", "loss", "optim", "description"})
        if extra:
            raise KmtalkError(f"{source}: unknown config section(s) {extra}")
        model = data.get("model") or {}
        if not isinstance(model, Mapping):
            raise KmtalkError(f"{source}: config section 'model' must be an object")
        try:
            return cls(seed=int(data.get("seed", 0)), model={k: v for k, v in model.items() if k != "description"},
                       data=_section(DataConfig, data.get("data"), "data"),
                       loss=_section(LossConfig, data.get("loss"), "loss"),
                       optim=_section(OptimConfig, data.get("optim"), "optim"),
                       description=str(data.get("description", "")), source=source)
        except KmtalkError as exc:
            raise KmtalkError(f"{source}: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrainConfig:
        """Read a config file (``.json``, ``.toml``, ``.yaml``/``.yml``) or a bundled config by name.

        Raises
        ------
        KmtalkError
            Missing or unparsable file, or invalid contents.
        """
        p = Path(path)
        if not p.suffix and not p.exists():
            p = assets_dir() / "configs" / f"{p.name}.json"
        if not p.is_file():
            bundled = sorted(q.stem for q in (assets_dir() / "configs").glob("*.json"))
            raise KmtalkError(f"training config {path} not found (bundled configs: {', '.join(bundled)})")
        try:
            text = p.read_text("utf-8")
            suffix = p.suffix.lower()
            if suffix == ".toml":
                import tomllib

                data = tomllib.loads(text)
            elif suffix in (".yaml", ".yml"):
                try:
                    import yaml
                except ImportError:
                    raise KmtalkError(f"{p}: reading YAML configs needs PyYAML (pip install pyyaml); "
                                      "or use JSON") from None
                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except KmtalkError:
            raise
        except ImportError:
            raise KmtalkError(f"{p}: TOML configs need Python >= 3.11; use JSON") from None
        except Exception as exc:  # noqa: BLE001 - JSON/TOML/YAML syntax errors share no base class
            raise KmtalkError(f"cannot parse training config {p}: {exc}") from None
        return cls.from_dict(data, source=str(p))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (what :meth:`from_dict` reads)."""
        return {"format_version": FORMAT_VERSION, "description": self.description, "seed": self.seed,
                "model": dict(self.model), "data": asdict(self.data), "loss": asdict(self.loss),
                "optim": asdict(self.optim)}
