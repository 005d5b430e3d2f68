"""The face renderer: one rig, one offscreen framebuffer, soft lighting.

Lighting is a hemisphere light (warm sky, dark ground) plus a key light from
the upper left, a weak rim light and a small specular term, evaluated per
vertex (Gouraud; the head is dense enough) with normals recomputed from the
deformed mesh every frame; output is gamma-encoded with gamma 2. Materials come from the rig's
render parts: skin (lips tinted from the lip landmarks), mouth cavity, eyes
(sclera, iris and pupil drawn from each eyeball's rest-pose direction, so the
iris follows the ``eyeLook*`` targets), teeth, tongue and lashes.

Examples
--------
>>> import numpy as np
>>> from kmtalk.face.rig import default_rig
>>> from kmtalk.io.render.scene import FaceRenderer
>>> r = FaceRenderer(default_rig(), size=128)
>>> r.draw(default_rig().neutral).shape
(128, 128, 3)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ...errors import RenderError
from .context import gl_context
from .geometry import look_at, perspective, vertex_normals

__all__ = ["BACKGROUND", "PART_COLOURS", "VIEWS", "FaceRenderer"]

log = logging.getLogger(__name__)

VIEWS = ("front", "side")
"""Camera names: ``front`` looks at the face along -Z; ``side`` sees the subject's left profile."""

BACKGROUND = (0.16, 0.17, 0.19)
"""Background colour (linear RGB in [0, 1])."""

PART_COLOURS = {
    "skin": (0.80, 0.58, 0.47),
    "lips": (0.66, 0.33, 0.32),
    "mouth": (0.30, 0.08, 0.09),
    "eyes": (0.93, 0.92, 0.90),
    "teeth": (0.92, 0.90, 0.82),
    "tongue": (0.70, 0.30, 0.33),
    "lashes": (0.10, 0.07, 0.06),
}
"""Base colour of each render part (linear RGB)."""

_MATERIAL = {"skin": 0.0, "mouth": 1.0, "eyes": 2.0, "teeth": 3.0, "tongue": 4.0, "lashes": 5.0}

_VERTEX = """
#version 330
uniform mat4 view_proj;
uniform mat4 model;
uniform vec3 cam_pos;
uniform vec3 key_dir;
uniform vec3 rim_dir;
in vec3 in_pos;
in vec3 in_normal;
in vec3 in_colour;
in vec4 in_extra;   // xyz: eyeball rest direction, w: material id
out vec3 v_colour;
out vec3 v_light;   // multiplies the base colour
out vec3 v_add;     // added on top (specular, rim)
out vec4 v_extra;
void main() {
    vec4 w = model * vec4(in_pos, 1.0);
    vec3 n = normalize(mat3(model) * in_normal);
    vec3 v = normalize(cam_pos - w.xyz);
    float mat = in_extra.w;
    float shininess = 24.0;
    float spec_k = 0.06;
    if (mat > 1.5 && mat < 2.5) { shininess = 60.0; spec_k = 0.30; }     // eyes
    else if (mat > 2.5 && mat < 3.5) { shininess = 40.0; spec_k = 0.15; } // teeth
    else if (mat > 0.5 && mat < 1.5 || mat > 4.5) { spec_k = 0.0; }      // mouth, lashes
    vec3 sky = vec3(0.60, 0.58, 0.56);
    vec3 ground = vec3(0.16, 0.14, 0.13);
    vec3 hemi = mix(ground, sky, 0.5 + 0.5 * n.y);
    float nl = dot(n, key_dir);
    float diff = 0.5 * max(nl, 0.0) + 0.5 * max((nl + 0.35) / 1.35, 0.0);
    float f = 1.0 - max(dot(n, v), 0.0);
    float rim = f * f * f * max(dot(n, rim_dir), 0.0);
    vec3 h = normalize(key_dir + v);
    float spec = pow(max(dot(n, h), 0.0), shininess) * spec_k * step(0.0, nl);
    v_light = 0.55 * hemi + 0.62 * diff * vec3(1.0, 0.97, 0.92);
    v_add = 0.18 * rim * vec3(0.8, 0.85, 1.0) + vec3(spec);
    v_colour = in_colour;
    v_extra = in_extra;
    gl_Position = view_proj * w;
}
"""

_FRAGMENT = """
#version 330
in vec3 v_colour;
in vec3 v_light;
in vec3 v_add;
in vec4 v_extra;
out vec4 f_colour;
void main() {
    vec3 base = v_colour;
    if (v_extra.w > 1.5 && v_extra.w < 2.5) {   // eye: iris and pupil around the rest gaze (+Z)
        float c = normalize(v_extra.xyz).z;
        base = mix(base, vec3(0.20, 0.33, 0.45) * (0.7 + 0.3 * c), smoothstep(0.855, 0.875, c));
        base = mix(base, vec3(0.02), smoothstep(0.968, 0.976, c));
    }
    f_colour = vec4(sqrt(clamp(base * v_light + v_add, 0.0, 1.0)), 1.0);
}
"""


def _lip_tint(rig) -> np.ndarray:
    """Per-vertex weight in [0, 1] of the lip colour, from the lip and mouth-corner landmarks."""
    lm, v = rig.landmarks, rig.neutral
    need = ("mouth_corner_left", "mouth_corner_right", "upper_lip_outer", "lower_lip_outer",
            "upper_lip_inner", "lower_lip_inner")
    if not all(k in lm for k in need):
        return np.zeros(len(v), np.float32)
    xc = 0.5 * (v[lm["mouth_corner_left"], 0] - v[lm["mouth_corner_right"], 0])
    yc = 0.5 * (v[lm["mouth_corner_left"], 1] + v[lm["mouth_corner_right"], 1])
    y_mid = 0.5 * (v[lm["upper_lip_inner"], 1] + v[lm["lower_lip_inner"], 1])
    t_up = v[lm["upper_lip_outer"], 1] - y_mid
    t_lo = y_mid - v[lm["lower_lip_outer"], 1]
    s = np.clip(np.abs(v[:, 0]) / max(xc, 1e-6), 0.0, 1.5)
    line = y_mid + (yc - y_mid) * s ** 2  # the mouth line, a parabola through the corners
    shape = np.sqrt(np.clip(1.0 - s ** 2, 0.0, 1.0))
    dy = v[:, 1] - line
    extent = np.where(dy > 0, t_up, t_lo) * (0.25 + 0.75 * shape)
    inside = np.abs(dy) / np.maximum(extent, 1e-6)
    front = v[:, 2] > min(v[lm["mouth_corner_left"], 2], v[lm["mouth_corner_right"], 2]) - 0.004
    weight = np.clip((1.25 - inside) / 0.5, 0.0, 1.0) * (s < 1.1) * front
    return weight.astype(np.float32)


class FaceRenderer:
    """Draw deformed vertices of one rig into RGB frames (headless, moderngl on EGL).

    Parameters
    ----------
    rig : Rig
        The mesh to draw (triangles, parts, landmarks for colouring and framing).
    size : int, default 512
        Height and width of one view in pixels (rounded up to even).
    views : sequence of str, default ("front",)
        Cameras from :data:`VIEWS`, placed side by side left to right.
    samples : int, default 0
        Multisample anti-aliasing samples (0: none, the fastest).

    Raises
    ------
    RenderError
        No OpenGL context (see :func:`kmtalk.io.render.context.gl_context`), bad size or view.

    Examples
    --------
    >>> from kmtalk.face.rig import default_rig
    >>> from kmtalk.io.render.scene import FaceRenderer
    >>> FaceRenderer(default_rig(), size=64, views=("front", "side")).shape
    (64, 128, 3)
    """

    def __init__(self, rig, *, size: int = 512, views: Sequence[str] = ("front",),
                 samples: int = 0) -> None:
        size = int(size)
        if size < 16 or size > 4096:
            raise RenderError(f"size must be between 16 and 4096 pixels, got {size}")
        size += size % 2
        views = tuple(views)
        bad = [v for v in views if v not in VIEWS]
        if bad or not views:
            raise RenderError(f"unknown view(s) {bad or views}; choose from {VIEWS}")
        self.rig, self.size, self.views = rig, size, views
        self.shape = (size, size * len(views), 3)
        self.ctx = ctx = gl_context()
        self.triangles = np.ascontiguousarray(rig.triangles, np.int32)
        n = rig.n_vertices
        parts = np.asarray(rig.part, dtype=object)

        colour = np.tile(np.asarray(PART_COLOURS["skin"], np.float32), (n, 1))
        for part, rgb in PART_COLOURS.items():
            if part in ("skin", "lips"):
                continue
            colour[parts == part] = rgb
        tint = _lip_tint(rig) * (parts == "skin")
        colour = colour * (1 - tint[:, None]) + np.asarray(PART_COLOURS["lips"]) * tint[:, None]
        extra = np.zeros((n, 4), np.float32)
        extra[:, 3] = [_MATERIAL.get(p, 0.0) for p in parts]
        for sign in (1.0, -1.0):  # one eyeball per side of the midline
            ball = (parts == "eyes") & (np.sign(rig.neutral[:, 0]) == sign)
            if ball.any():
                d = rig.neutral[ball] - rig.neutral[ball].mean(axis=0)
                extra[ball, :3] = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)

        self.prog = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self.vbo_pos = ctx.buffer(reserve=n * 12)
        self.vbo_nrm = ctx.buffer(reserve=n * 12)
        self.vbo_col = ctx.buffer(np.ascontiguousarray(colour, np.float32).tobytes())
        self.vbo_ext = ctx.buffer(extra.tobytes())
        # opaque surfaces are drawn with back-face culling, nearest triangles first (so the
        # depth test rejects hidden fragments early); the one-sided lash cards without culling
        lash_tri = (parts[self.triangles] == "lashes").any(axis=1)
        centroid = rig.neutral[self.triangles].mean(axis=1)
        buffers = [(self.vbo_pos, "3f", "in_pos"), (self.vbo_nrm, "3f", "in_normal"),
                   (self.vbo_col, "3f", "in_colour"), (self.vbo_ext, "4f", "in_extra")]
        self._ibos, self._vaos = [], {}
        for view in views:
            axis = 2 if view == "front" else 0
            solid = self.triangles[~lash_tri]
            order = np.argsort(-centroid[~lash_tri, axis], kind="stable")
            ibo = ctx.buffer(np.ascontiguousarray(solid[order]).tobytes())
            self._ibos.append(ibo)
            self._vaos[view] = ctx.vertex_array(self.prog, buffers, index_buffer=ibo,
                                                index_element_size=4)
        self._lash_vao = None
        if lash_tri.any():
            ibo = ctx.buffer(np.ascontiguousarray(self.triangles[lash_tri]).tobytes())
            self._ibos.append(ibo)
            self._lash_vao = ctx.vertex_array(self.prog, buffers, index_buffer=ibo,
                                              index_element_size=4)

        self._clear = tuple(float(c) ** 0.5 for c in BACKGROUND)
        width = size * len(views)
        samples = min(int(samples), ctx.max_samples) if samples else 0
        self.msaa = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer((width, size), 4, samples=samples)],
            depth_attachment=ctx.depth_renderbuffer((width, size), samples=samples),
        )
        self.resolved = (
            ctx.framebuffer(color_attachments=[ctx.renderbuffer((width, size), 4)])
            if samples else self.msaa
        )
        self._cameras = {v: self._camera(v) for v in views}

    # ------------------------------------------------------------------ cameras
    def _frame_box(self) -> tuple[np.ndarray, float]:
        """Centre and half-height of the region to frame: the face, from landmarks if present."""
        v = self.rig.neutral
        body = v[np.isin(self.rig.part, ("skin", "mouth"))]
        if len(body) == 0:
            body = v
        lo, hi = body.min(axis=0), body.max(axis=0)
        centre = (lo + hi) / 2.0
        half = 0.55 * float(max(hi[1] - lo[1], hi[0] - lo[0]))
        lm = self.rig.landmarks
        if "chin" in lm and "eye_inner_left" in lm:
            chin, eye = v[lm["chin"], 1], v[lm["eye_inner_left"], 1]
            span = eye - chin
            centre = np.array([0.0, (eye + chin) / 2.0 + 0.12 * span, centre[2]])
            half = 1.25 * span
        return centre, half

    def _camera(self, view: str):
        centre, half = self._frame_box()
        fov = 20.0
        dist = half / np.tan(np.radians(fov / 2.0))
        if view == "front":
            eye = centre + np.array([0.0, 0.0, dist])
            key = np.array([-0.45, 0.55, 0.70])
            rim = np.array([0.7, 0.3, -0.6])
        else:
            eye = centre + np.array([dist, 0.0, 0.0])
            key = np.array([0.60, 0.55, 0.55])
            rim = np.array([-0.6, 0.3, -0.7])
        vp = perspective(fov, 1.0, dist * 0.2, dist * 5.0) @ look_at(eye, centre)
        return vp.astype(np.float32), eye.astype(np.float32), key / np.linalg.norm(key), rim / np.linalg.norm(rim)

    # ------------------------------------------------------------------ drawing
    def draw(self, vertices: np.ndarray, model: np.ndarray | None = None) -> np.ndarray:
        """Render one frame of deformed vertices.

        Parameters
        ----------
        vertices : numpy.ndarray
            ``[V, 3]`` vertex positions (e.g. ``rig.evaluate(weights)``).
        model : numpy.ndarray, optional
            ``4×4`` head transform (rotation about the rig origin, then translation).

        Returns
        -------
        numpy.ndarray
            ``uint8 [H, W, 3]``, views side by side.

        Examples
        --------
        >>> from kmtalk.face.rig import default_rig
        >>> from kmtalk.io.render.scene import FaceRenderer
        >>> FaceRenderer(default_rig(), size=32).draw(default_rig().neutral).dtype
        dtype('uint8')
        """
        v = np.ascontiguousarray(vertices, np.float32)
        if v.shape != (self.rig.n_vertices, 3):
            raise RenderError(f"vertices must be [{self.rig.n_vertices}, 3], got {list(v.shape)}")
        self.vbo_pos.write(v.tobytes())
        self.vbo_nrm.write(vertex_normals(v, self.triangles).tobytes())
        m = np.eye(4, dtype=np.float32) if model is None else np.asarray(model, np.float32)
        ctx = self.ctx
        self.msaa.use()
        ctx.disable(ctx.CULL_FACE)
        ctx.enable(ctx.DEPTH_TEST)
        self.msaa.clear(*self._clear, 1.0, depth=1.0)
        self.prog["model"].write(m.T.copy().tobytes())
        for i, view in enumerate(self.views):
            vp, eye, key, rim = self._cameras[view]
            ctx.viewport = (i * self.size, 0, self.size, self.size)
            self.prog["view_proj"].write(vp.T.copy().tobytes())
            self.prog["cam_pos"].value = tuple(float(x) for x in eye)
            self.prog["key_dir"].value = tuple(float(x) for x in key)
            self.prog["rim_dir"].value = tuple(float(x) for x in rim)
            ctx.enable(ctx.CULL_FACE)
            self._vaos[view].render()
            if self._lash_vao is not None:
                ctx.disable(ctx.CULL_FACE)
                self._lash_vao.render()
        if self.resolved is not self.msaa:
            ctx.copy_framebuffer(self.resolved, self.msaa)
        data = self.resolved.read(components=3, alignment=1)
        img = np.frombuffer(data, np.uint8).reshape(self.size, self.size * len(self.views), 3)
        return img[::-1].copy()

    def release(self) -> None:
        """Free the GPU objects (the shared context stays)."""
        vaos = list(self._vaos.values()) + ([self._lash_vao] if self._lash_vao else [])
        for obj in vaos + self._ibos + [self.vbo_pos, self.vbo_nrm, self.vbo_col, self.vbo_ext,
                                        self.prog, self.msaa]:
            obj.release()
        if self.resolved is not self.msaa:
            self.resolved.release()

    def __enter__(self) -> FaceRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
