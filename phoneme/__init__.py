"""phoneme — kmtalk's linguistic front end.

Text normalisation, pronunciation (G2P), forced alignment, the viseme lexicon
and key-motion selection. Depends on numpy, praatio, pocketsphinx and g2p-en;
never on torch, :mod:`completion` or :mod:`kmtalk`.
"""

from .errors import *  # noqa: F401,F403
from .types import SILENCE, Alignment, Interval, is_silence
from .aligning import align  # noqa: E402
from .audio import load_audio  # noqa: E402

__all__ = ["SILENCE", "Alignment", "Interval", "is_silence"]
__all__ += ["align", "load_audio"]
