"""Cold CLI against warm in-process: what a one-shot ``kmtalk animate`` pays beyond the work.

On the bundled example (``assets/examples/hello.wav``, 3.2 s, with ``hello.txt``):

* ``cold CLI``: wall time of ``kmtalk animate hello.wav --text-file hello.txt -o x.glb``,
  each in a fresh process (what a user's shell call costs). The runs share a new, empty
  user cache (``KMTALK_CACHE_DIR``, see :mod:`phoneme.usercache`): the first run fills it
  (reported alone as ``first run``), the median is over the runs after it;
* ``warm``: in one long-lived process, after one warm-up call, the same work in process:
  ``kmtalk.animate(wav, text)`` then ``anim.export("x.glb")`` (the CLI writes the file too),
  and ``kmtalk.animate`` alone;
* reference points, each a fresh process: ``python -c pass``, ``import kmtalk``,
  ``kmtalk --help``, ``import torch``.

Every figure is the median of ``--runs`` (default 5), all measured in one run of
this script. Target (issue 13): cold CLI <= warm (animate + export) + 1.5 s.

Run (from the repository root; about 1 min)::

    python benchmarks/cli_cold.py
    python benchmarks/cli_cold.py --runs 5 --json

The CLI is the ``kmtalk`` script beside this Python (``python -m kmtalk`` if there
is none). No figure here is asserted by a test; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAV = ROOT / "assets" / "examples" / "hello.wav"
TXT = ROOT / "assets" / "examples" / "hello.txt"

_WARM = r"""
import json, statistics, sys, time, logging, warnings
logging.disable(logging.WARNING); warnings.simplefilter("ignore")
import kmtalk
wav, txt, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(txt, encoding="utf-8").read().strip()
kmtalk.animate(wav, text).export(out)  # warm-up: dictionaries, model, decoder
both, alone = [], []
for _ in range(runs):
    t0 = time.perf_counter(); anim = kmtalk.animate(wav, text); t1 = time.perf_counter()
    anim.export(out); t2 = time.perf_counter()
    alone.append(t1 - t0); both.append(t2 - t0)
print(json.dumps({"warm_animate_export": statistics.median(both), "warm_animate": statistics.median(alone)}))
"""


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "kmtalk"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "kmtalk"]


def _times(cmd: list[str], runs: int, cwd: str, env: dict) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=cwd, env=env)
        times.append(time.perf_counter() - t0)
    return times


def _wall(cmd: list[str], runs: int, cwd: str, env: dict) -> float:
    return statistics.median(_times(cmd, runs, cwd, env))


def measure(runs: int = 5) -> dict:
    """All figures in seconds (medians of ``runs``)."""
    with tempfile.TemporaryDirectory(prefix="kmtalk-cli-") as tmp:
        # run outside the source tree (so an installed kmtalk is what runs), with a new user cache
        env = {**os.environ, "KMTALK_CACHE_DIR": str(Path(tmp) / "cache")}
        out = str(Path(tmp) / "x.glb")
        cli = _cli()
        r = {"runs": runs, "cli": " ".join(cli)}
        cold = _times([*cli, "animate", str(WAV), "--text-file", str(TXT), "-o", out], runs + 1, tmp, env)
        r["cold_cli_first"], r["cold_cli"] = cold[0], statistics.median(cold[1:])
        r["python_pass"] = _wall([sys.executable, "-c", "pass"], runs, tmp, env)
        r["import_kmtalk"] = _wall([sys.executable, "-c", "import kmtalk"], runs, tmp, env)
        r["import_torch"] = _wall([sys.executable, "-c", "import torch"], runs, tmp, env)
        r["help"] = _wall([*cli, "--help"], runs, tmp, env)
        warm = subprocess.run([sys.executable, "-c", _WARM, str(WAV), str(TXT), out, str(runs)],
                              check=True, capture_output=True, text=True, cwd=tmp, env=env)
        r.update(json.loads(warm.stdout.strip().splitlines()[-1]))
        r["kmtalk_module"] = subprocess.run(
            [sys.executable, "-c", "import kmtalk; print(kmtalk.__file__)"], check=True,
            capture_output=True, text=True, cwd=tmp, env=env).stdout.strip()
    r["overhead"] = r["cold_cli"] - r["warm_animate_export"]
    r["target_met"] = r["overhead"] <= 1.5
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = measure(args.runs)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"medians of {r['runs']} (s)   cli: {r['cli']}   kmtalk: {r['kmtalk_module']}")
    for key, label in [("python_pass", "python -c pass"), ("import_kmtalk", "import kmtalk"),
                       ("import_torch", "import torch"), ("help", "kmtalk --help"),
                       ("cold_cli_first", "cold CLI, first run"),
                       ("cold_cli", "cold CLI animate -> glb"),
                       ("warm_animate_export", "warm animate + export glb"),
                       ("warm_animate", "warm animate alone")]:
        print(f"  {label:28s} {r[key]:6.2f}")
    print(f"  cold - warm = {r['overhead']:.2f} s (target <= 1.5 s: {'met' if r['target_met'] else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
