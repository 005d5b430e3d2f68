"""Install size: the environment README path 1 builds, on disk, and what takes the space.

README path 1 is ``python3 -m venv .venv && pip install torch==2.13.0 && pip install .``.
This script does the same in a temporary folder (a fresh venv, the CPU torch
wheel first, then the project from a source tree), reports ``du -sh`` of the
venv and the largest entries of its ``site-packages``, then deletes it.

``--rev REV`` installs the project as it was at a git revision (``git archive``),
so a before/after pair runs on the same machine and package index.

Run (from the repository root; 1-3 min, mostly pip)::

    python benchmarks/install_size.py                 # the working tree
    python benchmarks/install_size.py --rev 1c845b2~1 # as of an older commit
    python benchmarks/install_size.py --json

No figure here is asserted by a test; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = "torch==2.13.0"


def _du_bytes(path: Path) -> int:
    """Disk usage in bytes, as ``du -sb`` counts it (apparent sizes, hard links once)."""
    out = subprocess.run(["du", "-sb", str(path)], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[0])


def _du_human(path: Path) -> str:
    out = subprocess.run(["du", "-sh", str(path)], check=True, capture_output=True, text=True)
    return out.stdout.split()[0]


def _pip(cmd: list[str]) -> None:
    """Run pip quietly; show its output only when it fails."""
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"pip failed: {' '.join(cmd)}")


def _source(rev: str | None, tmp: Path) -> Path:
    if rev is None:
        return ROOT
    src = tmp / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    return src


def measure(rev: str | None = None, top: int = 15, keep: bool = False) -> dict:
    """Build path 1's environment in a temporary folder and measure it."""
    tmp = Path(tempfile.mkdtemp(prefix="kmtalk-install-"))
    try:
        src = _source(rev, tmp)
        venv = tmp / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        t0 = time.perf_counter()
        _pip([*pip, TORCH])
        t1 = time.perf_counter()
        _pip([*pip, str(src)])
        t2 = time.perf_counter()
        (site,) = (venv / "lib").glob("python3*/site-packages")
        entries = sorted(((_du_bytes(p), p.name) for p in site.iterdir()), reverse=True)
        freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
                                check=True, capture_output=True, text=True).stdout
        torch_bytes = sum(b for b, n in entries if n == "torch" or n.startswith("torch-"))
        result = {
            "source": rev or "working tree",
            "venv_bytes": _du_bytes(venv),
            "venv_du_h": _du_human(venv),
            "torch_bytes": torch_bytes,
            "largest": [{"name": n, "bytes": b} for b, n in entries[:top]],
            "n_packages": len(json.loads(freeze)),
            "pip_torch_s": round(t1 - t0, 1),
            "pip_project_s": round(t2 - t1, 1),
            "python": sys.version.split()[0],
        }
        if keep:
            result["kept"] = str(venv)
        return result
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", help="install the project as of this git revision (default: working tree)")
    ap.add_argument("--top", type=int, default=15, help="how many site-packages entries to list")
    ap.add_argument("--keep", action="store_true", help="keep the venv and print its path")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    r = measure(args.rev, args.top, args.keep)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    mb = 1024 * 1024
    print(f"source: {r['source']}   python {r['python']}   {r['n_packages']} packages")
    print(f"venv: {r['venv_bytes'] / mb:.0f} MiB (du -sh: {r['venv_du_h']}), "
          f"torch alone {r['torch_bytes'] / mb:.0f} MiB")
    print(f"pip: torch {r['pip_torch_s']} s, project {r['pip_project_s']} s")
    for e in r["largest"]:
        print(f"  {e['bytes'] / mb:8.1f} MiB  {e['name']}")
    if "kept" in r:
        print(f"kept: {r['kept']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
