"""Small data builders shared by the tests of :mod:`completion` (no fixtures, no mocks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from phoneme.keys import select_keys
from phoneme.types import Alignment, Interval

ROOT = Path(__file__).resolve().parent.parent
LIBRIVOX = ROOT / "tests" / "data" / "speech" / "librivox"  # shipped: see tests/data/README.md

_LABELS = ["sil", "m", "ɑ", "p", "i", "f", "u", "s", "oʊ", "b", "æ", "w", "ɪ", "ʃ", "ə", "sil"]


def toy_alignment(seed: int, duration: float = 2.0) -> Alignment:
    """An alignment of a fixed phone string with random (seeded) boundaries."""
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.uniform(0.1, duration - 0.1, len(_LABELS) - 1))
    edges = np.concatenate([[0.0], cuts, [duration]])
    phones = [Interval(lab, float(edges[i]), float(edges[i + 1]), word=None if lab == "sil" else 0)
              for i, lab in enumerate(_LABELS)]
    return Alignment(words=[Interval("toy", 0.0, duration)], phones=phones, duration=duration)


def toy_utterance(seed: int, duration: float = 2.0, fps: float = 30.0, dim: int = 52, sr: int = 16000):
    """(alignment, keys, targets [T, dim], audio [N]): smooth curves and noise whose loudness follows channel 17."""
    rng = np.random.default_rng(seed)
    a = toy_alignment(seed, duration)
    keys = select_keys(a, fps)
    n_frames = int(round(duration * fps))
    t = np.arange(n_frames) / fps
    targets = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * (0.5 + 0.05 * c) * t + rng.uniform(0, 6))
                        for c in range(dim)], axis=1).astype(np.float32)
    n = int(duration * sr)
    env = np.interp(np.arange(n) / sr, t, targets[:, min(17, dim - 1)])
    audio = (rng.normal(size=n) * 0.1 * env).astype(np.float32)
    return a, keys, targets, audio
