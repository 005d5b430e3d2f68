"""The training stage: data to learn from, fine-tuning, and the scores that judge it.

- :mod:`kmtalk.train.corpus` — training corpora: synthetic (espeak-ng speech with
  prior-animated targets, ``python -m kmtalk.train.corpus.synthetic``) and captured
  from talking-head video (:mod:`kmtalk.train.corpus.captured`);
- :mod:`kmtalk.train.finetune` — fine-tuning a checkpoint on talking-head video
  (``kmtalk finetune``);
- :mod:`kmtalk.train.videos` — the video clip folders (audio, landmarks, transcript);
- :mod:`kmtalk.train.metrics` — lip gap, lip aperture, closure rate and lip-sync scores.

Nothing is imported here: each module loads (with torch where it needs it) on first use.
See ``docs/training.md``.
"""
