"""``kmtalk eval``: measure a trained checkpoint on a dataset folder (and the prior beside it).

What is measured depends on the folder:

- **ARKit data** (synthetic corpus, Live Link takes): mean absolute error of
  the 52 weights and of the jaw/mouth channels against the targets
  (:func:`completion.metrics.arkit_error`), and the bilabial closure rate
  (:func:`kmtalk.train.metrics.closure_rate` on the default head at every p/b/m key
  frame); the same for the prior animator when the utterance has an alignment.
- **Mesh data** (VOCASET/BIWI, FaceFormer layout): LVE and FDD exactly as
  CodeTalker computes them (:mod:`completion.metrics`; they need the lip and
  upper-face vertex lists in ``regions/``) and the mean vertex error.
- **Talking-head videos** (``NAME.wav`` + ``NAME.landmarks.npz``, e.g.
  ``../shared/data/video-dev``): the lip-sync score (Pearson r of the rig's lip
  aperture against the tracked one) and closure rate for the learned model,
  the learned model with the prior's articulatory locks (closures, lip-teeth
  contacts) as locks, and the prior — all on the same alignment of
  ``transcripts_asr.tsv`` (or ``NAME.txt``).

Examples
--------
``kmtalk eval --checkpoint runs/a --data corpus/ --split test``
· ``kmtalk eval --checkpoint runs/a --data ../shared/data/video-dev --json``
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..train.videos import is_video_folder, load_clip, video_clips
from .common import emit

__all__ = ["add_parser", "evaluate_data", "evaluate_videos", "load_model", "run"]

log = logging.getLogger(__name__)

HELP = "measure a trained checkpoint (and the prior) on a dataset or on talking-head videos"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``kmtalk eval`` on the top-level sub-parsers."""
    p = subparsers.add_parser(
        "eval", help=HELP,
        description=HELP.capitalize() + ": ARKit error and closure rate (synthetic corpus, Live Link takes), "
                    "LVE/FDD (VOCASET/BIWI), lip-sync score (videos with tracked landmarks). See docs/training.md.",
        epilog="example: kmtalk eval --checkpoint runs/a --data corpus/ --split test",
    )
    p.add_argument("--checkpoint", required=True, type=Path,
                   help="a run folder from 'kmtalk train' (its checkpoint/) or a checkpoint folder")
    p.add_argument("--data", required=True, type=Path, help="dataset or video folder")
    p.add_argument("--split", default="test", help="split of a dataset (default test; val when test is empty)")
    p.add_argument("--limit", type=int, help="evaluate only the first N utterances")
    p.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"), help="default cpu")
    p.add_argument("--no-prior", action="store_true", help="skip the prior baseline")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)
    return p


def load_model(path: Path, device: str = "cpu") -> tuple[Any, Path]:
    """The model of a run folder (``RUN/checkpoint``) or of a checkpoint folder, and that folder."""
    from completion.checkpoint import CONFIG_NAME, load_checkpoint

    from ..errors import CheckpointError

    path = Path(path)
    for cand in (path / "checkpoint", path):
        if (cand / CONFIG_NAME).is_file():
            return load_checkpoint(cand, device=device), cand
    raise CheckpointError(f"{path} is neither a run folder (with checkpoint/) nor a checkpoint folder "
                          "(config.json + model.safetensors)")


def _silence(duration: float) -> Any:
    from phoneme.types import SILENCE, Alignment, Interval

    return Alignment(words=[Interval(SILENCE, 0.0, duration)], phones=[Interval(SILENCE, 0.0, duration)],
                     duration=duration)


def _bilabial_frames(keys: Any, n: int) -> list[int]:
    return [k.frame for k in keys if k.kind == "bilabial_closure" and 0 <= k.frame < n]


def _mean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return float(np.mean(xs)) if xs else None


def evaluate_data(model: Any, data: Path, *, split: str = "test", limit: int | None = None,
                  prior: bool = True) -> dict[str, Any]:
    """Evaluate on a dataset folder (ARKit or mesh data); see the module docstring."""
    from completion.data import detect_layout, open_dataset
    from completion.metrics import (
        arkit_error,
        lip_vertex_error,
        mean_vertex_error,
        upper_face_dynamics_deviation,
    )
    from phoneme.keys import select_keys
    from phoneme.loudness import frame_loudness

    from ..animator.prior import animate_prior
    from ..errors import KmtalkError
    from ..face.arkit import ARKIT_NAMES
    from ..face.rig import default_rig
    from ..io.exporters.livelink import read_livelink_csv
    from ..train.metrics import closure_rate

    layout = detect_layout(data)
    fps = float(model.config.fps)
    opts: dict[str, Any] = {"limit": limit, "reader": read_livelink_csv}
    ds = open_dataset(data, split, fps=fps, **opts)
    if len(ds) == 0 and split == "test":
        log.info("split 'test' is empty; evaluating 'val'")
        split = "val"
        ds = open_dataset(data, split, fps=fps, **opts)
    if len(ds) == 0:
        raise KmtalkError(f"{data} has no utterances in split {split!r}")
    space = model.space
    result: dict[str, Any] = {"data": str(data), "layout": layout, "split": split, "utterances": len(ds),
                              "fps": fps, "motion_space": space.kind}
    t0 = time.perf_counter()
    audio_s = 0.0
    if space.kind == "arkit":
        rig = default_rig()
        mouth = [i for i, n in enumerate(ARKIT_NAMES) if n.startswith(("mouth", "jaw"))]
        preds, gts, pri, pri_gts = [], [], [], []
        closures: dict[str, list[float]] = {"learned": [], "target": [], "prior": []}
        for u in ds:
            al = u.alignment if u.alignment is not None else _silence(u.duration)
            loud = frame_loudness(u.samples, u.sample_rate, fps, n_frames=u.n_frames)
            keys = select_keys(u.alignment, fps, loudness=loud) if u.alignment is not None else []
            w = model.predict(u.samples, u.sample_rate, al, keys, fps=fps, style=u.style, n_frames=u.n_frames)
            audio_s += u.duration
            preds.append(w)
            gts.append(u.values)
            frames = _bilabial_frames(keys, u.n_frames)
            if frames:
                closures["learned"].append(closure_rate(w, frames, rig))
                closures["target"].append(closure_rate(u.values, frames, rig))
            if prior and u.alignment is not None:
                style = u.style or {}
                pw, _ = animate_prior(u.alignment, fps, loudness_db=loud, jaw=style.get("jaw", 1.0),
                                      lip=style.get("lip", 1.0), n_frames=u.n_frames)
                pri.append(pw)
                pri_gts.append(u.values)
                if frames:
                    closures["prior"].append(closure_rate(pw, frames, rig))
        result["learned"] = {"arkit_mae": arkit_error(preds, gts), "arkit_mae_mouth": arkit_error(preds, gts, mouth),
                             "closure_rate": _mean(closures["learned"])}
        result["target_closure_rate"] = _mean(closures["target"])
        if pri:
            result["prior"] = {"arkit_mae": arkit_error(pri, pri_gts), "arkit_mae_mouth": arkit_error(pri, pri_gts, mouth),
                               "closure_rate": _mean(closures["prior"]), "utterances": len(pri)}
    else:
        regions = getattr(ds, "regions", {})
        pv, gv, tpls = [], [], []
        for i, u in enumerate(ds):
            al = u.alignment if u.alignment is not None else _silence(u.duration)
            loud = frame_loudness(u.samples, u.sample_rate, fps, n_frames=u.n_frames)
            keys = select_keys(u.alignment, fps, loudness=loud) if u.alignment is not None else []
            z = model.predict(u.samples, u.sample_rate, al, keys, fps=fps, style=u.style, n_frames=u.n_frames)
            audio_s += u.duration
            pv.append(space.decode(z) + u.template[None])
            gv.append(u.values + u.template[None])
            tpls.append(u.template)
        learned: dict[str, Any] = {"mean_vertex_error": mean_vertex_error(pv, gv)}
        learned["lve"] = lip_vertex_error(pv, gv, regions["lips"]) if "lips" in regions else None
        learned["fdd"] = (upper_face_dynamics_deviation(pv, gv, tpls, regions["upper_face"])
                          if "upper_face" in regions else None)
        if "lips" not in regions or "upper_face" not in regions:
            result["note"] = "LVE/FDD need regions/lve.txt and regions/fdd.txt (or regions.npz) in the data folder"
        result["learned"] = learned
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["audio_seconds"] = round(audio_s, 2)
    return result


def evaluate_videos(model: Any, folder: Path, *, limit: int | None = None, prior: bool = True) -> dict[str, Any]:
    """Lip-sync score and closure rate on talking-head videos; see the module docstring."""
    from ..animator.closures import closure_locks, meet_locks
    from ..animator.prior import animate_prior, load_prior_tables
    from ..face.rig import default_rig
    from ..train.metrics import closure_rate

    rig = default_rig()
    tables = load_prior_tables()
    fps = float(model.config.fps)
    rows = []
    model_s = audio_s = 0.0
    for name, text in video_clips(folder)[:limit]:
        clip = load_clip(folder, name, text, fps=fps)
        samples, sr, al, keys, n = clip.samples, clip.sample_rate, clip.alignment, clip.keys, clip.n_frames
        frames = _bilabial_frames(keys, n)
        ts = time.perf_counter()
        learned = model.predict(samples, sr, al, keys, fps=fps, n_frames=n)
        model_s += time.perf_counter() - ts
        audio_s += samples.size / sr
        facts = closure_locks(learned, al, keys, tables, fps=fps, n_frames=n)
        locked = meet_locks(model.predict(samples, sr, al, keys, fps=fps, n_frames=n, locks=facts, exact_locks=False),
                            facts, fps=fps)
        row: dict[str, Any] = {"clip": name, "learned": clip.score(learned, rig),
                               "learned_locked": clip.score(locked, rig),
                               "closure_learned": closure_rate(learned, frames, rig),
                               "closure_learned_locked": closure_rate(locked, frames, rig)}
        if prior:
            pw, _ = animate_prior(al, fps, lexicon=tables.lexicon, loudness_db=clip.loudness, n_frames=n)
            row.update(prior=clip.score(pw, rig), closure_prior=closure_rate(pw, frames, rig))
        rows.append(row)
    keys_ = [k for k in ("learned", "learned_locked", "prior", "closure_learned", "closure_learned_locked",
                         "closure_prior") if rows and k in rows[0]]
    return {"data": str(folder), "layout": "video", "clips": rows,
            "mean": {k: _mean([r[k] for r in rows]) for k in keys_},
            "model_seconds_per_audio_second": round(model_s / audio_s, 4) if audio_s else None}


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def run(args: argparse.Namespace) -> int:
    from completion.model import resolve_device

    model, folder = load_model(args.checkpoint, str(resolve_device(args.device)))
    if is_video_folder(args.data):
        res = evaluate_videos(model, args.data, limit=args.limit, prior=not args.no_prior)
        w = max([len(r["clip"]) for r in res["clips"]] + [4])
        lines = [f"{'clip':<{w}} {'learned':>8} {'+locks':>8} {'prior':>8}   closure: learned +locks prior"]
        for r in res["clips"]:
            lines.append(f"{r['clip']:<{w}} {_fmt(r['learned']):>8} {_fmt(r['learned_locked']):>8} "
                         f"{_fmt(r.get('prior')):>8}   {_fmt(r['closure_learned'])} "
                         f"{_fmt(r['closure_learned_locked'])} {_fmt(r.get('closure_prior'))}")
        m = res["mean"]
        lines.append(f"{'mean':<{w}} {_fmt(m.get('learned')):>8} {_fmt(m.get('learned_locked')):>8} "
                     f"{_fmt(m.get('prior')):>8}   {_fmt(m.get('closure_learned'))} "
                     f"{_fmt(m.get('closure_learned_locked'))} {_fmt(m.get('closure_prior'))}")
        lines.append("lip-sync score: Pearson r of the rig's lip aperture vs the tracked aperture")
    else:
        res = evaluate_data(model, args.data, split=args.split, limit=args.limit, prior=not args.no_prior)
        lines = [(f"{res['utterances']} {res['split']} utterances of {res['data']} ({res['layout']}, "
                  f"{res['motion_space']} space)")]
        for who in ("learned", "prior"):
            if who in res:
                lines.append(f"{who:>8}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in res[who].items()))
        if "target_closure_rate" in res:
            lines.append(f"  target closure rate: {_fmt(res['target_closure_rate'])}")
        if "note" in res:
            lines.append(res["note"])
    res["checkpoint"] = str(folder)
    emit(args, res, "\n".join(lines))
    return 0
