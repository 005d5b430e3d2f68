"""The face: what an animation is and what it drives.

- :mod:`~kmtalk.face.arkit` — the 52 ARKit blendshape names, groups, Live Link Face layout;
- :mod:`~kmtalk.face.animation` — :class:`~kmtalk.face.animation.Animation`, the central object
  (curves, head pose, timeline, locks, audio), with its timeline operations
  (:mod:`~kmtalk.face.timeline`), checks (:mod:`~kmtalk.face.checks`) and ``.npz`` file;
- :mod:`~kmtalk.face.formats` — which file format each extension is (``export`` / ``load``);
- :mod:`~kmtalk.face.locks` — editor locks: what a lock is and how it is met;
- :mod:`~kmtalk.face.headpose` — head pose conventions, matrices and quaternions;
- :mod:`~kmtalk.face.rig` — the face rig (default head, custom heads, landmarks).

The public names are re-exported by :mod:`kmtalk` (``kmtalk.Animation``, ``kmtalk.Rig``, ...).
This package's ``__init__`` imports nothing, so that any one module loads alone.
"""
