"""Training on real motion: a captured corpus, leave-one-speaker-group-out folds, one evaluation run.

Three steps, each rerunnable (a finished fold run is reused)::

    python benchmarks/real_motion.py build --out corpora/real          # capture 39 clips (~2 min cached)
    python benchmarks/real_motion.py folds --corpus corpora/real       # the fold table
    python benchmarks/real_motion.py run --corpus corpora/real --runs runs/real-folds \\
        --synthetic runs/syn/checkpoint --json benchmarks/results/real_motion.json
    python benchmarks/real_motion.py final --corpus corpora/real --synthetic runs/syn/checkpoint \\
        --out runs/real-all                                             # the all-data model
    python benchmarks/real_motion.py plot --corpus corpora/real --clip CLIP \\
        --checkpoint runs/real-folds/foldK/synthetic-real/checkpoint            # docs/real-motion-curves.png

``build`` captures every clip of ``../shared/data/video-dev`` and
``video-train`` with :func:`kmtalk.train.corpus.captured.build_captured_corpus`:
transcripts are Whisper tiny.en's (video-train's ``transcripts_asr.tsv``,
video-dev's ``benchmarks/data/video-dev.whisper-tiny-en.tsv``), A/V offsets are
the committed table ``benchmarks/results/av_offsets.json``, speakers come from
``benchmarks/data/speakers.tsv``.

``run`` splits the speaker groups into ``--folds`` folds of about equal speech
(greedy, longest group first). For each fold it trains every candidate on the
other folds only (no validation split: a fixed number of steps, set before
any held-out score was seen) and then animates each held-out clip through the
public path ``kmtalk.animate`` (the corpus alignment, so every model sees the
same phones; the learned path keeps the prior's articulatory locks). Models,
all in the same run:

- ``prior``: the linguistic prior;
- ``shipped``: the model in ``assets/models/kmtalk-arkit`` when the run
  starts (``--shipped`` to point elsewhere) — **its video-dev figures are
  in-sample**: it was fine-tuned on those 7 clips' apertures;
- ``synthetic``: the ``--synthetic`` checkpoint alone (no real data);
- ``real``: trained from scratch on the fold's captured corpus;
- ``whisper-real``: the same with Whisper tiny.en's frozen encoder states as
  audio features (``assets/configs/real-whisper.json``) instead of log-mel;
- ``synthetic+real``: the ``--synthetic`` checkpoint fine-tuned on it;
- ``synthetic+real+aperture`` and ``whisper-real+aperture``: that run followed
  by the shipped model's second stage (30 full-batch steps on the training
  clips' tracked lip aperture, see :func:`aperture_finetune`).

Metrics per held-out clip (captured curves on the audio's clock, offsets corrected):

- ``lipsync``: Pearson r of the rig's lip aperture against the tracked
  ``aperture`` of ``NAME.landmarks.npz``, the animation read at video time + offset;
  ``lipsync_raw``: the same with no offset correction (the README's score as before);
- ``r[channel]`` for :data:`CHANNELS` against the captured curves, and their mean;
- ``lve_mm``: mean over frames and lip vertices of the rig's vertex distance (mm)
  between the generated and the captured weights;
- ``vel_ratio[channel]``: std of the frame-to-frame change, generated over captured;
  ``vel_ratio``: the median over :data:`CHANNELS`.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import SHARED_DATA

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHANNELS = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthSmileRight",
            "mouthStretchLeft", "mouthStretchRight", "mouthRollLower", "mouthRollUpper",
            "mouthLowerDownLeft", "mouthLowerDownRight")
CANDIDATES = ("real", "whisper-real", "whisper-real+aperture", "synthetic+real", "synthetic+real+aperture")
RECIPES = {"real": "real", "whisper-real": "real-whisper", "synthetic+real": "real-finetune"}


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def clip_table() -> list[dict]:
    """Every clip with its video, audio, transcript, offset, speaker (the build's input)."""
    from kmtalk.capture.corpus import folder_transcripts

    speakers = {r["clip"]: r for r in read_tsv(HERE / "data" / "speakers.tsv")}
    offsets = json.loads((HERE / "results" / "av_offsets.json").read_text("utf-8"))["clips"]
    dev_text = {r[0]: r[1] for r in csv.reader(open(HERE / "data" / "video-dev.whisper-tiny-en.tsv",
                                                     encoding="utf-8"), delimiter="\t")}
    out = []
    for folder in ("video-dev", "video-train"):
        texts = dev_text if folder == "video-dev" else folder_transcripts(SHARED_DATA / folder)
        for mp4 in sorted((SHARED_DATA / folder).glob("*.mp4")):
            name = mp4.stem
            out.append({"name": name, "video": str(mp4), "audio": str(mp4.with_suffix(".wav")),
                        "text": texts[name], "offset": float(offsets[name]["offset"]),
                        "speaker": speakers[name]["speaker"], "source": folder})
    return out


def make_folds(rows: list[dict], k: int) -> list[list[str]]:
    """Speaker groups into ``k`` folds of about equal duration: longest group first, into the lightest fold."""
    dur: dict[str, float] = {}
    for r in rows:
        dur[r["group"]] = dur.get(r["group"], 0.0) + float(r["duration"])
    folds: list[list[str]] = [[] for _ in range(k)]
    load = [0.0] * k
    for g in sorted(dur, key=lambda g: (-dur[g], g)):
        i = int(np.argmin(load))
        folds[i].append(g)
        load[i] += dur[g]
    return folds


def manifest(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "manifest.jsonl").read_text("utf-8").splitlines() if line.strip()]


def fold_view(corpus: Path, rows: list[dict], held_out: set[str], out: Path) -> Path:
    """A corpus folder whose manifest marks the held-out groups ``test`` (files are symlinks)."""
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("wav", "alignments", "keys", "curves"):
        link = out / sub
        if not link.exists():
            link.symlink_to((corpus / sub).resolve(), target_is_directory=True)
    lines = [json.dumps({**r, "split": "test" if r["group"] in held_out else "train"}) for r in rows]
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return out


def aperture_finetune(base: Path, corpus: Path, rows: list[dict], run: Path,
                      command: str = "benchmarks/real_motion.py aperture stage") -> Path:
    """The shipped model's second stage (``kmtalk finetune``'s loss and settings: 30 full-batch steps,
    lr 1e-4, anchor 1) on the tracked lip aperture of ``rows``, moved onto the audio's clock by each
    clip's offset, with the corpus's alignment and keys."""
    from completion.checkpoint import load_checkpoint, save_checkpoint
    from completion.keynet import KeyFeatures
    from completion.training.aperture import ApertureClip, finetune_apertures
    from kmtalk.train.finetune import aperture_operator, aperture_target
    from phoneme.audio import load_audio
    from phoneme.keys import KeyMotion
    from phoneme.types import Alignment

    if (run / "checkpoint" / "config.json").is_file():
        return run / "checkpoint"
    model = load_checkpoint(base)
    fps = float(model.config.fps)
    clips = []
    for r in rows:
        samples, _ = load_audio(corpus / r["wav"], sample_rate=int(model.config.sample_rate))
        lm = np.load(SHARED_DATA / r["source"] / f"{r['id']}.landmarks.npz")
        target = aperture_target(lm["aperture"], float(lm["fps"]), int(r["n_frames"]), fps,
                                 offset=float(r["av_offset"]))   # video frames on the audio's clock
        alignment = Alignment.load_json(corpus / r["alignment"])
        keys = [KeyMotion.from_dict(k) for k in json.loads((corpus / r["keys"]).read_text("utf-8"))]
        clips.append(ApertureClip(r["id"], samples.astype(np.float32),
                                  KeyFeatures.build(alignment, keys, fps, model.vocab), fps, target))
    t0 = time.perf_counter()
    tuned, _ = finetune_apertures(model, clips, aperture_operator(), steps=30, lr=1e-4, anchor=1.0, seed=0)
    save_checkpoint(tuned, run / "checkpoint", metadata={"command": command,
                                                          "base": str(base), "clips": [r["id"] for r in rows]})
    logging.info("aperture stage %s in %.0f s", run, time.perf_counter() - t0)
    return run / "checkpoint"


def train_candidate(name: str, view: Path, run: Path, synthetic: Path, steps: dict[str, int]) -> Path:
    from completion.training import TrainConfig, train

    if (run / "summary.json").is_file():
        return run / "checkpoint"
    cfg = TrainConfig.load(RECIPES[name])
    init = synthetic if name == "synthetic+real" else None
    t = time.perf_counter()
    train(cfg, view, run, max_steps=steps[name], device="cpu", init=init,
          metadata={"command": f"benchmarks/real_motion.py ({name})"})
    logging.info("trained %s in %.0f s", run, time.perf_counter() - t)
    return run / "checkpoint"


def animate_clip(row: dict, corpus: Path, model: str, checkpoint: Path | None) -> np.ndarray:
    import kmtalk
    from phoneme.types import Alignment

    alignment = Alignment.load_json(corpus / row["alignment"])
    kw = {"method": "prior"} if model == "prior" else {"method": "learned", "checkpoint": checkpoint}
    anim = kmtalk.animate(str(corpus / row["wav"]), row["text"], alignment=alignment, check_transcript=False, **kw)
    return np.asarray(anim.weights, np.float32)


def clip_metrics(weights: np.ndarray, captured: np.ndarray, row: dict, rig, lips: np.ndarray) -> dict:
    from kmtalk import ARKIT_NAMES
    from kmtalk.train.metrics import pearson, weights_lipsync_score

    fps = float(row["fps"])
    n = min(len(weights), len(captured))
    w, c = weights[:n], captured[:n]
    lm = np.load(SHARED_DATA / row["source"] / f"{row['id']}.landmarks.npz")
    ap, vfps = np.asarray(lm["aperture"], np.float64), float(lm["fps"])
    out: dict = {"lipsync": weights_lipsync_score(w, fps, ap, vfps, rig=rig, offset=float(row["av_offset"])),
                 "lipsync_raw": weights_lipsync_score(w, fps, ap, vfps, rig=rig), "r": {}, "vel_ratio": {}}
    for ch in CHANNELS:
        j = ARKIT_NAMES.index(ch)
        out["r"][ch] = pearson(w[:, j], c[:, j])
        sc = float(np.std(np.diff(c[:, j])))
        out["vel_ratio"][ch] = float(np.std(np.diff(w[:, j]))) / sc if sc > 1e-6 else float("nan")
    out["mean_r"] = float(np.nanmean(list(out["r"].values())))
    out["vel_ratio_median"] = float(np.nanmedian(list(out["vel_ratio"].values())))
    vg, vc = rig.evaluate(w)[:, lips], rig.evaluate(np.clip(c, 0, 1))[:, lips]
    out["lve_mm"] = float(np.linalg.norm(vg - vc, axis=-1).mean() * 1000.0)
    return out


def summarize(results: dict, models: list[str], folds: list[list[str]], rows: list[dict]) -> dict:
    group_of = {r["id"]: r["group"] for r in rows}
    table: dict = {}
    for m in models:
        per_fold = []
        for k, groups in enumerate(folds):
            clips = [c for c in results if group_of[c] in groups]
            vals = [results[c][m] for c in clips]
            per_fold.append({key: float(np.nanmean([v[key] for v in vals]))
                             for key in ("lipsync", "lipsync_raw", "mean_r", "lve_mm", "vel_ratio_median")})
            per_fold[-1]["clips"] = len(clips)
        mean = {key: float(np.mean([f[key] for f in per_fold])) for key in per_fold[0] if key != "clips"}
        chans = {ch: float(np.nanmean([results[c][m]["r"][ch] for c in results])) for ch in CHANNELS}
        vel = {ch: float(np.nanmedian([results[c][m]["vel_ratio"][ch] for c in results])) for ch in CHANNELS}
        train_only = [results[c][m]["lipsync"] for c in results
                      if next(r for r in rows if r["id"] == c)["source"] == "video-train"]
        table[m] = {"folds": per_fold, "mean": mean, "channel_r": chans, "channel_vel_ratio": vel,
                    "lipsync_video_train_clips": float(np.mean(train_only))}
    return table


def cmd_build(args: argparse.Namespace) -> None:
    from kmtalk.train.corpus.captured import build_captured_corpus

    clips = clip_table()
    t = time.perf_counter()
    rows = build_captured_corpus(clips, args.out, cache_dir=args.cache, overwrite=args.overwrite,
                                 progress=lambda i, n, name: print(f"[{i}/{n}] {name}", file=sys.stderr))
    print(f"{len(rows)} clips, {sum(r['duration'] for r in rows):.0f} s of speech in {args.out} "
          f"({time.perf_counter() - t:.0f} s)")


def cmd_folds(args: argparse.Namespace) -> None:
    rows = manifest(args.corpus)
    for k, groups in enumerate(make_folds(rows, args.folds)):
        clips = [r for r in rows if r["group"] in groups]
        print(f"fold {k}: {sum(r['duration'] for r in clips):5.0f} s, {len(clips):2d} clips: {', '.join(groups)}")


def candidate_steps(args: argparse.Namespace) -> dict[str, int]:
    """Training steps of each trained stage, from ``--steps-scratch`` / ``--steps-finetune``."""
    return {"real": args.steps_scratch, "whisper-real": args.steps_scratch, "synthetic+real": args.steps_finetune}


def build_candidate(cand: str, view: Path, corpus: Path, out: Path, synthetic: Path, steps: dict[str, int],
                    rows: list[dict], command: str = "benchmarks/real_motion.py aperture stage") -> Path:
    """A candidate's checkpoint under ``out``: its training run, then for ``...+aperture`` the aperture
    stage on ``rows`` (both reused when finished)."""
    stem = cand.removesuffix("+aperture")
    base = train_candidate(stem, view, out / stem.replace("+", "-"), synthetic, steps)
    if stem == cand:
        return base
    return aperture_finetune(base, corpus, rows, out / cand.replace("+", "-"), command=command)


def cmd_run(args: argparse.Namespace) -> None:
    import torch

    import kmtalk

    torch.set_num_threads(args.threads)
    rows = manifest(args.corpus)
    folds = make_folds(rows, args.folds)
    steps = candidate_steps(args)
    rig = kmtalk.default_rig()
    lips = np.asarray(rig.regions["lips"])
    models = ["prior", "shipped", "synthetic", *args.candidates]
    results: dict = {}
    for k, groups in enumerate(folds):
        if args.only_fold is not None and k not in args.only_fold:
            continue
        view = fold_view(args.corpus, rows, set(groups), args.runs / f"fold{k}" / "data")
        ckpt = {"prior": None, "shipped": args.shipped, "synthetic": args.synthetic}
        train_rows = [r for r in rows if r["group"] not in groups]
        for cand in args.candidates:
            ckpt[cand] = build_candidate(cand, view, args.corpus, args.runs / f"fold{k}", args.synthetic, steps,
                                         train_rows)
        if args.train_only:
            continue
        for row in (r for r in rows if r["group"] in groups):
            captured = np.load(args.corpus / row["captured"])
            results[row["id"]] = {m: clip_metrics(animate_clip(row, args.corpus, m, ckpt[m]), captured, row, rig, lips)
                                  for m in models}
            print(f"fold {k} {row['id']}: " + "  ".join(f"{m} {results[row['id']][m]['lipsync']:.3f}/"
                                                         f"{results[row['id']][m]['mean_r']:.3f}" for m in models),
                  file=sys.stderr)
    if args.only_fold is not None or args.train_only:
        return
    table = summarize(results, models, folds, rows)
    print(f"{'model':16s} {'lip-sync r':>10s} {'(raw)':>7s} {'mean ch r':>9s} {'LVE mm':>7s} {'vel ratio':>9s}"
          f" {'train-clips r':>13s}")
    for m in models:
        s = table[m]["mean"]
        print(f"{m:16s} {s['lipsync']:10.3f} {s['lipsync_raw']:7.3f} {s['mean_r']:9.3f} {s['lve_mm']:7.2f}"
              f" {s['vel_ratio_median']:9.2f} {table[m]['lipsync_video_train_clips']:13.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "command": "python benchmarks/real_motion.py " + " ".join(sys.argv[1:]),
            "folds": folds, "steps": steps, "channels": CHANNELS, "summary": table, "clips": results},
            indent=1) + "\n", "utf-8")


def cmd_final(args: argparse.Namespace) -> None:
    """The all-data model: ``--candidate``'s recipe on every clip (no held-out speaker)."""
    import torch

    torch.set_num_threads(args.threads)
    command = "python benchmarks/real_motion.py " + " ".join(sys.argv[1:])  # the shipped model's recipe
    print(build_candidate(args.candidate, args.corpus, args.corpus, args.out, args.synthetic, candidate_steps(args),
                          manifest(args.corpus), command=command))


def cmd_plot(args: argparse.Namespace) -> None:
    """Captured against generated curves of one held-out clip (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kmtalk import ARKIT_NAMES

    row = next(r for r in manifest(args.corpus) if r["id"] == args.clip)
    captured = np.load(args.corpus / row["captured"])
    series = [("captured (video)", captured, {"color": "black", "lw": 1.6})]
    series.append(("prior", animate_clip(row, args.corpus, "prior", None), {"color": "tab:blue", "lw": 1, "alpha": 0.7}))
    series.append((args.label, animate_clip(row, args.corpus, "learned", args.checkpoint),
                   {"color": "tab:orange", "lw": 1.4}))
    fps = float(row["fps"])
    fig, axes = plt.subplots(3, 1, figsize=(9, 6), dpi=110, sharex=True)
    for ax, ch in zip(axes, ("jawOpen", "mouthClose", "mouthFunnel")):
        j = ARKIT_NAMES.index(ch)
        for label, w, style in series:
            ax.plot(np.arange(len(w)) / fps, w[:, j], label=label, **style)
        ax.set_ylabel(ch)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, ncol=3, loc="upper right")
    axes[-1].set_xlabel(f"seconds (audio clock; A/V offset {row['av_offset']:+.2f} s corrected)")
    fig.suptitle(f"{row['id']} (held out: speaker {row['group']} never trained on)", fontsize=10)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--cache", type=Path, default=Path("/tmp/kmtalk-capture-cache"), help="track cache")
    b.add_argument("--overwrite", action="store_true")
    f = sub.add_parser("folds")
    f.add_argument("--corpus", type=Path, required=True)
    f.add_argument("--folds", type=int, default=5)
    r = sub.add_parser("run")
    r.add_argument("--corpus", type=Path, required=True)
    r.add_argument("--runs", type=Path, required=True, help="fold runs are written (and reused) here")
    r.add_argument("--synthetic", type=Path, required=True, help="checkpoint trained on the synthetic corpus")
    r.add_argument("--shipped", type=Path, default=ROOT / "assets" / "models" / "kmtalk-arkit")
    r.add_argument("--folds", type=int, default=5)
    r.add_argument("--only-fold", type=int, action="append",
                   help="train and score only this fold (repeatable; no table)")
    r.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=CANDIDATES,
                   help="candidates to train (default: all)")
    r.add_argument("--train-only", action="store_true", help="train the folds' candidates, score nothing")
    r.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: two runs side by side beat one two-thread run on a shared CPU)")
    r.add_argument("--steps-scratch", type=int, default=300)
    r.add_argument("--steps-finetune", type=int, default=300)
    r.add_argument("--json", type=Path)
    fin = sub.add_parser("final", help="train one candidate's recipe on all clips")
    fin.add_argument("--corpus", type=Path, required=True)
    fin.add_argument("--synthetic", type=Path, required=True, help="checkpoint trained on the synthetic corpus")
    fin.add_argument("--candidate", default="synthetic+real+aperture", choices=CANDIDATES)
    fin.add_argument("--out", type=Path, required=True,
                     help="stages go to OUT/<candidate's run>[-aperture], e.g. OUT/synthetic-real-aperture")
    fin.add_argument("--steps-scratch", type=int, default=300)
    fin.add_argument("--steps-finetune", type=int, default=300)
    fin.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("plot")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--clip", required=True)
    p.add_argument("--checkpoint", type=Path, required=True, help="a model that never saw the clip's speaker")
    p.add_argument("--label", default="learned (held out)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "real-motion-curves.png")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    {"build": cmd_build, "folds": cmd_folds, "run": cmd_run, "final": cmd_final, "plot": cmd_plot}[args.cmd](args)


if __name__ == "__main__":
    main()
