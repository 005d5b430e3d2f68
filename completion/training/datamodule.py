"""The Lightning data module: a dataset folder → padded batches in motion-space coordinates.

The motion space follows the data: ARKit weights for the synthetic corpus and
Live Link takes; for mesh datasets a :class:`~completion.motion_space.VertexPCASpace`
fitted on (up to ``pca_frames`` evenly strided frames of) the train split.

A batch is a dict::

    samples       float [B, N]        16 kHz audio, zero-padded
    audio_lengths long  [B]           real samples
    targets       float [B, T, D]     motion-space coordinates, zero-padded
    frame_mask    bool  [B, T]        real frames
    keys          KeyFeatures         B utterances' key motions (padded, with mask)
    style         float [B, S]        style axis values (neutral where unknown)
    names         list of str

Examples
--------
>>> import numpy as np
>>> from completion.data.item import Utterance
>>> from completion.motion_space import ArkitSpace
>>> from completion.keynet import KeyVocab
>>> from completion.training.datamodule import EncodedItems, collate_items
>>> u = Utterance("a", np.zeros(16000, np.float32), 16000, 30.0, np.zeros((30, 52), np.float32))
>>> items = EncodedItems([u], ArkitSpace(), KeyVocab.from_lexicon(), style_names=("jaw", "lip"),
...                      style_defaults=(1.0, 1.0))
>>> batch = collate_items([items[0], items[0]])
>>> tuple(batch["targets"].shape), tuple(batch["samples"].shape), batch["keys"].n_keys
((2, 30, 52), (2, 16000), 0)
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from phoneme.errors import KmtalkError

from ..data.item import SAMPLE_RATE, Utterance
from ..data.open import detect_layout, open_dataset
from ..keynet import KeyFeatures, KeyVocab
from ..motion_space import ArkitSpace, MotionSpace, VertexPCASpace
from .config import DataConfig

__all__ = ["EncodedItems", "KMTalkDataModule", "collate_items"]

log = logging.getLogger(__name__)


class EncodedItems(Dataset):
    """Utterances encoded for training: samples, coordinates, key features, style (cached in memory).

    Parameters
    ----------
    source : sequence of Utterance
        A dataset (indexable) or a list.
    space : MotionSpace
    vocab : KeyVocab
    style_names, style_defaults : sequences
        The model's style axes; an utterance's ``style`` dict fills them.
    max_seconds : float, optional
        Crop longer utterances to this length: a random window when ``random_crop``, else the start.
    random_crop : bool, default False
    augment : dict, optional
        Audio augmentation (training only): ``gain_db`` (uniform ±), ``noise_snr_db``
        (``[lo, hi]``: white noise at a uniform SNR against the utterance's RMS,
        or None) and ``audio_dropout`` (probability of replacing the audio by
        silence, so the models must work from the keys alone). Draws use torch's
        global generator (seeded by the run).
    """

    def __init__(self, source: Sequence[Utterance], space: MotionSpace, vocab: KeyVocab, *,
                 style_names: Sequence[str], style_defaults: Sequence[float],
                 max_seconds: float | None = None, random_crop: bool = False,
                 augment: dict[str, Any] | None = None) -> None:
        self.source = source
        self.space = space
        self.vocab = vocab
        self.style_names = tuple(style_names)
        self.style_defaults = np.asarray(style_defaults, np.float32)
        self.max_seconds = max_seconds
        self.random_crop = random_crop
        self.augment = dict(augment or {})
        self._cache: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.source)

    def _encode(self, index: int) -> dict[str, Any]:
        if index not in self._cache:
            u = self.source[index]
            if u.sample_rate != SAMPLE_RATE:
                raise KmtalkError(f"{u.name}: audio at {u.sample_rate} Hz; loaders must give {SAMPLE_RATE} Hz")
            coords = self.space.encode(u.values).astype(np.float32)
            if u.alignment is not None and u.keys:
                keys = KeyFeatures.build(u.alignment, u.keys, u.fps, self.vocab)
            else:
                keys = KeyFeatures.collate([_no_keys()])
            style = self.style_defaults.copy()
            for name, value in (u.style or {}).items():
                if name in self.style_names:
                    style[self.style_names.index(name)] = float(value)
            self._cache[index] = {"name": u.name, "samples": np.asarray(u.samples, np.float32),
                                  "coords": coords, "keys": keys, "style": style, "fps": float(u.fps)}
        return self._cache[index]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self._encode(index)
        fps = item["fps"]
        coords, samples, keys = item["coords"], item["samples"], item["keys"]
        t = coords.shape[0]
        start = 0
        if self.max_seconds is not None:
            length = max(math.floor(self.max_seconds * fps), 1)
            if t > length:
                if self.random_crop:
                    start = int(torch.randint(0, t - length + 1, (1,)).item())
                coords = coords[start:start + length]
                a = round(start / fps * SAMPLE_RATE)
                samples = samples[a:a + round(length / fps * SAMPLE_RATE)]
                keys = _shift_keys(keys, start, coords.shape[0], fps)
        x = torch.from_numpy(np.ascontiguousarray(samples))
        if self.augment:
            x = _augment(x, **self.augment)
        return {"name": item["name"], "samples": x,
                "coords": torch.from_numpy(np.ascontiguousarray(coords)), "keys": keys,
                "style": torch.from_numpy(item["style"]), "fps": fps}


def _augment(x: torch.Tensor, *, gain_db: float = 0.0, noise_snr_db: Sequence[float] | None = None,
             audio_dropout: float = 0.0) -> torch.Tensor:
    """Random gain, white noise at a random SNR, or silence (see :class:`EncodedItems`)."""
    if audio_dropout > 0 and float(torch.rand(())) < audio_dropout:
        return torch.zeros_like(x)
    if gain_db:
        x = x * 10.0 ** (float(torch.empty(()).uniform_(-gain_db, gain_db)) / 20.0)
    if noise_snr_db is not None:
        lo, hi = noise_snr_db
        snr = float(torch.empty(()).uniform_(lo, hi))
        rms = float(x.pow(2).mean().sqrt())
        x = x + torch.randn_like(x) * (rms / 10.0 ** (snr / 20.0))
    return x.clamp(-1.0, 1.0)


def _no_keys() -> KeyFeatures:
    z = torch.zeros(1, 0, dtype=torch.long)
    return KeyFeatures(torch.zeros(1, 0, 5, dtype=torch.long), torch.zeros(1, 0, 5, dtype=torch.long),
                       torch.zeros(1, 0, 5), z.float(), z, z.float(), z, z.float(), z.bool())


def _shift_keys(keys: KeyFeatures, start: int, n_frames: int, fps: float) -> KeyFeatures:
    """Keys of a crop starting at frame ``start`` (keys outside ``[0, n_frames)`` dropped)."""
    frames = keys.frames - start
    keep = ((frames >= 0) & (frames < n_frames) & keys.mask)[0]
    idx = torch.nonzero(keep).flatten()
    sel = {name: getattr(keys, name)[:, idx] for name in
           ("phone_ids", "viseme_ids", "durations", "position", "kind_ids", "weight", "mask")}
    fr = frames[:, idx]
    return KeyFeatures(frames=fr, times=fr.to(torch.float32) / float(fps), **sel)


def collate_items(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pad encoded items into one batch (see the module docstring)."""
    if not items:
        raise ValueError("collate_items needs at least one item")
    fps = {it["fps"] for it in items}
    if len(fps) != 1:
        raise KmtalkError(f"a batch mixes frame rates {sorted(fps)}; resample the data to one rate")
    b = len(items)
    n_max = max(it["samples"].shape[0] for it in items)
    t_max = max(it["coords"].shape[0] for it in items)
    d = items[0]["coords"].shape[1]
    samples = torch.zeros(b, n_max)
    targets = torch.zeros(b, t_max, d)
    frame_mask = torch.zeros(b, t_max, dtype=torch.bool)
    for i, it in enumerate(items):
        samples[i, :it["samples"].shape[0]] = it["samples"]
        targets[i, :it["coords"].shape[0]] = it["coords"]
        frame_mask[i, :it["coords"].shape[0]] = True
    return {"samples": samples, "audio_lengths": torch.tensor([it["samples"].shape[0] for it in items]),
            "targets": targets, "frame_mask": frame_mask,
            "keys": KeyFeatures.collate([it["keys"] for it in items]),
            "style": torch.stack([it["style"] for it in items]), "names": [it["name"] for it in items],
            "fps": items[0]["fps"]}


def fit_vertex_pca(dataset: Sequence[Utterance], dim: int, max_frames: int) -> VertexPCASpace:
    """Fit a :class:`VertexPCASpace` on up to ``max_frames`` evenly strided frames of ``dataset``."""
    lengths = []
    for u in dataset:
        lengths.append(u.n_frames)
    total = sum(lengths)
    stride = max(math.ceil(total / max(max_frames, 1)), 1)
    frames = []
    offset = 0
    for u in dataset:
        idx = np.arange((-offset) % stride, u.n_frames, stride)
        offset += u.n_frames
        if idx.size:
            frames.append(np.asarray(u.values, np.float32)[idx])
    x = np.concatenate(frames)
    dim = min(dim, x.shape[0], x.shape[1] * 3)
    log.info("fitting a %d-component vertex PCA on %d frames of %d vertices", dim, x.shape[0], x.shape[1])
    return VertexPCASpace.fit(x, dim)


class KMTalkDataModule(pl.LightningDataModule):
    """Batches of a dataset folder for :class:`~completion.training.lit.LitKMTalk`.

    Parameters
    ----------
    root : path
        A synthetic corpus, a FaceFormer-layout VOCASET/BIWI folder or Live Link takes.
    config : DataConfig
    fps : float, default 30
        Frame rate used when ``config.fps`` is not set (mesh datasets default to their own).
    seed : int, default 0
        Seeds the shuffling generator.
    vocab : KeyVocab, optional
        Default: the bundled English lexicon's.
    style_names, style_defaults : sequences
        The model's style axes.
    reader : callable, optional
        Live Link CSV reader (see :class:`~completion.data.LiveLinkDataset`).
    cache_dir : path, optional
        Cache for forced alignments of transcripts.
    space : MotionSpace, optional
        Use this space instead of fitting one (e.g. a checkpoint's, for evaluation).
    """

    def __init__(self, root: str | os.PathLike[str], config: DataConfig | None = None, *, fps: float = 30.0,
                 seed: int = 0, vocab: KeyVocab | None = None, style_names: Sequence[str] = ("jaw", "lip"),
                 style_defaults: Sequence[float] = (1.0, 1.0), reader: Callable[[Path], Any] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, space: MotionSpace | None = None) -> None:
        super().__init__()
        self.root = Path(root)
        self.config = config or DataConfig()
        self.seed = int(seed)
        self.vocab = vocab or KeyVocab.from_lexicon()
        self.style_names = tuple(style_names)
        self.style_defaults = tuple(style_defaults)
        self.reader = reader
        self.cache_dir = cache_dir
        self.layout = detect_layout(self.root) if self.config.layout == "auto" else self.config.layout
        self.fps = float(self.config.fps) if self.config.fps else (None if self.layout == "faceformer" else float(fps))
        self.space = space
        self.train_set: EncodedItems | None = None
        self.val_set: EncodedItems | None = None
        self.raw: dict[str, Any] = {}

    def open_split(self, split: str, limit: int | None = None) -> Any:
        """The raw dataset of a split (Utterances in native values)."""
        opts: dict[str, Any] = {"limit": limit, "cache_dir": self.cache_dir}
        if self.config.dataset:
            opts["dataset"] = self.config.dataset
        if self.reader is not None:
            opts["reader"] = self.reader
        ds = open_dataset(self.root, split, layout=self.layout, fps=self.fps, **opts)
        if self.fps is None:
            self.fps = float(ds.fps)
        return ds

    def _encoded(self, ds: Any, train: bool) -> EncodedItems:
        assert self.space is not None
        return EncodedItems(ds, self.space, self.vocab, style_names=self.style_names,
                            style_defaults=self.style_defaults, max_seconds=self.config.max_seconds,
                            random_crop=train, augment=self.config.augment if train else None)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        train = self.open_split("train", self.config.limit_train)
        if len(train) == 0:
            raise KmtalkError(f"{self.root} has no training utterances")
        try:
            val = self.open_split("val", self.config.limit_val)
        except KmtalkError as exc:
            log.warning("no validation split: %s", exc)
            val = []
        if self.space is None:
            if self.layout == "faceformer":
                self.space = fit_vertex_pca(train, self.config.pca_dim, self.config.pca_frames)
            else:
                self.space = ArkitSpace()
        self.raw = {"train": train, "val": val}
        self.train_set = self._encoded(train, True)
        self.val_set = self._encoded(val, False) if len(val) else None
        log.info("data %s (%s): %d train, %d val utterances at %.4g fps; motion space %s (%d)", self.root,
                 self.layout, len(train), len(val), self.fps, self.space.kind, self.space.dim)

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None, "call setup() first"
        gen = torch.Generator().manual_seed(self.seed)
        return DataLoader(self.train_set, batch_size=self.config.batch_size, shuffle=True, generator=gen,
                          collate_fn=collate_items, num_workers=self.config.num_workers,
                          persistent_workers=self.config.num_workers > 0)

    def val_dataloader(self) -> DataLoader | list:
        if self.val_set is None:
            return []
        return DataLoader(self.val_set, batch_size=self.config.batch_size, shuffle=False,
                          collate_fn=collate_items, num_workers=self.config.num_workers,
                          persistent_workers=self.config.num_workers > 0)
