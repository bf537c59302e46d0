"""A sweep's points one at a time: checking them all before a sweep starts, and drilling down into one.

:func:`check_points` loads every distinct strategy of the grid with its
parameters and looks for every distinct event store before any point runs, so
a bad parameter is one error naming the points it concerns, not N identical
failures. :func:`select_point` finds a point by its id (or a unique prefix of
it, as the sweep table shows), and :func:`run_point` runs it with its full
report (``report.html`` and all) and writes its resolved run config, which
``mmsim run`` re-runs exactly (``mmsim sweep GRID --point ID``, docs/sweeps.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._rule_source import REFUSAL, refused_params
from ..config import RunConfig
from ..errors import ConfigError, StrategyError
from .grid import Grid, SweepPoint
from .labels import _canonical, _describe
from .written import describe_written, line_of, quote_written, written_text

__all__ = ["POINT_CONFIG", "check_points", "check_stores", "run_point", "select_point"]

#: The resolved run config a drilled-down point writes beside its report.
POINT_CONFIG = "config.yaml"

_SHOW = 3  # points named in a pre-flight error


def _where(points: Sequence[SweepPoint], total: int, grid: Grid | None = None) -> str:
    """``N of M points (a=1, b=2; ...)``: the first few points, their numbers as the grid writes them."""
    names = "; ".join(_describe(p.overrides) if grid is None else describe_written(p.overrides, p.sources, grid.written)
                      for p in points[:_SHOW])
    more = f"; and {len(points) - _SHOW} more" if len(points) > _SHOW else ""
    return f"{len(points)} of {total} points ({names}{more})"


def check_points(points: Sequence[SweepPoint], total: int | None = None, grid: Grid | None = None) -> None:
    """Check, before anything runs, what would make points fail identically.

    Each distinct ``strategy`` (path and parameters) is checked with
    :func:`mmsim.plugins.check_strategy` (a numba rule is not compiled), each
    distinct ``data`` must be an event store that :func:`mmsim.data.load` opens (its
    meta.json present, JSON, with every key right: the loader's message, naming the
    file), a ``recorded`` feed latency
    needs a store with recorded receive times, and a ``tick_size`` or
    ``lot_size`` the point sets must be its store's
    (:func:`mmsim.engine.store_size_conflict`), and ``max_orders`` and
    ``ladder_levels`` must hold what the strategy declares it can hold, as
    ``mmsim run`` checks the strategy its parameters build: a numba rule's levels
    per side that the point's parameters set (``out.n_bid_levels = params.levels``)
    included (:func:`mmsim.engine.strategy_config_conflict`,
    :func:`mmsim.plugins.checked_strategy`).

    Parameters
    ----------
    points : sequence of SweepPoint
        The points about to run.
    total : int, optional
        Points in the grid (for the message; default ``len(points)``).
    grid : Grid, optional
        The points' grid: a strategy parameter's value out of its domain is then named by
        where the grid writes it (``axes.strategy.params.size[1]: ... got '-1e999'
        (grid.yaml line 7)``), the value quoted as written.

    Raises
    ------
    ConfigError
        The first problem, the points it concerns (their overrides), and how many
        other problems there are, the first three listed below it, one a line; no point has run.
    """
    from .._qty_units import NO_LOT
    from ..engine import store_size_conflict, strategy_config_conflict
    from ..plugins import checked_strategy
    from ..runner import store_problem

    total = len(points) if total is None else total
    problems: dict[str, list[SweepPoint]] = {}
    strategies: dict[str, str | None] = {}
    declared: dict[str, Any] = {}  # each strategy that checked out: the object its spec names
    built: dict[str, Any] = {}  # and the strategy its parameters make, whose declarations a config must hold
    stores: dict[str, str | None] = {}
    metas: dict[str, dict] = {}  # each store's meta.json, read once
    lots: dict[str, float | None] = {}  # each store's lot size (a quantity written `0.01 base` needs it)
    warned: dict[str, list[str]] = {}  # the one warning: {strategy and lot: its points' quantities in lots, each once}
    settings: dict[str, list[str]] = {}  # and its config settings in lots (signals.vpin_bucket_volume), after them
    for p in points:
        s = p.config.strategy
        data = p.config.data
        if data not in stores:
            if not data:
                stores[data] = "data: no event store given"
            else:
                problem = store_problem(data)
                if problem is None:  # a directory with events.npy or meta.json: read as `mmsim run` reads it
                    problem, metas[data] = _loaded_meta(data)
                stores[data] = None if problem is None else f"{_data_key(p, grid)}data: {problem}{_data_line(p, grid)}"
        lot = _point_lot(p, metas.get(data, {}))
        lots[data] = lot
        key = _strategy_key(p, lot)
        if key not in strategies:
            try:
                sdir, slabel = p.strategy_dir or (None, "")
                declared[key], built[key] = checked_strategy(s.path, s.params, base_dir=sdir, base_label=slabel,
                                                             lot_size=lot)
                strategies[key] = None
                _warn_lots(declared[key], s.params, lot, s.path, warned)
            except (ConfigError, StrategyError) as exc:
                # A quantity in base units needs the store's lot size: with a store that does not read, that is
                # its consequence, not a second problem (newcomer17: "1 other problem too: ... lot size").
                strategies[key] = None if stores[data] is not None and NO_LOT in str(exc) else str(exc)
        _warn_settings(p.config.engine.signals, lot, settings)
        recorded = sizes = None
        fits = None
        if key in declared:
            fits = strategy_config_conflict(built[key], p.config.engine)
        if stores[data] is None:
            meta = metas[data]
            if p.config.engine.latency.feed.kind == "recorded" and meta.get("local_ts_recorded") is False:
                recorded = (f"latency.feed is {p.config.engine.latency.feed.describe()!r} but the event store {data} has no "
                            "recorded local_ts "
                            "(its meta.json: local_ts_recorded false)")
            sizes = store_size_conflict(p.config.engine, meta)
        # The store first: a missing store also leaves its lot unknown; a `0.01 base` quantity failing for that is
        # not listed (above; newcomer15: the typo read "needs the event store's lot size ... (1 other problem too)").
        for msg in (stores[data], _located(strategies[key], p, grid), _key_located(recorded, p, grid),
                    _key_located(sizes, p, grid), _key_located(fits, p, grid)):
            if msg is not None:
                problems.setdefault(msg, []).append(p)
    if not problems:
        if grid is not None:
            _check_duplicates(grid, {p.config.strategy.path: declared[k] for p in points
                                     if (k := _strategy_key(p, lots.get(p.config.data))) in declared}, lots)
        # Warned only once the grid is accepted: a refused grid (a duplicate point, a bad store) prints the
        # refusal alone, not a warning about quantities of points that will never run.
        if warned or settings:
            import warnings

            from .._qty_units import join_warnings
            from ..errors import LotUnitWarning

            warnings.warn(join_warnings({**warned, **settings}), LotUnitWarning, stacklevel=2)
        return
    (msg, pts), *rest = problems.items()
    raise ConfigError(f"{msg} — in {_where(pts, total, grid)}; no point ran{_others(rest, total, grid)}")


def _others(rest: Sequence[tuple[str, list[SweepPoint]]], total: int, grid: Grid | None) -> str:
    """`` (2 other problems too:`` and the first :data:`_SHOW` of them, one a line as the first is written, then
    ``... and N more``, as the sweep's table lists its failures; empty when there is none."""
    if not rest:
        return ""
    lines = [f"\n  {msg} — in {_where(pts, total, grid)}" for msg, pts in rest[:_SHOW]]
    more = f"\n  ... and {len(rest) - _SHOW} more" if len(rest) > _SHOW else ""
    return f" ({len(rest)} other problem{'s' if len(rest) > 1 else ''} too:{''.join(lines)}{more})"


def _strategy_key(p: SweepPoint, lot: float | None = None) -> str:
    return _canonical({"path": p.config.strategy.path, "params": dict(p.config.strategy.params), "lot": lot})


def _point_lot(p: SweepPoint, meta: Mapping[str, Any]) -> float | None:
    """The lot size the point runs with: its store's (a ``lot_size`` the point sets must be the same), else
    the point's ``lot_size`` (None when neither gives one)."""
    lot = meta.get("lot_size")
    if isinstance(lot, (int, float)) and not isinstance(lot, bool) and lot > 0:
        return float(lot)
    return None if p.config.engine.lot_size is None else float(p.config.engine.lot_size)


def _warn_lots(kind: Any, params: Mapping[str, Any], lot: float | None, path: str,
               warned: dict[str, list[str]]) -> None:
    """Add a point's quantities left in lots on a lot other than 1 to the sweep's one warning, each line once
    (:func:`mmsim._qty_units.lot_warning_parts`; the points themselves run without it)."""
    from .._qty_units import lot_warning_parts

    parts = lot_warning_parts(kind, params, lot, getattr(kind, "name", None) or getattr(kind, "__name__", None) or path)
    if parts is not None:
        lines = warned.setdefault(parts[0], [])
        lines.extend(line for line in parts[1] if line not in lines)


def _warn_settings(signals: Any, lot: float | None, warned: dict[str, list[str]]) -> None:
    """Add a point's ``signals.vpin_bucket_volume`` left in lots on a lot other than 1 to the sweep's one warning
    (:func:`mmsim._qty_units.settings_lot_warning_parts`), each line once."""
    from .._qty_units import settings_lot_warning_parts

    parts = settings_lot_warning_parts(signals, lot)
    if parts is not None:
        lines = warned.setdefault(parts[0], [])
        lines.extend(line for line in parts[1] if line not in lines)


def _check_duplicates(grid: Grid, kinds: dict[str, Any], lots: Mapping[str, float | None]) -> None:
    """ConfigError for two points of the grid that a numba strategy reads as one (``size: [10, 10.0]``, or
    ``[1000000, 0.01 base]`` on a lot of 1e-08): every point of the grid, not only those still to run
    (:func:`mmsim.sweep.duplicates.check_resolved`)."""
    from ..plugins import check_strategy
    from .duplicates import check_resolved

    for p in grid.points:
        path = p.config.strategy.path
        if p.config.data not in lots:
            lots = {**lots, p.config.data: _point_lot(p, _meta(p.config.data))}
        if path not in kinds:
            try:
                kinds[path] = check_strategy(path, p.config.strategy.params, lot_size=lots[p.config.data])
            except (ConfigError, StrategyError):
                kinds[path] = None
    check_resolved(grid.points, kinds, lambda p: p.config.strategy.path, grid,
                   lambda p: lots.get(p.config.data))


def _data_key(p: SweepPoint, grid: Grid | None) -> str:
    """``axes.data[1]: `` (``points[0].data: ``) when an axis or a point writes the point's ``data``, as every other
    axis value's refusal starts (a base's store, one for every point, is named ``data: `` alone); else empty."""
    source = p.sources.get("data") if grid is not None else None
    return f"{source}: " if source else ""


def _data_line(p: SweepPoint, grid: Grid | None) -> str:
    """`` (FILE line N)`` of where the point's ``data`` is written: its axis or point value, else the base's."""
    if grid is None:
        return ""
    source = p.sources.get("data")
    if source:
        return line_of(grid.where, source)
    loc = grid.base_where.get("data")
    return f" ({loc})" if loc else ""


def _param_path(name: str, p: SweepPoint, grid: Grid) -> str | None:
    """Where the grid writes the point's strategy parameter ``name``: ``axes.strategy.params.size[1]``,
    ``points[0].strategy.params.size``, ``base.strategy.params.size``; None when a source is unknown."""
    key = f"strategy.params.{name}"
    over = max((k for k in p.overrides if key == k or key.startswith(k + ".")), key=len, default=None)
    if over is None:
        return f"base.{key}"
    source = p.sources.get(over)
    return source + key[len(over):] if source else None


def _line(path: str, grid: Grid) -> str:
    """`` (FILE line N)`` of a grid key; a base key the grid's ``base_config`` file writes, that file's line."""
    found = line_of(grid.where, path)
    if not found and path.startswith("base."):
        found = line_of(grid.base_where, path[len("base."):])
    return found


#: A parameter the strategy does not take (:func:`mmsim.plugins.check_strategy`): its name.
_UNKNOWN_MSG = re.compile(r"^strategy [^:]+: unknown parameter '([^']+)' ")

_CONSTRAINT_MSG = re.compile(r"^strategy [^:]+: parameter '(\w+)' \((default )?([^)]*)\) must be (?:<=|<|>=|>) "
                             r"parameter '(\w+)' \((default )?([^)]*)\)$")


def _located(msg: str | None, p: SweepPoint, grid: Grid | None) -> str | None:
    """A strategy parameter's domain error (``parameter 'size' must be > 0, got -1``) with where the grid
    writes that value: its grid key, the value as written and the file line; a broken constraint
    (``parameter 'size' (16) must be <= parameter 'max_position' (10)``) names each key the grid
    writes of the two, with its line, and quotes their values as written. A parameter the strategy does not
    take (``unknown parameter 'sise'``) is named by the grid key that writes it, without an axis value's index
    (``axes.strategy.params.sise: ... (grid.yaml line 7)``: the key is wrong, whatever its values), and the line
    of that key (newcomer18: it named neither). A compiled rule's refusal of a parameter's fraction written into an
    integer field (``out.n_bid_levels = params.levels = 2.5 is not a whole number ... (rule.py line 8)``) is
    named by the grid key and line of the first parameter it names that the grid writes, after the rule's line."""
    if msg is None or grid is None:
        return msg
    u = _UNKNOWN_MSG.match(msg)
    if u is not None:
        path = _param_path(u.group(1), p, grid)
        if path is None:
            return msg
        path = re.sub(r"\[\d+\]$", "", path)  # an axis over the key: the key, not one of its values
        return f"{path}: {msg}{_line(path, grid)}"
    c = _CONSTRAINT_MSG.match(msg)
    if c is not None:
        return _constraint_located(msg, c, p, grid)
    if REFUSAL.search(msg):  # an integer field's fraction: the rule's line, and the grid's of the first it names
        for name in refused_params(msg):
            path = _param_path(name, p, grid)
            if path is not None and (line := _line(path, grid)):
                return f"{path}: {msg}{line}"
        return msg
    # A domain's `got <value>`, or a quantity's unit (`parameter 'size': '0.5 lots' ...`).
    m = re.search(r"parameter '([^']+)':? .*\bgot ", msg) or re.search(r"parameter '([^']+)': '", msg)
    if m is None:
        return msg
    path = _param_path(m.group(1), p, grid)
    if path is None:
        return msg
    value = p.config.strategy.params.get(m.group(1))
    return f"{path}: {quote_written(msg, value, grid.written.get(path))}{_line(path, grid)}"


def _constraint_located(msg: str, c: re.Match[str], p: SweepPoint, grid: Grid) -> str:
    """``KEY and KEY: <the constraint's message, values as written> (FILE line N)``, the line at the end as every
    grid refusal has it, when the keys the grid writes are on one line (or one key is: the other a default);
    ``KEY (FILE line N) and KEY (FILE line M): ...`` when they are on two, each line beside its key (at the
    end, which line is whose would be left to their order)."""
    keys: list[str] = []
    lines: list[str] = []
    out = msg
    # The right-hand side first: its span is past the left's, which stays where it is.
    for name_group, default_group, value_group in ((4, 5, 6), (1, 2, 3)):
        if c.group(default_group):
            continue  # a default: the grid does not write it
        path = _param_path(c.group(name_group), p, grid)
        if path is None:
            continue
        keys.insert(0, path)
        lines.insert(0, _line(path, grid))
        # As the grid writes it whenever the message shows it otherwise (`5.0`, not 5; `0x10`, not 16).
        text = written_text(p.config.strategy.params.get(c.group(name_group)), path, grid.written)
        text = text if text is not None else (grid.written.get(path) or "").strip() or None
        if text is not None and text != c.group(value_group):
            out = out[:c.start(value_group)] + repr(text) + out[c.end(value_group):]
    if not keys:
        return msg
    if len(set(lines)) == 1:
        return f"{' and '.join(keys)}: {out}{lines[0]}"
    return f"{' and '.join(k + line for k, line in zip(keys, lines))}: {out}"


def _key_located(msg: str | None, p: SweepPoint, grid: Grid | None) -> str | None:
    """A config key's conflict with what the strategy declares (``max_orders: 2 is less than the 4 live
    orders ...``), with the store (``tick_size: 0.5 differs from the event store's ...``, ``latency.feed is
    'recorded' but the event store ... has no recorded local_ts``), with where the point's value comes from: the
    grid key that writes it first and its line last, as every grid refusal (``axes.max_orders[1]: max_orders:
    2 is less than ... (grid.yaml line 5)``, ``base.max_orders: ...``), or ``(its default)`` (max_orders,
    ladder_levels)."""
    m = re.match(r"(max_orders|ladder_levels|tick_size|lot_size|latency\.feed)(?:: (\S+) | is )", msg or "")
    if msg is None or m is None or grid is None:
        return msg
    key = m.group(1)
    source = p.sources.get(key)
    if source is None and key in grid.base_where:
        source = f"base.{key}"
    if source is None:  # neither the grid nor its base sets it (or a section the grid writes whole: not named)
        return f"{msg[:m.end(2)]} (its default){msg[m.end(2):]}" if key in ("max_orders", "ladder_levels") else msg
    text = None if m.group(2) is None else written_text(getattr(p.config.engine, key), source, grid.written)
    if text is not None:
        msg = f"{msg[:m.start(2)]}{text!r}{msg[m.end(2):]}"
    return f"{source}: {msg}{_line(source, grid)}"


def _loaded_meta(store: str) -> tuple[str | None, dict]:
    """(None, the store's meta.json plus ``store``: its path) when :func:`mmsim.data.load` opens the store, else
    (its error, {}): a meta.json missing, not JSON or with a bad key, an events.npy not of the event schema, named
    as ``mmsim run`` names them (a store with a broken meta.json left its lot size unknown, and the sweep blamed a
    size written ``1 base``; newcomer17). Opened by :func:`mmsim.sweep.passes.open_store`: the points run in this
    process reuse the open (it was opened twice, a recorded store's receive times scanned twice; sweep18). Its
    events are verified by :func:`check_stores`, before this."""
    from ..errors import DataError
    from .passes import open_store

    try:
        return None, dict(open_store(store).meta, store=store)
    except DataError as exc:
        return str(exc), {}


def check_stores(points: Sequence[SweepPoint]) -> None:
    """Verify each distinct event store of ``points`` against its ``meta.json`` digest, once, before a sweep reuses
    or runs anything (``mmsim sweep``, ``run_sweep`` and ``--point``; then :func:`check_points`).

    A resumed sweep reuses a recorded point when its store's ``meta.json`` digest is the recorded one; an
    ``events.npy`` edited under that digest kept it, and every point was reused as of "the same store events",
    while ``mmsim run`` and the same sweep with ``--force`` refused the store (newcomer18). Every store the points
    name is verified, points to run or to reuse alike, through :func:`mmsim.sweep.passes.open_store` (the open the
    pre-flight and the points run in this process share) and :func:`mmsim.data._identity.verify_store` (hashed
    once per file version in a process: those points do not hash it again). A ``data`` that is no store, or a store
    that does not open, is left to :func:`check_points` (which names the points).

    Parameters
    ----------
    points : sequence of SweepPoint
        The grid's points (each ``config.data``: a store path).

    Raises
    ------
    DataError
        The first store whose events are not its digest's, with ``mmsim run``'s message
        (``ST/events.npy changed since the store was written: ...``): a refusal of the whole sweep (exit 1).
    """
    from ..data._identity import verify_store
    from ..errors import DataError
    from ..runner import store_problem
    from .passes import open_store

    seen: set[str] = set()
    for p in points:
        data = p.config.data
        if not data or data in seen:
            continue
        seen.add(data)
        if store_problem(data) is None:
            try:
                opened = open_store(data)
            except DataError:
                continue  # check_points names it, with the points
            verify_store(opened)


def _meta(store: str) -> dict:
    """The store's meta.json, or {} when it cannot be read here (the run then says what is wrong)."""
    from .._json import loads_unique

    try:
        meta = loads_unique((Path(store) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def select_point(grid: Grid, spec: str) -> SweepPoint:
    """The point whose id is ``spec`` or starts with it (at least 4 characters).

    Raises
    ------
    ConfigError
        No point, or several, match (naming them).
    """
    spec = str(spec).strip().lower()
    if len(spec) < 4:
        raise ConfigError(f"--point: give at least 4 characters of the point's id, got {spec!r}")
    hits = [p for p in grid.points if p.id.startswith(spec)]
    if not hits:
        raise ConfigError(f"--point: no point of {grid.source} has an id starting with {spec!r} "
                          f"({len(grid.points)} points; the ids are in the sweep table, results.csv and sweep.html)")
    if len(hits) > 1:
        names = ", ".join(f"{p.id} ({_describe(p.overrides)})" for p in hits[:_SHOW])
        raise ConfigError(f"--point: {spec!r} starts {len(hits)} point ids ({names}); give more characters")
    return hits[0]


_DURATIONS = ("decide_every", "sample_every", "signals.ofi_half_life", "signals.trade_flow_half_life",
              "signals.vol_half_life", "signals.hawkes_half_life", "report.toxic_horizon")


def _readable(plain: dict[str, Any]) -> dict[str, Any]:
    """The flat config with durations written with units (``5ms``): they read back to the same ns."""
    from ..config import format_ns

    def dur(v: Any) -> Any:
        return format_ns(v) if isinstance(v, int) and not isinstance(v, bool) and v > 0 else v

    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in plain.items()}
    for key in _DURATIONS:
        head, _, tail = key.rpartition(".")
        node = out.get(head) if head else out
        if isinstance(node, dict) and tail in node:
            node[tail] = dur(node[tail])
    for name in ("feed", "entry", "response"):
        v = out["latency"][name]
        if isinstance(v, dict) and "lognormal" in v:
            out["latency"][name] = {"lognormal": {k: (x if k == "sigma" else dur(x)) for k, x in v["lognormal"].items()}}
        elif isinstance(v, dict) and "recorded" in v:
            out["latency"][name] = {"recorded": dur(v["recorded"])}
        else:
            out["latency"][name] = dur(v)
    out["report"]["horizons"] = [dur(h) for h in out["report"]["horizons"]]
    return out


def _config_text(config: RunConfig, point: SweepPoint, grid: Grid) -> str:
    import yaml

    header = (f"# Point {point.id} of the sweep {grid.source}: {_describe(point.overrides)}"
              f"{f' (repeat {point.repeat})' if point.repeat else ''}.\n"
              f"# Its resolved run config (digest {config.digest()}); re-run exactly this point with\n"
              f"#   mmsim run {POINT_CONFIG} -o DIR\n")
    return header + yaml.safe_dump(_readable(config.to_dict()), sort_keys=False, allow_unicode=True)


def run_point(grid: Grid, point: SweepPoint, out: str | Path, *, plots: bool = True,
              progress: Any = None, write_in: Any = None) -> dict[str, Any]:
    """Run one point of a sweep as ``mmsim run`` would, with its full report and resolved config.

    Parameters
    ----------
    grid : Grid
        The grid the point belongs to.
    point : SweepPoint
        The point (:func:`select_point`).
    out : path
        Directory to write: ``result.json`` and the record arrays, the report
        (``report.json``, ``fills.csv``, the PNGs, ``report.html``) and
        :data:`POINT_CONFIG`, the point's resolved run config with an empty
        ``output`` (``mmsim run config.yaml -o DIR`` re-runs it).
    plots : bool
        Render the PNGs and report.html.
    progress : callable, optional
        ``progress(done, total)`` for :func:`mmsim.run`.
    write_in : callable, optional
        Called once there is a result to write; returns the directory to write it in
        instead of ``out`` (``mmsim sweep --point`` writes in a staged directory that
        replaces ``out`` whole, so a point refused, failing before it has a result, or
        interrupted while its files are written leaves the previous one as it was).
        Messages, :data:`POINT_CONFIG` and the returned ``written`` paths still name ``out``.

    Returns
    -------
    dict
        ``result`` (:class:`mmsim.Result`), ``report`` (:class:`mmsim.report.Report`),
        ``metrics`` (the flat figures a sweep records) and ``written`` (file name -> path in
        ``out``, also with ``write_in``: where the files are once the staged directory is renamed).

    Raises
    ------
    StrategyError, DataError
        A run that stopped, as ``mmsim run``: its partial result (``"partial": true``) and
        report are written to ``out`` first.
    """
    from ..errors import DataError, StrategyError
    from ..runner import load_events, point_metrics, run_config
    from .passes import open_store

    out = Path(out)
    config = point.config.replace(output="")
    events = load_events(config, opener=open_store)  # the pre-flight's open, when it is still the store's files
    try:
        result = run_config(config, events=events, progress=progress)
    except (StrategyError, DataError) as exc:
        part = getattr(exc, "partial", None)
        if part is not None:
            where = out if write_in is None else Path(write_in())
            part.save(where)
            part.report(events).save(where, plots=plots)
        raise
    where = out if write_in is None else Path(write_in())
    result.save(where)
    report = result.report(events)
    written = dict(report.save(where, plots=plots))
    p = where / POINT_CONFIG
    p.write_text(_config_text(config, point, grid), encoding="utf-8")
    written[POINT_CONFIG] = p
    # Named in ``out``, as the messages are: a staged directory (``write_in``) is renamed to it.
    written = {name: out / Path(f).relative_to(where) for name, f in written.items()}
    metrics = dict(point_metrics(result, events, config))
    return {"result": result, "report": report, "metrics": metrics, "written": written}


def differences(metrics: Mapping[str, Any], recorded: Mapping[str, Any]) -> list[str]:
    """Metric names whose value differs from the sweep's record of the same point (NaN equals null)."""
    out = []
    for k, v in recorded.items():
        a = metrics.get(k)
        same = a == v or (a is None and isinstance(v, float) and math.isnan(v)) or (
            v is None and isinstance(a, float) and math.isnan(a))
        if not same:
            out.append(k)
    return out
