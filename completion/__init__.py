"""completion — audio features, the key-motion network and the cross-modal completion transformer.

Depends on torch, numpy and :mod:`phoneme` types; never on :mod:`kmtalk`.

The names below are imported on first use, so that ``import completion.locks``
(numpy only, used by :mod:`kmtalk.face.locks`) does not load torch: ``import kmtalk``
stays fast and small on the prior path.

Examples
--------
>>> from completion import KMTalkConfig, KMTalkModel
>>> model = KMTalkModel(KMTalkConfig.small())
>>> model.space.dim
52
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "AudioEncoder": "encoders", "ConvMelEncoder": "encoders", "PretrainedSpeechEncoder": "encoders",
    "frames_for": "features", "log_mel": "features", "resample": "features",
    "KeyFeatures": "keynet", "KeyMotionNet": "keynet", "KeyVocab": "keynet",
    "apply_lock_arrays": "locks",
    "KMTalkConfig": "model", "KMTalkModel": "model", "PredictRequest": "model",
    "ArkitSpace": "motion_space", "MotionSpace": "motion_space", "VertexPCASpace": "motion_space",
    "CompletionTransformer": "transformer", "random_channel_mask": "transformer",
    "random_key_mask": "transformer", "scatter_known": "transformer",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "ArkitSpace",
    "AudioEncoder",
    "CompletionTransformer",
    "ConvMelEncoder",
    "KMTalkConfig",
    "KMTalkModel",
    "KeyFeatures",
    "KeyMotionNet",
    "KeyVocab",
    "MotionSpace",
    "PredictRequest",
    "PretrainedSpeechEncoder",
    "VertexPCASpace",
    "apply_lock_arrays",
    "frames_for",
    "load_checkpoint",
    "log_mel",
    "random_channel_mask",
    "random_key_mask",
    "resample",
    "save_checkpoint",
    "scatter_known",
]
