"""Batch runs: a manifest of lines → outputs per line, QC and a report (``kmtalk batch manifest.csv``).

- :mod:`.manifest` reads the CSV (columns: id, audio, transcript/TextGrid,
  language, locks, source animation, outputs);
- :mod:`.line` animates (or re-times), writes, checks and records one line,
  skipping unchanged lines and protecting edited or locked outputs;
- :mod:`.runner` runs every line in parallel workers (or on Ray) and writes the reports;
- :mod:`.decisions` holds approved lines; :mod:`.preview`, :mod:`.player` and
  :mod:`.review_server` make the review page;
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

from .line import LineResult, process_line
from .manifest import ManifestLine, read_manifest
from .runner import BatchResult, run_batch

run = run_batch

__all__ = ["BatchResult", "LineResult", "ManifestLine", "process_line", "read_manifest", "run", "run_batch"]
