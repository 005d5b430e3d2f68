"""Evaluation metrics on predicted motion, computed exactly as the field does: LVE, FDD, ARKit error.

Pure functions over numpy arrays (no torch, no rig).

**LVE** (lip vertex error) and **FDD** (upper-face dynamics deviation) follow
CodeTalker's evaluation script (``main/cal_metric.py`` in
github.com/Doubiiu/CodeTalker; FaceDiffuser's
``evaluation/compute_objective_metrics.py`` computes LVE the same way, and the
face-benchmark project cites both as its references). Checked against copies
of that code in derived repositories and torchmetrics'
``upper_face_dynamics_deviation``:

- LVE: for every frame, the *maximum over the lip vertices* of the *squared*
  L2 distance between predicted and true vertex, then the mean over all frames
  of all sequences pooled together (no square root). Predictions longer than
  the ground truth are cut to its length.
- FDD: per sequence, the motion is each vertex's displacement from the
  subject's template; for every upper-face vertex take the standard deviation
  over time (population, ``ddof=0``) of its *squared* displacement norm, and
  average over those vertices; FDD of the sequence is ground truth minus
  prediction (signed); the reported FDD is the mean over sequences.

Both are in squared mesh units (BIWI and VOCASET meshes are in metres, and
papers report LVE in units of 1e-4 m² for BIWI, 1e-5 m² for VOCASET).

Examples
--------
>>> import numpy as np
>>> from completion.metrics import lip_vertex_error
>>> gt = np.zeros((2, 3, 3)); pred = gt.copy(); pred[0, 1] = [0.0, 0.3, 0.4]  # |d|^2 = 0.25
>>> float(lip_vertex_error(pred, gt, [0, 1]))
0.125
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "arkit_channel_errors",
    "arkit_error",
    "lip_vertex_error",
    "mean_vertex_error",
    "upper_face_dynamics_deviation",
]

ArrayOrList = np.ndarray | Sequence[np.ndarray]


def _as_list(x: ArrayOrList) -> list[np.ndarray]:
    if isinstance(x, np.ndarray):
        return [x]
    return [np.asarray(s) for s in x]


def _verts(a: np.ndarray, where: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] % 3 == 0:  # [T, V*3] as stored in vertices_npy
        a = a.reshape(a.shape[0], -1, 3)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"{where} must be shaped [T, V, 3] or [T, V*3], got {a.shape}")
    return a


def _pairs(pred: ArrayOrList, gt: ArrayOrList) -> list[tuple[np.ndarray, np.ndarray]]:
    preds, gts = _as_list(pred), _as_list(gt)
    if len(preds) != len(gts):
        raise ValueError(f"got {len(preds)} predicted and {len(gts)} true sequences")
    out = []
    for i, (p, g) in enumerate(zip(preds, gts)):
        p, g = _verts(p, f"prediction {i}"), _verts(g, f"ground truth {i}")
        if p.shape[1:] != g.shape[1:]:
            raise ValueError(f"sequence {i}: prediction has {p.shape[1]} vertices, ground truth {g.shape[1]}")
        if p.shape[0] < g.shape[0]:
            raise ValueError(f"sequence {i}: prediction has {p.shape[0]} frames, fewer than the "
                             f"ground truth's {g.shape[0]}")
        out.append((p[: g.shape[0]], g))
    return out


def _indices(idx: Sequence[int] | np.ndarray, n: int, what: str) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        raise ValueError(f"{what} vertex list is empty")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"{what} vertex indices must lie in 0..{n - 1}")
    return idx


def lip_vertex_error(pred: ArrayOrList, gt: ArrayOrList, lip_indices: Sequence[int] | np.ndarray) -> float:
    """LVE: mean over frames of the largest squared lip-vertex error (CodeTalker's definition).

    Parameters
    ----------
    pred, gt : ndarray [T, V, 3] (or [T, V*3]), or sequences of them
        Predicted and true vertices of one or several sequences. Frames of all
        sequences are pooled (as CodeTalker concatenates them) before averaging.
        A prediction may be longer than its ground truth (it is cut).
    lip_indices : sequence of int
        The lip region's vertex indices (BIWI: CodeTalker's ``regions/lve.txt``;
        VOCASET/FLAME: the ``lips`` mask of ``FLAME_masks.pkl``).

    Returns
    -------
    float
        In squared mesh units; no square root is taken.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((2, 2, 3))
    >>> pred = gt.copy(); pred[0, 0, 0] = 1.0; pred[0, 1, 0] = 2.0; pred[1, 1, 2] = 3.0
    >>> lip_vertex_error(pred, gt, [0, 1])  # frame maxima 4 and 9
    6.5
    """
    maxima = []
    for p, g in _pairs(pred, gt):
        idx = _indices(lip_indices, g.shape[1], "lip")
        sq = ((p[:, idx] - g[:, idx]) ** 2).sum(axis=2)  # [T, L]
        maxima.append(sq.max(axis=1))
    return float(np.concatenate(maxima).mean())


def upper_face_dynamics_deviation(pred: ArrayOrList, gt: ArrayOrList, templates: ArrayOrList,
                                  upper_indices: Sequence[int] | np.ndarray) -> float:
    """FDD: ground truth's minus the prediction's upper-face motion variability (CodeTalker's definition).

    For each sequence: ``motion = vertices - template``; per upper-face vertex,
    ``std_t(|motion|^2)`` (population std over time); mean over those
    vertices; ``FDD_seq = mean_gt - mean_pred``. Returns the mean of
    ``FDD_seq`` over sequences. Positive: the prediction moves the upper face
    less than the ground truth.

    Parameters
    ----------
    pred, gt : ndarray [T, V, 3] (or [T, V*3]), or sequences of them
    templates : ndarray [V, 3], or one per sequence
        The subject's neutral mesh (``templates.pkl``).
    upper_indices : sequence of int
        Upper-face vertex indices (BIWI: CodeTalker's ``regions/fdd.txt``).

    Returns
    -------
    float
        Signed, in squared mesh units.

    Examples
    --------
    >>> import numpy as np
    >>> tpl = np.zeros((1, 3))
    >>> gt = np.array([[[0., 0, 0]], [[0., 2, 0]]])     # |m|^2: 0, 4 -> std 2
    >>> pred = np.array([[[0., 0, 0]], [[1., 0, 0]]])   # |m|^2: 0, 1 -> std 0.5
    >>> upper_face_dynamics_deviation(pred, gt, tpl, [0])
    1.5
    """
    pairs = _pairs(pred, gt)
    tpls = _as_list(templates)
    if len(tpls) == 1 and len(pairs) > 1:
        tpls = tpls * len(pairs)
    if len(tpls) != len(pairs):
        raise ValueError(f"got {len(tpls)} templates for {len(pairs)} sequences")
    diffs = []
    for (p, g), tpl in zip(pairs, tpls):
        tpl = np.asarray(tpl, dtype=np.float64).reshape(-1, 3)
        if tpl.shape[0] != g.shape[1]:
            raise ValueError(f"template has {tpl.shape[0]} vertices, the sequence {g.shape[1]}")
        idx = _indices(upper_indices, g.shape[1], "upper-face")
        gt_std = (((g[:, idx] - tpl[idx]) ** 2).sum(axis=2)).std(axis=0).mean()
        pred_std = (((p[:, idx] - tpl[idx]) ** 2).sum(axis=2)).std(axis=0).mean()
        diffs.append(gt_std - pred_std)
    return float(np.mean(diffs))


def mean_vertex_error(pred: ArrayOrList, gt: ArrayOrList) -> float:
    """Mean Euclidean distance between predicted and true vertices over every vertex and frame (pooled).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((1, 2, 3)); pred = gt.copy(); pred[0, 0] = [3., 4., 0.]
    >>> mean_vertex_error(pred, gt)
    2.5
    """
    d = [np.linalg.norm(p - g, axis=2).reshape(-1) for p, g in _pairs(pred, gt)]
    return float(np.concatenate(d).mean())


def _curves(pred: ArrayOrList, gt: ArrayOrList) -> tuple[np.ndarray, np.ndarray]:
    preds, gts = _as_list(pred), _as_list(gt)
    if len(preds) != len(gts):
        raise ValueError(f"got {len(preds)} predicted and {len(gts)} true sequences")
    ps, gs = [], []
    for i, (p, g) in enumerate(zip(preds, gts)):
        p, g = np.asarray(p, np.float64), np.asarray(g, np.float64)
        if p.ndim != 2 or g.ndim != 2 or p.shape[1] != g.shape[1]:
            raise ValueError(f"sequence {i}: curves must be [T, C] with the same C, got {p.shape} and {g.shape}")
        if p.shape[0] < g.shape[0]:
            raise ValueError(f"sequence {i}: prediction has {p.shape[0]} frames, fewer than {g.shape[0]}")
        ps.append(p[: g.shape[0]])
        gs.append(g)
    return np.concatenate(ps), np.concatenate(gs)


def arkit_error(pred: ArrayOrList, gt: ArrayOrList, channels: Sequence[int] | None = None) -> float:
    """Mean absolute error of ARKit weights over frames (pooled over sequences) and channels.

    Parameters
    ----------
    pred, gt : ndarray [T, 52], or sequences of them
    channels : sequence of int, optional
        Only these channels (e.g. the jaw and mouth); default all.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((2, 52)); pred = gt.copy(); pred[:, 17] = 0.52
    >>> arkit_error(pred, gt), arkit_error(pred, gt, channels=[17])
    (0.01, 0.52)
    """
    p, g = _curves(pred, gt)
    if channels is not None:
        idx = np.asarray(channels, dtype=np.int64)
        p, g = p[:, idx], g[:, idx]
    return float(np.abs(p - g).mean())


def arkit_channel_errors(pred: ArrayOrList, gt: ArrayOrList) -> np.ndarray:
    """Mean absolute error per channel ``[C]`` (frames of all sequences pooled).

    Examples
    --------
    >>> import numpy as np
    >>> arkit_channel_errors(np.ones((3, 2)), np.zeros((3, 2))).tolist()
    [1.0, 1.0]
    """
    p, g = _curves(pred, gt)
    return np.abs(p - g).mean(axis=0)
