"""Run configuration: one frozen, keyword-only dataclass per thing configured.

``Config`` is what :func:`mmsim.run` takes. Every section is a dataclass;
:meth:`Config.from_dict` builds one from plain mappings (as parsed from YAML),
rejecting unknown keys and wrong types with a :class:`~mmsim.ConfigError`
naming the key. Durations are int nanoseconds or strings with a unit
(``"250us"``, ``"5ms"``, ``"1s"``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import ConfigError

__all__ = [
    "Config",
    "FeeConfig",
    "LatencyConfig",
    "LatencyModel",
    "QueueConfig",
    "ReportConfig",
    "SignalConfig",
    "StrategyConfig",
    "parse_duration",
]

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
          "min": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|min|m|h)\s*$")


def parse_duration(value: Any, key: str = "duration") -> int:
    """Return ``value`` as int nanoseconds.

    Parameters
    ----------
    value : int or str
        Nanoseconds as an integer, or a number with a unit: ``ns``, ``us``,
        ``ms``, ``s``, ``min``/``m``, ``h`` (``"250us"``, ``"1.5ms"``).
    key : str
        Name used in the error message.

    Raises
    ------
    ConfigError
        If the value is not a non-negative duration.
    """
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration (e.g. 5ms or an int of ns), got {value!r}")
    if isinstance(value, int):
        ns = value
    elif isinstance(value, float) and value.is_integer():
        ns = int(value)
    elif isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ConfigError(
                f"{key}: cannot read {value!r} as a duration; use a number with a unit "
                "(ns, us, ms, s, min, h), e.g. 250us"
            )
        ns_f = float(m.group(1)) * _UNITS[m.group(2)]
        ns = int(round(ns_f))
        if abs(ns - ns_f) > 1e-6 * max(1.0, abs(ns_f)):
            raise ConfigError(f"{key}: {value!r} is not a whole number of nanoseconds")
    else:
        raise ConfigError(f"{key}: expected a duration (e.g. 5ms or an int of ns), got {value!r}")
    if ns < 0:
        raise ConfigError(f"{key}: a duration cannot be negative, got {value!r}")
    return ns


@dataclass(frozen=True, kw_only=True)
class LatencyModel:
    """One latency: constant, the recorded receive time, or a seeded lognormal draw.

    Parameters
    ----------
    kind : {"constant", "recorded", "lognormal"}
        ``recorded`` uses each event's ``local_ts`` (feed latency only).
    ns : int
        The constant latency in ns (``kind="constant"``).
    median_ns : int
        Median of the lognormal draw in ns (``kind="lognormal"``).
    sigma : float
        Shape of the lognormal (standard deviation of the log), dimensionless.
    min_ns : int
        Floor added under the lognormal draw, ns.
    """

    kind: str = "constant"
    ns: int = 0
    median_ns: int = 0
    sigma: float = 0.0
    min_ns: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "recorded", "lognormal"):
            raise ConfigError(f"latency kind must be constant, recorded or lognormal, got {self.kind!r}")
        if self.ns < 0 or self.median_ns < 0 or self.min_ns < 0:
            raise ConfigError("latency: durations cannot be negative")
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ConfigError(f"latency: sigma must be finite and >= 0, got {self.sigma!r}")
        if self.kind == "lognormal" and self.median_ns <= 0:
            raise ConfigError("latency: a lognormal latency needs median_ns > 0")

    @classmethod
    def parse(cls, value: Any, key: str) -> "LatencyModel":
        """Read ``5ms``, ``1000``, ``recorded`` or ``{lognormal: {median: 1ms, sigma: 0.5}}``."""
        if isinstance(value, LatencyModel):
            return value
        if value == "recorded":
            return cls(kind="recorded")
        if isinstance(value, Mapping):
            if set(value) == {"lognormal"} and isinstance(value["lognormal"], Mapping):
                spec = dict(value["lognormal"])
                unknown = set(spec) - {"median", "sigma", "min"}
                if unknown:
                    raise ConfigError(f"{key}.lognormal: unknown key {sorted(unknown)[0]!r}")
                if "median" not in spec:
                    raise ConfigError(f"{key}.lognormal: missing key 'median'")
                sigma = spec.get("sigma", 0.0)
                if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
                    raise ConfigError(f"{key}.lognormal.sigma: expected a number, got {sigma!r}")
                return cls(
                    kind="lognormal",
                    median_ns=parse_duration(spec["median"], f"{key}.lognormal.median"),
                    sigma=float(sigma),
                    min_ns=parse_duration(spec.get("min", 0), f"{key}.lognormal.min"),
                )
            if set(value) == {"constant"}:
                return cls(kind="constant", ns=parse_duration(value["constant"], f"{key}.constant"))
            raise ConfigError(f"{key}: expected a duration, 'recorded' or {{lognormal: {{median, sigma}}}}, got {dict(value)!r}")
        return cls(kind="constant", ns=parse_duration(value, key))

    def describe(self) -> str:
        """Short human label (``"5ms"``, ``"recorded"``, ``"lognormal(1ms, 0.5)"``)."""
        if self.kind == "recorded":
            return "recorded"
        if self.kind == "lognormal":
            return f"lognormal({_fmt_ns(self.median_ns)}, {self.sigma:g})"
        return _fmt_ns(self.ns)


def _fmt_ns(ns: int) -> str:
    for unit, scale in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= scale and ns % scale == 0:
            return f"{ns // scale}{unit}"
    return f"{ns}ns"


def _latency(value: Any = 0) -> Any:
    return field(default_factory=lambda: LatencyModel.parse(value, "latency"))


@dataclass(frozen=True, kw_only=True)
class LatencyConfig:
    """Feed and order latencies (docs/design.md section 4).

    Parameters
    ----------
    feed : LatencyModel
        Exchange to local side, per market event. ``recorded`` uses ``local_ts``.
    entry : LatencyModel
        Local side to exchange, per order action.
    response : LatencyModel
        Exchange to local side, per ack, reject, fill or cancel confirmation.
    seed : int
        Seed of the random latency draws.
    """

    feed: LatencyModel = _latency(0)
    entry: LatencyModel = _latency(0)
    response: LatencyModel = _latency(0)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("entry", "response"):
            if getattr(self, name).kind == "recorded":
                raise ConfigError(f"latency.{name}: 'recorded' applies to the feed only")


@dataclass(frozen=True, kw_only=True)
class QueueConfig:
    """How a depth decrease that is not a trade moves our queue position (L2 data).

    Parameters
    ----------
    model : {"risk_averse", "power", "log"}
        ``risk_averse``: ``ahead = min(ahead, level_qty)``. ``power``/``log``:
        split the decrease between ahead and behind by ``f(ahead)`` vs
        ``f(behind)`` with ``f = x**power`` or ``log(1 + x)`` (Rigtorp;
        hftbacktest's ProbQueueModel). L3 data always uses exact FIFO.
    power : float
        Exponent of the power model.
    """

    model: str = "risk_averse"
    power: float = 2.0

    def __post_init__(self) -> None:
        if self.model not in ("risk_averse", "power", "log"):
            raise ConfigError(f"queue.model must be risk_averse, power or log, got {self.model!r}")
        if not (math.isfinite(self.power) and self.power > 0):
            raise ConfigError(f"queue.power must be a positive number, got {self.power!r}")


@dataclass(frozen=True, kw_only=True)
class FeeConfig:
    """Maker and taker fees. Negative is a rebate.

    Parameters
    ----------
    maker_bps, taker_bps : float
        Basis points of notional (``price * tick_size * qty * lot_size * contract_size``).
    maker_per_lot, taker_per_lot : float
        Quote currency per lot.
    """

    maker_bps: float = 0.0
    taker_bps: float = 0.0
    maker_per_lot: float = 0.0
    taker_per_lot: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SignalConfig:
    """Parameters of the native signals (Rust), computed on the local view.

    Parameters
    ----------
    enabled : bool
        Compute signals during a run (costs a few ns per event).
    depth_levels : int
        Levels in the depth-weighted imbalance.
    depth_decay : float
        Weight of level k is ``depth_decay**k``.
    ofi_half_life, trade_flow_half_life, vol_half_life, hawkes_half_life : duration
        Half-lives (ns or with a unit) of the decayed accumulators.
    hawkes_alpha : float
        Intensity jump per trade, per second.
    hawkes_baseline : float
        Baseline intensity, per second.
    vpin_bucket_volume : float
        Lots per VPIN bucket.
    vpin_buckets : int
        Buckets in the VPIN window.
    """

    enabled: bool = True
    depth_levels: int = 5
    depth_decay: float = 0.5
    ofi_half_life: int = 1_000_000_000
    trade_flow_half_life: int = 1_000_000_000
    vol_half_life: int = 60_000_000_000
    hawkes_half_life: int = 1_000_000_000
    hawkes_alpha: float = 0.5
    hawkes_baseline: float = 0.0
    vpin_bucket_volume: float = 100.0
    vpin_buckets: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.depth_levels <= 32:
            raise ConfigError(f"signals.depth_levels must be in 1..32, got {self.depth_levels}")
        for name in ("ofi_half_life", "trade_flow_half_life", "vol_half_life", "hawkes_half_life"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"signals.{name} must be positive")
        if self.vpin_bucket_volume <= 0 or self.vpin_buckets < 1:
            raise ConfigError("signals.vpin_bucket_volume and vpin_buckets must be positive")


@dataclass(frozen=True, kw_only=True)
class StrategyConfig:
    """Which strategy plugin to load and its parameters.

    Parameters
    ----------
    path : str
        ``file.py:Class`` or an entry-point name in the ``mmsim.strategies`` group.
    params : mapping
        Keyword parameters passed to the strategy.
    """

    path: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReportConfig:
    """What the report computes.

    Parameters
    ----------
    horizons : tuple of duration
        Markout horizons (ns or with units).
    event_horizons : tuple of int
        Markout horizons in market events.
    toxic_horizon : duration
        Horizon at which a fill with negative markout counts as toxic.
    """

    horizons: tuple[int, ...] = (100_000_000, 1_000_000_000, 10_000_000_000, 60_000_000_000)
    event_horizons: tuple[int, ...] = (10, 100)
    toxic_horizon: int = 1_000_000_000


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything that decides a run. ``run(events, strategy, config)`` is pure in it.

    Parameters
    ----------
    tick_size : float or None
        Price of one tick in quote currency. None: from the event store's meta
        (1.0 for a plain event array).
    lot_size : float or None
        Size of one lot in base units. None: from the store's meta, else 1.0.
    contract_size : float or None
        Multiplier from price*size to notional (1 for spot and linear contracts).
        None: from the store's meta, else 1.0.
    latency : LatencyConfig
        Feed, entry and response latencies.
    queue : QueueConfig
        L2 queue model.
    fees : FeeConfig
        Maker/taker fees.
    post_only : bool
        True: a quote that would cross on arrival is rejected (GTX). False: it
        takes liquidity at the visible levels up to its price and pays the taker fee.
    decide_every : int or None
        Call the strategy on a timer of this many ns instead of after every
        local update.
    sample_every : int
        Interval of the inventory/equity samples, ns of exchange time.
    signals : SignalConfig
        Native signal parameters.
    strategy : StrategyConfig
        Plugin path and parameters (used by the CLI and sweeps).
    report : ReportConfig
        Markout horizons.
    data : str
        Event store path (used by the CLI and sweeps).
    output : str
        Output directory (used by the CLI and sweeps).
    max_orders : int
        Live orders allowed at once (a guard against runaway strategies).
    """

    tick_size: float | None = None
    lot_size: float | None = None
    contract_size: float | None = None
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    fees: FeeConfig = field(default_factory=FeeConfig)
    post_only: bool = True
    decide_every: int | None = None
    sample_every: int = 1_000_000_000
    signals: SignalConfig = field(default_factory=SignalConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    data: str = ""
    output: str = ""
    max_orders: int = 64

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "contract_size"):
            v = getattr(self, name)
            if v is None:
                continue
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be a positive number, got {v!r}")
        if self.decide_every is not None and self.decide_every <= 0:
            raise ConfigError(f"decide_every must be a positive duration, got {self.decide_every!r}")
        if self.sample_every <= 0:
            raise ConfigError("sample_every must be a positive duration")
        if not 1 <= self.max_orders <= 4096:
            raise ConfigError(f"max_orders must be in 1..4096, got {self.max_orders}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: Mapping[str, str] | None = None) -> "Config":
        """Build a Config from plain mappings, as parsed from YAML.

        Parameters
        ----------
        data : mapping
            Keys are field names; sections are nested mappings.
        where : mapping, optional
            Dotted key -> location text (``"run.yaml line 7"``) added to errors.

        Raises
        ------
        ConfigError
            Naming the key, for an unknown key, a wrong type or a bad value.
        """
        return _build(cls, data, "", where or {})

    def replace(self, **changes: Any) -> "Config":
        """Copy with top-level fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping that :meth:`from_dict` reads back to an equal Config."""
        return _to_plain(self)


_DURATION_FIELDS = {
    "decide_every", "sample_every", "ofi_half_life", "trade_flow_half_life", "vol_half_life",
    "hawkes_half_life", "toxic_horizon",
}


def _at(where: Mapping[str, str], key: str) -> str:
    loc = where.get(key)
    return f" ({loc})" if loc else ""


def _build(cls: type, data: Any, prefix: str, where: Mapping[str, str]) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        key = prefix.rstrip(".") or "config"
        raise ConfigError(f"{key}: expected a mapping, got {type(data).__name__}{_at(where, key)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"unknown config key {dotted!r}{_at(where, dotted)}")
        try:
            kwargs[key] = _convert(cls, key, value, dotted, where)
        except ConfigError as e:
            raise _located(e, where, dotted) from None
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise _located(e, where, prefix.rstrip(".") or "config") from None


def _located(e: ConfigError, where: Mapping[str, str], fallback: str) -> ConfigError:
    """Add the file line of the key the message names (else of ``fallback``), once."""
    msg = str(e)
    if any(loc in msg for loc in where.values()):
        return e
    named = [k for k in where if msg.startswith(k) and msg[len(k):len(k) + 1] in (":", " ", "")]
    key = max(named, key=len) if named else fallback
    loc = _at(where, key)
    return ConfigError(f"{msg}{loc}") if loc else e


_SECTIONS = {
    "latency": LatencyConfig,
    "queue": QueueConfig,
    "fees": FeeConfig,
    "signals": SignalConfig,
    "strategy": StrategyConfig,
    "report": ReportConfig,
}


def _convert(cls: type, key: str, value: Any, dotted: str, where: Mapping[str, str]) -> Any:
    if cls is Config and key in _SECTIONS:
        return _build(_SECTIONS[key], value, dotted + ".", where)
    if cls is LatencyConfig and key in ("feed", "entry", "response"):
        return LatencyModel.parse(value, dotted)
    if key in ("tick_size", "lot_size", "contract_size"):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{dotted}: expected a number, got {value!r}")
        return float(value)
    if key in _DURATION_FIELDS:
        if key == "decide_every" and value is None:
            return None
        return parse_duration(value, dotted)
    if cls is ReportConfig and key == "horizons":
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"{dotted}: expected a list of durations, got {value!r}")
        return tuple(parse_duration(v, f"{dotted}[{i}]") for i, v in enumerate(value))
    if cls is ReportConfig and key == "event_horizons":
        if not isinstance(value, (list, tuple)) or not all(_is_int(v) and v > 0 for v in value):
            raise ConfigError(f"{dotted}: expected a list of positive integers, got {value!r}")
        return tuple(int(v) for v in value)
    if cls is StrategyConfig and key == "params":
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{dotted}: expected a mapping of parameters, got {value!r}")
        return dict(value)
    f = {f.name: f for f in dataclasses.fields(cls)}[key]
    default = f.default if f.default is not dataclasses.MISSING else None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{dotted}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if not _is_int(value):
            raise ConfigError(f"{dotted}: expected an integer, got {value!r}")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{dotted}: expected a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{dotted}: expected a string, got {value!r}")
        return value
    return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, LatencyModel):
        if obj.kind == "recorded":
            return "recorded"
        if obj.kind == "lognormal":
            return {"lognormal": {"median": obj.median_ns, "sigma": obj.sigma, "min": obj.min_ns}}
        return obj.ns
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, Mapping):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj


def parse_yaml(text: str, filename: str = "<config>") -> tuple[Any, dict[str, str]]:
    """Parse YAML keeping where each key was written.

    Returns
    -------
    data : object
        The parsed document (plain dicts, lists and scalars).
    where : dict
        Dotted key (``latency.feed``, ``axes.latency.feed``) -> ``"FILE line N"``.

    Raises
    ------
    ConfigError
        On a YAML syntax error, naming the file and line.
    """
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{filename}{line}: invalid YAML: {problem}") from None
    where: dict[str, str] = {}

    def walk(n: Any, prefix: str) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = f"{prefix}{k.value}"
                where.setdefault(key, f"{filename} line {k.start_mark.line + 1}")
                walk(v, key + ".")

    if node is not None:
        walk(node, "")
    data = yaml.safe_load(text)
    return ({} if data is None else data), where


def load_yaml(path: str | Any) -> Config:
    """Read a run config from a YAML file (keys map one to one onto :class:`Config`).

    Raises
    ------
    ConfigError
        Naming the key and the file line for unknown keys, wrong types and bad units.
    """
    from pathlib import Path

    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config: {exc.strerror}") from None
    data, where = parse_yaml(text, str(p))
    if not isinstance(data, Mapping):
        raise ConfigError(f"{p}: a run config must be a mapping of keys, got {type(data).__name__}")
    data = dict(data)
    # Relative data/output paths are relative to the config file.
    for key in ("data", "output"):
        v = data.get(key)
        if isinstance(v, str) and v and not Path(v).is_absolute() and not v.startswith("~"):
            data[key] = str((p.parent / v).resolve())
    # So is a strategy given as a file path (`dir/file.py:Class`); an entry-point or
    # module name is left as it is.
    strat = data.get("strategy")
    if isinstance(strat, Mapping) and isinstance(strat.get("path"), str):
        spec = strat["path"]
        file_part, sep, attr = spec.rpartition(":")
        if sep and file_part.endswith(".py") and not Path(file_part).is_absolute():
            data["strategy"] = {**strat, "path": f"{(p.parent / file_part).resolve()}:{attr}"}
    return Config.from_dict(data, where=where)
