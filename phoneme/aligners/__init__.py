"""Forced-alignment backends behind one interface.

=================  ==========================================================
``pocketsphinx``   default for English; embedded, no downloads
                   (:class:`~phoneme.aligners.pocketsphinx.PocketsphinxAligner`)
``mfa``            Montreal Forced Aligner, when its ``mfa`` command is on PATH
                   (:class:`~phoneme.aligners.mfa.MfaAligner`)
``textgrid``       reads an existing alignment from a TextGrid
                   (:class:`~phoneme.aligners.textgrid.TextGridAligner`)
``synthesis_dtw``  any language espeak-ng speaks: warps an espeak rendition
                   of the transcript onto the audio; the fallback for
                   languages other than English when MFA is not installed
                   (:class:`~phoneme.aligners.synthesis_dtw.SynthesisDtwAligner`)
=================  ==========================================================

:func:`phoneme.align` is the usual entry point; see ``docs/aligners.md``.

Examples
--------
>>> from phoneme.aligners import get_aligner
>>> get_aligner("pocketsphinx", window=20.0).window
20.0
"""

from __future__ import annotations

from .base import Aligner, Pronunciations, available_aligners, get_aligner, register_aligner
from .mfa import MfaAligner
from .pocketsphinx import PocketsphinxAligner
from .synthesis_dtw import SynthesisDtwAligner
from .textgrid import TextGridAligner, read_textgrid, write_textgrid

__all__ = [
    "Aligner",
    "MfaAligner",
    "PocketsphinxAligner",
    "Pronunciations",
    "SynthesisDtwAligner",
    "TextGridAligner",
    "available_aligners",
    "get_aligner",
    "read_textgrid",
    "register_aligner",
    "write_textgrid",
]

register_aligner("pocketsphinx", PocketsphinxAligner, replace=True)
register_aligner("mfa", MfaAligner, replace=True)
register_aligner("textgrid", TextGridAligner, replace=True)
register_aligner("synthesis_dtw", SynthesisDtwAligner, replace=True)
