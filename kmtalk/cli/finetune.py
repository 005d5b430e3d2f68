"""``kmtalk finetune``: fine-tune a trained model on talking-head videos (real lip motion).

Examples
--------
``kmtalk finetune --checkpoint runs/b --videos ../shared/data/video-dev --out runs/b-video``
· ``kmtalk finetune --checkpoint runs/b --videos my_takes/ --out runs/mine --steps 30 --exclude take_07``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .common import emit

__all__ = ["add_parser", "run"]

HELP = "fine-tune a trained model so its lips follow tracked talking-head videos"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk finetune`` on the top-level sub-parsers."""
    p = subparsers.add_parser(
        "finetune", help=HELP,
        description=(
            "Fine-tune a trained ARKit model (kmtalk train) on talking-head videos: each NAME.wav with "
            "NAME.landmarks.npz (MediaPipe FaceMesh landmarks with 'aperture' and 'fps', the layout of "
            "../shared/data/video-dev) and a transcript (NAME.txt or transcripts_asr.tsv; else the speech "
            "is recognised). The loss makes the rig's lip aperture correlate with the tracked one while "
            "keeping every channel near the original model's output. Writes a checkpoint folder "
            "(model.safetensors + config.json). See docs/training.md section 7."
        ),
        epilog="example: kmtalk finetune --checkpoint runs/b --videos ../shared/data/video-dev --out runs/b-video",
    )
    p.add_argument("--checkpoint", required=True, type=Path, help="run folder or checkpoint folder to start from")
    p.add_argument("--videos", required=True, type=Path, help="folder of NAME.wav + NAME.landmarks.npz clips")
    p.add_argument("--out", required=True, type=Path, help="checkpoint folder to write")
    p.add_argument("--steps", type=int, default=30, help="full-batch Adam steps (default 30)")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    p.add_argument("--anchor", type=float, default=1.0,
                   help="weight of staying near the original output (default 1.0; 0 = none)")
    p.add_argument("--exclude", nargs="*", default=[], metavar="NAME", help="clips to leave out (held out)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite an existing checkpoint in --out")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from completion.checkpoint import CONFIG_NAME, save_checkpoint

    from ..errors import CheckpointError
    from ..train.finetune import finetune_on_videos
    from .eval import load_model

    if (args.out / CONFIG_NAME).exists() and not args.force:
        raise CheckpointError(f"{args.out} already holds a checkpoint; pass --force to overwrite it")
    model, source = load_model(args.checkpoint)
    t0 = time.perf_counter()
    tuned, result = finetune_on_videos(model, args.videos, steps=args.steps, lr=args.lr, anchor=args.anchor,
                                       seed=args.seed, exclude=set(args.exclude))
    seconds = time.perf_counter() - t0
    try:  # keep the base run's record (data, command) beside the fine-tuning's
        meta = dict(json.loads((source / CONFIG_NAME).read_text("utf-8")).get("metadata") or {})
    except (OSError, ValueError, AttributeError):
        meta = {}
    info = {"command": "kmtalk " + " ".join(sys.argv[1:]) if sys.argv else "",
            "base_checkpoint": str(source), "videos": str(args.videos), "clips": sorted(result.train_r),
            "excluded": sorted(args.exclude), "steps": args.steps, "lr": args.lr, "anchor": args.anchor,
            "seed": args.seed, "train_r": {k: round(v, 4) for k, v in result.train_r.items()}}
    save_checkpoint(tuned, args.out, metadata={**meta, "finetune": info})
    first, last = (result.losses[0], result.losses[-1]) if result.losses else (None, None)
    lines = [f"fine-tuned on {len(result.train_r)} clips for {args.steps} steps in {seconds:.0f} s",
             f"loss: first step {first:.4g}, last step {last:.4g}" if first is not None else "loss: n/a (0 steps)",
             "fitted r (in-sample, not a quality estimate): "
             + ", ".join(f"{k} {v:.3f}" for k, v in sorted(result.train_r.items())),
             f"checkpoint: {args.out}"]
    emit(args, {**info, "seconds": round(seconds, 1), "losses": [round(x, 5) for x in result.losses],
                "checkpoint": str(args.out)}, "\n".join(lines))
    return 0
