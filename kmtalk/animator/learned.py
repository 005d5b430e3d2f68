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

A second model ships beside it, chosen by name (``checkpoint="kmtalk-arkit-whisper"``):
trained on captured real motion with Whisper tiny.en's encoder states as its
audio features (``docs/training.md`` §8). It needs the ``asr`` extra, which
holds the Whisper weights; its folder keeps only the trained projection.

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

from ..errors import CheckpointError
from ..face.locks import Locks, apply_locks
from .closures import closure_locks, meet_locks
from .prior import PriorTables

__all__ = ["SHIPPED_MODEL", "SHIPPED_MODELS", "shipped_checkpoint", "resolve_checkpoint", "load_model",
           "animate_learned"]

#: Every model that ships, by the name ``checkpoint=`` accepts; the first is the default.
SHIPPED_MODELS = ("kmtalk-arkit", "kmtalk-arkit-whisper")
#: Where the default ARKit model lives, below the assets folder.
SHIPPED_MODEL = ("models", SHIPPED_MODELS[0])


def shipped_checkpoint(name: str = SHIPPED_MODELS[0]) -> Path | None:
    """A bundled trained model's folder (default: the default model), or None when it does not ship.

    Examples
    --------
    >>> shipped_checkpoint("kmtalk-arkit-whisper").name  # doctest: +SKIP
    'kmtalk-arkit-whisper'
    """
    path = assets_dir() / "models" / name
    return path if (path / "model.safetensors").is_file() and (path / "config.json").is_file() else None


def resolve_checkpoint(checkpoint: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """``checkpoint=`` as a folder: a shipped model's name (:data:`SHIPPED_MODELS`) unless a folder of
    that name exists here; anything else is returned as given (a ``kmtalk train`` output).

    Examples
    --------
    >>> str(resolve_checkpoint("runs/mine/checkpoint"))
    'runs/mine/checkpoint'
    """
    name = os.fspath(checkpoint)
    if name in SHIPPED_MODELS and not Path(name).exists():
        path = shipped_checkpoint(name)
        if path is None:
            raise CheckpointError(f"the shipped model {name!r} is missing from this kmtalk's assets")
        return path
    return checkpoint


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
