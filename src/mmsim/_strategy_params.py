"""Internals of :mod:`mmsim.numba_strategy`: a rule's declared parameters, their domains, and the
validation of the values a user gives (the Python and fast paths and ``check_params`` share it).

A domain is ``"finite"`` or a comparison with a number (``"> 0"``, ``">= 0"``, ``"< 1"``,
``"<= 1"``, finite values only), optionally after ``"whole "`` (integer values below 2^53:
sizes and positions in lots) and followed by ``" or inf"`` to allow ``+inf``;
see :func:`mmsim.numba_strategy` and docs/strategies.md ("Parameter domains").

A constraint relates two parameters: ``"flatten_to <= flatten_at"``, one of ``<``, ``<=``, ``>``,
``>=`` between two declared names; it is checked after each value is inside its domain. A set of
constraints no values can satisfy (``a <= b`` and ``b < a``) is refused when declared.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

import numpy as np

from .errors import ConfigError, StrategyError


#: Parameter names a rule may not declare, and why: ``.python(pure=5.0)`` read 5.0 as the path switch (pure=True)
#: and ran the rule with the parameter's default, silently; ``self`` cannot be passed to ``rule(self=...)``.
_TAKEN_NAMES = {
    "pure": "my_rule.python(pure=...) chooses the plain Python path, so the parameter would never be set",
    "self": "my_rule(self=...) cannot pass it (Python gives self the strategy type)",
}


def _normalize_param_spec(params: Any, where: str) -> dict[str, float | None]:
    """Declared parameters as an ordered {name: default or None (required)}; StrategyError for a name in
    :data:`_TAKEN_NAMES`."""
    if params is None:
        return {}
    if isinstance(params, str):
        raise StrategyError(f"{where}: params must be a sequence of names or a mapping name -> default, got a string")
    items = params.items() if isinstance(params, Mapping) else ((p, None) for p in params)
    spec: dict[str, float | None] = {}
    for name, default in items:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise StrategyError(f"{where}: parameter name {name!r} must be a Python identifier not starting with _")
        if name in spec:
            raise StrategyError(f"{where}: parameter {name!r} is declared twice")
        if name in _TAKEN_NAMES:
            raise StrategyError(f"{where}: parameter name {name!r} is taken: {_TAKEN_NAMES[name]}; name it otherwise")
        if default is not None:
            default = _number(default, f"{where}: default of parameter {name!r}", StrategyError)
        spec[name] = default
    return spec


def _number(value: Any, what: str, error: type[Exception] = ConfigError) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        # YAML reads `inf` as a string: its infinity is `.inf`.
        hint = (" (YAML writes infinity as .inf)" if isinstance(value, str)
                and value.strip().lower().lstrip("+-") in ("inf", "infinity") else _unit_hint(value))
        raise error(f"{what}: expected a number, got {value!r}{hint}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond float64 (a 401-digit YAML integer): never a traceback
        raise error(f"{what}: {_big(value)} is too large for a number (at most 1.8e308)") from None
    if math.isnan(v):
        raise error(f"{what}: expected a number, got NaN")
    return v


def _unit_hint(value: Any) -> str:
    """For a number with a unit given in Python (``size="0.01 base"``: only a config's are converted), how to
    pass it: ``mmsim.base(0.01, store)``, ``mmsim.per_base(20, store)``, or the number of lots."""
    from ._qty_units import _DOCS, _PER_RE, _QTY_RE

    per = _PER_RE.match(value) if isinstance(value, str) else None
    m = per or (_QTY_RE.match(value) if isinstance(value, str) else None)
    unit = m.group("unit").lower() if m else ""
    if m is None or unit not in ("base", "lot", "lots"):
        return ""
    num = m.group("num")
    how = (f"{num} (a number is {'per lot' if per else 'lots'})" if unit != "base" else
           f"mmsim.per_base({num}, store), its value per lot" if per else f"mmsim.base({num}, store), its lots")
    return f"; a unit is read from a config file: in Python pass {how} ({_DOCS})"


def _big(value: Any) -> str:
    """An integer too large for a float64, shortly: ``1e+400``, ``1.111e+400`` (never its every digit)."""
    from decimal import Decimal

    mantissa, exp = f"{Decimal(value):.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exp}"


def _show(v: float) -> str:
    """A parameter value as a user wrote it: ``-1`` not ``-1.0``, every digit of ``123456789``, ``inf``."""
    return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)


_DOMAIN_RE = re.compile(r"^\s*(?P<whole>whole\s+)?(?:(?P<finite>finite)|(?P<op>>=|>|<=|<)\s*"
                        r"(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))(?P<inf>\s+or\s+inf)?\s*$")

#: The largest whole value a ``whole`` domain takes: every integer up to it is a float64 exactly,
#: and the engine takes a quote's size below 2^53 lots.
WHOLE_MAX = 2.0 ** 53 - 1


class _Domain:
    """A parameter's declared domain, e.g. ``"> 0"``, ``">= 0 or inf"``, ``"finite"``, ``"whole > 0"``
    (see numba_strategy)."""

    __slots__ = ("text", "op", "bound", "allow_inf", "whole", "_cmp")

    def __init__(self, text: str, where: str) -> None:
        m = _DOMAIN_RE.match(text) if isinstance(text, str) else None
        if m is None:
            raise StrategyError(f"{where}: domain {text!r} is not 'finite', '> x', '>= x', '< x' or '<= x' "
                                "(optionally after 'whole' and followed by 'or inf')")
        self.op: str | None = m.group("op")
        self.bound = float(m.group("bound")) if self.op else 0.0
        if not math.isfinite(self.bound):
            raise StrategyError(f"{where}: domain {text!r} has a bound that is not a finite number")
        self.allow_inf = m.group("inf") is not None
        self.whole = m.group("whole") is not None
        self._cmp = (f"{self.op} {_show(self.bound)}" if self.op else "finite") + (" or inf" if self.allow_inf else "")
        self.text = ("whole " if self.whole else "") + self._cmp

    def __repr__(self) -> str:
        return repr(self.text)

    def problem(self, v: float) -> str | None:
        """Why ``v`` (not NaN) is outside the domain, or None."""
        if math.isinf(v):
            if v > 0 and self.allow_inf:
                return None
            return f"must be {self._cmp}" + ("" if self.allow_inf or self.op is None else " and finite")
        ok = {None: True, ">": v > self.bound, ">=": v >= self.bound, "<": v < self.bound,
              "<=": v <= self.bound}[self.op]
        if not ok:
            return f"must be {self._cmp}"
        if self.whole and not (v.is_integer() and abs(v) <= WHOLE_MAX):
            return ("must be a whole number" + ("" if not v.is_integer() else " of at most 2^53 - 1")
                    + (" or inf" if self.allow_inf else ""))
        return None


def _normalize_domains(domains: Any, spec: Mapping[str, float | None], where: str) -> dict[str, _Domain]:
    """Declared domains as {name: _Domain}; every default must lie inside its domain."""
    if domains is None:
        return {}
    if not isinstance(domains, Mapping):
        raise StrategyError(f"{where}: domains must be a mapping parameter name -> domain, got "
                            f"{type(domains).__name__}")
    out: dict[str, _Domain] = {}
    for name, text in domains.items():
        if name not in spec:
            raise StrategyError(f"{where}: domain given for {name!r}, which is not a declared parameter")
        d = _Domain(text, f"{where}: parameter {name!r}")
        default = spec[name]
        if default is not None and (why := d.problem(default)) is not None:
            raise StrategyError(f"{where}: the default of parameter {name!r} {why}, it is {_show(default)}")
        out[name] = d
    return out


_CONSTRAINT_RE = re.compile(r"^\s*(?P<left>[A-Za-z_]\w*)\s*(?P<op><=|<|>=|>)\s*(?P<right>[A-Za-z_]\w*)\s*$")
_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class _Constraint:
    """A declared relation between two parameters, e.g. ``"flatten_to <= flatten_at"`` (see numba_strategy)."""

    __slots__ = ("text", "left", "op", "right")

    def __init__(self, text: str, spec: Mapping[str, float | None], where: str) -> None:
        m = _CONSTRAINT_RE.match(text) if isinstance(text, str) else None
        if m is None:
            raise StrategyError(f"{where}: constraint {text!r} is not '<parameter> <op> <parameter>' with op one "
                                "of <, <=, >, >=")
        self.left, self.op, self.right = m.group("left"), m.group("op"), m.group("right")
        for name in (self.left, self.right):
            if name not in spec:
                raise StrategyError(f"{where}: constraint {text!r} names {name!r}, which is not a declared parameter")
        if self.left == self.right:
            raise StrategyError(f"{where}: constraint {text!r} relates a parameter to itself (use a domain)")
        self.text = f"{self.left} {self.op} {self.right}"

    def __repr__(self) -> str:
        return repr(self.text)

    def problem(self, values: Mapping[str, float], given: Any = None) -> str | None:
        """What is wrong when ``values`` break the relation, or None; ``given`` holds the names the user set
        (a default is shown as such)."""
        a, b = values[self.left], values[self.right]
        if _OPS[self.op](a, b):
            return None

        def show(name: str) -> str:
            v = _show(values[name])
            return f"parameter {name!r} ({v})" if given is None or name in given else f"parameter {name!r} (default {v})"

        return f"{show(self.left)} must be {self.op} {show(self.right)}"


def _normalize_constraints(constraints: Any, spec: Mapping[str, float | None], where: str) -> tuple[_Constraint, ...]:
    """Declared constraints; the defaults, when both are declared, must satisfy each."""
    if constraints is None:
        return ()
    if isinstance(constraints, (str, Mapping)) or not isinstance(constraints, (list, tuple)):
        raise StrategyError(f"{where}: constraints must be a list of strings such as 'flatten_to <= flatten_at', "
                            f"got {type(constraints).__name__}")
    out = tuple(_Constraint(text, spec, where) for text in constraints)
    contradiction = _contradiction(out)
    if contradiction is not None:
        texts = [repr(c.text) for c in contradiction]
        both = "both" if len(texts) == 2 else "all"
        first = contradiction[0]
        low = first.left if first.op in ("<", "<=") else first.right
        raise StrategyError(f"{where}: constraints {', '.join(texts[:-1])} and {texts[-1]} cannot {both} hold: "
                            f"together they say {low} < {low}, so no values satisfy them")
    defaults = {k: v for k, v in spec.items() if v is not None}
    for c in out:
        if c.left in defaults and c.right in defaults and (why := c.problem(defaults)) is not None:
            raise StrategyError(f"{where}: the defaults break constraint {c.text!r}: {why}")
    return out


def _contradiction(constraints: tuple[_Constraint, ...]) -> list[_Constraint] | None:
    """Constraints that no values satisfy together, in declaration order, or None.

    Each constraint is an edge ``low -> high`` (``a > b`` is ``b < a``), strict for ``<``/``>``. Values
    (finite or ``inf``; never NaN) satisfy them all exactly when no cycle of edges holds a strict one: along
    a cycle ``x <= ... < ... <= x`` says ``x < x``; without one, equal values on each cycle and increasing
    ones along the rest satisfy every edge. The cycle found first is returned (the shortest path closing
    the first strict constraint that closes one).
    """
    edges: dict[str, list[tuple[str, _Constraint]]] = {}
    for c in constraints:
        low, high = (c.left, c.right) if c.op in ("<", "<=") else (c.right, c.left)
        edges.setdefault(low, []).append((high, c))
    for c in constraints:
        if c.op not in ("<", ">"):
            continue
        low, high = (c.left, c.right) if c.op == "<" else (c.right, c.left)
        # The shortest path high -> ... -> low closes the cycle (breadth first).
        back: dict[str, tuple[str, _Constraint] | None] = {high: None}
        queue = [high]
        while queue and low not in back:
            node = queue.pop(0)
            for nxt, via in edges.get(node, ()):
                if nxt not in back:
                    back[nxt] = (node, via)
                    queue.append(nxt)
        if low in back:
            cycle = [c]
            node = low
            while (step := back[node]) is not None:
                node, via = step
                cycle.append(via)
            order = {id(x): i for i, x in enumerate(constraints)}
            return sorted(cycle, key=lambda x: order[id(x)])
    return None


def _resolve_params(label: str, spec: Mapping[str, float | None], values: Mapping[str, Any],
                    domains: Mapping[str, _Domain] | None = None,
                    constraints: tuple[Any, ...] = ()) -> dict[str, float]:
    """Validate ``values`` against the declared parameters, their domains and constraints (each with
    ``problem(values, given) -> str | None``: a :class:`_Constraint`, or a rule's write into an integer field of
    ``out``, ``mmsim._rule_source.IntWrite``); fill in defaults."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"strategy {label}: parameters must be a mapping, got {type(values).__name__}")
    for key in values:
        if key not in spec:
            known = ", ".join(spec) or "none"
            raise ConfigError(f"strategy {label}: unknown parameter {key!r} (it takes: {known})")
    out: dict[str, float] = {}
    for name, default in spec.items():
        if name in values:
            v = out[name] = _number(values[name], f"strategy {label}: parameter {name!r}")
            d = (domains or {}).get(name)
            if d is not None and (why := d.problem(v)) is not None:
                raise ConfigError(f"strategy {label}: parameter {name!r} {why}, got {_show(v)}")
        elif default is None:
            raise ConfigError(f"strategy {label}: missing parameter {name!r}")
        else:
            out[name] = default
    for c in constraints:
        if (why := c.problem(out, values)) is not None:
            raise ConfigError(f"strategy {label}: {why}")
    return out
