"""The 52 ARKit face blendshape names, their groups and the Live Link Face CSV layout.

Everything here is read from the data file ``assets/rig/arkit52.json`` (the
names in the order of Apple's ``ARFaceAnchor.BlendShapeLocation``, the column
order and capitalisation of Epic's Live Link Face CSV, channel groups and
left/right mirror pairs; see that file for its sources) by
:func:`completion.arkit.arkit_table`, the one reader of it, re-exported here.

Examples
--------
>>> from kmtalk.face.arkit import ARKIT_NAMES, ARKIT_INDEX, ARKIT_GROUPS
>>> len(ARKIT_NAMES), ARKIT_NAMES[0], ARKIT_NAMES[-1]
(52, 'eyeBlinkLeft', 'tongueOut')
>>> ARKIT_INDEX["jawOpen"]
17
>>> "jawOpen" in ARKIT_GROUPS["jaw"]
True
"""

from __future__ import annotations

from completion.arkit import arkit_table

__all__ = [
    "ARKIT_GROUPS",
    "ARKIT_INDEX",
    "ARKIT_MIRROR",
    "ARKIT_NAMES",
    "LIVE_LINK_FACE_BLENDSHAPES",
    "LIVE_LINK_FACE_COLUMNS",
    "arkit_table",
    "canonical_name",
]


ARKIT_NAMES: tuple[str, ...] = tuple(arkit_table()["names"])
"""The 52 ARKit blendshape names in Apple's order (``eyeBlinkLeft`` … ``tongueOut``)."""

ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_NAMES)}
"""Name → column index in a ``[T, 52]`` weight array."""

ARKIT_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(members) for group, members in arkit_table()["groups"].items()
}
"""Channel groups: ``eyes``, ``jaw``, ``mouth``, ``tongue``, ``brows``, ``cheeks``, ``nose``."""

ARKIT_MIRROR: dict[str, str] = dict(arkit_table()["mirror"])
"""Left ↔ right partner of every sided name (``eyeBlinkLeft`` → ``eyeBlinkRight``)."""

LIVE_LINK_FACE_COLUMNS: tuple[str, ...] = tuple(arkit_table()["live_link_face_csv"]["columns"])
"""All 63 columns of a Live Link Face CSV (Timecode, BlendshapeCount, 52 shapes, 9 rotations)."""

LIVE_LINK_FACE_BLENDSHAPES: tuple[str, ...] = tuple(
    arkit_table()["live_link_face_csv"]["blendshape_columns"]
)
"""The 52 blendshape columns of a Live Link Face CSV, in its order and PascalCase spelling."""

_LOWER = {name.lower(): name for name in ARKIT_NAMES}


def canonical_name(name: str) -> str | None:
    """Map a blendshape name spelled in any case (``JawOpen``, ``jawopen``) to its ARKit name.

    Also accepts the ``_L``/``_R`` suffixes ARKit uses internally (``eyeBlink_L``).

    Parameters
    ----------
    name : str
        A blendshape name.

    Returns
    -------
    str or None
        The ARKit spelling, or ``None`` when the name is not one of the 52.

    Examples
    --------
    >>> from kmtalk.face.arkit import canonical_name
    >>> canonical_name("MouthSmileLeft"), canonical_name("eyeBlink_R"), canonical_name("smile")
    ('mouthSmileLeft', 'eyeBlinkRight', None)
    """
    key = name.strip().lower()
    if key.endswith("_l"):
        key = key[:-2] + "left"
    elif key.endswith("_r"):
        key = key[:-2] + "right"
    return _LOWER.get(key)
