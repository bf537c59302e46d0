"""Strategy quantities in base units from Python, and the lot-unit warning of :func:`mmsim.run`.

``mmsim.base(0.01, store)`` is 0.01 base units (BTC for BTCUSDT) as lots of the store, exactly (the conversion a
config's ``size: 0.01 base`` gets); ``mmsim.per_base(20, store)`` is 20 per base unit as a value per lot (a
config's ``skew: 20 per base``). :func:`mmsim.run` and :func:`mmsim.run_many` on a store whose lot is not 1 warn
(:class:`~mmsim.errors.LotUnitWarning`, once per call) of each quantity a strategy declares that was left at its
default, and of ``signals.vpin_bucket_volume`` left at its default; a number passed in Python is the caller's
and is not warned of (docs/strategies.md, "Units of strategy parameters").
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

from ._qty_units import (_DOCS, _FLOAT_MAX, _QTY_RE, _RANGE, _lot, _number_of, _plain_number, _text, join_warnings,
                         lot_warning_parts, settings_lot_warning_parts)
from .errors import ConfigError, LotUnitWarning, StrategyError

__all__ = ["base", "per_base", "quiet", "warn_runs"]

#: True inside :func:`quiet`: the caller warned already in a config's words (``run_config``, a sweep).
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("mmsim_lot_warning_quiet", default=False)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Runs started inside do not warn of lots: ``mmsim run``, ``run_config`` and a sweep warn once of the
    config's own words (``written without a unit``) before they run."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def _lot_of(store: Any, where: str) -> Decimal:
    """The lot of ``store``: an event store (its ``meta``'s ``lot_size``), a ``meta`` mapping, or the lot itself."""
    meta = getattr(store, "meta", store)
    lot = meta.get("lot_size") if isinstance(meta, Mapping) else meta
    if isinstance(lot, bool) or not isinstance(lot, (int, float)) or not 0 < lot < float("inf"):
        raise ConfigError(f"{where}: the second argument is an event store (or its lot size, a number > 0); "
                          f"got {store!r:.80}, which gives no lot size")
    return _lot(lot)


def _amount(amount: Any, where: str) -> Fraction:
    """A number written in Python (an int, a float as it reads, a Decimal or a decimal string), exactly; a numpy
    scalar as the Python number it holds (``repr`` of ``np.float64(0.01)`` is ``np.float64(0.01)`` in numpy 2)."""
    import numbers

    if isinstance(amount, numbers.Integral) and not isinstance(amount, (bool, int)):
        amount = int(amount)  # np.int64
    elif isinstance(amount, numbers.Real) and not isinstance(amount, (bool, int, Decimal)) and \
            type(amount) is not float:
        amount = float(amount)  # np.float64, np.float32 (as the float it holds)
    text = repr(amount) if isinstance(amount, float) else str(amount) if isinstance(amount, (int, Decimal, str)) \
        else None
    m = _QTY_RE.match(f"{text} base") if text is not None and not isinstance(amount, bool) else None
    if m is None:
        raise ConfigError(f"{where}: cannot read {amount!r}: give a finite number (an int, a float, a Decimal or "
                          f"a decimal string such as '0.01') ({_DOCS})")
    num = _number_of(m)
    if num is None:
        raise ConfigError(f"{where}: {amount!r} is out of range: {_RANGE}")
    return num


def base(amount: Any, store: Any) -> int | float:
    """``amount`` base units (BTC for BTCUSDT) as a number of lots of ``store``'s lot, for a strategy's
    quantity in Python: ``ToxicityPull(size=mmsim.base(0.01, store))``.

    Exactly as a config's ``size: 0.01 base``: in decimal from the lot's decimal text (``base(0.01, store)`` on
    a lot of ``1e-08`` is ``1000000``, never ``999999.9999999999``); an int when whole, else the nearest float.

    Parameters
    ----------
    amount : int, float, Decimal or str
        Base units; a float is read as it prints (``0.01`` is 0.01).
    store : EventStore, mapping or float
        The event store (its ``meta["lot_size"]``), its ``meta``, or the lot size.

    Raises
    ------
    ConfigError
        ``amount`` is not a finite number, or out of range; ``store`` gives no lot size.
    """
    where = "mmsim.base"
    num, lot = _amount(amount, where), _lot_of(store, where)
    lots = num / Fraction(lot)
    if abs(lots) > _FLOAT_MAX:
        raise ConfigError(f"{where}: {amount!r} base is more than 1.8e308 lots of {_text(lot)}, more than a number "
                          "holds")
    return _plain_number(lots)


def per_base(value: Any, store: Any) -> int | float:
    """``value`` per base unit as a value per lot of ``store``'s lot, for a strategy's per-lot parameter in
    Python: ``InventorySkew(skew=mmsim.per_base(20, store))`` (20 ticks per BTC of position is 2e-07 per lot of
    1e-08). Exactly as a config's ``skew: 20 per base``.

    Raises
    ------
    ConfigError
        As :func:`base`; or a nonzero value too small for a float once per lot.
    """
    where = "mmsim.per_base"
    num, lot = _amount(value, where), _lot_of(store, where)
    got = _plain_number(num * Fraction(lot))
    if got == 0 and num != 0:
        raise ConfigError(f"{where}: {value!r} per base unit is {float(num):g} x {_text(lot)} per lot, less than "
                          "a number holds")
    return got


def check_lookup(strategy: Any, where: str = "") -> Any:
    """``strategy``, checked to follow Python's attribute protocol: a missing attribute raises AttributeError (the
    engine asks ``hasattr`` / ``getattr(..., None)`` what a strategy declares). A ``__getattr__`` reading a
    params dict raised ``KeyError: 'kind'`` from inside mmsim (breaker15c); now a StrategyError saying so."""
    if strategy is None:
        return strategy
    missing = object()
    for name in ("_mmsim_no_such_attribute_", "mmsim_no_such_attribute"):  # a private and a public name (breaker15d)
        try:
            got = getattr(strategy, name, missing)
        except Exception as exc:
            raise StrategyError(f"{where}strategy {type(strategy).__name__}: looking up an attribute it does not have "
                                f"raised {type(exc).__name__}: {exc}; its __getattr__ must raise AttributeError for a "
                                "missing name (Python's protocol: hasattr and getattr(obj, name, default) rely on it)"
                                ) from None
        if got is not missing:  # a __getattr__ answering every name: the engine would take it for a numba strategy
            raise StrategyError(f"{where}strategy {type(strategy).__name__}: an attribute it does not have, {name!r}, "
                                f"reads {got!r}; its __getattr__ must raise AttributeError for a missing name "
                                "(Python's protocol: hasattr and getattr(obj, name, default) rely on it)")
    return strategy


def _attr(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)`` that a strategy's own ``__getattr__`` raising something else (a KeyError from a
    params dict: breaker15c) cannot turn into a traceback: an absent attribute."""
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _given(strategy: Any) -> tuple[Any, dict[str, bool]] | None:
    """What declares ``strategy``'s quantities (its numba type, or its class) and which of its parameters count as
    given (not left at their defaults); None when that is not known (then nothing is warned of).

    A numba strategy and its Python twin (``Type.python(**p)``, ``XPython(**p)``, an instance's ``.python()``, which
    carries its strategy's over) remember the names they were called with (``_mmsim_given_``). A Python
    :class:`~mmsim.Strategy` is read from what it holds: a parameter counts as left at its default when the
    instance has an attribute of that name equal to the signature's default, as ``self.size = size`` keeps it
    (``b.size = mmsim.base(0.01, store)`` after construction is then not the default); a parameter it keeps under
    another name cannot be told apart and is never warned of. Nothing is recorded on the instance (breaker15b:
    recording the constructor's arguments made strategies built from a generator or a lock unpicklable, pickled
    whole event arrays, and broke a custom ``__setattr__``)."""
    names = _attr(strategy, "_mmsim_given_")  # a numba strategy or its Python twin: the names it was called with
    if names is not None:
        return _attr(strategy, "kind") or type(strategy), dict.fromkeys(names, True)
    cls = type(strategy)
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return None
    given: dict[str, bool] = {}  # the names given (lot_warning_parts reads membership)
    for name, p in params.items():
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        try:
            default = (p.default is not inspect.Parameter.empty and hasattr(strategy, name)
                       and bool(getattr(strategy, name) == p.default))
        except Exception:  # an attribute that compares oddly (an array): not the default
            default = False
        if not default:
            given[name] = True
    return cls, given


def warn_runs(runs: Sequence[Any], stacklevel: int = 3) -> None:
    """One :class:`~mmsim.errors.LotUnitWarning` for the runs of one :func:`mmsim.run` / :func:`mmsim.run_many`
    call (each an ``engine._Run``: its ``strategy``, ``label``, ``lot_size`` and ``given_signals``), each line
    once; nothing inside :func:`quiet`, or when every lot is 1."""
    if _QUIET.get():
        return
    parts: dict[str, list[str]] = {}
    settings: dict[str, list[str]] = {}  # after the strategies', as a config's warning has them
    for one in runs:
        got = _given(one.strategy) if one.strategy is not None else None
        try:
            mine = None if got is None else lot_warning_parts(got[0], got[1], one.lot_size, one.label, python=True)
        except StrategyError:  # a declaration its class cannot hold (a subclass's signature without its names):
            mine = None        # the config path refuses it as it loads; a run from Python goes on, as it did
        blocks = [(parts, mine), (settings, settings_lot_warning_parts(one.given_signals, one.lot_size, python=True))]
        for into, block in blocks:
            if block is not None:
                lines = into.setdefault(block[0], [])
                lines.extend(line for line in block[1] if line not in lines)
    if parts or settings:
        warnings.warn(join_warnings({**parts, **settings}), LotUnitWarning, stacklevel=stacklevel)
