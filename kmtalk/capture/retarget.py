"""Retargeting captured ARKit curves onto kmtalk's rig: a map kept as data, and a lip-gap solve.

MediaPipe's blendshape head and our rig's 52 targets disagree: the head
reads ``jawOpen`` near 0.05 while a speaker's lips part visibly, and its
``mouthPress``/``mouthRoll``/``mouthShrug`` scores (high on a closed mouth)
*open* our rig's lips a little. Driven as they come, the rig's inner-lip gap
follows the video's at r = 0.72 (``docs/capture.md``). Two steps fix that,
both described by ``assets/rig/capture_retarget.json``:

1. a per-channel map,
   ``w'[c] = clip(offset[c] + gain[c] * w[c] + sum_s mix[c][s] * w[s], 0, 1)``
   (``gain`` defaults to 1, ``offset`` to 0, ``mix`` adds other channels);
2. a **lip-gap solve** (``solve``): per frame, one channel (``jawOpen``) is
   set so that the rig's inner-lip gap over its outer-eye-corner distance
   equals ``scale`` times the same ratio measured on the tracked landmarks
   (``|L13 - L14| / |L33 - L263|``). Both ratios are normalised by the eye
   distance, so ``scale`` 1 means "open the rig's lips as far as the
   person's"; nothing is fitted to data. The other channels keep their
   captured values.

:func:`identity_map` leaves curves as captured.

Examples
--------
>>> import numpy as np
>>> from kmtalk.capture.retarget import RetargetMap
>>> m = RetargetMap(gain={"jawOpen": 2.0}, offset={"jawOpen": -0.1})
>>> w = np.zeros((1, 52), np.float32); w[0, 17] = 0.3  # jawOpen
>>> float(m.apply(w)[0, 17].round(3))
0.5
>>> from kmtalk.face.rig import default_rig
>>> solved = RetargetMap(solve={"channel": "jawOpen", "scale": 1.0}).apply(w, aperture=np.array([0.2]), rig=default_rig())
>>> round(float(solved[0, 17]), 2)  # jawOpen that opens the rig's lips to 0.2 eye distances
0.5
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from phoneme.errors import AssetError

from ..face.arkit import ARKIT_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from ..face.rig import Rig

__all__ = ["RETARGET_FILE", "RetargetMap", "identity_map", "load_retarget", "solve_lip_gap"]

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
    solve : dict, optional
        ``{"channel": "jawOpen", "scale": 1.0}``: the lip-gap solve (see the
        module text); None skips it.
    meta : dict
        How the map was made (free-form, JSON).
    """

    gain: dict[str, float] = field(default_factory=dict)
    offset: dict[str, float] = field(default_factory=dict)
    mix: dict[str, dict[str, float]] = field(default_factory=dict)
    solve: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = set(ARKIT_NAMES)
        used = set(self.gain) | set(self.offset) | set(self.mix)
        if self.solve is not None:
            if not isinstance(self.solve, dict) or "channel" not in self.solve:
                raise AssetError(f"retarget 'solve' must be {{'channel': name, 'scale': number}}, got {self.solve!r}")
            used.add(self.solve["channel"])
            if not float(self.solve.get("scale", 1.0)) > 0:
                raise AssetError(f"retarget solve scale must be positive, got {self.solve.get('scale')!r}")
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

    def apply(self, weights: np.ndarray, *, aperture: np.ndarray | None = None,
              rig: Rig | None = None) -> np.ndarray:
        """Map ``[T, 52]`` captured weights to rig weights in [0, 1] (float32).

        ``aperture [T]`` (the tracked lip gap over eye distance, per frame) is
        needed for the lip-gap solve; without it the solve is skipped.
        ``rig`` defaults to :func:`kmtalk.face.rig.default_rig`.
        """
        m, b = self.matrix()
        out = np.clip(np.asarray(weights, np.float64) @ m + b, 0.0, 1.0).astype(np.float32)
        if self.solve is not None and aperture is not None:
            if rig is None:
                from ..face.rig import default_rig

                rig = default_rig()
            target = float(self.solve.get("scale", 1.0)) * np.asarray(aperture, np.float64)
            out = solve_lip_gap(out, target, rig, channel=str(self.solve["channel"]))
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of the asset file."""
        return {"format": "kmtalk.capture_retarget", "version": 1, "gain": self.gain, "offset": self.offset,
                "mix": self.mix, "solve": self.solve, "meta": self.meta}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the map as JSON (atomically)."""
        from ..atomic import atomic_write

        path = Path(path)
        with atomic_write(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_json(), indent=1) + "\n", "utf-8")
        return path


def solve_lip_gap(weights: np.ndarray, target: np.ndarray, rig: Rig, *, channel: str = "jawOpen",
                  steps: int = 41) -> np.ndarray:
    """Set ``channel`` per frame so that the rig's lip aperture equals ``target``.

    The aperture is :func:`kmtalk.train.metrics.lip_aperture`'s (inner-lip gap over
    outer-eye-corner distance, x and y). For each frame the aperture is
    evaluated with ``channel`` at ``steps`` values in [0, 1] (the other
    channels as given, the rig's clamps and correctives applied); the value
    is read off the running maximum of that curve by linear interpolation,
    i.e. the smallest weight that opens the lips that far (0 when even 0
    opens them more, 1 when even 1 opens them less). NaN targets keep the
    input weight.

    Parameters
    ----------
    weights : ndarray [T, 52]
    target : ndarray [T]
    rig : Rig
        Needs the :data:`~kmtalk.train.metrics.APERTURE_LANDMARKS`.
    channel : str, default "jawOpen"
    steps : int, default 41

    Returns
    -------
    ndarray float32 [T, 52]

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.rig import default_rig
    >>> from kmtalk.train.metrics import lip_aperture
    >>> rig = default_rig()
    >>> w = solve_lip_gap(np.zeros((2, 52), np.float32), np.array([0.05, 0.15]), rig)
    >>> [round(float(a), 3) for a in lip_aperture(w, rig)]
    [0.05, 0.15]
    """
    from ..train.metrics import APERTURE_LANDMARKS

    w = np.asarray(weights, np.float32)
    t = np.asarray(target, np.float64).reshape(-1)
    if w.ndim != 2 or w.shape[1] != len(ARKIT_NAMES) or len(t) != len(w):
        raise ValueError(f"weights [T, 52] and target [T] expected, got {list(w.shape)} and {list(t.shape)}")
    c = ARKIT_NAMES.index(channel)
    grid = np.linspace(0.0, 1.0, int(steps))
    trial = np.repeat(w[None], len(grid), axis=0)
    trial[:, :, c] = grid[:, None]
    # Only the four aperture landmarks are needed: evaluate the rig on their coordinates alone.
    idx = [rig.landmarks[n] for n in APERTURE_LANDMARKS]
    cols = np.concatenate([[3 * v, 3 * v + 1, 3 * v + 2] for v in idx])
    flat = trial.reshape(-1, len(ARKIT_NAMES))
    coef = rig._coefficients(rig._apply_clamps(np.clip(flat, 0.0, 1.0), np), np)
    pts = (coef @ rig._basis[:, cols] + np.asarray(rig.neutral)[idx].reshape(-1)).reshape(len(grid), len(w), 4, 3)
    ap = (np.linalg.norm(pts[..., 0, :2] - pts[..., 1, :2], axis=-1)
          / np.linalg.norm(pts[..., 2, :2] - pts[..., 3, :2], axis=-1))
    env = np.maximum.accumulate(ap, axis=0)  # [G, T], non-decreasing in the weight
    out = w.copy()
    for i in np.flatnonzero(np.isfinite(t)):
        e = env[:, i]
        # np.interp needs increasing x: drop flat steps of the envelope.
        keep = np.concatenate([[True], np.diff(e) > 1e-12])
        out[i, c] = np.interp(t[i], e[keep], grid[keep])
    return out


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
                           solve=data.get("solve"), meta=dict(data.get("meta", {})))
    except (TypeError, ValueError, AttributeError) as exc:
        raise AssetError(f"malformed retarget map {path}: {exc}") from None
