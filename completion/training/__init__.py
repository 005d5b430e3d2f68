"""Training the KMTalk models with PyTorch Lightning: configs, data module, LightningModule, runs.

- :class:`TrainConfig` — a config file (``assets/configs/*.json``; TOML/YAML too).
- :class:`KMTalkDataModule` — any dataset folder (:func:`completion.data.open_dataset`)
  encoded into the motion space (ARKit, or a vertex PCA fitted on the train split).
- :class:`LitKMTalk` — the LightningModule: key loss + masked-infilling loss + velocity loss
  (:meth:`completion.model.KMTalkModel.losses`).
- :func:`train` — one run: seeds, trainer, CSV log, training-curve PNG, safetensors checkpoints.

Examples
--------
>>> from completion.training import TrainConfig
>>> cfg = TrainConfig.load("tiny")
>>> cfg.data.batch_size > 0
True
"""

from .config import DataConfig, LossConfig, OptimConfig, TrainConfig
from .datamodule import KMTalkDataModule, collate_items
from .lit import LitKMTalk
from .run import TrainResult, train

__all__ = [
           "DataConfig",
           "KMTalkDataModule",
           "LitKMTalk",
           "LossConfig",
           "OptimConfig",
           "TrainConfig",
           "TrainResult",
           "collate_items",
           "train",
]
