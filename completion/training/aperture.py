"""Fine-tuning on talking-head video: make the model's lip aperture follow real, tracked lips.

The synthetic corpus can only teach a model the prior's behaviour plus the
acoustics of espeak (docs/training.md). Real talking-head video carries what the
prior lacks: how far real speakers actually open their lips, frame by frame.
A video tracked with MediaPipe FaceMesh gives a per-frame ``aperture`` (inner-lip
gap over the outer-eye-corner distance); this module fine-tunes a trained
:class:`~completion.model.KMTalkModel` so that the same measure, taken on the
rig its ARKit output drives, correlates with it:

    loss = mean over clips of (1 − Pearson r(aperture(model(clip)), tracked aperture))
           + anchor × mean((model(clip) − original model(clip))²) / 1e-3

The first term is scale-free (the rig's and the speaker's lips differ in size);
the second keeps every channel close to what the model produced before fine-tuning
(``anchor`` in units of a 0.03 RMS weight change), so shapes the video does not
measure — smiles, puckers, the tongue — stay as the synthetic training left them.
Measured held-out gains and the recipe are in docs/training.md §7.

The rig's aperture is linear in the blendshape weights up to the gap's norm; the
rig is handed in as arrays (:meth:`ApertureOperator.from_arrays`), so this module
needs nothing from :mod:`kmtalk` (``kmtalk.train.finetune`` builds it from a ``Rig``).

Examples
--------
>>> import numpy as np, torch
>>> from completion.training.aperture import ApertureOperator
>>> neutral = np.array([[0, 1], [0, -1], [-5, 4], [5, 4]], np.float32)  # upper, lower lip, eyes
>>> targets = np.zeros((52, 4, 2), np.float32); targets[24, 1, 1] = -2.0  # channel 24 drops the lower lip
>>> op = ApertureOperator.from_arrays(targets, neutral)
>>> w = torch.zeros(2, 52); w[1, 24] = 1.0
>>> [round(x, 6) for x in op(w).tolist()]
[0.2, 0.4]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..keynet import KeyFeatures
from ..model import KMTalkModel

__all__ = ["ApertureClip", "ApertureOperator", "FinetuneResult", "finetune_apertures", "pearson_loss"]

#: Scale of the anchor term: a mean squared change of 1e-3 (≈ 0.03 RMS per weight) costs ``anchor``.
ANCHOR_SCALE = 1e-3


@dataclass
class ApertureOperator:
    """Rig lip aperture as a differentiable function of blendshape weights.

    Attributes
    ----------
    basis : Tensor [D, 8]
        Per weight, the (x, y) displacement of the upper inner lip, lower inner
        lip, left and right outer eye corners (in that order).
    neutral : Tensor [8]
        Those four points at rest.
    """

    basis: torch.Tensor
    neutral: torch.Tensor

    @classmethod
    def from_arrays(cls, targets: np.ndarray, neutral: np.ndarray) -> ApertureOperator:
        """From the four points' deltas ``targets [D, 4, 2|3]`` and rest positions ``neutral [4, 2|3]``.

        Only x and y are used (like the video's measure).
        """
        t = np.asarray(targets, np.float32)
        n = np.asarray(neutral, np.float32)
        if t.ndim != 3 or t.shape[1] != 4 or t.shape[2] < 2 or n.shape[:1] != (4,) or n.shape[-1] < 2:
            raise ValueError(f"need targets [D, 4, 2] and neutral [4, 2], got {t.shape} and {n.shape}")
        eye = np.linalg.norm(n[2, :2] - n[3, :2])
        if not eye > 0:
            raise ValueError("the two eye-corner points coincide; the aperture would divide by zero")
        return cls(torch.from_numpy(t[:, :, :2].reshape(len(t), 8).copy()),
                   torch.from_numpy(n[:, :2].reshape(8).copy()))

    def __call__(self, weights: torch.Tensor) -> torch.Tensor:
        """``weights [..., D]`` (clamped to [0, 1]) → aperture ``[...]``."""
        basis = self.basis.to(weights)
        pts = (weights.clamp(0.0, 1.0) @ basis + self.neutral.to(weights)).unflatten(-1, (4, 2))
        gap = (pts[..., 0, :] - pts[..., 1, :]).norm(dim=-1)
        eyes = (pts[..., 2, :] - pts[..., 3, :]).norm(dim=-1)
        return gap / eyes


@dataclass
class ApertureClip:
    """One talking-head clip ready for fine-tuning.

    Attributes
    ----------
    name : str
    samples : ndarray float32 [N]
        Mono audio at the model's sample rate.
    keys : KeyFeatures
        The utterance's keys (``KeyFeatures.build`` on its alignment).
    fps : float
        The model's frame rate.
    target : ndarray [n_frames]
        The tracked aperture resampled to the model's frames; NaN where there is none.
    """

    name: str
    samples: np.ndarray
    keys: KeyFeatures
    fps: float
    target: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.target)


@dataclass
class FinetuneResult:
    """What :func:`finetune_apertures` did: the loss before each step, and the fitted r per clip."""

    losses: list[float] = field(default_factory=list)
    train_r: dict[str, float] = field(default_factory=dict)


def pearson_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``1 − r`` for two 1-D tensors of the same length (0 when perfectly correlated, 2 when opposite)."""
    a = a - a.mean()
    b = b - b.mean()
    return 1.0 - (a * b).sum() / (a.norm() * b.norm()).clamp(min=1e-8)


def finetune_apertures(
    model: KMTalkModel,
    clips: Sequence[ApertureClip],
    operator: ApertureOperator,
    *,
    steps: int = 30,
    lr: float = 1e-4,
    anchor: float = 1.0,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[KMTalkModel, FinetuneResult]:
    """Fine-tune a copy of ``model`` so its rig lip aperture follows the clips' tracked apertures.

    Full-batch Adam over all clips (a step sees every clip), on every parameter,
    with the loss of the module docstring. ``model`` itself is not changed.

    Parameters
    ----------
    model : KMTalkModel
        A trained ARKit model (the anchor is its own output).
    clips : sequence of ApertureClip
        At least one, each with at least 3 frames of target.
    operator : ApertureOperator
        The rig's aperture (:func:`kmtalk.train.finetune.aperture_operator`).
    steps : int, default 30
    lr : float, default 1e-4
    anchor : float, default 1.0
        Weight of staying close to the original output (0: none).
    seed : int, default 0
        Seeds dropout, so a run is repeatable on the same machine.
    progress : callable(step, loss), optional

    Returns
    -------
    model : KMTalkModel
        The fine-tuned copy, in eval mode.
    result : FinetuneResult

    Examples
    --------
    >>> from completion.model import KMTalkConfig, KMTalkModel
    >>> model = KMTalkModel(KMTalkConfig.small())
    >>> clips = [...]  # ApertureClip list; kmtalk.train.finetune.video_aperture_clips builds them  # doctest: +SKIP
    >>> tuned, result = finetune_apertures(model, clips, op, steps=30)  # doctest: +SKIP
    """
    if not clips:
        raise ValueError("fine-tuning needs at least one clip")
    if steps < 0 or not (lr > 0 and math.isfinite(lr)) or anchor < 0:
        raise ValueError(f"need steps >= 0, lr > 0 and anchor >= 0; got {steps}, {lr}, {anchor}")
    if model.config.motion.get("kind") != "arkit":
        raise ValueError("aperture fine-tuning needs an ARKit model (the rig aperture is a function of ARKit weights)")
    sr = model.config.sample_rate
    dev = model.device
    prepared = []
    was_training = model.training
    base = model.eval()
    for c in clips:
        ok = np.isfinite(c.target)
        if ok.sum() < 3:
            raise ValueError(f"clip {c.name!r} has fewer than 3 frames with a tracked aperture")
        x = torch.from_numpy(np.asarray(c.samples, np.float32)).to(dev)[None]
        keys = c.keys.to(dev)
        with torch.no_grad():
            original, _ = base(x, sr, keys, n_frames=c.n_frames, fps=c.fps)
        prepared.append((c, x, keys, original, torch.from_numpy(ok).to(dev),
                         torch.tensor(c.target[ok], dtype=torch.float32, device=dev)))
    model.train(was_training)  # the caller's model keeps its mode, as well as its weights

    tuned = copy.deepcopy(model)
    tuned.train()
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    opt = torch.optim.Adam(tuned.parameters(), lr=lr)
    result = FinetuneResult()
    try:
        for step in range(steps):
            opt.zero_grad()
            total = 0.0
            for c, x, keys, original, ok, target in prepared:
                pred, _ = tuned(x, sr, keys, n_frames=c.n_frames, fps=c.fps)
                loss = pearson_loss(operator(pred[0])[ok], target)
                if anchor:
                    loss = loss + anchor * ((pred - original) ** 2).mean() / ANCHOR_SCALE
                (loss / len(prepared)).backward()
                total += float(loss.detach()) / len(prepared)
            opt.step()
            result.losses.append(total)
            if progress is not None:
                progress(step, total)
    finally:
        torch.random.set_rng_state(gen_state)
    tuned.eval()
    with torch.no_grad():
        for c, x, keys, _, ok, target in prepared:
            pred, _ = tuned(x, sr, keys, n_frames=c.n_frames, fps=c.fps)
            result.train_r[c.name] = 1.0 - float(pearson_loss(operator(pred[0])[ok], target))
    return tuned, result
