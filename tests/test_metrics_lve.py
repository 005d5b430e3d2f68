"""LVE, FDD, mean vertex error and ARKit error on small hand-computed examples (completion.metrics).

LVE and FDD follow CodeTalker's evaluation (main/cal_metric.py): the expected
numbers below are worked out by hand from that definition.
"""

from __future__ import annotations

import numpy as np
import pytest

from completion.metrics import (
    arkit_channel_errors,
    arkit_error,
    lip_vertex_error,
    mean_vertex_error,
    upper_face_dynamics_deviation,
)


def test_lve_takes_the_max_squared_error_per_frame_without_a_square_root():
    gt = np.zeros((3, 3, 3))
    pred = gt.copy()
    pred[0, 0] = [2.0, 0.0, 0.0]        # frame 0: lip errors 4 and 1 -> max 4
    pred[0, 1] = [0.0, 1.0, 0.0]
    pred[1, 1] = [1.0, 1.0, 1.0]        # frame 1: max 3
    pred[2, 2] = [10.0, 0.0, 0.0]       # frame 2: vertex 2 is not a lip vertex -> 0
    assert lip_vertex_error(pred, gt, [0, 1]) == pytest.approx((4 + 3 + 0) / 3)


def test_lve_pools_frames_over_sequences_and_cuts_long_predictions():
    a_gt, b_gt = np.zeros((1, 1, 3)), np.zeros((3, 1, 3))
    a = np.zeros((2, 1, 3)); a[0, 0] = [2.0, 0, 0]        # one frame, error 4 (frame 1 is cut)
    a[1, 0] = [100.0, 0, 0]
    b = np.ones((3, 1, 3)) / np.sqrt(3.0)                # three frames, error 1 each
    # CodeTalker concatenates frames: (4 + 1 + 1 + 1) / 4, not the mean of per-sequence means (2.5)
    assert lip_vertex_error([a, b], [a_gt, b_gt], [0]) == pytest.approx(7 / 4)


def test_lve_accepts_flat_vertices_npy_rows_and_rejects_short_predictions():
    gt = np.zeros((2, 4, 3))
    pred = gt.copy(); pred[:, 3, 2] = 0.5
    assert lip_vertex_error(pred.reshape(2, -1), gt.reshape(2, -1), [3]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="fewer"):
        lip_vertex_error(pred[:1], gt, [3])
    with pytest.raises(ValueError, match="indices"):
        lip_vertex_error(pred, gt, [4])


def test_fdd_is_ground_truth_minus_prediction_of_mean_std_of_squared_displacement():
    tpl = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    # vertex 0 moves relative to its template; vertex 1 is not upper face
    gt = np.array([[[1, 1, 1], [9, 9, 9]], [[1, 4, 1], [0, 0, 0]]], float)     # |m|^2: 0, 9 -> std 4.5
    pred = np.array([[[1, 1, 1], [0, 0, 0]], [[2, 1, 1], [5, 5, 5]]], float)   # |m|^2: 0, 1 -> std 0.5
    assert upper_face_dynamics_deviation(pred, gt, tpl, [0]) == pytest.approx(4.0)
    # swapped: negative (the prediction moves more than the ground truth)
    assert upper_face_dynamics_deviation(gt, pred, tpl, [0]) == pytest.approx(-4.0)


def test_fdd_uses_population_std_and_averages_sequences():
    tpl = np.zeros((1, 3))
    gt1 = np.array([[[0, 0, 0]], [[0, 0, 1]], [[0, 0, 2]]], float)   # |m|^2: 0, 1, 4
    pred1 = np.zeros_like(gt1)
    std = np.std([0.0, 1.0, 4.0])                                     # ddof=0: sqrt(26/9)
    assert std == pytest.approx(np.sqrt(26) / 3)
    gt2 = np.zeros((2, 1, 3))
    pred2 = np.array([[[0, 0, 0]], [[0, 2, 0]]], float)               # |m|^2: 0, 4 -> std 2
    value = upper_face_dynamics_deviation([pred1, pred2], [gt1, gt2], [tpl, tpl], [0])
    assert value == pytest.approx(((std - 0) + (0 - 2)) / 2)


def test_metrics_match_a_literal_per_vertex_loop_on_random_data():
    rng = np.random.default_rng(0)
    seqs = [(rng.normal(size=(t, 12, 3)), rng.normal(size=(t, 12, 3))) for t in (5, 8)]
    tpl = rng.normal(size=(12, 3))
    lips, upper = [1, 4, 7], [0, 2, 3, 9]
    maxima, fdd = [], []
    for pred, gt in seqs:
        for t in range(gt.shape[0]):
            maxima.append(max(sum((pred[t, v, c] - gt[t, v, c]) ** 2 for c in range(3)) for v in lips))
        g = [np.std([sum((gt[t, v, c] - tpl[v, c]) ** 2 for c in range(3)) for t in range(gt.shape[0])])
             for v in upper]
        p = [np.std([sum((pred[t, v, c] - tpl[v, c]) ** 2 for c in range(3)) for t in range(gt.shape[0])])
             for v in upper]
        fdd.append(np.mean(g) - np.mean(p))
    preds, gts = [s[0] for s in seqs], [s[1] for s in seqs]
    assert lip_vertex_error(preds, gts, lips) == pytest.approx(np.mean(maxima))
    assert upper_face_dynamics_deviation(preds, gts, tpl, upper) == pytest.approx(np.mean(fdd))


def test_mean_vertex_error_and_arkit_errors():
    gt = np.zeros((2, 2, 3)); pred = gt.copy(); pred[1, 1] = [0.0, 3.0, 4.0]
    assert mean_vertex_error(pred, gt) == pytest.approx(5 / 4)
    g = np.zeros((4, 52)); p = g.copy(); p[:, 0] = 0.2; p[:2, 5] = 1.0
    assert arkit_error(p, g) == pytest.approx((0.2 * 4 + 2 * 1.0) / (4 * 52))
    assert arkit_error(p, g, channels=[5]) == pytest.approx(0.5)
    per = arkit_channel_errors([p[:1], p[1:]], [g[:1], g[1:]])
    assert per.shape == (52,) and per[0] == pytest.approx(0.2) and per[5] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        arkit_error(np.zeros((3, 52)), np.zeros((3, 51)))
