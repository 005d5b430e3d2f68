"""Why does the learned model score below the prior on real video? Variants of its input, scored.

On every clip of ../shared/data/video-dev (forced alignment of the approximate ASR
transcript, as ``kmtalk eval`` does) the lip-sync score of
``../shared/data/README.md`` (Pearson r of the rig's inner-lip aperture against the
tracked aperture) for:

* ``prior`` — :func:`kmtalk.animator.prior.animate_prior`;
* ``learned`` — the model with the prior's articulatory locks (closures, lip-teeth
  contact), i.e. what ``kmtalk.animate(method="learned")`` does;
* ``noaudio`` — the same with the audio replaced by −80 dBFS white noise (how much the
  model reads from real speech);
* ``priorkeys`` — the model with the prior's own values locked at every key frame (only
  the in-between frames are learned);
* ``mix`` — the average of ``learned`` and ``prior``;

and, between the model's and the prior's apertures, their correlation ``r_lp`` and their
standard deviations ``std_l`` / ``std_p`` (how much each moves).

Run::

    python benchmarks/learned_diagnostics.py RUN/checkpoint     # ≈ 20 s
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import VIDEO_DEV as VIDEO  # $KMTALK_DATA, else ../shared/data

FPS = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--data", type=Path, default=VIDEO)
    args = parser.parse_args(argv)

    from completion.checkpoint import load_checkpoint
    from kmtalk.animator.closures import closure_locks, meet_locks
    from kmtalk.animator.prior import animate_prior, load_prior_tables
    from kmtalk.face.rig import default_rig
    from kmtalk.train.metrics import lip_aperture, pearson
    from kmtalk.train.videos import load_clip, video_clips

    model = load_checkpoint(args.checkpoint).eval()
    rig, tables = default_rig(), load_prior_tables()
    rows = {}
    for name, text in video_clips(args.data):
        clip = load_clip(args.data, name, text, fps=FPS)
        samples, sr, al, keys, n, loud = (clip.samples, clip.sample_rate, clip.alignment, clip.keys,
                                          clip.n_frames, clip.loudness)

        def score(w: np.ndarray, clip=clip) -> float:  # the lip-sync score on this clip
            return clip.score(w, rig)

        def learned(x: np.ndarray, al=al, keys=keys, n=n, sr=sr) -> np.ndarray:
            first = model.predict(x, sr, al, keys, fps=FPS, n_frames=n)
            facts = closure_locks(first, al, keys, tables, fps=FPS, n_frames=n)
            return meet_locks(model.predict(x, sr, al, keys, fps=FPS, n_frames=n, locks=facts, exact_locks=False),
                              facts, fps=FPS)

        prior, _ = animate_prior(al, FPS, lexicon=tables.lexicon, loudness_db=loud, n_frames=n)
        lw = learned(samples)
        noise = np.random.default_rng(0).normal(0, 1e-4, samples.size).astype(np.float32)
        kf = np.unique([k.frame for k in keys if 0 <= k.frame < n])
        pk = model.predict(samples, sr, al, keys, fps=FPS, n_frames=n,
                           locks=(kf, np.ones((kf.size, 52), bool), prior[kf]))
        apl, app = lip_aperture(lw, rig), lip_aperture(prior, rig)
        rows[name] = {"prior": score(prior), "learned": score(lw), "noaudio": score(learned(noise)),
                      "priorkeys": score(pk), "mix": score(0.5 * (lw + prior)),
                      "r_lp": pearson(apl, app), "std_l": float(apl.std()), "std_p": float(app.std())}
        print(f"{name[:34]:34s} " + " ".join(f"{k}={v:.3f}" for k, v in rows[name].items()), flush=True)
    cols = next(iter(rows.values()))
    print(f"{'MEAN':34s} " + " ".join(f"{k}={np.mean([r[k] for r in rows.values()]):.3f}" for k in cols))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
