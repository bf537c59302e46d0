"""The synthetic market's parameters, :class:`SynthConfig`, read by mmsim's one config loader.

Every field declares its kind (duration, bounded number, choice...) on itself,
as :class:`mmsim.Config`'s do; durations take units (``"50ms"``) in YAML and in
the constructor alike, and a bad value is a :class:`~mmsim.ConfigError` naming
the key (``synth config key 'duration': ...``) and, from YAML, its line.
"""

from __future__ import annotations

import math
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Mapping

from .._scales import MAX_UNIT, MIN_UNIT, UNIT_HIGH, UNIT_RULE
from ..config._fields import ConfigBase, Duration, Flag, Integer, Number, Text, Timestamp, kind_of, setting
from ..config._units import format_ns
from ..config.yaml_file import read_yaml_mapping
from ..errors import ConfigError

__all__ = ["BOOK_WINDOW", "MAX_AHEAD", "MAX_EDGE", "MAX_EVENTS", "MAX_FV_MOVE", "MAX_FV_POINTS", "MAX_GEOMETRIC_MEAN",
           "MAX_HALF_SPREAD", "MAX_PRICE_TICKS", "MAX_RESTING_ORDERS", "MAX_UNIT", "MIN_UNIT", "SynthConfig",
           "capacities", "informed_label", "load_synth_config", "located", "price_floor"]

_S = 1_000_000_000  # ns per second


def _positive() -> Number:
    return Number(gt=0.0, why="a positive number")


def _unit() -> Number:
    return Number(ge=MIN_UNIT, le=MAX_UNIT, why=UNIT_RULE, why_high=UNIT_HIGH)


def _non_negative() -> Number:
    return Number(ge=0.0, why="a finite number >= 0")


#: Most ticks of the fair value (``initial_price`` and where it moves): a float64 below 2**42 keeps 2**-10 tick
#: (53 bits less 42), which the half spread, the margins and the diffusion steps need; a price beyond it (5e15)
#: lost the half tick and crossed the book, 2**63 - 1 never ended. The kernel stops past it (``_ERR_PRICE``), so
#: the book's prices (within 2**14 ticks of it) stay far below 2**53: exact as float64 ticks, and times a
#: ``tick_size`` as exact as the tick itself.
MAX_PRICE_TICKS = 2**42
#: Ticks the generator's book can span (``_kernel._W``): its price levels live in a ring of 2**14 slots, so every
#: resting order must lie within 16,384 ticks of the others. The kernel stops if the book would span more.
BOOK_WINDOW = 2**14
#: Most ``lp_half_spread`` (ticks): the providers' quotes span ``2 x lp_half_spread + 2 x lp_levels`` ticks around the
#: fair value, so at 4,000 (and 100 levels) at most 8,200 ticks, half of :data:`BOOK_WINDOW`; the other half is
#: room for the fair value's moves while orders rest. (100,000 wrote bids below 0 ticks; 1e300 never ended.)
MAX_HALF_SPREAD = 4000.0
#: Most ``informed_edge`` (ticks): no quote can be more than :data:`BOOK_WINDOW` from the fair value, so a larger
#: edge is never met and the informed traders would never trade (``informed: false`` says that).
MAX_EDGE = float(BOOK_WINDOW)
#: Most of one fair-value move, ticks: a diffusion step's standard deviation (``fv_vol x sqrt(fv_step in s)``) and
#: a jump's mean (``jump_mean``), 1/64 of :data:`BOOK_WINDOW`: a move of 16 times it (a normal draw of 16 sd, or
#: a geometric one of 16 times its mean, 1e-7 likely) is a quarter of the window. Moves of 1e5 ticks (``fv_vol:
#: 1e6``) left the resting orders of one side further than the window from the new quotes (a crash).
MAX_FV_MOVE = 256.0
#: Most of a geometric mean (sizes in lots, jumps in ticks): a draw is at most about 37 times its mean (a uniform
#: of 53 bits), so 2**40 keeps draws below 2**46; beyond 2**53, ``1 - 1/mean`` is 1 and the draw divides by zero.
MAX_GEOMETRIC_MEAN = 2.0**40
#: Most orders the opening book may hold (``lp_depth``, ``lp_depth_step``, ``lp_levels``, ``lp_order_size_mean``):
#: each is an order slot and an ADD event, about 140 bytes, so 2**25 orders take about 4.7 GB before the session.
MAX_RESTING_ORDERS = 2**25
#: Most events a session may make (its first estimate: the rates times ``duration``): 80 bytes each in the
#: generator's buffer, so 2**30 events take 86 GB.
MAX_EVENTS = 2**30
#: Most fair-value change points (diffusion steps ``duration / fv_step``, jumps ``jump_rate * duration``), each a
#: turn of the generator's loop: 2**30 take minutes (``fv_step: 1ns`` over 20 s never ended).
MAX_FV_POINTS = 2**30
#: Most fair-value points kept ahead (``informed_horizon / fv_step`` and the jumps within it), 16 bytes each.
MAX_AHEAD = 2**28


# The keys (and their values as written) of the mapping SynthConfig.from_dict is reading, for the limits' messages:
# a limit names the key the user wrote, and a key it involves that was not written as "the default" (None: built in
# Python, where a key is written when it differs from its default).
_WRITTEN: ContextVar[Mapping[str, Any] | None] = ContextVar("mmsim_synth_written", default=None)


def _about(x: float) -> str:
    """An estimate in a message: ``4,000,090`` up to 10**15, else ``1e+300``."""
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"


def _geometric_mean() -> Number:
    return Number(ge=1.0, le=MAX_GEOMETRIC_MEAN, why=">= 1 (a geometric mean on 1, 2, ...)",
                  why_high="at most 2**40 (a geometric mean; its draws must stay exact)")


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
    tick_size: float = setting(_unit(), 0.01)
    lot_size: float = setting(_unit(), 1.0)
    contract_size: float = setting(_unit(), 1.0)
    initial_price: int = setting(Integer(le=MAX_PRICE_TICKS, why="at most 2**42 = 4398046511104 ticks (the fair "
                                                    "value, a float64 in ticks, must keep 2**-10 tick)"), 10_000)
    fv_vol: float = setting(_non_negative(), 0.3)
    fv_step: int = setting(Duration(positive=True), 10_000_000)
    jump_rate: float = setting(_non_negative(), 0.3)
    jump_mean: float = setting(Number(ge=1.0, le=MAX_FV_MOVE, why=">= 1 (a geometric mean on 1, 2, ...)",
                                      why_high="at most 256 ticks (one fair-value move: 1/64 of the generator's "
                                               "16384-tick book window)"), 4.0)
    noise_rate: float = setting(_non_negative(), 10.0)
    noise_size_mean: float = setting(_geometric_mean(), 3.0)
    informed: bool = setting(Flag(), True)
    informed_rate: float = setting(_non_negative(), 200.0)
    informed_horizon: int = setting(Duration(positive=True), 50_000_000)
    informed_edge: float = setting(Number(ge=0.0, le=MAX_EDGE, why="a finite number >= 0",
                                          why_high="at most 16384 ticks (the generator's book window: no quote is "
                                                   "further from the fair value, so a larger edge is never met; "
                                                   "informed: false switches informed traders off)"), 1.0)
    informed_size_mean: float = setting(_geometric_mean(), 15.0)
    lp_levels: int = setting(Integer(ge=1, le=100), 10)
    lp_half_spread: float = setting(Number(ge=0.0, le=MAX_HALF_SPREAD, why="a finite number >= 0",
                                           why_high="at most 4000 ticks (the quotes, 2 x lp_half_spread + 2 x "
                                                    "lp_levels ticks wide, must fit in half the generator's "
                                                    "16384-tick book window)"), 0.5)
    lp_stale_margin: float = setting(_non_negative(), 0.0)
    lp_depth: int = setting(Integer(ge=1, why=">= 1 lot"), 20)
    lp_depth_step: int = setting(Integer(ge=0, why=">= 0"), 5)
    lp_order_size_mean: float = setting(_geometric_mean(), 5.0)
    lp_refill_rate: float = setting(Number(gt=0.0, why="> 0 (the book would never fill)"), 20.0)
    lp_cancel_rate: float = setting(_non_negative(), 0.2)
    lp_partial_cancel: float = setting(Number(ge=0.0, le=1.0, why="a probability in [0, 1]"), 0.2)
    lp_reaction: int = setting(Duration(positive=True), 200_000)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: Mapping[str, str] | None = None) -> SynthConfig:
        """Build from a mapping (as read from YAML): the keys in ``data`` are the ones written, for the messages of
        the limits across keys (:meth:`ConfigBase.from_dict`)."""
        token = _WRITTEN.set(dict(data) if isinstance(data, Mapping) else None)
        try:
            return super().from_dict(data, where=where)
        finally:
            _WRITTEN.reset(token)

    def _written_map(self) -> Mapping[str, Any] | None:
        """The keys written and their values as written: while reading a mapping, that mapping; for a config read
        from a file (and its :meth:`replace` copies), the file's; else None (built in Python)."""
        written = _WRITTEN.get()
        return written if written is not None else getattr(self, "_written_keys", None)

    def _written(self, key: str) -> bool:
        written = self._written_map()
        if written is not None:
            return key in written
        return bool(getattr(self, key) != _DEFAULTS[key])

    def _shown(self, key: str) -> str:
        """A key's value in a message: a duration or time as written (``'8784h'``; else in ns), anything else as
        read."""
        written = self._written_map()
        if key in _AS_WRITTEN and written is not None and key in written:
            raw = written[key]
            return repr(raw.isoformat() if hasattr(raw, "isoformat") else raw)  # YAML reads a bare time as datetime
        return repr(getattr(self, key))

    @staticmethod
    def _name(key: str) -> str:
        """``key`` in a limit's message, for :meth:`_limit` to write as itself or with its default."""
        return f"<<{key}>>"

    def limit_error(self, blamed: str, involved: tuple[str, ...], why: str) -> ConfigError:
        """:meth:`_limit` for the errors found while generating (``mmsim.synth``): ``why`` names keys as
        ``<<key>>``."""
        return self._limit(blamed, involved, why)

    def _limit(self, blamed: str, involved: tuple[str, ...], why: str) -> ConfigError:
        """The error of a limit across keys: it names ``blamed`` (the key to change) when written; else the first
        written key of ``involved`` (what made the limit bite), and ``why`` says ``blamed (the default 10ms)``
        where it names ``blamed`` with :meth:`_name` (the other keys, as themselves)."""
        key = blamed if self._written(blamed) else next((k for k in involved if self._written(k)), blamed)

        value = getattr(self, blamed)
        default = f"the default {format_ns(value) if blamed in _DURATIONS else f'{value:g}'}"

        def name(m: re.Match[str]) -> str:
            return f"{m[1]} ({default})" if m[1] == blamed and key != blamed else m[1]

        if key == blamed and why.startswith(f"<<{blamed}>> "):  # "lp_stale_margin must ..." under its own name
            why = why[len(blamed) + 5:]
        text = re.sub(r"<<(\w+)>>", name, why)
        if key != blamed and f"<<{blamed}>>" not in why:  # the default that made it bite, said once
            text += f"; {blamed} is {default}"
        # The other keys of the limit the file wrote, as `key: value`: the file's line of each is added after the
        # named key's (mmsim.config._fields.locate), so `duration: 8784h` + `fv_step: 10ms` names both (fix25b).
        # Only for a config read from a mapping (a file): one built in Python has no lines.
        also = [k for k in (blamed, *involved) if self._written_map() is not None and k != key and self._written(k)
                and not re.search(r"(?<![\w.])" + k + ":", text)]  # one the text names as `key:` already
        with_ = f" with {', '.join(f'{k}: {self._shown(k)}' for k in also)}" if also else ""
        return ConfigError(f"synth config key {key!r}: {text}, got {self._shown(key)}{with_}")

    def _validate(self) -> None:
        n = self._name
        if self.start + self.duration >= 2**63:
            raise self._limit("duration", ("start",), f"the session must end before 2**63 ns after the epoch "
                                                      f"({n('start')} + {n('duration')})")
        if self.lp_stale_margin > self.lp_half_spread:
            raise self._limit("lp_stale_margin", ("lp_half_spread",),
                              f"{n('lp_stale_margin')} must not exceed {n('lp_half_spread')} (fresh quotes would be stale)")
        low = math.ceil(2 * price_floor(self))
        if self.initial_price < low:
            raise self._limit("initial_price", ("lp_half_spread", "lp_levels"),
                              f"{n('initial_price')} must be at least {low} ticks (twice the fair value's floor, 2 x "
                              f"{n('lp_levels')} + 4.5 + {n('lp_half_spread')}: the quotes below it stay above 0)")
        move = self.fv_vol * math.sqrt(self.fv_step / _S)
        if move > MAX_FV_MOVE:
            raise self._limit("fv_vol", ("fv_step",),
                              f"one diffusion step would move the fair value by {move:,.6g} ticks (a standard "
                              f"deviation: {n('fv_vol')} x sqrt({n('fv_step')} in s)), more than the "
                              f"{MAX_FV_MOVE:g} (1/64 of the generator's 16384-tick book window) one move may; lower "
                              f"fv_vol or fv_step")
        self._check_size()

    def replace(self, **changes: object) -> SynthConfig:
        """Copy with fields changed (values are read as in the constructor); a config read from a file keeps the
        file's key lines for the errors found while generating (:func:`located`)."""
        written = getattr(self, "_written_keys", None)
        token = _WRITTEN.set(None if written is None else {**{k: written[k] for k in written if k not in changes},
                                                           **changes})
        try:
            out = super().replace(**changes)
        finally:
            _WRITTEN.reset(token)
        if written is not None:
            object.__setattr__(out, "_written_keys", {**{k: written[k] for k in written if k not in changes}, **changes})
        if hasattr(self, "_where"):
            object.__setattr__(out, "_where", {k: v for k, v in self._where.items() if k not in changes})
        return out

    def _check_size(self) -> None:
        """Refuse a session the generator cannot hold or finish, before it runs (it raised MemoryError, ValueError
        or numba's OverflowError, or never ended): each message names the key to change and the limit."""
        dur_s = self.duration / _S
        levels = self.lp_levels
        lots = levels * self.lp_depth + self.lp_depth_step * levels * (levels - 1) // 2
        orders = 2 * lots / self.lp_order_size_mean
        n = self._name
        if orders > MAX_RESTING_ORDERS:
            key = "lp_depth" if levels * self.lp_depth >= lots - levels * self.lp_depth else "lp_depth_step"
            raise self._limit(key, ("lp_depth", "lp_depth_step", "lp_levels", "lp_order_size_mean"),
                              f"the opening book would hold about {_about(orders)} orders (2 sides of {lots:,} lots "
                              f"over {n('lp_levels')}, {n('lp_order_size_mean')} lots an order), more than the "
                              f"{MAX_RESTING_ORDERS:,} (2**25) the generator keeps in memory; lower lp_depth or "
                              f"lp_depth_step, or raise lp_order_size_mean")
        steps, jumps = self.duration / self.fv_step, self.jump_rate * dur_s
        if max(steps, jumps) > MAX_FV_POINTS:
            key, involved, what = (
                ("fv_step", ("duration",), f"{_about(steps)} diffusion steps ({n('duration')} / {n('fv_step')})")
                if steps >= jumps else
                ("jump_rate", ("duration",), f"{_about(jumps)} jumps ({n('jump_rate')} x {n('duration')})"))
            raise self._limit(key, involved, f"the session would make {what}, more than the {MAX_FV_POINTS:,} "
                                             f"(2**30) the generator can step through; raise fv_step, lower jump_rate "
                                             f"or shorten duration")
        ahead = self.informed_horizon / self.fv_step + 64 + 20 * self.jump_rate * self.informed_horizon / _S
        if ahead > MAX_AHEAD:
            raise self._limit("informed_horizon", ("fv_step", "jump_rate"),
                              f"about {_about(ahead)} fair-value points ahead ({n('informed_horizon')} / "
                              f"{n('fv_step')}, and jumps), more than the {MAX_AHEAD:,} (2**28) the generator keeps; "
                              f"shorten informed_horizon or raise fv_step")
        rates = {"lp_cancel_rate": 2.5 * self.lp_cancel_rate * orders, "noise_rate": 3 * self.noise_rate,
                 "informed_rate": self.informed_rate / 4 if self.informed else 0.0}
        per_s = sum(rates.values())
        events = per_s * dur_s * 1.5 + 4 * orders + 4096
        if events > MAX_EVENTS:
            # the duration, unless one second of the rates is already too much
            key = "duration" if per_s * 1.5 + 4 * orders + 4096 <= MAX_EVENTS else max(rates, key=rates.__getitem__)
            order = ("duration", *sorted((k for k in rates if rates[k] > 0), key=rates.__getitem__, reverse=True))
            raise self._limit(key, tuple(k for k in order if k != key),
                              f"the session would make about {_about(events)} events ({_about(per_s)} a second: "
                              f"{n('lp_cancel_rate')} x the book's orders, {n('noise_rate')}, {n('informed_rate')}; "
                              f"over {n('duration')}), more than the {MAX_EVENTS:,} (2**30) the generator can hold; "
                              f"shorten duration or lower the rates")


def price_floor(cfg: SynthConfig) -> float:
    """The fair value's floor, ticks: ``2 x lp_levels + 4.5 + lp_half_spread`` (5 levels' worth above the lowest
    quote's level). The generator reflects the fair value off it, so its bids, ``floor(V - lp_half_spread) - k`` for
    ``k < lp_levels``, stay at ``lp_levels + 5`` ticks or more: prices are positive. 2 x 10 + 5 by default."""
    return 2.0 * cfg.lp_levels + 4.5 + cfg.lp_half_spread


def capacities(cfg: SynthConfig) -> tuple[int, int]:
    """The generator's first buffer sizes ``(events, fair-value points ahead)`` for ``cfg`` (checked by
    :class:`SynthConfig` to be at most :data:`MAX_EVENTS` and :data:`MAX_AHEAD`); the ahead one a power of two."""
    import math

    orders = 2 * sum(cfg.lp_depth + cfg.lp_depth_step * k for k in range(cfg.lp_levels)) / cfg.lp_order_size_mean
    per_s = 2.5 * cfg.lp_cancel_rate * orders + 3 * cfg.noise_rate + (cfg.informed_rate if cfg.informed else 0) / 4
    out_cap = int(per_s * cfg.duration / _S * 1.5) + 4 * int(orders) + 4096
    ring_cap = 1 << max(10, math.ceil(math.log2(cfg.informed_horizon / cfg.fv_step + 64
                                                  + 20 * cfg.jump_rate * cfg.informed_horizon / _S)))
    return out_cap, ring_cap


_DEFAULTS = {f.name: f.default for f in fields(SynthConfig)}
_DURATIONS = frozenset(f.name for f in fields(SynthConfig) if isinstance(kind_of(f), Duration))
_AS_WRITTEN = _DURATIONS | {f.name for f in fields(SynthConfig) if isinstance(kind_of(f), Timestamp)}


def load_synth_config(path: str | os.PathLike[str], changes: Mapping[str, Any] | None = None) -> SynthConfig:
    """Read a synthetic-market YAML file (a flat mapping of :class:`SynthConfig` keys).

    Parameters
    ----------
    path : path-like
        The YAML file.
    changes : mapping, optional
        Keys set over the file's (``mmsim synth``'s ``--seed``, ``--format``, ``--no-informed``), applied before
        the values and the limits across keys are checked: ``informed_rate: 1000000`` with ``informed`` set to
        False is no longer refused on ``informed_rate`` (fix25b). A key changed has no file line.

    Raises
    ------
    ConfigError
        Naming the file and line, for unreadable YAML, an unknown key, a wrong type or a bad value.
    """
    data, where = read_yaml_mapping(path, what="synth config", keys="synth config keys")
    if changes:
        data = {**data, **changes}
        where = {k: v for k, v in where.items() if k not in changes}
    cfg = SynthConfig.from_dict(data, where=where)
    object.__setattr__(cfg, "_where", dict(where))
    object.__setattr__(cfg, "_written_keys", dict(data))  # what replace() keeps as written
    return cfg


def located(cfg: SynthConfig, e: ConfigError) -> ConfigError:
    """``e`` with the file line of the key it names (``synth config key 'fv_vol': ...``), when ``cfg`` was read by
    :func:`load_synth_config` (or :meth:`SynthConfig.replace` of one) and the key is in the file; else ``e``. For
    the errors found while generating, after the config was read."""
    from ..config._fields import locate

    where = getattr(cfg, "_where", None)
    return locate(e, where, SynthConfig) if where else e


def informed_label(cfg: SynthConfig) -> str:
    """What a config's informed traders do, as ``mmsim synth`` says it: ``informed on``, ``informed off``, or
    ``informed off (informed_rate 0)`` for ``informed: true`` with no arrivals: that market has no informed trade
    and is event for event the one ``informed: false`` makes (tests/test_fix30d_small.py), so "on" was untrue."""
    if not cfg.informed:
        return "informed off"
    return "informed on" if cfg.informed_rate > 0 else "informed off (informed_rate 0)"
