"""Read .ply/.obj files with Blender's own importers (bpy) and print what came in, as one JSON
line prefixed ``@@``: for each file, its vertices in Blender's order and its polygons.

Run as a subprocess by tests/test_export.py (a reader independent of the writer, trimesh):

    python tests/blender_mesh.py A.ply B.obj ...

Axes are imported as written (forward Y, up Z), so coordinates come back unchanged.
"""

from __future__ import annotations

import json
import sys

import bpy
import numpy as np


def read(path: str) -> dict:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if path.lower().endswith(".ply"):
        bpy.ops.wm.ply_import(filepath=path, forward_axis="Y", up_axis="Z")
    else:
        bpy.ops.wm.obj_import(filepath=path, forward_axis="Y", up_axis="Z")
    meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    if len(meshes) != 1:
        return {"error": f"{len(meshes)} mesh objects"}
    me = meshes[0].data
    co = np.empty(len(me.vertices) * 3)
    me.vertices.foreach_get("co", co)
    return {"vertices": co.reshape(-1, 3).tolist(), "polygons": [list(p.vertices) for p in me.polygons],
            "identity": [list(r) for r in meshes[0].matrix_world] == [[float(i == j) for j in range(4)]
                                                                     for i in range(4)]}


if __name__ == "__main__":
    print("@@" + json.dumps({p: read(p) for p in sys.argv[1:]}))
