"""Loading espeak-ng's C library (``libespeak-ng.so.1``) through :mod:`ctypes`.

espeak-ng keeps all of its state (voice, parameters, output buffer, the
synthesis callback) in C globals, so every call into the library goes through
:data:`LOCK`. The library is initialised once per process, in synchronous
retrieval mode, with phoneme events enabled and reported as IPA names.

No well-kept PyPI binding exposes the synthesis events with their sample
positions (the maintained ones, e.g. ``espeak-phonemizer``, only phonemize),
hence this small binding.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_char,
    c_char_p,
    c_int,
    c_short,
    c_size_t,
    c_ubyte,
    c_uint,
    c_void_p,
)

from ..errors import BackendUnavailableError

__all__ = ["LOCK", "Event", "library", "set_collector"]

log = logging.getLogger(__name__)

#: Guards every call into the (global-state) C library.
LOCK = threading.RLock()

# espeak_AUDIO_OUTPUT, espeak_EVENT_TYPE, option bits and parameters (speak_lib.h, API revision 12)
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
ENDPAUSE = 0x1000
POS_CHARACTER = 1
PHONEMES_IPA = 0x02

EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_SENTENCE = 2
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7
EVENT_SAMPLERATE = 8

PARAM_RATE = 1
PARAM_VOLUME = 2
PARAM_PITCH = 3
PARAM_RANGE = 4
PARAM_PUNCTUATION = 5
PARAM_CAPITALS = 6
PARAM_WORDGAP = 7

EE_OK = 0

INSTALL_HINT = (
    "install espeak-ng's library: `apt-get install libespeak-ng1` (Debian/Ubuntu; "
    "the `espeak-ng` package pulls it in), or `brew install espeak-ng` on macOS"
)


class _EventId(Union):
    _fields_ = [("number", c_int), ("name", c_char_p), ("string", c_char * 8)]


class _Event(Structure):
    _fields_ = [
        ("type", c_int),
        ("unique_identifier", c_uint),
        ("text_position", c_int),
        ("length", c_int),
        ("audio_position", c_int),
        ("sample", c_int),
        ("user_data", c_void_p),
        ("id", _EventId),
    ]


class _Voice(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("languages", c_void_p),  # priority byte + NUL-terminated name, repeated, then NUL
        ("identifier", c_char_p),
        ("gender", c_ubyte),
        ("age", c_ubyte),
        ("variant", c_ubyte),
        ("xx1", c_ubyte),
        ("score", c_int),
        ("spare", c_void_p),
    ]


_SYNTH_CALLBACK = CFUNCTYPE(c_int, POINTER(c_short), c_int, POINTER(_Event))


class Event:
    """One espeak synthesis event, copied out of the C structure.

    Attributes
    ----------
    type : int
        ``espeak_EVENT_TYPE`` (1 word, 2 sentence, 5 end, 6 message end, 7 phoneme).
    sample : int
        Sample index, counted from the start of the synthesised audio, at which
        the event takes effect in the output stream (exact; see
        :mod:`phoneme.espeak.synthesis` for what that point means per type).
    audio_position_ms : int
        espeak's own millisecond position, ``floor(1000 * sample / rate)``.
    text_position : int
        1-based character index into the text (word and phoneme events).
    length : int
        Word length in characters (word events).
    number : int
        Word / sentence counter (word and sentence events).
    name : str
        Phoneme name (phoneme events; IPA, empty for a pause).
    """

    __slots__ = ("audio_position_ms", "length", "name", "number", "sample", "text_position", "type")

    def __init__(self, ev: _Event) -> None:
        self.type = int(ev.type)
        self.sample = int(ev.sample)
        self.audio_position_ms = int(ev.audio_position)
        self.text_position = int(ev.text_position)
        self.length = int(ev.length)
        if self.type == EVENT_PHONEME:
            raw = bytes(ev.id.string)
            self.name = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
            self.number = 0
        else:
            self.name = ""
            self.number = int(ev.id.number) if self.type in (EVENT_WORD, EVENT_SENTENCE) else 0

    def __repr__(self) -> str:
        return (f"Event(type={self.type}, sample={self.sample}, text_position={self.text_position}, "
                f"length={self.length}, number={self.number}, name={self.name!r})")


# The collector receives (samples as a ctypes pointer, count, [Event, ...]) for every buffer.
_Collector = Callable[[object, int, list], None]
_collector: _Collector | None = None


def set_collector(fn: _Collector | None) -> None:
    """Route the synthesis callback to ``fn`` (call with :data:`LOCK` held)."""
    global _collector
    _collector = fn


def _on_synth(wav, numsamples, events) -> int:  # called from C
    try:
        evs = []
        if events:
            i = 0
            while events[i].type != EVENT_LIST_TERMINATED:
                evs.append(Event(events[i]))
                i += 1
        if _collector is not None:
            _collector(wav, int(numsamples), evs)
    except Exception:  # never let a Python error unwind through C
        log.exception("espeak synthesis callback failed")
        return 1
    return 0


_callback_ref = _SYNTH_CALLBACK(_on_synth)


class _Library:
    """The loaded and initialised C library with typed function signatures."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng")
        errors = []
        lib = None
        for cand in ("libespeak-ng.so.1", name, "libespeak-ng.so", "libespeak-ng.1.dylib",
                     "libespeak-ng.dylib", "libespeak-ng.dll"):
            if not cand:
                continue
            try:
                lib = ctypes.CDLL(cand)
                break
            except OSError as exc:
                errors.append(f"{cand}: {exc}")
        if lib is None:
            raise BackendUnavailableError(
                "espeak-ng's C library (libespeak-ng) was not found (" + "; ".join(errors[:2])
                + "); " + INSTALL_HINT
            )
        self.lib = lib
        lib.espeak_Initialize.argtypes = [c_int, c_int, c_char_p, c_int]
        lib.espeak_Initialize.restype = c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [c_char_p]
        lib.espeak_SetVoiceByName.restype = c_int
        lib.espeak_SetParameter.argtypes = [c_int, c_int, c_int]
        lib.espeak_SetParameter.restype = c_int
        lib.espeak_Synth.argtypes = [c_void_p, c_size_t, c_uint, c_int, c_uint, c_uint,
                                     POINTER(c_uint), c_void_p]
        lib.espeak_Synth.restype = c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = c_int
        lib.espeak_TextToPhonemes.argtypes = [POINTER(c_void_p), c_int, c_int]
        lib.espeak_TextToPhonemes.restype = c_char_p
        lib.espeak_SetVoiceByProperties.argtypes = [POINTER(_Voice)]
        lib.espeak_SetVoiceByProperties.restype = c_int
        lib.espeak_GetCurrentVoice.argtypes = []
        lib.espeak_GetCurrentVoice.restype = POINTER(_Voice)
        lib.espeak_ListVoices.argtypes = [c_void_p]
        lib.espeak_ListVoices.restype = POINTER(POINTER(_Voice))
        lib.espeak_Info.argtypes = [POINTER(c_char_p)]
        lib.espeak_Info.restype = c_char_p

        rate = lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
            INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT,
        )
        if rate <= 0:
            raise BackendUnavailableError(
                "espeak-ng's library loaded but could not initialise (its data folder "
                "espeak-ng-data is missing?); reinstall it: " + INSTALL_HINT
            )
        self.sample_rate = int(rate)
        lib.espeak_SetSynthCallback(_callback_ref)
        data_path = c_char_p()
        self.version = (lib.espeak_Info(ctypes.byref(data_path)) or b"").decode()
        self.data_path = (data_path.value or b"").decode()
        log.debug("espeak-ng %s initialised (%d Hz, data %s)", self.version, rate, self.data_path)


_instance: _Library | None = None


def library() -> _Library:
    """Return the process-wide initialised library, loading it on first use.

    Raises
    ------
    BackendUnavailableError
        If ``libespeak-ng`` is not installed or cannot initialise.
    """
    global _instance
    with LOCK:
        if _instance is None:
            _instance = _Library()
        return _instance
