"""Write files so that a failure leaves nothing half-written: temporary name first, then rename.

Every file placed gets the mode a plain ``open(path, "w")`` would give it
(``0o666`` less the process umask), whatever the writer used for its
temporary file (``tempfile.mkstemp`` makes ``0o600`` files), so all formats
come out alike. Folders created for a write that fails are removed again.

Examples
--------
>>> import tempfile, os
>>> from kmtalk.atomic import atomic_write
>>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
>>> with atomic_write(target) as tmp:
...     _ = open(tmp, "w").write("hello")
>>> open(target).read()
'hello'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from .errors import ExportError, KmtalkError

__all__ = ["atomic_files", "atomic_write"]


def _tmp_name(path: Path) -> Path:
    # Keep the real suffix last: some writers (open3d, praatio) pick the format from it.
    return path.with_name(f".{path.stem}.tmp-{secrets.token_hex(4)}{path.suffix}")


def _prepare_parent(path: Path) -> list[Path]:
    """Create ``path``'s missing folders; returns those created (outermost first)."""
    missing: list[Path] = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {path.parent} for {path.name}: {exc}") from exc
    return missing[::-1]


def _remove_created(folders: list[Path]) -> None:
    """Remove folders made for a write that failed (innermost first; only while empty)."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            continue


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def _normal_mode(path: Path) -> None:
    """Give ``path`` the mode a newly opened file gets: 0o666 less the umask."""
    os.chmod(path, 0o666 & ~_umask())


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success, delete it on error.

    Errors other than kmtalk's own are re-raised as :class:`~kmtalk.errors.ExportError`.

    Parameters
    ----------
    path : str or PathLike
        The final destination (its folder is created when missing).

    Yields
    ------
    pathlib.Path
        Where to write.
    """
    path = Path(path)
    created = _prepare_parent(path)
    tmp = _tmp_name(path)
    try:
        yield tmp
        if not tmp.exists():
            raise ExportError(f"the writer produced no file for {path}")
        _normal_mode(tmp)
        os.replace(tmp, path)
    except KmtalkError:
        tmp.unlink(missing_ok=True)
        _remove_created(created)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        _remove_created(created)
        raise ExportError(f"cannot write {path}: {exc}") from exc


@contextlib.contextmanager
def atomic_files(paths: list[Path]) -> Iterator[list[Path]]:
    """Like :func:`atomic_write` for several files that belong together (all or none appear).

    The files are written into a temporary folder next to the first one and
    moved into place only when the block succeeds.
    """
    if not paths:
        yield []
        return
    created = [f for p in paths for f in _prepare_parent(p)]
    tmp_dir = paths[0].parent / f".kmtalk-export-{secrets.token_hex(4)}"
    try:
        tmp_dir.mkdir()
    except OSError as exc:
        _remove_created(created)
        raise ExportError(f"cannot write into {paths[0].parent}: {exc}") from exc
    done = False
    tmps = [tmp_dir / f"{i:06d}{p.suffix}" for i, p in enumerate(paths)]
    placed: list[Path] = []
    try:
        yield tmps
        missing = [str(paths[i]) for i, t in enumerate(tmps) if not t.exists()]
        if missing:
            raise ExportError(
                f"the writer produced no file for {missing[0]} (and {len(missing) - 1} more)"
            )
        mode = 0o666 & ~_umask()
        try:
            for tmp, final in zip(tmps, paths):
                os.chmod(tmp, mode)
                os.replace(tmp, final)
                placed.append(final)
        except OSError:
            for final in placed:  # all or nothing: take back what was already moved
                final.unlink(missing_ok=True)
            raise
        done = True
    except KmtalkError:
        raise
    except Exception as exc:
        raise ExportError(f"cannot write {paths[0]} …: {exc}") from exc
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if not done:
            _remove_created(created)
