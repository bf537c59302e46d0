"""The Python path of a numba rule (:class:`RuleStrategy`): an :class:`mmsim.Strategy` that calls the same rule,
jitted (the fast path's machine code) or as plain Python (``pure=True``), from ``NumbaStrategyType.python_class``.
Imported and re-exported by :mod:`mmsim.numba_strategy`, where the rule types live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ._numba_support import (
    CODE_BAD_RETURN,
    CODE_NO_CHANGE,
    CODE_QUOTE,
    _RecordReader,
    _RecordWriter,
    _retry_without_stale_caches,
    _view_record,
    native_error_message,
)
from ._rule_source import derived_levels
from ._strategy_params import _resolve_params
from .errors import ConfigError, StrategyError
from .records import QUOTE_DTYPE, VIEW_DTYPE
from .strategy import Ladder, Quote, Strategy, View

if TYPE_CHECKING:
    from .numba_strategy import NumbaStrategyType


class RuleStrategy(Strategy):
    """The Python path of a numba rule: an :class:`mmsim.Strategy` calling the same rule.

    Subclasses set ``native`` (a :class:`NumbaStrategyType`); the usual way to get
    one is ``MyRule.python_class`` or ``MyRule.python(**params)``.

    Parameters
    ----------
    pure : bool
        False (default): call the numba-jitted rule (the same machine code as
        the fast path). True: call the rule's plain Python function.
    **params
        Parameter values; unknown or missing ones raise :class:`~mmsim.ConfigError`.
    """

    native: NumbaStrategyType
    ladder_levels_used = derived_levels  # as the fast path's

    def __init__(self, *, pure: bool = False, **params: Any) -> None:
        kind = type(self).native
        self._mmsim_given_ = tuple(params)  # the names given, as a numba strategy's (the lot-unit warning; breaker15d)
        self.params: dict[str, float] = _resolve_params(kind.name, kind.param_spec, params, kind.param_domains,
                                                           kind.param_constraints + kind.int_writes)
        self.pure = bool(pure)
        self._params_rec = np.zeros((), dtype=kind.params_dtype)
        for k, v in self.params.items():
            self._params_rec[k] = v
        self._state = np.zeros(kind.state_size, np.float64)
        self._out = np.zeros((), dtype=QUOTE_DTYPE)
        if self.pure:
            self._call = kind.py_rule
            self._params_arg: Any = _RecordReader(self._params_rec[()])
            self._out_arg: Any = _RecordWriter(self._out)
        else:
            self._call = kind.rule
            self._params_arg = self._params_rec[()]
            self._out_arg = self._out[()]
            # Compile now for the Python argument types, so a broken rule fails here
            # and a stale on-disk cache is handled as on the fast path.
            from numba import typeof

            sig = tuple(typeof(a) for a in (np.zeros((), dtype=VIEW_DTYPE)[()], self._params_arg, self._state,
                                            self._out_arg))
            try:
                rule: Any = kind.rule  # a numba dispatcher
                _retry_without_stale_caches(rule, lambda retry=False: rule.compile(sig))
            except Exception as exc:
                raise kind._compile_error(exc) from exc

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> "RuleStrategy":
        """Build from a mapping (as read from a config's ``strategy.params``)."""
        params = dict(params or {})
        if not isinstance(params.get("pure", False), bool):
            raise ConfigError(f"strategy {cls.native.name}: parameter 'pure' must be true or false")
        return cls(**params)

    def __reduce__(self) -> Any:
        # The class is made on the fly by ``python_class``; rebuild it from its rule type, with the
        # parameters it was given (the rest are defaults again: mmsim.run's lot-unit warning names them).
        given = getattr(self, "_mmsim_given_", tuple(self.params))
        return _rebuild_python, (type(self).native, {n: self.params[n] for n in given}, self.pure)

    def reset(self) -> None:
        """Zero the per-run state and give the rule its parameters afresh (the engine calls this at
        the start of each run), as the fast path does: a compiled rule's write into ``params`` (which
        numba cannot refuse) lasts until the end of its run, never into the next run."""
        self._state[:] = 0.0
        for k, v in self.params.items():
            self._params_rec[k] = v

    def quote(self, view: View) -> Quote | Ladder | None:
        """Run the rule on ``view``: a :class:`Quote` (1-level form), a :class:`Ladder` (a ladder or
        explicit orders: the engine gets ``out`` as written), or None for no change."""
        rec = _view_record(view)
        arg = _RecordReader(rec) if self.pure else rec
        # The engine hands the callback a zeroed Quote each call; do the same so a rule
        # that leaves a field unset behaves alike on both paths.
        self._out[()] = 0
        code = self._call(arg, self._params_arg, self._state, self._out_arg)
        if isinstance(code, (bool, np.bool_)) or not isinstance(code, (int, np.integer)):
            raise _bad_return(self.label, int(rec["ts"]), "the rule must return an integer (0 = no change, "
                              f"1 = out holds the quote), it returned {code!r}")
        if code != CODE_NO_CHANGE and code != CODE_QUOTE:
            raise _bad_return(self.label, int(rec["ts"]),
                              f"{native_error_message(CODE_BAD_RETURN)} (it returned {int(code)})")
        o = self._out
        if o["n_orders"] or (code == CODE_QUOTE and (o["n_bid_levels"] or o["n_ask_levels"])):
            return Ladder.from_record(o, keep=code == CODE_NO_CHANGE)
        if code == CODE_NO_CHANGE:
            return None
        return Quote(float(o["bid_px"]), float(o["bid_qty"]), float(o["ask_px"]), float(o["ask_qty"]))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.label}Python({args}{', pure=True' if self.pure else ''})"


def _bad_return(label: str, ts: int, detail: str) -> StrategyError:
    """A rule's return code refused: the StrategyError a direct ``quote(view)`` call raises, naming the rule and
    the time; in a run, :func:`mmsim._strategy_calls.strategy_error` says it once as the fast path does
    (``strategy R failed at local time ...: <detail>``), from ``_mmsim_detail_``."""
    exc = StrategyError(f"strategy {label} at local time {ts} ns: {detail}")
    exc._mmsim_detail_ = detail  # type: ignore[attr-defined]
    return exc


def _rebuild_python(kind: NumbaStrategyType, params: dict[str, float], pure: bool) -> RuleStrategy:
    return kind.python(pure=pure, **params)
