"""Internals of :mod:`mmsim.numba_strategy`: the compile cache (rule fingerprints, one wrapper module per
fingerprint, stale caches) and the pure-Python twins of numba records (the debuggable Python path).

Split out of :mod:`mmsim.numba_strategy` (whose docstring explains the scheme);
nothing here is public. numba's ``cfunc(cache=True)`` caches per source file
and checks only that file's time stamp, so mmsim writes one tiny wrapper module
per rule, named by a fingerprint of the rule's code, its file and everything it
calls, into ``$MMSIM_CACHE_DIR`` (else ``$XDG_CACHE_HOME/mmsim``, else a per-user
temp folder). The callback's return codes and their messages live here too (the
wrapper template writes them); :mod:`mmsim.numba_strategy` re-exports them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import threading
import types as pytypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._paths import cache_dir as _cache_dir
from .errors import StrategyError
from .records import QUOTE_DTYPE, VIEW_DTYPE
from .strategy import View

#: Return codes of the compiled callback: 0 = no change, 1 = ``out`` holds the
#: targets; every other value is an error, with the message below.
CODE_NO_CHANGE = 0
CODE_QUOTE = 1
CODE_RAISED = 2
CODE_BAD_RETURN = 3
#: A rule's return value v other than 0 or 1 with |v| < 2**31 comes back as
#: ``CODE_BAD_RETURN_BASE + v``, so the message names it (larger ones as CODE_BAD_RETURN).
CODE_BAD_RETURN_BASE = 1 << 40
_VALUE_SPAN = 1 << 31

#: Error code -> message, for the engine's wrapper to turn a code into a StrategyError.
NATIVE_ERRORS: dict[int, str] = {
    CODE_RAISED: (
        "the strategy raised an exception (numba does not carry its message across the "
        "C boundary; run the same rule on the Python path, e.g. `<strategy>.python(...)`, "
        "to see the exception and its traceback)"
    ),
    CODE_BAD_RETURN: "the strategy returned a value other than 0 (no change) or 1 (quote in out)",
}


def native_error_message(code: int) -> str:
    """Message for a return code of a compiled strategy callback.

    Parameters
    ----------
    code : int
        What the callback returned (anything but 0 or 1).

    Returns
    -------
    str
        A sentence naming what went wrong, without the strategy name or time
        (the caller adds both).
    """
    code = int(code)
    if CODE_BAD_RETURN_BASE - _VALUE_SPAN <= code < CODE_BAD_RETURN_BASE + _VALUE_SPAN:
        return f"{NATIVE_ERRORS[CODE_BAD_RETURN]} (it returned {code - CODE_BAD_RETURN_BASE})"
    return NATIVE_ERRORS.get(code, f"the strategy callback returned the unknown code {code}")


def _is_dispatcher(obj: Any) -> bool:
    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return isinstance(obj, Dispatcher)


def _code_names(code: pytypes.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            names |= _code_names(const)
    return names


def _fingerprint_into(h: Any, func: Any, seen: set[int], files: set[str]) -> None:
    py = func.py_func if _is_dispatcher(func) else func
    if not isinstance(py, pytypes.FunctionType) or id(py) in seen:
        return
    seen.add(id(py))
    _code_into(h, py.__code__)
    h.update(repr(py.__defaults__).encode())
    try:
        src = inspect.getsourcefile(py)
    except TypeError:
        src = None
    if src and src not in files and os.path.isfile(src):
        # The whole file: numba freezes module globals into the machine code, so an
        # edited constant next to the rule must change the fingerprint too.
        files.add(src)
        h.update(Path(src).read_bytes())
    for dep in _deps(py):
        if _is_dispatcher(dep) or isinstance(dep, pytypes.FunctionType):
            _fingerprint_into(h, dep, seen, files)
        elif isinstance(dep, (bool, int, float, str, bytes, tuple)):
            h.update(repr(dep).encode())
        elif isinstance(dep, np.ndarray):
            h.update(repr(dep.dtype).encode() + dep.tobytes())


def _code_into(h: Any, code: pytypes.CodeType) -> None:
    """Hash what a code object does, the same in every process.

    Not ``marshal.dumps``: its bytes depend on reference counts (shared constants are
    written once and referenced after), which differ between a module compiled from
    source and one loaded from its ``.pyc``, so the fingerprint changed between the
    first and the second process and the compiled callback was never found again.
    """
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars, code.co_argcount,
                   code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags)).encode())
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            _code_into(h, const)
        elif isinstance(const, frozenset):
            h.update(repr(sorted(map(repr, const))).encode())
        else:
            h.update(repr(const).encode())


def _deps(py: pytypes.FunctionType) -> list[Any]:
    """What a function's code can reach: the globals it names, its closure cells, and the
    attributes it names of modules among those globals (``helpers.offset()``)."""
    names = sorted(_code_names(py.__code__))
    found = [py.__globals__.get(n) for n in names]
    modules = [m for m in found if isinstance(m, pytypes.ModuleType)]
    for mod in modules:  # its namespace, not getattr: a module's lazy __getattr__ must not run here
        space = vars(mod)
        found += [space.get(n) for n in names]
    return found + [c.cell_contents for c in (py.__closure__ or ()) if _cell_filled(c)]


def _cell_filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


_own_digest: str | None = None


def _own_code_digest() -> str:
    """A hash of mmsim's own compile-time code (the wrapper and the return-value check live in
    these two files): an edit to them is new machine code for every rule, version bump or not."""
    global _own_digest
    if _own_digest is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for name in ("_numba_support.py", "numba_strategy.py"):
            h.update((here / name).read_bytes())
        _own_digest = h.hexdigest()
    return _own_digest


def _fingerprint(rule: Any, param_names: tuple[str, ...], state_size: int) -> str:
    import numba

    from . import __version__

    py = rule.py_func if _is_dispatcher(rule) else rule
    h = hashlib.sha256()
    # The module name too: numba's cached machine code re-imports the rule's module by
    # name to rebuild its environment, so one file loaded under two names needs two entries.
    h.update(repr((__version__, numba.__version__, sys.version_info[:2], VIEW_DTYPE.descr, QUOTE_DTYPE.descr,
                   param_names, state_size, py.__module__, _WRAPPER_TEMPLATE, _own_code_digest())).encode())
    _fingerprint_into(h, rule, set(), set())
    return h.hexdigest()[:24]


_WRAPPER_TEMPLATE = '''\
"""Generated by mmsim.numba_strategy for {qualname} ({module}); do not edit.

Fingerprint {fingerprint}: a changed rule gets a new file, so numba's per-file
cache can never hand back stale machine code.
"""
import numpy as np
from numba import carray

from mmsim.numba_strategy import _return_code
from mmsim.records import QUOTE_DTYPE, VIEW_DTYPE

PARAMS_DTYPE = np.dtype({params_descr!r}, align=True)
STATE_SIZE = {state_size}

# Set by mmsim before the first compile; a cache hit never reads it.
rule = None


def callback(view_ptr, params_ptr, state_ptr, out_ptr):
    view = carray(view_ptr, 1, VIEW_DTYPE)[0]
    params = carray(params_ptr, 1, PARAMS_DTYPE)[0]
    state = carray(state_ptr, STATE_SIZE, np.float64)
    out = carray(out_ptr, 1, QUOTE_DTYPE)[0]
    try:
        code = _return_code(rule(view, params, state, out))
    except Exception:
        return {raised}
    if code == 0 or code == 1:
        return code
    if -{value_span} <= code < {value_span}:
        return {bad_return_base} + code  # the engine's message names the value
    return {bad_return}
'''


def _writable_dir(*candidates: Path) -> Path:
    for d in candidates:
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = d / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            return d
        except OSError:
            continue
    raise StrategyError(f"no writable cache directory for compiled strategies (tried {', '.join(map(str, candidates))}); "
                        "set MMSIM_CACHE_DIR")


def _wrapper_module(rule: Any, fingerprint: str, params_dtype: np.dtype, state_size: int) -> pytypes.ModuleType:
    """Write (once) and import the wrapper module for this fingerprint."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    root = _writable_dir(_cache_dir() / "cfunc", Path(tempfile.gettempdir()) / f"mmsim-{uid}" / "cfunc")
    modname = f"_mmsim_cfunc_{fingerprint}"
    path = root / f"{modname}.py"
    if not path.exists():
        py = rule.py_func if _is_dispatcher(rule) else rule
        text = _WRAPPER_TEMPLATE.format(
            qualname=py.__qualname__, module=py.__module__, fingerprint=fingerprint,
            params_descr=[(n, "<f8") for n in params_dtype.names or ()], state_size=state_size,
            raised=CODE_RAISED, bad_return=CODE_BAD_RETURN, bad_return_base=CODE_BAD_RETURN_BASE,
            value_span=_VALUE_SPAN,
        )
        # Write then rename, so a parallel sweep never imports a half-written file; the
        # file is never rewritten, so numba's time-stamp check keeps hitting its cache.
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return module


def _dispatchers(func: Any, seen: set[int] | None = None) -> list[Any]:
    """The jitted functions a rule reaches through its globals and closure, itself included."""
    seen = set() if seen is None else seen
    py = func.py_func if _is_dispatcher(func) else func
    if not isinstance(py, pytypes.FunctionType) or id(py) in seen:
        return []
    seen.add(id(py))
    found = [func] if _is_dispatcher(func) else []
    for dep in _deps(py):
        if _is_dispatcher(dep) or isinstance(dep, pytypes.FunctionType):
            found += _dispatchers(dep, seen)
    return found


def _dependency_digest(py: pytypes.FunctionType) -> str:
    """A hash of what a jitted function's machine code is built from: its code, its file, and
    recursively the code and files of the functions it calls (as :func:`_fingerprint` reads them)."""
    h = hashlib.sha256()
    _fingerprint_into(h, py, set(), set())
    return h.hexdigest()[:24]


_dep_cache_classes: tuple[type, type] | None = None


def _dependency_cache_classes() -> tuple[type, type]:
    """numba's FunctionCache, with the source stamp of its index extended by :func:`_dependency_digest`.

    numba stamps a cached function's index with its own file's modification time and size only,
    so an edit to a helper in another file (``mmsim.quoting``, a plugin's own helpers module)
    leaves the caller's cached machine code in use with the old helper compiled into it. With
    the digest in the stamp, such an edit makes the index stale and numba recompiles (and
    rewrites the index); with nothing changed the stamp matches and the cache loads as before.
    """
    global _dep_cache_classes
    if _dep_cache_classes is None:
        from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator

        class DependencyStampLocator(_CacheLocator):
            def __init__(self, inner: Any, digest: str) -> None:
                self._inner = inner
                self._digest = digest

            def ensure_cache_path(self) -> None:
                self._inner.ensure_cache_path()

            def get_cache_path(self) -> Any:
                return self._inner.get_cache_path()

            def get_source_stamp(self) -> Any:
                return (self._inner.get_source_stamp(), "mmsim-deps", self._digest)

            def get_disambiguator(self) -> Any:
                return self._inner.get_disambiguator()

            @classmethod
            def from_function(cls, py_func: Any, py_file: Any) -> None:
                return None  # only ever made around another locator, below

        class DependencyCacheImpl(CompileResultCacheImpl):  # type: ignore[misc]
            def __init__(self, py_func: Any) -> None:
                super().__init__(py_func)
                self._locator = DependencyStampLocator(self._locator, _dependency_digest(py_func))

        class DependencyFunctionCache(FunctionCache):  # type: ignore[misc]
            _impl_class = DependencyCacheImpl

        _dep_cache_classes = (DependencyFunctionCache, DependencyStampLocator)
    return _dep_cache_classes


def _track_dependencies(rule: Any) -> None:
    """Give every disk-cached jitted function the rule reaches a cache that sees its dependencies.

    Called when a strategy type is declared, before anything compiles. A function whose
    caching is off (numba's NullCache) is left as it is.
    """
    from numba.core.caching import FunctionCache, NullCache

    try:
        cache_cls: type | None = _dependency_cache_classes()[0]
    except (ImportError, AttributeError, TypeError):  # a numba whose caching internals moved
        cache_cls = None
    for d in _dispatchers(rule):
        cache = getattr(d, "_cache", None)
        if not isinstance(cache, FunctionCache) or (cache_cls is not None and isinstance(cache, cache_cls)):
            continue
        # Without the tracking cache, no disk cache: a slower start, never stale code.
        d._cache = cache_cls(d.py_func) if cache_cls is not None else NullCache()


def _retry_without_stale_caches(rule: Any, build: Callable[..., Any]) -> Any:
    """Run ``build()``; if an on-disk cache cannot be loaded, retry with the caches off: ``build(retry=True)``.

    numba keys an ``@njit(cache=True)`` function's cache on its file, but the cached
    code re-imports the module by the name it had when it was saved. One file seen
    under two module names (imported as ``strategies.glft`` in one process, loaded by
    path in another) then fails to load with ModuleNotFoundError instead of
    recompiling. The same goes for a cached callback compiled in a process that had
    both names loaded: its code refers to the rule's machine code of the other name.
    Compiling afresh is always correct, so do that: the rule's jitted functions lose
    their caches here, and ``build`` turns off its own cache when ``retry`` is true.
    """
    try:
        return build()
    except ImportError:
        from numba.core.caching import NullCache

        for d in _dispatchers(rule):
            d._cache = NullCache()
        return build(retry=True)


def _first_lines(text: str, n: int = 8) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # numba's terminal highlighting
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[:n])


def _njit(py: pytypes.FunctionType, cache: bool) -> Any:
    import numba

    if cache:
        try:
            return numba.njit(cache=True)(py)
        except RuntimeError:
            # Functions without a source file (typed at a prompt, exec'd) cannot be cached.
            pass
    return numba.njit(py)


# --------------------------------------------------------------------------------------
# the pure-Python twin of the record views (for the debuggable Python path)


class _RecordReader:
    """Attribute access to a structured record, like a numba record.

    Scalars come back as Python ``int``/``float``: their arithmetic matches numba's
    (``x / 0.0`` raises ZeroDivisionError, ``inf * 0`` is a quiet NaN), where numpy
    scalars would warn and return inf. Array fields come back as read-only numpy views
    (``view.bid_depth_px[0] = x`` or ``view.bid_depth_px.sort()`` raises ValueError, as
    a field write raises AttributeError: the view is read-only); ``out``'s are writable.
    """

    __slots__ = ("_rec",)
    _writable_arrays = False

    def __init__(self, rec: Any) -> None:
        object.__setattr__(self, "_rec", rec)

    def __getattr__(self, name: str) -> Any:
        if name == "_rec":  # not set yet (a copy being made): never recurse through the lookup below
            raise AttributeError(name)
        try:
            value = self._rec[name]
        except (KeyError, ValueError, IndexError):
            raise AttributeError(f"record has no field {name!r}") from None
        if not isinstance(value, np.ndarray):
            return value.item()
        if not self._writable_arrays:
            value = value.view()
            value.flags.writeable = False
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the view and params are read-only")

    def __getitem__(self, name: str) -> Any:
        """``rec["field"]``, numpy's spelling of ``rec.field``, which numba compiles alike (breaker19b)."""
        try:
            return self.__getattr__(name) if isinstance(name, str) else self._rec[name]
        except AttributeError as exc:
            raise KeyError(str(exc)) from None

    def __setitem__(self, name: str, value: Any) -> None:
        self.__setattr__(name, value)


def _check_whole(what: str, value: Any) -> None:
    """ValueError unless ``value`` (a number or array) is whole, for an integer field of ``out`` (the level and order
    counts, ``order_type``, ``order_side``, ``order_tag``): numpy's cast, and the compiled rule's, cut a fraction
    silently (``out.n_bid_levels = params.levels`` with ``levels: 2.5`` quoted 2 levels)."""
    arr = np.asarray(value)
    if arr.dtype.kind != "f":
        return
    bad = arr[~(np.isfinite(arr) & (arr == np.trunc(arr)))]
    if bad.size:
        x = float(bad.flat[0])
        cut = int(x) if np.isfinite(x) else -(1 << 63)
        raise ValueError(f"{what} = {x!r} is not a whole number: it is an integer field, which the compiled rule "
                         f"would set to {cut} silently")


class _WholeArray(np.ndarray):
    """An integer array field of ``out`` on the plain Python path: an item set to a fraction is refused."""

    _what = "out"

    def __setitem__(self, key: Any, value: Any) -> None:
        _check_whole(f"{self._what}[{key!r}]", value)
        super().__setitem__(key, value)


class _RecordWriter(_RecordReader):
    """Attribute write access to the ``out`` record (its array fields writable too); a fraction written into one of
    its integer fields is refused (:func:`_check_whole`)."""

    __slots__ = ()
    _writable_arrays = True

    def __getattr__(self, name: str) -> Any:
        value = super().__getattr__(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "i":
            whole: _WholeArray = value.view(_WholeArray)  # type: ignore[assignment]
            whole._what = f"out.{name}"
            return whole
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._rec.dtype.names:
            raise AttributeError(f"out has no field {name!r} (it has {', '.join(self._rec.dtype.names)})")
        if self._rec.dtype.fields[name][0].base.kind == "i":
            _check_whole(f"out.{name}", value)
        self._rec[name] = value


def _view_record(view: Any) -> Any:
    """The VIEW_DTYPE record (numpy.void, writes visible to numba) behind ``view``."""
    rec = view._rec if isinstance(view, View) else view
    if isinstance(rec, np.ndarray):
        if rec.dtype != VIEW_DTYPE:
            raise StrategyError(f"expected a VIEW_DTYPE record, got dtype {rec.dtype}")
        rec = rec.reshape(-1)[0]
    return rec
