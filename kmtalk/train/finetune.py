"""Fine-tune a trained model on talking-head videos so its lips open like real speakers' do.

The end-to-end side of :mod:`completion.training.aperture`: read a video folder
(:mod:`kmtalk.train.videos`), align each clip's transcript (or recognise its speech),
select its keys, resample the tracked aperture to the model's frames, build the
rig's aperture operator, and fine-tune. ``kmtalk finetune`` is the CLI.

The shipped model (``assets/models/kmtalk-arkit``) is the synthetic-corpus model
fine-tuned this way on ``../shared/data/video-dev``; held-out figures (leave one
clip out) are in docs/training.md §7.

Examples
--------
>>> from kmtalk.train.finetune import finetune_on_videos
>>> from kmtalk.cli.eval import load_model
>>> model, _ = load_model("runs/b")  # doctest: +SKIP
>>> tuned, result = finetune_on_videos(model, "../shared/data/video-dev")  # doctest: +SKIP
>>> sorted(result.train_r)[:1]  # doctest: +SKIP
['hdtf_WDA_AlexandriaOcasioCortez_000']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AnimationError
from ..face.rig import Rig, default_rig
from .metrics import APERTURE_LANDMARKS
from .videos import load_clip, video_clips

if TYPE_CHECKING:  # torch stays unimported until a function runs
    from completion.training.aperture import ApertureOperator

__all__ = ["aperture_operator", "aperture_target", "finetune_on_videos", "video_aperture_clips"]

def aperture_operator(rig: Rig | None = None) -> ApertureOperator:
    """The rig's lip aperture as a differentiable function of ARKit weights (linear blend, no correctives).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from kmtalk.train.metrics import lip_aperture
    >>> from kmtalk.face.rig import default_rig
    >>> op = aperture_operator()
    >>> w = np.zeros((1, 52), np.float32); w[0, 25] = 0.5  # jawOpen
    >>> bool(abs(op(torch.from_numpy(w)).item() - lip_aperture(w, default_rig())[0]) < 1e-3)
    True
    """
    from completion.training.aperture import ApertureOperator

    rig = rig or default_rig()
    idx = [rig.landmarks[name] for name in APERTURE_LANDMARKS]
    return ApertureOperator.from_arrays(rig.targets[:, idx], rig.neutral[idx])


def aperture_target(aperture: np.ndarray, video_fps: float, n_frames: int, fps: float, *,
                    offset: float = 0.0) -> np.ndarray:
    """A video's tracked aperture on the animation's ``n_frames`` frames at ``fps`` (the fine-tuning target).

    Linear interpolation between tracked frames; NaN outside the tracked span (and everywhere when
    fewer than two frames were tracked). ``offset`` (seconds, positive when the audio lags the
    picture) moves video frame ``j`` to audio time ``j / video_fps + offset``.

    Examples
    --------
    >>> import numpy as np
    >>> aperture_target(np.array([0.0, 1.0, np.nan]), 10.0, 4, 20.0).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    ap = np.asarray(aperture, np.float64)
    vt = np.arange(ap.size) / video_fps + offset
    ok = np.isfinite(ap)
    t = np.arange(n_frames) / fps
    target = np.full(n_frames, np.nan)
    if ok.sum() >= 2:
        inside = (t >= vt[ok][0]) & (t <= vt[ok][-1])
        target[inside] = np.interp(t[inside], vt[ok], ap[ok])
    return target


def video_aperture_clips(model: Any, folder: str | os.PathLike[str], *,
                         exclude: Collection[str] = (), only: Collection[str] | None = None) -> list:
    """Every usable clip of a video folder as :class:`~completion.training.aperture.ApertureClip`.

    Parameters
    ----------
    model : KMTalkModel
        Gives the sample rate, fps and key vocabulary.
    folder : path
        ``NAME.wav`` + ``NAME.landmarks.npz`` (+ transcript); see :mod:`kmtalk.train.videos`.
    exclude : names to leave out (e.g. held-out clips).
    only : names to keep (default all).

    Raises
    ------
    AnimationError
        No clip is left.
    """
    from completion.keynet import KeyFeatures
    from completion.training.aperture import ApertureClip

    fps, sr = float(model.config.fps), int(model.config.sample_rate)
    out = []
    for name, text in video_clips(folder):
        if name in exclude or (only is not None and name not in only):
            continue
        clip = load_clip(folder, name, text, fps=fps, sample_rate=sr)
        target = aperture_target(clip.aperture, clip.video_fps, clip.n_frames, fps)
        keys = KeyFeatures.build(clip.alignment, clip.keys, fps, model.vocab)
        out.append(ApertureClip(name, clip.samples.astype(np.float32), keys, fps, target))
    if not out:
        raise AnimationError(f"{folder}: no talking-head clip (NAME.wav + NAME.landmarks.npz) to fine-tune on")
    return out


def finetune_on_videos(
    model: Any,
    folder: str | os.PathLike[str],
    *,
    steps: int = 30,
    lr: float = 1e-4,
    anchor: float = 1.0,
    seed: int = 0,
    exclude: Collection[str] = (),
    rig: Rig | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[Any, Any]:
    """Fine-tune ``model`` (a copy) on every clip of a video folder; see :mod:`completion.training.aperture`.

    Returns
    -------
    model : KMTalkModel
        The fine-tuned copy.
    result : FinetuneResult
        Loss per step and the fitted (in-sample) r per clip.
    """
    from completion.training.aperture import finetune_apertures

    clips = video_aperture_clips(model, folder, exclude=exclude)
    return finetune_apertures(model, clips, aperture_operator(rig), steps=steps, lr=lr, anchor=anchor,
                              seed=seed, progress=progress)
