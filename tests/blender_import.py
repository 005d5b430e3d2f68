"""Import a glTF/GLB into Blender (bpy) and print what came in, as one JSON line prefixed ``@@``.

Run as a subprocess by tests/test_export_gltf.py (so that a Blender crash
cannot take pytest down):

    python tests/blender_import.py FILE.glb FPS

It sets the scene frame rate to FPS before importing (Blender's glTF importer
turns seconds into frames with the scene rate), then reports for every mesh
object: its shape-key names and, for the shape keys and for the object itself,
each animated channel's keyframes ``[[frame, value], ...]``.
"""

from __future__ import annotations

import json
import sys

import bpy


def _fcurves(idblock):
    ad = idblock.animation_data if idblock is not None else None
    if ad is None or ad.action is None:
        return []
    action = ad.action
    slot = getattr(ad, "action_slot", None)
    if slot is not None and hasattr(action, "layers"):  # Blender 4.4+: slotted (layered) actions
        out = []
        for layer in action.layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot)
                if bag is not None:
                    out.extend(bag.fcurves)
        return out
    return list(action.fcurves)


def _channels(idblock):
    return {
        f"{fc.data_path}[{fc.array_index}]": [[kp.co[0], kp.co[1]] for kp in fc.keyframe_points]
        for fc in _fcurves(idblock)
    }


def main() -> None:
    path, fps = sys.argv[1], float(sys.argv[2])
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = int(round(fps))
    scene.render.fps_base = scene.render.fps / fps
    result = bpy.ops.import_scene.gltf(filepath=path)
    report = {
        "blender": bpy.app.version_string,
        "result": sorted(result),
        "objects": [],
        "frame_start": scene.frame_start,
        "frame_end": scene.frame_end,
    }
    for obj in bpy.data.objects:
        info = {"name": obj.name, "type": obj.type, "object_channels": _channels(obj)}
        if obj.type == "MESH":
            info["vertices"] = len(obj.data.vertices)
            keys = obj.data.shape_keys
            info["shape_keys"] = [kb.name for kb in keys.key_blocks] if keys else []
            info["shape_key_channels"] = _channels(keys) if keys else {}
        report["objects"].append(info)
    sys.stdout.write("@@" + json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
