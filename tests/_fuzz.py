"""A seeded fuzz of the engine: random event arrays, configs and strategies, each case's outcome classified.

Each seed makes one case: an event array (mostly well formed L2 or L3 flow, with a
few corrupted fields, extreme times, prices and sizes), an entry point
(``mmsim.run``, ``mmsim.run_many``, ``mmsim.replay_bbo`` or
``mmsim.signals.compute``), and for the runs a config (zero, nanosecond, random
or recorded latencies, timers and their idle bound, post-only on or off, ladder
levels...) and strategies on the Python and numba paths, some of them nasty
(quotes through the book, sizes of 2^50 lots, extreme prices, a quote that flips
on every call, one that fails, ladders whose inner level crosses, an IOC or a
market order on every call).

A case's outcome is one of :data:`KINDS`:

- ``ok``: it finished and its numbers pass exact checks (position and cash equal
  the sums over the fills in Python integers, the last sample agrees, every
  response reaches the local side after the exchange sent it, fees and the
  signals' accumulators are finite, a replayed book has no negative size);
- ``clean``: it raised an :class:`mmsim.MmsimError` naming a real event index
  (a ``DataError``; for an empty array, one saying it is empty) or the strategy (a
  ``StrategyError``);
- ``error``: any other exception, or an mmsim error naming neither (a traceback);
- ``wrong``: it finished with a number that fails a check (a silent wrong answer);
- ``memory``: it raised MemoryError, or its process grew by more than :data:`GROWTH_LIMIT_MB`
  during the case or past :data:`RSS_LIMIT_MB` (both beyond three times the size of the
  records the runs returned: a run's fills and order log are its answer, not a leak, and
  their buffers grow by doubling);
- ``crash``: its process died by a signal; ``hang``: it did not finish within the timeout.

Cases run in child processes (a batch each, so numba compiles once per child);
the parent restarts a child after a crash or hang and goes on with the next seed.
Run ``python tests/_fuzz.py SEED...`` to replay seeds in this process, or
``python tools/fuzz_engine.py`` for a probe of many seeds with a table of kinds.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import resource
import select
import subprocess
import sys
import time
import traceback
from typing import Any

import numpy as np

KINDS = ("ok", "clean", "error", "wrong", "memory", "crash", "hang")
#: A child whose peak resident memory passes this after a case counts the case as a memory bomb.
#: (Both scaled by MMSIM_FUZZ_MEMORY_SCALE, e.g. 3 under AddressSanitizer, whose shadow memory counts.)
RSS_LIMIT_MB = 1500 * float(os.environ.get("MMSIM_FUZZ_MEMORY_SCALE", "1"))
#: ... or that grew by more than this during one case.
GROWTH_LIMIT_MB = 300 * float(os.environ.get("MMSIM_FUZZ_MEMORY_SCALE", "1"))
#: Seeds below 0 are the harness's own checks: each must come out as this kind (a crash by a
#: signal, an exit status, a hang, another exception type, a wrong number), or the
#: harness could pass what it should fail.
SELF_TEST = {-1: "crash", -2: "crash", -3: "hang", -4: "error", -5: "wrong"}
I64_MAX = np.iinfo(np.int64).max
I64_MIN = np.iinfo(np.int64).min
#: 2024-08-08 in ns: a realistic start.
T_REAL = 1_723_161_256_000_000_000
#: 2100-01-01 in ns (the engine's plausible range ends there).
T_2100 = 4_102_444_800_000_000_000

# Strategy modes (one rule, the same on both paths).
JOIN, CROSS, HUGE, RANDOM, EXTREME, FLIP, NOOP, FAIL, CROSS_MOVING, LADDER, IOC, MARKET = range(12)
N_MODES = 12


# ------------------------------------------------------------------ the strategy rule

def _rule(view, params, state, out):
    """Quote by ``params.mode`` (see the module constants); ``state[0]`` counts calls, ``state[1]`` is an LCG."""
    mode = int(params.mode)
    state[0] += 1.0
    n = state[0]
    size = params.size
    two_sided = view.bid_qty > 0 and view.ask_qty > 0
    if mode == 6:  # NOOP
        return 0
    if mode == 7:  # FAIL after k calls (numba: an error code via an exception)
        if n > params.k:
            raise ValueError("fuzz strategy fails on purpose")
        return 0
    if mode == 4:  # EXTREME: prices at the edge of what a quote may hold, or beyond
        big = 2.0 ** (40 + (n % 14))
        out.bid_px = -big if n % 3 == 0 else big
        out.bid_qty = size
        out.ask_px = big + 1.0
        out.ask_qty = size
        return 1
    if not two_sided:
        return 0
    bb = float(view.best_bid)
    ba = float(view.best_ask)
    if mode == 9:  # LADDER: two levels per side, the inner one through the book every third call
        inner = params.k if n % 3 == 0 else -1.0
        out.n_bid_levels = 2
        out.n_ask_levels = 2
        out.bid_ladder_px[0] = bb + inner + 1.0
        out.bid_ladder_qty[0] = size
        out.bid_ladder_px[1] = bb - 1.0 - (n % 2)
        out.bid_ladder_qty[1] = size
        out.ask_ladder_px[0] = ba - inner - 1.0
        out.ask_ladder_qty[0] = size
        out.ask_ladder_px[1] = ba + 1.0 + (n % 2)
        out.ask_ladder_qty[1] = size
        return 1
    if mode == 10 or mode == 11:  # IOC / MARKET: an explicit order whenever none is live, sides in turn
        if view.n_explicit_live > 0:
            return 0
        out.n_orders = 1
        out.order_type[0] = 2 if mode == 10 else 4
        side = 1 if n % 2 == 0 else -1
        out.order_side[0] = side
        out.order_px[0] = ba + params.k if side > 0 else bb - params.k
        out.order_qty[0] = size
        out.order_tag[0] = int(n)
        return 0  # keep the targets
    if mode == 0 or mode == 2:  # JOIN / HUGE: at the touch
        out.bid_px = bb
        out.ask_px = ba
    elif mode == 1:  # CROSS: through the book, the same target every call
        out.bid_px = ba + params.k
        out.ask_px = bb - params.k
    elif mode == 8:  # CROSS_MOVING: through the book, a new target every call
        out.bid_px = ba + (n % 3)
        out.ask_px = bb - (n % 2)
    elif mode == 5:  # FLIP: two prices in turn
        off = 1.0 if n % 2 == 0 else 2.0
        out.bid_px = bb - off
        out.ask_px = ba + off
    else:  # RANDOM: an LCG in state[1]
        x = (state[1] * 1103515245.0 + 12345.0) % 2147483648.0
        state[1] = x
        out.bid_px = bb - (x % 4.0) + 1.0
        out.ask_px = ba + (x % 5.0) - 1.0
        size = float(int(x) % 3)
    out.bid_qty = size
    out.ask_qty = size
    return 1


_NUMBA: Any = None


def numba_type() -> Any:
    """The rule as a numba strategy type (compiled on first use, cached on disk); ``.python``
    runs the same rule on the Python path (an explicit order or a ladder comes back as a
    :class:`mmsim.Ladder`)."""
    global _NUMBA
    if _NUMBA is None:
        from mmsim.numba_strategy import numba_strategy

        _NUMBA = numba_strategy(_rule, params={"mode": 0.0, "size": 1.0, "k": 0.0}, state_size=2, name="fuzz")
    return _NUMBA


def make_strategy(spec: dict[str, Any]) -> Any:
    params = {"mode": float(spec["mode"]), "size": float(spec["size"]), "k": float(spec["k"])}
    t = numba_type()
    return t(**params) if spec["path"] == "numba" else t.python(**params)


# ------------------------------------------------------------------ events

def _pick(rng: np.random.Generator, items: list[Any], p: list[float] | None = None) -> Any:
    if p is not None:
        p = np.asarray(p, dtype=float) / np.sum(p)
    return items[int(rng.choice(len(items), p=p))]


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    start = _pick(rng, [T_REAL, 0, 1000, T_2100 - 10**12, I64_MAX - 10**6, -10**9],
                  [70, 8, 8, 5, 4, 5])
    gaps = np.zeros(n, dtype=object)
    for k in range(n):
        gaps[k] = _pick(rng, [0, int(rng.integers(1, 2_000_000)), 10**9], [35, 58, 7])
    # A few long gaps (a day, three years) wherever they fall: each costs a timer up to
    # max_idle of ticks, so a case holds at most three.
    for k in rng.integers(1, n, size=min(3, int(rng.poisson(0.8)))) if n > 1 else ():
        gaps[int(k)] = _pick(rng, [86_400 * 10**9, 10**17], [3, 1])
    ts = []
    t = int(start)
    for k in range(n):
        t = t + int(gaps[k]) if k else t
        ts.append(max(I64_MIN, min(I64_MAX, t)))
    return np.array(ts, dtype=np.int64)


def _l2(rng: np.random.Generator, n: int, px0: int) -> list[tuple[int, int, int, int, int]]:
    rows = []
    for k in range(n):
        r = rng.random()
        side = 1 if rng.random() < 0.5 else -1
        if k < 4:
            rows.append((1, side, px0 - 1 - k // 2 if side > 0 else px0 + k // 2, int(rng.integers(1, 50)), 0))
        elif r < 0.6:
            off = int(rng.integers(0, 6))
            rows.append((1, side, px0 - 1 - off if side > 0 else px0 + off, int(rng.integers(0, 40)), 0))
        elif r < 0.85:
            rows.append((2, side, px0 + int(rng.integers(-3, 3)), int(rng.integers(1, 30)), 0))
        elif r < 0.9:
            rows.append((1, side, px0 + int(rng.integers(-2**30, 2**30)), int(rng.integers(1, 5)), 0))  # far level
        elif r < 0.93:
            rows.append((3, _pick(rng, [0, 1, -1]), 0, 0, 0))
        elif r < 0.96:
            rows.append((8, 0, 0, int(rng.integers(1, 4)), 0))
        else:
            rows.append((1, side, px0 - 1 if side > 0 else px0, int(rng.integers(0, 40)), 0))
    return rows


def _l3(rng: np.random.Generator, n: int, px0: int) -> list[tuple[int, int, int, int, int]]:
    rows: list[tuple[int, int, int, int, int]] = []
    live: dict[int, list[int]] = {}
    next_id = 1
    for _ in range(n):
        r = rng.random()
        if r < 0.45 or not live:
            side = 1 if rng.random() < 0.5 else -1
            off = int(rng.integers(0, 5))
            px = px0 - 1 - off if side > 0 else px0 + off
            if rng.random() < 0.03:
                px = px0 + int(rng.integers(-2**30, 2**30))
            qty = int(rng.integers(1, 20))
            oid = next_id if rng.random() > 0.01 else int(rng.integers(1, next_id + 1))
            next_id += 1
            live[oid] = [side, px, qty]
            rows.append((4, side, px, qty, oid))
        else:
            oid = int(_pick(rng, list(live)))
            side, px, qty = live[oid]
            kind = _pick(rng, [5, 6, 7])
            if kind == 6:
                rows.append((6, side, px, qty, oid))
                del live[oid]
            else:
                q = int(rng.integers(1, qty + 1))
                rows.append((kind, side, px, q, oid))
                live[oid][2] -= q
                if live[oid][2] == 0:
                    del live[oid]
    return rows


_NASTY_INT = [0, 1, -1, 2**31, 2**50, 2**53 + 1, 2**62, I64_MAX, I64_MIN, -(2**62)]


def make_events(rng: np.random.Generator) -> np.ndarray:
    """A random event array: mostly well formed flow, then a few corrupted fields."""
    import mmsim

    n = int(_pick(rng, [0, 1, 3, 12, 60, 300, 1500], [2, 3, 5, 20, 30, 30, 10]))
    px0 = int(_pick(rng, [100, 10_000, 2**40, 2**61, -500, 1], [40, 30, 8, 5, 10, 7]))
    style = _pick(rng, ["l2", "l3", "raw", "far"], [48, 38, 10, 4])
    if style == "far":  # a memory bomb: every level on its own page of the book
        n = int(rng.integers(2000, 20000))
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = _times(rng, n)
    lat = np.array([_pick(rng, [0, int(rng.integers(1, 10**7)), -5, 10**17, I64_MAX, int(rng.integers(I64_MIN, I64_MAX))],
                          [30, 62, 2, 2, 2, 2]) for _ in range(n)], dtype=object)
    ev["local_ts"] = [max(I64_MIN, min(I64_MAX, int(t) + int(d))) for t, d in zip(ev["exch_ts"], lat)]
    if style == "far":
        ev["kind"] = 1
        ev["side"] = np.where(np.arange(n) % 2 == 0, 1, -1)
        step = 4096 * rng.integers(1, 3, n)
        ev["price"] = np.where(ev["side"] > 0, px0 - np.cumsum(step), px0 + np.cumsum(step))
        ev["qty"] = rng.integers(1, 5, n)
    elif style == "raw":
        ev["kind"] = rng.integers(0, 10, n)
        ev["side"] = rng.integers(-2, 3, n)
        ev["price"] = px0 + rng.integers(-10, 10, n)
        ev["qty"] = rng.integers(-2, 50, n)
        ev["order_id"] = rng.integers(0, 8, n)
    else:
        rows = _l2(rng, n, px0) if style == "l2" else _l3(rng, n, px0)
        for k, (kind, side, px, qty, oid) in enumerate(rows):
            ev[k]["kind"], ev[k]["side"], ev[k]["price"], ev[k]["qty"], ev[k]["order_id"] = kind, side, px, qty, oid
    # A few corrupted fields.
    for _ in range(int(rng.poisson(0.7)) if n else 0):
        k = int(rng.integers(0, n))
        field = _pick(rng, ["exch_ts", "local_ts", "price", "qty", "order_id", "kind", "side"])
        if field == "kind":
            ev[k]["kind"] = int(rng.integers(0, 256))
        elif field == "side":
            ev[k]["side"] = int(rng.integers(-128, 128))
        else:
            ev[k][field] = _pick(rng, _NASTY_INT)
    return ev


# ------------------------------------------------------------------ configs and cases

def make_config(rng: np.random.Generator, spec: dict[str, Any] | None = None, n_events: int = 0) -> Any:
    """A random config for a run of strategy ``spec`` (None: the market alone) over ``n_events``.

    A Python strategy gets timers of 1 ms or more, and 1 ns or 1 us timers only short arrays:
    a timer costs up to 100,000 ticks after each delivery (its idle bound caps a gap, not the
    data), so a fine one over a long array is work the strategy asked for, not a hang.
    Ladder modes get room for their two levels, mostly.
    """
    import mmsim

    def latency() -> Any:
        return _pick(rng, [0, 1, 1000, 1_000_000, "lognormal"], [30, 25, 20, 15, 10])

    def model(v: Any) -> Any:
        if v == "lognormal":
            return mmsim.LatencyModel(kind="lognormal", median_ns=int(rng.integers(1, 10**6)),
                                      sigma=float(_pick(rng, [0.5, 2.0, 10.0])), min_ns=int(rng.integers(0, 1000)))
        return mmsim.LatencyModel(ns=int(v))

    feed = "recorded" if rng.random() < 0.15 else latency()
    if feed == "recorded":  # recorded + X: 0, 1 ns, 1 ms or the whole day every latency may take
        offset = int(_pick(rng, [0, 1, 1_000_000, 86_400_000_000_000], [40, 20, 30, 10]))
    lat = mmsim.LatencyConfig(feed=mmsim.LatencyModel(kind="recorded", offset_ns=offset) if feed == "recorded" else model(feed),
                              entry=model(latency()), response=model(latency()), seed=int(rng.integers(0, 2**31)))
    kw = dict(
        latency=lat,
        queue=mmsim.QueueConfig(model=_pick(rng, ["risk_averse", "power", "log"])),
        fees=mmsim.FeeConfig(maker_bps=float(_pick(rng, [0.0, -1.0, 2.0, 1e4])), taker_bps=float(_pick(rng, [0.0, 5.0])),
                             taker_per_lot=float(_pick(rng, [0.0, 0.01]))),
        post_only=bool(rng.random() < 0.7),
        decide_every=(_pick(rng, [None, 1_000_000, 1_000_000_000], [60, 25, 15])
                      if spec is not None and spec["path"] == "python" else
                      _pick(rng, [None, 1, 1000, 1_000_000, 1_000_000_000], [50, 5, 15, 20, 10])
                      if n_events <= 60 else _pick(rng, [None, 1_000_000, 1_000_000_000], [50, 35, 15])),
        max_idle=_pick(rng, [60_000_000_000, 1_000_000, 1_000_000_000], [70, 15, 15]),
        max_orders=int(_pick(rng, [1, 2, 8, 64], [5, 15, 20, 60])),
        ladder_levels=int(_pick(rng, [1, 2, 4], [10, 60, 30] if spec is not None and spec["mode"] == LADDER
                                else [80, 10, 10])),
        signals=mmsim.SignalConfig(enabled=bool(rng.random() < 0.6)),
        sample_every=int(_pick(rng, [1_000_000_000, 1000])),
    )
    # A ladder needs room for itself on both sides (a ConfigError otherwise): the same draws, max_orders raised.
    if kw["ladder_levels"] > 1:
        kw["max_orders"] = max(kw["max_orders"], 2 * kw["ladder_levels"])
    # A version of mmsim without max_idle (to probe an older build: the same draws, the key left out).
    if "max_idle" not in {f.name for f in dataclasses.fields(mmsim.Config)}:
        del kw["max_idle"]
    return mmsim.Config(**kw)


def strategy_spec(rng: np.random.Generator, n_events: int = 0) -> dict[str, Any]:
    """A strategy for a run over ``n_events``: the Python path only up to 1,500 events (a
    strategy that acts on each of its own responses is called up to 100,000 times between
    two market events, which the Python path takes seconds for)."""
    mode = int(rng.integers(0, N_MODES))
    size = float(_pick(rng, [1, 3, 2**40, 2**50, 2**52], [50, 20, 10, 10, 10])) if mode in (HUGE, EXTREME) else \
        float(_pick(rng, [1, 3, 2**40, 2**50], [65, 25, 5, 5]))
    path = _pick(rng, ["python", "numba"], [40, 60])
    return {"path": path if n_events <= 1500 else "numba", "mode": mode, "size": size,
            "k": float(_pick(rng, [0, 1, 3, 50]))}


def make_case(seed: int) -> dict[str, Any]:
    """Everything a seed decides: events, entry point, configs, strategy specs."""
    rng = np.random.default_rng(seed)
    events = make_events(rng)
    entry = _pick(rng, ["run", "run_many", "replay_bbo", "signals"], [50, 20, 15, 15])
    runs = []
    if entry in ("run", "run_many"):
        for _ in range(1 if entry == "run" else int(rng.integers(2, 4))):
            spec = strategy_spec(rng, len(events)) if rng.random() < 0.9 else None
            runs.append((spec, make_config(rng, spec, len(events))))
    return {"seed": seed, "events": events, "entry": entry, "runs": runs}


# ------------------------------------------------------------------ checks

_ACCUMULATORS = ("ofi", "trade_flow", "volatility", "hawkes_buy", "hawkes_sell", "vpin")


def _exact_sum(a: np.ndarray) -> int:
    """The sum of an int64 array in Python integers (exact, in int64 chunks that cannot overflow)."""
    if a.size == 0:
        return 0
    step = max(1, 2**62 // (int(np.max(np.abs(a.astype(np.float64)))) + 1))
    return sum(int(a[i:i + step].sum()) for i in range(0, a.size, step))


def _exact_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b element by element, exactly: int64 when every product fits, else Python integers."""
    if a.size and int(np.max(np.abs(a.astype(np.float64)))) * int(np.max(np.abs(b.astype(np.float64)))) >= 2**62:
        return a.astype(object) * b.astype(object)
    return a.astype(np.int64) * b.astype(np.int64)


def _check_result(r: Any, events: np.ndarray) -> str | None:
    """What is wrong with a finished run's numbers (None: nothing found)."""
    from mmsim.records import OrderEvent

    f = r.fills
    signed = f["side"].astype(np.int64) * f["qty"]  # |qty| < 2^63: no wrap
    notional = _exact_products(signed, f["price"])
    pos = _exact_sum(signed)
    cash = -(int(np.sum(notional)) if notional.dtype == object else _exact_sum(notional))
    if pos != r.position:
        return f"position {r.position} but the fills sum to {pos}"
    if cash != r.cash_ticks:
        return f"cash_ticks {r.cash_ticks} but the fills sum to {cash}"
    if len(f) and (np.any(f["qty"] <= 0) or np.any(f["leaves"] < 0)):
        return "a fill with a non-positive size or negative leaves"
    if not math.isfinite(r.fees) or not np.all(np.isfinite(f["fee"])):
        return f"fees {r.fees} not finite"
    s = r.samples
    if len(s) and (int(s["position"][-1]) != r.position or int(s["cash_ticks"][-1]) != r.cash_ticks):
        return "the last sample disagrees with the final position or cash"
    o = r.orders
    if len(o):
        sent = np.isin(o["event"], [int(OrderEvent.SENT), int(OrderEvent.CANCEL_SENT)])
        late = np.where(sent, o["exch_ts"] < o["local_ts"], o["local_ts"] < o["exch_ts"])
        if np.any(late):
            k = int(np.flatnonzero(late)[0])
            return (f"order log row {k} ({OrderEvent(int(o['event'][k])).name}) travels back in time: "
                    f"exch_ts {int(o['exch_ts'][k])}, local_ts {int(o['local_ts'][k])}")
    if len(f) and len(events):
        if np.any(f["exch_ts"] < events["exch_ts"][0]):
            return "a fill before the first event"
    sig = r.fill_signals
    if len(sig) and r.config.signals.enabled:
        for name in _ACCUMULATORS:
            if not np.all(np.isfinite(sig[name])):
                return f"fill signal {name} not finite"
    return None


def _check_bbo(d: dict[str, np.ndarray]) -> str | None:
    if np.any(d["bid_qty"] < 0) or np.any(d["ask_qty"] < 0):
        return "a negative best size"
    if np.any((d["bid_qty"] == 0) != (d["best_bid"] == I64_MIN)) or np.any((d["ask_qty"] == 0) != (d["best_ask"] == I64_MAX)):
        return "an empty side with a price or a price with no size"
    return None


def _check_signals(values: np.ndarray) -> str | None:
    for name in _ACCUMULATORS:
        if not np.all(np.isfinite(values[name])):
            k = int(np.flatnonzero(~np.isfinite(values[name]))[0])
            return f"signal {name} is {values[name][k]} after event {k}"
    if len(values) and (np.nanmax(values["vpin"]) > 1 or np.nanmin(values["vpin"]) < 0):
        return "vpin outside [0, 1]"
    return None


def _clean(exc: BaseException, n: int) -> bool:
    """An mmsim error naming a real event index (DataError) or the strategy (StrategyError)."""
    import mmsim

    msg = str(exc)
    if isinstance(exc, mmsim.DataError) and n == 0:  # nothing to name but the emptiness
        return exc.index is None and "empty" in msg
    if isinstance(exc, mmsim.DataError):
        m = re.search(r"\bevent (\d+)\b", msg)
        if not m or not 0 <= int(m.group(1)) < n:
            return False
        return exc.index is None or exc.index == int(m.group(1))
    if isinstance(exc, mmsim.StrategyError):
        return "strategy " in msg
    return False


#: Bytes of the records the last :func:`run_case` got back (fills, order logs, samples).
RECORD_BYTES = 0


def run_case(case: dict[str, Any]) -> tuple[str, str]:
    """Run one case in this process: (kind, detail)."""
    import mmsim

    global RECORD_BYTES
    RECORD_BYTES = 0
    events = case["events"]
    entry = case["entry"]
    try:
        if entry == "replay_bbo":
            wrong = _check_bbo(mmsim.replay_bbo(events))
        elif entry == "signals":
            wrong = _check_signals(mmsim.signals.compute(events))
        else:
            runs = [(None if spec is None else make_strategy(spec), cfg) for spec, cfg in case["runs"]]
            results = [mmsim.run(events, *runs[0])] if entry == "run" else mmsim.run_many(events, runs)
            wrong = None
            for r in results:
                wrong = wrong or _check_result(r, events)
                RECORD_BYTES += r.fills.nbytes + r.orders.nbytes + r.samples.nbytes + r.fill_signals.nbytes
    except MemoryError as exc:
        return "memory", f"MemoryError: {exc}"
    except Exception as exc:  # classify every other outcome
        part = getattr(exc, "partial", None)
        if part is not None:  # the records of a run stopped by the error
            RECORD_BYTES += part.fills.nbytes + part.orders.nbytes + part.samples.nbytes + part.fill_signals.nbytes
        if isinstance(exc, mmsim.MmsimError) and _clean(exc, len(events)):
            return "clean", f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return "error", tb
    if wrong:
        return "wrong", wrong
    return "ok", ""


def describe(case: dict[str, Any]) -> str:
    """One line saying what a case runs (for a failure report)."""
    parts = [f"seed {case['seed']}: {case['entry']} on {len(case['events'])} events"]
    for spec, cfg in case["runs"]:
        lat = cfg.latency
        parts.append(f"[{'market only' if spec is None else spec['path'] + ' mode ' + str(spec['mode'])}; "
                     f"feed {lat.feed.describe()} entry {lat.entry.describe()} response {lat.response.describe()}; "
                     f"decide_every {cfg.decide_every}; post_only {cfg.post_only}]")
    return " ".join(parts)


# ------------------------------------------------------------------ processes

def _self_test(seed: int) -> tuple[str, str]:
    import signal

    if seed == -1:
        os.kill(os.getpid(), signal.SIGSEGV)
    if seed == -2:
        os._exit(3)
    if seed == -3:
        time.sleep(3600)
    if seed == -4:
        try:
            raise KeyError("not an mmsim error")
        except KeyError as exc:
            return "error", f"{type(exc).__name__}: {exc}"
    return "wrong", "the harness's own wrong answer"


def _child(seeds: list[int]) -> None:
    for seed in seeds:
        print("@@" + json.dumps({"start": seed}), flush=True)
        if seed < 0:
            kind, detail = _self_test(seed)
            print("@@" + json.dumps({"seed": seed, "kind": kind, "detail": detail}), flush=True)
            continue
        case = make_case(seed)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kind, detail = run_case(case)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        records_mb = 3 * RECORD_BYTES / 2**20  # record buffers grow by doubling: old and new, at the peak
        grown = rss_mb - before  # the peak is the process's: only a case that raised it is judged by it
        if grown - records_mb > GROWTH_LIMIT_MB or (grown > 0 and rss_mb - records_mb > RSS_LIMIT_MB):
            kind, detail = "memory", (f"peak RSS {rss_mb:.0f} MB (+{rss_mb - before:.0f} MB) for "
                                      f"{len(case['events'])} events; {kind} {detail}")
        print("@@" + json.dumps({"seed": seed, "kind": kind, "detail": detail[:500]}), flush=True)
        if kind == "memory" or rss_mb > RSS_LIMIT_MB / 2:
            return  # a fresh process for the next seed (the peak RSS of this one only grows)


def probe(seeds: list[int], *, timeout: float = 30.0, python: str | None = None, jobs: int = 1,
          env: dict[str, str] | None = None, on_result: Any = None) -> dict[int, tuple[str, str]]:
    """Run every seed in child processes; {seed: (kind, detail)}.

    Parameters
    ----------
    seeds : list of int
    timeout : float
        Seconds one case may take (three times that for a child's first case, which
        also imports mmsim and loads the numba rule).
    python : str, optional
        The interpreter to run the children with (default: this one), e.g. another venv's.
    jobs : int
        Children at once.
    env : dict, optional
        Extra environment variables for the children.
    on_result : callable, optional
        ``on_result(seed, kind, detail)`` as each case finishes.
    """
    out: dict[int, tuple[str, str]] = {}
    procs: list[dict[str, Any]] = []

    def record(seed: int, kind: str, detail: str) -> None:
        out[seed] = (kind, detail)
        if on_result:
            on_result(seed, kind, detail)

    def spawn(rest: list[int]) -> None:
        if rest:
            cmd = [python or sys.executable, os.path.abspath(__file__), "--child", *map(str, rest)]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 env={**os.environ, **(env or {})})
            procs.append({"p": p, "rest": list(rest), "current": None, "since": time.monotonic(), "done": 0,
                          "buf": b""})

    for k in range(jobs):
        spawn(list(seeds[k::jobs]))
    while procs:
        for c in list(procs):
            p = c["p"]
            if b"\n" not in c["buf"]:
                # Raw reads (a buffered readline could hold lines select() cannot see).
                ready, _, _ = select.select([p.stdout], [], [], 0.05)
                if ready:
                    c["buf"] += os.read(p.stdout.fileno(), 1 << 16)
            if b"\n" in c["buf"]:
                line, c["buf"] = c["buf"].split(b"\n", 1)
                if not line.startswith(b"@@"):
                    continue  # anything else a child prints (a build message...)
                msg = json.loads(line[2:])
                if "start" in msg:
                    c["current"], c["since"] = msg["start"], time.monotonic()
                else:
                    record(msg["seed"], msg["kind"], msg["detail"])
                    c["rest"].remove(msg["seed"])
                    c["current"], c["done"] = None, c["done"] + 1
                continue
            rc: Any = p.poll()
            limit = timeout * (3 if c["done"] == 0 else 1)
            if rc is None and time.monotonic() - c["since"] > limit:
                p.kill()
                p.wait()
                rc = "hang"
            if rc is None:
                continue
            if rc != "hang":  # what it wrote before it exited
                c["buf"] += p.stdout.read()
                if b"\n" in c["buf"]:
                    continue
            procs.remove(c)
            p.stdout.close()
            cur = c["current"] if c["current"] is not None else (c["rest"][0] if rc != 0 and c["rest"] else None)
            if cur is not None:
                if rc == "hang":
                    record(cur, "hang", f"no answer within {limit:.0f} s")
                else:
                    record(cur, "crash", f"exit status {rc}" + (f" (signal {-rc})" if rc < 0 else ""))
                c["rest"].remove(cur)
            spawn(c["rest"])
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child([int(s) for s in sys.argv[2:]])
    else:
        for s in sys.argv[1:]:
            case = make_case(int(s))
            print(describe(case))
            print(" ", *run_case(case))
