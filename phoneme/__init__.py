"""phoneme — kmtalk's linguistic front end.

Text normalisation, pronunciation (G2P), forced alignment, the viseme lexicon
and key-motion selection. Depends on numpy, praatio, pocketsphinx and g2p-en;
never on torch, :mod:`completion` or :mod:`kmtalk`.

Examples
--------
>>> from phoneme import align, select_keys  # doctest: +SKIP
>>> a = align("line.wav", "Bob bought a big blue balloon.")  # doctest: +SKIP
>>> [k.kind for k in select_keys(a, fps=30)][:3]  # doctest: +SKIP
['rest', 'bilabial_closure', 'vowel_apex']
"""

from .errors import *  # noqa: F401,F403
from .types import SILENCE, Alignment, Interval, is_silence
from .aligning import align
from .audio import load_audio
from .g2p import Pronouncer, pronounce
from .keys import KEY_KINDS, KeyMotion, select_keys
from .lexicon import VISEMES, Lexicon, load_lexicon
from .loudness import frame_loudness
from .phones import ENGLISH_IPA, arpabet_to_ipa, ipa_to_arpabet
from .text import normalize_text

__all__ = [
    "SILENCE", "Alignment", "Interval", "is_silence",
    "align", "load_audio", "frame_loudness",
    "normalize_text", "Pronouncer", "pronounce",
    "ENGLISH_IPA", "arpabet_to_ipa", "ipa_to_arpabet",
    "VISEMES", "Lexicon", "load_lexicon",
    "KEY_KINDS", "KeyMotion", "select_keys",
]
