"""espeak-ng voices: listing them and selecting one.

Examples
--------
>>> from phoneme.espeak import list_voices
>>> any(v.identifier == "gmw/en-US" for v in list_voices("en"))
True
"""

from __future__ import annotations

import ctypes
import difflib
from dataclasses import dataclass
from functools import lru_cache

from ..errors import BackendUnavailableError
from . import _library as _lib

__all__ = ["UnknownVoiceError", "Voice", "list_voices", "select_voice"]


class UnknownVoiceError(BackendUnavailableError, ValueError):
    """The requested espeak-ng voice is not installed (or cannot be loaded here)."""


@dataclass(frozen=True)
class Voice:
    """One installed espeak-ng voice.

    Attributes
    ----------
    name : str
        espeak's given name (``"English_(America)"``).
    identifier : str
        File name below ``espeak-ng-data/voices`` (``"gmw/en-US"``).
    languages : tuple of (str, int)
        Language codes the voice serves and their priority (lower is preferred).
    gender : str
        ``"male"``, ``"female"`` or ``""``.
    """

    name: str
    identifier: str
    languages: tuple[tuple[str, int], ...]
    gender: str

    @property
    def language(self) -> str:
        """The voice's first (main) language code, e.g. ``"en-us"``; usable as ``voice=``."""
        return self.languages[0][0] if self.languages else ""


def _parse_languages(ptr: int | None) -> tuple[tuple[str, int], ...]:
    out: list[tuple[str, int]] = []
    if not ptr:
        return ()
    pos = ptr
    while True:
        priority = ctypes.c_ubyte.from_address(pos).value
        if priority == 0:
            break
        name = ctypes.string_at(pos + 1)
        out.append((name.decode("utf-8", "replace"), int(priority)))
        pos += 2 + len(name)
    return tuple(out)


def list_voices(language_prefix: str | None = None) -> list[Voice]:
    """List the installed espeak-ng voices.

    Parameters
    ----------
    language_prefix : str, optional
        Keep only voices serving a language code that starts with this
        (case-insensitive), e.g. ``"en"`` or ``"en-gb"``. Variants (``+f3``)
        and MBROLA voices are not listed (``espeak-ng --voices=variant``).

    Returns
    -------
    list of Voice
        In espeak's order (by language, then priority).

    Raises
    ------
    BackendUnavailableError
        If the espeak-ng library is not installed.

    Examples
    --------
    >>> [v.language for v in list_voices("en-us")][:1]
    ['en-us']
    """
    lib = _lib.library()
    prefix = (language_prefix or "").lower()
    voices: list[Voice] = []
    with _lib.LOCK:
        arr = lib.lib.espeak_ListVoices(None)
        i = 0
        while arr and arr[i]:
            v = arr[i].contents
            gender = {1: "male", 2: "female"}.get(int(v.gender), "")
            voices.append(Voice(
                name=(v.name or b"").decode("utf-8", "replace"),
                identifier=(v.identifier or b"").decode("utf-8", "replace"),
                languages=_parse_languages(v.languages),
                gender=gender,
            ))
            i += 1
    if prefix:
        voices = [v for v in voices if any(lang.lower().startswith(prefix) for lang, _ in v.languages)]
    return voices


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", " ")


@lru_cache(maxsize=1)
def _installed() -> tuple[Voice, ...]:
    return tuple(list_voices())


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """Variant names (``f3``, ``klatt``, ``Storm`` ...) -> identifier tail, lower-cased keys."""
    lib = _lib.library()
    spec = _lib._Voice()
    lang = ctypes.c_char_p(b"variant")
    spec.languages = ctypes.cast(lang, ctypes.c_void_p)
    out: dict[str, str] = {}
    with _lib.LOCK:
        arr = lib.lib.espeak_ListVoices(ctypes.byref(spec))
        i = 0
        while arr and arr[i]:
            v = arr[i].contents
            ident = (v.identifier or b"").decode("utf-8", "replace")
            if ident.startswith("!v/"):
                tail = ident[3:]
                out[tail.lower()] = tail
                out[_norm((v.name or b"").decode("utf-8", "replace"))] = tail
            i += 1
    return out


def _unknown(voice: str, why: str = "") -> UnknownVoiceError:
    codes = sorted({lang for v in _installed() for lang, _ in v.languages})
    close = difflib.get_close_matches(voice.lower(), codes, n=5, cutoff=0.4)
    hint = f"close matches: {', '.join(close)}" if close else f"{len(codes)} languages installed"
    return UnknownVoiceError(
        f"espeak-ng has no usable voice {voice!r}{why} ({hint}); "
        "see phoneme.espeak.list_voices() or `espeak-ng --voices`"
    )


def select_voice(voice: str) -> None:
    """Make ``voice`` the library's current voice (call with ``_library.LOCK`` held).

    ``voice`` is a language code (``"en-us"``, ``"en-gb"``), a voice name
    (``"English_(Great_Britain)"``) or file identifier (``"gmw/en"``), optionally
    with a variant (``"en-us+f3"``; see ``espeak-ng --voices=variant``).

    Raises
    ------
    UnknownVoiceError
        If espeak-ng cannot load that voice or variant, or the voice needs
        MBROLA; the message lists close matches.
    """
    if not isinstance(voice, str) or not voice.strip():
        raise UnknownVoiceError(f"voice must be a non-empty string such as 'en-us', got {voice!r}")
    lib = _lib.library()
    base, _, variant = voice.strip().partition("+")
    low = base.lower()
    if "mbrola" in low or low.startswith(("mb/", "mb-")):
        raise _unknown(voice, " (an MBROLA voice: it needs the separate mbrola program and its "
                              "voice data; use an espeak voice such as 'en-us')")
    for v in _installed():
        if _norm(v.name) == _norm(base) or v.identifier.lower() == low:
            base = v.identifier
            break
    if variant:
        tail = _variants().get(_norm(variant))
        if tail is None:
            raise _unknown(voice, f" (no variant {variant!r}; variants: "
                                  f"{', '.join(sorted(set(_variants().values()))[:12])} ...)")
        variant = tail
    rc = lib.lib.espeak_SetVoiceByName(base.encode("utf-8"))
    if rc != _lib.EE_OK:
        spec = _lib._Voice()
        lang = ctypes.c_char_p(base.lower().encode("utf-8"))
        spec.languages = ctypes.cast(lang, ctypes.c_void_p)
        rc = lib.lib.espeak_SetVoiceByProperties(ctypes.byref(spec))
        cur = lib.lib.espeak_GetCurrentVoice()
        ident = (cur.contents.identifier or b"").decode() if cur else ""
        langs = [lang.lower() for lang, _ in _parse_languages(cur.contents.languages)] if cur else []
        # espeak falls back to a related language ("en-xx" -> English); refuse that
        if rc != _lib.EE_OK or not ident or not any(
                lang == low or lang.startswith(low + "-") for lang in langs):
            raise _unknown(voice)
        base = ident.partition("+")[0]
    if variant:
        rc = lib.lib.espeak_SetVoiceByName(f"{base}+{variant}".encode())
        if rc != _lib.EE_OK:
            raise _unknown(voice)
