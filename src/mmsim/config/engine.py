"""The engine's configuration: :class:`Config` (what :func:`mmsim.run` takes) and its sections.

Every field declares its kind (duration, latency model, bounded number...) on
itself; :mod:`mmsim.config._fields` reads values the same way from YAML, a
sweep's dotted override or a direct construction (constructors coerce:
``LatencyConfig(feed="5ms")``, ``SignalConfig(ofi_half_life="500ms")``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .._scales import (FEE_BPS_RULE, FEE_PER_LOT_RULE, MAX_FEE_BPS, MAX_FEE_PER_LOT, MAX_UNIT, MIN_UNIT, UNIT_HIGH,
                       UNIT_RULE)
from ..errors import ConfigError
from ._fields import (
    ConfigBase,
    Custom,
    Duration,
    Flag,
    Integer,
    Number,
    Section,
    Text,
    setting,
)
from ._units import MAX_LATENCY_NS, format_ns, parse_duration
from .yaml_file import read_number

__all__ = ["MODEL_KEYS", "Config", "FeeConfig", "LatencyConfig", "LatencyModel", "QueueConfig", "SignalConfig"]

#: Largest lognormal shape accepted (the log's standard deviation).
MAX_SIGMA = 10.0

#: Keys that one model alone reads: dotted key -> (the key choosing the model, the model that reads it).
#: Set to another value than its default beside another model, such a key is a ConfigError
#: (docs/config.md, "A key the chosen model does not read"); a sweep applies a shared one
#: only to the points whose model reads it.
MODEL_KEYS: dict[str, tuple[str, str]] = {"queue.power": ("queue.model", "power")}

# What each latency kind reads (the other fields must stay at their default, 0).
_LATENCY_READS = {"constant": ("ns",), "lognormal": ("median_ns", "sigma", "min_ns"), "recorded": ("offset_ns",)}
# The kind that reads each field, for the message when another kind sets it.
_LATENCY_READER = {"ns": "constant", "median_ns": "lognormal", "sigma": "lognormal", "min_ns": "lognormal",
                   "offset_ns": "recorded"}


# The written (printed) forms of a latency model: what LatencyModel.describe prints, read back.
_WRITTEN_LATENCY = re.compile(
    r"^\s*(?:lognormal\(\s*(?P<median>[^,()]+?)\s*,\s*(?P<sigma>[^,()]+?)\s*"
    r"(?:,\s*min\s+(?P<min>[^,()]+?)\s*)?\)|constant\(\s*(?P<constant>[^,()]+?)\s*\))\s*$")
# `recorded`, `recorded + 5ms`, `recorded+5ms`, `recorded + 5000000` (ns): the feed as recorded, X later.
_WRITTEN_RECORDED = re.compile(r"^\s*recorded(?:\s*(?P<op>[^\w\s])\s*(?P<offset>.*?))?\s*$", re.IGNORECASE | re.DOTALL)
_RECORDED_FORMS = ("a recorded feed with an offset is written recorded + X, X a duration >= 0 (recorded + 5ms, "
                   "recorded + 250us; a bare number is ns), or the mapping {recorded: 5ms}")
_LATENCY_FORMS = ("a latency is a duration (5ms, 250us; a bare number is ns), 'recorded' or 'recorded + 5ms' "
                  "(feed only), lognormal(MEDIAN, SIGMA) or lognormal(MEDIAN, SIGMA, min MIN) (lognormal(1ms, 0.5)), "
                  "or the mappings {constant: 5ms}, {recorded: 5ms} and {lognormal: {median: 1ms, sigma: 0.5, min: 100us}}")


def _latency_ns() -> Duration:
    return Duration(max_ns=MAX_LATENCY_NS)


@dataclass(frozen=True, kw_only=True)
class LatencyModel(ConfigBase):
    """One latency: constant, the recorded receive time (plus an offset), or a seeded lognormal draw.

    Parameters
    ----------
    kind : {"constant", "recorded", "lognormal"}
        ``recorded`` uses each event's ``local_ts`` (feed latency only), ``offset_ns`` later.
    ns : duration
        The constant latency in ns (``kind="constant"``), at most one day.
    median_ns : duration
        Median of the lognormal draw in ns (``kind="lognormal"``), at most one day.
    sigma : float
        Shape of the lognormal (standard deviation of the log), dimensionless, in [0, 10].
    min_ns : duration
        Floor added under the lognormal draw, ns, at most one day.
    offset_ns : duration
        Added to each recorded ``local_ts`` (``kind="recorded"``), ns, in [0, one day]:
        ``recorded + 5ms`` is the recorded feed 5 ms slower. 0 is the feed as recorded.
        Never negative: an earlier delivery than the capture's could come before the
        event happened, and nothing in a capture says how much faster a feed could be.

    A field the kind does not read (``sigma`` of a constant latency, ``ns`` of a
    lognormal one, any but ``offset_ns`` for ``recorded``) must stay 0: another value is a
    ConfigError naming the field and the kind that reads it.
    """

    _prefix: ClassVar[str] = "latency."

    kind: str = setting(Text(choices=("constant", "recorded", "lognormal")), "constant")
    ns: int = setting(_latency_ns(), 0)
    median_ns: int = setting(_latency_ns(), 0)
    sigma: float = setting(Number(ge=0.0, le=MAX_SIGMA, why=f"a finite number in [0, {MAX_SIGMA:g}]"), 0.0)
    min_ns: int = setting(_latency_ns(), 0)
    offset_ns: int = setting(_latency_ns(), 0)

    @classmethod
    def _label(cls, name: str) -> str:
        return "latency kind" if name == "kind" else super()._label(name)

    def _validate(self) -> None:
        for name, reader in _LATENCY_READER.items():
            if name not in _LATENCY_READS[self.kind] and getattr(self, name) != 0:
                raise ConfigError(f"latency.{name}: {getattr(self, name)!r} is read by a {reader} latency only "
                                  f"(kind {reader!r}), and this latency's kind is {self.kind!r}; drop {name}, "
                                  f"or set kind {reader!r}")
        if self.kind == "lognormal" and self.median_ns <= 0:
            raise ConfigError("latency: a lognormal latency needs median_ns > 0")

    @classmethod
    def parse(cls, value: Any, key: str) -> LatencyModel:
        """Read ``5ms``, ``1000`` (ns), ``recorded``, ``recorded + 5ms``, ``{recorded: 5ms}``, ``{constant: 5ms}`` or
        ``{lognormal: {median: 1ms, sigma: 0.5}}``.

        Raises
        ------
        ConfigError
            Naming ``key``, for anything else, and for durations over one day.
        """
        if isinstance(value, LatencyModel):
            return value
        if isinstance(value, str) and value.strip().lower().startswith("recorded"):
            return cls._parse_recorded(value, key)  # ' recorded', as a duration may be written '5 ms ' too
        if isinstance(value, str) and value.strip().lower().startswith(("lognormal", "constant")):
            return cls._parse_written(value, key)
        if isinstance(value, Mapping):
            if set(value) == {"lognormal"} and isinstance(value["lognormal"], Mapping):
                spec = dict(value["lognormal"])
                unknown = set(spec) - {"median", "sigma", "min"}
                if unknown:
                    raise ConfigError(f"{key}.lognormal: unknown key {sorted(unknown)[0]!r}")
                if "median" not in spec:
                    raise ConfigError(f"{key}.lognormal: missing key 'median'")
                sigma = Number(ge=0.0, le=MAX_SIGMA, why=f"a finite number in [0, {MAX_SIGMA:g}]").read(
                    spec.get("sigma", 0.0), f"{key}.lognormal.sigma", ": must be ")
                return cls(
                    kind="lognormal",
                    median_ns=parse_duration(spec["median"], f"{key}.lognormal.median", max_ns=MAX_LATENCY_NS),
                    sigma=sigma,
                    min_ns=parse_duration(spec.get("min", 0), f"{key}.lognormal.min", max_ns=MAX_LATENCY_NS),
                )
            if len(value) == 1 and str(next(iter(value))).lower() in ("lognormal", "constant", "recorded") \
                    and next(iter(value)) not in ("lognormal", "constant", "recorded"):
                name = next(iter(value))
                raise ConfigError(f"{key}: unknown latency model {name!r}; model names are lower case: write "
                                  f"{str(name).lower()!r}")
            if set(value) == {"recorded"}:
                return cls._recorded_offset(value["recorded"], value["recorded"], f"{key}.recorded", f"{key}.recorded")
            if set(value) == {"constant"}:
                return cls(kind="constant",
                           ns=parse_duration(value["constant"], f"{key}.constant", max_ns=MAX_LATENCY_NS))
            raise ConfigError(f"{key}: expected a duration, 'recorded' or {{lognormal: {{median, sigma}}}}, "
                              f"got {dict(value)!r}")
        return cls(kind="constant", ns=parse_duration(value, key, max_ns=MAX_LATENCY_NS))

    @classmethod
    def _parse_recorded(cls, value: str, key: str) -> LatencyModel:
        """``recorded``, ``recorded + 5ms`` (``recorded+5ms``; a bare number after ``+`` is ns): the recorded
        receive times, the offset later. What :meth:`describe` prints for a recorded feed, read back."""
        text = value.strip()
        if not text.startswith("recorded"):
            raise ConfigError(f"{key}: cannot read {value!r}; the recorded latency is written in lower case: "
                              f"write {'recorded' + text[8:]!r}")
        m = _WRITTEN_RECORDED.match(text)
        if m is None or m.group("op") not in (None, "+", "-"):
            raise ConfigError(f"{key}: cannot read {value!r} as a latency; {_RECORDED_FORMS}")
        if m.group("op") is None:
            return cls(kind="recorded")
        if not m.group("offset"):
            raise ConfigError(f"{key}: cannot read {value!r}: no offset after {m.group('op')!r}; {_RECORDED_FORMS}")
        if m.group("op") == "-":
            cls._negative_offset(value, key)
        offset = m.group("offset")
        # A bare number after '+' is ns, read as YAML reads a bare number latency (1e6, 1_000_000, 0x10;
        # never a superscript or full-width digit, which str.isdigit() takes).
        number = read_number(offset)
        if isinstance(number, float) and not math.isfinite(number):
            number = None  # '1e999' and '.inf' quoted as written, never as the inf they read
        return cls._recorded_offset(offset if number is None else number, value, key, f"{key}: recorded offset")

    @classmethod
    def _recorded_offset(cls, offset: Any, value: Any, key: str, offset_key: str) -> LatencyModel:
        """A recorded feed ``offset`` later (``value``: as written, ``offset_key``: the offset's name, for messages)."""
        if (isinstance(offset, str) and offset.strip().startswith("-")) or (
                isinstance(offset, (int, float)) and not isinstance(offset, bool) and offset < 0):
            cls._negative_offset(value, key)
        return cls(kind="recorded", offset_ns=parse_duration(offset, offset_key, max_ns=MAX_LATENCY_NS))

    @staticmethod
    def _negative_offset(value: Any, key: str) -> None:
        raise ConfigError(f"{key}: cannot read {value!r}: a recorded feed's offset cannot be negative (the feed would "
                          "deliver events earlier than they were received, some before they happened; a capture does "
                          "not say how much faster a feed could be); write recorded + X with X >= 0")

    @classmethod
    def _parse_written(cls, value: str, key: str) -> LatencyModel:
        """``lognormal(1ms, 0.5)``, ``lognormal(1ms, 0.5, min 100us)``, ``constant(5ms)``: the labels
        :meth:`describe` and the sweep table print, read back."""
        m = _WRITTEN_LATENCY.match(value)
        if m is None and _WRITTEN_LATENCY.match(value.lower()):
            raise ConfigError(f"{key}: cannot read {value!r}; model names are lower case: write "
                              f"{value.strip()[:9].lower() + value.strip()[9:]!r}")
        if m is None and "(" in value and ")" not in value:
            # `latency: {feed: lognormal(1ms, 0.5)}`: YAML's flow mapping splits at the comma.
            raise ConfigError(f"{key}: cannot read {value!r} as a latency: no closing ')' (inside a YAML {{...}} "
                              "mapping the value is cut at its comma: quote it, feed: 'lognormal(1ms, 0.5)')")
        if m is None:
            raise ConfigError(f"{key}: cannot read {value!r} as a latency; {_LATENCY_FORMS}")
        if m.group("constant") is not None:
            return cls(kind="constant", ns=parse_duration(m.group("constant"), key, max_ns=MAX_LATENCY_NS))
        sigma_text = m.group("sigma")
        sigma_value: Any = sigma_text
        for read in (int, float):
            try:
                sigma_value = read(sigma_text)
                break
            except ValueError:
                pass
        try:
            sigma = Number(ge=0.0, le=MAX_SIGMA, why=f"a finite number in [0, {MAX_SIGMA:g}]").read(
                sigma_value, f"{key}: lognormal sigma", ": must be ")
        except ConfigError:
            raise ConfigError(f"{key}: a lognormal sigma must be a finite number in [0, {MAX_SIGMA:g}], got "
                              f"{sigma_text!r} in {value.strip()!r}") from None
        return cls(kind="lognormal",
                   median_ns=parse_duration(m.group("median"), f"{key}: lognormal median", max_ns=MAX_LATENCY_NS),
                   sigma=sigma,
                   min_ns=parse_duration(m.group("min") or 0, f"{key}: lognormal min", max_ns=MAX_LATENCY_NS))

    def plain(self) -> Any:
        """As written in YAML: ``"recorded"``, ``{recorded: offset ns}``, int ns, or ``{lognormal: {median, sigma, min}}``."""
        if self.kind == "recorded":
            return {"recorded": self.offset_ns} if self.offset_ns else "recorded"
        if self.kind == "lognormal":
            return {"lognormal": {"median": self.median_ns, "sigma": self.sigma, "min": self.min_ns}}
        return self.ns

    def describe(self) -> str:
        """Short human label (``"5ms"``, ``"recorded"``, ``"recorded + 5ms"``, ``"lognormal(1ms, 0.5)"``,
        ``"lognormal(1ms, 0.5, min 100us)"`` with a floor).

        :meth:`parse` reads every label back to an equal model (the sigma is printed
        exactly: ``0.123456789``, not ``0.123457``), so a latency copied from a sweep
        table or a report header runs the same model.
        """
        if self.kind == "recorded":
            return f"recorded + {format_ns(self.offset_ns)}" if self.offset_ns else "recorded"
        if self.kind == "lognormal":
            sigma = f"{self.sigma:g}" if float(f"{self.sigma:g}") == self.sigma else repr(self.sigma)
            floor = f", min {format_ns(self.min_ns)}" if self.min_ns else ""
            return f"lognormal({format_ns(self.median_ns)}, {sigma}{floor})"
        return format_ns(self.ns)


def _latency() -> Any:
    return setting(Custom(LatencyModel.parse, LatencyModel.plain), default_factory=LatencyModel)


@dataclass(frozen=True, kw_only=True)
class LatencyConfig(ConfigBase):
    """Feed and order latencies (docs/engine.md).

    Each latency reads as a :class:`LatencyModel`, a duration (an int is ns:
    ``LatencyConfig(feed=1000)`` is 1 us), ``"recorded"`` or ``"recorded + 5ms"`` (feed only) or a
    ``{lognormal: {median, sigma, min}}`` mapping. Latencies are at most one day.

    Parameters
    ----------
    feed : LatencyModel
        Exchange to local side, per market event. ``recorded`` uses ``local_ts``;
        ``recorded + 5ms`` (``{recorded: 5ms}``) the recorded ``local_ts`` + 5 ms.
    entry : LatencyModel
        Local side to exchange, per order action.
    response : LatencyModel
        Exchange to local side, per ack, reject, fill or cancel confirmation.
    seed : int
        Seed of the random latency draws, an integer in 0 .. 2**64 - 1 (a uint64: a
        negative seed or a larger one, which would alias another seed, is refused).
    """

    _prefix: ClassVar[str] = "latency."

    feed: LatencyModel = _latency()
    entry: LatencyModel = _latency()
    response: LatencyModel = _latency()
    seed: int = setting(Integer(ge=0, le=(1 << 64) - 1, why="an integer in 0..2**64-1 (a uint64)"), 0)

    def _validate(self) -> None:
        for name in ("entry", "response"):
            if getattr(self, name).kind == "recorded":
                raise ConfigError(f"latency.{name}: 'recorded' applies to the feed only")


@dataclass(frozen=True, kw_only=True)
class QueueConfig(ConfigBase):
    """How our queue position moves: the L2 queue model, and the L3 rule for executions behind us.

    Parameters
    ----------
    model : {"risk_averse", "power", "log"}
        L2 data, a depth decrease that is not a trade. ``risk_averse``:
        ``ahead = min(ahead, level_qty)``. ``power``/``log``: split the decrease
        between ahead and behind by ``f(ahead)`` vs ``f(behind)`` with
        ``f = x**power`` or ``log(1 + x)`` (Rigtorp; hftbacktest's
        ProbQueueModel). L3 data always uses exact FIFO.
    power : float
        Exponent of the power model, > 0 (default 2). Read by ``model="power"``
        only: another value beside another model is a ConfigError.
    l3_behind_fill : {"remainder", "hftbacktest"}
        L3 data, an execution of a market order queued behind ours at our price
        (out of FIFO order: implied matches, iceberg refreshes, or a venue
        listing a match's fills out of queue order). ``remainder`` (default):
        at the end of the venue message, the lots executed behind us less the
        lots still ahead of us (and our own orders before ours) fill us, and so
        do the lots of a print with no displayed order behind it (a hidden
        execution, an iceberg's hidden part) at our price when no displayed lot
        is left ahead of us. ``hftbacktest``: all of our order fills at once, at
        our price, whatever the execution's size and whatever is still ahead,
        and a print at our price fills nothing (hftbacktest's
        ``L3FIFOQueueModel``). docs/engine.md, "L3 data".
    """

    _prefix: ClassVar[str] = "queue."

    model: str = setting(Text(choices=("risk_averse", "power", "log")), "risk_averse")
    power: float = setting(Number(gt=0.0), 2.0)
    l3_behind_fill: str = setting(Text(choices=("remainder", "hftbacktest")), "remainder")

    def _validate(self) -> None:
        # power was ignored unless model: power. Its default written out (power: 2) is what
        # leaving it out means, and keeps a config's digest and a sweep point's id.
        if self.model != "power" and self.power != 2.0:
            raise ConfigError(f"queue.power: {self.power:g} is read by queue.model: power only, and queue.model "
                              f"is {self.model!r}; set queue.model: power, or drop queue.power")


def _fee_bps() -> Number:
    return Number(ge=-MAX_FEE_BPS, le=MAX_FEE_BPS, why=FEE_BPS_RULE)


def _fee_per_lot() -> Number:
    return Number(ge=-MAX_FEE_PER_LOT, le=MAX_FEE_PER_LOT, why=FEE_PER_LOT_RULE)


def _unit() -> Number:
    return Number(ge=MIN_UNIT, le=MAX_UNIT, why=UNIT_RULE, why_high=UNIT_HIGH, optional=True)


@dataclass(frozen=True, kw_only=True)
class FeeConfig(ConfigBase):
    """Maker and taker fees. Negative is a rebate. Every fee is a finite number.

    Parameters
    ----------
    maker_bps, taker_bps : float
        Basis points of notional (``|price| * tick_size * qty * lot_size * contract_size``), from -10000 to
        10000 (100% of the notional).
    maker_per_lot, taker_per_lot : float
        Quote currency per lot, from -1e12 to 1e12 (``mmsim._scales.MAX_FEE_PER_LOT``).

    Raises
    ------
    mmsim.ConfigError
        A fee not a number or out of its range, naming the key (``fees.maker_bps``).
    """

    _prefix: ClassVar[str] = "fees."

    maker_bps: float = setting(_fee_bps(), 0.0)
    taker_bps: float = setting(_fee_bps(), 0.0)
    maker_per_lot: float = setting(_fee_per_lot(), 0.0)
    taker_per_lot: float = setting(_fee_per_lot(), 0.0)


#: Upper bound of ``signals.depth_decay``, ``hawkes_alpha`` and ``hawkes_baseline``: with
#: 32 levels of 2**63 lots, ``depth_decay**31`` sums stay finite (1e6 ** 31 * 2**68 ~ 3e206),
#: and a Hawkes intensity cannot reach infinity; beyond it the signals became inf or NaN.
_MAX_SIGNAL_FACTOR = 1e6


def _half_life() -> Duration:
    return Duration(positive=True)


class _SizeInLots(Number):
    """A number of lots > 0, or written with a unit: ``100 lots`` (a float), ``5 base`` (kept as written until
    the event store's lot converts it: :func:`mmsim._qty_units.setting_in_lots`)."""

    def read(self, value: Any, label: str, must: str) -> Any:
        if isinstance(value, str):
            from .._qty_units import read_size_setting

            return read_size_setting(value, label, must)
        return super().read(value, label, must)


@dataclass(frozen=True, kw_only=True)
class SignalConfig(ConfigBase):
    """Parameters of the native signals (Rust), computed on the local view.

    Parameters
    ----------
    enabled : bool
        Compute signals during a run (costs a few ns per event).
    depth_levels : int
        Levels in the depth-weighted imbalance, 1..32.
    depth_decay : float
        Weight of level k is ``depth_decay**k``; > 0 and at most 1e6.
    ofi_half_life, trade_flow_half_life, vol_half_life, hawkes_half_life : duration
        Half-lives (int ns or with a unit: ``"500ms"``) of the decayed accumulators; > 0.
    hawkes_alpha : float
        Intensity jump per trade, per second; > 0 and at most 1e6.
    hawkes_baseline : float
        Baseline intensity, per second; >= 0 and at most 1e6.
    vpin_bucket_volume : float or str
        Lots per VPIN bucket; > 0. Or with a unit: ``"100 lots"``, ``"5 base"`` (base units, converted with
        the event store's lot size when the run starts; docs/signals.md, "Bucket volume in base units").
    vpin_buckets : int
        Buckets in the VPIN window, 1..2**20.
    """

    _prefix: ClassVar[str] = "signals."

    enabled: bool = setting(Flag(), True)
    depth_levels: int = setting(Integer(ge=1, le=32), 5)
    depth_decay: float = setting(Number(gt=0.0, le=_MAX_SIGNAL_FACTOR, why="a finite number > 0",
                                        why_high="at most 1e6"), 0.5)
    ofi_half_life: int = setting(_half_life(), 1_000_000_000)
    trade_flow_half_life: int = setting(_half_life(), 1_000_000_000)
    vol_half_life: int = setting(_half_life(), 60_000_000_000)
    hawkes_half_life: int = setting(_half_life(), 1_000_000_000)
    hawkes_alpha: float = setting(Number(gt=0.0, le=_MAX_SIGNAL_FACTOR, why="a finite number > 0",
                                         why_high="at most 1e6"), 0.5)
    hawkes_baseline: float = setting(Number(ge=0.0, le=_MAX_SIGNAL_FACTOR, why="a finite number >= 0",
                                            why_high="at most 1e6"), 0.0)
    vpin_bucket_volume: float | str = setting(_SizeInLots(gt=0.0, why="a finite number > 0"), 100.0)
    vpin_buckets: int = setting(Integer(ge=1, le=1 << 20, why_low="positive", why_high=f"at most {1 << 20}"), 50)



@dataclass(frozen=True, kw_only=True)
class Config(ConfigBase):
    """What the engine needs to replay a run. ``run(events, strategy, config)`` is pure in it.

    The job around a run (which data, which strategy, the report's horizons,
    where outputs go) is :class:`mmsim.RunConfig`, whose YAML form holds these
    keys at its top level.

    Parameters
    ----------
    tick_size : float or None
        Price of one tick in quote currency. None: from the event store's meta
        (1.0 for a plain event array). On a store, any other value than its own is
        a ConfigError at run time (its prices are integer ticks of its own tick).
    lot_size : float or None
        Size of one lot in base units. None: from the store's meta, else 1.0. On
        a store, only its own value (as ``tick_size``).
    contract_size : float or None
        Multiplier from price*size to notional (1 for spot and linear contracts).
        None: from the store's meta, else 1.0.
        Each of the three from 1e-12 to 1e12 (``mmsim._scales``: money stays a finite float64).
    latency : LatencyConfig
        Feed, entry and response latencies.
    queue : QueueConfig
        L2 queue model.
    fees : FeeConfig
        Maker/taker fees.
    post_only : bool
        True: a quote that would cross on arrival is rejected (GTX). False: it
        takes liquidity at the visible levels up to its price and pays the taker fee.
    decide_every : duration or None
        Call the strategy on a timer of this many ns instead of after every
        local update.
    max_idle : duration
        The timer sleeps once this long (or 100,000 ticks, if that is shorter)
        has passed with no market data reaching the local side, and wakes on its
        grid at the next delivery: a gap in the data costs at most that many
        calls, whatever its length (docs/engine.md, "The timer through gaps").
        Default 1 minute.
    sample_every : duration
        Interval of the inventory/equity samples (``Result.samples``), ns of exchange
        time; also the interval of the report's Sharpe (docs/reports.md).
    signals : SignalConfig
        Native signal parameters.
    max_orders : int
        Live orders allowed at once (a guard against runaway strategies), 1..4096;
        with ``ladder_levels`` > 1, at least ``2 * ladder_levels`` (a ConfigError
        naming both keys otherwise).
        Every order the local side has not yet heard is done counts: target orders
        working or in flight, orders waiting for a cancel confirmation, and explicit
        (IOC/FOK/market) orders until their last fill or expiry arrives.
    ladder_levels : int
        Target levels a quote may hold per side, 1..16 (default 1: one bid and one
        ask). A quote with more levels on a side stops the run with a
        ``StrategyError`` (docs/strategies.md, "Ladders and explicit orders").
    check_invariants : bool
        Checked mode (off by default; for tests and audits): on L3 data, after
        every event, each of our resting orders' lots ahead must equal the lots
        of the book's orders at its level with an earlier priority; a violation
        stops the run with a :class:`mmsim.DataError` naming the event. Costs a
        shadow index of the book's orders.
    decision_log : bool
        Record one row per strategy call (``Result.decisions``: its local time, the
        newest market event in its view and when that event arrived): the report's
        information age and look-ahead audit read it. 56 bytes per call; the order
        log's ``decision`` column is written either way (docs/engine.md).
    """

    tick_size: float | None = setting(_unit(), None)
    lot_size: float | None = setting(_unit(), None)
    contract_size: float | None = setting(_unit(), None)
    latency: LatencyConfig = setting(Section(lambda: LatencyConfig), default_factory=LatencyConfig)
    queue: QueueConfig = setting(Section(lambda: QueueConfig), default_factory=QueueConfig)
    fees: FeeConfig = setting(Section(lambda: FeeConfig), default_factory=FeeConfig)
    post_only: bool = setting(Flag(), True)
    decide_every: int | None = setting(Duration(positive=True, optional=True), None)
    max_idle: int = setting(Duration(positive=True), 60_000_000_000)
    sample_every: int = setting(Duration(positive=True), 1_000_000_000)
    signals: SignalConfig = setting(Section(lambda: SignalConfig), default_factory=SignalConfig)
    max_orders: int = setting(Integer(ge=1, le=4096), 64)
    ladder_levels: int = setting(Integer(ge=1, le=16), 1)
    check_invariants: bool = setting(Flag(), False)
    decision_log: bool = setting(Flag(), True)

    def _validate(self) -> None:
        # A ladder of n levels a side is 2n live target orders: with fewer allowed, the run
        # stopped mid-way, and only once the strategy filled its ladder. With the default
        # one level, max_orders 1 stays allowed (a one-sided quoter); the run's guard covers it.
        if self.ladder_levels > 1 and self.max_orders < 2 * self.ladder_levels:
            raise ConfigError(
                f"max_orders: {self.max_orders} is less than twice ladder_levels: {self.ladder_levels} (a full "
                f"ladder on both sides is {2 * self.ladder_levels} live orders); raise max_orders to at least "
                f"{2 * self.ladder_levels}, or lower ladder_levels")
