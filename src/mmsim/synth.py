"""A seeded synthetic market with informed flow, written as an ordinary mmsim event store.

The model (``docs/demo.md`` has the long form):

- A latent **fair value** ``V`` (ticks, float) follows a Brownian diffusion
  sampled every ``fv_step`` plus compound-Poisson **jumps** of a whole number
  of ticks.
- **Liquidity providers** keep a target depth profile of ``lp_levels`` price
  levels each side around ``V`` (best bid ``floor(V - lp_half_spread)``, best
  ask ``ceil(V + lp_half_spread)``), refilling short levels with limit orders,
  cancelling resting orders at random (whole or in part), and pulling orders
  that ``V`` has moved through (``lp_reaction`` after the move, order by order).
  They only learn ``V`` as it happens.
- **Noise traders** send market orders of random side and size (Poisson).
- **Informed traders** arrive (Poisson) knowing ``V`` ``informed_horizon``
  ahead; when the book is mispriced against that future value by at least
  ``informed_edge`` ticks they take liquidity up to that price. Their flow is
  what makes resting quotes' fills toxic just before the fair value moves,
  and it leaves a footprint (one-sided trade flow) that a fast enough quoter
  can see and act on. ``informed=False`` switches them off and leaves the
  fair-value path unchanged (it has its own random stream).

Output is L3 (ADD/CANCEL/DELETE/EXECUTE with order ids) or L2 (DEPTH + TRADE),
``local_ts == exch_ts``. Each market action gets its own, strictly later
``exch_ts``; the events of one taker order (its executions, or in L2 its
trades and depth updates) share one ``exch_ts``, as a matching engine reports
them, so no strategy can react in the middle of a sweep. The book is never
crossed or locked. The generator is one numba kernel (a Gillespie loop over the
agents' competing Poisson clocks) with its own splitmix64 random streams, so a
seed gives the same events bit for bit on every machine and numba version.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numba as nb
import numpy as np

from .config import parse_duration
from .errors import ConfigError
from .events import EVENT_DTYPE, Kind

__all__ = ["AGENT_NAMES", "SynthConfig", "SynthDay", "generate", "simulate", "write_store"]

#: Who caused each event (:attr:`SynthDay.agent`): index -> name.
AGENT_NAMES: tuple[str, ...] = ("lp", "noise", "informed")
_LP, _NOISE, _INFORMED = 0, 1, 2

_S = 1_000_000_000  # ns per second


@dataclass(frozen=True, kw_only=True)
class SynthConfig:
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

    seed: int = 0
    symbol: str = "SYNTH"
    format: str = "l3"
    start: int = 1_704_205_800 * _S
    duration: int = 3600 * _S
    tick_size: float = 0.01
    lot_size: float = 1.0
    contract_size: float = 1.0
    initial_price: int = 10_000
    fv_vol: float = 0.3
    fv_step: int = 10_000_000
    jump_rate: float = 0.3
    jump_mean: float = 4.0
    noise_rate: float = 10.0
    noise_size_mean: float = 3.0
    informed: bool = True
    informed_rate: float = 200.0
    informed_horizon: int = 50_000_000
    informed_edge: float = 1.0
    informed_size_mean: float = 15.0
    lp_levels: int = 10
    lp_half_spread: float = 0.5
    lp_stale_margin: float = 0.0
    lp_depth: int = 20
    lp_depth_step: int = 5
    lp_order_size_mean: float = 5.0
    lp_refill_rate: float = 20.0
    lp_cancel_rate: float = 0.2
    lp_partial_cancel: float = 0.2
    lp_reaction: int = 200_000

    def __post_init__(self) -> None:
        def bad(key: str, why: str) -> ConfigError:
            return ConfigError(f"synth config key {key!r}: {why}, got {getattr(self, key)!r}")

        if self.format not in ("l3", "l2"):
            raise bad("format", "must be 'l3' or 'l2'")
        if not self.symbol:
            raise bad("symbol", "must not be empty")
        for key in ("seed", "start"):
            if not 0 <= getattr(self, key) < 2**63:
                raise bad(key, "must be in 0 .. 2**63 - 1")
        for key in ("duration", "fv_step", "informed_horizon", "lp_reaction"):
            if getattr(self, key) <= 0:
                raise bad(key, "must be a positive duration")
        for key in ("tick_size", "lot_size", "contract_size", "jump_mean", "noise_size_mean",
                    "informed_size_mean", "lp_order_size_mean"):
            v = getattr(self, key)
            if not (math.isfinite(v) and v > 0):
                raise bad(key, "must be a positive number")
        for key in ("jump_mean", "noise_size_mean", "informed_size_mean", "lp_order_size_mean"):
            if getattr(self, key) < 1:
                raise bad(key, "must be >= 1 (a geometric mean on 1, 2, ...)")
        for key in ("fv_vol", "jump_rate", "noise_rate", "informed_rate", "informed_edge",
                    "lp_half_spread", "lp_stale_margin", "lp_refill_rate", "lp_cancel_rate"):
            v = getattr(self, key)
            if not (math.isfinite(v) and v >= 0):
                raise bad(key, "must be a finite number >= 0")
        if not 0 <= self.lp_partial_cancel <= 1:
            raise bad("lp_partial_cancel", "must be a probability in [0, 1]")
        if self.lp_stale_margin > self.lp_half_spread:
            raise bad("lp_stale_margin", "must not exceed lp_half_spread (fresh quotes would be stale)")
        if not 1 <= self.lp_levels <= 100:
            raise bad("lp_levels", "must be in 1..100")
        if self.lp_depth < 1:
            raise bad("lp_depth", "must be >= 1 lot")
        if self.lp_depth_step < 0:
            raise bad("lp_depth_step", "must be >= 0")
        if self.lp_refill_rate <= 0:
            raise bad("lp_refill_rate", "must be > 0 (the book would never fill)")
        if self.initial_price < 4 * self.lp_levels + 10:
            raise bad("initial_price", f"must be at least {4 * self.lp_levels + 10} ticks")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: Mapping[str, str] | None = None) -> "SynthConfig":
        """Build a SynthConfig from a plain mapping (as parsed from YAML).

        Parameters
        ----------
        data : mapping
            Keys are field names.
        where : mapping, optional
            Key -> location text (``"synth.yaml line 4"``) added to errors.

        Raises
        ------
        ConfigError
            Naming the key, for an unknown key, a wrong type or a bad value.
        """
        where = where or {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"synth config: expected a mapping of keys, got {type(data).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            at = f" ({where[key]})" if key in where else ""
            if key not in fields:
                raise ConfigError(f"unknown synth config key {key!r}{at}")
            try:
                kwargs[key] = _convert(key, fields[key].default, value)
            except ConfigError as e:
                raise ConfigError(f"{e}{at}") from None
        try:
            return cls(**kwargs)
        except ConfigError as e:
            key = next((k for k in kwargs if str(e).startswith(f"synth config key {k!r}:")), None)
            at = f" ({where[key]})" if key in where else ""
            raise ConfigError(f"{e}{at}") from None

    def replace(self, **changes: Any) -> "SynthConfig":
        """Copy with fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping that :meth:`from_dict` reads back to an equal config."""
        return dataclasses.asdict(self)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_DURATIONS = {"duration", "fv_step", "informed_horizon", "lp_reaction"}


def _convert(key: str, default: Any, value: Any) -> Any:
    where = f"synth config key {key!r}"
    if key in _DURATIONS:
        return parse_duration(value, where)
    if key == "start":
        if isinstance(value, str):
            try:
                value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(f"{where}: cannot read {value!r} as an ISO 8601 time") from None
        elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            value = _dt.datetime(value.year, value.month, value.day)  # YAML reads 2024-01-02 as a date
        if isinstance(value, _dt.datetime):
            ts = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
            return (ts - _EPOCH) // _dt.timedelta(microseconds=1) * 1000
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


# --------------------------------------------------------------------------- random streams
# splitmix64 (Steele, Lea & Flood 2014): tiny, fast, and ours, so the events do not
# depend on numba's or numpy's generator. Two streams: the fair value's and the agents',
# so switching informed traders off leaves the fair-value path unchanged.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SH30, _SH27, _SH31, _SH11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@nb.njit(cache=True, inline="always")
def _next_u64(state):
    state[0] = state[0] + _GOLDEN
    z = state[0]
    z = (z ^ (z >> _SH30)) * _M1
    z = (z ^ (z >> _SH27)) * _M2
    return z ^ (z >> _SH31)


@nb.njit(cache=True, inline="always")
def _uniform(state):
    # in (0, 1): never 0, so log() below is finite
    return (float(_next_u64(state) >> _SH11) + 0.5) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def _normal(state):
    # Box-Muller; one draw per call keeps the stream simple to reason about
    u1 = _uniform(state)
    u2 = _uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@nb.njit(cache=True)
def _exponential(state, mean):
    return -mean * math.log(_uniform(state))


@nb.njit(cache=True)
def _geometric(state, mean):
    # on 1, 2, ... with the given mean: inversion of P(K > k) = (1 - 1/mean)^k
    if mean <= 1.0:
        return 1
    q = 1.0 - 1.0 / mean
    return 1 + int(math.floor(math.log(_uniform(state)) / math.log(q)))


# --------------------------------------------------------------------------- the book
# Price levels live in a ring of W slots indexed by price & (W - 1); each level is a
# doubly linked FIFO of order slots. The synthetic book spans a few dozen ticks, so
# a ring of 2**14 never aliases; if it ever would, the kernel stops with _ERR_ALIAS.

_W = 1 << 14
_MASK = _W - 1
# level columns
_LQ, _LHEAD, _LTAIL, _LCOUNT, _LPRICE = 0, 1, 2, 3, 4
# order columns
_OID, _OSIDE, _OPRICE, _OQTY, _ONEXT, _OPREV, _OLIVE = 0, 1, 2, 3, 4, 5, 6
# scalar state
(_NLIVE, _NFREE, _BB, _BA, _NEXTID, _NBLV, _NALV, _LAST, _NOUT, _ERR) = range(10)
_NONE_BID = np.iinfo(np.int64).min
_NONE_ASK = np.iinfo(np.int64).max
_ERR_OUT, _ERR_ORDERS, _ERR_RING, _ERR_ALIAS = 1, 2, 3, 4
# output columns
_CTS, _CKIND, _CSIDE, _CPX, _CQTY, _COID, _CAGENT, _CBB, _CBA = range(9)

_K_ADD, _K_CANCEL, _K_DELETE, _K_EXECUTE = int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE)
_K_DEPTH, _K_TRADE = int(Kind.DEPTH), int(Kind.TRADE)


@nb.njit(cache=True)
def _emit(out, out_fv, st, t, kind, side, price, qty, oid, agent, fv, bb, ba, same=False):
    # ``same``: part of the same matching-engine action as the previous event (one taker
    # order's fills and, in L2, their depth updates) and stamped with the same time
    n = st[_NOUT]
    if n >= out.shape[0]:
        st[_ERR] = _ERR_OUT
        return t
    ts = st[_LAST] if same else (t if t > st[_LAST] else st[_LAST] + 1)
    st[_LAST] = ts
    out[n, _CTS] = ts
    out[n, _CKIND] = kind
    out[n, _CSIDE] = side
    out[n, _CPX] = price
    out[n, _CQTY] = qty
    out[n, _COID] = oid
    out[n, _CAGENT] = agent
    out[n, _CBB] = bb
    out[n, _CBA] = ba
    out_fv[n] = fv
    st[_NOUT] = n + 1
    return ts


@nb.njit(cache=True)
def _level_qty(lv, price):
    i = price & _MASK
    if lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] == price:
        return lv[i, _LQ]
    return 0


@nb.njit(cache=True)
def _add(lv, od, live, free, st, side, price, qty):
    """Rest a new order at the back of its level; return its slot, or -1 on error."""
    i = price & _MASK
    if lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] != price:
        st[_ERR] = _ERR_ALIAS
        return -1
    if st[_NFREE] == 0:
        st[_ERR] = _ERR_ORDERS
        return -1
    st[_NFREE] -= 1
    s = free[st[_NFREE]]
    st[_NEXTID] += 1
    od[s, _OID] = st[_NEXTID]
    od[s, _OSIDE] = side
    od[s, _OPRICE] = price
    od[s, _OQTY] = qty
    od[s, _ONEXT] = -1
    if lv[i, _LCOUNT] == 0:
        od[s, _OPREV] = -1
        lv[i, _LPRICE] = price
        lv[i, _LHEAD] = s
        lv[i, _LQ] = 0
        if side > 0:
            st[_NBLV] += 1
        else:
            st[_NALV] += 1
    else:
        od[s, _OPREV] = lv[i, _LTAIL]
        od[lv[i, _LTAIL], _ONEXT] = s
    lv[i, _LTAIL] = s
    lv[i, _LCOUNT] += 1
    lv[i, _LQ] += qty
    od[s, _OLIVE] = st[_NLIVE]
    live[st[_NLIVE]] = s
    st[_NLIVE] += 1
    if side > 0:
        if price > st[_BB]:
            st[_BB] = price
    elif price < st[_BA]:
        st[_BA] = price
    return s


@nb.njit(cache=True)
def _unlink(lv, od, live, free, st, s):
    """Remove order slot ``s`` (its remaining qty already taken off the level)."""
    side = od[s, _OSIDE]
    price = od[s, _OPRICE]
    i = price & _MASK
    nx = od[s, _ONEXT]
    pv = od[s, _OPREV]
    if pv >= 0:
        od[pv, _ONEXT] = nx
    else:
        lv[i, _LHEAD] = nx
    if nx >= 0:
        od[nx, _OPREV] = pv
    else:
        lv[i, _LTAIL] = pv
    lv[i, _LCOUNT] -= 1
    # swap-remove from the live list
    pos = od[s, _OLIVE]
    last = live[st[_NLIVE] - 1]
    live[pos] = last
    od[last, _OLIVE] = pos
    st[_NLIVE] -= 1
    free[st[_NFREE]] = s
    st[_NFREE] += 1
    if lv[i, _LCOUNT] == 0:
        if side > 0:
            st[_NBLV] -= 1
            if price == st[_BB]:
                if st[_NBLV] == 0:
                    st[_BB] = _NONE_BID
                else:
                    p = price - 1
                    for _ in range(_W):
                        j = p & _MASK
                        if lv[j, _LCOUNT] > 0 and lv[j, _LPRICE] == p:
                            break
                        p -= 1
                    st[_BB] = p
        else:
            st[_NALV] -= 1
            if price == st[_BA]:
                if st[_NALV] == 0:
                    st[_BA] = _NONE_ASK
                else:
                    p = price + 1
                    for _ in range(_W):
                        j = p & _MASK
                        if lv[j, _LCOUNT] > 0 and lv[j, _LPRICE] == p:
                            break
                        p += 1
                    st[_BA] = p


@nb.njit(cache=True)
def _place(lv, od, live, free, st, out, out_fv, l3, t, side, price, qty, fv):
    s = _add(lv, od, live, free, st, side, price, qty)
    if s < 0:
        return t
    if l3:
        return _emit(out, out_fv, st, t, _K_ADD, side, price, qty, od[s, _OID], _LP, fv, st[_BB], st[_BA])
    return _emit(out, out_fv, st, t, _K_DEPTH, side, price, _level_qty(lv, price), 0, _LP, fv, st[_BB], st[_BA])


@nb.njit(cache=True)
def _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, qty, fv):
    """Cancel ``qty`` lots of order ``s`` (all of it: a DELETE)."""
    side = od[s, _OSIDE]
    price = od[s, _OPRICE]
    oid = od[s, _OID]
    remaining = od[s, _OQTY]
    od[s, _OQTY] = remaining - qty
    lv[price & _MASK, _LQ] -= qty
    full = qty >= remaining
    if full:
        _unlink(lv, od, live, free, st, s)
    if l3:
        kind = _K_DELETE if full else _K_CANCEL
        return _emit(out, out_fv, st, t, kind, side, price, qty, oid, _LP, fv, st[_BB], st[_BA])
    return _emit(out, out_fv, st, t, _K_DEPTH, side, price, _level_qty(lv, price), 0, _LP, fv, st[_BB], st[_BA])


@nb.njit(cache=True)
def _take(lv, od, live, free, st, out, out_fv, l3, t, aggr, limit, size, agent, fv):
    """A marketable order of ``size`` lots, side ``aggr``, sweeping resting orders FIFO up to ``limit``."""
    remaining = size
    first = True
    while remaining > 0 and st[_ERR] == 0:
        if aggr > 0:
            if st[_NALV] == 0 or st[_BA] > limit:
                break
            price = st[_BA]
        else:
            if st[_NBLV] == 0 or st[_BB] < limit:
                break
            price = st[_BB]
        i = price & _MASK
        bb0 = st[_BB]
        ba0 = st[_BA]
        traded = 0
        while remaining > 0 and lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] == price:
            s = lv[i, _LHEAD]
            q = min(remaining, od[s, _OQTY])
            oid = od[s, _OID]
            od[s, _OQTY] -= q
            lv[i, _LQ] -= q
            remaining -= q
            traded += q
            if od[s, _OQTY] == 0:
                _unlink(lv, od, live, free, st, s)
            if l3:
                t = _emit(out, out_fv, st, t, _K_EXECUTE, -aggr, price, q, oid, agent, fv, st[_BB], st[_BA],
                          not first)
                first = False
        if not l3:
            t = _emit(out, out_fv, st, t, _K_TRADE, aggr, price, traded, 0, agent, fv, bb0, ba0, not first)
            t = _emit(out, out_fv, st, t, _K_DEPTH, -aggr, price, _level_qty(lv, price), 0, agent, fv,
                      st[_BB], st[_BA], True)
            first = False
    return t


@nb.njit(cache=True)
def _deficit(lv, st, v, levels, half_spread, depth, depth_step, pick):
    """Count LP target levels below target that can be filled without crossing.

    With ``pick >= 0`` return ``(side, price, shortfall)`` of the ``pick``-th such level instead.
    """
    top_bid = int(math.floor(v - half_spread))
    top_ask = int(math.ceil(v + half_spread))
    n = 0
    for k in range(levels):
        target = depth + depth_step * k
        p = top_bid - k
        if p < st[_BA]:
            q = _level_qty(lv, p)
            if q < target:
                if n == pick:
                    return 1, p, target - q
                n += 1
        p = top_ask + k
        if p > st[_BB]:
            q = _level_qty(lv, p)
            if q < target:
                if n == pick:
                    return -1, p, target - q
                n += 1
    return 0, n, 0


@nb.njit(cache=True, nogil=True)
def _kernel(seed, l3, start, end, p0, fv_vol, fv_step, jump_rate, jump_mean, noise_rate, noise_size,
            inf_on, inf_rate, horizon, edge, inf_size, levels, half_spread, stale_margin, depth, depth_step,
            lp_size, refill_rate, cancel_rate, partial, reaction, out_cap, order_cap, ring_cap):
    out = np.zeros((out_cap, 9), np.int64)
    out_fv = np.zeros(out_cap, np.float64)
    lv = np.zeros((_W, 5), np.int64)
    od = np.zeros((order_cap, 7), np.int64)
    live = np.zeros(order_cap, np.int64)
    free = np.arange(order_cap - 1, -1, -1).astype(np.int64)
    st = np.zeros(10, np.int64)
    st[_NFREE] = order_cap
    st[_BB] = _NONE_BID
    st[_BA] = _NONE_ASK
    st[_LAST] = start - 1

    rng_fv = np.zeros(1, np.uint64)
    rng_ag = np.zeros(1, np.uint64)
    rng_fv[0] = np.uint64(seed) * np.uint64(2) + np.uint64(1)
    rng_ag[0] = np.uint64(seed) * np.uint64(2) + np.uint64(2)
    _next_u64(rng_fv)  # decorrelate the two nearby seeds
    _next_u64(rng_ag)

    v_floor = 2.0 * levels + 5.0
    # the fair-value path: change points (time, value) generated ahead of the clock,
    # kept in a ring until the clock passes them, so V(t + horizon) is known at t
    ring_t = np.zeros(ring_cap, np.int64)
    ring_v = np.zeros(ring_cap, np.float64)
    r_head = 0
    r_count = 0
    v_gen = float(p0)
    next_diff = start + fv_step
    next_jump = end + 1
    if jump_rate > 0:
        next_jump = start + int(_exponential(rng_fv, _S / jump_rate)) + 1
    diff_sd = fv_vol * math.sqrt(fv_step / _S)
    v = float(p0)

    # opening book: the LPs' full target profile, 1 ns apart
    t = start
    for k in range(levels):
        target = depth + depth_step * k
        for side in (1, -1):
            p = int(math.floor(v - half_spread)) - k if side > 0 else int(math.ceil(v + half_spread)) + k
            filled = 0
            while filled < target and st[_ERR] == 0:
                q = _geometric(rng_ag, lp_size)
                t = _place(lv, od, live, free, st, out, out_fv, l3, t, side, p, q, v)
                filled += q

    while st[_ERR] == 0:
        # generate the fair value at least `horizon` ahead, and one point past it
        while r_count == 0 or min(next_diff, next_jump) <= t + horizon:
            if r_count == ring_cap:
                st[_ERR] = _ERR_RING
                break
            if next_jump <= next_diff:
                size = _geometric(rng_fv, jump_mean)
                v_gen += size if _uniform(rng_fv) < 0.5 else -size
                ts_gen = next_jump
                next_jump += int(_exponential(rng_fv, _S / jump_rate)) + 1
            else:
                v_gen += diff_sd * _normal(rng_fv)
                ts_gen = next_diff
                next_diff += fv_step
            if v_gen < v_floor:
                v_gen = 2.0 * v_floor - v_gen  # reflect: prices stay positive
            j = (r_head + r_count) % ring_cap
            ring_t[j] = ts_gen
            ring_v[j] = v_gen
            r_count += 1
        if st[_ERR] != 0:
            break

        bb = st[_BB]
        ba = st[_BA]
        stale = (st[_NBLV] > 0 and bb > v - stale_margin) or (st[_NALV] > 0 and ba < v + stale_margin)
        n_def = _deficit(lv, st, v, levels, half_spread, depth, depth_step, -1)[1]
        r_noise = noise_rate
        r_inf = inf_rate if inf_on else 0.0
        r_cancel = cancel_rate * st[_NLIVE]
        r_stale = _S / reaction if stale else 0.0
        r_refill = refill_rate * n_def
        total = r_noise + r_inf + r_cancel + r_stale + r_refill
        t_next = end
        if total > 0:
            t_next = t + int(_exponential(rng_ag, _S / total)) + 1
        if ring_t[r_head] <= t_next:
            # the fair value moves first; the agents' clocks are memoryless, so redraw after
            t = max(t, ring_t[r_head])
            if t >= end:
                break
            v = ring_v[r_head]
            r_head = (r_head + 1) % ring_cap
            r_count -= 1
            continue
        t = t_next
        if t >= end:
            break

        u = _uniform(rng_ag) * total
        if u < r_noise:
            side = 1 if _uniform(rng_ag) < 0.5 else -1
            size = _geometric(rng_ag, noise_size)
            limit = _NONE_ASK if side > 0 else _NONE_BID
            t = _take(lv, od, live, free, st, out, out_fv, l3, t, side, limit, size, _NOISE, v)
            continue
        u -= r_noise
        if u < r_inf:
            # the fair value the trader knows: the last change point at or before t + horizon
            v_lead = v
            for k in range(r_count - 1, -1, -1):
                j = (r_head + k) % ring_cap
                if ring_t[j] <= t + horizon:
                    v_lead = ring_v[j]
                    break
            size = _geometric(rng_ag, inf_size)
            if st[_NALV] > 0 and ba <= v_lead - edge:
                limit = int(math.floor(v_lead - edge))
                t = _take(lv, od, live, free, st, out, out_fv, l3, t, 1, limit, size, _INFORMED, v)
            elif st[_NBLV] > 0 and bb >= v_lead + edge:
                limit = int(math.ceil(v_lead + edge))
                t = _take(lv, od, live, free, st, out, out_fv, l3, t, -1, limit, size, _INFORMED, v)
            continue
        u -= r_inf
        if u < r_cancel:
            s = live[min(int(_uniform(rng_ag) * st[_NLIVE]), st[_NLIVE] - 1)]
            q = od[s, _OQTY]
            if q > 1 and _uniform(rng_ag) < partial:
                q = 1 + min(int(_uniform(rng_ag) * (q - 1)), q - 2)
            t = _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, q, v)
            continue
        u -= r_cancel
        if u < r_stale:
            # pull the newest order at the most mispriced level
            if st[_NBLV] > 0 and bb > v - stale_margin:
                s = lv[bb & _MASK, _LTAIL]
            else:
                s = lv[ba & _MASK, _LTAIL]
            t = _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, od[s, _OQTY], v)
            continue
        pick = min(int((u - r_stale) / refill_rate), n_def - 1)
        side, p, short = _deficit(lv, st, v, levels, half_spread, depth, depth_step, pick)
        if side != 0:
            q = _geometric(rng_ag, lp_size)
            t = _place(lv, od, live, free, st, out, out_fv, l3, t, side, p, q, v)

    n = st[_NOUT]
    return st[_ERR], out[:n], out_fv[:n]


class SynthDay(NamedTuple):
    """A generated session with the generator's ground truth beside the events.

    Attributes
    ----------
    events : numpy.ndarray
        The events (:data:`mmsim.EVENT_DTYPE`).
    fair_value : numpy.ndarray
        float64, the latent fair value in ticks when each event happened.
    agent : numpy.ndarray
        int8, who caused each event: index into :data:`AGENT_NAMES` (0 lp, 1 noise, 2 informed).
    best_bid, best_ask : numpy.ndarray
        int64, the book's top after each event (INT64_MIN / INT64_MAX when a side is empty).
    config : SynthConfig
        The parameters.
    """

    events: np.ndarray
    fair_value: np.ndarray
    agent: np.ndarray
    best_bid: np.ndarray
    best_ask: np.ndarray
    config: SynthConfig


def simulate(cfg: SynthConfig) -> SynthDay:
    """Generate a session and return the events with the generator's ground truth.

    Parameters
    ----------
    cfg : SynthConfig
        The market's parameters.

    Returns
    -------
    SynthDay
    """
    dur_s = cfg.duration / _S
    # a first guess at the event count from the agents' rates; the kernel reports
    # a full buffer and we rerun with more room (same seed, same events)
    orders = 2 * sum(cfg.lp_depth + cfg.lp_depth_step * k for k in range(cfg.lp_levels)) / cfg.lp_order_size_mean
    per_s = 2.5 * cfg.lp_cancel_rate * orders + 3 * cfg.noise_rate + (cfg.informed_rate if cfg.informed else 0) / 4
    out_cap = int(per_s * dur_s * 1.5) + 4 * int(orders) + 4096
    order_cap = 1 << 16
    ring_cap = 1 << max(10, math.ceil(math.log2(cfg.informed_horizon / cfg.fv_step + 64
                                                  + 20 * cfg.jump_rate * cfg.informed_horizon / _S)))
    while True:
        err, out, fv = _kernel(
            np.uint64(cfg.seed), cfg.format == "l3", int(cfg.start), int(cfg.start + cfg.duration),
            int(cfg.initial_price), float(cfg.fv_vol), int(cfg.fv_step), float(cfg.jump_rate),
            float(cfg.jump_mean), float(cfg.noise_rate), float(cfg.noise_size_mean), bool(cfg.informed),
            float(cfg.informed_rate), int(cfg.informed_horizon), float(cfg.informed_edge),
            float(cfg.informed_size_mean), int(cfg.lp_levels), float(cfg.lp_half_spread),
            float(cfg.lp_stale_margin), int(cfg.lp_depth), int(cfg.lp_depth_step),
            float(cfg.lp_order_size_mean), float(cfg.lp_refill_rate), float(cfg.lp_cancel_rate),
            float(cfg.lp_partial_cancel), float(cfg.lp_reaction), out_cap, order_cap, ring_cap,
        )
        if err == 0:
            break
        if err == _ERR_OUT:
            out_cap *= 2
        elif err == _ERR_ORDERS:
            order_cap *= 2
        elif err == _ERR_RING:
            ring_cap *= 2
        else:
            raise ConfigError(
                "synth config: the book spread over more than "
                f"{_W} ticks; lower fv_vol/jump_mean or raise lp_cancel_rate"
            )
        if max(out_cap, order_cap, ring_cap) > 1 << 34:  # pragma: no cover - a guard, not a path
            raise ConfigError("synth config: the session would not fit in memory; shorten duration")
    ev = np.zeros(len(out), dtype=EVENT_DTYPE)
    ev["exch_ts"] = out[:, _CTS]
    ev["local_ts"] = out[:, _CTS]
    ev["kind"] = out[:, _CKIND]
    ev["side"] = out[:, _CSIDE]
    ev["price"] = out[:, _CPX]
    ev["qty"] = out[:, _CQTY]
    ev["order_id"] = out[:, _COID]
    return SynthDay(
        events=ev,
        fair_value=fv.copy(),
        agent=out[:, _CAGENT].astype(np.int8),
        best_bid=out[:, _CBB].copy(),
        best_ask=out[:, _CBA].copy(),
        config=cfg,
    )


def generate(cfg: SynthConfig) -> np.ndarray:
    """Generate a session's events (:data:`mmsim.EVENT_DTYPE`).

    Parameters
    ----------
    cfg : SynthConfig
        The market's parameters.

    Returns
    -------
    numpy.ndarray
        Events with ``exch_ts`` strictly increasing and ``local_ts == exch_ts``.
    """
    return simulate(cfg).events


def store_meta(cfg: SynthConfig, events: np.ndarray) -> dict[str, Any]:
    """The ``meta.json`` mapping of a synthetic store."""
    return {
        "symbol": cfg.symbol,
        "venue": "synthetic",
        "source": "mmsim.synth",
        "tick_size": cfg.tick_size,
        "lot_size": cfg.lot_size,
        "contract_size": cfg.contract_size,
        "levels": "L3" if cfg.format == "l3" else "L2",
        "local_ts_recorded": False,
        "time_zone": "UTC",
        "event_count": int(len(events)),
        "first_exch_ts": int(events["exch_ts"][0]) if len(events) else None,
        "last_exch_ts": int(events["exch_ts"][-1]) if len(events) else None,
        "quirks": {},
        "synth": cfg.to_dict(),
    }


def write_store(cfg: SynthConfig, path: str | os.PathLike[str], events: np.ndarray | None = None) -> Path:
    """Generate a session and write it as an event store directory (``events.npy`` + ``meta.json``).

    Parameters
    ----------
    cfg : SynthConfig
        The market's parameters.
    path : path-like
        The store directory (created; an existing store there is replaced, any other
        non-empty directory is refused).
    events : numpy.ndarray, optional
        Events already generated from ``cfg`` (skips generating them again).

    Returns
    -------
    pathlib.Path
        The store directory; :func:`mmsim.load` opens it.
    """
    from .data.store import write_store as _write_store

    ev = generate(cfg) if events is None else events
    _write_store(path, ev, store_meta(cfg, ev))
    return Path(path)
