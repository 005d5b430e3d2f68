"""g2p-en's neural grapheme-to-phoneme model, evaluated with numpy alone.

The ``g2p-en`` package ships a small GRU encoder–decoder
(``g2p_en/checkpoint20.npz``) that spells out words CMUdict does not know.
Importing ``g2p_en`` itself imports NLTK and calls ``nltk.download`` (network
access and ``[nltk_data]`` noise on stderr), and ``G2p()`` needs NLTK's
cmudict corpus. We need neither: this module finds the checkpoint file
without importing ``g2p_en`` (``importlib.util.find_spec`` only locates the
package) and runs the network here with numpy. The checkpoint's symbol order
is data, in ``assets/phones/g2p_en_symbols.json``.

The model is a one-layer GRU over the letters (plus an end mark) whose final
state starts a one-layer GRU decoder; decoding is greedy until the stop
symbol. Weights use PyTorch's GRU layout (gates stacked reset, update, new).

Examples
--------
>>> from phoneme.neural_g2p import NeuralG2P
>>> model = NeuralG2P.load()
>>> model.predict("blorptastic")[:3]
['B', 'L', 'AO2']
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
from pathlib import Path

import numpy as np

from .assets import asset_path
from .errors import BackendUnavailableError, CheckpointError

__all__ = ["NeuralG2P", "default_checkpoint_path"]

log = logging.getLogger(__name__)

_WEIGHTS = (
    "enc_emb", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh",
    "dec_emb", "dec_w_ih", "dec_w_hh", "dec_b_ih", "dec_b_hh",
    "fc_w", "fc_b",
)  # fmt: skip


def default_checkpoint_path() -> Path:
    """Locate ``checkpoint20.npz`` inside the installed ``g2p_en`` package.

    The package is found, not imported, so NLTK is never loaded.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    BackendUnavailableError
        If ``g2p-en`` is not installed or its checkpoint file is missing.

    Examples
    --------
    >>> default_checkpoint_path().name
    'checkpoint20.npz'
    """
    spec = importlib.util.find_spec("g2p_en")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailableError(
            "the g2p-en package is not installed, so words outside CMUdict cannot be "
            "pronounced; `pip install g2p-en`, or give those words as pronunciation overrides"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "checkpoint20.npz"
        if path.is_file():
            return path
    raise BackendUnavailableError(
        "g2p-en is installed but its model file checkpoint20.npz is missing; "
        "reinstall g2p-en, or give out-of-dictionary words as pronunciation overrides"
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # numerically safe logistic


class NeuralG2P:
    """Greedy GRU encoder–decoder G2P from a g2p-en checkpoint.

    Use :meth:`load`; the constructor takes the arrays directly.

    Parameters
    ----------
    weights : mapping of str to numpy.ndarray
        The twelve arrays of ``checkpoint20.npz``.
    graphemes, phonemes : list of str
        Row order of the input and output embeddings.

    Examples
    --------
    >>> NeuralG2P.load().predict("yeet")
    ['Y', 'IY1', 'T']
    """

    def __init__(self, weights: dict[str, np.ndarray], graphemes: list[str], phonemes: list[str]):
        missing = [k for k in _WEIGHTS if k not in weights]
        if missing:
            raise CheckpointError(f"G2P checkpoint lacks arrays {missing}; reinstall g2p-en")
        w = {k: np.asarray(weights[k], dtype=np.float32) for k in _WEIGHTS}
        hidden = w["enc_w_hh"].shape[1]
        expect = {
            "enc_emb": (len(graphemes), None), "dec_emb": (len(phonemes), None),
            "enc_w_hh": (3 * hidden, hidden), "dec_w_hh": (3 * hidden, hidden),
            "fc_w": (len(phonemes), hidden), "fc_b": (len(phonemes),),
            "enc_b_ih": (3 * hidden,), "enc_b_hh": (3 * hidden,),
            "dec_b_ih": (3 * hidden,), "dec_b_hh": (3 * hidden,),
        }  # fmt: skip
        for name, shape in expect.items():
            got = w[name].shape
            if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
                raise CheckpointError(
                    f"G2P checkpoint array {name} has shape {got}, expected {shape}; "
                    "the g2p-en checkpoint does not match assets/phones/g2p_en_symbols.json"
                )
        self.graphemes = list(graphemes)
        self.phonemes = list(phonemes)
        self._g2i = {g: i for i, g in enumerate(self.graphemes)}
        self._unk = self._g2i["<unk>"]
        self._eow = self._g2i["</s>"]
        self._start = self.phonemes.index("<s>")
        self._stop = self.phonemes.index("</s>")
        self._hidden = hidden
        # Input-side gate pre-activations for every symbol, computed once.
        self._enc_x = w["enc_emb"] @ w["enc_w_ih"].T + w["enc_b_ih"]  # [G, 3H]
        self._dec_x = w["dec_emb"] @ w["dec_w_ih"].T + w["dec_b_ih"]  # [P, 3H]
        self._enc_hh = (w["enc_w_hh"].T.copy(), w["enc_b_hh"])
        self._dec_hh = (w["dec_w_hh"].T.copy(), w["dec_b_hh"])
        self._fc = (w["fc_w"].T.copy(), w["fc_b"])

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> NeuralG2P:
        """Read a g2p-en checkpoint (default: the one in the installed package).

        Parameters
        ----------
        path : path-like, optional
            A ``.npz`` file with g2p-en's twelve arrays.

        Returns
        -------
        NeuralG2P

        Raises
        ------
        BackendUnavailableError
            If no path is given and g2p-en is not installed.
        CheckpointError
            If the file cannot be read or does not match the symbol table.

        Examples
        --------
        >>> len(NeuralG2P.load().phonemes)
        74
        """
        ckpt = Path(path) if path is not None else default_checkpoint_path()
        with open(asset_path("phones", "g2p_en_symbols.json"), encoding="utf-8") as fh:
            symbols = json.load(fh)
        try:
            with np.load(ckpt, allow_pickle=False) as data:
                weights = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read G2P checkpoint {ckpt}: {exc}") from exc
        log.debug("loaded G2P checkpoint %s", ckpt)
        return cls(weights, symbols["graphemes"], symbols["phonemes"])

    @staticmethod
    def _step(gx: np.ndarray, h: np.ndarray, hh: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        gh = h @ hh[0] + hh[1]
        n3 = gx.shape[-1] // 3
        r = _sigmoid(gx[:n3] + gh[:n3])
        z = _sigmoid(gx[n3 : 2 * n3] + gh[n3 : 2 * n3])
        n = np.tanh(gx[2 * n3 :] + r * gh[2 * n3 :])
        return (1.0 - z) * n + z * h

    def predict(self, word: str, *, max_phones: int | None = None) -> list[str]:
        """Predict the ARPAbet phones (with stress digits) of one word.

        Parameters
        ----------
        word : str
            Lower-case letters; other characters are fed as the unknown symbol.
        max_phones : int, optional
            Stop after this many phones (default ``2 * len(word) + 10``).

        Returns
        -------
        list of str
            ARPAbet symbols as the model emits them (it may emit a bare ``UW``).

        Examples
        --------
        >>> NeuralG2P.load().predict("blorp")
        ['B', 'L', 'AO1', 'R', 'P']
        """
        ids = [self._g2i.get(c, self._unk) for c in word] + [self._eow]
        h = np.zeros(self._hidden, np.float32)
        for i in ids:
            h = self._step(self._enc_x[i], h, self._enc_hh)
        limit = max_phones if max_phones is not None else 2 * len(word) + 10
        out: list[str] = []
        token = self._start
        for _ in range(limit):
            h = self._step(self._dec_x[token], h, self._dec_hh)
            token = int(np.argmax(h @ self._fc[0] + self._fc[1]))
            if token == self._stop:
                break
            out.append(self.phonemes[token])
        return out


_DEFAULT: NeuralG2P | None = None
_LOCK = threading.Lock()


def default_model() -> NeuralG2P:
    """Return the process-wide model from the installed g2p-en, loading it once.

    Examples
    --------
    >>> default_model() is default_model()
    True
    """
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            _DEFAULT = NeuralG2P.load()
        return _DEFAULT
