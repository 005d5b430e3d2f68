"""Per-frame ``.obj`` / ``.ply`` mesh sequences, written with trimesh.

The path is a printf-style pattern with one integer field, e.g.
``frames/%04d.obj`` → ``frames/0000.obj``, ``frames/0001.obj`` … One mesh per
frame: the rig's vertices for that frame (with the head pose applied when the
animation has one — a mesh file has no other way to carry it; pass
``head_pose=False`` for face-local meshes), its triangles and vertex normals
(area-weighted, as in the glTF export). Vertices keep the rig's order in both
formats. OBJ is text with 8 decimal places; PLY is binary little-endian
float32, exactly the animation's vertices. All files appear together or none
do.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from kmtalk.face.animation import Animation
>>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
>>> pattern = os.path.join(tempfile.mkdtemp(), "f", "%03d.ply")
>>> paths = write_mesh_sequence(anim, pattern)
>>> [p.name for p in paths]
['000.ply', '001.ply']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...atomic import atomic_files
from ...errors import ExportError
from .gltf import vertex_normals

if TYPE_CHECKING:  # pragma: no cover
    from ...face.animation import Animation
    from ...face.rig import Rig

__all__ = ["write_mesh_sequence", "frame_paths"]

log = logging.getLogger(__name__)


def frame_paths(pattern: str | os.PathLike[str], n_frames: int, *, first: int = 0) -> list[Path]:
    """The file of each frame for a printf-style ``pattern`` (e.g. ``frames/%04d.obj``).

    Raises
    ------
    ExportError
        If the pattern has no integer field, or two frames would share a file.

    Examples
    --------
    >>> [p.name for p in frame_paths("out/%02d.obj", 3)]
    ['00.obj', '01.obj', '02.obj']
    """
    pattern = os.fspath(pattern)
    try:
        names = [pattern % (first + i) for i in range(n_frames)]
    except (TypeError, ValueError) as exc:
        raise ExportError(
            f"{pattern!r} is not a frame pattern; use one integer field such as frames/%04d.obj"
        ) from exc
    if "%" not in pattern or len(set(names)) != n_frames:
        raise ExportError(
            f"{pattern!r} does not number the frames; a mesh sequence needs a pattern such as "
            "frames/%04d.obj (one file per frame)"
        )
    return [Path(n) for n in names]


def write_mesh_sequence(
    anim: "Animation",
    pattern: str | os.PathLike[str],
    *,
    rig: "Rig | None" = None,
    head_pose: bool = True,
    first: int = 0,
    normals: bool = True,
) -> list[Path]:
    """Write one ``.obj`` or ``.ply`` mesh per frame through trimesh.

    Parameters
    ----------
    anim : Animation
    pattern : str or PathLike
        ``frames/%04d.obj`` or ``frames/%04d.ply``; folders are created.
    rig : Rig, optional
        Default: the animation's rig (or the default rig).
    head_pose : bool
        Apply the animation's head pose when it has one (default True).
    first : int
        Number of the first file (default 0).
    normals : bool
        Write per-vertex normals (default True).

    Returns
    -------
    list of pathlib.Path
        The files, in frame order.

    Raises
    ------
    ExportError
        Not a frame pattern, or a file could not be written (nothing is left behind).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from kmtalk.face.animation import Animation
    >>> anim = Animation(fps=30, weights=np.zeros((3, 52)))
    >>> paths = write_mesh_sequence(anim, os.path.join(tempfile.mkdtemp(), "%02d.obj"), normals=False)
    >>> [p.name for p in paths], paths[0].read_text().count("\\nv ") > 5000
    (['00.obj', '01.obj', '02.obj'], True)
    """
    import trimesh
    from trimesh.exchange.obj import export_obj
    from trimesh.exchange.ply import export_ply


    rig = rig if rig is not None else anim.get_rig()
    paths = frame_paths(pattern, anim.n_frames, first=first)
    verts = anim.vertices(rig, head_pose=head_pose)
    triangles = np.asarray(rig.triangles, dtype=np.int64)
    ply = Path(os.fspath(pattern)).suffix.lower() == ".ply"
    with atomic_files(paths) as tmps:
        for i, tmp in enumerate(tmps):
            # process=False, validate=False: no merging, re-ordering or clean-up of vertices
            mesh = trimesh.Trimesh(vertices=verts[i], faces=triangles, process=False, validate=False)
            if normals:
                mesh.vertex_normals = vertex_normals(verts[i], triangles)
            try:
                if ply:
                    data = export_ply(mesh, encoding="binary", vertex_normal=normals,
                                      include_attributes=False)
                else:
                    data = export_obj(mesh, include_normals=normals, include_color=False,
                                      include_texture=False, write_texture=False, digits=8,
                                      header=None).encode("utf-8")
                tmp.write_bytes(data)
            except (OSError, ValueError) as err:
                raise ExportError(f"could not write frame {i} to {paths[i]}: {err}") from err
    log.info("wrote %d meshes to %s", len(paths), os.fspath(pattern))
    return paths
