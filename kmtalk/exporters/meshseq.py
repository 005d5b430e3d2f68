"""Per-frame ``.obj`` / ``.ply`` mesh sequences, written with open3d.

The path is a printf-style pattern with one integer field, e.g.
``frames/%04d.obj`` → ``frames/0000.obj``, ``frames/0001.obj`` … One mesh per
frame: the rig's vertices for that frame (with the head pose applied when the
animation has one — a mesh file has no other way to carry it; pass
``head_pose=False`` for face-local meshes), its triangles and vertex normals.
OBJ is text with 6 significant digits (open3d's writer); PLY is binary and
exact. All files appear together or none do.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from kmtalk.animation import Animation
>>> anim = Animation(fps=30, weights=np.zeros((2, 52)))
>>> pattern = os.path.join(tempfile.mkdtemp(), "f", "%03d.ply")
>>> paths = write_mesh_sequence(anim, pattern)  # doctest: +SKIP
>>> [p.name for p in paths]  # doctest: +SKIP
['000.ply', '001.ply']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from phoneme.errors import ExportError

from ..atomic import atomic_files

if TYPE_CHECKING:  # pragma: no cover
    from ..animation import Animation
    from ..rig import Rig

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
    """Write one ``.obj`` or ``.ply`` mesh per frame through open3d.

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
        Not a frame pattern, or open3d failed to write a file (nothing is left behind).
    """
    import open3d as o3d

    rig = rig if rig is not None else anim.get_rig()
    paths = frame_paths(pattern, anim.n_frames, first=first)
    verts = anim.vertices(rig, head_pose=head_pose)
    triangles = o3d.utility.Vector3iVector(np.asarray(rig.triangles, dtype=np.int32))
    ascii_out = Path(os.fspath(pattern)).suffix.lower() == ".obj"
    with atomic_files(paths) as tmps:
        for i, tmp in enumerate(tmps):
            mesh = o3d.geometry.TriangleMesh(
                o3d.utility.Vector3dVector(verts[i].astype(np.float64)), triangles
            )
            if normals:
                mesh.compute_vertex_normals()
                mesh.triangle_normals = o3d.utility.Vector3dVector()  # OBJ cannot hold them
            ok = o3d.io.write_triangle_mesh(
                str(tmp),
                mesh,
                write_ascii=ascii_out,
                write_vertex_normals=normals,
                write_vertex_colors=False,
                write_triangle_uvs=False,
                print_progress=False,
            )
            if not ok:
                raise ExportError(f"open3d could not write frame {i} to {paths[i]}")
    log.info("wrote %d meshes to %s", len(paths), os.fspath(pattern))
    return paths
