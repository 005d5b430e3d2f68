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
    "log_mel", "frames_for", "resample",
    "AudioEncoder", "ConvMelEncoder", "PretrainedSpeechEncoder",
    "MotionSpace", "ArkitSpace", "VertexPCASpace",
    "KeyVocab", "KeyFeatures", "KeyMotionNet",
    "CompletionTransformer", "random_key_mask", "random_channel_mask", "scatter_known",
    "KMTalkConfig", "KMTalkModel", "PredictRequest",
    "apply_lock_arrays",
    "save_checkpoint", "load_checkpoint",
]
