"""espeak-ng through its C library: synthesis with exact phone timing, IPA, voices.

espeak-ng reports, while it synthesises, where each word and phoneme begins
in the audio it returns (sample-exact). :func:`synthesize` turns those events
into word and phone intervals, which makes espeak-ng a source of speech with a
known ("gold") alignment for testing aligners. See
:mod:`phoneme.espeak.synthesis` for exactly what the times mean.

Needs the system library ``libespeak-ng.so.1`` (Debian/Ubuntu:
``apt-get install libespeak-ng1``); without it every function raises
:class:`~phoneme.errors.BackendUnavailableError`.

Examples
--------
>>> from phoneme.espeak import synthesize
>>> syn = synthesize("Bob fed five blue balloons.")
>>> syn.sample_rate, [w.label for w in syn.words][:3]
(22050, ['Bob', 'fed', 'five'])
"""

from .ipa import espeak_to_ipa
from .phonemize import phonemize
from .synthesis import Synthesis, TimedLabel, synthesize
from .voices import UnknownVoiceError, Voice, list_voices

__all__ = [
    "Synthesis",
    "TimedLabel",
    "UnknownVoiceError",
    "Voice",
    "espeak_to_ipa",
    "list_voices",
    "phonemize",
    "synthesize",
]
