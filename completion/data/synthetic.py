"""The synthetic corpus of ``python -m kmtalk.train.corpus.synthetic`` (plain files, ARKit space).

Reads ``manifest.jsonl`` and, per line, ``wav/ID.wav``, ``alignments/ID.json``,
``keys/ID.json`` and ``curves/ID.npy`` (see :mod:`kmtalk.train.corpus.synthetic`
for the layout). The style of a line is its prior's ``jaw`` and ``lip`` axes.

Examples
--------
>>> from completion.data.synthetic import SyntheticCorpus
>>> SyntheticCorpus.is_corpus("/nonexistent")
False
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.audio import load_audio
from phoneme.errors import KmtalkError
from phoneme.frames import n_frames_for
from phoneme.keys import KeyMotion, select_keys
from phoneme.loudness import frame_loudness
from phoneme.types import Alignment

from .item import SAMPLE_RATE, Utterance, resample_frames

__all__ = ["SyntheticCorpus"]

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test", "all")


class SyntheticCorpus:
    """A synthetic corpus folder as a sequence of :class:`~completion.data.item.Utterance`.

    Parameters
    ----------
    root : path
        The corpus folder (holds ``manifest.jsonl``).
    split : {"train", "val", "test", "all"}, default "train"
        Lines whose manifest ``split`` matches.
    fps : float, optional
        Frame rate to return (default: the corpus's). At another rate the curves
        are resampled and the keys re-selected at that rate with the bundled lexicon.
    limit : int, optional
        Keep only the first ``limit`` lines of the split.

    Raises
    ------
    KmtalkError
        No manifest, a malformed manifest line, or (on access) a missing file.
    """

    def __init__(self, root: str | os.PathLike[str], split: str = "train", *, fps: float | None = None,
                 limit: int | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.root = Path(root)
        manifest = self.root / "manifest.jsonl"
        if not manifest.is_file():
            raise KmtalkError(f"{self.root} is not a synthetic corpus (no manifest.jsonl); make one with "
                              "`python -m kmtalk.train.corpus.synthetic --out DIR --lines N`")
        rows: list[dict[str, Any]] = []
        for n, line in enumerate(manifest.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                for k in ("id", "wav", "curves", "fps"):
                    row[k]
            except (ValueError, KeyError, TypeError) as exc:
                raise KmtalkError(f"{manifest}:{n}: malformed manifest line ({exc})") from None
            if split == "all" or row.get("split", "train") == split:
                rows.append(row)
        self.rows = rows[:limit] if limit is not None else rows
        self.split = split
        self.fps = float(fps) if fps is not None else (float(self.rows[0]["fps"]) if self.rows else 30.0)

    @staticmethod
    def is_corpus(root: str | os.PathLike[str]) -> bool:
        """True when ``root`` holds a ``manifest.jsonl``."""
        return (Path(root) / "manifest.jsonl").is_file()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Utterance]:
        for i in range(len(self)):
            yield self[i]

    @property
    def names(self) -> list[str]:
        return [r["id"] for r in self.rows]

    def __getitem__(self, index: int) -> Utterance:
        row = self.rows[index]
        try:
            samples, sr = load_audio(self.root / row["wav"], sample_rate=SAMPLE_RATE)
            curves = np.load(self.root / row["curves"], allow_pickle=False)
            alignment = Alignment.load_json(self.root / row["alignment"]) if row.get("alignment") else None
            keys = ([KeyMotion.from_dict(k) for k in json.loads((self.root / row["keys"]).read_text("utf-8"))]
                    if row.get("keys") else [])
        except (OSError, ValueError) as exc:
            raise KmtalkError(f"corpus line {row['id']} in {self.root} is unreadable: {exc}") from None
        src_fps = float(row["fps"])
        values = curves.astype(np.float32)
        if src_fps != self.fps:
            n = n_frames_for(len(samples) / sr, self.fps)
            values = resample_frames(values, src_fps, self.fps, n_out=n)
            if alignment is not None:
                keys = select_keys(alignment, self.fps, loudness=frame_loudness(samples, sr, self.fps, n_frames=n))
        style = {k: float(row[k]) for k in ("jaw", "lip") if k in row}
        meta = {k: row[k] for k in ("text", "voice", "rate", "pitch", "split") if k in row}
        return Utterance(name=row["id"], samples=samples, sample_rate=sr, fps=self.fps, values=values,
                         alignment=alignment, keys=keys, style=style or None, meta=meta)
