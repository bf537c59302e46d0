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

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import ConfigError
from ..events import EVENT_DTYPE
from .config import MAX_AHEAD, MAX_EVENTS, MAX_PRICE_TICKS, SynthConfig, capacities, load_synth_config, located

__all__ = ["AGENT_NAMES", "SynthConfig", "SynthDay", "generate", "load_synth_config", "simulate", "store_meta",
           "write_store"]

#: Who caused each event (:attr:`SynthDay.agent`): index -> name.
AGENT_NAMES: tuple[str, ...] = ("lp", "noise", "informed")

_S = 1_000_000_000  # ns per second


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
    # numba compiles (or loads from its cache) the kernel on first use, not at `import mmsim.synth`
    from . import _kernel as k

    # a first guess at the event count from the agents' rates (SynthConfig refused one past MAX_EVENTS); the
    # kernel reports a full buffer and we rerun with more room (same seed, same events)
    out_cap, ring_cap = capacities(cfg)
    order_cap = 1 << 16
    while True:
        if max(out_cap, 4 * order_cap) > MAX_EVENTS or ring_cap > MAX_AHEAD:
            raise located(cfg, cfg.limit_error("duration", _RATES, f"the session would not fit in memory (more than "
                                                                   f"{MAX_EVENTS:,} events or orders) over "
                                                                   "<<duration>>; shorten duration or lower the rates"))
        try:
            err, out, fv = k._kernel(
                np.uint64(cfg.seed), cfg.format == "l3", int(cfg.start), int(cfg.start + cfg.duration),
                int(cfg.initial_price), float(cfg.fv_vol), int(cfg.fv_step), float(cfg.jump_rate),
                float(cfg.jump_mean), float(cfg.noise_rate), float(cfg.noise_size_mean), bool(cfg.informed),
                float(cfg.informed_rate), int(cfg.informed_horizon), float(cfg.informed_edge),
                float(cfg.informed_size_mean), int(cfg.lp_levels), float(cfg.lp_half_spread),
                float(cfg.lp_stale_margin), int(cfg.lp_depth), int(cfg.lp_depth_step),
                float(cfg.lp_order_size_mean), float(cfg.lp_refill_rate), float(cfg.lp_cancel_rate),
                float(cfg.lp_partial_cancel), float(cfg.lp_reaction), out_cap, order_cap, ring_cap,
            )
        except MemoryError:
            raise located(cfg, cfg.limit_error("duration", _RATES, f"the session would not fit in memory ({out_cap:,} "
                                                                   f"events of 80 bytes, {order_cap:,} orders) over "
                                                                   "<<duration>>; shorten duration or lower the "
                                                                   "rates")) from None
        if err == 0:
            break
        if err == k._ERR_OUT:
            out_cap *= 2
        elif err == k._ERR_ORDERS:
            order_cap *= 2
        elif err == k._ERR_RING:
            ring_cap *= 2
        else:
            raise located(cfg, _stopped(cfg, err, k))
    ev = np.zeros(len(out), dtype=EVENT_DTYPE)
    ev["exch_ts"] = out[:, k._CTS]
    ev["local_ts"] = out[:, k._CTS]
    ev["kind"] = out[:, k._CKIND]
    ev["side"] = out[:, k._CSIDE]
    ev["price"] = out[:, k._CPX]
    ev["qty"] = out[:, k._CQTY]
    ev["order_id"] = out[:, k._COID]
    return SynthDay(
        events=ev,
        fair_value=fv.copy(),
        agent=out[:, k._CAGENT].astype(np.int8),
        best_bid=out[:, k._CBB].copy(),
        best_ask=out[:, k._CBA].copy(),
        config=cfg,
    )


# The keys a limit found while generating involves, after the one it blames (named when that one was not written).
_RATES = ("noise_rate", "informed_rate", "lp_cancel_rate", "lp_depth", "lp_depth_step", "lp_levels")
_MOVERS = ("initial_price", "fv_vol", "jump_rate", "jump_mean")


def _mover(cfg: SynthConfig) -> str:
    """The key whose moves of the fair value weigh most: ``fv_vol`` (variance ``fv_vol**2`` a second) or
    ``jump_mean`` (``jump_rate x E[jump**2]``, ``2 m**2 - m`` for a geometric mean ``m``)."""
    m = cfg.jump_mean
    return "fv_vol" if cfg.fv_vol**2 >= cfg.jump_rate * (2 * m * m - m) else "jump_mean"


def _stopped(cfg: SynthConfig, err: int, k: Any) -> ConfigError:
    """The ConfigError of a kernel that stopped with ``err`` (not a full buffer), naming the key to change."""
    if err == k._ERR_PRICE:
        key = "initial_price" if cfg.initial_price > MAX_PRICE_TICKS // 2 else _mover(cfg)
        return cfg.limit_error(key, _MOVERS, f"the fair value moved past 2**42 ticks (4398046511104, the most the "
                                             f"generator keeps exact) from <<initial_price>> {cfg.initial_price}; lower "
                                             f"initial_price, fv_vol, jump_rate or jump_mean")
    if err == k._ERR_ALIAS:
        key = _mover(cfg)
        return cfg.limit_error(key, (*_MOVERS, "lp_cancel_rate"),
                               f"the fair value moved the book's orders over more than the generator's {k._W}-tick "
                               f"window (resting orders are left behind until cancelled or pulled); lower fv_vol, "
                               f"jump_rate or jump_mean, or raise lp_cancel_rate")
    return cfg.limit_error("initial_price", ("lp_half_spread", "lp_levels"),
                           "a quote would be priced below 1 tick (from the fair value's floor, 2 x lp_levels + 4.5 + "
                           "lp_half_spread); raise initial_price or lower lp_half_spread")


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


def write_store(cfg: SynthConfig, path: str | os.PathLike[str], events: np.ndarray | None = None, *,
                force: bool = True) -> Path:
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
    force : bool
        Replace an existing store at ``path`` (default True). False: a store there, even one written
        while this ran, is refused (``mmsim synth`` without ``--force``, newcomer18).

    Raises
    ------
    mmsim.DataError
        ``path`` holds something else than a store, or a store and ``force`` is False.

    Returns
    -------
    pathlib.Path
        The store directory; :func:`mmsim.load` opens it.
    """
    from ..data.store import write_store as _write_store

    ev = generate(cfg) if events is None else events
    _write_store(path, ev, store_meta(cfg, ev), force=force)
    return Path(path)
