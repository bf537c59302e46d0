"""The synthetic market's parameters, :class:`SynthConfig`, read by mmsim's one config loader.

Every field declares its kind (duration, bounded number, choice...) on itself,
as :class:`mmsim.Config`'s do; durations take units (``"50ms"``) in YAML and in
the constructor alike, and a bad value is a :class:`~mmsim.ConfigError` naming
the key (``synth config key 'duration': ...``) and, from YAML, its line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

from ..config._fields import ConfigBase, Duration, Flag, Integer, Number, Text, Timestamp, setting
from ..config.yaml_file import read_yaml_mapping
from ..errors import ConfigError

__all__ = ["SynthConfig", "load_synth_config"]

_S = 1_000_000_000  # ns per second


def _positive() -> Number:
    return Number(gt=0.0, why="a positive number")


def _non_negative() -> Number:
    return Number(ge=0.0, why="a finite number >= 0")


def _geometric_mean() -> Number:
    return Number(ge=1.0, why=">= 1 (a geometric mean on 1, 2, ...)")


@dataclass(frozen=True, kw_only=True)
class SynthConfig(ConfigBase):
    """Parameters of a synthetic trading session.

    Every field is also a YAML key of ``mmsim synth CONFIG``. Durations accept
    an int of nanoseconds or a string with a unit (``"50ms"``).

    Parameters
    ----------
    seed : int
        Seed of the random streams. Same seed and parameters, same events, bit for bit.
    symbol : str
        Symbol written to ``meta.json``.
    format : {"l3", "l2"}
        ``l3``: market-by-order ADD/CANCEL/DELETE/EXECUTE with order ids.
        ``l2``: market-by-price DEPTH (level quantity) and TRADE (aggressor side) events.
    start : int or str
        Session start, ns since the UTC epoch, or an ISO 8601 time
        (``"2024-01-02T14:30:00Z"``). Default 2024-01-02 14:30 UTC.
    duration : duration
        Session length (default 1 hour).
    tick_size : float
        Price of one tick in quote currency.
    lot_size : float
        Size of one lot in base units.
    contract_size : float
        Multiplier from price*size to notional.
    initial_price : int
        Fair value at the start, ticks.
    fv_vol : float
        Diffusion of the fair value, ticks per square-root second.
    fv_step : duration
        Time between diffusion steps of the fair value.
    jump_rate : float
        Fair-value jumps per second (Poisson).
    jump_mean : float
        Mean jump size, ticks (geometric on 1, 2, ...; up or down with equal odds).
    noise_rate : float
        Noise-trader market orders per second (Poisson).
    noise_size_mean : float
        Mean noise order size, lots (geometric on 1, 2, ...).
    informed : bool
        Informed traders on (True) or off.
    informed_rate : float
        Informed-trader arrivals per second; an arrival trades only when the book
        is mispriced against the future fair value.
    informed_horizon : duration
        How far ahead informed traders know the fair value.
    informed_edge : float
        Ticks of expected profit an informed trader needs: it buys the asks
        priced at or below ``V(t + horizon) - edge`` and sells the bids at or
        above ``V(t + horizon) + edge``.
    informed_size_mean : float
        Mean informed order size, lots (geometric).
    lp_levels : int
        Price levels per side the liquidity providers keep filled.
    lp_half_spread : float
        Ticks between the fair value and the liquidity providers' best quotes
        (best bid ``floor(V - h)``, best ask ``ceil(V + h)``).
    lp_stale_margin : float
        A resting bid priced above ``V - margin`` (ask below ``V + margin``),
        ticks, is stale and gets pulled.
    lp_depth : int
        Target lots at the best level.
    lp_depth_step : int
        Extra target lots per level further from the fair value.
    lp_order_size_mean : float
        Mean size of a liquidity provider's limit order, lots (geometric).
    lp_refill_rate : float
        Orders per second per level below its target.
    lp_cancel_rate : float
        Cancels per second per resting order (1 / mean order lifetime).
    lp_partial_cancel : float
        Probability that a random cancel removes only part of the order.
    lp_reaction : duration
        Mean time for a liquidity provider to pull one stale order after the
        fair value moves through it.
    """

    _label_format: ClassVar[str] = "synth config key {key!r}"
    _must: ClassVar[str] = ": must be "
    _unknown: ClassVar[str] = "unknown synth config key {key!r}"

    seed: int = setting(Integer(ge=0, le=2**63 - 1, why="in 0 .. 2**63 - 1"), 0)
    symbol: str = setting(Text(nonempty=True, why="not empty"), "SYNTH")
    format: str = setting(Text(choices=("l3", "l2"), why="'l3' or 'l2'"), "l3")
    start: int = setting(Timestamp(), 1_704_205_800 * _S)
    duration: int = setting(Duration(positive=True), 3600 * _S)
    tick_size: float = setting(_positive(), 0.01)
    lot_size: float = setting(_positive(), 1.0)
    contract_size: float = setting(_positive(), 1.0)
    initial_price: int = setting(Integer(), 10_000)
    fv_vol: float = setting(_non_negative(), 0.3)
    fv_step: int = setting(Duration(positive=True), 10_000_000)
    jump_rate: float = setting(_non_negative(), 0.3)
    jump_mean: float = setting(_geometric_mean(), 4.0)
    noise_rate: float = setting(_non_negative(), 10.0)
    noise_size_mean: float = setting(_geometric_mean(), 3.0)
    informed: bool = setting(Flag(), True)
    informed_rate: float = setting(_non_negative(), 200.0)
    informed_horizon: int = setting(Duration(positive=True), 50_000_000)
    informed_edge: float = setting(_non_negative(), 1.0)
    informed_size_mean: float = setting(_geometric_mean(), 15.0)
    lp_levels: int = setting(Integer(ge=1, le=100), 10)
    lp_half_spread: float = setting(_non_negative(), 0.5)
    lp_stale_margin: float = setting(_non_negative(), 0.0)
    lp_depth: int = setting(Integer(ge=1, why=">= 1 lot"), 20)
    lp_depth_step: int = setting(Integer(ge=0, why=">= 0"), 5)
    lp_order_size_mean: float = setting(_geometric_mean(), 5.0)
    lp_refill_rate: float = setting(Number(gt=0.0, why="> 0 (the book would never fill)"), 20.0)
    lp_cancel_rate: float = setting(_non_negative(), 0.2)
    lp_partial_cancel: float = setting(Number(ge=0.0, le=1.0, why="a probability in [0, 1]"), 0.2)
    lp_reaction: int = setting(Duration(positive=True), 200_000)

    def _validate(self) -> None:
        def bad(key: str, why: str) -> ConfigError:
            return ConfigError(f"synth config key {key!r}: {why}, got {getattr(self, key)!r}")

        if self.start + self.duration >= 2**63:
            raise bad("duration", "must end before 2**63 ns after the epoch (with start)")
        if self.lp_stale_margin > self.lp_half_spread:
            raise bad("lp_stale_margin", "must not exceed lp_half_spread (fresh quotes would be stale)")
        if self.initial_price < 4 * self.lp_levels + 10:
            raise bad("initial_price", f"must be at least {4 * self.lp_levels + 10} ticks")


def load_synth_config(path: str | os.PathLike[str]) -> SynthConfig:
    """Read a synthetic-market YAML file (a flat mapping of :class:`SynthConfig` keys).

    Parameters
    ----------
    path : path-like
        The YAML file.

    Raises
    ------
    ConfigError
        Naming the file and line, for unreadable YAML, an unknown key, a wrong type or a bad value.
    """
    data, where = read_yaml_mapping(path, what="synth config", keys="synth config keys")
    return SynthConfig.from_dict(data, where=where)
