"""espeak-ng synthesis that gives the same audio every time: each call runs in a fresh child process.

espeak-ng keeps synthesis state in C statics that no call resets (the pitch
flutter phase, the glottal wave phase …), so the same text spoken twice in
one process comes out a little different, depending on everything spoken
before. A template that changed from call to call would make
:class:`~phoneme.aligners.synthesis_dtw.SynthesisDtwAligner` give different
boundaries for the same input.

So synthesis runs elsewhere: a small helper interpreter (started once, on
first use, with ``python -c``; it imports :mod:`phoneme.espeak` but never
initialises the library) forks a child for every request; the child
initialises espeak-ng afresh, speaks, sends the pickled
:class:`~phoneme.espeak.Synthesis` back through a pipe and exits. Every call
thus starts from the same state. Cost: about 30 ms a call, plus about half a
second for the helper's start.

Where ``os.fork`` does not exist (Windows) or the helper cannot run, the
synthesis happens in this process, with a warning that results may then
vary slightly between calls.

Examples
--------
>>> from phoneme.aligners.template_synthesis import synthesize_isolated
>>> a = synthesize_isolated("hola", voice="es", rate=175)
>>> b = synthesize_isolated("hola", voice="es", rate=175)
>>> bool((a.samples == b.samples).all())
True
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import Any, BinaryIO

__all__ = ["synthesize_isolated"]

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_HELPER: subprocess.Popen | None = None
_HELPER_PID = 0  # the process that started _HELPER (a forked worker must start its own)
_FAILED = False
_HEADER = struct.Struct("<Q")


def _speak(text: str, voice: str, rate: int, sample_rate: int | None, pitch: int = 50) -> Any:
    from ..espeak import synthesize

    return synthesize(text, voice=voice, rate=rate, pitch=pitch, sample_rate=sample_rate)


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the espeak-ng helper closed its pipe")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the espeak-ng helper sent a truncated reply")
    return pickle.loads(data)


def _helper_main() -> None:  # pragma: no cover - runs in the helper interpreter
    """The helper's loop: read a request, fork a child that speaks it, pass its reply on; stop at end of input."""
    import phoneme.espeak  # noqa: F401  (loaded once; the library is initialised only in children)

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            request = _receive(stdin)
        except EOFError:
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                try:
                    reply = ("ok", _speak(*request))
                except Exception as exc:  # noqa: BLE001 - sent back and re-raised in the caller
                    reply = ("error", exc)
                with os.fdopen(write_end, "wb") as out:
                    out.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as inp:
            data = inp.read()
        os.waitpid(pid, 0)
        if data:
            stdout.write(_HEADER.pack(len(data)) + data)
            stdout.flush()
        else:
            _send(stdout, ("error", RuntimeError("espeak-ng's synthesis process ended without a result")))


def _helper() -> subprocess.Popen:
    global _HELPER, _HELPER_PID
    if _HELPER is not None and _HELPER_PID != os.getpid():
        _HELPER = None  # inherited through fork: its pipes belong to the parent
    if _HELPER is None or _HELPER.poll() is not None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        _HELPER = subprocess.Popen(
            [sys.executable, "-c", "from phoneme.aligners.template_synthesis import _helper_main; _helper_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        _HELPER_PID = os.getpid()
        atexit.register(_stop)
    return _HELPER


def _stop() -> None:
    global _HELPER
    helper, _HELPER = _HELPER, None
    if helper is not None and _HELPER_PID == os.getpid() and helper.poll() is None:
        try:
            helper.stdin.close()
            helper.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            helper.kill()


def synthesize_isolated(text: str, *, voice: str, rate: int = 175, pitch: int = 50,
                        sample_rate: int | None = None) -> Any:
    """:func:`phoneme.espeak.synthesize` in a fresh child process (see the module docstring).

    Returns
    -------
    Synthesis

    Raises
    ------
    The errors of :func:`phoneme.espeak.synthesize` (re-raised from the child).
    """
    global _FAILED
    request = (text, voice, int(rate), sample_rate, int(pitch))
    reply = None
    if not _FAILED and hasattr(os, "fork"):
        with _LOCK:
            for attempt in (1, 2):
                try:
                    helper = _helper()
                    _send(helper.stdin, request)
                    reply = _receive(helper.stdout)
                    break
                except (OSError, EOFError, pickle.PickleError) as exc:
                    _stop()
                    if attempt == 2:
                        _FAILED = True
                        log.warning("cannot run espeak-ng in a helper process (%s); synthesising in "
                                    "this process, so synthesis_dtw results may vary slightly from call "
                                    "to call", exc)
    if reply is None:
        return _speak(*request)
    status, value = reply
    if status == "error":
        raise value
    return value
