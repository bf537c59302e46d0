"""Two points of a grid that are the same run once their values are read: refused, naming both written forms.

``latency.feed: [1ms, 1000us]`` reads as one latency, and a numba strategy's ``size: [10, 10.0]`` as
one float parameter: the sweep would run the same point twice, a copy counting twice in the sweep's
results and plots (whatever the axis) and wasting a run. The grid parser finds the first kind: an axis's values
compared as the run config reads them, the first repeat in the list's order (:func:`read_identity`,
:func:`axis_repeat`; ``2.0`` is ``2`` for an integer key), then the points' ids (:func:`mmsim.sweep.grid.parse_grid`);
the pre-flight check, which loads the strategies, the second
(:func:`check_resolved`): a numba strategy's parameters are compared as it reads them, float64 with
its defaults filled in, and so are those of the rule's Python class (``FixedSpreadPython``, which
reads them the same way). Any other Python strategy gets its parameters as YAML read them, so
``10`` and ``10.0`` stay two points there (it may treat an int otherwise than a float).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .labels import _canonical
from .written import describe_written, line_of, written_text

__all__ = ["axis_repeat", "check_resolved", "duplicate_message", "read_identity", "strategy_identity"]


def _form(value: Any, path: str, written: Mapping[str, str]) -> str:
    """``value`` as the grid writes it, in YAML's flow style (``10.0``, ``1000us``, ``{size: 0x10}``)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_form(v, f'{path}.{k}', written)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_form(v, f"{path}[{i}]", written) for i, v in enumerate(value)) + "]"
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    text = written_text(value, path, written)
    return repr(value) if text is None else text


def duplicate_message(cur: tuple[Mapping[str, Any], Mapping[str, str]], prev: tuple[Mapping[str, Any], Mapping[str, str]],
                      written: Mapping[str, str], where: Mapping[str, str]) -> str:
    """Why point ``cur`` (its overrides and where the grid writes each) is point ``prev`` again: each key
    whose written values differ, both written forms, and the grid lines."""
    (co, cs), (po, ps) = cur, prev
    parts: list[str] = []
    lines: dict[str, str] = {}  # line -> the first key written there

    def at(src: str) -> str:
        found = line_of(where, src)
        if found and found[2:-1] not in lines:
            lines[found[2:-1]] = src
        return src

    for k in [*co, *(k for k in po if k not in co)]:
        if k in co and k in po:
            if _canonical(co[k]) == _canonical(po[k]) and \
                    _form(co[k], cs.get(k, k), written) == _form(po[k], ps.get(k, k), written):
                continue  # (0x8 and 8: one value, written two ways, is said so)
            parts.append(f"{at(cs.get(k, k))}: {_form(co[k], cs.get(k, k), written)!r} is "
                         f"{_form(po[k], ps.get(k, k), written)!r} ({at(ps.get(k, k))}) once read")
        else:
            mine, other = ((co, cs), (po, ps)) if k in co else ((po, ps), (co, cs))
            parts.append(f"{at(mine[1].get(k, k))}: {_form(mine[0][k], mine[1].get(k, k), written)!r} is what "
                         f"point ({describe_written(other[0], other[1], written)}) runs with (the base's "
                         "value or the default)")
    if not parts:  # the same overrides twice (two equal points of `points`)
        parts.append(f"point ({describe_written(co, cs, written)}) is written twice")
        for src in [*cs.values(), *ps.values()]:  # both items' lines, when a block list puts them apart
            at(src)
    return ("; ".join(parts) + ", so the grid would run the same point twice (the copy counts twice in the "
            "sweep's results and plots, and wastes a run); drop one" + _lines(lines))


def read_identity(plain: Mapping[str, Any], unread: Sequence[str], key: str, value: Any) -> str:
    """What an axis value at dotted ``key`` is once a run config reads it on the grid's base, to compare the
    axis's values: the top-level key or section it sets, as read (``plain``: :meth:`mmsim.RunConfig.to_dict`
    of the base with ``{key: value}`` set). So ``signals.depth_levels: 2.0`` is ``2`` (an integer key reads a
    whole float as the integer), ``latency.feed: 1000us`` is ``1ms``, while a strategy's parameters stay as
    YAML read them (``10`` is not ``10.0``: a Python strategy may treat them otherwise; the pre-flight check,
    :func:`check_resolved`, compares them as a numba strategy reads them). A key the base's model does not
    read (``unread``: ``queue.power`` beside the default queue model; a point may choose the model that reads
    it) compares as YAML read it; the points' check compares it as each point reads it."""
    if any(k == key or k.startswith(key + ".") or key.startswith(k + ".") for k in unread):
        return "as written: " + _canonical(value)
    return _canonical(plain.get(key.split(".")[0]))


def axis_repeat(key: str, values: Sequence[Any], i: int, j: int, written: Mapping[str, str],
                where: Mapping[str, str], at: str) -> str:
    """The message for ``axes.KEY[i]``, which is ``axes.KEY[j]`` (an earlier item) once read
    (:func:`read_identity`): ``value '1ms' is already axes.latency.feed[0]`` when both write it alike (``at``:
    the item's line, `` (grid.yaml line 5)``), else both as written (``'2.0' is '2' (...[0]) once read``)."""
    src, prev = f"axes.{key}[{i}]", f"axes.{key}[{j}]"
    form = _form(values[i], src, written)
    if _canonical(values[i]) == _canonical(values[j]) and form == _form(values[j], prev, written):
        shown = repr(values[i]) if form == _form(values[i], src, {}) else repr(form)  # [1e1]: '[1e1]', not [10.0]
        return f"{src}: value {shown} is already {prev}{at}"
    return duplicate_message(({key: values[i]}, {key: src}), ({key: values[j]}, {key: prev}), written, where)


def _lines(lines: Mapping[str, str]) -> str:
    """`` (grid.yaml line 5)``, or with the items of a block list on lines of their own, each line with the
    key written there: `` (axes.latency.feed[2] at grid.yaml line 8, axes.latency.feed[1] at grid.yaml line 7)``."""
    if len(lines) <= 1:
        return "".join(f" ({line})" for line in lines)
    return " (" + ", ".join(f"{src} at {line}" for line, src in lines.items()) + ")"


def _rule_type(kind: Any) -> Any:
    """The numba rule type that reads a strategy's parameters as float64: ``kind`` itself for a numba
    strategy, its ``native`` rule for the rule's Python class (``FixedSpreadPython``); else None."""
    from ..numba_strategy import NumbaStrategyType, RuleStrategy

    if isinstance(kind, NumbaStrategyType):
        return kind
    if isinstance(kind, type) and issubclass(kind, RuleStrategy):
        return kind.native
    return None


def _params_in_lots(point: Any, kind: Any, lot: float | None) -> dict[str, Any]:
    """The point's strategy parameters with quantities written with a unit in lots (``0.01 base`` on a lot of
    1e-08 is 1000000: the same run as ``1000000``)."""
    from .._qty_units import resolve_units

    return resolve_units(kind, point.config.strategy.params, lot, point.config.strategy.path)


def _resolved_key(point: Any, kind: Any, ident: str, lot: float | None = None) -> str:
    """The point's config as it runs: a numba rule's parameters as it reads them (float64, defaults in;
    the Python class's ``pure`` flag as a bool; quantities with a unit in lots)."""
    plain = point.config.to_dict()
    plain.pop("output", None)
    params = _params_in_lots(point, kind, lot)
    extra: dict[str, Any] = {}
    if kind is not _rule_type(kind):  # the rule's Python class: `pure` is its own, not the rule's
        extra["pure"] = bool(params.pop("pure", False))
    resolved = _rule_type(kind).check_params(params)
    # The strategy as loaded, not as spelled: `s/./a.py:X` and `s/a.py:X` load one module (one object),
    # an entry point (`fixed_spread`) the class its file defines (strategy_identity).
    plain["strategy"] = dict(plain["strategy"], path=ident,
                             params={**{k: float(v) for k, v in resolved.items()}, **extra})
    return _canonical({"config": plain, "repeat": point.repeat})


def _python_key(point: Any, ident: str, kind: Any = None, lot: float | None = None) -> str:
    """The point's config with its strategy as loaded (:func:`strategy_identity`), its parameters as YAML read
    them (a Python strategy may treat ``10`` otherwise than ``10.0``), quantities with a unit in lots."""
    plain = point.config.to_dict()
    plain.pop("output", None)
    plain["strategy"] = dict(plain["strategy"], path=ident, params=_params_in_lots(point, kind, lot))
    return _canonical({"config": plain, "repeat": point.repeat})


def strategy_identity(kind: Any) -> str:
    """What a strategy spec loads, whatever spelling named it: the name the defining module gives the object
    and a digest of that module's file. An entry point (``fixed_spread``), its module (``mmsim.strategies.
    fixed_spread:FixedSpread``) and the file it was installed from (``strategies/fixed_spread.py:FixedSpread``)
    are one strategy; two objects of one file, or two files that differ, are not. Two byte-identical files
    in different folders are one strategy unless the file names ``__file__``: it may read files beside it
    (a ``cfg.json`` of its own folder), so its folder is part of what it runs."""
    import hashlib
    import sys

    mod = sys.modules.get(str(getattr(kind, "__module__", "") or ""))
    name = getattr(kind, "__qualname__", None)
    if mod is None or name is None or getattr(mod, str(name), None) is not kind:
        name = next((k for k, v in vars(mod).items() if v is kind), None) if mod is not None else None
    file = Path(str(getattr(mod, "__file__", None)))
    try:
        data = file.read_bytes()
    except OSError:
        data = None
    if name is None or data is None:
        return f"<loaded object {id(kind)}>"
    where = f" in {file.resolve().parent}" if b"__file__" in data else ""
    return f"{name} in a file of sha256 {hashlib.sha256(data).hexdigest()[:16]}{where}"


def check_resolved(points: Sequence[Any], kinds: Mapping[str, Any], strategy_key: Any, grid: Any,
                   lot_of: Any = None) -> None:
    """ConfigError for two points that run the same once a numba rule reads their parameters (a numba
    strategy, or the rule's Python class, ``FixedSpreadPython``, which reads them as the rule does), or once
    their strategy specs are loaded: an entry point and the file it loads (:func:`strategy_identity`).

    ``kinds``: strategy key (``strategy_key(point)``) -> the object its spec names (only those that
    checked out). Points of other strategies, or whose parameters do not check out, are left out.
    ``lot_of(point)``: the lot size of the point's store, which converts a quantity written in base units
    (``size: 0.01 base``) before the comparison.
    """
    seen: dict[str, Any] = {}
    idents: dict[int, str] = {}  # id of a loaded strategy -> strategy_identity, read once
    for p in points:
        kind = kinds.get(strategy_key(p))
        if kind is None:
            continue
        if id(kind) not in idents:
            idents[id(kind)] = strategy_identity(kind)
        ident = idents[id(kind)]
        lot = lot_of(p) if lot_of is not None else None
        try:
            key = (_python_key(p, ident, kind, lot) if _rule_type(kind) is None
                   else _resolved_key(p, kind, ident, lot))
        except ConfigError:
            continue
        if key in seen:
            q = seen[key]
            raise ConfigError(duplicate_message((p.overrides, p.sources), (q.overrides, q.sources),
                                                grid.written if grid is not None else {},
                                                grid.where if grid is not None else {}))
        seen[key] = p
