"""Structure facts of the three packages (issue 13, "the house").

Reads the source of ``phoneme/``, ``completion/`` and ``kmtalk/`` as text (no
project module is imported) and reports:

* files over ``--max-lines`` lines (default 400), longest first;
* import cycles between project modules: the strongly connected components of
  the module graph. Counted twice: over imports at module level only (the
  cycles Python meets on import), over every import that runs, those inside
  functions included (the cycles that function-level imports hide), and over
  every import written, the typing-only ones under ``if TYPE_CHECKING:``
  included (two modules that name each other). An edge ``a -> b`` is an
  import of ``b`` written in ``a``; ``from pkg import name`` points at
  ``pkg.name`` when that is a module, else at ``pkg`` (its ``__init__``);
* project imports written inside functions, in all and by package;
* which of kmtalk's folders (stages) import which (every import that runs);
* optionally (``--tests``) the number of tests ``pytest --collect-only -q``
  collects.

Run (from the repository root; a second without ``--tests``, about a minute
with it)::

    python benchmarks/structure.py
    python benchmarks/structure.py --tests --json

No figure here is asserted by a test; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("phoneme", "completion", "kmtalk")


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the packages."""
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    """Every import statement with where it sits: ``"module"``, ``"function"`` or ``"typing"``."""
    found: list[tuple[ast.stmt, str]] = []

    def walk(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    walk(ast.Module(body=[sub], type_ignores=[]), "typing")
                for sub in child.orelse:
                    walk(ast.Module(body=[sub], type_ignores=[]), where)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, where))
            inner = where
            if where == "module" and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "function"
            walk(child, inner)

    walk(tree, "module")
    return found


def _targets(stmt: ast.stmt, module: str, is_pkg: bool, known: set[str]) -> list[str]:
    """The project modules one import statement points at."""
    out: list[str] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            name = alias.name
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.append(name)
        return out
    assert isinstance(stmt, ast.ImportFrom)
    if stmt.level:
        base = module.split(".") if is_pkg else module.split(".")[:-1]
        base = base[: len(base) - (stmt.level - 1)]
        mod = ".".join(base + ([stmt.module] if stmt.module else []))
    else:
        mod = stmt.module or ""
    if mod.split(".")[0] not in PACKAGES:
        return out
    for alias in stmt.names:
        sub = f"{mod}.{alias.name}"
        if sub in known:
            out.append(sub)
        else:
            name = mod
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.append(name)
    return out


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return sorted(comps, key=lambda c: (-len(c), c))


def _stage(module: str) -> str:
    """``kmtalk.face.rig.rig`` -> ``kmtalk/face``; a loose module is its own stage (``kmtalk/qc``)."""
    parts = module.split(".")
    return "/".join(parts[:2])


def measure(max_lines: int = 400) -> dict:
    """Collect the structure facts (see the module docstring)."""
    mods = _modules()
    known = set(mods)
    top_graph: dict[str, set[str]] = {m: set() for m in mods}
    run_graph: dict[str, set[str]] = {m: set() for m in mods}
    all_graph: dict[str, set[str]] = {m: set() for m in mods}
    inside = Counter()
    stages = Counter()
    long_files = []
    loose = Counter()
    for name, path in mods.items():
        text = path.read_text(encoding="utf-8")
        n = len(text.splitlines())
        rel = str(path.relative_to(ROOT))
        if n > max_lines:
            long_files.append((rel, n))
        if path.parent.name in PACKAGES and path.name != "__init__.py":
            loose[path.parent.name] += 1
        tree = ast.parse(text, filename=rel)
        for stmt, where in _imports(tree):
            targets = [t for t in _targets(stmt, name, path.name == "__init__.py", known) if t != name]
            if where == "function" and targets:
                inside[name.split(".")[0]] += 1
            for t in targets:
                a, b = _stage(name), _stage(t)
                if where != "typing" and a != b and a.startswith("kmtalk/") and b.startswith("kmtalk/"):
                    stages[f"{a} -> {b}"] += 1
                all_graph[name].add(t)
                if where != "typing":
                    run_graph[name].add(t)
                if where == "module":
                    top_graph[name].add(t)
    long_files.sort(key=lambda x: -x[1])
    return {
        "modules": len(mods),
        "files_over": {"limit": max_lines, "count": len(long_files), "files": long_files},
        "cycles_module_level": _sccs(top_graph),
        "cycles_run_imports": _sccs(run_graph),
        "cycles_all_imports": _sccs(all_graph),
        "imports_inside_functions": {"total": sum(inside.values()), **dict(sorted(inside.items()))},
        "loose_modules": dict(sorted(loose.items())),
        "kmtalk_stage_imports": dict(sorted(stages.items())),
    }


def count_tests() -> int:
    """Tests that ``pytest --collect-only -q`` collects."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    m = re.search(r"(\d+) tests? collected", out.stdout)
    if not m:
        raise SystemExit("pytest --collect-only gave no count:\n" + out.stdout[-2000:] + out.stderr[-2000:])
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-lines", type=int, default=400)
    ap.add_argument("--tests", action="store_true", help="also count tests (pytest --collect-only)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res = measure(args.max_lines)
    if args.tests:
        res["tests"] = count_tests()
    if args.json:
        print(json.dumps(res, indent=1))
        return
    print(f"modules: {res['modules']}")
    fo = res["files_over"]
    print(f"files over {fo['limit']} lines: {fo['count']}")
    for rel, n in fo["files"]:
        print(f"  {n:5d}  {rel}")
    for key, label in (("cycles_module_level", "import cycles, module-level imports"),
                       ("cycles_run_imports", "import cycles, + imports inside functions"),
                       ("cycles_all_imports", "import cycles, + typing-only imports (TYPE_CHECKING)")):
        comps = res[key]
        print(f"{label}: {len(comps)} ({sum(len(c) for c in comps)} modules)")
        for comp in comps:
            print("  " + " <-> ".join(comp))
    inside = res["imports_inside_functions"]
    print("project imports inside functions: " + ", ".join(f"{k} {v}" for k, v in inside.items()))
    print("loose modules beside folders: " + ", ".join(f"{k} {v}" for k, v in res["loose_modules"].items()))
    shown = {k: v for k, v in res["kmtalk_stage_imports"].items()
             if not k.endswith(("/errors", "/atomic", "-> kmtalk"))}
    print("imports between kmtalk's stages (errors, atomic and the package root left out): "
          + ", ".join(f"{k} {v}" for k, v in shown.items()))
    if "tests" in res:
        print(f"tests collected: {res['tests']}")


if __name__ == "__main__":
    main()
