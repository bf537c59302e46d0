"""Sweep grids: a base run config and the keys to vary, parsed into points (each a resolved :class:`~mmsim.RunConfig`)."""

from __future__ import annotations

import copy
import itertools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .._paths import output_key_fault
from ..config import RunConfig, resolve_paths
from ..config.engine import MODEL_KEYS, Config
from ..config._fields import Section, kind_of
from ..config._units import not_integer, whole_integer
from ..config.run import RUN_KEYS, _resolve
from ..config.yaml_file import read_yaml_mapping
from ..errors import ConfigError
from .baseline import BaselinePlan, parse_baseline
from .duplicates import axis_repeat, duplicate_message, read_identity
from .labels import _LATENCY_MODELS, _describe, display_label
from .point_ids import _point_id
from .written import quote_as_written, quote_at, quote_written, scalar_texts

__all__ = ["GRID_KEYS", "Grid", "SweepPoint", "display_label", "load_grid", "parse_grid"]

#: Most points a grid may hold (axes x points x repeats): a grid above it is a ConfigError, not a hang.
MAX_POINTS = 1_000_000

#: Keys a grid file may hold.
GRID_KEYS = ("axes", "base", "base_config", "baseline", "compare", "output", "points", "repeats", "timeout",
             "workers")

_SECTION_NAMES = ("latency", "queue", "fees", "signals", "strategy", "report")


# --------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep.

    Attributes
    ----------
    id : str
        Stable hash of what the resolved config sets otherwise than the defaults (``output`` aside)
        and the repeat index (docs/sweeps.md, "Point ids").
    index : int
        Position in the grid (results come back in this order).
    overrides : dict
        Dotted config key -> value as written in the grid.
    repeat : int
        Repeat index (0 when the point has no random latency model).
    config : RunConfig
        The point's run description (data, strategy, engine, report), with relative paths resolved.
    sources : dict
        Dotted config key of each override -> where the grid writes its value
        (``axes.latency.feed[2]``, ``points[0].strategy.params``), for messages.
    strategy_dir : tuple of (str, str) or None
        The folder a relative strategy file was looked for in first, and what it is (``"the
        grid's folder"``, ``"the base config's folder"``): a file found neither there nor in
        the working directory is an error naming both.
    """

    id: str
    index: int
    overrides: dict[str, Any]
    repeat: int
    config: RunConfig
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    strategy_dir: tuple[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Grid:
    """A parsed grid: its points and what varies.

    Attributes
    ----------
    points : tuple of SweepPoint
        Every run, in grid order.
    keys : tuple of str
        The dotted keys the points override (explicit points' keys, then the axes).
    repeats : int
        Repeats asked for each point with a random latency model.
    output : str or None
        Output directory from the grid (relative paths resolved against its file).
    workers : int or None
        Worker count from the grid.
    source : str
        The grid's file name, or ``"<grid>"``.
    baseline : BaselinePlan or None
        The point each point is compared with, when the grid names a ``baseline``
        (:mod:`mmsim.sweep.baseline`).
    timeout : int or None
        Most wall time of a run on a local worker or a Dask cluster, ns (the grid's ``timeout``), or None.
    where, written : dict
        Dotted grid key -> ``"FILE line N"``, and -> the text of a number as the file writes it
        (:func:`mmsim.sweep.written.scalar_texts`), for messages.
    """

    points: tuple[SweepPoint, ...]
    keys: tuple[str, ...]
    repeats: int
    output: str | None
    workers: int | None
    source: str
    baseline: BaselinePlan | None = None
    timeout: int | None = None
    where: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    #: Where the base run config's keys were written (the grid's ``base:`` or the ``base_config`` file).
    base_where: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    written: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def parse_timeout(value: Any, key: str = "timeout", written: str | None = None) -> int:
    """A sweep's ``timeout`` (a duration, > 0) as int ns; ConfigError naming ``key`` otherwise (its hint for a bare
    number quoting ``written``, the number's text as the user wrote it, when given: ``1e3`` -> ``'1e3s'``)."""
    from ..config import parse_duration

    ns = parse_duration(value, key)
    if ns <= 0:
        raise ConfigError(f"{key}: a timeout must be longer than 0, got {value!r}; leave it out for no timeout")
    if ns < MIN_TIMEOUT_NS:
        # No point finishes in under a millisecond (a worker loads the strategy and the events
        # first): such a timeout fails every point, most often a bare number meant in seconds.
        # (A string without a unit never gets here: parse_duration refuses it.)
        bare = isinstance(value, (int, float))
        hint = f"; a bare number is nanoseconds: for seconds write '{(written or str(value)).strip()}s'" if bare else ""
        raise ConfigError(f"{key}: a timeout must be at least 1ms (every point would time out), got {value!r}{hint}")
    return ns


#: The shortest timeout a sweep takes (1 ms): every point takes longer.
MIN_TIMEOUT_NS = 1_000_000


def load_grid(path: str | os.PathLike[str]) -> Grid:
    """Read a grid file.

    Parameters
    ----------
    path : path
        The grid (YAML). Relative ``base_config``, ``data``, ``output`` and
        strategy file paths are read against its directory.

    Raises
    ------
    ConfigError
        Naming the key and the file line, for an unknown key, a bad axis or a
        value the run config rejects.
    """
    p = Path(path)
    data, where = read_yaml_mapping(p, what="grid", keys="grid keys (base, axes, points, repeats)", items=True)
    written = scalar_texts(p.read_text(encoding="utf-8", errors="replace"))
    return parse_grid(data, where=where, source=str(p), base_dir=p.parent, written=written)


def parse_grid(data: Any, *, where: Mapping[str, str] | None = None, source: str = "<grid>",
               base_dir: str | os.PathLike[str] | None = None, written: Mapping[str, str] | None = None) -> Grid:
    """Build a :class:`Grid` from a parsed grid mapping.

    Parameters
    ----------
    data : mapping
        The grid document (``base``/``base_config``, ``axes``, ``points``,
        ``repeats``, ``output``, ``workers``, ``baseline``, ``compare``).
    where : mapping, optional
        Dotted key -> ``"FILE line N"`` from :func:`mmsim.config.parse_yaml`.
    source : str
        Name used in messages when ``where`` has no entry.
    base_dir : path, optional
        Directory relative paths are read against (default: the working directory).
    written : mapping, optional
        Dotted key -> a number's text as the file writes it (:func:`mmsim.sweep.written.scalar_texts`):
        messages quote it (``'1e999'``) rather than the value as read (``inf``).

    Raises
    ------
    ConfigError
        Naming the key and line of the first problem.
    """
    where = dict(where or {})
    written = dict(written or {})
    bdir = Path(base_dir) if base_dir is not None else Path.cwd()

    def loc(key: str) -> str:
        text = where.get(key)
        return f" ({text})" if text else ""

    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a grid must be a mapping (base, axes, points, repeats), "
                          f"got {type(data).__name__}")
    for key in data:
        if key not in GRID_KEYS:
            raise ConfigError(f"unknown grid key {key!r}{loc(str(key))}; expected one of {', '.join(GRID_KEYS)}")

    base, base_where, base_dir = _grid_base(data, where, loc, bdir, written)
    # The base alone must be a valid run config (but for a strategy, which points may
    # give): its errors name the base's own lines.
    _check_partial(base, base_where)

    repeats = whole_integer(given := data.get("repeats", 1))  # 2.0 is 2, as for every integer key
    if repeats is None or repeats < 1:
        raise ConfigError(quote_written(not_integer("repeats", given, "a positive integer"), given,
                                        written.get("repeats")) + loc("repeats"))
    given = data.get("workers")
    workers = None if given is None else whole_integer(given)
    if given is not None and (workers is None or workers < 0):
        raise ConfigError(quote_written(not_integer("workers", given, "a non-negative integer"), given,
                                        written.get("workers")) + loc("workers"))
    timeout = data.get("timeout")
    if timeout is not None:
        try:
            timeout = parse_timeout(timeout, written=written.get("timeout"))
        except ConfigError as exc:
            raise ConfigError(quote_written(str(exc), data["timeout"], written.get("timeout")) + loc("timeout")) from None
    output = data.get("output")
    if output is not None:
        if not isinstance(output, str) or not output:
            raise ConfigError(f"output: expected a directory path, got {output!r}{loc('output')}")
        if why := output_key_fault(output, bdir):  # before resolving reads its `..`, as every command checks -o
            raise ConfigError(f"output: {why}{loc('output')}")
        output = _resolve(output, bdir)

    axes = _grid_axes(data, base, base_where, loc, where, bdir, written)
    explicit = _grid_points(data, base, base_where, loc, bdir, written)

    axis_keys = list(axes)
    point_keys: list[str] = []
    for p in explicit:
        point_keys.extend(k for k in p if k not in point_keys)
    # Points apply first, then axes, so an axis may set a field inside what a point
    # set (each strategy arm over a shared parameter); the other way round the
    # axis would silently overwrite the point.
    for a in axis_keys:
        for k in point_keys:
            if a == k or k.startswith(a + "."):
                raise ConfigError(f"axes.{a}: {k!r} is also set by points, and the axis would overwrite it; "
                                  f"a key varies either in axes or in points{loc('axes.' + a)}")
    if repeats > 1:
        for k in axis_keys + point_keys:
            if _overlaps(k, "latency.seed"):
                where_key = "axes." + k if k in axes else "points"
                raise ConfigError(f"{k}: repeats draw their own latency.seed; vary the seed or set "
                                  f"repeats, not both{loc(where_key)}")

    # Count before building: 10 axes of 10 values, or repeats: 10**20, filled the memory without a word.
    n_combos = math.prod(len(v) for v in axes.values()) * max(1, len(explicit))
    if n_combos * repeats > MAX_POINTS:
        what = f"{n_combos:,} combinations of axes and points" + (f" x {repeats:,} repeats" if repeats > 1 else "")
        key = "repeats" if repeats > MAX_POINTS or (repeats > 1 and n_combos <= MAX_POINTS) else \
            ("axes" if axes else "points")
        raise ConfigError(f"{key}: the grid would have up to {what}; a sweep holds at most {MAX_POINTS:,} points"
                          f"{loc(key)}")
    points: list[SweepPoint] = []
    seen: dict[str, int] = {}
    combos = list(itertools.product(*axes.values())) if axes else [()]
    for pi, p in enumerate(explicit or [{}]):
        for combo in combos:
            overrides = {**p, **dict(zip(axis_keys, combo))}
            sources = {**{k: f"points[{pi}].{k}" for k in p},
                       **{k: f"axes.{k}[{_position(axes[k], v)}]" for k, v in zip(axis_keys, combo)}}
            merged = _apply(base, overrides, f"point {_describe(overrides)}", "")
            if not merged.get("data"):
                raise ConfigError(f"{source}: no event store: set `data:` in the base config (or vary it "
                                  f"in axes){loc('base') or loc('base_config')}")
            cfg = _point_config(base, base_where, overrides, where, bdir, sources, written)
            own = any(_overlaps(k, "strategy.path") for k in overrides)
            sdir = (str(bdir), "the grid's folder") if own or "base_config" not in data else \
                (str(base_dir), "the base config's folder")
            lat = cfg.engine.latency
            random_latency = any(getattr(lat, m).kind == "lognormal" for m in _LATENCY_MODELS)
            for r in range(repeats if random_latency else 1):
                cfg_r = cfg if r == 0 else replace(
                    cfg, engine=replace(cfg.engine, latency=replace(lat, seed=(lat.seed + r) % (1 << 64))))
                pid = _point_id(cfg_r, r)
                if pid in seen:  # 1ms and 1000us: one latency once read
                    prev = points[seen[pid]]
                    raise ConfigError(duplicate_message((overrides, sources), (prev.overrides, prev.sources),
                                                        written, where))
                seen[pid] = len(points)
                points.append(SweepPoint(id=pid, index=len(points), overrides=overrides, repeat=r, config=cfg_r,
                                         sources=sources, strategy_dir=sdir))
    _unread_everywhere(base, base_where, points)
    keys = tuple(point_keys + axis_keys)
    plan = None
    if data.get("baseline") is not None:
        plan = parse_baseline(data["baseline"], data.get("compare"), points, keys, loc, bdir, written)
    elif data.get("compare") is not None:
        raise ConfigError(f"compare: sets how points are compared with a baseline, but the grid names no "
                          f"`baseline`{loc('compare')}")
    return Grid(points=tuple(points), keys=keys, repeats=int(repeats), output=output, workers=workers,
                source=source, baseline=plan, timeout=timeout, where=where, written=written,
                base_where=base_where)


def _grid_base(data: Mapping[str, Any], where: Mapping[str, str], loc: Callable[[str], str],
               bdir: Path, written: dict[str, str]) -> tuple[dict[str, Any], dict[str, str], Path]:
    """The base run-config mapping (paths resolved), where its keys were written, and the folder
    its relative paths are read against (the ``base_config`` file's, else the grid's); a
    ``base_config`` file's numbers as it writes them go into ``written`` (as ``base.KEY``), for
    messages."""
    if "base" in data and "base_config" in data:
        raise ConfigError(f"base_config: give either base or base_config, not both{loc('base_config')}")
    if "base_config" in data:
        ref = data["base_config"]
        if not isinstance(ref, str) or not ref:
            raise ConfigError(f"base_config: expected the path of a run config, got {ref!r}{loc('base_config')}")
        path = Path(_resolve(ref, bdir))
        try:
            base, base_where = read_yaml_mapping(path, what="config", keys="run config keys", items=True)
        except ConfigError as exc:
            raise ConfigError(f"base_config: {exc}{loc('base_config')}") from None
        for k, text in scalar_texts(path.read_text(encoding="utf-8", errors="replace")).items():
            written.setdefault(f"base.{k}", text)
        return resolve_paths(dict(base), path.parent), dict(base_where), path.parent
    base = data.get("base", {})
    if base is None:
        base = {}
    if not isinstance(base, Mapping):
        raise ConfigError(f"base: expected a run config mapping, got {type(base).__name__}{loc('base')}")
    base_where = {k[5:]: v for k, v in where.items() if k.startswith("base.")}
    for key in _NOT_A_SETTING:  # base.output was ignored silently (fix25b), as axes.output and points' were read
        if key in base:
            raise ConfigError(f"base.{key}: {key} cannot be set in the base: {_NOT_A_SETTING[key]}; move it to the "
                              f"grid's top-level `{key}:`{loc('base.' + key) or loc('base')}")
    return resolve_paths(copy.deepcopy(dict(base)), bdir), base_where, bdir


def _grid_axes(data: Mapping[str, Any], base: Mapping[str, Any], base_where: Mapping[str, str],
               loc: Callable[[str], str], where: Mapping[str, str], bdir: Path,
               written: Mapping[str, str]) -> dict[str, list[Any]]:
    """Each axis's values, each checked on the base alone; the first that repeats an earlier one of its axis
    once read (:func:`mmsim.sweep.duplicates.read_identity`: ``2.0`` is ``2`` for an integer key) is refused."""
    axes = data.get("axes", {})
    if axes is None:
        axes = {}
    if not isinstance(axes, Mapping):
        raise ConfigError(f"axes: expected a mapping of config key -> list of values, got "
                          f"{type(axes).__name__}{loc('axes')}")
    keys = [str(k) for k in axes]
    for key, values in axes.items():
        key = str(key)
        at = loc("axes." + key)
        if key in _NOT_A_SETTING:
            raise ConfigError(f"axes.{key}: {key} cannot be an axis: {_NOT_A_SETTING[key]}{at}")
        _check_key(key, f"axes.{key}", at)
        for other in keys:
            if other != key and other.startswith(key + "."):
                raise ConfigError(f"axes.{other}: {key!r} is also an axis and contains it{loc('axes.' + other)}")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"axes.{key}: expected a non-empty list of values, got {values!r}{at}")
        seen: dict[str, int] = {}
        for i, v in enumerate(values):
            at_i = loc(f"axes.{key}[{i}]") or at  # the item's own line (a block list: one a line)
            # Each value alone on the base, so the message names this axis and value.
            ident = read_identity(*_check_override(base, base_where, {key: v}, bdir, f"axes.{key}[{i}]", at_i,
                                                   written), key, v)
            if ident in seen:  # [2, 2.0, 2]: [1] is [0] once read, the first repeat in the list's order
                raise ConfigError(axis_repeat(key, values, i, seen[ident], written, where, at_i))
            seen[ident] = i
    return {str(k): list(v) for k, v in axes.items()}


def _grid_points(data: Mapping[str, Any], base: Mapping[str, Any], base_where: Mapping[str, str],
                 loc: Callable[[str], str], bdir: Path, written: Mapping[str, str]) -> list[dict[str, Any]]:
    pts = data.get("points")
    if pts is None:
        return []
    at = loc("points")
    if not isinstance(pts, list) or not pts:
        raise ConfigError(f"points: expected a non-empty list of mappings (dotted key -> value), got {pts!r}{at}")
    out = []
    for i, p in enumerate(pts):
        at_i = loc(f"points[{i}]") or at  # the item's own line, not the line of `points:`
        if not isinstance(p, Mapping) or not p:
            raise ConfigError(f"points[{i}]: expected a non-empty mapping of dotted config keys, got {p!r}{at_i}")
        keys = [str(k) for k in p]
        for k in keys:
            if k in _NOT_A_SETTING:
                raise ConfigError(f"points[{i}].{k}: {k} cannot be set per point: {_NOT_A_SETTING[k]}"
                                  f"{loc(f'points[{i}].{k}') or at_i}")
            _check_key(k, f"points[{i}].{k}", loc(f"points[{i}].{k}") or at_i)
            for other in keys:
                if other != k and other.startswith(k + "."):
                    raise ConfigError(f"points[{i}].{other}: {k!r} is also set there and contains it"
                                      f"{loc(f'points[{i}].{other}') or at_i}")
        _check_override(base, base_where, {str(k): v for k, v in p.items()}, bdir, f"points[{i}]", at_i, written)
        out.append({str(k): v for k, v in p.items()})
    return out


def _sections() -> dict[str, type]:
    """Dotted-key sections of a run config: the fields declared as sections (engine and run)."""
    out: dict[str, type] = {}
    for cls in (Config, RunConfig):
        for f in fields(cls):
            kind = kind_of(f)
            if isinstance(kind, Section) and f.name != "engine":
                out[f.name] = kind.cls
    return out


_SECTIONS = _sections()
_TOP_KEYS = tuple(f.name for f in fields(Config)) + RUN_KEYS


# Run-config keys that are not a point's setting (nothing a run computes reads them), so never an axis or a point's
# key: why. A point's `output` was read as the same point twice (its identity leaves `output` out).
_NOT_A_SETTING = {"output": "the grid's `output:` names the sweep's folder; each point gets its own inside it"}


def _check_key(key: str, label: str, at: str) -> None:
    """ConfigError unless ``key`` is a dotted path to a run-config field."""
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"{label}: {key!r} is not a dotted config key{at}")
    if parts[0] not in _TOP_KEYS:
        raise ConfigError(f"{label}: unknown config key {key!r}{at}")
    if parts[0] not in _SECTIONS:
        if len(parts) > 1:
            raise ConfigError(f"{label}: unknown config key {key!r} ({parts[0]} has no sub-keys){at}")
        return
    if len(parts) == 1:
        return
    section = {f.name for f in fields(_SECTIONS[parts[0]])}
    if parts[1] not in section:
        raise ConfigError(f"{label}: unknown config key {key!r}{at}")
    # Strategy parameters and latency model mappings are open below this level;
    # the plugin or the latency parser checks what is set there.
    open_below = (parts[0] == "strategy" and parts[1] == "params") or (
        parts[0] == "latency" and parts[1] in _LATENCY_MODELS)
    if len(parts) > 2 and not open_below:
        raise ConfigError(f"{label}: unknown config key {key!r} ({'.'.join(parts[:2])} has no sub-keys){at}")


def _check_partial(merged: Mapping[str, Any], where: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Check a run config mapping that may still lack its strategy (points or axes may give it); the config
    as read (:meth:`RunConfig.to_dict`) and the keys left out.

    A model-specific key whose model the mapping does not choose is left out here:
    other points may choose it (:func:`_point_config` decides, point by point).
    """
    data, dropped = _drop_unread(merged, lambda key: False)
    strat = data.get("strategy")
    if strat is None:
        data["strategy"] = {"path": "-"}
    elif isinstance(strat, Mapping) and "path" not in strat:
        data["strategy"] = {**strat, "path": "-"}
    return RunConfig.from_dict(data, where=where).to_dict(), dropped


def _check_override(base: Mapping[str, Any], base_where: Mapping[str, str], overrides: Mapping[str, Any], bdir: Path,
                    label: str, at: str, written: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    merged = _apply(base, overrides, label, at)
    where = _strip_where(base_where, overrides)
    if at:  # the overrides' own line: an error about a base key and an override names both lines, once
        where.update({k: at.strip()[1:-1] for k in overrides})
    try:
        return _check_partial(resolve_paths(merged, bdir, only=overrides), where)
    except ConfigError as exc:
        msg = quote_as_written(str(exc), overrides, label, written or {})
        raise ConfigError(f"{label}: {msg}" + ("" if at.strip() in f" {msg}" or at.strip()[1:-1] in msg
                                                else at)) from None


def _point_config(base: Mapping[str, Any], base_where: Mapping[str, str], overrides: Mapping[str, Any],
                  where: Mapping[str, str], bdir: Path, sources: Mapping[str, str] | None = None,
                  written: Mapping[str, str] | None = None) -> RunConfig:
    """The point's run config: the base with its overrides set, paths resolved; an error quotes the number it
    echoes as the grid writes it (``sources``: each override's dotted key in the grid, ``axes.k[i]``)."""
    label = f"point {_describe(overrides)}"
    merged = _apply(base, overrides, label, "")
    # A model-specific key the base shares (queue.power) applies to the points whose model
    # reads it; the others take its default, as if it were not written. Set by the point
    # itself beside another model, it is the point's error.
    merged, _ = _drop_unread(merged, lambda key: any(key == o or key.startswith(o + ".") for o in overrides))
    pw = _strip_where(base_where, overrides)
    for k in overrides:  # the item's own line (sources: `axes.k[i]`, `points[i].k`), else its list's
        text = where.get((sources or {}).get(k, "")) or where.get("axes." + k) or where.get("points")
        if text:
            pw[k] = text
    try:
        return RunConfig.from_dict(resolve_paths(merged, bdir, only=overrides), where=pw)
    except ConfigError as exc:
        at = {src: v for k, v in overrides.items() if (src := (sources or {}).get(k))}  # each value at its grid item
        raise ConfigError(f"{label}: {quote_at(str(exc), at, written or {})}") from None


def _drop_unread(merged: Mapping[str, Any], keep: Callable[[str], bool]) -> tuple[dict[str, Any], list[str]]:
    """``merged`` without the keys of :data:`~mmsim.config.engine.MODEL_KEYS` its model does not read
    (``queue.power`` beside ``queue.model: log``), but those ``keep`` names; and the keys left out."""
    out, dropped = dict(merged), []
    for key, (model_key, model) in MODEL_KEYS.items():
        section, name = key.split(".")
        node = out.get(section)
        if not isinstance(node, Mapping) or name not in node or keep(key):
            continue
        chosen = node.get(model_key.split(".")[1], _default(model_key))
        if chosen != model:
            out[section] = {k: v for k, v in node.items() if k != name}
            dropped.append(key)
    return out, dropped


def _default(key: str) -> Any:
    """The default value of the run-config field at dotted ``key`` (a section's field)."""
    section, name = key.split(".")
    return next(f.default for f in fields(_SECTIONS[section]) if f.name == name)


def _unread_everywhere(base: Mapping[str, Any], base_where: Mapping[str, str],
                       points: list[SweepPoint]) -> None:
    """ConfigError for a model-specific key the base sets that no point's model reads (all dropped it)."""
    for key, (model_key, model) in MODEL_KEYS.items():
        section, name = key.split(".")
        node = base.get(section)
        if not isinstance(node, Mapping) or name not in node:
            continue
        if node[name] == _default(key):
            continue  # its default written out: what leaving it out means
        reads = [p for p in points if getattr(getattr(p.config.engine, section), model_key.split(".")[1]) == model]
        if not reads:
            at = base_where.get(key)
            raise ConfigError(f"{key}: {node[name]!r} is read by {model_key}: {model} only, and no point of the "
                              f"grid sets {model_key}: {model}; set it, or drop {key}" + (f" ({at})" if at else ""))


def _apply(base: Mapping[str, Any], overrides: Mapping[str, Any], label: str, at: str) -> dict[str, Any]:
    """Deep copy of ``base`` with each dotted key set (replacing what was there)."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        parts = key.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = {}
            elif not isinstance(nxt, Mapping):
                raise ConfigError(f"{label}: cannot set {key!r}: {'.'.join(parts[:i + 1])} is {nxt!r} in the "
                                  f"base config, not a mapping{at}")
            node[part] = nxt = dict(nxt)
            node = nxt
        node[parts[-1]] = copy.deepcopy(value)
    return out


def _strip_where(base_where: Mapping[str, str], overrides: Mapping[str, Any]) -> dict[str, str]:
    """Base locations, minus those of keys an override replaced."""
    return {k: v for k, v in base_where.items()
            if not any(k == o or k.startswith(o + ".") or o.startswith(k + ".") for o in overrides)}


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _position(values: list[Any], v: Any) -> int:
    return next(i for i, x in enumerate(values) if x is v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _as_grid(grid: Any) -> Grid:
    if isinstance(grid, Grid):
        return grid
    if isinstance(grid, (str, os.PathLike)):
        return load_grid(grid)
    if isinstance(grid, Mapping):
        return parse_grid(grid)
    raise ConfigError(f"sweep: expected a grid file path, a grid mapping or a Grid, got {type(grid).__name__}")
