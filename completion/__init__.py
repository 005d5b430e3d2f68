"""completion — audio features, the key-motion network and the cross-modal completion transformer.

Depends on torch, numpy and :mod:`phoneme` types; never on :mod:`kmtalk`.
"""

__all__: list[str] = []
