"""VOCASET and BIWI in the FaceFormer/CodeTalker layout (vertex meshes; the vertex-PCA motion space).

Layout (as prepared by FaceFormer's and CodeTalker's scripts)::

    ROOT/wav/SUBJECT_SENTENCE.wav          speech (any rate; resampled to 16 kHz)
    ROOT/vertices_npy/SUBJECT_SENTENCE.npy float [T, V*3] vertex positions
    ROOT/templates.pkl                     {SUBJECT: ndarray [V, 3]} neutral meshes
    ROOT/regions/lve.txt, regions/fdd.txt  optional: lip / upper-face vertex ids (CodeTalker's BIWI files)
    ROOT/text/SUBJECT_SENTENCE.txt         optional: transcripts (this project's convention)

File names follow the repos' rule: the subject is everything before the last
``_``, the sentence number is the last two digits of the stem
(``FaceTalk_170725_00137_TA_sentence01``, ``F2_e01``).

Frame rates: VOCASET's ``vertices_npy`` are 60 fps (FaceFormer and CodeTalker
keep every second frame: 30 fps); BIWI's are 25 fps. Frames are resampled to
the requested ``fps`` by linear interpolation (60 → 30 takes every second
frame exactly).

Splits are those of FaceFormer's ``data_loader.py`` and CodeTalker's configs
(``config/vocaset/stage2.yaml``, ``config/BIWI/stage2.yaml``): by subject
(:data:`VOCASET_SUBJECTS`, :data:`BIWI_SUBJECTS`) *and* sentence number
(:data:`SENTENCE_SPLITS`). BIWI's default test subjects are CodeTalker's
(unseen speakers, "BIWI-Test-B"); FaceFormer's "BIWI-Test-A" is
``subjects=BIWI_SUBJECTS["train"]`` with ``split="test"``.

``templates.pkl`` is a Python pickle in the original data. It is read with a
*restricted* unpickler that only rebuilds numpy arrays and plain containers
(anything else is refused), because this research format exists only as a
pickle; a ``templates.npz`` (one array per subject, no pickle) is read in
preference when present.

Transcripts: VOCASET and BIWI in this layout carry none. When
``ROOT/text/NAME.txt`` exists, the utterance is force-aligned
(:func:`phoneme.align`) and gets key motions; otherwise its alignment is None
and its keys are empty (the completion transformer then learns from audio
alone for it).

Examples
--------
>>> from completion.data.faceformer import parse_name
>>> parse_name("FaceTalk_170725_00137_TA_sentence01"), parse_name("F2_e40")
(('FaceTalk_170725_00137_TA', 1), ('F2', 40))
"""

from __future__ import annotations

import io
import logging
import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from phoneme.audio import load_audio
from phoneme.errors import KmtalkError

from .item import SAMPLE_RATE, Utterance, align_and_select, resample_frames

__all__ = [
    "BIWI_SUBJECTS",
    "SENTENCE_SPLITS",
    "SOURCE_FPS",
    "TARGET_FPS",
    "VOCASET_SUBJECTS",
    "FaceFormerDataset",
    "load_regions",
    "load_templates",
    "parse_name",
]

log = logging.getLogger(__name__)

VOCASET_SUBJECTS: dict[str, tuple[str, ...]] = {
    "train": ("FaceTalk_170728_03272_TA", "FaceTalk_170904_00128_TA", "FaceTalk_170725_00137_TA",
              "FaceTalk_170915_00223_TA", "FaceTalk_170811_03274_TA", "FaceTalk_170913_03279_TA",
              "FaceTalk_170904_03276_TA", "FaceTalk_170912_03278_TA"),
    "val": ("FaceTalk_170811_03275_TA", "FaceTalk_170908_03277_TA"),
    "test": ("FaceTalk_170809_00138_TA", "FaceTalk_170731_00024_TA"),
}
BIWI_SUBJECTS: dict[str, tuple[str, ...]] = {
    "train": ("F2", "F3", "F4", "M3", "M4", "M5"),
    "val": ("F2", "F3", "F4", "M3", "M4", "M5"),
    "test": ("F1", "F5", "F6", "F7", "F8", "M1", "M2", "M6"),
}
#: Sentence numbers of each split (inclusive ranges as Python ranges).
SENTENCE_SPLITS: dict[str, dict[str, range]] = {
    "vocaset": {"train": range(1, 41), "val": range(21, 41), "test": range(21, 41)},
    "biwi": {"train": range(1, 33), "val": range(33, 37), "test": range(37, 41)},
}
#: Frame rate of the stored ``vertices_npy`` and the rate the repos train at.
SOURCE_FPS = {"vocaset": 60.0, "biwi": 25.0}
TARGET_FPS = {"vocaset": 30.0, "biwi": 25.0}
_SUBJECTS = {"vocaset": VOCASET_SUBJECTS, "biwi": BIWI_SUBJECTS}


def parse_name(stem: str) -> tuple[str, int]:
    """``(subject, sentence number)`` of a file stem, by the FaceFormer rule.

    Raises
    ------
    KmtalkError
        A stem without ``_`` or not ending in two digits.
    """
    if "_" not in stem or not stem[-2:].isdigit():
        raise KmtalkError(f"file name {stem!r} does not follow the SUBJECT_SENTENCENN pattern of the "
                          "FaceFormer layout (e.g. F2_e01, FaceTalk_170725_00137_TA_sentence01)")
    return "_".join(stem.split("_")[:-1]), int(stem[-2:])


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and plain containers only."""

    def find_class(self, module: str, name: str):  # type: ignore[no-untyped-def]
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: templates.pkl may only hold "
                                     "numpy arrays keyed by subject")


def load_templates(root: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Subject → neutral mesh ``[V, 3]`` from ``templates.npz`` or ``templates.pkl`` (see the module docstring).

    Parameters
    ----------
    root : path
        The dataset folder, or the templates file itself.

    Raises
    ------
    KmtalkError
        Missing or unreadable file, or an entry that is not a ``[V, 3]`` array.
    """
    p = Path(root)
    if p.is_dir():
        npz, pkl = p / "templates.npz", p / "templates.pkl"
        p = npz if npz.is_file() else pkl
    if not p.is_file():
        raise KmtalkError(f"no templates found at {p} (expected templates.pkl or templates.npz)")
    try:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as data:
                raw = {k: data[k] for k in data.files}
        else:
            blob = p.read_bytes()
            try:
                raw = _ArrayUnpickler(io.BytesIO(blob)).load()
            except UnicodeDecodeError:  # BIWI's file was written by Python 2
                raw = _ArrayUnpickler(io.BytesIO(blob), encoding="latin1").load()
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
        raise KmtalkError(f"cannot read templates {p}: {exc}") from None
    if not isinstance(raw, dict):
        raise KmtalkError(f"{p} must hold a mapping of subject -> template array")
    out = {}
    for k, v in raw.items():
        arr = np.asarray(v, dtype=np.float32)
        if arr.ndim == 1 and arr.size % 3 == 0:
            arr = arr.reshape(-1, 3)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise KmtalkError(f"{p}: template of {k!r} has shape {arr.shape}, expected [V, 3]")
        out[str(k)] = arr
    return out


def _read_ids(path: Path) -> np.ndarray:
    text = path.read_text("utf-8").replace(",", " ").split()
    return np.asarray([int(t) for t in text], dtype=np.int64)


def load_regions(root: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Lip and upper-face vertex ids for LVE/FDD, when the dataset folder has them.

    Reads ``regions/lve.txt`` → ``"lips"`` and ``regions/fdd.txt`` →
    ``"upper_face"`` (CodeTalker's comma-separated BIWI files), or
    ``regions.npz`` with arrays ``lips`` and ``upper_face``. Missing regions are
    simply absent from the result.
    """
    root = Path(root)
    out: dict[str, np.ndarray] = {}
    npz = root / "regions.npz"
    try:
        if npz.is_file():
            with np.load(npz, allow_pickle=False) as data:
                out.update({k: np.asarray(data[k], np.int64) for k in ("lips", "upper_face") if k in data.files})
        for name, fname in (("lips", "lve.txt"), ("upper_face", "fdd.txt")):
            f = root / "regions" / fname
            if name not in out and f.is_file():
                out[name] = _read_ids(f)
    except (OSError, ValueError) as exc:
        raise KmtalkError(f"cannot read the vertex regions of {root}: {exc}") from None
    return out


class FaceFormerDataset:
    """VOCASET or BIWI (FaceFormer layout) as a sequence of :class:`~completion.data.item.Utterance`.

    ``values`` are vertex offsets from the subject's template ``[T, V, 3]``;
    ``template`` is that template.

    Parameters
    ----------
    root : path
    dataset : {"vocaset", "biwi"}, optional
        Default: ``"vocaset"`` when any file name starts with ``FaceTalk``, else ``"biwi"``.
    split : {"train", "val", "test", "all"}, default "train"
    fps : float, optional
        Output frame rate (default: 30 for VOCASET, 25 for BIWI, as the repos train).
    source_fps : float, optional
        Rate of the stored vertices (default: 60 VOCASET, 25 BIWI).
    subjects, sentences : optional
        Override the split's subject list / sentence numbers.
    cache_dir : path, optional
        Where forced alignments of transcripts are cached (``NAME.json``).

    Raises
    ------
    KmtalkError
        Missing folders or templates, or no utterance in the split.
    """

    def __init__(self, root: str | os.PathLike[str], dataset: str | None = None, split: str = "train", *,
                 fps: float | None = None, source_fps: float | None = None,
                 subjects: Sequence[str] | None = None, sentences: Sequence[int] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, limit: int | None = None) -> None:
        self.root = Path(root)
        vdir, wdir = self.root / "vertices_npy", self.root / "wav"
        if not vdir.is_dir() or not wdir.is_dir():
            raise KmtalkError(f"{self.root} is not in the FaceFormer layout (needs vertices_npy/ and wav/)")
        stems = sorted(p.stem for p in wdir.glob("*.wav") if (vdir / f"{p.stem}.npy").is_file())
        if dataset is None:
            dataset = "vocaset" if any(s.startswith("FaceTalk") for s in stems) else "biwi"
        dataset = dataset.lower()
        if dataset not in _SUBJECTS:
            raise ValueError(f"dataset must be 'vocaset' or 'biwi', got {dataset!r}")
        if split not in ("train", "val", "test", "all"):
            raise ValueError(f"split must be train, val, test or all, got {split!r}")
        self.dataset = dataset
        self.split = split
        self.fps = float(fps or TARGET_FPS[dataset])
        self.source_fps = float(source_fps or SOURCE_FPS[dataset])
        self.templates = load_templates(self.root)
        self.regions = load_regions(self.root)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        if split == "all":
            keep_subj = set(subjects) if subjects is not None else None
            keep_sent = set(sentences) if sentences is not None else None
        else:
            keep_subj = set(subjects if subjects is not None else _SUBJECTS[dataset][split])
            keep_sent = set(sentences if sentences is not None else SENTENCE_SPLITS[dataset][split])
        names = []
        for s in stems:
            subj, sent = parse_name(s)
            if (keep_subj is None or subj in keep_subj) and (keep_sent is None or sent in keep_sent):
                if subj not in self.templates:
                    raise KmtalkError(f"{s}: subject {subj!r} has no template in {self.root}")
                names.append(s)
        self.names = names[:limit] if limit is not None else names
        if not self.names:
            raise KmtalkError(f"no {dataset} utterances of split {split!r} in {self.root} "
                              f"(looked for subjects {sorted(keep_subj) if keep_subj else 'any'})")

    @staticmethod
    def is_layout(root: str | os.PathLike[str]) -> bool:
        """True when ``root`` has ``vertices_npy/`` and ``wav/``."""
        r = Path(root)
        return (r / "vertices_npy").is_dir() and (r / "wav").is_dir()

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[Utterance]:
        for i in range(len(self)):
            yield self[i]

    def vertices(self, index: int) -> np.ndarray:
        """The stored vertices of utterance ``index`` at the output ``fps``: ``[T, V, 3]`` (metres)."""
        name = self.names[index]
        path = self.root / "vertices_npy" / f"{name}.npy"
        try:
            verts = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise KmtalkError(f"cannot read {path}: {exc}") from None
        verts = np.asarray(verts, dtype=np.float32)
        subj, _ = parse_name(name)
        v = self.templates[subj].shape[0]
        if verts.ndim != 2 or verts.shape[1] != v * 3:
            raise KmtalkError(f"{path} has shape {verts.shape}; expected [T, {v * 3}] for the {v}-vertex "
                              f"template of {subj}")
        return resample_frames(verts.reshape(-1, v, 3), self.source_fps, self.fps)

    def __getitem__(self, index: int) -> Utterance:
        name = self.names[index]
        subj, sent = parse_name(name)
        samples, sr = load_audio(self.root / "wav" / f"{name}.wav", sample_rate=SAMPLE_RATE)
        template = self.templates[subj]
        offsets = self.vertices(index) - template[None]
        alignment, keys = None, []
        txt = self.root / "text" / f"{name}.txt"
        if txt.is_file():
            alignment, keys = align_and_select(name, samples, sr, txt.read_text("utf-8"), self.fps,
                                               offsets.shape[0], cache_dir=self.cache_dir)
        return Utterance(name=name, samples=samples, sample_rate=sr, fps=self.fps, values=offsets,
                         alignment=alignment, keys=keys, style=None, subject=subj, template=template,
                         meta={"dataset": self.dataset, "sentence": sent})
