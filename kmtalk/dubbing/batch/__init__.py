"""Batch runs: a manifest of lines → outputs per line, QC and a report (``kmtalk batch manifest.csv``).

- :mod:`.manifest` reads the CSV (columns: id, audio, transcript/TextGrid,
  language, locks, source animation, outputs);
- :mod:`.runner` animates (or re-times) each line in parallel workers,
  skips unchanged lines and protects edited or locked outputs;
- :mod:`.state` keeps the per-line records (hashes) that make that possible;
- :mod:`.report` writes ``report.csv`` and a self-contained ``report.html``;
- :mod:`.ray_executor` runs the lines as Ray tasks (``executor="ray"``, the ``ray`` extra).

:func:`run` is :func:`run_batch`.

Examples
--------
>>> from kmtalk.dubbing.batch import run_batch
>>> result = run_batch("lines.csv", workers=2, progress=True)  # doctest: +SKIP
>>> result.count("failed"), result.report_html.name             # doctest: +SKIP
(0, 'report.html')
"""

from .manifest import ManifestLine, read_manifest
from .runner import BatchResult, LineResult, process_line, run_batch

run = run_batch

__all__ = ["BatchResult", "LineResult", "ManifestLine", "process_line", "read_manifest", "run", "run_batch"]
