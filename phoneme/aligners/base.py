"""The :class:`Aligner` interface and the registry of named aligner backends.

An aligner turns mono samples and a list of normalised words into an
:class:`~phoneme.types.Alignment`. Backends register a factory under a name
(``"pocketsphinx"``, ``"mfa"``, ``"textgrid"``); :func:`get_aligner` builds
one with options, :func:`available_aligners` lists the usable ones.

Examples
--------
>>> from phoneme.aligners import available_aligners, get_aligner
>>> "pocketsphinx" in available_aligners()
True
>>> get_aligner("pocketsphinx").name
'pocketsphinx'
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import AlignmentError, BackendUnavailableError
from ..types import Alignment

__all__ = [
    "Aligner",
    "Pronunciations",
    "available_aligners",
    "get_aligner",
    "register_aligner",
]

#: User pronunciations: word -> one or more pronunciations, each a string of
#: space-separated ARPAbet (with or without stress digits) or IPA symbols, or a
#: list of such symbols.
Pronunciations = Mapping[str, "str | Sequence[str] | Sequence[str | Sequence[str]]"]


class Aligner(abc.ABC):
    """A forced-alignment backend.

    Subclasses set :attr:`name` and implement :meth:`align`; optional
    backends override :meth:`is_available` (and raise
    :class:`~phoneme.errors.BackendUnavailableError` from ``align`` when it
    is False).
    """

    #: Registry name of the backend.
    name: str = ""
    #: Sample rate (Hz) that :meth:`align` expects.
    sample_rate: int = 16000

    @abc.abstractmethod
    def align(
        self,
        samples: np.ndarray,
        sample_rate: int,
        words: Sequence[str],
        *,
        language: str = "en",
        pronunciations: Pronunciations | None = None,
    ) -> Alignment:
        """Align ``words`` (normalised, lower case) to mono ``samples``.

        Returns
        -------
        Alignment
            Contiguous word and phone tiers over the whole signal, IPA phone
            labels, word confidences where the backend has them, and
            ``issues`` describing any mismatch between words and audio.
        """

    @classmethod
    def is_available(cls) -> bool:
        """True when the backend can run on this machine."""
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


_REGISTRY: dict[str, Callable[..., Aligner]] = {}


def register_aligner(name: str, factory: Callable[..., Aligner], *, replace: bool = False) -> None:
    """Register an aligner factory (usually the class) under ``name``.

    Parameters
    ----------
    name : str
        Lower-case backend name used by ``align(..., aligner=name)``.
    factory : callable
        Called with the user's options, returns an :class:`Aligner`.
    replace : bool
        Allow replacing an existing registration.

    Examples
    --------
    >>> from phoneme.aligners import register_aligner, get_aligner
    >>> from phoneme.aligners.pocketsphinx import PocketsphinxAligner
    >>> register_aligner("ps-narrow", lambda **kw: PocketsphinxAligner(beam=1e-60, **kw),
    ...                  replace=True)
    >>> get_aligner("ps-narrow").name
    'pocketsphinx'
    """
    key = name.strip().lower()
    if not key:
        raise ValueError("aligner name must not be empty")
    if key in _REGISTRY and not replace:
        raise ValueError(f"an aligner named {key!r} is already registered (pass replace=True)")
    _REGISTRY[key] = factory


def get_aligner(name: str | Aligner, **options: Any) -> Aligner:
    """Return an aligner by name, built with ``options``; an instance is returned as is.

    Raises
    ------
    AlignmentError
        For an unknown name (the message lists the registered ones) or options
        the backend does not accept.

    Examples
    --------
    >>> from phoneme.aligners import get_aligner
    >>> get_aligner("textgrid", textgrid="words.TextGrid").name
    'textgrid'
    """
    if isinstance(name, Aligner):
        if options:
            raise AlignmentError("options cannot be applied to an aligner instance; build it with them")
        return name
    key = str(name).strip().lower()
    if key not in _REGISTRY:
        raise AlignmentError(
            f"unknown aligner {name!r}; registered: {', '.join(sorted(_REGISTRY))}"
        )
    try:
        return _REGISTRY[key](**options)
    except TypeError as exc:
        raise AlignmentError(f"bad options for aligner {key!r}: {exc}") from exc


def available_aligners(*, include_unusable: bool = False) -> list[str]:
    """Names of the registered aligners that can run here (all of them with ``include_unusable``).

    Examples
    --------
    >>> from phoneme.aligners import available_aligners
    >>> {"mfa", "pocketsphinx", "textgrid"} <= set(available_aligners(include_unusable=True))
    True
    """
    names = []
    for key, factory in sorted(_REGISTRY.items()):
        check = getattr(factory, "is_available", None)
        usable = True
        if not include_unusable and check is not None:
            try:
                usable = bool(check())
            except BackendUnavailableError:
                usable = False
        if usable:
            names.append(key)
    return names
