"""Check the package's structure: module sizes and import cycles (imports at any depth, function-level too).

Usage: ``python tools/check_structure.py`` (exit 1 and a report when a check fails).
``tests/test_package.py`` runs the same checks.

- No file in ``src/mmsim`` over :data:`MAX_LINES` lines (those in :data:`SIZE_EXCEPTIONS` aside).
- No import cycle between mmsim's modules. Every ``import``/``from ... import`` in a
  module counts, inside functions too (a cycle hidden behind a function-level import
  is still a cycle). ``from pkg import name`` counts as an import of ``pkg.name``
  when that is a module, else of ``pkg``; importing a package runs its ``__init__``,
  so a package's edges include those of its ``__init__`` to its own submodules.
  Imports of the top package ``mmsim`` itself are not edges (they read
  ``__version__``; the top package imports every public module).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "mmsim"
MAX_LINES = 600
#: Files allowed over MAX_LINES, with the reason.
SIZE_EXCEPTIONS: dict[str, str] = {}


def modules() -> dict[str, Path]:
    out = {}
    for p in sorted((SRC / PACKAGE).rglob("*.py")):
        rel = p.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _resolve(mod: str, is_pkg: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports under `if TYPE_CHECKING:` are for the type checker only: no runtime edge.
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                       for stmt in node.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod, is_pkg, node.level, node.module)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.append(sub if sub in mods else base)
            for t in targets:
                # the longest mmsim module that t is or is inside of
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if not t or t == mod or t == PACKAGE:
                    continue
                graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def oversized(mods: dict[str, Path]) -> dict[str, int]:
    out = {}
    for _, p in mods.items():
        n = len(p.read_text(encoding="utf-8").splitlines())
        rel = str(p.relative_to(SRC))
        if n > MAX_LINES and rel not in SIZE_EXCEPTIONS:
            out[rel] = n
    return out


def main() -> int:
    mods = modules()
    bad = 0
    for comp in cycles(imports(mods)):
        print("import cycle:", " <-> ".join(comp))
        bad = 1
    for rel, n in oversized(mods).items():
        print(f"{rel}: {n} lines (over {MAX_LINES})")
        bad = 1
    if not bad:
        print(f"{len(mods)} modules: no import cycle, none over {MAX_LINES} lines "
              f"(exceptions: {', '.join(SIZE_EXCEPTIONS) or 'none'})")
    return bad


if __name__ == "__main__":
    sys.exit(main())
