"""Latency-sensitivity sweeps: a grid of run configs mapped over local processes or a Dask cluster, resumable.

A grid file (YAML) holds a base run config and the keys to vary::

    base_config: amzn.yaml          # or `base:` with the run config inline
    axes:                           # product of every axis
      latency.feed: [0ms, 1ms, 5ms, 20ms]
      strategy.params.half_spread: [1, 2]
    points:                         # optional explicit points (each one crossed with the axes)
      - {strategy: {path: strategies/fixed_spread.py:FixedSpread, params: {size: 100}}}
    repeats: 3                      # per point with a random (lognormal) latency model
    output: sweeps/latency          # default of -o
    workers: 2                      # default of --workers

Each point is the base mapping with its dotted overrides set (an override
replaces what the base had at that key), then :meth:`Config.from_dict`, so
every value is checked exactly as in a run config. A point's id is a hash of
its resolved config and repeat index: rerunning a sweep recognises finished
points, and editing the base reruns the points it changes.

Results go to ``OUT/results.jsonl``, one JSON object per finished point,
appended, flushed and fsynced as each point finishes (see :data:`RESULTS_FILE`
for the record layout). A crash or Ctrl-C loses nothing, and running the same
command again skips every point already in the file.

Example
-------
>>> rows = mmsim.sweep("latency.yaml", out="sweeps/latency", workers=2)  # doctest: +SKIP
>>> table = mmsim.sweep.to_array(rows)          # structured numpy array   # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as _dt
import hashlib
import html
import itertools
import json
import math
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
import types
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, parse_duration, parse_yaml
from .errors import ConfigError, MmsimError

__all__ = [
    "GRID_KEYS",
    "RESULTS_FILE",
    "Grid",
    "SweepPoint",
    "add_sweep_parser",
    "cmd_sweep",
    "load_grid",
    "parse_grid",
    "read_results",
    "render_plots",
    "sweep",
    "to_array",
    "write_report",
]

#: Keys a grid file may hold.
GRID_KEYS = ("axes", "base", "base_config", "output", "points", "repeats", "workers")

#: Name of the results file inside the output directory. JSON Lines, one object per
#: finished point: ``id``, ``index`` (position in the grid), ``overrides`` (dotted key ->
#: value as written), ``repeat``, ``seed``, ``status`` (``"ok"`` or ``"error"``),
#: ``metrics`` (flat name -> number, from :func:`mmsim.runner.point_metrics`),
#: ``n_events``, ``elapsed_s`` (wall time of the point), ``error`` (``{type, message,
#: traceback}`` or null), ``host``, ``pid``, ``finished_at`` (UTC ISO time). A
#: later line for the same id supersedes an earlier one (``--retry-failed``).
RESULTS_FILE = "results.jsonl"

# Metrics the table and plots show first, in this order, when a run reports them.
_HEADLINE = ("pnl.total", "pnl.spread_capture", "pnl.inventory", "pnl.fees", "fills.count", "toxic_share")
_SECTION_NAMES = ("latency", "queue", "fees", "signals", "strategy", "report")
_LATENCY_MODELS = ("feed", "entry", "response")


# --------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep.

    Attributes
    ----------
    id : str
        Stable hash of the resolved config and the repeat index.
    index : int
        Position in the grid (results come back in this order).
    overrides : dict
        Dotted config key -> value as written in the grid.
    repeat : int
        Repeat index (0 when the point has no random latency model).
    config : Config
        The run config, with relative paths resolved.
    """

    id: str
    index: int
    overrides: dict[str, Any]
    repeat: int
    config: Config


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
    """

    points: tuple[SweepPoint, ...]
    keys: tuple[str, ...]
    repeats: int
    output: str | None
    workers: int | None
    source: str


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
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read grid: {exc.strerror}") from None
    data, where = parse_yaml(text, str(p))
    return parse_grid(data, where=where, source=str(p), base_dir=p.parent)


def parse_grid(data: Any, *, where: Mapping[str, str] | None = None, source: str = "<grid>",
               base_dir: str | os.PathLike[str] | None = None) -> Grid:
    """Build a :class:`Grid` from a parsed grid mapping.

    Parameters
    ----------
    data : mapping
        The grid document (``base``/``base_config``, ``axes``, ``points``,
        ``repeats``, ``output``, ``workers``).
    where : mapping, optional
        Dotted key -> ``"FILE line N"`` from :func:`mmsim.config.parse_yaml`.
    source : str
        Name used in messages when ``where`` has no entry.
    base_dir : path, optional
        Directory relative paths are read against (default: the working directory).

    Raises
    ------
    ConfigError
        Naming the key and line of the first problem.
    """
    where = dict(where or {})
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

    base, base_where = _grid_base(data, where, loc, bdir)
    # The base alone must be a valid run config: its errors name the base's own lines.
    Config.from_dict(base, where=base_where)

    repeats = data.get("repeats", 1)
    if not _is_int(repeats) or repeats < 1:
        raise ConfigError(f"repeats: expected a positive integer, got {repeats!r}{loc('repeats')}")
    workers = data.get("workers")
    if workers is not None and (not _is_int(workers) or workers < 0):
        raise ConfigError(f"workers: expected a non-negative integer, got {workers!r}{loc('workers')}")
    output = data.get("output")
    if output is not None:
        if not isinstance(output, str) or not output:
            raise ConfigError(f"output: expected a directory path, got {output!r}{loc('output')}")
        output = _resolve(output, bdir)

    axes = _grid_axes(data, base, base_where, loc, bdir)
    explicit = _grid_points(data, base, base_where, loc, bdir)

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

    points: list[SweepPoint] = []
    seen: dict[str, int] = {}
    combos = list(itertools.product(*axes.values())) if axes else [()]
    for p in explicit or [{}]:
        for combo in combos:
            overrides = {**p, **dict(zip(axis_keys, combo))}
            cfg = _point_config(base, base_where, overrides, where, bdir)
            if not cfg.data:
                raise ConfigError(f"{source}: no event store: set `data:` in the base config (or vary it "
                                  f"in axes){loc('base') or loc('base_config')}")
            random_latency = any(getattr(cfg.latency, m).kind == "lognormal" for m in _LATENCY_MODELS)
            for r in range(repeats if random_latency else 1):
                cfg_r = cfg if r == 0 else replace(cfg, latency=replace(cfg.latency, seed=cfg.latency.seed + r))
                pid = _point_id(cfg_r, r)
                if pid in seen:
                    raise ConfigError(f"{source}: point {_describe(overrides)} repeats point "
                                      f"{_describe(points[seen[pid]].overrides)} (same config){loc('points')}")
                seen[pid] = len(points)
                points.append(SweepPoint(id=pid, index=len(points), overrides=overrides, repeat=r, config=cfg_r))
    return Grid(points=tuple(points), keys=tuple(point_keys + axis_keys), repeats=int(repeats),
                output=output, workers=workers, source=source)


def _grid_base(data: Mapping[str, Any], where: Mapping[str, str], loc: Callable[[str], str],
               bdir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The base run-config mapping (paths resolved) and where its keys were written."""
    if "base" in data and "base_config" in data:
        raise ConfigError(f"base_config: give either base or base_config, not both{loc('base_config')}")
    if "base_config" in data:
        ref = data["base_config"]
        if not isinstance(ref, str) or not ref:
            raise ConfigError(f"base_config: expected the path of a run config, got {ref!r}{loc('base_config')}")
        path = Path(_resolve(ref, bdir))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"base_config: cannot read {path}: {exc.strerror}{loc('base_config')}") from None
        base, base_where = parse_yaml(text, str(path))
        if not isinstance(base, Mapping):
            raise ConfigError(f"{path}: a run config must be a mapping of keys, got {type(base).__name__}")
        return _resolve_paths(dict(base), path.parent), dict(base_where)
    base = data.get("base", {})
    if base is None:
        base = {}
    if not isinstance(base, Mapping):
        raise ConfigError(f"base: expected a run config mapping, got {type(base).__name__}{loc('base')}")
    base_where = {k[5:]: v for k, v in where.items() if k.startswith("base.")}
    return _resolve_paths(copy.deepcopy(dict(base)), bdir), base_where


def _grid_axes(data: Mapping[str, Any], base: Mapping[str, Any], base_where: Mapping[str, str],
               loc: Callable[[str], str], bdir: Path) -> dict[str, list[Any]]:
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
        _check_key(key, f"axes.{key}", at)
        for other in keys:
            if other != key and other.startswith(key + "."):
                raise ConfigError(f"axes.{other}: {key!r} is also an axis and contains it{loc('axes.' + other)}")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"axes.{key}: expected a non-empty list of values, got {values!r}{at}")
        seen: dict[str, int] = {}
        for i, v in enumerate(values):
            canon = _canonical(v)
            if canon in seen:
                raise ConfigError(f"axes.{key}[{i}]: value {v!r} is already axes.{key}[{seen[canon]}]{at}")
            seen[canon] = i
            # Each value alone on the base, so the message names this axis and value.
            _check_override(base, base_where, {key: v}, bdir, f"axes.{key}[{i}]", at)
    return {str(k): list(v) for k, v in axes.items()}


def _grid_points(data: Mapping[str, Any], base: Mapping[str, Any], base_where: Mapping[str, str],
                 loc: Callable[[str], str], bdir: Path) -> list[dict[str, Any]]:
    pts = data.get("points")
    if pts is None:
        return []
    at = loc("points")
    if not isinstance(pts, list) or not pts:
        raise ConfigError(f"points: expected a non-empty list of mappings (dotted key -> value), got {pts!r}{at}")
    out = []
    for i, p in enumerate(pts):
        if not isinstance(p, Mapping) or not p:
            raise ConfigError(f"points[{i}]: expected a non-empty mapping of dotted config keys, got {p!r}{at}")
        keys = [str(k) for k in p]
        for k in keys:
            _check_key(k, f"points[{i}].{k}", at)
            for other in keys:
                if other != k and other.startswith(k + "."):
                    raise ConfigError(f"points[{i}].{other}: {k!r} is also set there and contains it{at}")
        _check_override(base, base_where, {str(k): v for k, v in p.items()}, bdir, f"points[{i}]", at)
        out.append({str(k): v for k, v in p.items()})
    return out


def _check_key(key: str, label: str, at: str) -> None:
    """ConfigError unless ``key`` is a dotted path to a run-config field."""
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"{label}: {key!r} is not a dotted config key{at}")
    top = {f.name: f for f in fields(Config)}
    if parts[0] not in top:
        raise ConfigError(f"{label}: unknown config key {key!r}{at}")
    if parts[0] not in _SECTION_NAMES:
        if len(parts) > 1:
            raise ConfigError(f"{label}: unknown config key {key!r} ({parts[0]} has no sub-keys){at}")
        return
    if len(parts) == 1:
        return
    section = {f.name for f in fields(_section_class(parts[0]))}
    if parts[1] not in section:
        raise ConfigError(f"{label}: unknown config key {key!r}{at}")
    # Strategy parameters and latency model mappings are open below this level;
    # the plugin or the latency parser checks what is set there.
    open_below = (parts[0] == "strategy" and parts[1] == "params") or (
        parts[0] == "latency" and parts[1] in _LATENCY_MODELS)
    if len(parts) > 2 and not open_below:
        raise ConfigError(f"{label}: unknown config key {key!r} ({'.'.join(parts[:2])} has no sub-keys){at}")


def _section_class(name: str) -> type:
    for f in fields(Config):
        if f.name == name:
            default = f.default_factory()  # type: ignore[misc]
            return type(default)
    raise KeyError(name)  # pragma: no cover - names come from _SECTION_NAMES


def _check_override(base: Mapping[str, Any], base_where: Mapping[str, str], overrides: Mapping[str, Any],
                    bdir: Path, label: str, at: str) -> None:
    merged = _apply(base, overrides, label, at)
    try:
        Config.from_dict(_resolve_paths(merged, bdir, only=overrides), where=_strip_where(base_where, overrides))
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}{at}") from None


def _point_config(base: Mapping[str, Any], base_where: Mapping[str, str], overrides: Mapping[str, Any],
                  where: Mapping[str, str], bdir: Path) -> Config:
    """The point's run config: the base with its overrides set, paths resolved."""
    label = f"point {_describe(overrides)}"
    merged = _apply(base, overrides, label, "")
    pw = _strip_where(base_where, overrides)
    for k in overrides:
        text = where.get("axes." + k) or where.get("points")
        if text:
            pw[k] = text
    try:
        return Config.from_dict(_resolve_paths(merged, bdir, only=overrides), where=pw)
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None


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


def _resolve(path: str, bdir: Path) -> str:
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (bdir / p).resolve())


def _resolve_paths(data: dict[str, Any], bdir: Path, only: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read relative ``data`` and strategy file paths against ``bdir``, as ``load_yaml`` does.

    With ``only``, touch just the paths those overrides set (the base's were
    resolved against its own file when it was read).
    """
    out = dict(data)
    if only is None or any(_overlaps(k, "data") for k in only):
        v = out.get("data")
        if isinstance(v, str) and v:
            out["data"] = _resolve(v, bdir)
    if only is None or any(_overlaps(k, "strategy.path") for k in only):
        strat = out.get("strategy")
        if isinstance(strat, Mapping) and isinstance(strat.get("path"), str):
            target, sep, attr = strat["path"].rpartition(":")
            # Only a file spec (path.py:Name) is a path; module:Name and entry points are not.
            if sep and (target.endswith(".py") or "/" in target) and not Path(target).is_absolute():
                cand = bdir / target
                if cand.is_file():
                    out["strategy"] = {**strat, "path": f"{cand.resolve()}:{attr}"}
    return out


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _point_id(config: Config, repeat: int) -> str:
    plain = config.to_dict()
    plain.pop("output", None)  # where results go does not change them
    digest = hashlib.sha256(_canonical({"config": plain, "repeat": repeat}).encode()).hexdigest()
    return digest[:16]


def _describe(overrides: Mapping[str, Any]) -> str:
    if not overrides:
        return "(base)"
    return ", ".join(f"{k}={_label(v)}" for k, v in overrides.items())


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("path"), str):
        # A strategy section: its class name and parameters say which arm it is.
        params = value.get("params") or {}
        args = ", ".join(f"{k}={_label(v)}" for k, v in params.items()) if isinstance(params, Mapping) else ""
        return f"{_short(value['path'], 10_000)}({args})"
    if isinstance(value, (dict, list)):
        return _canonical(value)
    return repr(value)


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


# --------------------------------------------------------------------------- results file


def read_results(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Finished points in a results file, by id (the last record of an id wins).

    A line cut short by a crash while it was being written is ignored (its
    point runs again); so is any other line that is not a JSON object with an id.
    """
    p = Path(path)
    if p.is_dir():
        p = p / RESULTS_FILE
    done: dict[str, dict[str, Any]] = {}
    if not p.exists():
        return done
    with p.open("r", encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                done[rec["id"]] = rec
    return done


class _ResultsWriter:
    """Appends one JSON line per finished point; each is on disk before the next is taken."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("ab")
        # A crash mid-write can leave a partial last line; cut it so the next
        # record starts on a line of its own (read_results already skips it).
        size = self._fh.seek(0, os.SEEK_END)
        if size:
            with path.open("rb") as r:
                r.seek(size - 1)
                last = r.read(1)
            if last != b"\n":
                keep = _last_newline(path, size)
                self._fh.truncate(keep)
                self._fh.seek(keep)

    def append(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(_json_clean(record), allow_nan=False, separators=(",", ":")) + "\n"
        self._fh.write(line.encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def _last_newline(path: Path, size: int) -> int:
    with path.open("rb") as r:
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            r.seek(start)
            chunk = r.read(pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                return start + i + 1
            pos = start
    return 0


def _json_clean(obj: Any) -> Any:
    """Strict-JSON copy: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(obj, Mapping):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


# --------------------------------------------------------------------------- one point (in a worker)

# Stores opened by this worker process, by path: each is a memory map, so every
# point on a worker shares the same pages and nothing is shipped with a task.
_STORES: dict[str, Any] = {}


def default_point(config: Config) -> dict[str, Any]:
    """Run one config and return its flat metrics (what each sweep point does by default).

    Opens ``config.data`` memory-mapped (once per worker process), loads the
    strategy plugin, runs and reports with :func:`mmsim.runner.point_metrics`.
    ``n_events`` in the returned dict is the number of events replayed.
    """
    from .runner import load_events, point_metrics, run_config

    store = _STORES.get(config.data)
    if store is None:
        store = _STORES[config.data] = load_events(config)
    result = run_config(config, events=store)
    metrics = dict(point_metrics(result, store, config))
    metrics["n_events"] = int(result.n_events)
    return metrics


def _run_point(task: Mapping[str, Any]) -> dict[str, Any]:
    """Worker side of a point: never raises, an error becomes part of the record."""
    fn = task.get("point_fn") or default_point
    config: Config = task["config"]
    rec: dict[str, Any] = {
        "id": task["id"],
        "index": task["index"],
        "overrides": task["overrides"],
        "repeat": task["repeat"],
        "seed": int(config.latency.seed),
    }
    t0 = time.perf_counter()
    try:
        metrics = dict(fn(config))
        n_events = metrics.pop("n_events", None)
        rec.update(status="ok", metrics=metrics, n_events=None if n_events is None else int(n_events), error=None)
    except Exception as exc:  # a failing point is recorded, never stops the sweep
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        rec.update(status="error", metrics={}, n_events=None,
                   error={"type": type(exc).__name__, "message": str(exc), "traceback": "".join(tb[-3:])})
    rec["elapsed_s"] = time.perf_counter() - t0
    rec["host"] = socket.gethostname()
    rec["pid"] = os.getpid()
    rec["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    return rec


def _worker_init(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; only the parent decides what to do
    # (record what is done, stop the rest), so workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # A parent killed with SIGKILL cannot stop its pool; workers notice the
    # orphaning and exit instead of waiting forever on a queue nobody feeds.
    # (Under forkserver our direct parent is the fork server, which exits when
    # the sweep's process dies, so a change of parent also means orphaned.)
    first_ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid was reused by another user's process
                os._exit(1)
            if os.getppid() != first_ppid:
                os._exit(1)

    threading.Thread(target=watch, name="mmsim-sweep-orphan-watch", daemon=True).start()


# --------------------------------------------------------------------------- executors


def _mp_context() -> Any:
    # forkserver: workers fork from a clean server that has imported mmsim once
    # (fast start, none of the parent's threads); spawn where fork is unavailable.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["mmsim.sweep"])
        return ctx
    return multiprocessing.get_context("spawn")


def _execute_local(tasks: list[dict[str, Any]], workers: int) -> Iterator[dict[str, Any]]:
    if workers == 0:
        for t in tasks:
            yield _run_point(t)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_worker_init, initargs=(os.getpid(),))
    clean = False
    try:
        pending = {pool.submit(_run_point, t) for t in tasks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    raise MmsimError("a sweep worker process died (killed or crashed); the finished points are "
                                     "saved, run the same command again to resume") from None
        clean = True
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            # Interrupted or failed: stop now rather than finish the points in flight.
            # ProcessPoolExecutor has no public terminate before Python 3.14.
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
            for proc in procs:
                proc.join(5)


def _probe(address: str) -> None:
    """Fail at once on a refused TCP address (the Dask client would retry until its timeout)."""
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://"):].rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--scheduler: expected tcp://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise MmsimError(f"cannot connect to the Dask scheduler at {address}: {exc.strerror or exc}") from None


def _execute_dask(tasks: list[dict[str, Any]], scheduler: str) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MmsimError("--scheduler needs Dask distributed, an optional extra: pip install 'mmsim[dask]'") from None
    _probe(scheduler)
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise MmsimError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
    token = uuid.uuid4().hex[:8]
    futures = []
    try:
        # Tasks hold the config only; each worker maps the event store itself.
        futures = [client.submit(_run_point, t, key=f"mmsim-sweep-{t['id']}-{token}", pure=False) for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks)}
        for fut in as_completed(futures, loop=client.loop):
            try:
                yield fut.result()
            except Exception as exc:  # e.g. KilledWorker: the point took its workers down
                t = by_key[fut.key]
                yield {"id": t["id"], "index": t["index"], "overrides": t["overrides"], "repeat": t["repeat"],
                       "seed": int(t["config"].latency.seed), "status": "error", "metrics": {}, "n_events": None,
                       "error": {"type": type(exc).__name__, "message": str(exc), "traceback": ""},
                       "elapsed_s": None, "host": None, "pid": None,
                       "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")}
    finally:
        if futures:
            client.cancel(futures)
        client.close()


# --------------------------------------------------------------------------- the sweep


def sweep(grid_or_path: Any, out: str | os.PathLike[str] | None = None, workers: int | None = None,
          scheduler: str | None = None, *, retry_failed: bool = False, progress: bool = False,
          point_fn: Callable[[Config], Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Run every point of a grid and return one flat record per point, in grid order.

    Parameters
    ----------
    grid_or_path : path, mapping or Grid
        A grid file, a grid mapping (as parsed from YAML) or a :class:`Grid`.
    out : path, optional
        Output directory; results append to ``out/results.jsonl`` as points
        finish, and points already there are skipped. Default: the grid's
        ``output``; with neither, results are kept in memory only.
    workers : int, optional
        Local worker processes (default: the grid's ``workers``, else the CPU
        count, at most the number of points to run). 0 runs the points in this
        process (for debugging).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): run the
        points on its cluster instead. The workers must have mmsim installed and
        reach the event store at the same path.
    retry_failed : bool
        Run again the points recorded as failed.
    progress : bool
        Show a progress bar (points done, failed, events/s).
    point_fn : callable, optional
        ``point_fn(config) -> dict`` of flat metrics, run in the workers instead
        of :func:`default_point` (it must be importable there: a module-level
        function). A key ``n_events`` is taken as the events replayed.

    Returns
    -------
    list of dict
        Per point: ``id``, ``index``, ``repeat``, ``seed``, ``status``, one key per
        overridden config key, one per metric, ``n_events``, ``elapsed_s``,
        ``error_type``, ``error_message``. :func:`to_array` turns it into a
        structured array.

    Raises
    ------
    ConfigError
        A bad grid (naming the key and line).
    MmsimError
        Dask missing or unreachable, or a worker process died.
    KeyboardInterrupt
        On Ctrl-C, after the points in flight are stopped (finished ones are saved).
    """
    grid = _as_grid(grid_or_path)
    out_dir = Path(out) if out is not None else (Path(grid.output) if grid.output else None)
    done = read_results(out_dir / RESULTS_FILE) if out_dir is not None else {}
    wanted = {p.id for p in grid.points}
    done = {k: v for k, v in done.items() if k in wanted}
    todo = [p for p in grid.points
            if p.id not in done or (retry_failed and done[p.id].get("status") != "ok")]
    tasks = [{"id": p.id, "index": p.index, "overrides": p.overrides, "repeat": p.repeat, "config": p.config,
              "point_fn": point_fn} for p in todo]
    if workers is None:
        workers = grid.workers if grid.workers is not None else (os.cpu_count() or 1)
    if not _is_int(workers) or workers < 0:
        raise ConfigError(f"workers: expected a non-negative integer, got {workers!r}")
    workers = min(workers, len(tasks)) if workers else 0

    writer = _ResultsWriter(out_dir / RESULTS_FILE) if (out_dir is not None and tasks) else None
    todo_ids = {p.id for p in todo}
    failed_before = sum(1 for k, v in done.items() if k not in todo_ids and v.get("status") != "ok")
    bar = _Progress(len(grid.points), len(grid.points) - len(todo), failed_before, enabled=progress)
    try:
        with bar:
            if tasks:
                stream = _execute_dask(tasks, scheduler) if scheduler else _execute_local(tasks, workers)
                try:
                    for rec in stream:
                        if writer is not None:
                            writer.append(rec)
                        done[rec["id"]] = rec
                        bar.advance(rec)
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()
    finally:
        if writer is not None:
            writer.close()
    return [_flatten(done[p.id], grid) for p in grid.points if p.id in done]


class _Progress:
    """Rich progress bar: points done of total, failed, and events/s over the whole sweep."""

    def __init__(self, total: int, already: int, failed: int, enabled: bool) -> None:
        self.total, self.done, self.failed, self.enabled = total, already, failed, enabled
        self.events = 0
        self._prog: Any = None

    def __enter__(self) -> "_Progress":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn

            self._prog = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("points  [red]{task.fields[failed]} failed"),
                                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
            self._prog.__enter__()
            self._task = self._prog.add_task("sweep", total=self.total, completed=self.done,
                                             failed=self.failed, rate="")
            self._t0 = time.perf_counter()
        return self

    def advance(self, rec: Mapping[str, Any]) -> None:
        self.done += 1
        if rec.get("status") != "ok":
            self.failed += 1
        self.events += int(rec.get("n_events") or 0)
        if self._prog is not None:
            dt = time.perf_counter() - self._t0
            rate = f"{self.events / dt / 1e6:.2f} M events/s" if dt > 0 and self.events else ""
            self._prog.update(self._task, completed=self.done, failed=self.failed, rate=rate)

    def __exit__(self, *exc: Any) -> None:
        if self._prog is not None:
            self._prog.__exit__(*exc)


def _flatten(rec: Mapping[str, Any], grid: Grid) -> dict[str, Any]:
    row: dict[str, Any] = {"id": rec["id"], "index": rec.get("index"), "repeat": rec.get("repeat", 0),
                           "seed": rec.get("seed"), "status": rec.get("status")}
    overrides = rec.get("overrides") or {}
    for k in grid.keys:
        row[k] = overrides.get(k)
    for k, v in (rec.get("metrics") or {}).items():
        row[k if k not in row else f"metric.{k}"] = v
    err = rec.get("error") or {}
    row.update(n_events=rec.get("n_events"), elapsed_s=rec.get("elapsed_s"),
               error_type=err.get("type"), error_message=err.get("message"))
    return row


def to_array(rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Sweep records as a structured numpy array, one field per column.

    Numeric columns become ``float64`` (``int64`` when every value is an
    integer and none is missing; missing numbers are NaN), booleans ``bool``,
    anything else (durations as written, latency mappings, strategy paths,
    error messages) a unicode string.
    """
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    dtypes, cols = [], []
    for name in names:
        vals = [r.get(name) for r in rows]
        present = [v for v in vals if v is not None]
        if present and all(isinstance(v, bool) for v in present) and len(present) == len(vals):
            dtypes.append((name, "?"))
            cols.append(vals)
        elif present and all(_is_int(v) for v in present) and len(present) == len(vals):
            dtypes.append((name, "<i8"))
            cols.append(vals)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            dtypes.append((name, "<f8"))
            cols.append([np.nan if v is None else float(v) for v in vals])
        else:
            text = ["" if v is None else _label(v) for v in vals]
            dtypes.append((name, f"<U{max(1, max((len(t) for t in text), default=1))}"))
            cols.append(text)
    arr = np.zeros(len(rows), dtype=dtypes)
    for (name, _), col in zip(dtypes, cols):
        arr[name] = col
    return arr


# --------------------------------------------------------------------------- table, plots, HTML


def _metric_columns(rows: Sequence[Mapping[str, Any]], grid_keys: Sequence[str]) -> list[str]:
    """Metric names to show: the headline ones first, then markouts, in the run's order."""
    skip = set(grid_keys) | {"id", "index", "repeat", "seed", "status", "n_events", "elapsed_s", "error_type",
                             "error_message"}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in skip and k not in names)
    numeric = [n for n in names if any(isinstance(r.get(n), (int, float)) and not isinstance(r.get(n), bool)
                                       for r in rows)]
    head = [n for n in _HEADLINE if n in numeric]
    marks = [n for n in numeric if _is_markout(n) and n not in head]
    return head + marks


def _is_markout(name: str) -> bool:
    """The mean markout in ticks at one horizon (``markout.<h>.mean_ticks``, from Report.flat)."""
    return name.startswith("markout.") and name.endswith(".mean_ticks")


def _header(name: str) -> str:
    return f"markout {name[len('markout.'):-len('.mean_ticks')]}" if _is_markout(name) else name


def _plot_metrics(cols: Sequence[str]) -> list[str]:
    return [c for c in cols if c in ("pnl.total", "toxic_share") or _is_markout(c)]


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}"
    return _short(_label(v))


def _short(text: str, width: int = 28) -> str:
    # Strategy specs are long (absolute) file paths; the name after ':' tells rows apart.
    target, sep, name = text.rpartition(":")
    if sep and target.endswith(".py") and name:
        text = name
    return text if len(text) <= width else text[: width - 1] + "…"


def _value_labels(values: Sequence[Any], width: int = 28) -> list[str]:
    """Labels for one column: a strategy section by its class name alone when that
    already tells the rows apart, else with its parameters."""
    labels = [_fmt(v) if not isinstance(v, (str, Mapping, list)) else _short(_label(v), width) for v in values]
    if all(isinstance(v, Mapping) and isinstance(v.get("path"), str) for v in values):
        names = [_short(v["path"]) for v in values]
        by_name: dict[str, set[str]] = {}
        for n, v in zip(names, values):
            by_name.setdefault(n, set()).add(_canonical(v))
        if all(len(c) == 1 for c in by_name.values()):
            labels = names
    return labels


# Terminal column titles (the HTML page keeps the full metric names).
_SHORT_HEADER = {"pnl.total": "PnL", "pnl.spread_capture": "spread", "pnl.inventory": "inventory",
                 "pnl.fees": "fees", "fills.count": "fills", "toxic_share": "toxic"}


def _table_rows(rows: Sequence[Mapping[str, Any]], grid: Grid, *,
                short: bool = False) -> tuple[list[str], list[list[str]]]:
    keys = list(grid.keys)
    metrics = _metric_columns(rows, keys)
    if short:  # the terminal keeps the total; the PnL split is in the CSV and HTML
        metrics = [m for m in metrics if m not in ("pnl.spread_capture", "pnl.inventory", "pnl.fees")]
    names = [(_SHORT_HEADER.get(m, _header(m).replace("markout ", "mk ")) if short else _header(m)) for m in metrics]
    header = keys + (["repeat"] if grid.repeats > 1 else []) + ["status"] + names
    columns = [_value_labels([r.get(k) for r in rows], 20 if short else 60) for k in keys]
    body = []
    for i, r in enumerate(rows):
        line = [col[i] for col in columns]
        if grid.repeats > 1:
            line.append(str(r.get("repeat")))
        if r.get("status") == "ok":
            line.append("ok")
            line.extend(_fmt(r.get(m)) for m in metrics)
        else:
            line.append(f"{r.get('error_type')}: {_short(str(r.get('error_message')), 60)}")
            line.extend("–" for _ in metrics)
        body.append(line)
    return header, body


def rich_table(rows: Sequence[Mapping[str, Any]], grid: Grid, max_rows: int = 200) -> Any:
    """The results as a rich Table (one row per point, short column titles).

    Parameters
    ----------
    rows : list of dict
        What :func:`sweep` returned.
    grid : Grid
        The grid they came from (its varying keys become the first columns).
    max_rows : int
        Show the first this many points (all of them are in results.csv and sweep.html).
    """
    from rich.table import Table

    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    title = f"mmsim sweep: {len(rows)} points, {n_fail} failed"
    if len(rows) > max_rows:
        title += f" (first {max_rows} shown; all in results.csv and sweep.html)"
        rows = rows[:max_rows]
    header, body = _table_rows(rows, grid, short=True)
    table = Table(title=title,
                  caption="PnL in quote currency (its split: results.csv, sweep.html); toxic = share of fills "
                          "with a negative markout at the toxic horizon; mk h = mean markout at h in ticks "
                          "(+ = good for us)")
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    for i, h in enumerate(header):
        # Values never wrap (a number cut in two reads as two numbers); titles may.
        width = max([len(h)] + [len(line[i]) for line in body]) if i != nk else len(h)
        table.add_column(h, justify="left" if i <= nk else "right", no_wrap=True, min_width=width)
    for line in body:
        table.add_row(*line)
    return table


def _axis_values(key: str, values: Sequence[Any]) -> tuple[list[float], list[str], str, bool]:
    """x positions, tick labels, axis title, and whether x is numeric."""
    uniq: list[Any] = []
    for v in values:
        if _canonical(v) not in [_canonical(u) for u in uniq]:
            uniq.append(v)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in uniq) and not key.startswith("latency."):
        return [float(v) for v in uniq], [_fmt(v) for v in uniq], key, True
    try:
        ns = [parse_duration(v, key) for v in uniq]
    except ConfigError:
        ns = None
    if ns is not None and (key.startswith("latency.") or key in ("decide_every", "sample_every")
                           or any(isinstance(v, str) for v in uniq)):
        scale, unit = (1e6, "ms") if max(ns) >= 1_000_000 else ((1e3, "us") if max(ns) >= 1_000 else (1.0, "ns"))
        return [n / scale for n in ns], [_label(v) for v in uniq], f"{key} ({unit})", True
    return [float(i) for i in range(len(uniq))], [_short(_label(v), 18) for v in uniq], key, False


def render_plots(rows: Sequence[Mapping[str, Any]], grid: Grid) -> dict[str, bytes]:
    """PNG bytes by file name: one figure per varying key, one panel per plotted metric.

    Each panel plots a metric (PnL total, toxic share, markout at each horizon)
    against that key, one line per value of the other varying keys (averaged
    over them when there are more than eight combinations), the mean over
    repeats with a bar of one standard deviation (a single run's markout shows
    its confidence interval). A duration axis spanning several decades is drawn
    on a symlog scale, ticked at the grid's values.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r.get("status") == "ok"]
    metrics = _plot_metrics(_metric_columns(ok, grid.keys))
    varying = [k for k in grid.keys if len({_canonical(r.get(k)) for r in rows}) > 1]
    plots: dict[str, bytes] = {}
    if not ok or not metrics:
        return plots
    labels_of = {k: dict(zip([_canonical(r.get(k)) for r in rows], _value_labels([r.get(k) for r in rows], 40)))
                 for k in varying}
    for key in varying:
        others = [k for k in varying if k != key]
        xs, ticks, xtitle, numeric = _axis_values(key, [r.get(key) for r in rows])
        xpos = {c: x for c, x in zip([_canonical(v) for v in _unique([r.get(key) for r in rows])], xs)}
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for r in ok:
            label = ", ".join(f"{k}={labels_of[k][_canonical(r.get(k))]}" for k in others) or "all"
            groups.setdefault(label, []).append(r)
        if len(groups) > 8:
            groups = {f"mean over {', '.join(others)}": ok}
        ncols = min(3, len(metrics))
        nrows = math.ceil(len(metrics) / ncols)
        height = 3.3 * nrows + 1.0
        fig = plt.figure(figsize=(4.6 * ncols, height), dpi=100)
        for i, m in enumerate(metrics):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            for label, grp in groups.items():
                pts: dict[float, list[Mapping[str, Any]]] = {}
                for r in grp:
                    if _number(r.get(m)) is not None:
                        pts.setdefault(xpos[_canonical(r.get(key))], []).append(r)
                if not pts:
                    continue
                x = sorted(pts)
                y = [float(np.mean([_number(r.get(m)) for r in pts[k]])) for k in x]
                lo, hi = _spread(m, [pts[k] for k in x], y)
                if any(lo) or any(hi):
                    ax.errorbar(x, y, yerr=[lo, hi], marker="o", ms=4, capsize=3, label=label)
                else:
                    ax.plot(x, y, marker="o", ms=4, label=label)
            if _is_markout(m) or m.startswith("pnl"):
                ax.axhline(0.0, color="0.6", lw=0.8)
            ax.set_title(_header(m) + (" (ticks)" if _is_markout(m) else ""), fontsize=10)
            ax.set_xlabel(xtitle, fontsize=9)
            positive = [x for x in xs if x > 0]
            if numeric and positive and max(xs) / min(positive) >= 100:
                # Latency grids are roughly geometric (0, 1ms, 10ms, 100ms, 1s).
                lin = min(positive)
                ax.set_xscale("symlog", linthresh=lin)
                ax.set_xlim(min(xs) - 0.3 * lin, max(xs) * 1.4)
                ax.set_xticks(xs, ticks, fontsize=7, rotation=45 if len(xs) > 5 else 0)
                ax.minorticks_off()
            elif not numeric:
                ax.set_xticks(xs, ticks, fontsize=8, rotation=30 if len(xs) > 4 else 0)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
        handles, labels = fig.axes[0].get_legend_handles_labels()
        if len(labels) > 1 or (labels and labels[0] != "all"):
            fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
        fig.suptitle(f"sweep: metrics against {key}", fontsize=11)
        # Margins in inches (title above, legend below), whatever the panel count.
        fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.65 / height, bottom=1.1 / height,
                            hspace=0.7, wspace=0.3)
        buf = _png(fig)
        plt.close(fig)
        plots[f"sweep_{key.replace('.', '_')}.png"] = buf
    return plots


def _number(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _spread(metric: str, groups: Sequence[Sequence[Mapping[str, Any]]],
            means: Sequence[float]) -> tuple[list[float], list[float]]:
    """Error bar below/above each mean: one standard deviation over repeats, else a
    markout's confidence interval (``markout.<h>.ci_low``/``ci_high``) when the run gives it."""
    lo: list[float] = []
    hi: list[float] = []
    for rows, mean in zip(groups, means):
        vals = [_number(r.get(metric)) for r in rows]
        if len(vals) > 1:
            sd = float(np.std(vals))
            lo.append(sd)
            hi.append(sd)
            continue
        base = metric[: -len(".mean_ticks")] if _is_markout(metric) else None
        a = _number(rows[0].get(f"{base}.ci_low")) if base else None
        b = _number(rows[0].get(f"{base}.ci_high")) if base else None
        lo.append(max(0.0, mean - a) if a is not None else 0.0)
        hi.append(max(0.0, b - mean) if b is not None else 0.0)
    return lo, hi


def _unique(values: Iterable[Any]) -> list[Any]:
    out, seen = [], set()
    for v in values:
        c = _canonical(v)
        if c not in seen:
            seen.add(c)
            out.append(v)
    return out


def _png(fig: Any) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td.k{text-align:left}td.err{color:#b00;text-align:left}img{max-width:100%;margin:1em 0}"""


def render_html(rows: Sequence[Mapping[str, Any]], grid: Grid, plots: Mapping[str, bytes]) -> str:
    """A single-file HTML page: the results table and the plots (base64 PNG, no network)."""
    header, body = _table_rows(rows, grid)
    nk = len(grid.keys) + (1 if grid.repeats > 1 else 0)
    n_fail = sum(1 for r in rows if r.get("status") != "ok")
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>mmsim sweep {html.escape(grid.source)}</title><style>{_CSS}</style></head><body>",
             f"<h1>mmsim sweep</h1><p>grid <code>{html.escape(grid.source)}</code>: {len(rows)} points, "
             f"{n_fail} failed. Money in quote currency; markouts in ticks (+ = good for us).</p>",
             "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for line in body:
        cells = []
        for i, c in enumerate(line):
            cls = "k" if i < nk else ("err" if i == nk and c != "ok" else "")
            cells.append(f"<td class='{cls}'>{html.escape(c)}</td>" if cls else f"<td>{html.escape(c)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    for name, png in plots.items():
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(rows: Sequence[Mapping[str, Any]], grid: Grid, out: str | os.PathLike[str], *,
                 plots: bool = True) -> dict[str, Path]:
    """Write ``results.csv``, the PNG plots and ``sweep.html`` into ``out``.

    Returns
    -------
    dict of str to Path
        Each written file by name.
    """
    import csv

    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    p = d / "results.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow(["" if r.get(n) is None else (_canonical(r[n]) if isinstance(r[n], (dict, list)) else r[n])
                        for n in names])
    written["results.csv"] = p
    pngs = render_plots(rows, grid) if plots else {}
    for name, png in pngs.items():
        (d / name).write_bytes(png)
        written[name] = d / name
    p = d / "sweep.html"
    p.write_text(render_html(rows, grid, pngs), encoding="utf-8")
    written["sweep.html"] = p
    return written


# --------------------------------------------------------------------------- command line


def add_sweep_parser(sub: Any) -> None:
    """Add ``mmsim sweep`` to the CLI's subparsers."""
    p = sub.add_parser(
        "sweep", help="run a grid of configs (e.g. a latency study) on local processes or a Dask cluster",
        description="Run every point of GRID (a base run config and the keys to vary), appending each "
                    "finished point to OUT/results.jsonl at once; rerunning the same command skips the "
                    "finished points. Writes results.csv, PNG plots and sweep.html into OUT.")
    p.add_argument("grid", type=Path, help="grid file (YAML)")
    p.add_argument("-o", "--output", type=Path, help="output directory (default: the grid's `output`)")
    p.add_argument("--workers", type=int, help="local worker processes (default: the grid's `workers`, "
                                               "else the CPU count); 0 runs in this process")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on this Dask distributed scheduler (needs `pip install mmsim[dask]`)")
    p.add_argument("--retry-failed", action="store_true", help="run again the points recorded as failed")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots (the HTML has the table only)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``mmsim sweep``: 0 when every point ran, 1 when some failed, 130 on Ctrl-C."""
    grid = load_grid(args.grid)
    out = args.output if args.output is not None else (Path(grid.output) if grid.output else None)
    if out is None:
        raise ConfigError(f"{args.grid}: no output directory: pass -o OUT or set `output:` in the grid")
    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers: expected a non-negative integer, got {args.workers}")
    try:
        rows = sweep(grid, out, workers=args.workers, scheduler=args.scheduler, retry_failed=args.retry_failed,
                     progress=not args.quiet)
    except KeyboardInterrupt:
        n = len(read_results(Path(out) / RESULTS_FILE))
        print(f"mmsim sweep: interrupted; {n} of {len(grid.points)} points are saved in {Path(out) / RESULTS_FILE}; "
              "run the same command to resume", file=sys.stderr)
        return 130
    write_report(rows, grid, out, plots=not args.no_plots)
    n_fail = sum(1 for r in rows if r["status"] != "ok")
    events = sum(int(r.get("n_events") or 0) for r in rows)
    if not args.quiet:
        from rich.console import Console

        Console().print(rich_table(rows, grid))
    print(f"{len(rows)} points ({n_fail} failed), {events:,} events -> {Path(out) / RESULTS_FILE}, "
          f"{Path(out) / 'sweep.html'}")
    return 1 if n_fail else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mmsim sweep`` alone (``sweep.main(["GRID", "-o", "OUT"])``), with the CLI's exit codes."""
    parser = argparse.ArgumentParser(prog="mmsim sweep")
    sub = parser.add_subparsers(dest="command", required=True)
    add_sweep_parser(sub)
    args = parser.parse_args(["sweep", *(sys.argv[1:] if argv is None else argv)])
    try:
        return cmd_sweep(args)
    except ConfigError as exc:
        print(f"mmsim: config error: {exc}", file=sys.stderr)
        return 2
    except (MmsimError, OSError) as exc:
        print(f"mmsim: error: {exc}", file=sys.stderr)
        return 1


class _CallableModule(types.ModuleType):
    """Lets ``mmsim.sweep(grid)`` call :func:`sweep` while ``mmsim.sweep.to_array`` etc. stay reachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
