"""Retargeting captured ARKit curves onto kmtalk's rig: a per-channel map kept as data.

MediaPipe's blendshape head and our rig's 52 targets disagree on scale (the
head reads ``jawOpen`` 0.3 on a wide-open mouth; a speaker's lips part
without ``jawOpen`` moving our rig's lips much). The map in
``assets/rig/capture_retarget.json`` corrects that per channel:

``w'[c] = clip(offset[c] + gain[c] * w[c] + sum_s mix[c][s] * w[s], 0, 1)``

``gain`` defaults to 1 and ``offset`` to 0; ``mix`` (optional) adds other
captured channels into a channel. The file records how it was fitted
(``fit``). :func:`identity_map` leaves curves as captured.

Examples
--------
>>> import numpy as np
>>> from kmtalk.capture.retarget import RetargetMap
>>> m = RetargetMap(gain={"jawOpen": 2.0}, offset={"jawOpen": -0.1})
>>> w = np.zeros((1, 52), np.float32); w[0, 17] = 0.3  # jawOpen
>>> float(m.apply(w)[0, 17].round(3))
0.5
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from phoneme.errors import AssetError

from ..arkit import ARKIT_NAMES

__all__ = ["RetargetMap", "identity_map", "load_retarget", "RETARGET_FILE"]

log = logging.getLogger(__name__)

#: The shipped map, below the assets folder.
RETARGET_FILE = ("rig", "capture_retarget.json")


@dataclass
class RetargetMap:
    """Per-channel gain/offset (and optional cross-channel mix) from captured to rig weights.

    Parameters
    ----------
    gain, offset : dict
        ``{channel: value}``; missing channels keep gain 1, offset 0.
    mix : dict
        ``{target channel: {source channel: coefficient}}``.
    meta : dict
        How the map was made (free-form, JSON).
    """

    gain: dict[str, float] = field(default_factory=dict)
    offset: dict[str, float] = field(default_factory=dict)
    mix: dict[str, dict[str, float]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = set(ARKIT_NAMES)
        used = set(self.gain) | set(self.offset) | set(self.mix)
        used |= {s for m in self.mix.values() for s in m}
        bad = sorted(used - names)
        if bad:
            raise AssetError(f"retarget map names unknown ARKit channels {bad[:5]}")

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """``(M [52, 52], b [52])`` with ``w' = clip(w @ M + b, 0, 1)``."""
        idx = {n: i for i, n in enumerate(ARKIT_NAMES)}
        m = np.eye(len(ARKIT_NAMES))
        b = np.zeros(len(ARKIT_NAMES))
        for name, g in self.gain.items():
            m[idx[name], idx[name]] = float(g)
        for name, o in self.offset.items():
            b[idx[name]] = float(o)
        for target, sources in self.mix.items():
            for source, coef in sources.items():
                m[idx[source], idx[target]] += float(coef)
        return m, b

    def apply(self, weights: np.ndarray) -> np.ndarray:
        """Map ``[T, 52]`` captured weights to rig weights in [0, 1] (float32)."""
        m, b = self.matrix()
        return np.clip(np.asarray(weights, np.float64) @ m + b, 0.0, 1.0).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of the asset file."""
        return {"format": "kmtalk.capture_retarget", "version": 1, "gain": self.gain, "offset": self.offset,
                "mix": self.mix, "meta": self.meta}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the map as JSON (atomically)."""
        from ..atomic import atomic_write

        path = Path(path)
        with atomic_write(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_json(), indent=1) + "\n", "utf-8")
        return path


def identity_map() -> RetargetMap:
    """The map that leaves captured curves unchanged."""
    return RetargetMap(meta={"name": "identity"})


def load_retarget(path: str | os.PathLike[str] | None = None) -> RetargetMap:
    """Read a retarget map: ``path``, or the shipped ``assets/rig/capture_retarget.json``.

    Raises
    ------
    AssetError
        Missing or malformed file.

    Examples
    --------
    >>> load_retarget().apply([[0.0] * 52]).shape
    (1, 52)
    """
    if path is None:
        from phoneme.assets import asset_path

        path = asset_path(*RETARGET_FILE)
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot read retarget map {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "kmtalk.capture_retarget":
        raise AssetError(f"{path} is not a kmtalk capture retarget map (format 'kmtalk.capture_retarget')")
    try:
        return RetargetMap(gain={k: float(v) for k, v in data.get("gain", {}).items()},
                           offset={k: float(v) for k, v in data.get("offset", {}).items()},
                           mix={k: {s: float(c) for s, c in v.items()} for k, v in data.get("mix", {}).items()},
                           meta=dict(data.get("meta", {})))
    except (TypeError, ValueError, AttributeError) as exc:
        raise AssetError(f"malformed retarget map {path}: {exc}") from None
