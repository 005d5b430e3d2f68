"""The animation stage: speech (+ transcript) → ARKit-52 curves.

- :mod:`~kmtalk.animator.api` — :func:`kmtalk.animate`, the pipeline: audio, transcript check,
  alignment, loudness, the animator, styles;
- :mod:`~kmtalk.animator.prior` — the linguistic prior (lexicon poses + coarticulation), no weights;
- :mod:`~kmtalk.animator.learned` — the learned path (KMTalk's networks, from :mod:`completion`;
  torch is imported only here, lazily, so the prior path never loads it);
- :mod:`~kmtalk.animator.closures` — the closure guarantee: the articulatory facts every
  animation meets, computed and applied in one place;
- :mod:`~kmtalk.animator.styles` — pluggable styles (articulation, emotion, head, reference).

Editor locks themselves (what a lock is, how it is met) are :mod:`kmtalk.face.locks`.
This package's ``__init__`` imports nothing, so that any one module loads alone.
"""
