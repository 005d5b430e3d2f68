"""A per-user cache folder for data that is slow to parse and cheap to store.

kmtalk keeps derived copies of installed data here (for now: CMUdict in a form
that loads in about 30 ms instead of a 100 ms parse), so a one-shot CLI call
does not redo the work. The folder is ``$KMTALK_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/kmtalk``, else ``~/.cache/kmtalk``. Set
``KMTALK_CACHE_DIR=off`` to read and write nothing. Entries are keyed by the
size and modification time of their source, so a new version of the source
is parsed again. A cache that cannot be read or written is skipped silently
(logged at debug level): it only ever costs speed.

Examples
--------
>>> from phoneme.usercache import cache_dir
>>> cache_dir() is None or cache_dir().name != ""
True
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "read_text", "write_text"]

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when caching is off.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"KMTALK_CACHE_DIR": "off"}):
    ...     cache_dir() is None
    True
    """
    env = os.environ.get("KMTALK_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "kmtalk"


def read_text(name: str) -> str | None:
    """The cached text ``name``, or None if absent, unreadable or caching is off."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return (folder / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.debug("cache entry %s not read: %s", name, exc)
        return None


def write_text(name: str, text: str) -> Path | None:
    """Store ``text`` as ``name`` atomically (readers see all or nothing); None if not written.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"KMTALK_CACHE_DIR": tempfile.mkdtemp()}):
    ...     write_text("demo.txt", "hi").name, read_text("demo.txt")
    ('demo.txt', 'hi')
    """
    folder = cache_dir()
    if folder is None:
        return None
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / name)
        return folder / name
    except OSError as exc:
        log.debug("cache entry %s not written: %s", name, exc)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return None
