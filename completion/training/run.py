"""One training run: seeds, data, model, Lightning trainer, logs, plot and checkpoints.

A run folder holds::

    RUN/checkpoint/        best weights by ``val/frame`` (safetensors + config.json); the last
                           epoch's when there is no validation split
    RUN/last/              weights after the last step
    RUN/metrics.csv        Lightning's CSV log (train/loss per step and epoch, val/* per epoch)
    RUN/training_curve.png the curves (matplotlib, when installed)
    RUN/train_config.json  the resolved configuration
    RUN/summary.json       data, steps, time, final and best losses

Runs are reproducible on CPU: :func:`pytorch_lightning.seed_everything` with
the config's seed, ``deterministic=True``, single-process data loading by default.

Examples
--------
>>> from completion.training.run import TrainResult
>>> TrainResult.__dataclass_fields__.keys() >= {"run_dir", "checkpoint", "best_val"}
True
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from phoneme.errors import KmtalkError

from ..checkpoint import save_checkpoint
from ..keynet import KeyVocab
from ..model import KMTalkConfig, KMTalkModel
from .config import TrainConfig
from .datamodule import KMTalkDataModule
from .lit import LitKMTalk

__all__ = ["TrainResult", "plot_training_curve", "read_metrics", "train"]

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    run_dir : Path
    checkpoint : Path
        The checkpoint to use (best on validation, else the last).
    last : Path
    best_val : float or None
        Best ``val/frame`` (inference-condition frame MSE in motion-space units).
    final_train_loss : float or None
        Mean training loss of the last epoch.
    steps, epochs : int
    seconds : float
    summary : dict
    """

    run_dir: Path
    checkpoint: Path
    last: Path
    best_val: float | None
    final_train_loss: float | None
    steps: int
    epochs: int
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)


class _SaveBest(pl.Callback):
    """Save the model (safetensors) whenever ``val/frame`` improves."""

    def __init__(self, folder: Path, metadata: dict[str, Any]) -> None:
        self.folder = folder
        self.metadata = metadata
        self.best: float | None = None
        self.best_epoch: int | None = None

    def on_validation_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get("val/frame")
        if value is None:
            return
        v = float(value)
        if math.isfinite(v) and (self.best is None or v < self.best):
            self.best, self.best_epoch = v, trainer.current_epoch
            save_checkpoint(module.model, self.folder,
                            metadata={**self.metadata, "epoch": trainer.current_epoch,
                                      "step": trainer.global_step, "val_frame": v})


def _load_init(model: KMTalkModel, init: str | os.PathLike[str]) -> None:
    """Copy a checkpoint's weights into ``model``; a checkpoint of another shape is refused."""
    from ..checkpoint import load_checkpoint

    src = load_checkpoint(init)
    if src.space.config() != model.space.config():
        raise KmtalkError(f"--init {init}: its motion space {src.space.config()} differs from the data's "
                          f"{model.space.config()}")
    theirs, ours = src.state_dict(), model.state_dict()
    wrong = sorted(k for k in ours if k not in theirs or theirs[k].shape != ours[k].shape)
    extra = sorted(k for k in theirs if k not in ours)
    if wrong or extra:
        raise KmtalkError(f"--init {init}: its network has other sizes than the config's "
                          f"({len(wrong)} tensors differ or are missing, {len(extra)} extra, e.g. "
                          f"{(wrong + extra)[:3]}); train with the config it was trained with")
    model.load_state_dict(theirs)
    log.info("starting from the weights of %s", init)


def _accelerator(device: str) -> str:
    if device == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if device in ("cuda", "gpu"):
        if not torch.cuda.is_available():
            raise KmtalkError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu or auto")
        return "gpu"
    if device == "cpu":
        return "cpu"
    raise KmtalkError(f"device must be auto, cpu or cuda, got {device!r}")


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, float]]:
    """Rows of a Lightning ``metrics.csv`` as dicts of floats (empty cells left out)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.append({k: float(v) for k, v in row.items() if v not in ("", None)})
    return rows


def plot_training_curve(metrics_csv: str | os.PathLike[str], out_png: str | os.PathLike[str], *,
                        title: str = "") -> Path | None:
    """Plot train loss (per step, and per epoch) and validation losses against steps to a PNG.

    Returns the PNG's path, or None when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed: no training-curve plot (pip install matplotlib)")
        return None
    rows = read_metrics(metrics_csv)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    series = [("train/loss_step", "train loss (step)", {"alpha": 0.35, "lw": 0.8}),
              ("train/loss_epoch", "train loss (epoch mean)", {"lw": 1.6, "marker": "o", "ms": 3}),
              ("val/loss", "val loss (training objective)", {"lw": 1.6, "marker": "s", "ms": 3}),
              ("val/frame", "val frame MSE (inference)", {"lw": 1.6, "marker": "^", "ms": 3}),
              ("val/frame_nokeys", "val frame MSE (no keys known)", {"lw": 1.0, "ls": "--", "marker": "v", "ms": 3})]
    for key, label, style in series:
        pts = [(r["step"], r[key]) for r in rows if key in r and "step" in r]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=label, **style)
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (motion-space units)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    out = Path(out_png)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, out)
    return out


def train(
    config: TrainConfig,
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    max_epochs: int | None = None,
    max_steps: int | None = None,
    device: str = "auto",
    reader: Callable[[Path], Any] | None = None,
    progress: bool = False,
    metadata: dict[str, Any] | None = None,
    init: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """Train a KMTalk model on a dataset folder and write a run folder (see the module docstring).

    Parameters
    ----------
    config : TrainConfig
    data : path
        A synthetic corpus, a FaceFormer-layout VOCASET/BIWI folder or Live Link takes.
    out : path
        The run folder (created).
    max_epochs, max_steps : int, optional
        Override the config's; ``max_steps`` alone also lifts the config's epoch limit.
    device : {"auto", "cpu", "cuda"}
    reader : callable, optional
        Live Link CSV reader (``kmtalk train`` passes kmtalk's).
    progress : bool
        Show Lightning's progress bar.
    metadata : dict, optional
        Stored in the checkpoints (e.g. the command line).
    init : path, optional
        A checkpoint to start from (fine-tuning, e.g. a model trained on the
        synthetic corpus before real captures). Its sizes and motion space must
        match the config's; the config's sizes are taken from it when the
        config leaves them unset.

    Returns
    -------
    TrainResult

    Raises
    ------
    KmtalkError
        Unusable data, device or config.
    """
    t0 = time.perf_counter()
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    accelerator = _accelerator(device)
    pl.seed_everything(config.seed, workers=True, verbose=False)
    base = KMTalkConfig(**{k: v for k, v in config.model.items() if k not in ("motion", "vocab")})
    dm = KMTalkDataModule(data, config.data, fps=base.fps, seed=config.seed,
                          vocab=KeyVocab.from_dict(base.vocab), style_names=base.style_names,
                          style_defaults=base.style_defaults, reader=reader, cache_dir=run / "alignments")
    dm.setup("fit")
    assert dm.space is not None and dm.fps is not None
    try:
        model_cfg = KMTalkConfig(**{**config.model, "motion": dm.space.config(), "fps": dm.fps})
        model = KMTalkModel(model_cfg, space=dm.space)
    except (TypeError, ValueError) as exc:
        raise KmtalkError(f"{config.source or 'config'}: invalid model settings: {exc}") from None
    if init is not None:
        _load_init(model, init)
    lit = LitKMTalk(model, config.loss, config.optim)
    resolved = config.to_dict()
    resolved["model"] = {k: v for k, v in model_cfg.to_dict().items() if k != "vocab"}
    tmp = run / ".train_config.json.tmp"
    tmp.write_text(json.dumps(resolved, indent=1), "utf-8")
    os.replace(tmp, run / "train_config.json")
    meta = {"data": str(data), "layout": dm.layout, "train_config": resolved,
            **({"init": str(init)} if init is not None else {}), **(metadata or {})}
    best = _SaveBest(run / "checkpoint", meta)
    logger = pl.loggers.CSVLogger(str(run), name="", version="")
    steps = max_steps if max_steps is not None else config.optim.max_steps
    # a step limit given alone replaces the config's epoch limit
    epochs = max_epochs if max_epochs is not None else (-1 if max_steps is not None else config.optim.max_epochs)
    trainer = pl.Trainer(
        accelerator=accelerator, devices=1, max_epochs=epochs, max_steps=steps,
        gradient_clip_val=config.optim.grad_clip or None, deterministic=True, logger=logger,
        enable_checkpointing=False, enable_progress_bar=progress, enable_model_summary=False,
        log_every_n_steps=max(1, config.optim.log_every), check_val_every_n_epoch=config.optim.val_every,
        num_sanity_val_steps=0, precision=config.optim.precision,
        limit_train_batches=config.optim.limit_train_batches, callbacks=[best],
    )
    log.info("training %d parameters on %s for up to %d epochs (%s)", model.n_parameters(), data, epochs,
             accelerator)
    trainer.fit(lit, datamodule=dm)
    model.eval()
    last = save_checkpoint(model, run / "last", metadata={**meta, "epoch": trainer.current_epoch,
                                                          "step": trainer.global_step})
    if best.best is None:
        save_checkpoint(model, run / "checkpoint", metadata={**meta, "epoch": trainer.current_epoch,
                                                             "step": trainer.global_step})
    metrics_csv = run / "metrics.csv"
    rows = read_metrics(metrics_csv) if metrics_csv.is_file() else []
    epoch_losses = [r["train/loss_epoch"] for r in rows if "train/loss_epoch" in r]
    first_steps = [r["train/loss_step"] for r in rows if "train/loss_step" in r]
    png = plot_training_curve(metrics_csv, run / "training_curve.png",
                              title=f"{Path(data).name}: {model.n_parameters():,} parameters") if rows else None
    seconds = time.perf_counter() - t0
    summary = {
        "data": str(data), "layout": dm.layout, "fps": dm.fps, "motion_space": dm.space.config(),
        "train_utterances": len(dm.raw["train"]), "val_utterances": len(dm.raw["val"]),
        "parameters": model.n_parameters(), "epochs": trainer.current_epoch, "steps": trainer.global_step,
        "seconds": round(seconds, 1), "device": accelerator, "init": str(init) if init is not None else None,
        "first_train_loss_step": first_steps[0] if first_steps else None,
        "final_train_loss_epoch": epoch_losses[-1] if epoch_losses else None,
        "best_val_frame": best.best, "best_epoch": best.best_epoch,
        "plot": str(png) if png else None,
    }
    tmp = run / ".summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=1), "utf-8")
    os.replace(tmp, run / "summary.json")
    return TrainResult(run_dir=run, checkpoint=run / "checkpoint", last=last, best_val=best.best,
                       final_train_loss=summary["final_train_loss_epoch"], steps=trainer.global_step,
                       epochs=trainer.current_epoch, seconds=seconds, summary=summary)
