"""Text → IPA with espeak-ng's own pronunciation rules (``espeak_TextToPhonemes``).

Examples
--------
>>> from phoneme.espeak import phonemize
>>> phonemize("hello world")
'həlˈoʊ wˈɜːld'
"""

from __future__ import annotations

import ctypes

from ..errors import TranscriptError
from . import _library as _lib
from .voices import select_voice

__all__ = ["phonemize"]


def phonemize(text: str, voice: str = "en-us", *, separator: str = "", ipa: bool = True) -> str:
    """Return espeak-ng's pronunciation of ``text``.

    Parameters
    ----------
    text : str
        Any text in the voice's language; numbers and abbreviations are expanded
        by espeak's rules.
    voice : str, default ``"en-us"``
        espeak-ng voice or language code (see :func:`list_voices`).
    separator : str, default ``""``
        One character to put between the phonemes of a word (``"_"`` gives
        ``h_ə_l_ˈoʊ``); words are always separated by a space.
    ipa : bool, default True
        IPA symbols (with stress marks ˈ ˌ); ``False`` gives espeak's ASCII
        (Kirshenbaum-like) phoneme names.

    Returns
    -------
    str
        Clauses are joined with a space.

    Raises
    ------
    TranscriptError
        If ``text`` is empty.
    UnknownVoiceError
        If the voice is not installed.
    BackendUnavailableError
        If espeak-ng's library is not installed.

    Examples
    --------
    >>> phonemize("five blue balloons", separator="_")
    'f_ˈaɪ_v b_l_ˈuː b_ə_l_ˈuː_n_z'
    """
    if not isinstance(text, str) or not text.strip():
        raise TranscriptError("phonemize() needs non-empty text")
    if len(separator) > 1:
        raise TranscriptError(f"separator must be one character or empty, got {separator!r}")
    mode = _lib.PHONEMES_IPA if ipa else 0
    if separator:
        mode |= ord(separator) << 8
    lib = _lib.library()
    data = ctypes.create_string_buffer(text.encode("utf-8"))
    ptr = ctypes.c_void_p(ctypes.addressof(data))
    parts: list[str] = []
    with _lib.LOCK:
        select_voice(voice)
        while ptr.value:
            out = lib.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _lib.CHARS_UTF8, mode)
            if out:
                piece = out.decode("utf-8", "replace").strip()
                if piece:
                    parts.append(piece)
        _flush_events(lib)
    return " ".join(parts)


def _flush_events(lib: _lib._Library) -> None:
    """Deliver (and drop) the events espeak-ng queued while phonemizing.

    Every ``espeak_TextToPhonemes`` call queues a sample-rate event that only
    the next synthesis delivers. During the multilingual work a synthesis after
    a few dozen phonemizations was seen to lose its first word's events; a
    plain 60-call loop does not reproduce it, so this is a precaution: an empty
    synthesis delivers the queued events without making a sound (about 0.1 ms).
    Call with :data:`_library.LOCK` held.
    """
    _lib.set_collector(None)
    lib.lib.espeak_Synth(b"", 1, 0, _lib.POS_CHARACTER, 0, _lib.CHARS_UTF8, None, None)
