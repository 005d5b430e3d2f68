"""Read a user's ARKit-compatible head: the arrays :meth:`Rig.from_gltf <kmtalk.face.rig.Rig.from_gltf>`
and :meth:`~kmtalk.face.rig.Rig.from_obj` build a rig from.

Two sources:

- **glTF 2.0 / GLB** (parsed with ``pygltflib``): a mesh whose morph targets
  carry ARKit names in ``mesh.extras.targetNames`` (the convention Blender,
  three.js and most exporters follow). All primitives of the mesh are merged;
  node transforms are not applied (vertices are taken in the mesh's own
  space, which glTF defines as metres, Y up, facing +Z).
- **OBJ**: a neutral OBJ plus a folder with one OBJ per target named by ARKit
  name (``jawOpen.obj``); read with trimesh, keeping the file's vertex order.

Name matching ignores case and accepts ARKit's ``_L``/``_R`` spellings
(``JawOpen``, ``eyeBlink_L``). Missing targets raise :class:`RigError` naming
them (or, with ``allow_missing=True``, become zero targets with a warning);
targets that are not ARKit names are ignored with a warning; a target whose
vertex count differs from the neutral mesh is rejected.

Examples
--------
>>> from kmtalk.face.rig import Rig
>>> rig = Rig.from_gltf("head.glb")  # doctest: +SKIP
>>> rig = Rig.from_obj("neutral.obj", "targets/")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from typing import Any

import numpy as np

from ...errors import RigError
from ..arkit import ARKIT_NAMES, canonical_name

__all__ = ["read_gltf_parts", "read_obj_parts"]

log = logging.getLogger(__name__)

_COMPONENT_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16,
                     5125: np.uint32, 5126: np.float32}
_TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _assemble(source: str, neutral: np.ndarray, triangles: np.ndarray,
              named: dict[str, np.ndarray], allow_missing: bool, name: str) -> dict[str, Any]:
    """Map target names to ARKit order and check topology: the :class:`Rig` arguments."""
    n = len(neutral)
    by_arkit: dict[str, np.ndarray] = {}
    extra = []
    for raw, delta in named.items():
        canon = canonical_name(raw)
        if canon is None:
            extra.append(raw)
            continue
        if delta.shape != (n, 3):
            raise RigError(
                f"{source}: target {raw!r} has {delta.shape[0]} vertices but the neutral mesh has "
                f"{n}; every target must share the neutral mesh's topology (same vertices, "
                "same order)"
            )
        by_arkit[canon] = delta
    if extra:
        log.warning("%s: ignoring %d targets that are not ARKit names: %s", source, len(extra),
                    ", ".join(sorted(extra)))
    missing = [a for a in ARKIT_NAMES if a not in by_arkit]
    if missing and not allow_missing:
        raise RigError(
            f"{source} lacks {len(missing)} of the 52 ARKit targets: {', '.join(missing)}. "
            "Add them, or pass allow_missing=True to use zero (motionless) targets for them"
        )
    if missing:
        log.warning("%s: %d ARKit targets missing, using zero targets: %s", source,
                    len(missing), ", ".join(missing))
    targets = np.zeros((52, n, 3), np.float32)
    for k, a in enumerate(ARKIT_NAMES):
        if a in by_arkit:
            targets[k] = by_arkit[a]
    return {"names": ARKIT_NAMES, "neutral": neutral, "triangles": triangles, "targets": targets,
            "name": name, "metadata": {"source": str(source), "missing_targets": missing}}


# ---------------------------------------------------------------------- glTF
def _accessor(gltf, blob_for, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    dtype = np.dtype(_COMPONENT_DTYPES[acc.componentType])
    width = _TYPE_SIZES[acc.type]
    out = np.zeros((acc.count, width), dtype=np.float64)
    if acc.bufferView is not None:
        view = gltf.bufferViews[acc.bufferView]
        data = blob_for(view.buffer)
        start = (view.byteOffset or 0) + (acc.byteOffset or 0)
        stride = view.byteStride or dtype.itemsize * width
        raw = np.frombuffer(data, dtype=np.uint8, count=stride * (acc.count - 1)
                            + dtype.itemsize * width, offset=start)
        rows = np.lib.stride_tricks.as_strided(raw, shape=(acc.count, dtype.itemsize * width),
                                               strides=(stride, 1))
        out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, width).astype(np.float64)
    if acc.sparse is not None:
        sp = acc.sparse
        iview = gltf.bufferViews[sp.indices.bufferView]
        idt = np.dtype(_COMPONENT_DTYPES[sp.indices.componentType])
        idx = np.frombuffer(blob_for(iview.buffer), dtype=idt, count=sp.count,
                            offset=(iview.byteOffset or 0) + (sp.indices.byteOffset or 0))
        vview = gltf.bufferViews[sp.values.bufferView]
        vals = np.frombuffer(blob_for(vview.buffer), dtype=dtype, count=sp.count * width,
                             offset=(vview.byteOffset or 0) + (sp.values.byteOffset or 0))
        out[idx.astype(np.int64)] = vals.reshape(sp.count, width)
    if acc.normalized and dtype.kind in "iu":
        out /= float(np.iinfo(dtype).max)
    return out


def read_gltf_parts(path: str | os.PathLike, *, mesh: int | str | None = None,
                    allow_missing: bool = False) -> dict[str, Any]:
    """The :class:`Rig` arguments of a glTF/GLB mesh whose morph targets carry ARKit names.

    The arguments and errors are those of :meth:`Rig.from_gltf <kmtalk.face.rig.Rig.from_gltf>`.

    Returns
    -------
    dict
        ``names``, ``neutral``, ``triangles``, ``targets`` (ARKit order), ``name``, ``metadata``.

    Examples
    --------
    >>> from kmtalk.face.rig.custom import read_gltf_parts
    >>> parts = read_gltf_parts("character.glb")  # doctest: +SKIP
    """
    import pygltflib

    path = Path(path)
    if not path.is_file():
        raise RigError(f"glTF file {path} does not exist")
    try:
        gltf = pygltflib.GLTF2().load(str(path))
    except Exception as err:
        raise RigError(f"cannot parse {path} as glTF/GLB: {err}") from err
    if gltf is None or not gltf.meshes:
        raise RigError(f"{path} contains no meshes")

    blobs: dict[int, bytes] = {}

    def blob_for(i: int) -> bytes:
        if i not in blobs:
            buf = gltf.buffers[i]
            if buf.uri is None:
                blobs[i] = gltf.binary_blob()
            else:
                try:
                    blobs[i] = gltf.get_data_from_buffer_uri(buf.uri)
                except Exception as err:
                    raise RigError(f"{path}: cannot read buffer {buf.uri!r}: {err}") from err
        return blobs[i]

    if mesh is None:
        counts = [max((len(p.targets or []) for p in m.primitives), default=0) for m in gltf.meshes]
        mesh_idx = int(np.argmax(counts))
        if counts[mesh_idx] == 0:
            raise RigError(f"{path} has no mesh with morph targets (ARKit blendshapes)")
    elif isinstance(mesh, str):
        found = [i for i, m in enumerate(gltf.meshes) if m.name == mesh]
        if not found:
            raise RigError(f"{path} has no mesh named {mesh!r}")
        mesh_idx = found[0]
    else:
        mesh_idx = int(mesh)
    m = gltf.meshes[mesh_idx]
    extras = m.extras or {}
    names = list(extras.get("targetNames", []))
    if not names and m.primitives and m.primitives[0].extras:
        names = list(m.primitives[0].extras.get("targetNames", []))
    n_targets = len(m.primitives[0].targets or [])
    if not names:
        raise RigError(
            f"{path}: mesh {m.name or mesh_idx!r} has {n_targets} morph targets but no names "
            "(mesh.extras.targetNames); export with shape-key names enabled"
        )
    if len(names) != n_targets:
        raise RigError(f"{path}: {len(names)} target names for {n_targets} morph targets")

    positions, tris, deltas = [], [], [[] for _ in names]
    offset = 0
    for prim in m.primitives:
        if prim.mode not in (None, 4):
            raise RigError(f"{path}: only triangle primitives are supported (mode {prim.mode})")
        pos = _accessor(gltf, blob_for, prim.attributes.POSITION)
        if prim.indices is not None:
            idx = _accessor(gltf, blob_for, prim.indices).astype(np.int64).reshape(-1, 3)
        else:
            idx = np.arange(len(pos)).reshape(-1, 3)
        targets = prim.targets or []
        if len(targets) != len(names):
            raise RigError(f"{path}: primitives of mesh {m.name!r} disagree on morph targets")
        for k, tgt in enumerate(targets):
            acc = tgt.get("POSITION") if isinstance(tgt, dict) else getattr(tgt, "POSITION", None)
            if acc is None:
                deltas[k].append(np.zeros_like(pos))
            else:
                d = _accessor(gltf, blob_for, acc)
                if len(d) != len(pos):
                    raise RigError(
                        f"{path}: morph target {names[k]!r} has {len(d)} vertices, "
                        f"its primitive {len(pos)} (wrong topology)"
                    )
                deltas[k].append(d)
        positions.append(pos)
        tris.append(idx + offset)
        offset += len(pos)
    neutral = np.concatenate(positions).astype(np.float32)
    named = {nm: np.concatenate(d).astype(np.float32) for nm, d in zip(names, deltas)}
    return _assemble(str(path), neutral, np.concatenate(tris), named, allow_missing,
                     name=m.name or path.stem)


# ---------------------------------------------------------------------- OBJ
def _read_obj(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices in the file's own order and triangles (quads split) of an OBJ.

    trimesh with ``process=False, maintain_order=True`` keeps the ``v`` order that
    targets rely on (open3d's OBJ reader re-orders vertices by first use).
    """
    import trimesh

    if not path.is_file():
        raise RigError(f"OBJ file {path} does not exist")
    try:
        mesh = trimesh.load(str(path), file_type="obj", force="mesh", process=False,
                            maintain_order=True)
    except Exception as err:
        raise RigError(f"cannot read {path} as an OBJ mesh: {err}") from err
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    if len(verts) == 0:
        raise RigError(f"{path} has no vertices (not an OBJ mesh?)")
    return verts, np.asarray(mesh.faces, dtype=np.int64)


def read_obj_parts(neutral_path: str | os.PathLike, targets_dir: str | os.PathLike, *,
                   allow_missing: bool = False) -> dict[str, Any]:
    """The :class:`Rig` arguments of a neutral OBJ and one OBJ per ARKit target (``<name>.obj``).

    Each target OBJ holds the full posed mesh (not a delta), with the neutral
    mesh's vertices in the same order.

    Parameters
    ----------
    neutral_path : str or path-like
        The rest mesh.
    targets_dir : str or path-like
        Folder of ``<ARKit name>.obj`` files (case-insensitive names).
    allow_missing : bool, default False
        Use zero targets (with a warning) for missing names instead of raising.

    Returns
    -------
    dict
        As :func:`read_gltf_parts`.

    Raises
    ------
    RigError
        Missing files or targets, or a target whose vertex count differs.

    Examples
    --------
    >>> from kmtalk.face.rig.custom import read_obj_parts
    >>> parts = read_obj_parts("neutral.obj", "targets")  # doctest: +SKIP
    """
    neutral_path, targets_dir = Path(neutral_path), Path(targets_dir)
    neutral, triangles = _read_obj(neutral_path)
    if not targets_dir.is_dir():
        raise RigError(f"target folder {targets_dir} does not exist")
    named: dict[str, np.ndarray] = {}
    for p in sorted(targets_dir.glob("*.obj")):
        if p.resolve() == neutral_path.resolve():
            continue
        if canonical_name(p.stem) is None:
            named[p.stem] = np.zeros((0, 3))  # reported as extra, not read
            continue
        verts, _ = _read_obj(p)
        if len(verts) != len(neutral):
            raise RigError(
                f"target {p.name} has {len(verts)} vertices but {neutral_path.name} has "
                f"{len(neutral)}; targets must share the neutral mesh's topology"
            )
        named[p.stem] = (verts - neutral).astype(np.float32)
    return _assemble(str(targets_dir), neutral.astype(np.float32), triangles, named,
                     allow_missing, name=neutral_path.stem)
