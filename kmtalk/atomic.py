"""Write files so that a failure leaves nothing half-written: temporary name first, then rename.

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
from pathlib import Path
from typing import Iterator

from phoneme.errors import ExportError, KmtalkError

__all__ = ["atomic_write", "atomic_files"]


def _tmp_name(path: Path) -> Path:
    # Keep the real suffix last: some writers (open3d, praatio) pick the format from it.
    return path.with_name(f".{path.stem}.tmp-{secrets.token_hex(4)}{path.suffix}")


def _prepare_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {path.parent} for {path.name}: {exc}") from exc


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
    _prepare_parent(path)
    tmp = _tmp_name(path)
    try:
        yield tmp
        if not tmp.exists():
            raise ExportError(f"the writer produced no file for {path}")
        os.replace(tmp, path)
    except KmtalkError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
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
    for p in paths:
        _prepare_parent(p)
    tmp_dir = paths[0].parent / f".kmtalk-export-{secrets.token_hex(4)}"
    try:
        tmp_dir.mkdir()
    except OSError as exc:
        raise ExportError(f"cannot write into {paths[0].parent}: {exc}") from exc
    tmps = [tmp_dir / f"{i:06d}{p.suffix}" for i, p in enumerate(paths)]
    placed: list[Path] = []
    try:
        yield tmps
        missing = [str(paths[i]) for i, t in enumerate(tmps) if not t.exists()]
        if missing:
            raise ExportError(
                f"the writer produced no file for {missing[0]} (and {len(missing) - 1} more)"
            )
        try:
            for tmp, final in zip(tmps, paths):
                os.replace(tmp, final)
                placed.append(final)
        except OSError:
            for final in placed:  # all or nothing: take back what was already moved
                final.unlink(missing_ok=True)
            raise
    except KmtalkError:
        raise
    except Exception as exc:
        raise ExportError(f"cannot write {paths[0]} …: {exc}") from exc
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
