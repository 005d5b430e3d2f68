"""Checkpoints: ``model.safetensors`` (weights, and the motion space's arrays) + ``config.json``. Never pickle.

``config.json`` holds ``{"format": "kmtalk-completion", "format_version": 1,
"config": KMTalkConfig.to_dict(), "motion_space": MotionSpace.config(),
"tensors": {name: shape}}``. A frozen pretrained speech encoder is not
copied: the config keeps its local path and loading reads it from there.

Examples
--------
>>> import tempfile
>>> from completion.model import KMTalkConfig, KMTalkModel
>>> from completion.checkpoint import save_checkpoint, load_checkpoint
>>> model = KMTalkModel(KMTalkConfig.small())
>>> with tempfile.TemporaryDirectory() as d:
...     folder = save_checkpoint(model, d)
...     again = load_checkpoint(folder)
>>> sorted(p.name for p in [folder / "model.safetensors", folder / "config.json"])
['config.json', 'model.safetensors']
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from phoneme.errors import CheckpointError

from .encoders import PretrainedSpeechEncoder
from .model import KMTalkConfig, KMTalkModel
from .motion_space import motion_space_from_config

__all__ = ["CONFIG_NAME", "FORMAT", "FORMAT_VERSION", "WEIGHTS_NAME", "load_checkpoint", "save_checkpoint"]

log = logging.getLogger(__name__)

FORMAT = "kmtalk-completion"
FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
_SPACE_PREFIX = "motion_space."


def _folder(path: str | os.PathLike) -> Path:
    """A folder, or a path whose stem names one (``ckpt/model.safetensors``, ``ckpt/config.json`` → ``ckpt``)."""
    p = Path(path)
    if p.name in (WEIGHTS_NAME, CONFIG_NAME):
        return p.parent
    return p


def _skip_backbone(model: KMTalkModel) -> bool:
    enc = model.encoder
    return isinstance(enc, PretrainedSpeechEncoder) and not enc.trainable


def _atomic_write(target: Path, write) -> None:  # type: ignore[no-untyped-def]
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0o022)  # mkstemp makes 0o600 files: give the checkpoint the mode open() would
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(model: KMTalkModel, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model.safetensors`` and ``config.json`` into the folder ``path`` (created if needed).

    Parameters
    ----------
    model : KMTalkModel
    path : str or PathLike
        Folder (or a ``model.safetensors`` / ``config.json`` path inside it).
    metadata : dict, optional
        Extra JSON-serialisable information stored under ``"metadata"`` (training command, data, …).

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    CheckpointError
        The folder cannot be written.

    Notes
    -----
    Each file is written to a temporary name and renamed, so an interrupted
    save never leaves a half-written checkpoint under the final names.
    """
    from safetensors.torch import save_file

    folder = _folder(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f"cannot create checkpoint folder {folder}: {exc.strerror or exc}") from None
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()
             if not (_skip_backbone(model) and k.startswith("encoder.backbone."))}
    for name, arr in model.space.arrays().items():
        state[_SPACE_PREFIX + name] = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "motion_space": model.space.config(),
        "tensors": {k: list(v.shape) for k, v in state.items()},
        "metadata": metadata or {},
    }
    try:
        _atomic_write(folder / WEIGHTS_NAME,
                      lambda tmp: save_file(state, tmp, metadata={"format": FORMAT,
                                                                  "format_version": str(FORMAT_VERSION)}))
        _atomic_write(folder / CONFIG_NAME,
                      lambda tmp: Path(tmp).write_text(json.dumps(header, indent=1, ensure_ascii=False), "utf-8"))
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint to {folder}: {exc.strerror or exc}") from None
    log.info("saved checkpoint %s (%d tensors)", folder, len(state))
    return folder


def load_checkpoint(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> KMTalkModel:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or PathLike
        The folder (or its ``model.safetensors`` / ``config.json``).
    device : str or torch.device, default "cpu"

    Returns
    -------
    KMTalkModel
        In eval mode.

    Raises
    ------
    CheckpointError
        Missing files; a config that is not valid JSON, not this format or a
        different ``format_version``; a truncated or corrupt weights file;
        tensors missing, unexpected or of the wrong shape for the config.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = _folder(path)
    cfg_path, w_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    for p in (cfg_path, w_path):
        if not p.is_file():
            raise CheckpointError(f"checkpoint file {p} is missing; a checkpoint folder holds "
                                  f"{CONFIG_NAME} and {WEIGHTS_NAME} (written by save_checkpoint)")
    try:
        header = json.loads(cfg_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint config {cfg_path} is not readable JSON ({exc}); "
                              "the file is corrupt — re-save or re-download the checkpoint") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{cfg_path} is not a kmtalk completion checkpoint config "
                              f"(format {header.get('format') if isinstance(header, dict) else None!r})")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {folder} has format_version {version!r}; this version of kmtalk "
                              f"reads format_version {FORMAT_VERSION} — use a matching kmtalk or re-train")
    try:
        config = KMTalkConfig.from_dict(header["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint config {cfg_path} is malformed: {exc}") from None
    try:
        state = load_file(str(w_path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"checkpoint weights {w_path} are corrupt or truncated ({exc}); "
                              "re-save or re-download the checkpoint") from None
    space_arrays = {k[len(_SPACE_PREFIX):]: v.numpy() for k, v in state.items() if k.startswith(_SPACE_PREFIX)}
    state = {k: v for k, v in state.items() if not k.startswith(_SPACE_PREFIX)}
    space = motion_space_from_config(header.get("motion_space", config.motion), space_arrays)
    try:
        model = KMTalkModel(config, space=space)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint config {cfg_path} is inconsistent: {exc}") from None
    expected = model.state_dict()
    skip_prefix = "encoder.backbone." if _skip_backbone(model) else None
    want = {k for k in expected if not (skip_prefix and k.startswith(skip_prefix))}
    missing = sorted(want - set(state))
    unexpected = sorted(set(state) - want)
    wrong = sorted(f"{k}: file {tuple(state[k].shape)} vs config {tuple(expected[k].shape)}"
                   for k in want & set(state) if state[k].shape != expected[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if wrong:
            parts.append("shape mismatch " + "; ".join(wrong[:5]) + (" …" if len(wrong) > 5 else ""))
        if missing:
            parts.append(f"missing tensors {missing[:5]}" + (" …" if len(missing) > 5 else ""))
        if unexpected:
            parts.append(f"unexpected tensors {unexpected[:5]}" + (" …" if len(unexpected) > 5 else ""))
        raise CheckpointError(f"checkpoint {folder} does not match its config: {', '.join(parts)}; "
                              "the weights and config.json come from different models")
    model.load_state_dict(state, strict=skip_prefix is None)
    model.eval()
    return model.to(device)
