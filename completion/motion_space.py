"""Motion spaces: the coordinates the models predict in.

A model never hard-codes "52": it is built for a :class:`MotionSpace` of
``dim`` channels. Two spaces ship:

- :class:`ArkitSpace` — the 52 ARKit blendshape weights themselves
  (identity; :meth:`~ArkitSpace.decode` clamps to [0, 1]). The default.
- :class:`VertexPCASpace` — for mesh-only datasets (VOCASET, BIWI, FLAME):
  a PCA basis of per-vertex offsets from a template, whitened so every
  coefficient has unit variance on the training data. ``encode`` maps
  offsets ``[..., V, 3]`` to coefficients ``[..., dim]``; ``decode`` maps back.

The model's inputs and outputs (key values, locks, predictions) are in the
space's *coordinates* ``z`` (``[..., dim]``); ``bounds`` says which range they
live in (``(0, 1)`` for ARKit, unbounded for PCA).

Examples
--------
>>> import numpy as np
>>> from completion.motion_space import ArkitSpace, VertexPCASpace
>>> s = ArkitSpace()
>>> s.dim, s.names[17], float(s.decode(np.full(52, 1.3))[0])
(52, 'jawOpen', 1.0)
>>> rng = np.random.default_rng(0)
>>> offsets = (rng.normal(size=(200, 5)) @ rng.normal(size=(5, 12))).reshape(200, 4, 3)  # rank 5
>>> pca = VertexPCASpace.fit(offsets, dim=6)
>>> z = pca.encode(offsets[:3]); z.shape, bool(np.allclose(pca.decode(z), offsets[:3], atol=1e-4))
((3, 6), True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from phoneme.errors import CheckpointError

from .arkit import arkit_table

__all__ = ["ArkitSpace", "MotionSpace", "VertexPCASpace", "arkit_names", "motion_space_from_config"]


def arkit_names() -> tuple[str, ...]:
    """The 52 ARKit names in Apple's order (:func:`completion.arkit.arkit_table`).

    Examples
    --------
    >>> arkit_names()[0], len(arkit_names())
    ('eyeBlinkLeft', 52)
    """
    return tuple(arkit_table()["names"])


class MotionSpace:
    """Interface of a motion space (see the module docstring).

    Attributes
    ----------
    kind : str
        Registry name written to checkpoints (``"arkit"``, ``"vertex_pca"``).
    dim : int
        Number of model channels ``D``.
    names : tuple of str
        One name per channel.
    bounds : (float, float) or None
        Range of valid coordinates (predictions are clamped to it), or None.
    """

    kind: str = ""
    dim: int = 0
    names: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Native values → coordinates ``[..., dim]``."""
        raise NotImplementedError

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Coordinates ``[..., dim]`` → native values."""
        raise NotImplementedError

    def clip(self, z: np.ndarray) -> np.ndarray:
        """Clamp coordinates to :attr:`bounds` (a copy; float32)."""
        z = np.asarray(z, dtype=np.float32)
        return z.copy() if self.bounds is None else np.clip(z, *self.bounds).astype(np.float32)

    def config(self) -> dict[str, Any]:
        """JSON-serialisable description (arrays go to :meth:`arrays`)."""
        return {"kind": self.kind, "dim": self.dim}

    def arrays(self) -> dict[str, np.ndarray]:
        """Named float32 arrays that define the space (saved next to the model weights)."""
        return {}


class ArkitSpace(MotionSpace):
    """The 52 ARKit blendshape weights (identity coordinates, decoded into [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> ArkitSpace().encode(np.zeros((5, 52))).shape
    (5, 52)
    """

    kind = "arkit"
    bounds = (0.0, 1.0)

    def __init__(self) -> None:
        self.names = arkit_names()
        self.dim = len(self.names)

    def encode(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float32)
        if v.shape[-1:] != (self.dim,):
            raise ValueError(f"ARKit values must end in {self.dim} channels, got shape {v.shape}")
        return v.copy()

    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(z, dtype=np.float32), 0.0, 1.0)


class VertexPCASpace(MotionSpace):
    """Whitened PCA of per-vertex offsets from a template mesh.

    Parameters
    ----------
    mean : ndarray [V * 3]
        Mean offset (flattened ``[V, 3]``).
    basis : ndarray [dim, V * 3]
        Orthonormal principal directions (rows).
    scale : ndarray [dim]
        Standard deviation of each coefficient on the fitting data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> space = VertexPCASpace.fit(rng.normal(size=(50, 10, 3)), dim=4)
    >>> space.dim, space.n_vertices, space.names[:2]
    (4, 10, ('pc0', 'pc1'))
    """

    kind = "vertex_pca"

    def __init__(self, mean: np.ndarray, basis: np.ndarray, scale: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.basis = np.asarray(basis, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32).reshape(-1)
        if self.basis.ndim != 2 or self.basis.shape[1] != self.mean.size or self.mean.size % 3:
            raise CheckpointError(f"vertex-PCA arrays disagree: mean {self.mean.shape}, basis {self.basis.shape}")
        if self.scale.size != self.basis.shape[0] or not np.all(self.scale > 0):
            raise CheckpointError("vertex-PCA scale must hold one positive value per component")
        self.dim = int(self.basis.shape[0])
        self.n_vertices = self.mean.size // 3
        self.names = tuple(f"pc{i}" for i in range(self.dim))

    @classmethod
    def fit(cls, offsets: np.ndarray, dim: int) -> VertexPCASpace:
        """Fit the basis to offsets ``[N, V, 3]`` (frames × vertices) keeping ``dim`` components.

        Raises
        ------
        ValueError
            Wrong shape, non-finite data, or ``dim`` larger than the data allows.
        """
        x = np.asarray(offsets, dtype=np.float64)
        if x.ndim != 3 or x.shape[2] != 3:
            raise ValueError(f"offsets must be shaped [N, V, 3], got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("offsets hold NaN or infinite values")
        flat = x.reshape(x.shape[0], -1)
        if not 1 <= dim <= min(flat.shape):
            raise ValueError(f"dim={dim} must be in 1..{min(flat.shape)} for {flat.shape[0]} frames "
                             f"of {x.shape[1]} vertices")
        mean = flat.mean(axis=0)
        _, sing, vt = np.linalg.svd(flat - mean, full_matrices=False)
        std = sing[:dim] / np.sqrt(max(flat.shape[0] - 1, 1))
        # Deterministic signs: the largest-magnitude entry of each direction is positive.
        signs = np.sign(vt[np.arange(dim), np.abs(vt[:dim]).argmax(axis=1)])
        basis = vt[:dim] * np.where(signs == 0, 1.0, signs)[:, None]
        return cls(mean, basis, np.maximum(std, 1e-8))

    def encode(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float32)
        if v.shape[-2:] != (self.n_vertices, 3):
            raise ValueError(f"offsets must end in [{self.n_vertices}, 3], got shape {v.shape}")
        flat = v.reshape(*v.shape[:-2], -1) - self.mean
        return (flat @ self.basis.T) / self.scale

    def decode(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float32)
        flat = (z * self.scale) @ self.basis + self.mean
        return flat.reshape(*z.shape[:-1], self.n_vertices, 3)

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "dim": self.dim, "n_vertices": self.n_vertices}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "basis": self.basis, "scale": self.scale}

    def save(self, path: str) -> None:
        """Write the arrays to an ``.npz`` file (plain arrays, no pickle)."""
        np.savez(path, **self.arrays())

    @classmethod
    def load(cls, path: str) -> VertexPCASpace:
        """Read a space written by :meth:`save`.

        Raises
        ------
        CheckpointError
            Missing or malformed file.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["mean"], data["basis"], data["scale"])
        except (OSError, KeyError, ValueError) as exc:
            raise CheckpointError(f"cannot read vertex-PCA space {path}: {exc}") from None


def motion_space_from_config(config: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None
                             ) -> MotionSpace:
    """Rebuild a space from :meth:`MotionSpace.config` and :meth:`MotionSpace.arrays`.

    Raises
    ------
    CheckpointError
        Unknown kind, or arrays that do not match the recorded ``dim``.

    Examples
    --------
    >>> motion_space_from_config({"kind": "arkit", "dim": 52}).dim
    52
    """
    kind = config.get("kind")
    if kind == "arkit":
        space: MotionSpace = ArkitSpace()
    elif kind == "vertex_pca":
        arrays = arrays or {}
        missing = [k for k in ("mean", "basis", "scale") if k not in arrays]
        if missing:
            raise CheckpointError(f"the vertex-PCA motion space lacks its array(s) {missing}")
        space = VertexPCASpace(arrays["mean"], arrays["basis"], arrays["scale"])
    else:
        raise CheckpointError(f"unknown motion space {kind!r}; this version knows 'arkit' and 'vertex_pca'")
    if int(config.get("dim", space.dim)) != space.dim:
        raise CheckpointError(f"motion space {kind!r} has {space.dim} channels but the config says "
                              f"{config.get('dim')}")
    return space
