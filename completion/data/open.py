"""Pick the dataset class for a folder from its layout.

Examples
--------
>>> from completion.data.open import detect_layout
>>> detect_layout("/nonexistent")
Traceback (most recent call last):
...
phoneme.errors.KmtalkError: /nonexistent is not a dataset folder kmtalk knows: expected a synthetic corpus (manifest.jsonl), the FaceFormer layout (vertices_npy/ + wav/) or Live Link takes (NAME.csv + NAME.wav)
"""

from __future__ import annotations

import os
from typing import Any

from phoneme.errors import KmtalkError

from .faceformer import FaceFormerDataset
from .livelink import LiveLinkDataset
from .synthetic import SyntheticCorpus

__all__ = ["LAYOUTS", "detect_layout", "open_dataset"]

LAYOUTS = ("synthetic", "faceformer", "livelink")


def detect_layout(root: str | os.PathLike[str]) -> str:
    """``"synthetic"``, ``"faceformer"`` or ``"livelink"`` for a dataset folder.

    Raises
    ------
    KmtalkError
        The folder matches none of them.
    """
    if SyntheticCorpus.is_corpus(root):
        return "synthetic"
    if FaceFormerDataset.is_layout(root):
        return "faceformer"
    if LiveLinkDataset.is_layout(root):
        return "livelink"
    raise KmtalkError(f"{root} is not a dataset folder kmtalk knows: expected a synthetic corpus "
                      "(manifest.jsonl), the FaceFormer layout (vertices_npy/ + wav/) or Live Link takes "
                      "(NAME.csv + NAME.wav)")


def open_dataset(root: str | os.PathLike[str], split: str = "train", *, layout: str = "auto",
                 fps: float | None = None, **options: Any) -> Any:
    """Open ``root`` with the dataset class of its layout.

    Parameters
    ----------
    root : path
    split : str, default "train"
    layout : {"auto", "synthetic", "faceformer", "livelink"}
    fps : float, optional
        Output frame rate (each class has its default).
    **options
        Passed to the class (``dataset="biwi"``, ``reader=…``, ``cache_dir=…``, ``limit=…``).
    """
    kind = detect_layout(root) if layout == "auto" else layout
    if kind == "synthetic":
        return SyntheticCorpus(root, split, fps=fps, **{k: v for k, v in options.items() if k == "limit"})
    if kind == "faceformer":
        opts = {k: v for k, v in options.items() if k in ("dataset", "source_fps", "subjects", "sentences",
                                                           "cache_dir", "limit")}
        return FaceFormerDataset(root, split=split, fps=fps, **opts)
    if kind == "livelink":
        opts = {k: v for k, v in options.items() if k in ("reader", "audio_offset", "cache_dir", "limit")}
        return LiveLinkDataset(root, split, fps=fps or 30.0, **opts)
    raise ValueError(f"layout must be auto or one of {LAYOUTS}, got {layout!r}")
