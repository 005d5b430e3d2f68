"""``kmtalk train``: train the key-motion network and completion transformer on a dataset folder.

Examples
--------
``kmtalk train --config tiny --data corpus/ --out runs/tiny``
· ``kmtalk train --config assets/configs/default.json --data corpus/ --out runs/a --device auto``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import emit

__all__ = ["add_parser", "run"]

HELP = "train the learned models (key-motion network + completion transformer)"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk train`` on the top-level sub-parsers."""
    p = subparsers.add_parser(
        "train", help=HELP,
        description=(
            "Train KMTalk's key-motion network and completion transformer with PyTorch Lightning. "
            "DATA is a synthetic corpus (python -m kmtalk.train.corpus.synthetic), VOCASET/BIWI in the "
            "FaceFormer layout (vertices_npy/, wav/, templates.pkl) or Live Link Face takes "
            "(NAME.csv + NAME.wav). The run folder gets safetensors checkpoints (checkpoint/ = best "
            "on validation, last/), metrics.csv, training_curve.png and summary.json. See docs/training.md."
        ),
        epilog="example: kmtalk train --config tiny --data corpus/ --out runs/tiny",
    )
    p.add_argument("--config", required=True,
                   help="training config: a .json/.toml/.yaml file or a bundled name (default, tiny)")
    p.add_argument("--data", required=True, type=Path, help="dataset folder")
    p.add_argument("--out", required=True, type=Path, help="run folder to write")
    p.add_argument("--max-epochs", type=int, help="override the config's optim.max_epochs")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps (alone, it replaces the epoch limit)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto: the GPU when torch sees one, else the CPU (default)")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--init", type=Path, metavar="CHECKPOINT",
                   help="start from this checkpoint's weights (fine-tuning; same sizes as the config)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from completion.training import TrainConfig, train

    from ..io.exporters.livelink import read_livelink_csv

    config = TrainConfig.load(args.config)
    if args.seed is not None:
        config.seed = int(args.seed)
    result = train(config, args.data, args.out, max_epochs=args.max_epochs, max_steps=args.max_steps,
                   device=args.device, reader=read_livelink_csv, progress=args.progress, init=args.init,
                   metadata={"command": "kmtalk " + " ".join(sys.argv[1:]) if sys.argv else "",
                             "config": config.source})
    s = result.summary
    lines = [
        (f"trained {s['parameters']:,} parameters on {s['train_utterances']} utterances "
         f"({s['layout']}, {s['motion_space']['kind']} space) for {s['epochs']} epochs / {s['steps']} steps "
         f"in {s['seconds']:.0f} s on {s['device']}"),
        f"train loss: first step {s['first_train_loss_step']:.4g}, last epoch {s['final_train_loss_epoch']:.4g}"
        if s["first_train_loss_step"] is not None and s["final_train_loss_epoch"] is not None else "train loss: n/a",
        f"best val frame MSE (inference conditions): {s['best_val_frame']:.4g} (epoch {s['best_epoch']})"
        if s["best_val_frame"] is not None else "no validation split",
        f"checkpoint: {result.checkpoint}",
    ]
    if s.get("plot"):
        lines.append(f"training curve: {s['plot']}")
    emit(args, {**s, "run_dir": str(result.run_dir), "checkpoint": str(result.checkpoint)}, "\n".join(lines))
    return 0
