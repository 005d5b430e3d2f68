"""The :class:`Rig`: a face mesh with the 52 ARKit blendshape targets.

One central object (like ``trimesh.Trimesh``): rest vertices, triangles,
per-target vertex deltas in Apple's ARKit order, named landmark vertices,
vertex regions and render parts. :meth:`Rig.evaluate` turns weights into
vertices, for numpy arrays and torch tensors alike.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.rig import default_rig
>>> rig = default_rig()
>>> w = np.zeros((2, 52), np.float32); w[1, rig.index("jawOpen")] = 1.0
>>> v = rig.evaluate(w)
>>> v.shape == (2, rig.n_vertices, 3)
True
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import AnimationError, RigError
from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from .custom import read_gltf_parts, read_obj_parts
from .landmarks import find_landmarks, find_regions

__all__ = ["RIG_FORMAT_VERSION", "Corrective", "Rig", "validate_weights"]

log = logging.getLogger(__name__)

RIG_FORMAT_VERSION = 1
"""Version of the ``.npz`` + ``.json`` rig format written by :meth:`Rig.save`."""


@dataclass(frozen=True)
class Corrective:
    """A combination (corrective) shape: ``delta`` is added with the product of the drivers' weights.

    Parameters
    ----------
    name : str
        Rule name, e.g. ``"jawOpen_mouthClose"``.
    drivers : tuple of str
        ARKit names whose weights multiply into the corrective's weight.
    delta : numpy.ndarray
        ``[V, 3]`` float32 vertex offsets in metres.
    note : str
        Why the rule exists (shown in docs/rig.md).
    """

    name: str
    drivers: tuple[str, ...]
    delta: np.ndarray
    note: str = ""


def validate_weights(weights: Any, *, clip: bool = True, what: str = "weights"):
    """Check a weight array ``[52]`` or ``[T, 52]`` and clip it to ``[0, 1]``.

    Works on numpy arrays (and anything ``np.asarray`` takes) and on torch
    tensors; the result has the same kind as the input (numpy float32, or a
    floating torch tensor).

    Parameters
    ----------
    weights : array_like or torch.Tensor
        ARKit weights, last axis the 52 names in :data:`kmtalk.face.arkit.ARKIT_NAMES` order.
    clip : bool, default True
        Clip to ``[0, 1]`` (ARKit's range). With ``clip=False`` values are used as given.
    what : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray or torch.Tensor

    Raises
    ------
    AnimationError
        Wrong shape, or NaN/inf values.

    Examples
    --------
    >>> import numpy as np
    >>> from kmtalk.face.rig import validate_weights
    >>> validate_weights(np.full(52, 1.5)).max()
    1.0
    """
    torch = _torch_if_tensor(weights)
    if torch is not None:
        w = weights if weights.is_floating_point() else weights.float()
        shape = tuple(w.shape)
        finite = bool(torch.isfinite(w).all())
    else:
        try:
            w = np.asarray(weights, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise AnimationError(f"{what} must be numeric, got {type(weights).__name__}") from err
        shape = w.shape
        finite = bool(np.isfinite(w).all())
    if len(shape) not in (1, 2) or shape[-1] != 52:
        raise AnimationError(
            f"{what} must have shape [52] or [T, 52] (ARKit order), got {list(shape)}"
        )
    if not finite:
        raise AnimationError(f"{what} contain NaN or infinite values; fix or drop those frames")
    if clip:
        w = w.clamp(0.0, 1.0) if torch is not None else np.clip(w, 0.0, 1.0)
    return w


def _torch_if_tensor(x: Any):
    """Return the torch module when ``x`` is a torch tensor (without importing torch otherwise)."""
    mod = type(x).__module__
    if mod.startswith("torch"):
        import torch

        if isinstance(x, torch.Tensor):
            return torch
    return None


@dataclass(eq=False)
class Rig:
    """A face mesh with 52 ARKit blendshape targets, landmarks and regions.

    Parameters
    ----------
    names : sequence of str
        The 52 ARKit names; must be :data:`kmtalk.face.arkit.ARKIT_NAMES` in that order.
    neutral : numpy.ndarray
        ``[V, 3]`` rest vertices (metres, Y up, face looking +Z).
    triangles : numpy.ndarray
        ``[F, 3]`` vertex indices.
    targets : numpy.ndarray
        ``[52, V, 3]`` vertex offsets of each target at weight 1.
    landmarks : dict of str to int
        Named vertex indices (``upper_lip_inner``, ``nose_tip``, ...).
    regions : dict of str to numpy.ndarray
        Named vertex index sets (``lips``, ``jaw``, ``upper_face``, ``eyes``, ...).
    part : numpy.ndarray, optional
        ``[V]`` render part per vertex (``skin``, ``eyes``, ``teeth``, ``tongue``, ``lashes``);
        all ``skin`` when omitted.
    uvs, uv_triangles : numpy.ndarray, optional
        Face-varying texture coordinates: ``uvs [N, 2]`` indexed by ``uv_triangles [F, 3]``.
    hm08_index : numpy.ndarray, optional
        ``[V]`` index of each vertex in the MakeHuman hm08 base mesh (default head only).
    correctives : list of Corrective
        Combination shapes added on top of the linear blend (see :meth:`evaluate`).
    clamps : list of (str, str)
        ``(target, limit)`` pairs: the weight of ``target`` is limited to that of
        ``limit`` before blending (e.g. ``("mouthClose", "jawOpen")``).
    name : str
        A label for logs and exports.
    metadata : dict
        Free-form provenance (source, licence, transform).

    Examples
    --------
    >>> from kmtalk.face.rig import default_rig
    >>> rig = default_rig()
    >>> rig.names[17], rig.targets.shape[0]
    ('jawOpen', 52)
    """

    names: Sequence[str]
    neutral: np.ndarray
    triangles: np.ndarray
    targets: np.ndarray
    landmarks: dict[str, int] = field(default_factory=dict)
    regions: dict[str, np.ndarray] = field(default_factory=dict)
    part: np.ndarray | None = None
    uvs: np.ndarray | None = None
    uv_triangles: np.ndarray | None = None
    hm08_index: np.ndarray | None = None
    correctives: list[Corrective] = field(default_factory=list)
    clamps: list[tuple[str, str]] = field(default_factory=list)
    name: str = "rig"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = tuple(self.names)
        if self.names != ARKIT_NAMES:
            raise RigError(
                "rig target names must be the 52 ARKit names in Apple's order "
                "(kmtalk.face.arkit.ARKIT_NAMES); reorder targets before building a Rig"
            )
        self.neutral = np.ascontiguousarray(self.neutral, dtype=np.float32)
        if self.neutral.ndim != 2 or self.neutral.shape[1] != 3 or len(self.neutral) == 0:
            raise RigError(f"neutral vertices must be [V, 3], got {list(self.neutral.shape)}")
        n = len(self.neutral)
        self.triangles = np.ascontiguousarray(self.triangles, dtype=np.int32)
        if self.triangles.ndim != 2 or self.triangles.shape[1] != 3:
            raise RigError(f"triangles must be [F, 3], got {list(self.triangles.shape)}")
        if self.triangles.size and (self.triangles.min() < 0 or self.triangles.max() >= n):
            raise RigError(f"triangles index vertices outside 0..{n - 1}")
        self.targets = np.ascontiguousarray(self.targets, dtype=np.float32)
        if self.targets.shape != (52, n, 3):
            raise RigError(
                f"targets must be [52, V, 3] = [52, {n}, 3] for this mesh, "
                f"got {list(self.targets.shape)} (wrong topology?)"
            )
        if not (np.isfinite(self.neutral).all() and np.isfinite(self.targets).all()):
            raise RigError("rig vertices or targets contain NaN or infinite values")
        if self.part is None:
            self.part = np.full(n, "skin", dtype=object)
        self.part = np.asarray(self.part, dtype=object)
        if self.part.shape != (n,):
            raise RigError(f"part labels must be [V] = [{n}], got {list(self.part.shape)}")
        self.regions = {k: np.asarray(v, dtype=np.int64) for k, v in self.regions.items()}
        for key, idx in self.regions.items():
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise RigError(f"region {key!r} indexes vertices outside 0..{n - 1}")
        self.landmarks = {k: int(v) for k, v in self.landmarks.items()}
        for key, idx in self.landmarks.items():
            if not 0 <= idx < n:
                raise RigError(f"landmark {key!r} = {idx} is outside 0..{n - 1}")
        for corr in self.correctives:
            unknown = [d for d in corr.drivers if d not in ARKIT_INDEX]
            if unknown or np.shape(corr.delta) != (n, 3):
                raise RigError(
                    f"corrective {corr.name!r}: drivers must be ARKit names and delta [V, 3] "
                    f"(unknown drivers: {unknown}, delta shape {list(np.shape(corr.delta))})"
                )
        if self.hm08_index is not None:
            self.hm08_index = np.asarray(self.hm08_index, dtype=np.int32)
        self.clamps = [(str(a), str(b)) for a, b in self.clamps]
        bad = [c for c in self.clamps if c[0] not in ARKIT_INDEX or c[1] not in ARKIT_INDEX]
        if bad:
            raise RigError(f"clamp rules must name ARKit targets, got {bad}")

    # ------------------------------------------------------------------ properties
    @property
    def n_vertices(self) -> int:
        """Number of vertices ``V``."""
        return int(self.neutral.shape[0])

    @property
    def n_triangles(self) -> int:
        """Number of triangles ``F``."""
        return int(self.triangles.shape[0])

    def index(self, name: str) -> int:
        """Column of an ARKit name in a ``[T, 52]`` weight array.

        Examples
        --------
        >>> from kmtalk.face.rig import default_rig
        >>> default_rig().index("tongueOut")
        51
        """
        try:
            return ARKIT_INDEX[name]
        except KeyError:
            raise RigError(f"{name!r} is not an ARKit blendshape name") from None

    def part_mask(self, part: str) -> np.ndarray:
        """Boolean ``[V]`` mask of the vertices of a render part (``skin``, ``eyes``, ...)."""
        return self.part == part

    @cached_property
    def _basis(self) -> np.ndarray:
        """``[52 + C, V*3]`` float32: targets then correctives, flattened."""
        mats = [self.targets.reshape(52, -1)]
        mats += [np.asarray(c.delta, np.float32).reshape(1, -1) for c in self.correctives]
        return np.ascontiguousarray(np.concatenate(mats, axis=0))

    @cached_property
    def _corrective_drivers(self) -> list[list[int]]:
        return [[ARKIT_INDEX[d] for d in c.drivers] for c in self.correctives]

    # ------------------------------------------------------------------ evaluation
    def _apply_clamps(self, w, xp):
        """Limit clamped targets' weights to their limiting target's (no in-place ops: autograd)."""
        if not self.clamps:
            return w
        cols = [w[:, k] for k in range(52)]
        for target, limit in self.clamps:
            i, j = ARKIT_INDEX[target], ARKIT_INDEX[limit]
            cols[i] = xp.minimum(cols[i], cols[j])
        return xp.stack(cols, 1)

    def _coefficients(self, w, xp):
        """Append corrective coefficients (products of driver weights) to ``w [T, 52]``."""
        if not self.correctives:
            return w
        cols = []
        for drivers in self._corrective_drivers:
            c = w[:, drivers[0]]
            for d in drivers[1:]:
                c = c * w[:, d]
            cols.append(c)
        return xp.concatenate([w, xp.stack(cols, 1)], 1)

    def evaluate(self, weights: Any, *, clip: bool = True, correctives: bool = True):
        """Vertices for ARKit weights: ``neutral + Σ w·target + Σ corrective``.

        Parameters
        ----------
        weights : array_like or torch.Tensor
            ``[52]`` or ``[T, 52]`` in ARKit order.
        clip : bool, default True
            Clip weights to ``[0, 1]`` first (values outside are logged at debug level).
        correctives : bool, default True
            Apply the rig's corrective rules (docs/rig.md): first the clamps
            (``mouthClose`` ≤ ``jawOpen`` on the default head), then the combination
            shapes, each weighted by the product of its drivers' weights
            (e.g. ``jawOpen·mouthSmileLeft``). ``False`` gives the plain linear blend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``[V, 3]`` or ``[T, V, 3]``; a torch tensor (same device, float dtype of the
            input) when ``weights`` is one, float32 numpy otherwise.

        Raises
        ------
        AnimationError
            Wrong shape or NaN/inf weights.

        Examples
        --------
        >>> import numpy as np
        >>> from kmtalk.face.rig import default_rig
        >>> rig = default_rig()
        >>> np.allclose(rig.evaluate(np.zeros(52)), rig.neutral)
        True
        """
        w = validate_weights(weights, clip=clip)
        torch = _torch_if_tensor(w)
        single = w.ndim == 1
        if torch is not None:
            w2 = w[None] if single else w
            basis, neutral = self._torch_basis(w2.device, w2.dtype)
            if correctives:
                coef = self._coefficients(self._apply_clamps(w2, torch), torch)
            else:
                coef, basis = w2, basis[:52]
            out = (coef @ basis).reshape(w2.shape[0], self.n_vertices, 3) + neutral
        else:
            w2 = w[None] if single else w
            if correctives:
                coef = self._coefficients(self._apply_clamps(w2, np), np)
                basis = self._basis
            else:
                coef, basis = w2, self._basis[:52]
            out = (coef @ basis).reshape(w2.shape[0], self.n_vertices, 3)
            out += self.neutral
        return out[0] if single else out

    def _torch_basis(self, device, dtype):
        key = (str(device), str(dtype))
        cache = self.__dict__.setdefault("_torch_cache", {})
        if key not in cache:
            import torch

            cache[key] = (
                torch.as_tensor(self._basis, device=device, dtype=dtype),
                torch.as_tensor(self.neutral, device=device, dtype=dtype),
            )
        return cache[key]

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike) -> tuple[Path, Path]:
        """Write the rig as ``<stem>.npz`` (arrays) + ``<stem>.json`` (names, landmarks, metadata).

        Both files are written to temporary names and renamed at the end.

        Parameters
        ----------
        path : str or path-like
            Output stem; a ``.npz`` or ``.json`` suffix is replaced.

        Returns
        -------
        (pathlib.Path, pathlib.Path)
            The ``.npz`` and ``.json`` paths.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from kmtalk.face.rig import Rig, default_rig
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> npz, meta = default_rig().save(d / "head")
        >>> Rig.load(npz).n_vertices == default_rig().n_vertices
        True
        """
        stem = Path(path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        part_names = sorted(set(self.part.tolist()))
        arrays: dict[str, np.ndarray] = {
            "neutral": self.neutral,
            "triangles": self.triangles,
            "part_id": np.asarray([part_names.index(p) for p in self.part], dtype=np.uint8),
        }
        # targets are sparse: store the moved rows of each target only
        rows, deltas, counts = [], [], []
        for k in range(52):
            moved = np.flatnonzero(np.abs(self.targets[k]).sum(axis=1) > 0)
            rows.append(moved.astype(np.int32))
            deltas.append(self.targets[k, moved])
            counts.append(len(moved))
        arrays["target_counts"] = np.asarray(counts, dtype=np.int32)
        arrays["target_rows"] = np.concatenate(rows)
        arrays["target_deltas"] = np.concatenate(deltas).astype(np.float32)
        for key, idx in self.regions.items():
            arrays[f"region/{key}"] = idx.astype(np.int32)
        for i, corr in enumerate(self.correctives):
            arrays[f"corrective/{i}"] = np.asarray(corr.delta, np.float32)
        if self.uvs is not None and self.uv_triangles is not None:
            arrays["uvs"] = np.asarray(self.uvs, np.float32)
            arrays["uv_triangles"] = np.asarray(self.uv_triangles, np.int32)
        if self.hm08_index is not None:
            arrays["hm08_index"] = self.hm08_index.astype(np.int32)
        meta = {
            "format": "kmtalk-rig",
            "version": RIG_FORMAT_VERSION,
            "name": self.name,
            "names": list(self.names),
            "n_vertices": self.n_vertices,
            "n_triangles": self.n_triangles,
            "parts": part_names,
            "landmarks": self.landmarks,
            "regions": sorted(self.regions),
            "correctives": [
                {"name": c.name, "drivers": list(c.drivers), "note": c.note}
                for c in self.correctives
            ],
            "clamps": [list(c) for c in self.clamps],
            "metadata": self.metadata,
        }
        npz_path, json_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        fd, tmp_npz = tempfile.mkstemp(suffix=".npz", dir=stem.parent)
        os.close(fd)
        fd, tmp_json = tempfile.mkstemp(suffix=".json", dir=stem.parent)
        os.close(fd)
        try:
            np.savez_compressed(tmp_npz, **arrays)
            with open(tmp_json, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=1)
                fh.write("\n")
            os.chmod(tmp_npz, 0o644)
            os.chmod(tmp_json, 0o644)
            os.replace(tmp_npz, npz_path)
            os.replace(tmp_json, json_path)
        finally:
            for tmp in (tmp_npz, tmp_json):
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return npz_path, json_path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Rig:
        """Read a rig written by :meth:`save` (give the ``.npz``, the ``.json`` or the stem).

        Raises
        ------
        RigError
            Missing files, an unknown format version, or inconsistent arrays.

        Examples
        --------
        >>> from kmtalk.face.rig import Rig
        >>> from phoneme.assets import asset_path
        >>> Rig.load(asset_path("rig", "head.npz")).names[0]
        'eyeBlinkLeft'
        """
        stem = Path(path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        npz_path, json_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        for p in (npz_path, json_path):
            if not p.is_file():
                raise RigError(f"rig file {p} is missing (a rig is a .npz + .json pair)")
        try:
            with open(json_path, encoding="utf-8") as fh:
                meta = json.load(fh)
        except (OSError, json.JSONDecodeError) as err:
            raise RigError(f"cannot read rig metadata {json_path}: {err}") from err
        if meta.get("format") != "kmtalk-rig" or meta.get("version") != RIG_FORMAT_VERSION:
            raise RigError(
                f"{json_path} is not a kmtalk rig of format version {RIG_FORMAT_VERSION} "
                f"(format={meta.get('format')!r}, version={meta.get('version')!r})"
            )
        try:
            with np.load(npz_path, allow_pickle=False) as z:
                arr = {k: z[k] for k in z.files}
        except (OSError, ValueError) as err:
            raise RigError(f"cannot read rig arrays {npz_path}: {err}") from err
        try:
            neutral = arr["neutral"]
            n = len(neutral)
            targets = np.zeros((52, n, 3), np.float32)
            ends = np.cumsum(arr["target_counts"])
            starts = ends - arr["target_counts"]
            for k in range(52):
                rows = arr["target_rows"][starts[k]:ends[k]]
                targets[k, rows] = arr["target_deltas"][starts[k]:ends[k]]
            parts = np.asarray(meta["parts"], dtype=object)[arr["part_id"]]
            regions = {k[7:]: v for k, v in arr.items() if k.startswith("region/")}
            correctives = [
                Corrective(c["name"], tuple(c["drivers"]), arr[f"corrective/{i}"], c.get("note", ""))
                for i, c in enumerate(meta.get("correctives", []))
            ]
            return cls(
                names=meta["names"],
                neutral=neutral,
                triangles=arr["triangles"],
                targets=targets,
                landmarks=meta.get("landmarks", {}),
                regions=regions,
                part=parts,
                uvs=arr.get("uvs"),
                uv_triangles=arr.get("uv_triangles"),
                hm08_index=arr.get("hm08_index"),
                correctives=correctives,
                clamps=[tuple(c) for c in meta.get("clamps", [])],
                name=meta.get("name", stem.name),
                metadata=meta.get("metadata", {}),
            )
        except (KeyError, IndexError, ValueError) as err:
            raise RigError(f"rig {npz_path} is malformed: {err}") from err

    @classmethod
    def from_gltf(cls, path: str | os.PathLike, *, mesh: int | str | None = None,
                  allow_missing: bool = False) -> Rig:
        """Load a custom head from glTF/GLB whose morph targets carry ARKit names.

        Parameters
        ----------
        path : str or path-like
            ``.glb`` or ``.gltf`` (buffers embedded as data URIs or in files beside it).
        mesh : int or str, optional
            Which mesh (index or name); by default the mesh with the most morph targets.
        allow_missing : bool, default False
            Use zero targets (with a warning) for ARKit names the file lacks instead
            of raising.

        Raises
        ------
        RigError
            Unreadable file, no mesh with named morph targets, missing ARKit targets,
            or targets whose vertex count differs from the mesh.

        Examples
        --------
        >>> from kmtalk.face.rig import Rig
        >>> rig = Rig.from_gltf("character.glb")  # doctest: +SKIP
        """
        return cls._with_landmarks(read_gltf_parts(path, mesh=mesh, allow_missing=allow_missing))

    @classmethod
    def from_obj(cls, neutral_path: str | os.PathLike, targets_dir: str | os.PathLike, *,
                 allow_missing: bool = False) -> Rig:
        """Load a custom head from a neutral OBJ and one OBJ per target named by ARKit name.

        Each target OBJ holds the full posed mesh (not a delta), with the neutral
        mesh's vertices in the same order; ``targets_dir`` holds ``<ARKit name>.obj``
        files (case-insensitive names). ``allow_missing`` as :meth:`from_gltf`.

        Raises
        ------
        RigError
            Missing files or targets, or a target whose vertex count differs.

        Examples
        --------
        >>> from kmtalk.face.rig import Rig
        >>> rig = Rig.from_obj("neutral.obj", "targets/")  # doctest: +SKIP
        """
        return cls._with_landmarks(read_obj_parts(neutral_path, targets_dir, allow_missing=allow_missing))

    @classmethod
    def _with_landmarks(cls, parts: dict[str, Any]) -> Rig:
        """A rig of a user's head, with landmarks and regions found on its geometry when possible."""
        rig = cls(**parts)
        try:
            rig.landmarks.update(find_landmarks(rig))
            rig.regions.update({k: np.asarray(v, np.int64) for k, v in find_regions(rig).items()})
        except Exception as err:  # heuristics on arbitrary geometry; never block loading
            log.warning("%s: landmark detection failed (%s); rig has no landmarks",
                        parts["metadata"]["source"], err)
        return rig

    def __repr__(self) -> str:
        return (
            f"Rig({self.name!r}, vertices={self.n_vertices}, triangles={self.n_triangles}, "
            f"landmarks={len(self.landmarks)}, correctives={len(self.correctives)})"
        )
