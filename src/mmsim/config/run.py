"""The run description: :class:`RunConfig` (data, strategy, engine, report, output) and the YAML reader.

As nautilus_trader separates ``BacktestRunConfig`` (the job) from
``BacktestEngineConfig`` (the engine), mmsim separates :class:`RunConfig`,
what ``mmsim run`` and each sweep point do, from :class:`~mmsim.Config`,
what :func:`mmsim.run` takes. A run config file is one flat YAML mapping: the
job's keys (``data``, ``strategy``, ``report``, ``output``) beside the
engine's (``latency``, ``queue``, ``fees``...), as it always was.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from .._paths import output_key_fault
from ..errors import ConfigError
from ._fields import (
    ConfigBase,
    DurationTuple,
    EventHorizonTuple,
    MarkoutHorizon,
    Params,
    Section,
    Text,
    locate,
    setting,
)
from .engine import Config
from .yaml_file import parse_yaml, read_yaml_mapping

__all__ = ["ENGINE_KEYS", "RUN_KEYS", "ReportConfig", "RunConfig", "StrategyConfig", "load_yaml", "parse_yaml",
           "resolve_paths"]


@dataclass(frozen=True, kw_only=True)
class StrategyConfig(ConfigBase):
    """Which strategy plugin to load and its parameters (nautilus_trader's ``ImportableStrategyConfig``).

    Parameters
    ----------
    path : str
        ``file.py:Class``, ``package.module:Class`` or an entry-point name in the
        ``mmsim.strategies`` group. Required, not empty.
    params : mapping
        Keyword parameters passed to the strategy.
    """

    _prefix: ClassVar[str] = "strategy."

    path: str = setting(Text(nonempty=True, why="the strategy to load (file.py:Class or an entry-point name)"))
    params: Mapping[str, Any] = setting(Params(), default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReportConfig(ConfigBase):
    """What the report computes.

    Parameters
    ----------
    horizons : tuple of duration
        Markout horizons (ns or with units), at most 366 days each.
    event_horizons : tuple of int
        Markout horizons in market events: positive integers, or ``"<k>ev"``
        (held as int k, so both spellings are one config).
    toxic_horizon : duration or str
        Horizon at which a fill with negative markout counts as toxic: a duration
        (held as int ns) or a number of market events, ``"100ev"``.
    """

    _prefix: ClassVar[str] = "report."

    horizons: tuple[int, ...] = setting(DurationTuple(),
                                        (100_000_000, 1_000_000_000, 10_000_000_000, 60_000_000_000))
    event_horizons: tuple[int, ...] = setting(EventHorizonTuple(), (10, 100))
    toxic_horizon: int | str = setting(MarkoutHorizon(), 1_000_000_000)


#: The engine's keys, at the top level of a run config file.
ENGINE_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Config))


@dataclass(frozen=True, kw_only=True)
class RunConfig(ConfigBase):
    """A job: which events, which strategy, the engine's configuration, the report, where outputs go.

    What ``mmsim run CONFIG`` and every point of ``mmsim sweep`` execute
    (:func:`mmsim.runner.run_config`). Its YAML form is flat: the engine's
    keys (:data:`ENGINE_KEYS`) sit at the top level beside ``data``,
    ``strategy``, ``report`` and ``output``; :meth:`from_dict` and
    :meth:`to_dict` read and write that form.

    Parameters
    ----------
    strategy : StrategyConfig
        The strategy plugin and its parameters (required: a run without a
        strategy replays the market and fills nothing).
    data : str
        The event store to replay (a directory written by ``mmsim convert`` or
        ``mmsim synth``). May be empty when the events are given another way
        (``mmsim run --data``, ``run_config(events=...)``).
    engine : Config
        What :func:`mmsim.run` takes.
    report : ReportConfig
        The report's horizons.
    output : str
        Output directory ("" for the command's default).
    """

    strategy: StrategyConfig = setting(Section(lambda: StrategyConfig))
    data: str = setting(Text(), "")
    engine: Config = setting(Section(lambda: Config), default_factory=Config)
    report: ReportConfig = setting(Section(lambda: ReportConfig), default_factory=ReportConfig)
    output: str = setting(Text(), "")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: Mapping[str, str] | None = None) -> RunConfig:
        """Build from the flat mapping of a run config file (engine keys at the top level).

        Parameters
        ----------
        data : mapping
            ``data``, ``strategy``, ``report``, ``output`` and any :class:`~mmsim.Config` key.
        where : mapping, optional
            Dotted key -> location text (``"run.yaml line 7"``) added to errors.

        Raises
        ------
        ConfigError
            Naming the key and its line: an unknown key, a wrong type or a bad
            value; ``missing config key 'strategy'`` when there is none.
        """
        where = where or {}
        if isinstance(data, RunConfig):
            return data
        if not isinstance(data, Mapping):
            raise ConfigError(f"config: expected a mapping, got {type(data).__name__}")
        job: dict[str, Any] = {}
        engine: dict[str, Any] = {}
        for key, value in data.items():
            if key in RUN_KEYS:
                job[key] = value
            elif key in ENGINE_KEYS:
                engine[key] = value
            else:
                raise ConfigError(f"unknown config key {key!r}{_at(where, str(key))}")
        job["engine"] = Config.from_dict(engine, where=where)
        if isinstance(job.get("report"), Mapping):
            job["report"] = ReportConfig.from_dict(job["report"], where=where)
        strat = job.get("strategy")
        if strat is None:
            raise ConfigError("missing config key 'strategy': a run config names the strategy to run, e.g. "
                              "strategy: {path: strategies/fixed_spread.py:FixedSpread, params: {size: 1}}"
                              + _at(where, "strategy"))
        if isinstance(strat, Mapping):
            if "path" not in strat:
                raise ConfigError("missing config key 'strategy.path': name the strategy to load "
                                  "(file.py:Class or an entry-point name)" + _at(where, "strategy"))
            job["strategy"] = StrategyConfig.from_dict(strat, where=where)
        try:
            return cls(**job)
        except ConfigError as e:
            raise locate(e, where) from None

    def to_dict(self) -> dict[str, Any]:
        """The flat mapping :meth:`from_dict` reads back to an equal RunConfig."""
        out = self.engine.to_dict()
        out.update(data=self.data, strategy=self.strategy.to_dict(), report=self.report.to_dict(),
                   output=self.output)
        return out

    def digest(self) -> str:
        """A hash of the resolved run (every key but ``output``): 12 hex digits.

        Two configs that run the same thing have the same digest, wherever they
        were written; any change of data, strategy, engine or report changes it.
        A strategy quantity with a unit counts as its number of lots (``size: 0.01 base``
        on a store whose lot is 1e-08 is ``size: 1000000``; the store's meta.json gives the lot), and so
        does ``signals.vpin_bucket_volume`` (``5 base`` is ``500000000.0`` there).
        """
        from .._qty_units import as_lots, setting_as_lots

        plain = setting_as_lots(self.to_dict(), self.data, self.engine.lot_size)
        plain.pop("output", None)
        plain["strategy"]["params"] = as_lots(plain["strategy"]["params"], self.data, self.engine.lot_size)
        text = json.dumps(plain, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


#: The run description's own keys in a run config file.
RUN_KEYS: tuple[str, ...] = ("data", "strategy", "report", "output")


def _at(where: Mapping[str, str], key: str) -> str:
    loc = where.get(key)
    return f" ({loc})" if loc else ""


def _resolve(path: str, base_dir: Path) -> str:
    p = Path(path).expanduser()
    # realpath, not Path.resolve: the same path, and a symbolic link that loops is left for the reader to
    # refuse in words (Path.resolve raised RuntimeError on it)
    return str(p if p.is_absolute() else os.path.realpath(base_dir / p))


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def resolve_paths(data: Mapping[str, Any], base_dir: str | Path,
                  only: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read a run config mapping's relative paths against ``base_dir`` (the directory of its file).

    ``data`` and ``output`` become absolute; so does a strategy given as a file
    (``dir/file.py:Class``) when that file exists there (a module or
    entry-point name is left as it is, and a file that is not there is left
    for the plugin loader to look for in the working directory).

    Parameters
    ----------
    data : mapping
        A flat run config mapping (not modified).
    base_dir : path
        The directory relative paths are read against.
    only : mapping, optional
        Dotted keys (a sweep point's overrides): resolve only the paths they set.
    """
    bdir = Path(base_dir)
    out = dict(data)
    for key in ("data", "output"):
        if only is None or any(_overlaps(k, key) for k in only):
            v = out.get(key)
            if isinstance(v, str) and v:
                out[key] = _resolve(v, bdir)
    if only is None or any(_overlaps(k, "strategy.path") for k in only):
        strat = out.get("strategy")
        if isinstance(strat, Mapping) and isinstance(strat.get("path"), str):
            target, sep, attr = strat["path"].rpartition(":")
            # Only a file spec (path.py:Name) is a path; module:Name and entry points are not.
            if sep and (target.endswith(".py") or "/" in target) and not Path(target).expanduser().is_absolute():
                cand = bdir / Path(target).expanduser()
                if cand.is_file():
                    out["strategy"] = {**strat, "path": f"{cand.resolve()}:{attr}"}
    return out


def load_yaml(path: str | Path) -> RunConfig:
    """Read a run config file: a flat YAML mapping of :class:`RunConfig` and :class:`~mmsim.Config` keys.

    Relative ``data``, ``output`` and strategy file paths are read against the
    file's directory (:func:`resolve_paths`). ``output`` is checked first, as every command checks ``-o``
    (:func:`mmsim._paths.output_key_fault`): a ``..`` out of a missing folder, a file on the way or a symbolic
    link that loops is refused, whether or not ``-o`` is given.

    Raises
    ------
    ConfigError
        Naming the key and the file line for unknown keys, wrong types and bad
        units, and the file for a missing ``strategy``.
    """
    p = Path(path)
    data, where = read_yaml_mapping(p, what="config", keys="run config keys")
    output = data.get("output")
    if isinstance(output, str) and output and (why := output_key_fault(output, p.parent)):
        raise ConfigError(f"output: {why}{_at(where, 'output')}")  # checked before resolving reads its `..`
    try:
        return RunConfig.from_dict(resolve_paths(data, p.parent), where=where)
    except ConfigError as e:
        msg = str(e)
        if msg.startswith("missing config key") and str(p) not in msg:
            raise ConfigError(f"{p}: {msg}") from None
        raise
