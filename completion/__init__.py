"""completion — audio features, the key-motion network and the cross-modal completion transformer.

Depends on torch, numpy and :mod:`phoneme` types; never on :mod:`kmtalk`.

Examples
--------
>>> from completion import KMTalkConfig, KMTalkModel
>>> model = KMTalkModel(KMTalkConfig.small())
>>> model.space.dim
52
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .encoders import AudioEncoder, ConvMelEncoder, PretrainedSpeechEncoder
from .features import frames_for, log_mel, resample
from .keynet import KeyFeatures, KeyMotionNet, KeyVocab
from .locks import apply_lock_arrays
from .model import KMTalkConfig, KMTalkModel, PredictRequest
from .motion_space import ArkitSpace, MotionSpace, VertexPCASpace
from .transformer import CompletionTransformer, random_channel_mask, random_key_mask, scatter_known

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
