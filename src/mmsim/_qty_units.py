"""Strategy quantities with a unit: ``size: 0.01 base`` or ``size: 20 lots`` in ``strategy.params``.

A strategy declares which of its parameters are quantities in lots (``numba_strategy(quantities=...)``,
or a ``quantities`` attribute on a Strategy class or factory; docs/strategies.md, "Units of strategy
parameters"). A quantity may then be written with a unit:

- ``<number> base``: base units (BTC for BTCUSDT), converted to lots exactly with the event store's
  lot size, in decimal from the lot's decimal text (``0.01 base`` on a lot of ``1e-08`` is 1000000 lots,
  never 999999.9999999999). A parameter the strategy reads as a whole number of lots (a ``whole`` domain,
  or ``"whole"`` in a ``quantities`` mapping) must come out whole; any other gets the exact quotient.
- ``<number> lots`` (or ``lot``): lots, as a plain number is.

A strategy also declares its per-lot parameters (``per_quantities``: a skew in ticks per lot of position),
which may be written ``<number> per base`` (per base unit: the value per lot is the value per base unit
times the lot, exactly) or ``<number> per lot``.

When the store's lot is not 1, :func:`lot_warning` names each quantity or per-lot parameter left at its
default or written without a unit, with its value in lots (per lot) and in base units (per base unit).
"""

from __future__ import annotations

import math
import re
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any, Collection, Iterable, Iterator, Mapping, TypeVar

from .errors import ConfigError, StrategyError

__all__ = ["as_lots", "declared_per_quantities", "declared_quantities", "join_warnings", "lot_warning",
           "lot_warning_parts", "NO_LOT", "normalize_per_quantities", "normalize_quantities", "read_size_setting", "resolve_units",
           "setting_as_lots", "setting_in_lots", "signals_in_lots", "settings_lot_warning_parts", "store_lot_of"]

#: ``0.01 base``, ``1e-2 base``, ``20 lots``, ``1 lot``: a number in ASCII digits (``\d`` would take a
#: full-width ``０.０１``) and a unit.
_NUM = r"^\s*(?P<num>[-+]?(?:[0-9]+(?:_[0-9]+)*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*"
_QTY_RE = re.compile(_NUM + r"(?P<unit>[A-Za-z]+)\s*$")
#: ``0.1 per base``, ``0.1 per lot``: a per-lot parameter's value per a unit of size.
_PER_RE = re.compile(_NUM + r"per\s+(?P<unit>[A-Za-z]+)\s*$", re.IGNORECASE)
#: A quantity's number is 0 or between these in magnitude: checked on the decimal as written, before any exact
#: conversion (``1e999999999`` as a fraction is 10**999999999, which never finishes).
_SMALLEST, _LARGEST = Decimal("1e-300"), Decimal("1e300")
_RANGE = "a quantity is 0 or between 1e-300 and 1e300 in magnitude"
_UNITS = {"base": "base", "lots": "lots", "lot": "lots"}
_DOCS = 'docs/strategies.md, "Units of strategy parameters"'
#: How a quantity in base units is refused when no store's lot size is known: a sweep's pre-flight reads it as a
#: consequence of a store it could not read (that store's problem is the one shown), not a problem of its own.
NO_LOT = "event store's lot size; none is known here"
_FLOAT_MAX = Fraction(sys.float_info.max)
_C = TypeVar("_C")


def normalize_quantities(quantities: Any, spec: Collection[str] | None, domains: Mapping[str, Any],
                         where: str, *, per: bool = False) -> dict[str, bool]:
    """A declaration ``quantities`` as {name: whole}: a sequence of parameter names (whole when the
    parameter's domain is ``whole``), or a mapping name -> ``"whole"`` or ``"real"``. Each name is a string in
    ``spec`` (a numba strategy's declared parameters, a Python strategy's signature's) unless ``spec`` is None
    (a factory taking ``**kwargs``). With ``per``, a declaration ``per_quantities`` (its mapping's values
    ``"real"`` only: a value per lot is never a whole number of anything)."""
    if quantities is None:
        return {}
    what, noun, kinds = (("per_quantities", "per-lot parameter", "'real'") if per else
                         ("quantities", "quantity", "'whole' or 'real'"))
    if isinstance(quantities, str) or not isinstance(quantities, (Mapping, list, tuple, set, frozenset)):
        raise StrategyError(f"{where}: {what} must be a sequence of parameter names or a mapping name -> "
                            f"{kinds}, got {quantities!r}")
    mapping = isinstance(quantities, Mapping)
    items = quantities.items() if isinstance(quantities, Mapping) else ((n, None) for n in quantities)
    out: dict[str, bool] = {}
    for name, kind in items:
        if not isinstance(name, str):
            raise StrategyError(f"{where}: a {noun}'s name must be a parameter's name (a string), got {name!r}")
        if spec is not None and name not in spec:
            raise StrategyError(f"{where}: {noun} {name!r} is not a declared parameter")
        if kind is None and not mapping:
            dom = domains.get(name)
            out[name] = bool(getattr(dom, "whole", False)) and not per
        elif isinstance(kind, str) and kind in (("real",) if per else ("whole", "real")):
            out[name] = kind == "whole"
        else:
            raise StrategyError(f"{where}: {noun} {name!r} must be {kinds}, got {kind!r}")
    return out


def normalize_per_quantities(per_quantities: Any, spec: Collection[str] | None, quantities: Collection[str],
                             where: str) -> tuple[str, ...]:
    """A declaration ``per_quantities`` (parameters per lot: a skew in ticks per lot of position) as its names,
    checked as :func:`normalize_quantities` checks ``quantities``; none of them a quantity too."""
    names = tuple(normalize_quantities(per_quantities, spec, {}, where, per=True))
    for name in names:
        if name in quantities:
            raise StrategyError(f"{where}: {name!r} is declared both a quantity (in lots) and a per-lot parameter "
                                "(per_quantities); it is one or the other")
    return names


def declared_quantities(obj: Any) -> dict[str, bool]:
    """The quantity parameters (lots) the object a strategy spec names declares: {name: whole}.

    A numba strategy type's ``quantities`` (checked when it was declared; its rule's Python class reads its
    rule's); a Strategy class's or factory's ``quantities`` attribute, checked here as
    :func:`normalize_quantities` checks every declaration (a sequence of names, real-valued, or a mapping name ->
    ``"whole"`` or ``"real"``; each name a parameter of its signature when that is known); none for anything
    else."""
    kind = obj if _is_kind(obj) else getattr(obj, "native", None) if isinstance(obj, type) else None
    if kind is not None and _is_kind(kind):
        return dict(kind.quantities)
    got = getattr(obj, "quantities", None)
    if got is None or callable(got):
        return {}
    # A name in a list is whole when its default is an int (`size=1`): a Python strategy's size of 1.5 lots ran
    # until its first quote, which the engine refused.
    whole = {name: _WHOLE for name, default in _defaults(obj).items()
             if isinstance(default, int) and not isinstance(default, bool)}
    return normalize_quantities(got, _signature_params(obj), whole, f"strategy {_label(obj)}")


class _WHOLE:
    """A domain-like marker (``whole`` true) for a parameter whose default is an int."""

    whole = True


def declared_per_quantities(obj: Any) -> tuple[str, ...]:
    """The per-lot parameters the object a strategy spec names declares (``per_quantities``), as
    :func:`declared_quantities` reads ``quantities``."""
    kind = obj if _is_kind(obj) else getattr(obj, "native", None) if isinstance(obj, type) else None
    if kind is not None and _is_kind(kind):
        return tuple(getattr(kind, "per_quantities", ()))
    got = getattr(obj, "per_quantities", None)
    if got is None or callable(got):
        return ()
    return normalize_per_quantities(got, _signature_params(obj), declared_quantities(obj), f"strategy {_label(obj)}")


def _is_kind(obj: Any) -> bool:
    """A numba strategy type (:class:`mmsim.numba_strategy.NumbaStrategyType`): its ``quantities`` is the
    {name: whole} :func:`normalize_quantities` made of its declaration."""
    return (isinstance(getattr(obj, "param_spec", None), dict) and isinstance(getattr(obj, "quantities", None), dict)
            and callable(getattr(obj, "check_params", None)))


def _signature_params(obj: Any) -> list[str] | None:
    """The keyword parameters a Strategy class or factory takes; None when any name goes (``**kwargs``) or the
    signature is unknown."""
    import inspect

    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _label(obj: Any) -> str:
    return str(getattr(obj, "name", None) or getattr(obj, "__name__", None) or obj)


def _lot(lot_size: float) -> Decimal:
    """The lot size as the decimal it reads (``1e-08``: ``1E-8``), as the report's quantities do."""
    return Decimal(repr(float(lot_size))).normalize()


def _text(x: Decimal | Fraction) -> str:
    """A number with every digit and no exponent: ``0.0000002``, ``1000000``, ``1.5``."""
    d = x if isinstance(x, Decimal) else Decimal(x.numerator) / Decimal(x.denominator)
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number_in_range(m: re.Match[str], label: str, name: str, value: str) -> Fraction:
    """:func:`_number_of` a strategy parameter's match, or the ConfigError naming the parameter when out of range."""
    num = _number_of(m)
    if num is None:
        raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is out of range: {_RANGE}")
    return num


def _number_of(m: re.Match[str]) -> Fraction | None:
    """The number a quantity's match writes, exactly; None when it is out of range (:data:`_RANGE`)."""
    from decimal import InvalidOperation

    try:
        d = Decimal(m.group("num").replace("_", ""))
    except (InvalidOperation, ArithmeticError):  # an exponent beyond Decimal's own limit (1e10**18)
        return None
    if d.is_zero():
        return Fraction(0)
    if not _SMALLEST <= d.copy_abs() <= _LARGEST:
        return None
    return Fraction(d)


def _plain_number(q: Fraction) -> int | float:
    return int(q) if q.denominator == 1 else float(q)


def resolve_units(obj: Any, params: Mapping[str, Any], lot_size: float | None, label: str) -> dict[str, Any]:
    """``params`` with every quantity written with a unit converted to lots (an int when whole).

    A per-lot parameter (``per_quantities``) written ``<number> per base`` is its value per lot, the number
    times the lot (``0.1 per base`` on a lot of 1e-08 is 1e-09 per lot); ``<number> per lot`` is the number.

    Raises
    ------
    ConfigError
        A unit on a parameter that is not a declared quantity; a quantity string that is not
        ``<number> base`` or ``<number> lots``; ``base`` without a known lot size; a base quantity
        that is not a whole number of lots for a parameter read as whole. The same for a per-lot
        parameter (``per base`` / ``per lot``).
    """
    quantities = declared_quantities(obj)
    per = declared_per_quantities(obj)
    out = dict(params)
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        if name in per or _PER_RE.match(value):
            got = _per_lot(name, value, per, lot_size, label)
            if got is not None:
                out[name] = got
            continue
        m = _QTY_RE.match(value)
        unit = _UNITS.get(m.group("unit").lower()) if m else None
        if name not in quantities:
            if m is None:
                continue  # not a number with a unit: the parameter's own check names it
            which = (f"its quantities are {', '.join(quantities)}" if quantities
                     else "it declares no quantity parameters")
            declare = "" if quantities else (f", or declare it a quantity (numba_strategy(..., quantities=[{name!r}]), "
                                             "or a strategy class's `quantities` attribute)")
            raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} has a unit, but {name!r} is not a "
                              f"quantity in lots ({which}); write it as a plain number{declare} ({_DOCS})")
        if m is None or unit is None:
            raise ConfigError(f"strategy {label}: parameter {name!r}: cannot read {value!r}: a quantity is a "
                              f"number of lots, or a number and a unit, '0.01 base' (base units, converted with "
                              f"the event store's lot size) or '20 lots' ({_DOCS})")
        num = _number_in_range(m, label, name, value)
        if unit == "lots":
            if quantities[name] and num.denominator != 1:
                raise ConfigError(_not_whole(obj, label, name, value, num, None))
            out[name] = _plain_number(num)
            continue
        if lot_size is None:
            raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is in base units, which need the "
                              f"{NO_LOT} (give the store, or write lots)")
        lot = _lot(lot_size)
        lots = num / Fraction(lot)
        if abs(lots) > _FLOAT_MAX:
            raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is more than 1.8e308 lots of "
                              f"{_text(lot)}, more than a number holds")
        if quantities[name] and lots.denominator != 1:
            raise ConfigError(_not_whole(obj, label, name, value, lots, lot))
        out[name] = _plain_number(lots)
    # A plain number of lots for a Python strategy's whole quantity: the same check (a numba strategy's
    # parameter check refuses it in its own words).
    for name, value in params.items():
        if (not _is_kind(obj) and getattr(obj, "native", None) is None and quantities.get(name)
                and isinstance(value, float) and math.isfinite(value) and not value.is_integer()):
            raise ConfigError(_not_whole(obj, label, name, value, Fraction(value), None))
    return out


def _per_lot(name: str, value: str, per: Collection[str], lot_size: float | None,
             label: str) -> int | float | None:
    """A per-lot parameter's ``<number> per base`` / ``<number> per lot`` as its value per lot; None for a
    string that is no number with a unit (the parameter's own check names it)."""
    m = _PER_RE.match(value)
    if name not in per:
        which = f"its per-lot parameters are {', '.join(per)}" if per else "it declares no per-lot parameters"
        raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is per a unit of size, but {name!r} is "
                          f"not a per-lot parameter ({which}); write it as a plain number ({_DOCS})")
    if m is None:
        if not _QTY_RE.match(value):
            return None
        raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is a size, but {name!r} is per lot: "
                          f"write its value per base unit, '<number> per base', or per lot, '<number> per lot' "
                          f"({_DOCS})")
    unit = _UNITS.get(m.group("unit").lower())
    if unit is None:
        raise ConfigError(f"strategy {label}: parameter {name!r}: cannot read {value!r}: a per-lot parameter is a "
                          f"number per lot, or a number and a unit, '0.1 per base' (per base unit, converted with the "
                          f"event store's lot size) or '0.1 per lot' ({_DOCS})")
    num = _number_in_range(m, label, name, value)
    if unit == "lots":
        return _plain_number(num)
    if lot_size is None:
        raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is per base unit, which needs the "
                          f"{NO_LOT} (give the store, or write per lot)")
    got = _plain_number(num * Fraction(_lot(lot_size)))
    if got == 0 and num != 0:
        raise ConfigError(f"strategy {label}: parameter {name!r}: {value!r} is {float(num):g} x "
                          f"{_text(_lot(lot_size))} per lot, less than a number holds")
    return got


def _not_whole(obj: Any, label: str, name: str, value: Any, lots: Fraction, lot: Decimal | None) -> str:
    """The message for a whole quantity given a fraction of a lot (in base units when ``lot`` is given)."""
    why = ("" if _is_kind(obj) or isinstance(getattr(obj, "quantities", None), Mapping) else
           f" (its default is an int; declare quantities = {{{name!r}: 'real'}} if it takes fractions)")
    text = _text(lots)
    amount = text if len(text) <= 32 else f"{float(lots):.6g}"  # 1e-300 base: not 300 zeros
    head = f"strategy {label}: parameter {name!r}: {value!r} is {amount} lots"
    if lot is None:
        return f"{head}, not a whole number of lots; {name!r} is a whole number of lots{why}"
    return (f"{head} of {_text(lot)}, not a whole number of lots; {name!r} is a whole number of lots{why}: "
            f"write a multiple of {_text(lot)} base")


def _defaults(obj: Any) -> dict[str, Any]:
    """The parameters' defaults: a numba strategy's declared ones, else its signature's."""
    native = obj if hasattr(obj, "param_spec") else getattr(obj, "native", None)
    spec = getattr(native, "param_spec", None)
    if isinstance(spec, dict):
        return {k: v for k, v in spec.items() if v is not None}
    import inspect

    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in sig.parameters.values() if p.default is not p.empty}


def _warned_value(name: str, params: Mapping[str, Any], defaults: Mapping[str, Any], python: bool) -> Any:
    """The value a lot-unit warning names for ``name`` (given, or its default), or None for none: a value passed
    in Python, or one that reads alike in any unit (0, infinity) or is no number."""
    given = name in params
    if given and python:
        return None
    value = params[name] if given else defaults.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value == 0:
        return None
    return value


def _warned(names: Iterable[str], params: Mapping[str, Any], defaults: Mapping[str, Any],
            python: bool) -> Iterator[tuple[str, Decimal, str]]:
    """``(name, value, how)`` of each of ``names`` the lot warning names (:func:`_warned_value`): its value in lots
    (or per lot) as a Decimal, and ``written without a unit`` or ``the default``."""
    for name in names:
        value = _warned_value(name, params, defaults, python)
        if value is not None:
            yield (name, Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
                   "written without a unit" if name in params else "the default")


def lot_warning(obj: Any, params: Mapping[str, Any], lot_size: float | None, label: str) -> str | None:
    """The warning for a store whose lot is not 1: each declared quantity left at its default or written
    without a unit (0 and infinity left out: they read alike in any unit), with its value in lots and in
    base units and how to write it in base units, then each per-lot parameter so (per lot, per base unit);
    None when there is none (or the lot is 1)."""
    parts = lot_warning_parts(obj, params, lot_size, label)
    return None if parts is None else join_warnings({parts[0]: parts[1]})


def lot_warning_parts(obj: Any, params: Mapping[str, Any], lot_size: float | None,
                      label: str, *, python: bool = False) -> tuple[str, list[str]] | None:
    """:func:`lot_warning` as its first line (the strategy and the lot) and its quantities' lines. With
    ``python`` (:func:`mmsim.run` of a strategy built in Python), only the defaults: a number passed in Python
    is the caller's, and the line says to pass ``mmsim.base(...)`` / ``mmsim.per_base(...)``."""
    if lot_size is None or float(lot_size) == 1.0:
        return None
    lot = _lot(lot_size)
    defaults = _defaults(obj)
    lines = []
    for name, lots, how in _warned(declared_quantities(obj), params, defaults, python):
        base = _text(lots * lot)
        write = f"pass `{name}=mmsim.base({base}, store)`" if python else f"write `{name}: {base} base`"
        lines.append(f"  {name}: {_text(lots)} lot{'' if lots == 1 else 's'} ({how}) = {base} base units; in base units "
                     f"{write}")
    for name, per_lot, how in _warned(declared_per_quantities(obj), params, defaults, python):
        text = _text(Fraction(per_lot) / Fraction(lot))
        per_base = text if len(text) <= 32 else f"{float(Fraction(per_lot) / Fraction(lot)):.17g}"
        write = f"pass `{name}=mmsim.per_base({per_base}, store)`" if python else f"write `{name}: {per_base} per base`"
        lines.append(f"  {name}: {_text(per_lot)} per lot ({how}) = {per_base} per base unit; in base units {write}")
    if not lines:
        return None
    return (f"strategy {label}: these quantities are in lots, and a lot of this event store is {_text(lot)} base "
            f"units ({_DOCS}):"), lines


#: The lines a sweep's one warning shows under each strategy and lot; the rest are counted.
WARN_LINES = 12


def join_warnings(parts: Mapping[str, list[str]]) -> str:
    """One warning of {first line: quantities' lines} (a sweep's every point, each line once): at most
    :data:`WARN_LINES` lines under each first line, then how many more."""
    blocks = []
    for head, lines in parts.items():
        shown = lines[:WARN_LINES]
        if len(lines) > WARN_LINES:
            more = len(lines) - WARN_LINES
            shown.append(f"  and {more} more quantit{'y' if more == 1 else 'ies'} in lots in the sweep's points")
        blocks.append("\n".join([head, *shown]))
    return "\n".join(blocks)


def store_lot_of(data: str, config_lot: float | None = None) -> float | None:
    """The lot size a run on the store ``data`` uses: its meta.json's (a config's ``lot_size`` must be the
    same), else ``config_lot``; None when neither gives one."""
    from pathlib import Path

    from ._json import loads_unique

    try:
        lot = loads_unique((Path(data) / "meta.json").read_text(encoding="utf-8")).get("lot_size") if data else None
    except (OSError, ValueError, AttributeError):
        lot = None
    if isinstance(lot, (int, float)) and not isinstance(lot, bool) and lot > 0:
        return float(lot)
    return None if config_lot is None else float(config_lot)


def as_lots(params: Mapping[str, Any], data: str, config_lot: float | None) -> dict[str, Any]:
    """``params`` with each value written ``<number> base`` or ``<number> lots`` as its number of lots, and each
    written ``<number> per base`` or ``<number> per lot`` as its value per lot, whatever the strategy declares
    (for a config's digest and a sweep point's id: ``size: 0.01 base`` and ``size: 1000000``, ``skew: 0.1 per
    base`` and ``skew: 1e-09``, on a lot of 1e-08 are one run). The lot is ``config_lot``, else the store ``data``'s meta.json, read only
    for a value in base units; base units stay as written when it is unknown."""
    out = dict(params)
    lot: Any = ...
    for name, value in params.items():
        per = _PER_RE.match(value) if isinstance(value, str) else None
        m = per or (_QTY_RE.match(value) if isinstance(value, str) else None)
        unit = _UNITS.get(m.group("unit").lower()) if m else None
        if m is None or unit is None:
            continue
        num = _number_of(m)
        if num is None:
            continue  # out of range: loading the strategy says so
        if unit == "base":
            lot = store_lot_of(data, config_lot) if lot is ... else lot
            if lot is None:
                continue
            num = num * Fraction(_lot(lot)) if per else num / Fraction(_lot(lot))
            if abs(num) > _FLOAT_MAX:
                continue  # more lots than a number holds: loading the strategy says so
        out[name] = _plain_number(num)
    return out


# --------------------------------------------------------------------------- config settings in lots

#: Where a config setting in lots (``signals.vpin_bucket_volume``) is documented.
_SETTING_DOCS = 'docs/signals.md, "Bucket volume in base units"'


def read_size_setting(value: str, label: str, must: str) -> float | str:
    """A config setting in lots written with a unit (``signals.vpin_bucket_volume: 5 base`` or ``100 lots``),
    checked and kept as written (stripped): :func:`setting_in_lots` converts it once the store's lot is known
    (a unit, even ``lots``, says the unit was chosen: no warning). The number is > 0."""
    m = _QTY_RE.match(value)
    unit = _UNITS.get(m.group("unit").lower()) if m else None
    if m is None or unit is None:
        raise ConfigError(f"{label}: cannot read {value!r}: a size is a number of lots, or a number and a unit, "
                          f"'5 base' (base units, converted with the event store's lot size) or '100 lots' "
                          f"({_SETTING_DOCS})")
    num = _number_of(m)
    if num is None:
        raise ConfigError(f"{label}: {value!r} is out of range: {_RANGE}")
    if num <= 0:
        raise ConfigError(f"{label}{must}a finite number > 0, got {value!r}")
    return value.strip()


def setting_in_lots(value: Any, lot_size: float | None, label: str) -> Any:
    """A config setting read by :func:`read_size_setting` as its float number of lots on a lot of ``lot_size``
    (``5 base`` on 1e-08 is 500000000.0, exactly from the lot's decimal text; ``100 lots`` is 100.0 on any
    lot); a number as it is."""
    if not isinstance(value, str):
        return value
    m = _QTY_RE.match(value)
    num = _number_of(m) if m else None
    if m is None or num is None:  # read_size_setting made it: never
        raise ConfigError(f"{label}: cannot read {value!r}")
    if _UNITS.get(m.group("unit").lower()) == "lots":
        return float(num)
    if lot_size is None:
        raise ConfigError(f"{label}: {value!r} is in base units, which need the event store's lot size; none is "
                          "known here (give the store, set lot_size, or write lots)")
    lot = _lot(lot_size)
    lots = num / Fraction(lot)
    if lots > _FLOAT_MAX:
        raise ConfigError(f"{label}: {value!r} is more than 1.8e308 lots of {_text(lot)}, more than a number holds")
    return float(lots)


def settings_lot_warning_parts(signals: Any, lot_size: float | None, *,
                               python: bool = False) -> tuple[str, list[str]] | None:
    """The lot-unit warning's block for the config's settings in lots (``signals.vpin_bucket_volume``, read
    when signals are on) left without a unit on a store whose lot is not 1: first line and lines, as
    :func:`lot_warning_parts`; None when there is none (or the lot is 1). With ``python`` (an
    :class:`mmsim.Config` made in Python), only the default, and the line says how to write it there."""
    if lot_size is None or float(lot_size) == 1.0 or not getattr(signals, "enabled", False):
        return None
    value = getattr(signals, "vpin_bucket_volume", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    lot = _lot(lot_size)
    lots = Decimal(repr(float(value)))
    base = _text(lots * lot)
    default = value == type(signals)().vpin_bucket_volume
    if python and not default:
        return None
    how = "the default" if default else "written without a unit"
    write = (f"pass `SignalConfig(vpin_bucket_volume=\"{base} base\")`" if python
             else f"write `signals: {{vpin_bucket_volume: {base} base}}`")
    return (f"config: these settings are in lots, and a lot of this event store is {_text(lot)} base units "
            f"({_SETTING_DOCS}):", [
                f"  signals.vpin_bucket_volume: {_text(lots)} lot{'' if lots == 1 else 's'} ({how}) = {base} base "
                f"units; in base units {write}"])


def setting_as_lots(plain: Mapping[str, Any], data: str, config_lot: float | None) -> dict[str, Any]:
    """A config's plain mapping (:meth:`mmsim.RunConfig.to_dict`) with ``signals.vpin_bucket_volume`` written in
    base units as its float number of lots (for a digest and a sweep point's id, as :func:`as_lots` for a
    strategy's quantities: ``5 base`` and ``500000000`` on a lot of 1e-08 are one run); as written when the lot
    is unknown or the value cannot convert (running it says why)."""
    signals = plain.get("signals")
    value = signals.get("vpin_bucket_volume") if isinstance(signals, Mapping) else None
    if not isinstance(value, str) or not isinstance(signals, Mapping):
        return dict(plain)
    lot = store_lot_of(data, config_lot)
    try:
        lots = setting_in_lots(value, lot, "signals.vpin_bucket_volume")
    except ConfigError:
        return dict(plain)
    return {**plain, "signals": {**signals, "vpin_bucket_volume": lots}}


def signals_in_lots(config: _C, meta: Mapping[str, Any], where: str = "") -> _C:
    """``config`` (an :class:`mmsim.Config`) with ``signals.vpin_bucket_volume`` written with a unit (``5 base``,
    ``100 lots``) as its lots on the store's lot (``meta``'s, else the config's ``lot_size``; a ConfigError
    naming the key, after ``where``, when neither gives one and it is in base units)."""
    cfg: Any = config
    value = cfg.signals.vpin_bucket_volume
    if not isinstance(value, str):
        return config
    import dataclasses

    lot = meta.get("lot_size")
    lot = lot if isinstance(lot, (int, float)) and not isinstance(lot, bool) and lot > 0 else cfg.lot_size
    try:
        lots = setting_in_lots(value, lot, "signals.vpin_bucket_volume")
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    out: _C = dataclasses.replace(cfg, signals=dataclasses.replace(cfg.signals, vpin_bucket_volume=lots))
    return out
