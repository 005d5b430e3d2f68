"""Inference of a KMTalk model: one utterance or many, any length, in windows (the model's ``predict``).

For one utterance::

    samples ──encoder──► audio features [T_audio, A] (100 Hz)
    alignment + keys ──KeyFeatures──► key-motion net ──► face at each key [K, D]
    keys + editor locks ──► known values/mask [T, D]      (locks override keys)
    completion transformer (10 s windows, 2 s crossfaded overlap) ──► every frame [T, D]
    apply_lock_arrays ──► exact at every lock, smooth around it; clamped to the space's bounds

:class:`Inference` holds :meth:`~Inference.predict` and :meth:`~Inference.predict_batch`;
:class:`~completion.model.KMTalkModel` inherits them (this module never imports the model:
it uses the model's ``config``, ``space``, ``encode_audio``, ``style_embedding``, ``keynet``
and ``transformer``).

Examples
--------
>>> window_spans(700, 300, 60)
[(0, 300), (200, 500), (400, 700)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from phoneme.errors import AudioError
from phoneme.frames import n_frames_for
from phoneme.keys import KeyMotion
from phoneme.types import Alignment

from .features import FEATURE_RATE, resample
from .keynet import KeyFeatures
from .locks import apply_lock_arrays, lock_arrays
from .transformer import scatter_known

__all__ = ["Inference", "PredictRequest", "resolve_device", "window_spans"]


def resolve_device(device: str | torch.device | None, current: torch.device | None = None) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``None`` → ``current`` (or CPU).

    Examples
    --------
    >>> resolve_device("cpu").type
    'cpu'
    """
    if device is None:
        return current or torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def window_spans(n_frames: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Frame ranges ``[a, b)`` of the inference windows: as few windows of length ``window`` as
    cover ``n_frames`` with at least ``overlap`` frames shared by neighbours, evenly spaced.

    Examples
    --------
    >>> window_spans(700, 300, 60)
    [(0, 300), (200, 500), (400, 700)]
    >>> window_spans(100, 300, 60)
    [(0, 100)]
    """
    if n_frames <= window:
        return [(0, n_frames)]
    count = math.ceil((n_frames - overlap) / (window - overlap))
    step = (n_frames - window) / (count - 1)
    return [(int(round(i * step)), int(round(i * step)) + window) for i in range(count)]


@dataclass
class PredictRequest:
    """One utterance for :meth:`KMTalkModel.predict_batch` (same meaning as :meth:`KMTalkModel.predict`'s arguments)."""

    samples: np.ndarray
    sample_rate: int
    alignment: Alignment
    keys: Sequence[KeyMotion]
    fps: float = 30.0
    locks: Any = None
    style: Any = None
    n_frames: int | None = None


@dataclass
class _Prepared:
    samples: np.ndarray
    keys: KeyFeatures
    n_frames: int
    fps: float
    lock_frames: np.ndarray
    lock_mask: np.ndarray
    lock_values: np.ndarray
    style: np.ndarray


class Inference:
    """The inference methods of :class:`~completion.model.KMTalkModel` (a mixin; see the module docstring)."""

    def _style_vector(self, style: Any) -> np.ndarray:
        names = self.config.style_names
        vec = np.asarray(self.config.style_defaults, dtype=np.float32).copy()
        if style is None:
            return vec
        if isinstance(style, Mapping):
            for name, value in style.items():
                if name not in names:
                    raise ValueError(f"unknown style axis {name!r}; this model knows {list(names)}")
                vec[names.index(name)] = float(value)
            return vec
        arr = np.asarray(style, dtype=np.float32).reshape(-1)
        if arr.size != len(names):
            raise ValueError(f"style must give {len(names)} values ({list(names)}), got {arr.size}")
        return arr

    def _prepare(self, req: PredictRequest) -> _Prepared:
        x = req.samples.detach().cpu().numpy() if isinstance(req.samples, torch.Tensor) else req.samples
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 1 or x.size == 0:
            raise AudioError(f"predict needs mono samples shaped [N] with N > 0, got {x.shape}")
        if not np.isfinite(x).all():
            raise AudioError("the audio holds NaN or infinite samples")
        x = resample(x, int(req.sample_rate), self.config.sample_rate)
        if not (req.fps > 0 and math.isfinite(req.fps)):
            raise ValueError(f"fps must be positive, got {req.fps!r}")
        n = req.n_frames if req.n_frames is not None else n_frames_for(req.alignment.duration, req.fps)
        keys = KeyFeatures.build(req.alignment, list(req.keys), req.fps, self.vocab)
        frames, mask, values = lock_arrays(req.locks, n, self.config.motion_dim)
        return _Prepared(x, keys, n, float(req.fps), frames, mask, values, self._style_vector(req.style))

    def predict(
        self,
        samples: np.ndarray,
        sample_rate: int,
        alignment: Alignment,
        keys: Sequence[KeyMotion],
        *,
        fps: float = 30.0,
        locks: Any = None,
        style: Any = None,
        n_frames: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype | str | None = None,
        window_s: float | None = None,
        overlap_s: float | None = None,
        exact_locks: bool = True,
    ) -> np.ndarray:
        """Animate one utterance: motion-space coordinates for every frame.

        Parameters
        ----------
        samples : ndarray [N]
            Mono audio (resampled to ``config.sample_rate`` when needed).
        sample_rate : int
        alignment : Alignment
            Its timed phones.
        keys : sequence of KeyMotion
            From :func:`phoneme.keys.select_keys` at the same ``fps``.
        fps : float, default 30
        locks : Locks or (frames [K], mask [K, D], values [K, D]), optional
            Editor locks in motion-space coordinates (for ARKit: weights). They
            condition the transformer and are then applied exactly
            (:func:`~completion.locks.apply_lock_arrays`): the output equals
            them at every locked frame and channel and flows smoothly into them.
            Validated by :func:`~completion.locks.lock_arrays`.
        style : dict or array, optional
            Style axes by name (``{"jaw": 1.3}``) or all values; default neutral.
        n_frames : int, optional
            Frames to produce (default ``n_frames_for(alignment.duration, fps)``).
        device : str or torch.device, optional
            ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``…; default: where the model is.
            The model is moved there.
        dtype : torch.dtype or "bf16", optional
            ``torch.bfloat16`` runs under autocast (GPU; CPU works but is slower).
        window_s, overlap_s : float, optional
            Override the config's inference windows.
        exact_locks : bool, default True
            Apply the locks exactly after the prediction. ``False``: they only
            condition the transformer, and the caller meets them (kmtalk's
            animate path does, in one place: :mod:`kmtalk.animator.closures`).

        Returns
        -------
        ndarray, float32 [T, D]
            Clamped to the space's bounds (ARKit: weights in [0, 1]).

        Raises
        ------
        AudioError, LockError, LexiconError
        """
        req = PredictRequest(samples, sample_rate, alignment, keys, fps, locks, style, n_frames)
        return self.predict_batch([req], device=device, dtype=dtype, window_s=window_s, overlap_s=overlap_s,
                                  exact_locks=exact_locks)[0]

    def predict_batch(
        self,
        requests: Sequence[PredictRequest],
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | str | None = None,
        window_s: float | None = None,
        overlap_s: float | None = None,
        max_windows: int = 64,
        exact_locks: bool = True,
    ) -> list[np.ndarray]:
        """Animate several utterances in batches (see :meth:`predict` for the arguments).

        Audio is encoded per utterance; every utterance's windows go through the
        transformer together, ``max_windows`` at a time (padded to a common length).

        Returns
        -------
        list of ndarray [T_i, D]
        """
        if not requests:
            return []
        dev = resolve_device(device, self.device)
        if dev != self.device:
            self.to(dev)
        if isinstance(dtype, str):
            if dtype not in ("bf16", "bfloat16", "fp32", "float32"):
                raise ValueError(f"dtype must be 'bf16' or 'fp32', got {dtype!r}")
            dtype = torch.bfloat16 if dtype.startswith("bf") else torch.float32
        autocast = dtype is not None and dtype != torch.float32
        was_training = self.training
        self.eval()
        prepared = [self._prepare(r) for r in requests]
        try:
            with torch.inference_mode(), torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=autocast):
                out = self._run(prepared, dev, window_s or self.config.window_s,
                                self.config.overlap_s if overlap_s is None else overlap_s, max_windows)
        finally:
            self.train(was_training)
        results = []
        for p, pred in zip(prepared, out):
            pred = self.space.clip(pred)  # clamp first, so the locks' pull is sized on what is shown
            if exact_locks and p.lock_frames.size:
                pred = apply_lock_arrays(pred, p.lock_frames, p.lock_mask, p.lock_values, fps=p.fps,
                                         bounds=self.space.bounds)
            results.append(pred)
        return results

    def _run(self, prepared: list[_Prepared], dev: torch.device, window_s: float, overlap_s: float,
             max_windows: int) -> list[np.ndarray]:
        sr = self.config.sample_rate
        d = self.config.motion_dim
        jobs: list[_Window] = []
        spans: list[list[tuple[int, int]]] = []
        for i, p in enumerate(prepared):
            audio = self.encode_audio(torch.from_numpy(p.samples).to(dev)[None], sr)  # [1, Ta, A]
            s = self.style_embedding(torch.from_numpy(p.style).to(dev)[None], 1)
            keys = p.keys.to(dev)
            key_pred = self.keynet(keys, audio, s).float()
            kv, km = scatter_known(key_pred, keys.frames, keys.mask, p.n_frames)
            if p.lock_frames.size:
                lf = torch.from_numpy(p.lock_frames).to(dev)
                lm = torch.from_numpy(p.lock_mask).to(dev)
                kv[0, lf] = torch.where(lm, torch.from_numpy(p.lock_values).to(dev), kv[0, lf])
                km[0, lf] |= lm
            win = max(int(round(window_s * p.fps)), 1)
            ov = min(int(round(overlap_s * p.fps)), win - 1)
            spans.append(window_spans(p.n_frames, win, ov))
            for a, b in spans[-1]:
                # audio from _AUDIO_MARGIN s before the window to _AUDIO_MARGIN s after it
                a0 = max(int(math.floor((a / p.fps - _AUDIO_MARGIN) * FEATURE_RATE)), 0)
                a1 = min(int(math.ceil(((b - 1) / p.fps + _AUDIO_MARGIN) * FEATURE_RATE)) + 1, audio.shape[1])
                a1 = max(a1, a0 + 1)
                jobs.append(_Window(i, a, b, p.fps, audio[0, a0:a1], kv[0, a:b], km[0, a:b], s[0],
                                    a / p.fps - a0 / FEATURE_RATE))
        results = [torch.zeros(p.n_frames, d, dtype=torch.float64) for p in prepared]
        totals = [torch.zeros(p.n_frames, 1, dtype=torch.float64) for p in prepared]
        by_fps: dict[float, list[_Window]] = {}
        for job in jobs:
            by_fps.setdefault(job.fps, []).append(job)
        for group in by_fps.values():
            for start in range(0, len(group), max_windows):
                chunk = group[start:start + max_windows]
                for job, pred in zip(chunk, self._complete_chunk(chunk, dev)):
                    w = _crossfade(spans[job.item], (job.a, job.b))
                    results[job.item][job.a:job.b] += pred.double().cpu() * w
                    totals[job.item][job.a:job.b] += w
        return [(r / t).float().numpy() for r, t in zip(results, totals)]

    def _complete_chunk(self, chunk: list[_Window], dev: torch.device) -> list[torch.Tensor]:
        """Run the transformer on windows (same fps, possibly different lengths, padded) in one batch."""
        n, d = len(chunk), self.config.motion_dim
        t_max = max(c.b - c.a for c in chunk)
        ta_max = max(c.audio.shape[0] for c in chunk)
        audio = chunk[0].audio.new_zeros(n, ta_max, chunk[0].audio.shape[-1])
        kv = torch.zeros(n, t_max, d, device=dev)
        km = torch.zeros(n, t_max, d, dtype=torch.bool, device=dev)
        fm = torch.zeros(n, t_max, dtype=torch.bool, device=dev)
        am = torch.zeros(n, ta_max, dtype=torch.bool, device=dev)
        for j, c in enumerate(chunk):
            audio[j, :c.audio.shape[0]] = c.audio
            am[j, :c.audio.shape[0]] = True
            kv[j, :c.b - c.a] = c.known_values
            km[j, :c.b - c.a] = c.known_mask
            fm[j, :c.b - c.a] = True
        style = torch.stack([c.style for c in chunk])
        starts = torch.tensor([c.start_time for c in chunk], dtype=torch.float32, device=dev)
        pad_free = bool(fm.all()) and bool(am.all())
        pred = self.transformer(audio, kv, km, fps=chunk[0].fps, style=style,
                                frame_mask=None if pad_free else fm,
                                audio_mask=None if pad_free else am, start_time=starts)
        return [pred[j, :c.b - c.a].float() for j, c in enumerate(chunk)]


#: Seconds of audio context given to each window beyond its frames.
_AUDIO_MARGIN = 0.5


@dataclass
class _Window:
    item: int
    a: int
    b: int
    fps: float
    audio: torch.Tensor
    known_values: torch.Tensor
    known_mask: torch.Tensor
    style: torch.Tensor
    start_time: float


def _crossfade(spans: list[tuple[int, int]], span: tuple[int, int]) -> torch.Tensor:
    """Weight ``[b - a, 1]`` of window ``span`` among ``spans``.

    Over each overlap with a neighbour the weight ramps (smoothstep) across the
    overlap's central half: the outer quarters, where a window has the least
    context, count only for the other window. Neighbouring ramps are
    complementary, so the weights of overlapping windows sum to 1.
    """
    a, b = span
    k = spans.index(span)
    t = torch.arange(a, b, dtype=torch.float64) + 0.5
    w = torch.ones(b - a, dtype=torch.float64)

    def ramp(lo: int, hi: int) -> torch.Tensor:  # 0 before the central half of [lo, hi), 1 after
        q = (hi - lo) / 4.0
        u = ((t - lo - q) / max(hi - lo - 2 * q, 1.0)).clamp(0, 1)
        return u * u * (3 - 2 * u)

    if k > 0:
        w = w * ramp(a, spans[k - 1][1])
    if k + 1 < len(spans):
        w = w * (1 - ramp(spans[k + 1][0], b))
    return w[:, None]
