"""Spectral features and dynamic time warping for synthesis-based alignment (numpy only).

:func:`mfcc` computes cepstral features at a 10 ms hop; :func:`warp`
finds the cheapest monotone path between two feature sequences, with
optional *pause columns*: template positions where the query may dwell on
silence (a speaker's pause between words) or which it may skip for free;
:func:`column_spans` turns a path into the stretch of query time each
template frame covers.

Examples
--------
>>> import numpy as np
>>> from phoneme.aligners.dtw import mfcc, warp
>>> sr = 16000
>>> x = np.random.default_rng(0).standard_normal(sr).astype(np.float32)
>>> f = mfcc(x, sr)
>>> f.shape
(101, 24)
>>> path = warp(f, f)
>>> bool(np.all(path[:, 0] == path[:, 1]))
True
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..errors import AlignmentError
from ..loudness import ANALYSIS_HOP_S, ANALYSIS_WIN_S, analysis_frames
from ..mel import mel_filterbank

__all__ = ["HOP_S", "column_spans", "mfcc", "warp"]

#: Feature hop in seconds (frame ``j`` is centred at ``j * HOP_S``): the 10 ms analysis frames
#: of :func:`phoneme.loudness.analysis_frames`, shared with :func:`~phoneme.loudness.band_energy_db`.
HOP_S = ANALYSIS_HOP_S
_MAX_CELLS = 40_000_000  # about 63 s x 63 s at 10 ms


@lru_cache(maxsize=4)
def _dct(n_mels: int, n_out: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_mels)[None, :]
    basis = np.cos(math.pi / n_mels * (n + 0.5) * k) * math.sqrt(2.0 / n_mels)
    basis[0] /= math.sqrt(2.0)
    return basis


def mfcc(
    samples: np.ndarray,
    sample_rate: int,
    *,
    n_mels: int = 40,
    n_mfcc: int = 13,
    fmin: float = 60.0,
    fmax: float | None = None,
    deltas: bool = True,
    normalize: bool = True,
    floor_db: float = 80.0,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients at a 10 ms hop (25 ms Hann window, pre-emphasis 0.97).

    Parameters
    ----------
    samples : ndarray [N]
        Mono audio.
    sample_rate : int
    n_mels, n_mfcc : int
        Mel bands and cepstra kept (c0, the level, is dropped: ``n_mfcc - 1`` remain).
    fmin, fmax : float
        Filterbank range in Hz (``fmax`` default: 7600 Hz or the Nyquist frequency).
    deltas : bool, default True
        Append first differences (±2 frames regression).
    normalize : bool, default True
        Mean and variance normalisation per coefficient over the utterance (removes
        channel and much of the speaker's timbre).
    floor_db : float, default 80
        Mel energies more than this many dB under the utterance's loudest band
        are raised to that floor.

    Returns
    -------
    ndarray, float64 [frames, (n_mfcc - 1) * (2 if deltas else 1)]
        Frame ``j`` is centred at ``j * HOP_S`` seconds; ``N // hop + 1`` frames.
    """
    x = np.asarray(samples, np.float64)
    if x.ndim != 1 or x.size == 0:
        raise AlignmentError("features need non-empty mono samples")
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])
    fr = analysis_frames(x, sample_rate) * np.hanning(round(ANALYSIS_WIN_S * sample_rate))[None, :]
    n_fft = 1 << math.ceil(math.log2(fr.shape[1]))
    power = np.abs(np.fft.rfft(fr, n_fft, axis=1)) ** 2
    top = min(fmax or 7600.0, 0.5 * sample_rate)
    mel = power @ mel_filterbank(int(sample_rate), n_fft, n_mels, fmin=float(fmin), fmax=float(top),
                                 htk=True, norm=None).T
    logmel = np.log(np.maximum(mel, 1e-10))
    # a fixed dynamic range: digital silence and a quiet noise floor look alike
    logmel = np.maximum(logmel, logmel.max() - floor_db / 10.0 * math.log(10.0))
    cep = logmel @ _dct(n_mels, n_mfcc).T
    feats = cep[:, 1:]
    if deltas:
        pad = np.pad(feats, ((2, 2), (0, 0)), mode="edge")
        d = (2 * (pad[4:] - pad[:-4]) + (pad[3:-1] - pad[1:-3])) / 10.0
        feats = np.hstack([feats, d])
    if normalize:
        feats = (feats - feats.mean(axis=0)) / np.maximum(feats.std(axis=0), 1e-8)
    return feats


def warp(
    query: np.ndarray,
    template: np.ndarray,
    *,
    pause_columns: np.ndarray | None = None,
    pause_cost: np.ndarray | None = None,
    diagonal_weight: float = 1.0,
    hold_penalty: float = 0.0,
) -> np.ndarray:
    """Dynamic time warping: the cheapest monotone path from (0, 0) to the last frames of both.

    Steps are diagonal, vertical (a template frame held over several query
    frames) and horizontal (several template frames in one query frame);
    entering a cell costs the distance of its two frames (``diagonal_weight``
    times that for a diagonal step).

    Parameters
    ----------
    query : ndarray [Nq, D]
        Features of the audio being aligned (rows of the path).
    template : ndarray [Nt, D]
        Features of the template (columns).
    pause_columns : ndarray of bool [Nt], optional
        Columns that stand for an optional pause: crossing one horizontally is
        free, dwelling on one costs ``pause_cost`` of the query frame.
    pause_cost : ndarray [Nq], optional
        Cost of each query frame in a pause (e.g. its distance to silence;
        needed with pause columns).
    diagonal_weight : float, default 1
    hold_penalty : float, default 0
        Extra cost of each vertical step on a template frame that is not a
        pause column: a long silence then prefers a pause to stretching a
        stop's closure.

    Returns
    -------
    ndarray, int [L, 2]
        ``(query_frame, template_frame)`` pairs, monotone in both.

    Raises
    ------
    AlignmentError
        Sequences too long to warp in memory (split the audio first).
    """
    q = np.asarray(query, np.float64)
    t = np.asarray(template, np.float64)
    nq, nt = len(q), len(t)
    if nq == 0 or nt == 0:
        raise AlignmentError("cannot warp an empty feature sequence")
    if nq * nt > _MAX_CELLS:
        raise AlignmentError(
            f"audio of {nq * HOP_S:.0f} s against a {nt * HOP_S:.0f} s template is too long to warp "
            "in one piece; split the line into sentences of under a minute"
        )
    pauses = np.zeros(nt, bool) if pause_columns is None else np.asarray(pause_columns, bool)
    sil = None
    if pauses.any():
        if pause_cost is None or len(pause_cost) != nq:
            raise AlignmentError("pause columns need a pause cost for every query frame")
        sil = np.asarray(pause_cost, np.float64)
    t_sq = (t * t).sum(1)
    hold = np.where(pauses, 0.0, float(hold_penalty))
    back = np.zeros((nq, nt), np.int8)  # 0 diagonal, 1 vertical, 2 horizontal
    prev = np.full(nt, np.inf)
    for i in range(nq):
        cost = np.sqrt(np.maximum(t_sq + q[i] @ q[i] - 2.0 * (t @ q[i]), 0.0))
        if sil is not None:
            cost[pauses] = sil[i]
        horiz = np.where(pauses, 0.0, cost)
        entry = np.full(nt, np.inf)
        kind = np.zeros(nt, np.int8)
        if i == 0:
            entry[0] = cost[0]
        else:
            diag = np.concatenate([[np.inf], prev[:-1]]) + diagonal_weight * cost
            vert = prev + cost + hold
            kind = np.where(vert < diag, 1, 0).astype(np.int8)
            entry = np.minimum(diag, vert)
        # horizontal runs: D[j] = min_k<=j (entry[k] + sum_{m=k+1..j} horiz[m])
        csum = np.cumsum(horiz)
        start = entry - csum
        best = np.minimum.accumulate(start)
        row = best + csum
        moved = start > best
        back[i] = np.where(moved, 2, kind)
        prev = row
    if not np.isfinite(prev[-1]):
        raise AlignmentError("no warping path exists")
    path = []
    i, j = nq - 1, nt - 1
    while True:
        path.append((i, j))
        if i == 0 and j == 0:
            break
        step = back[i, j]
        if step == 2 or i == 0:
            j -= 1
        elif step == 1 or j == 0:
            i -= 1
        else:
            i -= 1
            j -= 1
    return np.array(path[::-1], dtype=np.int64)


def column_spans(path: np.ndarray, n_columns: int, *, zero_width: np.ndarray | None = None) -> np.ndarray:
    """The query time (in frames) each template column covers along a warping path.

    Query frame ``i`` spans ``[i - 0.5, i + 0.5)``; when one query frame is
    matched to several columns (horizontal steps), its span is shared equally
    among them, except columns marked ``zero_width`` that were only crossed
    (pause columns skipped for free), which get none.

    Returns
    -------
    ndarray, float64 [n_columns, 2]
        Start and end of each column in query frames; contiguous and monotone,
        from -0.5 to ``Nq - 0.5``.

    Examples
    --------
    >>> path = np.array([[0, 0], [0, 1], [1, 2], [2, 2]])
    >>> column_spans(path, 3).tolist()
    [[-0.5, 0.0], [0.0, 0.5], [0.5, 2.5]]
    """
    zero = np.zeros(n_columns, bool) if zero_width is None else np.asarray(zero_width, bool)
    spans = np.zeros((n_columns, 2))
    rows, cols = path[:, 0], path[:, 1]
    k = 0
    while k < len(path):
        i = rows[k]
        end = k
        while end + 1 < len(path) and rows[end + 1] == i:
            end += 1
        group = cols[k:end + 1]
        # a row that continues a column from the row above (vertical step) belongs to it entirely
        share = [c for c in group if not (zero[c] and len(group) > 1)] or list(group)
        width = 1.0 / len(share)
        t = i - 0.5
        for c in group:
            w = width if c in share else 0.0
            if k > 0 and c == cols[k - 1] and c == group[0]:
                spans[c, 1] = t + w
            else:
                spans[c] = (t, t + w)
            t += w
        k = end + 1
    return spans
