"""The LightningModule: :class:`~completion.model.KMTalkModel` trained with its own objective.

Each training step calls :meth:`~completion.model.KMTalkModel.losses`: the key
network's MSE at the key frames, masked infilling (a random subset of keys
enters the completion transformer, with true or predicted values, plus random
editor-style locks) with the MSE over every frame, and the velocity MSE.

Validation logs per batch:

- ``val/loss`` — the same objective with a fixed random generator per batch
  (comparable across epochs);
- ``val/frame`` — the frame MSE under inference conditions: every key, with
  the key network's predicted values, no locks (what ``predict`` does);
- ``val/frame_nokeys`` — the same with no key known: how much the completion
  transformer relies on the keys (close to ``val/frame`` means it ignores them).

Examples
--------
>>> from completion.model import KMTalkConfig, KMTalkModel
>>> from completion.training.lit import LitKMTalk
>>> lit = LitKMTalk(KMTalkModel(KMTalkConfig.small()))
>>> lit.model.config.d_model
32
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import pytorch_lightning as pl
import torch

from ..model import KMTalkModel
from .config import LossConfig, OptimConfig

__all__ = ["LitKMTalk"]


class LitKMTalk(pl.LightningModule):
    """Wraps a :class:`KMTalkModel` for Lightning (see the module docstring).

    Parameters
    ----------
    model : KMTalkModel
    loss : LossConfig, optional
    optim : OptimConfig, optional
    """

    def __init__(self, model: KMTalkModel, loss: LossConfig | None = None, optim: OptimConfig | None = None) -> None:
        super().__init__()
        self.model = model
        self.loss_cfg = loss or LossConfig()
        self.optim_cfg = optim or OptimConfig()

    def _losses(self, batch: dict[str, Any], **overrides: Any) -> dict[str, torch.Tensor]:
        kwargs = {**asdict(self.loss_cfg), **overrides}
        return self.model.losses(batch["samples"], self.model.config.sample_rate, batch["keys"].to(self.device),
                                 batch["targets"], fps=batch["fps"], frame_mask=batch["frame_mask"],
                                 audio_lengths=batch["audio_lengths"], style=batch["style"], **kwargs)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        out = self._losses(batch)
        b = batch["targets"].shape[0]
        self.log("train/loss", out["loss"].detach(), on_step=True, on_epoch=True, batch_size=b)
        for k in ("frame", "velocity", "key"):
            self.log(f"train/{k}", out[k], on_step=False, on_epoch=True, batch_size=b)
        self.log("lr", self.optimizers().param_groups[0]["lr"], on_step=True, on_epoch=False, batch_size=b)
        return out["loss"]

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        b = batch["targets"].shape[0]
        gen = torch.Generator().manual_seed(10_000 + batch_idx)
        out = self._losses(batch, generator=gen)
        inf = self._losses(batch, min_keep=1.0, max_keep=1.0, teacher_prob=0.0, lock_prob=0.0)
        nokeys = self._losses(batch, min_keep=0.0, max_keep=0.0, teacher_prob=0.0, lock_prob=0.0)
        self.log("val/loss", out["loss"], on_epoch=True, batch_size=b)
        self.log("val/key", out["key"], on_epoch=True, batch_size=b)
        self.log("val/frame", inf["frame"], on_epoch=True, batch_size=b, prog_bar=True)
        self.log("val/frame_nokeys", nokeys["frame"], on_epoch=True, batch_size=b)

    def configure_optimizers(self) -> Any:
        cfg = self.optim_cfg
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            if not p.requires_grad:
                continue
            (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        warm = min(cfg.warmup_steps, max(total // 5, 1))

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            u = min((step - warm) / max(total - warm, 1), 1.0)
            return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * u))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
