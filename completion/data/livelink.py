"""ARKit curves recorded with Live Link Face: ``NAME.csv`` + ``NAME.wav`` pairs (ARKit space).

Layout::

    ROOT/NAME.csv     Live Link Face CSV (Timecode, BlendshapeCount, 52 blendshape columns …)
    ROOT/NAME.wav     the take's audio (extract it from the take's .mov), any rate
    ROOT/NAME.txt     optional transcript → forced alignment and key motions
    ROOT/splits.json  optional {"train": [names], "val": [...], "test": [...]}

The CSV's first row is taken to be at the first audio sample (the app starts
both together); pass ``audio_offset`` when a take's audio starts later or
earlier. Rows are interpolated onto the ``fps`` grid. Without
``splits.json`` every tenth take (in name order) is ``val``, the rest ``train``
(and ``test`` is empty).

The CSV parser is given as ``reader`` (this package does not import
:mod:`kmtalk`): :func:`kmtalk.io.exporters.livelink.read_livelink_csv`, or any
callable returning an object with ``times`` [T] (seconds) and ``weights``
[T, 52] in ARKit order. ``kmtalk train`` passes kmtalk's reader.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.audio import load_audio
from phoneme.errors import KmtalkError

from .item import SAMPLE_RATE, Utterance, align_and_select

__all__ = ["LiveLinkDataset"]

log = logging.getLogger(__name__)


class LiveLinkDataset:
    """Live Link Face CSV + WAV pairs as a sequence of :class:`~completion.data.item.Utterance`.

    Parameters
    ----------
    root : path
    split : {"train", "val", "test", "all"}, default "train"
    fps : float, default 30
        Output frame rate (rows are linearly interpolated onto it).
    reader : callable
        ``reader(csv_path) -> take`` with ``take.times`` and ``take.weights``
        (see the module docstring). Required.
    audio_offset : float, default 0
        Seconds from the first audio sample to the CSV's first row.
    cache_dir : path, optional
        Cache of forced alignments of transcripts.

    Raises
    ------
    KmtalkError
        No CSV/WAV pairs, or a ``splits.json`` naming unknown takes.
    """

    def __init__(self, root: str | os.PathLike[str], split: str = "train", *, fps: float = 30.0,
                 reader: Callable[[Path], Any] | None = None, audio_offset: float = 0.0,
                 cache_dir: str | os.PathLike[str] | None = None, limit: int | None = None) -> None:
        if reader is None:
            raise ValueError("LiveLinkDataset needs reader= (e.g. kmtalk.io.exporters.livelink.read_livelink_csv)")
        if split not in ("train", "val", "test", "all"):
            raise ValueError(f"split must be train, val, test or all, got {split!r}")
        self.root = Path(root)
        self.reader = reader
        self.fps = float(fps)
        self.audio_offset = float(audio_offset)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        takes = sorted(p.stem for p in self.root.glob("*.csv") if (self.root / f"{p.stem}.wav").is_file())
        if not takes:
            raise KmtalkError(f"{self.root} holds no Live Link take (NAME.csv with NAME.wav next to it)")
        splits_file = self.root / "splits.json"
        if splits_file.is_file():
            try:
                splits = {k: list(v) for k, v in json.loads(splits_file.read_text("utf-8")).items()}
            except (OSError, ValueError, AttributeError, TypeError) as exc:
                raise KmtalkError(f"cannot read {splits_file}: {exc}") from None
            unknown = sorted({n for v in splits.values() for n in v} - set(takes))
            if unknown:
                raise KmtalkError(f"{splits_file} names takes without a CSV+WAV pair: {unknown[:5]}")
        else:
            splits = {"train": [t for i, t in enumerate(takes) if i % 10 != 9],
                      "val": [t for i, t in enumerate(takes) if i % 10 == 9], "test": []}
        names = takes if split == "all" else [t for t in takes if t in set(splits.get(split, []))]
        self.names = names[:limit] if limit is not None else names
        self.split = split

    @staticmethod
    def is_layout(root: str | os.PathLike[str]) -> bool:
        """True when ``root`` holds at least one ``NAME.csv`` with a ``NAME.wav``."""
        r = Path(root)
        return r.is_dir() and any((r / f"{p.stem}.wav").is_file() for p in r.glob("*.csv"))

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[Utterance]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> Utterance:
        name = self.names[index]
        samples, sr = load_audio(self.root / f"{name}.wav", sample_rate=SAMPLE_RATE)
        take = self.reader(self.root / f"{name}.csv")
        times = np.asarray(take.times, np.float64) - float(np.asarray(take.times)[0]) + self.audio_offset
        weights = np.asarray(take.weights, np.float64)
        if weights.ndim != 2 or weights.shape[0] != times.shape[0]:
            raise KmtalkError(f"{name}.csv: the reader returned weights {weights.shape} for {times.shape[0]} rows")
        order = np.argsort(times, kind="stable")
        times, weights = times[order], weights[order]
        n = max(int(np.floor(min(times[-1], len(samples) / sr) * self.fps + 1e-9)) + 1, 1)
        grid = np.arange(n) / self.fps
        values = np.stack([np.interp(grid, times, weights[:, c]) for c in range(weights.shape[1])], axis=1)
        values = np.clip(values, 0.0, 1.0).astype(np.float32)
        alignment, keys = None, []
        txt = self.root / f"{name}.txt"
        if txt.is_file():
            alignment, keys = align_and_select(name, samples, sr, txt.read_text("utf-8"), self.fps, n,
                                               cache_dir=self.cache_dir)
        return Utterance(name=name, samples=samples, sample_rate=sr, fps=self.fps, values=values,
                         alignment=alignment, keys=keys, meta={"source": "livelink"})
