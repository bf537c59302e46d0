"""The numba fast path: turn a quoting rule into a C callback the engine calls with no Python.

A user writes the rule once::

    @mmsim.numba_strategy(params={"half_spread": 2.0, "size": 1.0})
    def fixed_spread(view, params, state, out):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return 0                                # no change
        mid = 0.5 * (view.best_bid + view.best_ask)
        out.bid_px = math.floor(mid - params.half_spread)
        out.ask_px = math.ceil(mid + params.half_spread)
        out.bid_qty = params.size
        out.ask_qty = params.size
        return 1                                    # out holds the targets

    strategy = fixed_spread(half_spread=3)          # fast path, for mmsim.run
    prototype = fixed_spread.python(half_spread=3)  # an mmsim.Strategy running the same rule

``view`` is one :data:`~mmsim.records.VIEW_DTYPE` record (``view.best_bid``,
``view.microprice``...), ``params`` a record with one float64 field per
declared parameter, ``state`` a float64 array of ``state_size`` slots (zeroed
at the start of each run; keep anything across calls there), ``out`` a
:data:`~mmsim.records.QUOTE_DTYPE` record (prices in ticks, sizes in lots).
The rule returns 0 (keep the current quotes) or 1 (``out`` holds the targets).

The rule is compiled by numba into a ``cfunc`` with the C signature the engine
calls, ``int64 fn(View*, double* params, double* state, Quote* out)``. The
generated wrapper catches any exception the rule raises and returns an error
code instead (:data:`NATIVE_ERRORS`), so a faulty rule stops the run with a
:class:`~mmsim.StrategyError` and never takes the interpreter down.

Compile cache
-------------
numba's ``cfunc(cache=True)`` caches per source file and checks only that
file's time stamp, so a wrapper shared by every rule would either never hit the
cache or, worse, hand back a stale rule after an edit. mmsim therefore writes
one tiny wrapper module per rule into a cache directory, named by a fingerprint
of the rule: its code, its source file, and, recursively, the jitted functions
and constants it reads from its module. Editing the rule or anything it calls
gives a new fingerprint and a fresh compile; an unchanged rule loads its
machine code from numba's cache in a new process. The rule's own
``@njit(cache=True)`` cache (and that of every jitted function it reaches)
has the same weakness, so mmsim extends each one's source stamp with a hash
of what it calls (``_numba_support._track_dependencies``): an edited helper
in another file recompiles the rule instead of loading it stale. The directory is
``$MMSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmsim`` (``~/.cache/mmsim``), else
a per-user folder under the system temp directory.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import threading
import types as pytypes
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ._numba_support import (
    CODE_BAD_RETURN as CODE_BAD_RETURN,  # re-exported, as the codes below
    CODE_BAD_RETURN_BASE as CODE_BAD_RETURN_BASE,
    CODE_NO_CHANGE as CODE_NO_CHANGE,
    CODE_QUOTE as CODE_QUOTE,
    CODE_RAISED as CODE_RAISED,
    NATIVE_ERRORS,
    _RecordWriter as _RecordWriter,  # re-exported: tests/test_stratbreak18.py reads it here
    _first_lines,
    _fingerprint,
    _is_dispatcher,
    _njit,
    _retry_without_stale_caches,
    _track_dependencies,
    _wrapper_module,
    native_error_message,
)
from ._qty_units import normalize_per_quantities, normalize_quantities
from ._rule_python import RuleStrategy, _rebuild_python as _rebuild_python  # the Python path (pickles name it here)
from ._rule_source import IntWrite, derived_levels, misspelt_field, rule_int_writes
from ._strategy_params import (
    _Constraint,
    _Domain,
    _normalize_constraints,
    _normalize_domains,
    _normalize_param_spec,
    _resolve_params,
)
from .config._units import integer_argument
from .errors import StrategyError

__all__ = [
    "NATIVE_ERRORS",
    "NumbaStrategy",
    "NumbaStrategyType",
    "RuleStrategy",
    "native_error_message",
    "numba_strategy",
]

# --------------------------------------------------------------------------------------
# parameters


def _params_dtype(names: tuple[str, ...]) -> np.dtype:
    # float64 fields only, so the record is layout-identical to the ``double*`` the
    # engine passes; a rule with no parameters still gets a (dummy) record.
    fields = [(n, "<f8") for n in names] or [("_unused", "<f8")]
    return np.dtype(fields, align=True)


# --------------------------------------------------------------------------------------
# the generated wrapper module (the rule's fingerprint, what the compile cache is keyed on: _numba_support)


def _return_code(code):  # type: ignore[no-untyped-def]  # numba matches the overload's signature exactly
    """Identity on the rule's return value; at compile time, insist it is an integer."""
    return code


def _install_return_check() -> None:
    from numba.core import types
    from numba.core.errors import TypingError
    from numba.extending import overload

    @overload(_return_code)
    def _ol_return_code(code):  # type: ignore[no-untyped-def]
        # Not a bool: the Python path refuses True/False at run time, so the compiled
        # rule must not quietly read them as 1/0.
        if isinstance(code, types.Integer):
            return lambda code: np.int64(code)
        raise TypingError(
            f"the rule must return an integer (0 = no change, 1 = out holds the quote); it returns {code}"
        )


_install_lock = threading.Lock()
_installed = False


# --------------------------------------------------------------------------------------
# public classes


class NumbaStrategyType:
    """A compiled quoting rule: call it with parameters to get a strategy for :func:`mmsim.run`.

    Made by :func:`numba_strategy`; see the module docstring for the rule's contract.

    Parameters
    ----------
    rule : callable
        ``rule(view, params, state, out) -> int``, a plain function or a numba
        ``@njit`` dispatcher.
    params : sequence of str or mapping of str to float or None
        Parameter names in order, or name -> default (None: required).
    state_size : int
        float64 slots in the per-run state array (zeroed at the start of each run).
    name : str, optional
        Name used in messages and reports (default: the rule's name).
    cache : bool
        Cache the compiled callback on disk (see the module docstring).
    domains : mapping of str to str, optional
        Parameter name -> allowed values, as for :func:`numba_strategy`.
    constraints : sequence of str, optional
        Relations between two parameters, as for :func:`numba_strategy`.
    quantities, per_quantities : sequence of str or mapping, optional
        The parameters that are quantities in lots, and those per lot, as for :func:`numba_strategy`.

    Raises
    ------
    StrategyError
        If the rule does not take exactly four positional arguments, or the
        declaration is malformed (a parameter named ``pure`` or ``self`` included).
    """

    def __init__(self, rule: Callable[..., Any], *, params: Any = (), state_size: int = 0, name: str | None = None,
                 cache: bool = True, domains: Mapping[str, str] | None = None,
                 constraints: Sequence[str] | None = None, quantities: Any = None, per_quantities: Any = None) -> None:
        py = getattr(rule, "py_func", rule) if _is_dispatcher(rule) else rule
        if not isinstance(py, pytypes.FunctionType):
            raise StrategyError(f"numba_strategy: expected a function rule(view, params, state, out), got {rule!r}")
        self.name: str = name or py.__name__
        self._check_signature(py)
        # An integer keyword as an integer config key: 4.0 is 4; 2.5, True and a float beyond 2**53 are refused.
        state_size = integer_argument(state_size, f"strategy {self.name}: state_size must be an integer in 0..1048576",
                                      0, 1 << 20, StrategyError)
        self.param_spec: dict[str, float | None] = _normalize_param_spec(params, f"strategy {self.name}")
        self.param_names: tuple[str, ...] = tuple(self.param_spec)
        self.param_domains: dict[str, _Domain] = _normalize_domains(domains, self.param_spec, f"strategy {self.name}")
        self.param_constraints: tuple[_Constraint, ...] = _normalize_constraints(
            constraints, self.param_spec, f"strategy {self.name}")
        # its writes of parameters into integer fields of out, checked with each strategy's values (_rule_source)
        self.int_writes: tuple[IntWrite, ...] = rule_int_writes(py, self.param_spec, f"strategy {self.name}")
        self.quantities: dict[str, bool] = normalize_quantities(quantities, self.param_spec, self.param_domains,
                                                                f"strategy {self.name}")
        self.per_quantities: tuple[str, ...] = normalize_per_quantities(per_quantities, self.param_spec,
                                                                        self.quantities, f"strategy {self.name}")
        self.state_size: int = int(state_size)
        self.cache: bool = bool(cache)
        if _is_dispatcher(rule):
            self.rule = rule
        else:
            self.rule = _njit(py, cache)
        # numba's disk cache checks only each function's own file: make it see the helpers too.
        _track_dependencies(self.rule)
        self.py_rule: Callable[..., Any] = py
        self.params_dtype: np.dtype = _params_dtype(self.param_names)
        self.__doc__ = py.__doc__
        self.__module__ = py.__module__
        self.__qualname__ = py.__qualname__
        self._cfunc: Any = None
        self._compile_lock = threading.Lock()
        self._python_class: type | None = None

    def _check_signature(self, py: pytypes.FunctionType) -> None:
        sig = inspect.signature(py)
        positional = [p for p in sig.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        others = [p for p in sig.parameters.values() if p not in positional]
        if len(positional) != 4 or others:
            raise StrategyError(
                f"strategy {self.name}: the rule must have the signature rule(view, params, state, out) -> int; "
                f"{py.__qualname__}{sig} takes {len(positional)} positional argument(s)"
                + (" and " + ", ".join(str(p) for p in others) if others else "")
            )

    def __call__(self, **params: Any) -> "NumbaStrategy":
        """Strategy with these parameters (defaults fill the rest), on the numba fast path."""
        return NumbaStrategy(self, params)

    def from_params(self, params: Mapping[str, Any] | None = None) -> "NumbaStrategy":
        """Like calling the type, from a mapping (as read from a config's ``strategy.params``)."""
        return NumbaStrategy(self, params or {})

    def check_params(self, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The parameters :meth:`from_params` would use (defaults filled in), without compiling the rule.

        Raises
        ------
        ConfigError
            Naming an unknown, missing or non-numeric parameter, or one outside its declared domain.
        """
        return _resolve_params(self.name, self.param_spec, params or {}, self.param_domains,
                               self.param_constraints + self.int_writes)

    def python(self, *, pure: bool = False, **params: Any) -> "RuleStrategy":
        """The same rule as an :class:`mmsim.Strategy` (the Python path, for prototyping).

        Parameters
        ----------
        pure : bool
            False: call the jitted rule from Python (same machine code as the fast
            path). True: run the rule's plain Python source (breakpoints and
            tracebacks work; numba is not used).
        **params
            Parameter values.
        """
        return self.python_class(pure=pure, **params)

    @property
    def python_class(self) -> type:
        """An :class:`mmsim.Strategy` subclass running this rule, e.g. for ``file.py:GLFTPython`` plugins."""
        if self._python_class is None:
            owner = self
            cls = type(f"{self.name}Python", (RuleStrategy,), {
                "__doc__": f"Python path of the {self.name} rule (same rule as the numba fast path).\n\n"
                           + (self.__doc__ or ""),
                "__module__": self.__module__,
                "native": owner,
                "name": owner.name,
            })
            self._python_class = cls
        return self._python_class

    # -- compilation -------------------------------------------------------------------

    def compile(self) -> Any:
        """Compile (or load from the cache) the C callback; return the numba ``CFunc``.

        Raises
        ------
        StrategyError
            If the rule does not compile for the view/params/state/out types,
            e.g. it reads a field the view does not have or returns a non-integer.
        """
        if self._cfunc is not None:
            return self._cfunc
        with self._compile_lock:
            if self._cfunc is None:
                self._cfunc = self._compile()
        return self._cfunc

    def _compile(self) -> Any:
        import numba
        from numba.core import types

        global _installed
        with _install_lock:
            if not _installed:
                _install_return_check()
                _installed = True
        sig = types.int64(types.voidptr, types.voidptr, types.voidptr, types.voidptr)
        fingerprint = _fingerprint(self.rule, self.param_names, self.state_size)
        module = _wrapper_module(self.rule, fingerprint, self.params_dtype, self.state_size)
        setattr(module, "rule", self.rule)  # noqa: B010  # the generated module reads it at compile time
        try:
            cache = self.cache and self._cacheable()
            return _retry_without_stale_caches(
                self.rule, lambda retry=False: numba.cfunc(sig, cache=cache and not retry)(module.callback))
        except Exception as exc:
            raise self._compile_error(exc) from exc

    def _compile_error(self, exc: Exception) -> StrategyError:
        from numba.core.errors import NumbaError

        # numba reports most typing faults as NumbaError, but some (a misspelt record
        # field) surface as a bare KeyError from deep inside the typer.
        if isinstance(exc, NumbaError):
            plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
            ours = re.search(r"the rule must return an integer[^\n]*", plain)
            why = ours.group(0) if ours else _first_lines(plain)
        elif isinstance(exc, KeyError):
            why = misspelt_field(self.py_rule, exc.args[0], self.param_names)  # its line, the nearest field
        else:
            why = f"{type(exc).__name__}: {exc}"
        return StrategyError(
            f"strategy {self.name}: the rule {self.py_rule.__qualname__}(view, params, state, out) does not "
            f"compile for the view record: {why}"
        )

    def _cacheable(self) -> bool:
        """Whether a new process could rebuild the cached code: numba re-imports the rule's module by name."""
        mod = sys.modules.get(self.py_rule.__module__)
        return mod is not None and getattr(mod, "__dict__", None) is self.py_rule.__globals__

    @property
    def address(self) -> int:
        """Address of the compiled ``int64 fn(View*, double*, double*, Quote*)``."""
        return int(self.compile().address)

    @property
    def cache_hits(self) -> int:
        """1 when the compiled callback came from the on-disk cache in this process."""
        return int(self.compile().cache_hits)

    def __repr__(self) -> str:
        return f"<numba strategy {self.name} params={self.param_names} state_size={self.state_size}>"

    def __reduce__(self) -> Any:
        # Sweeps ship strategies to worker processes: send where the type lives, not
        # the compiled code (the worker loads it from the on-disk cache).
        module = sys.modules.get(self.__module__)
        attr = next((k for k, v in vars(module).items() if v is self), None) if module else None
        if attr is None:
            raise TypeError(f"numba strategy {self.name} cannot be pickled: it is not a module-level name")
        return _rebuild_type, (self.__module__, attr, getattr(module, "__file__", None))


def _rebuild_type(module_name: str, attr: str, file: str | None) -> "NumbaStrategyType":
    """Find a NumbaStrategyType again in a new process: its module, or the plugin file it came from."""
    module = sys.modules.get(module_name)
    if module is None:
        if module_name.startswith("_mmsim_plugin_") and file:
            from .plugins import resolve_strategy

            return resolve_strategy(f"{file}:{attr}")
        module = importlib.import_module(module_name)
    return getattr(module, attr)


class NumbaStrategy:
    """A numba rule with its parameters: what :func:`mmsim.run` calls on the fast path.

    Made by calling a :class:`NumbaStrategyType`. Compiles (or loads from the
    cache) at construction, so a rule that does not compile fails here with a
    :class:`~mmsim.StrategyError`, not in the middle of a run.
    """

    def __init__(self, kind: NumbaStrategyType, params: Mapping[str, Any]) -> None:
        self.kind = kind
        self._mmsim_given_ = tuple(params)  # for mmsim.run's lot-unit warning: the rest are defaults
        self.params: dict[str, float] = _resolve_params(kind.name, kind.param_spec, params, kind.param_domains,
                                                           kind.param_constraints + kind.int_writes)
        self._params_array = np.array([self.params[n] for n in kind.param_names] or [0.0], dtype=np.float64)
        kind.compile()

    @property
    def name(self) -> str:
        """The rule's name."""
        return self.kind.name

    @property
    def label(self) -> str:
        """The name used in messages."""
        return self.kind.name

    ladder_levels_used = derived_levels  # levels per side its writes of params set (_rule_source.levels_used)

    def _mmsim_native_(self) -> tuple[int, np.ndarray, np.ndarray]:
        """``(callback address, float64 params, fresh zeroed float64 state)`` for one run."""
        return self.kind.address, self._params_array.copy(), np.zeros(max(self.kind.state_size, 1), np.float64)

    def _mmsim_error_message_(self, code: int) -> str:
        """What a non-0/1 return code of the callback means (the engine puts it in its StrategyError)."""
        return native_error_message(code)

    def python(self, *, pure: bool = False) -> "RuleStrategy":
        """The Python-path twin with the same parameters."""
        twin = self.kind.python(pure=pure, **self.params)
        vars(twin)["_mmsim_given_"] = self._mmsim_given_  # the names this strategy was given: its defaults are ours
        return twin

    def __reduce__(self) -> Any:
        return NumbaStrategy, (self.kind, {name: self.params[name] for name in self._mmsim_given_})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.name}({args})"


def numba_strategy(rule: Callable[..., Any] | None = None, *, params: Any = (), state_size: int = 0,
                   name: str | None = None, cache: bool = True, domains: Mapping[str, str] | None = None,
                   constraints: Sequence[str] | None = None, quantities: Any = None, per_quantities: Any = None) -> Any:
    """Decorator: make a quoting rule into a strategy type for the numba fast path.

    Use bare (``@numba_strategy``) for a rule without parameters or state, or with
    arguments (``@numba_strategy(params={"half_spread": 2.0}, state_size=4)``).

    Parameters
    ----------
    rule : callable, optional
        ``rule(view, params, state, out) -> int``: a plain function (mmsim jits
        it) or an ``@njit`` dispatcher.
    params : sequence of str or mapping of str to float or None
        Parameter names in order, or name -> default (None: required). The rule
        reads them as ``params.<name>`` (float64).
    state_size : int
        float64 slots in ``state``, zeroed at the start of every run (0 .. 1048576; a whole float is that
        integer, ``4.0``, a fraction or a bool is refused: a StrategyError).
    name : str, optional
        Name in messages and reports; default the rule's ``__name__``.
    cache : bool
        Keep the compiled callback on disk so a new process does not recompile.
    domains : mapping of str to str, optional
        Parameter name -> the values it may take: ``"finite"``, or a comparison
        with a number (``"> 0"``, ``">= 0"``, ``"< 1"``, ``"<= 1"``, finite values
        only), either optionally followed by ``" or inf"`` to allow ``+inf`` too
        (``"> 0 or inf"``: a limit that may be switched off), and optionally after
        ``"whole "`` for whole numbers below 2^53 (``"whole > 0"``: a size in lots).
        The bound must be a finite number. A value outside its domain raises :class:`~mmsim.ConfigError` naming the parameter when the
        strategy is built (Python or fast path) or a sweep checks its points. A
        parameter without a domain takes any number but NaN.
    constraints : sequence of str, optional
        Relations between two parameters that every value set must satisfy,
        ``"<name> <op> <name>"`` with ``op`` one of ``<``, ``<=``, ``>``, ``>=``
        (``["flatten_to <= flatten_at", "size <= max_position"]``), checked after
        the domains, at the same times, without compiling the rule. A broken one
        raises :class:`~mmsim.ConfigError` naming both parameters and their values
        (``strategy LadderFlatten: parameter 'flatten_to' (10) must be <= parameter
        'flatten_at' (5)``; a value the user did not set reads ``(default 8)``).
        ``inf`` compares as a number (``size <= max_position`` holds for an
        unlimited ``max_position``).
    quantities : sequence of str or mapping of str to str, optional
        The parameters that are quantities in lots (``["size", "max_position"]``): a config may write them
        in base units, ``size: 0.01 base``, converted with the store's lot size (whole when the domain is
        ``whole``), and a run on a store whose lot is not 1 warns of those left in lots
        (docs/strategies.md, "Units of strategy parameters").
    per_quantities : sequence of str, optional
        The parameters per lot (``["skew"]``, ticks per lot of position): a config may write them per base
        unit, ``skew: 0.1 per base`` (0.1 x the lot per lot), or ``0.1 per lot``; warned of as quantities are.

    Returns
    -------
    NumbaStrategyType
        Call it with parameters for a fast-path strategy; ``.python(...)`` for the
        Python path running the same rule.

    Raises
    ------
    StrategyError
        If the rule's signature is wrong or the declaration is malformed (a
        domain that does not parse, names no parameter, or excludes its default;
        a constraint that does not parse, names an undeclared parameter, or that
        the defaults break; constraints no values satisfy together, ``a <= b`` and
        ``b < a``, naming them).
    """

    def wrap(fn: Callable[..., Any]) -> NumbaStrategyType:
        return NumbaStrategyType(fn, params=params, state_size=state_size, name=name, cache=cache, domains=domains,
                                 constraints=constraints, quantities=quantities, per_quantities=per_quantities)

    if rule is not None:
        return wrap(rule)
    return wrap
