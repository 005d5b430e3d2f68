"""Montreal Forced Aligner backend: runs the ``mfa align`` command and reads its TextGrid.

MFA needs conda's Kaldi and cannot be installed from PyPI::

    conda install -c conda-forge montreal-forced-aligner
    mfa model download acoustic english_us_arpa
    mfa model download dictionary english_us_arpa

When ``mfa`` is on PATH, :class:`MfaAligner` writes the audio (16-bit WAV) and
the transcript (``.lab``) into a temporary corpus folder, runs
``mfa align --clean --overwrite --output_format long_textgrid CORPUS DICTIONARY
ACOUSTIC_MODEL OUTPUT`` and reads ``OUTPUT/<utterance>.TextGrid`` back with
:func:`~phoneme.aligners.textgrid.read_textgrid`. Without it, aligning raises
:class:`~phoneme.errors.BackendUnavailableError` with these instructions.

Examples
--------
>>> from phoneme.aligners.mfa import MfaAligner
>>> cmd = MfaAligner(dictionary="english_us_arpa").command("corpus", "out")
>>> cmd[1:5]
['align', '--clean', '--overwrite', '--output_format']
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile

from ..errors import AlignmentError, BackendUnavailableError
from ..g2p import Pronouncer
from ..types import Alignment
from .base import Aligner, Pronunciations
from .textgrid import read_textgrid

__all__ = ["INSTALL_HINT", "MfaAligner"]

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install the Montreal Forced Aligner with `conda install -c conda-forge "
    "montreal-forced-aligner`, then `mfa model download acoustic english_us_arpa` and "
    "`mfa model download dictionary english_us_arpa` (or use aligner='pocketsphinx')"
)


class MfaAligner(Aligner):
    """Align with the Montreal Forced Aligner's command-line tool.

    Parameters
    ----------
    dictionary : str or path-like
        MFA dictionary name (``"english_us_arpa"``, ``"english_mfa"`` …) or path.
    acoustic_model : str or path-like
        MFA acoustic model name or path.
    command : str
        The ``mfa`` executable (name on PATH or full path).
    extra_args : sequence of str
        More ``mfa align`` options, e.g. ``["--beam", "100", "--retry_beam", "400"]``.
    timeout : float, optional
        Seconds before the run is abandoned.

    Notes
    -----
    With ``pronunciations``, a dictionary covering every transcript word is
    written in ARPAbet (overrides, then CMUdict, then G2P) and used instead of
    ``dictionary``; this suits ARPAbet acoustic models such as ``english_us_arpa``.
    """

    name = "mfa"
    sample_rate = 16000

    def __init__(
        self,
        *,
        dictionary: str | os.PathLike = "english_us_arpa",
        acoustic_model: str | os.PathLike = "english_us_arpa",
        command: str = "mfa",
        extra_args: Sequence[str] = (),
        timeout: float | None = None,
    ) -> None:
        self.dictionary = str(dictionary)
        self.acoustic_model = str(acoustic_model)
        self.mfa = command
        self.extra_args = [str(a) for a in extra_args]
        self.timeout = timeout

    @classmethod
    def is_available(cls, command: str = "mfa") -> bool:
        """True when the ``mfa`` command is on PATH."""
        return shutil.which(command) is not None

    def command(self, corpus: str | os.PathLike, output: str | os.PathLike,
                dictionary: str | None = None) -> list[str]:
        """The ``mfa align`` command line for a corpus folder and an output folder."""
        exe = shutil.which(self.mfa) or self.mfa
        return [
            exe, "align", "--clean", "--overwrite", "--output_format", "long_textgrid",
            *self.extra_args,
            str(corpus), dictionary or self.dictionary, self.acoustic_model, str(output),
        ]

    def align(
        self,
        samples: np.ndarray,
        sample_rate: int,
        words: Sequence[str],
        *,
        language: str = "en",
        pronunciations: Pronunciations | None = None,
    ) -> Alignment:
        """Run ``mfa align`` on one utterance and read its TextGrid.

        Raises
        ------
        BackendUnavailableError
            If the ``mfa`` command is not found (the message says how to install it).
        AlignmentError
            If MFA fails or writes no TextGrid (the message quotes its output).
        """
        if shutil.which(self.mfa) is None:
            raise BackendUnavailableError(f"the `{self.mfa}` command was not found on PATH; {INSTALL_HINT}")
        words = [str(w) for w in words]
        with tempfile.TemporaryDirectory(prefix="kmtalk-mfa-") as tmp:
            corpus = Path(tmp) / "corpus"
            out = Path(tmp) / "aligned"
            corpus.mkdir()
            soundfile.write(str(corpus / "utterance.wav"), np.asarray(samples, dtype=np.float32),
                            int(sample_rate), subtype="PCM_16")
            (corpus / "utterance.lab").write_text(" ".join(words) + "\n", encoding="utf-8")
            dictionary = None
            if pronunciations:
                pron = Pronouncer(pronunciations)
                dict_path = Path(tmp) / "words.dict"
                lines = [f"{w}\t{' '.join(p)}" for w in sorted(set(words)) for p in pron.arpabet(w)]
                dict_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                dictionary = str(dict_path)
            cmd = self.command(corpus, out, dictionary)
            log.info("running %s", " ".join(cmd))
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired as exc:
                raise AlignmentError(f"mfa align did not finish within {self.timeout} s") from exc
            except OSError as exc:
                raise BackendUnavailableError(f"cannot run `{self.mfa}`: {exc}; {INSTALL_HINT}") from exc
            if run.returncode != 0:
                tail = (run.stderr or run.stdout or "").strip().splitlines()[-8:]
                raise AlignmentError(
                    f"mfa align failed (exit {run.returncode}): " + " | ".join(tail)
                    + " — check the dictionary and acoustic model names (`mfa model download ...`)"
                )
            found = sorted(out.rglob("*.TextGrid"))
            if not found:
                raise AlignmentError(f"mfa align wrote no TextGrid into {out}; output: {run.stdout[-500:]}")
            result = read_textgrid(found[0], duration=len(samples) / float(sample_rate))
        result.aligner = self.name
        result.language = language
        result.transcript = " ".join(words)
        got = [w.label for w in result.spoken_words()]
        if got != words:
            missing = [w for w in words if w not in got]
            result.issues.append(
                "MFA's words differ from the transcript"
                + (f" (missing or out-of-vocabulary: {', '.join(missing[:10])})" if missing else "")
            )
        return result
