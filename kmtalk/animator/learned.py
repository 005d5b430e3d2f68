"""The learned path of ``kmtalk.animate``: KMTalk's key-motion network and completion transformer.

The model (:class:`completion.model.KMTalkModel`) predicts ARKit-52 weights for
every frame from the key motions and the audio. Two guarantees are kept
outside the network, exactly as on the prior path:

- the articulatory facts (lips meet over every p/b/m, lip on teeth at every
  f/v — :func:`kmtalk.animator.closures.closure_locks`, measured on a first
  prediction) and the editor's locks are merged (the editor wins) and given to
  a second prediction, which conditions on them; kmtalk then meets them exactly
  (:func:`kmtalk.animator.closures.meet_locks`, the one place the prior path meets them too);
- curves stay in [0, 1].

A checkpoint is a folder with ``model.safetensors`` and ``config.json``
(:func:`completion.checkpoint.save_checkpoint`). The default one ships in
``assets/models/kmtalk-arkit/``: the synthetic-corpus model fine-tuned on
talking-head video (``docs/training.md`` §7). Where it is missing,
:func:`shipped_checkpoint` returns None and ``animate`` uses the prior.

Examples
--------
>>> from kmtalk.animator.learned import shipped_checkpoint
>>> path = shipped_checkpoint()  # None only where the bundled model was removed
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from phoneme.assets import assets_dir
from phoneme.keys import KeyMotion, select_keys
from phoneme.types import Alignment

from .closures import closure_locks, meet_locks
from ..face.locks import Locks, apply_locks
from .prior import PriorTables

__all__ = ["SHIPPED_MODEL", "shipped_checkpoint", "load_model", "animate_learned"]

#: Where the shipped ARKit model lives, below the assets folder.
SHIPPED_MODEL = ("models", "kmtalk-arkit")


def shipped_checkpoint() -> Path | None:
    """The bundled trained model's folder, or None when no model ships."""
    path = assets_dir().joinpath(*SHIPPED_MODEL)
    return path if (path / "model.safetensors").is_file() and (path / "config.json").is_file() else None


@lru_cache(maxsize=4)
def _load(path: str):  # noqa: ANN202 - KMTalkModel, imported lazily (torch)
    # Lazy on purpose: completion.checkpoint imports torch, and the prior path (``import kmtalk``,
    # ``animate(method="prior")``) must never load it (tests/test_package.py checks).
    from completion.checkpoint import load_checkpoint

    model = load_checkpoint(path)
    model.eval()
    return model


def load_model(checkpoint: str | os.PathLike[str]):  # noqa: ANN201
    """Load (and cache) a checkpoint folder; raises :class:`~kmtalk.errors.CheckpointError` when broken."""
    return _load(str(Path(checkpoint).resolve()))


def animate_learned(
    model,  # noqa: ANN001 - completion.model.KMTalkModel
    samples: np.ndarray,
    sample_rate: int,
    alignment: Alignment,
    fps: float,
    *,
    tables: PriorTables,
    loudness_db: np.ndarray,
    jaw: float = 1.0,
    lip: float = 1.0,
    locks: Locks | None = None,
    n_frames: int,
) -> tuple[np.ndarray, list[KeyMotion]]:
    """Animate an alignment with a trained model; same contract as :func:`kmtalk.animator.prior.animate_prior`.

    Returns
    -------
    weights : ndarray, float32 [n_frames, 52] in [0, 1]
        Exact at the closures, contacts and editor locks.
    keys : list of KeyMotion
    """
    keys = select_keys(alignment, fps, lexicon=tables.lexicon, loudness=loudness_db)
    style = {"jaw": float(jaw), "lip": float(lip)}
    first = model.predict(samples, sample_rate, alignment, keys, fps=fps, style=style, n_frames=n_frames)
    facts = closure_locks(np.asarray(first), alignment, keys, tables, fps=fps, n_frames=n_frames, editor=locks)
    conditioned = model.predict(samples, sample_rate, alignment, keys, fps=fps, style=style, n_frames=n_frames,
                                locks=facts, exact_locks=False)
    out = meet_locks(np.asarray(conditioned, dtype=np.float32), facts, fps=fps)
    if locks is not None and len(locks.frames):
        # An editor's pin far from the free motion: the conditioned model bends only the frames next to it
        # (measured: 0.31 per frame into a jawOpen 0.9 pin, 5.6x the natural step). The pull's width is set
        # by the distance from the free prediction instead, then closures next to it are met again.
        out = meet_locks(apply_locks(out, locks, fps=fps, reference=np.asarray(first, np.float32)), facts, fps=fps)
    return out, keys
