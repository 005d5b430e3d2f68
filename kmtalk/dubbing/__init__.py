"""The dubbing stage: re-time an animation to a new recording of its line, check it, run many.

- :mod:`~kmtalk.dubbing.retime` — :func:`kmtalk.retime`: carry locks and hand edits to a new take;
- :mod:`~kmtalk.dubbing.correspond` — which phones and words of two takes are the same;
- :mod:`~kmtalk.dubbing.qc` — the QC report (closures, A/V sync, locks that open closures);
- :mod:`~kmtalk.dubbing.batch` — ``kmtalk batch``: manifests, local pool or Ray, review page.

This package's ``__init__`` imports nothing, so that any one module loads alone.
"""
