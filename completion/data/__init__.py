"""Datasets for training and evaluating the KMTalk models, read from plain files.

Every dataset yields :class:`~completion.data.item.Utterance` objects: 16 kHz
mono audio, the target motion at the model's frame rate in its *native* values
(ARKit weights ``[T, 52]``, or vertex offsets from the subject's template
``[T, V, 3]``), the alignment and key motions when known, and style values.

- :class:`SyntheticCorpus` — the corpus of ``python -m kmtalk.train.corpus.synthetic``
  (ARKit space, exact alignments, prior keys).
- :class:`FaceFormerDataset` — VOCASET and BIWI in the FaceFormer/CodeTalker
  layout (``vertices_npy/``, ``wav/``, ``templates.pkl``) and their splits
  (vertex-PCA space).
- :class:`LiveLinkDataset` — Live Link Face CSV + WAV pairs (ARKit space).

:func:`open_dataset` picks the right one from a folder's layout.
"""

from .faceformer import (
    BIWI_SUBJECTS,
    SENTENCE_SPLITS,
    VOCASET_SUBJECTS,
    FaceFormerDataset,
    load_regions,
    load_templates,
)
from .item import Utterance, resample_frames
from .livelink import LiveLinkDataset
from .open import detect_layout, open_dataset
from .synthetic import SyntheticCorpus

__all__ = [
    "BIWI_SUBJECTS",
    "SENTENCE_SPLITS",
    "VOCASET_SUBJECTS",
    "FaceFormerDataset",
    "LiveLinkDataset",
    "SyntheticCorpus",
    "Utterance",
    "detect_layout",
    "load_regions",
    "load_templates",
    "open_dataset",
    "resample_frames",
]
