"""A fingerprint of a strategy's code, recorded with each sweep point so a resume notices an edited plugin.

A point's id hashes its config (the strategy's path and parameters among it), not the
code the path names: after an edit to the plugin, or to a helper module it imports, the
ids are the same and a resume would reuse results of the old code. Each record therefore
carries ``strategy_code``, a digest of the code its strategy ran, and a resume runs again
the points whose recorded digest is not the current one (docs/sweeps.md, "Point ids").

What the digest covers:

- a numba strategy (:func:`mmsim.numba_strategy.numba_strategy`): what its compile cache is
  keyed on (:func:`mmsim._numba_support._fingerprint_into`): the rule's code, the whole file
  it is in, and recursively the code and files of the functions it calls and the constants
  it reads;
- any other strategy (a class, a factory function, an entry point): the source file of
  the module that defines it and of the modules of its base classes, and recursively the
  source files of the modules, functions and classes those modules' globals hold, as long
  as the file is the user's own code (the modules its source imports too, so a constant taken
  with ``from consts import SIZE`` is covered by ``consts.py``): not in the Python installation (standard library,
  ``site-packages``) nor in mmsim itself. An installed package's strategy (an entry point)
  is covered by its own module's file only.

Not covered: mmsim's own code (an mmsim upgrade does not rerun a sweep), data files a
strategy reads, and code reached only through ``importlib`` or ``getattr`` at run time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["CODE_FIELD", "changed_code", "code_fingerprint", "current_codes", "strategy_label", "with_followers"]

#: The record's field that holds :func:`code_fingerprint` of the point's strategy.
CODE_FIELD = "strategy_code"


def strategy_label(spec: str) -> str:
    """A strategy spec as messages name it: ``fixed_spread.py:FixedSpread`` for a file path, else as written."""
    target, sep, attr = str(spec).rpartition(":")
    if sep and ("/" in target or "\\" in target):
        return f"{Path(target).name}:{attr}"
    return str(spec)


def code_fingerprint(obj: Any) -> str:
    """A digest of the code of the strategy ``obj`` names (16 hex digits).

    Parameters
    ----------
    obj : object
        What :func:`mmsim.plugins.resolve_strategy` returns: a strategy class, a numba
        strategy type, or a factory function.

    Returns
    -------
    str
        The same for the same code in every process; a different one after an edit to
        any file the module docstring lists as covered.
    """
    from ..numba_strategy import NumbaStrategyType

    h = hashlib.sha256()
    if isinstance(obj, NumbaStrategyType):
        from .._numba_support import _fingerprint_into

        h.update(b"numba\0")
        _fingerprint_into(h, obj.rule, set(), set())
        return h.hexdigest()[:16]
    h.update(b"python\0")
    for path in sorted(_user_files(obj)):
        data = Path(path).read_bytes()
        h.update(f"{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:16]


def _excluded_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(__file__).resolve().parents[1])}  # the mmsim package
    paths = sysconfig.get_paths()
    roots |= {paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if paths.get(name)}
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


def _module_file(mod: Any) -> str | None:
    f = getattr(mod, "__file__", None)
    if not f or not f.endswith(".py") or not os.path.isfile(f):
        return None
    return os.path.realpath(f)


def _imported_modules(mod: types.ModuleType) -> Iterable[Any]:
    """The modules ``mod``'s source imports (``import x``, ``from x import NAME``), as loaded now.

    ``from consts import SIZE`` leaves only an int in the module's globals: without
    reading the import statements, an edit to ``consts.py`` changed the strategy and
    not its fingerprint (the sweep reused the old code's points without a word).
    """
    import ast

    f = _module_file(mod)
    if f is None:
        return
    try:
        tree = ast.parse(Path(f).read_bytes())
    except (SyntaxError, ValueError, OSError):
        return
    package = getattr(mod, "__package__", None) or ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield sys.modules.get(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, base] if base else parts)
            if base:
                yield sys.modules.get(base)
            for alias in node.names:
                yield sys.modules.get(f"{base}.{alias.name}" if base else alias.name)


def _referenced_modules(mod: types.ModuleType) -> Iterable[Any]:
    yield from _imported_modules(mod)
    for value in list(vars(mod).values()):
        if isinstance(value, types.ModuleType):
            yield value
            continue
        py = getattr(value, "py_func", value)  # a numba dispatcher: its Python function's module
        if isinstance(py, (type, types.FunctionType)) or hasattr(value, "py_rule"):
            name = getattr(py, "__module__", None)
            if isinstance(name, str):
                yield sys.modules.get(name)


def _user_files(obj: Any) -> set[str]:
    """The source files of the strategy's own module and the user code it reaches (module docstring)."""
    starts: list[Any] = []
    name = getattr(getattr(obj, "py_func", obj), "__module__", None)
    if isinstance(name, str):
        starts.append(sys.modules.get(name))
    if isinstance(obj, type):
        starts += [sys.modules.get(c.__module__) for c in obj.__mro__[1:]]
    excluded = _excluded_roots()
    files: set[str] = set()
    seen: set[int] = set()
    todo = [(m, i == 0) for i, m in enumerate(starts) if m is not None]
    while todo:
        mod, own = todo.pop()
        if mod is None or id(mod) in seen:
            continue
        seen.add(id(mod))
        f = _module_file(mod)
        if f is None or (not own and f.startswith(excluded)):
            continue
        files.add(f)
        todo += [(m, False) for m in _referenced_modules(mod)]
    return files


def current_codes(points: Iterable[Any]) -> dict[str, str | None]:
    """Strategy path (as in the points' configs) -> :func:`code_fingerprint` of what it names now.

    None for a strategy that does not resolve here (its points fail the sweep's check if they
    are to run; a recorded point of it cannot be checked and is reused).
    """
    from ..errors import MmsimError
    from ..plugins import resolve_strategy

    codes: dict[str, str | None] = {}
    for p in points:
        spec = p.config.strategy.path
        if spec not in codes:
            try:
                codes[spec] = code_fingerprint(resolve_strategy(spec))
            except (MmsimError, OSError):
                codes[spec] = None
    return codes


def with_followers(grid: Any, done: Any, ids: set[str], notes: list[str]) -> set[str]:
    """``ids`` (recorded points that run again) and the recorded points compared with a baseline point among
    them (their comparison is against the old record), with a note in ``notes`` when there are any."""
    plan = grid.baseline
    if plan is None or not ids:
        return ids
    follow = {p.id for p in grid.points if p.id in done and p.id not in ids and plan.of.get(p.id) in ids}
    if follow:
        notes.append(f"mmsim sweep: {len(follow)} more point(s) are compared with a baseline point that runs "
                     "again; running them again too")
    return ids | follow


def changed_code(grid: Any, done: dict[str, dict[str, Any]], codes: dict[str, str | None],
                 where: str) -> tuple[set[str], list[str]]:
    """The recorded points to run again because their strategy's code changed, and the notes that say so.

    A record whose ``strategy_code`` is not the current fingerprint of its strategy runs again
    (ok or failed alike), and so does a point compared with a baseline point that runs again
    for that reason (its comparison is against the old code). A record without the field
    (written by an earlier mmsim), or of a strategy that does not load now, is reused
    unchecked, with a note.
    """
    again: dict[str, list[str]] = {}
    unchecked = 0
    unloadable: dict[str, int] = {}
    for p in grid.points:
        rec = done.get(p.id)
        if rec is None:
            continue
        spec = p.config.strategy.path
        if CODE_FIELD not in rec:
            unchecked += 1
        elif codes.get(spec) is None:
            unloadable[spec] = unloadable.get(spec, 0) + 1
        elif rec[CODE_FIELD] != codes[spec]:
            again.setdefault(spec, []).append(p.id)
    ids = {i for v in again.values() for i in v}
    notes = [f"mmsim sweep: the code of strategy {strategy_label(spec)} changed since {len(v)} of its points were "
             f"recorded in {where}; running them again" for spec, v in again.items()]
    ids = with_followers(grid, done, ids, notes)
    for spec, n in unloadable.items():
        # Its code could not be read now (a syntax error, a file moved): the summary's "the same
        # strategy code" would be a claim nobody checked.
        notes.append(f"mmsim sweep: strategy {strategy_label(spec)} does not load now, so the code of its {n} "
                     f"recorded point(s) in {where} could not be checked; they are reused unchecked")
    if unchecked:
        notes.append(f"mmsim sweep: {unchecked} point(s) in {where} were recorded without a fingerprint of their "
                     "strategy's code (an earlier mmsim wrote them); they are reused unchecked: after editing a "
                     "strategy, run with --force")
    return ids, notes
