"""Find named landmark vertices and vertex regions on a rig from its geometry and targets.

The rules use only what any ARKit head has: a left/right symmetric mesh
(subject's left at +X, Y up, face looking +Z), the ``jawOpen`` target (which
splits the lips into the still upper lip and the moving lower lip), the
``mouthSmile*`` targets (whose largest motion is at the mouth corners) and the
eyeballs (render part ``eyes``). They run once when the default head is built (the
results are stored in the asset) and for custom rigs on load.

Definitions (anthropometric names in brackets):

- ``upper_lip_outer`` / ``lower_lip_outer``: the most forward midline point of
  each lip (labrale superius / inferius).
- ``upper_lip_inner`` / ``lower_lip_inner``: where the lips meet on the
  midline — the lowest point of the still upper lip and the highest point of
  the lower lip (the part ``jawOpen`` moves), in front of the teeth.
- ``mouth_corner_left`` / ``_right``: the vertex ``mouthSmileLeft`` /
  ``Right`` moves most (cheilion).
- ``eye_inner_*`` / ``eye_outer_*``: the medial / lateral ends of each eye
  opening (endocanthion / exocanthion): the ends of the lid margin, i.e. of
  the forward skin that touches the eyeball (needs the ``eyes`` part).
- ``nose_tip``: the most forward skin vertex (pronasale).
- ``chin``: the most forward midline point of the chin (pogonion).

Examples
--------
>>> from kmtalk.face.rig import default_rig
>>> lm = default_rig().landmarks
>>> sorted(lm)[:3]
['chin', 'eye_inner_left', 'eye_inner_right']
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import numpy as np

__all__ = ["LANDMARK_NAMES", "boundary_loops", "find_landmarks", "find_regions"]

log = logging.getLogger(__name__)


class Rig(Protocol):
    """What the landmark search reads of a rig (:class:`kmtalk.face.rig.Rig` has it all)."""

    name: str
    neutral: np.ndarray
    triangles: np.ndarray
    targets: np.ndarray
    part: Any
    landmarks: dict[str, int]

    def index(self, name: str) -> int: ...

LANDMARK_NAMES = (
    "upper_lip_inner", "lower_lip_inner", "upper_lip_outer", "lower_lip_outer",
    "mouth_corner_left", "mouth_corner_right", "eye_outer_left", "eye_outer_right",
    "eye_inner_left", "eye_inner_right", "nose_tip", "chin",
)


def _disp(rig: Rig, name: str) -> np.ndarray:
    return np.linalg.norm(rig.targets[rig.index(name)], axis=1)


def boundary_loops(triangles: np.ndarray) -> list[np.ndarray]:
    """Vertex loops along the open edges of a triangle mesh (edges used by one triangle).

    Parameters
    ----------
    triangles : numpy.ndarray
        ``[F, 3]`` vertex indices.

    Returns
    -------
    list of numpy.ndarray
        One array of vertex indices per boundary component.

    Examples
    --------
    >>> import numpy as np
    >>> [sorted(l.tolist()) for l in boundary_loops(np.array([[0, 1, 2]]))]
    [[0, 1, 2]]
    """
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    key = np.sort(edges, axis=1)
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    open_edges = uniq[counts == 1]
    if len(open_edges) == 0:
        return []
    # connected components over open edges (union-find)
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in open_edges.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for v in np.unique(open_edges).tolist():
        groups.setdefault(find(v), []).append(v)
    return [np.asarray(sorted(g)) for g in groups.values()]


def find_landmarks(rig: Rig) -> dict[str, int]:
    """Pick the 12 named landmark vertices of a head (see the module docstring).

    Landmarks that cannot be found (e.g. no eye holes on a custom head) are left
    out with a warning.

    Parameters
    ----------
    rig : Rig

    Returns
    -------
    dict of str to int

    Examples
    --------
    >>> from kmtalk.face.rig import default_rig
    >>> from kmtalk.face.rig.landmarks import find_landmarks
    >>> rig = default_rig()
    >>> find_landmarks(rig)["nose_tip"] == rig.landmarks["nose_tip"]
    True
    """
    v = rig.neutral
    skin = np.isin(rig.part, ("skin", "mouth"))
    size = float(np.ptp(v[skin], axis=0).max()) if skin.any() else 1.0
    eps = 1e-3 * size
    out: dict[str, int] = {}

    def pick(mask: np.ndarray, score: np.ndarray) -> int | None:
        idx = np.flatnonzero(mask)
        return int(idx[np.argmax(score[idx])]) if len(idx) else None

    # nose tip: the most forward skin vertex
    out["nose_tip"] = int(np.flatnonzero(skin)[np.argmax(v[skin, 2])])

    # mouth corners: the largest motion of the smile targets
    for side in ("left", "right"):
        d = _disp(rig, "mouthSmile" + side.capitalize())
        if d.max() > 0:
            out[f"mouth_corner_{side}"] = int(np.argmax(np.where(skin, d, -1.0)))

    jaw = _disp(rig, "jawOpen")
    moving = jaw > 0.25 * jaw.max() if jaw.max() > 0 else np.zeros(len(v), bool)
    midline = skin & (np.abs(v[:, 0]) < eps)
    if "mouth_corner_left" in out and midline.any():
        corner = v[out["mouth_corner_left"]]
        teeth = rig.part == "teeth"
        front_z = v[teeth, 2].max() if teeth.any() else corner[2]
        mouth_y = corner[1]
        zone = midline & (np.abs(v[:, 1] - mouth_y) < 0.15 * size) & (v[:, 2] > front_z)
        upper, lower = zone & ~moving, zone & moving
        ui = pick(upper, -v[:, 1])
        li = pick(lower, v[:, 1])
        if ui is not None and li is not None:
            out["upper_lip_inner"], out["lower_lip_inner"] = ui, li
            uo = pick(upper & (v[:, 1] < v[ui, 1] + 0.06 * size), v[:, 2])
            lo = pick(lower & (v[:, 1] > v[li, 1] - 0.06 * size), v[:, 2])
            if uo is not None:
                out["upper_lip_outer"] = uo
            if lo is not None:
                out["lower_lip_outer"] = lo
                chin_zone = midline & moving & (v[:, 1] < v[lo, 1] - 0.06 * size)
                ch = pick(chin_zone, v[:, 2])
                if ch is not None:
                    out["chin"] = ch

    # eye corners: ends of the lid margin, the forward skin that touches the eyeball
    eyes = rig.part == "eyes"
    for side, sign in (("left", 1.0), ("right", -1.0)):
        ball = eyes & (np.sign(v[:, 0]) == sign)
        if ball.sum() < 4:
            continue
        centre = v[ball].mean(axis=0)
        radius = float(np.linalg.norm(v[ball] - centre, axis=1).mean())
        dist = np.linalg.norm(v - centre, axis=1)
        margin = np.flatnonzero(
            skin & (np.abs(dist - radius) < 0.05 * radius) & (v[:, 2] > centre[2] + 0.3 * radius)
        )
        if len(margin) < 2:
            continue
        ax = np.abs(v[margin, 0])
        out[f"eye_inner_{side}"] = int(margin[np.argmin(ax)])
        out[f"eye_outer_{side}"] = int(margin[np.argmax(ax)])

    missing = [n for n in LANDMARK_NAMES if n not in out]
    if missing:
        log.warning("could not locate landmarks %s on rig %r", ", ".join(missing), rig.name)
    return {k: out[k] for k in LANDMARK_NAMES if k in out}


def find_regions(rig: Rig, landmarks: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """Vertex index sets: ``lips``, ``jaw``, ``upper_face``, ``eyes`` and per-part sets.

    - ``lips``: skin in a box around the mouth (corners ± 4 mm sideways, outer
      lip points ± 4 mm vertically) and in front of the teeth.
    - ``jaw``: every vertex ``jawOpen`` moves by more than 1 mm (chin, lower lip,
      lower teeth, tongue).
    - ``upper_face``: skin above the eye corners (upper lids, brows, forehead,
      scalp).
    - ``eyes``: eyeballs, lashes and skin within 1.6 × the eye-opening width of
      each eye's centre, above the nose tip.
    - ``teeth_upper``, ``teeth_lower``, ``tongue``: render parts, split by ``jawOpen``.

    Examples
    --------
    >>> from kmtalk.face.rig import default_rig
    >>> sorted(default_rig().regions)
    ['eyes', 'jaw', 'lips', 'teeth_lower', 'teeth_upper', 'tongue', 'upper_face']
    """
    lm = rig.landmarks if landmarks is None else landmarks
    v = rig.neutral
    skin = np.isin(rig.part, ("skin", "mouth"))
    jaw = _disp(rig, "jawOpen")
    out: dict[str, np.ndarray] = {}
    out["jaw"] = np.flatnonzero(jaw > 1e-3)
    mouth_keys = ("mouth_corner_left", "mouth_corner_right", "upper_lip_outer", "lower_lip_outer")
    if all(k in lm for k in mouth_keys):
        xl = v[lm["mouth_corner_left"], 0] + 0.004
        xr = v[lm["mouth_corner_right"], 0] - 0.004
        top = v[lm["upper_lip_outer"], 1] + 0.004
        bottom = v[lm["lower_lip_outer"], 1] - 0.004
        front = min(v[lm["mouth_corner_left"], 2], v[lm["mouth_corner_right"], 2]) - 0.002
        box = (v[:, 0] <= xl) & (v[:, 0] >= xr) & (v[:, 1] <= top) & (v[:, 1] >= bottom)
        out["lips"] = np.flatnonzero(skin & box & (v[:, 2] >= front))
    eye_keys = ("eye_inner_left", "eye_outer_left", "eye_inner_right", "eye_outer_right")
    if all(k in lm for k in eye_keys) and "nose_tip" in lm:
        eye_y = np.mean([v[lm[k], 1] for k in eye_keys])
        out["upper_face"] = np.flatnonzero(skin & (v[:, 1] > eye_y))
        near = np.zeros(len(v), bool)
        for side in ("left", "right"):
            a, b = v[lm[f"eye_inner_{side}"]], v[lm[f"eye_outer_{side}"]]
            centre, width = (a + b) / 2.0, np.linalg.norm(a - b)
            near |= np.linalg.norm(v - centre, axis=1) < 1.6 * width
        eyeparts = (rig.part == "eyes") | (rig.part == "lashes")
        out["eyes"] = np.flatnonzero(eyeparts | (skin & near & (v[:, 1] > v[lm["nose_tip"], 1])))
    teeth = rig.part == "teeth"
    if teeth.any():
        out["teeth_upper"] = np.flatnonzero(teeth & (jaw <= 1e-3))
        out["teeth_lower"] = np.flatnonzero(teeth & (jaw > 1e-3))
    tongue = rig.part == "tongue"
    if tongue.any():
        out["tongue"] = np.flatnonzero(tongue)
    return out
