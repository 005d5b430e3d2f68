"""``.glb`` / ``.gltf``: glTF 2.0 head with 52 ARKit morph targets and their animation.

What the file holds (written with pygltflib; details in ``docs/exports.md``):

- one node ``head`` with one mesh: the rig's rest vertices (float32
  ``POSITION`` with min/max), vertex ``NORMAL``\\ s, ``TEXCOORD_0`` when the rig
  has UVs (vertices are split at UV seams; glTF's V axis points down), and
  one primitive per render part (skin, mouth, eyes, teeth, tongue, lashes), each
  holding only its own vertices, with a plain material each;
- 52 morph targets in ARKit order (float32 ``POSITION`` deltas, and
  ``NORMAL`` deltas unless ``normals=False``), named in
  ``mesh.extras.targetNames`` (the convention Blender, three.js and Babylon
  read). A rig's corrective (combination) shapes follow as extra targets
  named ``corrective:<name>``, animated with the product of their drivers'
  weights so the file plays back exactly what :meth:`Rig.evaluate` computes
  (``correctives=False`` leaves them out);
- one animation ``kmtalk`` with a LINEAR sampler on the node's ``weights``
  (times in seconds, one key per frame) and, when the animation has a head
  pose, LINEAR ``rotation`` (unit quaternions) and ``translation`` channels;
- the audio, when the animation has some, as a sidecar ``<name>.wav`` next
  to the file, referenced in ``asset.extras.audio`` (glTF has no audio).

A ``.gltf`` is JSON with its binary data in a sidecar ``<name>.bin``; a
``.glb`` is one binary file. Every file is written to a temporary name and
renamed only when all of them are complete.

:func:`read_gltf` reads the animation back: the weights of the targets named
after ARKit blendshapes (correctives are derived, so they are skipped), the
head pose, fps, ``meta`` and the audio sidecar's path.

Examples
--------
>>> import numpy as np, tempfile, os, json
>>> from kmtalk.face.animation import Animation
>>> anim = Animation(fps=30, weights=np.zeros((3, 52)))
>>> paths = write_gltf(anim, os.path.join(tempfile.mkdtemp(), "head.gltf"))  # doctest: +SKIP
>>> doc = json.load(open(paths))  # doctest: +SKIP
>>> len(doc["meshes"][0]["extras"]["targetNames"])  # doctest: +SKIP
52
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_files
from ...errors import AnimationError, ExportError
from ...face.animation import Animation
from ...face.arkit import ARKIT_INDEX, ARKIT_NAMES, canonical_name
from ...face.headpose import angles_from_quaternions, quaternions
from ...face.rig import Rig

__all__ = ["PART_COLOURS", "read_gltf", "vertex_normals", "write_gltf"]

log = logging.getLogger(__name__)

#: Base colour (linear RGBA) of each render part's material; unknown parts get the skin colour.
PART_COLOURS: dict[str, tuple[float, float, float, float]] = {
    "skin": (0.80, 0.57, 0.47, 1.0),
    "mouth": (0.45, 0.16, 0.16, 1.0),
    "eyes": (0.90, 0.90, 0.88, 1.0),
    "teeth": (0.92, 0.90, 0.82, 1.0),
    "tongue": (0.70, 0.28, 0.28, 1.0),
    "lashes": (0.05, 0.04, 0.03, 1.0),
}

_FLOAT, _USHORT, _UINT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals of one or more meshes.

    Parameters
    ----------
    vertices : np.ndarray
        [V, 3] or [N, V, 3].
    triangles : np.ndarray
        [F, 3] indices.

    Returns
    -------
    np.ndarray
        Same shape as ``vertices``, float32; (0, 0, 1) for vertices in no triangle.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    >>> vertex_normals(v, np.array([[0, 1, 2]]))[0].tolist()
    [0.0, 0.0, 1.0]
    """
    v = np.asarray(vertices, np.float64)
    single = v.ndim == 2
    v = v[None] if single else v
    tri = np.asarray(triangles, np.int64)
    face_n = np.cross(v[:, tri[:, 1]] - v[:, tri[:, 0]], v[:, tri[:, 2]] - v[:, tri[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, (slice(None), tri[:, k]), face_n)
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.where(norm > 1e-20, n / np.maximum(norm, 1e-30), np.array([0.0, 0.0, 1.0]))
    n = n.astype(np.float32)
    return n[0] if single else n


class _Blob:
    """Accumulates the binary buffer and the accessor/bufferView records that point into it."""

    def __init__(self, gltf: Any) -> None:
        self.gltf = gltf
        self.chunks: list[bytes] = []
        self.size = 0

    def view(self, data: np.ndarray, target: int | None) -> int:
        import pygltflib as g

        raw = np.ascontiguousarray(data).tobytes()
        pad = (-self.size) % 4
        if pad:
            self.chunks.append(b"\0" * pad)
            self.size += pad
        self.gltf.bufferViews.append(
            g.BufferView(buffer=0, byteOffset=self.size, byteLength=len(raw), target=target)
        )
        self.chunks.append(raw)
        self.size += len(raw)
        return len(self.gltf.bufferViews) - 1

    def accessor(
        self,
        data: np.ndarray,
        kind: str,
        *,
        target: int | None = None,
        minmax: bool = False,
        name: str | None = None,
    ) -> int:
        import pygltflib as g

        comp = {
            np.dtype(np.float32): _FLOAT,
            np.dtype(np.uint16): _USHORT,
            np.dtype(np.uint32): _UINT,
        }[data.dtype]
        width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[kind]
        flat = data.reshape(-1, width)
        acc = g.Accessor(
            bufferView=self.view(flat, target),
            componentType=comp,
            count=len(flat),
            type=kind,
            name=name,
        )
        if minmax:
            acc.min = [float(x) for x in flat.min(0)]
            acc.max = [float(x) for x in flat.max(0)]
        else:
            acc.min, acc.max = None, None
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def bytes(self) -> bytes:
        return b"".join(self.chunks)


def _split_uv_seams(rig: "Rig") -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per output vertex: the rig vertex it copies, the triangles over output vertices, and UVs."""
    tris = np.asarray(rig.triangles, np.int64)
    if rig.uvs is None or rig.uv_triangles is None or np.shape(rig.uv_triangles) != tris.shape:
        return np.arange(rig.n_vertices), tris, None
    uv_tris = np.asarray(rig.uv_triangles, np.int64)
    pairs = np.stack([tris.ravel(), uv_tris.ravel()], 1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    uvs = np.asarray(rig.uvs, np.float32)[unique[:, 1]].copy()
    uvs[:, 1] = 1.0 - uvs[:, 1]  # OBJ-style V up -> glTF V down
    return unique[:, 0], inverse.reshape(tris.shape), uvs


def _corrective_weights(rig: "Rig", weights: np.ndarray) -> tuple[list[str], np.ndarray]:
    correctives = list(getattr(rig, "correctives", []) or [])
    if not correctives:
        return [], np.zeros((len(weights), 0), np.float32)
    index = {n: i for i, n in enumerate(ARKIT_NAMES)}
    cols = []
    for c in correctives:
        col = np.ones(len(weights), np.float32)
        for d in c.drivers:
            col = col * weights[:, index[d]]
        cols.append(col)
    return [f"corrective:{c.name}" for c in correctives], np.stack(cols, 1)


def _build(
    anim: "Animation", rig: "Rig", *, normals: bool, correctives: bool, audio_uri: str | None
) -> tuple[Any, bytes]:
    import pygltflib as g

    from ... import __version__

    src, tris, uvs = _split_uv_seams(rig)
    weights = np.asarray(anim.weights_for(rig), np.float32)  # columns in rig.names order
    deltas = [np.asarray(rig.targets, np.float32)]
    names = list(rig.names)
    if correctives:
        extra_names, extra_w = _corrective_weights(rig, weights)
        if extra_names:
            deltas.append(np.stack([np.asarray(c.delta, np.float32) for c in rig.correctives]))
            names += extra_names
            weights = np.concatenate([weights, extra_w], 1)
    target_deltas = np.concatenate(deltas, 0)  # [K, V, 3] over rig vertices
    neutral = np.asarray(rig.neutral, np.float32)

    gltf = g.GLTF2()
    gltf.asset = g.Asset(generator=f"kmtalk {__version__} (pygltflib)", version="2.0")
    blob = _Blob(gltf)

    base_normals = vertex_normals(neutral, rig.triangles)
    target_normals = (
        vertex_normals(neutral[None] + target_deltas, rig.triangles) - base_normals
        if normals
        else None
    )
    part = np.asarray(rig.part, dtype=object) if getattr(rig, "part", None) is not None else None
    tri_part = (
        part[np.asarray(rig.triangles)[:, 0]]
        if part is not None
        else np.full(len(tris), "skin", object)
    )

    # One primitive per render part, each with only its own vertices (so that loaders which
    # concatenate primitives get every vertex once) and its own slice of every morph target.
    primitives = []
    for part_name in dict.fromkeys(tri_part.tolist()):  # first-seen order
        used, local = np.unique(tris[tri_part == part_name], return_inverse=True)
        verts = src[used]  # rig vertex of each of this primitive's vertices
        attrs = g.Attributes(
            POSITION=blob.accessor(
                neutral[verts], "VEC3", target=_ARRAY_BUFFER, minmax=True, name=f"{part_name}"
            ),
            NORMAL=blob.accessor(base_normals[verts], "VEC3", target=_ARRAY_BUFFER),
        )
        if uvs is not None:
            attrs.TEXCOORD_0 = blob.accessor(uvs[used], "VEC2", target=_ARRAY_BUFFER)
        targets = []
        for k, name in enumerate(names):
            t = g.Attributes(
                POSITION=blob.accessor(
                    target_deltas[k][verts],
                    "VEC3",
                    target=_ARRAY_BUFFER,
                    minmax=True,
                    name=f"{part_name}/{name}",
                )
            )
            if target_normals is not None:
                t.NORMAL = blob.accessor(target_normals[k][verts], "VEC3", target=_ARRAY_BUFFER)
            targets.append(t)
        index_type = np.uint16 if len(used) < 65535 else np.uint32
        colour = PART_COLOURS.get(str(part_name), PART_COLOURS["skin"])
        gltf.materials.append(
            g.Material(
                name=str(part_name),
                doubleSided=str(part_name) == "lashes",
                pbrMetallicRoughness=g.PbrMetallicRoughness(
                    baseColorFactor=list(colour),
                    metallicFactor=0.0,
                    roughnessFactor=0.3 if part_name in ("eyes", "teeth") else 0.6,
                ),
            )
        )
        primitives.append(
            g.Primitive(
                attributes=attrs,
                indices=blob.accessor(
                    local.astype(index_type).ravel(), "SCALAR", target=_ELEMENT_ARRAY_BUFFER
                ),
                material=len(gltf.materials) - 1,
                mode=4,
                targets=targets,
            )
        )
    gltf.meshes.append(
        g.Mesh(
            name=getattr(rig, "name", "head"),
            primitives=primitives,
            weights=[0.0] * len(names),
            extras={"targetNames": names},
        )
    )
    gltf.nodes.append(g.Node(name="head", mesh=0))
    gltf.scenes.append(g.Scene(name="kmtalk", nodes=[0]))
    gltf.scene = 0

    # animation: one key per frame, LINEAR
    times = anim.times.astype(np.float32)
    t_acc = blob.accessor(times, "SCALAR", minmax=True, name="frame times (s)")
    samplers = [
        g.AnimationSampler(
            input=t_acc,
            interpolation="LINEAR",
            output=blob.accessor(weights.astype(np.float32).ravel(), "SCALAR", name="weights"),
        )
    ]
    channels = [
        g.AnimationChannel(sampler=0, target=g.AnimationChannelTarget(node=0, path="weights"))
    ]
    if anim.head_pose is not None:
        quat = quaternions(anim.head_pose).astype(np.float32)
        quat /= np.linalg.norm(quat, axis=1, keepdims=True)
        samplers.append(
            g.AnimationSampler(
                input=t_acc,
                interpolation="LINEAR",
                output=blob.accessor(quat, "VEC4", name="head rotation"),
            )
        )
        channels.append(
            g.AnimationChannel(sampler=1, target=g.AnimationChannelTarget(node=0, path="rotation"))
        )
        trans = np.ascontiguousarray(anim.head_pose[:, 3:6], np.float32)
        if np.any(trans):
            samplers.append(
                g.AnimationSampler(
                    input=t_acc,
                    interpolation="LINEAR",
                    output=blob.accessor(trans, "VEC3", name="head translation"),
                )
            )
            channels.append(
                g.AnimationChannel(
                    sampler=2, target=g.AnimationChannelTarget(node=0, path="translation")
                )
            )
    gltf.animations.append(g.Animation(name="kmtalk", samplers=samplers, channels=channels))

    extras: dict[str, Any] = {
        "kmtalk": {
            "fps": anim.fps,
            "n_frames": anim.n_frames,
            "duration": anim.duration,
            "targets": len(names),
            "meta": anim.meta,
        }
    }
    if audio_uri is not None:
        extras["audio"] = {"uri": audio_uri, "mimeType": "audio/wav", "start": 0.0}
    gltf.asset.extras = extras
    data = blob.bytes()
    gltf.buffers.append(g.Buffer(byteLength=len(data)))
    return gltf, data


def write_gltf(
    anim: "Animation",
    path: str | os.PathLike[str],
    *,
    rig: "Rig | None" = None,
    normals: bool = True,
    correctives: bool = True,
    audio: bool = True,
) -> Path:
    """Write ``anim`` on its rig as a glTF 2.0 ``.glb`` or ``.gltf`` (+ ``.bin``).

    Parameters
    ----------
    anim : Animation
    path : str or PathLike
        ``x.glb`` (one binary file) or ``x.gltf`` (JSON + ``x.bin``).
    rig : Rig, optional
        Default: the animation's rig, or the default rig.
    normals : bool
        Write per-target normal deltas (default True; False makes the file
        about half the size, and viewers then keep the rest normals).
    correctives : bool
        Add the rig's corrective shapes as extra animated targets (default True).
    audio : bool
        Write the animation's audio span as ``x.wav`` beside the file and
        reference it in ``asset.extras.audio`` (default True; nothing is
        written when the animation has no audio).

    Returns
    -------
    pathlib.Path
        The ``.glb`` / ``.gltf`` file.

    Raises
    ------
    ExportError
        Unsupported extension or a failed write (no file is left behind).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".glb", ".gltf"):
        raise ExportError(f"write_gltf writes .glb or .gltf, not {path.name!r}")
    rig = rig if rig is not None else anim.get_rig()
    sound = anim.load_audio() if audio else None
    wav_path = path.with_suffix(".wav") if sound is not None and len(sound[0]) else None
    gltf, data = _build(
        anim,
        rig,
        normals=normals,
        correctives=correctives,
        audio_uri=wav_path.name if wav_path else None,
    )
    outputs = [path]
    bin_path = path.with_suffix(".bin") if ext == ".gltf" else None
    if bin_path is not None:
        outputs.append(bin_path)
        gltf.buffers[0].uri = bin_path.name
    if wav_path is not None:
        outputs.append(wav_path)
    with atomic_files(outputs) as tmps:
        if ext == ".glb":
            gltf.set_binary_blob(data)
            with open(tmps[0], "wb") as fh:
                for chunk in gltf.save_to_bytes():
                    fh.write(chunk)
        else:
            tmps[0].write_text(gltf.to_json(indent=1), encoding="utf-8")
            tmps[1].write_bytes(data)
        if wav_path is not None:
            import soundfile as sf

            samples, sr = sound
            sf.write(str(tmps[-1]), samples, sr, subtype="PCM_16", format="WAV")
    log.info(
        "wrote %s (%d frames, %d targets%s)",
        path,
        anim.n_frames,
        len(gltf.meshes[0].weights),
        f", audio {wav_path.name}" if wav_path else "",
    )
    return path


def _accessor_array(gltf: Any, index: int, blob: bytes) -> np.ndarray:
    """The float32 values of an accessor ``[count, components]`` (tightly packed FLOAT data, as written here)."""
    acc = gltf.accessors[index]
    if acc.componentType != _FLOAT:
        raise AnimationError(f"accessor {index} is not float32 (componentType {acc.componentType})")
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc.type]
    view = gltf.bufferViews[acc.bufferView]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    stride = view.byteStride or 4 * width
    if stride != 4 * width:
        raise AnimationError(f"accessor {index} has interleaved data (stride {stride}); kmtalk reads its own files")
    data = np.frombuffer(blob, dtype="<f4", count=acc.count * width, offset=start)
    return data.reshape(acc.count, width)


def read_gltf(path: str | os.PathLike[str]) -> "Animation":
    """Read a ``.glb`` / ``.gltf`` written by :func:`write_gltf` back into an :class:`Animation`.

    The weights of the targets whose names are ARKit blendshapes (any case,
    ``mesh.extras.targetNames``) become the curves; other targets (correctives,
    a custom rig's extras) are skipped and ARKit channels the file lacks are 0.
    The rotation and translation channels become ``head_pose``; fps and
    ``meta`` come from ``asset.extras.kmtalk`` (fps from the key times when
    absent); the audio sidecar, when referenced, becomes ``audio_path``. The
    rig is not read back (pass the animation a rig to draw it on another head).

    Raises
    ------
    AnimationError
        Missing or unreadable file, no mesh with named targets, no ``weights``
        animation, or keys that are not one per frame.
    """
    import pygltflib as g

    path = Path(path)
    if not path.is_file():
        raise AnimationError(f"glTF file {path} does not exist")
    if path.suffix.lower() == ".glb":
        with open(path, "rb") as fh:
            head = fh.read(8)
        if len(head) < 8 or head[:4] != b"glTF" or int.from_bytes(head[4:8], "little") != 2:
            raise AnimationError(f"cannot read glTF {path}: not a binary glTF 2.0 file")
    try:
        gltf = g.GLTF2().load(str(path))
        blob = gltf.binary_blob() if path.suffix.lower() == ".glb" else None
        if blob is None:
            uri = gltf.buffers[0].uri if gltf.buffers else None
            if not uri or uri.startswith("data:"):
                raise AnimationError(f"{path}: no binary buffer kmtalk can read (expected {path.stem}.bin)")
            blob = (path.parent / uri).read_bytes()
    except AnimationError:
        raise
    except Exception as exc:  # pygltflib raises many types on a corrupt file
        raise AnimationError(f"cannot read glTF {path}: {exc}") from exc
    try:
        names = list((gltf.meshes[0].extras or {})["targetNames"])
        anim_gltf = next(a for a in gltf.animations if any(c.target.path == "weights" for c in a.channels))
    except (IndexError, KeyError, TypeError, StopIteration):
        raise AnimationError(f"{path}: no mesh with named morph targets and a weights animation "
                             "(not a kmtalk glTF export)") from None
    tracks: dict[str, np.ndarray] = {}
    times = None
    for channel in anim_gltf.channels:
        sampler = anim_gltf.samplers[channel.sampler]
        t = _accessor_array(gltf, sampler.input, blob)[:, 0]
        times = t if times is None else times
        tracks[channel.target.path] = _accessor_array(gltf, sampler.output, blob)
    extras = gltf.asset.extras or {}
    info = extras.get("kmtalk") or {}
    fps = info.get("fps")
    if fps is None:
        if len(times) < 2:
            raise AnimationError(f"{path}: one key and no fps in asset.extras.kmtalk")
        fps = float(np.round(1.0 / np.median(np.diff(times.astype(np.float64))), 6))
    n = len(times)
    values = tracks["weights"].reshape(n, len(names))
    weights = np.zeros((n, 52), np.float32)
    for k, name in enumerate(names):
        arkit = canonical_name(str(name))
        if arkit is not None:
            weights[:, ARKIT_INDEX[arkit]] = values[:, k]
    head_pose = None
    if "rotation" in tracks or "translation" in tracks:
        head_pose = np.zeros((n, 6), np.float32)
        if "rotation" in tracks:
            head_pose[:, :3] = angles_from_quaternions(tracks["rotation"])
        if "translation" in tracks:
            head_pose[:, 3:6] = tracks["translation"]
    audio = extras.get("audio") or {}
    audio_path = str(path.parent / audio["uri"]) if audio.get("uri") else None
    return Animation(fps=float(fps), weights=weights, head_pose=head_pose, clip=True,
                     audio_path=audio_path, meta=dict(info.get("meta") or {}))
