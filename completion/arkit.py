"""The ARKit-52 name table, read once from ``assets/rig/arkit52.json``.

The lowest layer that needs the names is this one (the ARKit motion space,
:class:`completion.motion_space.ArkitSpace`); :mod:`kmtalk.face.arkit` builds
its public constants (``ARKIT_NAMES``, groups, mirror pairs, the Live Link Face
CSV layout) from the same :func:`arkit_table`. numpy-free and torch-free.

Examples
--------
>>> from completion.arkit import arkit_table
>>> names = arkit_table()["names"]
>>> len(names), names[17]
(52, 'jawOpen')
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from phoneme.assets import asset_path
from phoneme.errors import AssetError

__all__ = ["arkit_table"]


@lru_cache(maxsize=1)
def arkit_table() -> dict[str, Any]:
    """Return the parsed ``assets/rig/arkit52.json`` (names, Live Link Face layout, groups).

    Returns
    -------
    dict
        Keys ``names``, ``live_link_face_csv``, ``groups``, ``mirror``, ``sources``.

    Raises
    ------
    AssetError
        If the file cannot be read or is malformed (not 52 unique names).

    Examples
    --------
    >>> arkit_table()["live_link_face_csv"]["columns"][:3]
    ['Timecode', 'BlendshapeCount', 'EyeBlinkLeft']
    """
    path = asset_path("rig", "arkit52.json")
    try:
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
        names = table["names"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetError(f"cannot read the ARKit name table {path}: {exc}") from None
    if not isinstance(names, list) or len(names) != 52 or len(set(names)) != 52:
        raise AssetError(f"{path} must list 52 unique ARKit names")
    return table
