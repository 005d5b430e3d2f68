"""Locate the data files in ``assets/`` from any install layout.

In a source checkout (or editable install) the data lives in the repository's
top-level ``assets/`` folder, beside this package; an installed wheel carries
the same folder inside this package, as ``phoneme/data`` (``pyproject.toml``
puts it there). ``KMTALK_ASSETS`` overrides both. Only this package's own
layout is known here: the packages above it find their data through
:func:`asset_path` too.

Examples
--------
>>> from phoneme.assets import asset_path
>>> asset_path("lexicons").is_dir()
True
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .errors import AssetError

__all__ = ["assets_dir", "asset_path"]


@lru_cache(maxsize=1)
def assets_dir() -> Path:
    """Return the folder that holds kmtalk's bundled data files.

    Returns
    -------
    pathlib.Path
        An existing directory.

    Raises
    ------
    AssetError
        If no assets folder can be found (a broken install).
    """
    env = os.environ.get("KMTALK_ASSETS")
    package = Path(__file__).resolve().parent
    candidates = [Path(env)] if env else []
    candidates += [package / "data", package.parent / "assets"]
    for cand in candidates:
        if (cand / "NOTICE").is_file():
            return cand
    raise AssetError(
        "kmtalk's data folder was not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall kmtalk or set KMTALK_ASSETS to the repository's assets/ folder"
    )


def asset_path(*parts: str) -> Path:
    """Return the path of a bundled data file, checking that it exists.

    Parameters
    ----------
    *parts : str
        Path components below the assets folder, e.g. ``("lexicons", "en.json")``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    AssetError
        If the file or folder does not exist.
    """
    path = assets_dir().joinpath(*parts)
    if not path.exists():
        raise AssetError(f"bundled data file {'/'.join(parts)!r} is missing from {assets_dir()}")
    return path
