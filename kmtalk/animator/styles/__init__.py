"""Pluggable styles: change how a line is animated without touching its lip-sync.

``kmtalk.animate(..., style=...)`` takes style *specs* that compose in order::

    kmtalk.animate("line.wav", text, style=["articulation:lip=1.3", "emotion:happy=0.5", "head"], seed=7)

Built-in styles:

================  =============================================================
``articulation``  jaw and lip intensity — the JALI axes (``jaw=``, ``lip=``, 0–3)
``emotion``       happy / sad / angry / surprised overlay on brows, eyes,
                  cheeks and smile (``happy=0.5``); closures stay closed
``head``          head nods on stressed syllables, slow sway, and blinks
                  every 2–6 s, more at pauses (``nod=``, ``sway=``, ``blink=``)
``reference``     match a reference animation's style embedding
                  (``path=ref.npz``); a learned animator gets the embedding
================  =============================================================

The JALI mapping of earlier versions, ``style={"jaw": 1.2, "lip": 0.8}``,
still works (it is ``articulation``). Write your own with
:class:`BaseStyle` and :func:`register_style`, or ship it in a package
under the ``kmtalk.styles`` entry-point group: see ``docs/styles.md``.

Examples
--------
>>> from kmtalk.animator.styles import available_styles, parse_styles
>>> sorted(set(available_styles()) & {"articulation", "emotion", "head", "reference"})
['articulation', 'emotion', 'head', 'reference']
>>> [s.spec() for s in parse_styles("emotion:sad=0.4; head:nod=0.5")]
['emotion:sad=0.4', 'head:nod=0.5']
"""

from .articulation import ArticulationStyle
from .base import AXIS_RANGE, BaseStyle, PriorParams, Style, StyleContext
from .emotion import EMOTIONS, EmotionStyle, emotion_poses
from .head import BLINK_INTERVAL_S, HeadStyle
from .pipeline import Stylized, stylize
from .reference import EMBEDDING_SIZE, ReferenceStyle, StyleEmbedding, style_embedding
from .registry import (
    ENTRY_POINT_GROUP,
    available_styles,
    get_style,
    parse_spec,
    parse_styles,
    register_style,
)

__all__ = [
    "AXIS_RANGE",
    "BLINK_INTERVAL_S",
    "EMBEDDING_SIZE",
    "EMOTIONS",
    "ENTRY_POINT_GROUP",
    "ArticulationStyle",
    "BaseStyle",
    "EmotionStyle",
    "HeadStyle",
    "PriorParams",
    "ReferenceStyle",
    "Style",
    "StyleContext",
    "StyleEmbedding",
    "Stylized",
    "available_styles",
    "emotion_poses",
    "get_style",
    "parse_spec",
    "parse_styles",
    "register_style",
    "style_embedding",
    "stylize",
]

for _name, _factory in (("articulation", ArticulationStyle), ("emotion", EmotionStyle),
                        ("head", HeadStyle), ("reference", ReferenceStyle)):
    register_style(_name, _factory, replace=True)
del _name, _factory
