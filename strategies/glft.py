"""Gueant-Lehalle-Fernandez-Tapia (2013): closed-form optimal quotes, and a fit of their fill intensity.

Formula
-------
Fills arrive at a quote ``delta`` ticks from the mid with intensity
``lambda(delta) = A exp(-k delta)`` (per second). With risk aversion
``gamma`` (1/tick), mid volatility ``sigma`` (ticks per sqrt(second)) and
inventory ``q = position / size`` in quote units, the asymptotic closed form of
the optimal quote depths (GLFT 2013, eqs. (4.6)-(4.7); Gueant 2017 for the
``xi = gamma`` case used here) is::

    c1 = (1 / gamma) * ln(1 + gamma / k)
    c2 = sqrt(gamma / (2 A k) * (1 + gamma / k) ** (k / gamma + 1))
    bid depth = c1 + (2q + 1) / 2 * sigma * c2
    ask depth = c1 - (2q - 1) / 2 * sigma * c2
    bid = floor(mid - bid depth)       ask = ceil(mid + ask depth)

so the half-spread is ``c1 + sigma c2 / 2`` and the inventory skew is
``sigma c2`` ticks per quote unit held. When the ``sigma`` parameter is 0 the
rule reads the native ``volatility`` signal and keeps its quotes until it is
known. Sizes are capped by ``max_position`` (lots).

Requoting: while more than two of our orders are live (a cancel/replace still
in flight), the rule keeps its current targets, so each side has at most one
action pending and the order count stays bounded.

Calibration: :func:`fit_intensity` measures, from the event array, how often
a market order reaches ``delta`` ticks from the mid, fits ``A`` and ``k``
(scipy ``curve_fit``) and estimates ``sigma``; ``fit.params()`` gives the
values to put in ``strategy.params``.

Sources: O. Gueant, C.-A. Lehalle and J. Fernandez-Tapia, "Dealing with the
inventory risk: a solution to the market making problem", *Mathematics and
Financial Economics* 7(4), 477-507, 2013; O. Gueant, "Optimal market making",
*Applied Mathematical Finance* 24(2), 112-154, 2017. The calibration follows
the intensity-vs-depth regression of Avellaneda and Stoikov (2008), section 2.

Parameters (``strategy.params``)
--------------------------------
gamma : float, default 0.05
    Risk aversion, 1/tick.
    Not per lot: it multiplies ``q = position / size``, quotes held, and its spread term
    assumes quotes of ``size``, so it means the same on every lot (no unit).
A : float, default 1.0
    Fill intensity at the mid, 1/second.
k : float, default 0.5
    Decay of the fill intensity with depth, 1/tick.
sigma : float, default 0.0
    Mid volatility, ticks per sqrt(second); 0 reads the ``volatility`` signal.
size : float, default 1.0
    Quote size, lots (the unit of ``q``).
max_position : float, default 10.0
    Absolute position limit, lots; at least ``size`` (a smaller limit would never let a
    quote of ``size`` through).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

import mmsim
from mmsim.numba_strategy import numba_strategy
from mmsim.quoting import capped_sizes, ceil_price, floor_price, locked_or_crossed, post_only_prices

__all__ = ["GLFT", "GLFTPython", "IntensityFit", "fit_intensity", "glft_rule"]


@njit(cache=True)
def glft_rule(view, params, state, out):
    """Quote at the GLFT closed-form depths around the local mid."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.n_live_orders > 2:
        return 0  # a replacement is still in flight: wait for the exchange before requoting
    sigma = params.sigma
    if sigma <= 0.0:
        sigma = view.volatility
        if not (sigma >= 0.0):  # NaN until the signal has seen mid changes
            return 0
    gamma = params.gamma
    k = params.k
    c1 = math.log(1.0 + gamma / k) / gamma
    c2 = math.sqrt(gamma / (2.0 * params.A * k) * math.pow(1.0 + gamma / k, k / gamma + 1.0))
    q = view.position / params.size
    half = c1 + 0.5 * sigma * c2
    skew = sigma * c2
    mid = 0.5 * (view.best_bid + view.best_ask)
    bid, ask = post_only_prices(floor_price(mid - (half + skew * q)), ceil_price(mid + (half - skew * q)),
                                view.best_bid, view.best_ask)
    if locked_or_crossed(bid, ask):
        return 0
    pos = view.position
    out.bid_px = bid
    out.ask_px = ask
    out.bid_qty, out.ask_qty = capped_sizes(params.size, params.max_position, pos)
    return 1


GLFT = numba_strategy(
    glft_rule,
    params={"gamma": 0.05, "A": 1.0, "k": 0.5, "sigma": 0.0, "size": 1.0, "max_position": 10.0},
    domains={"gamma": "> 0", "A": "> 0", "k": "> 0", "sigma": ">= 0", "size": "whole > 0",
             "max_position": "whole > 0 or inf"},
    constraints=["size <= max_position"],
    quantities=["size", "max_position"],
    name="GLFT",
)
# The most live orders it holds (mmsim checks max_orders against it at load): it requotes only
# with at most 2 live, and a requote cancels both and sends 2 (the cancelled stay live until
# their confirmation): 4.
GLFT.max_live_orders = 4
GLFTPython = GLFT.python_class


@dataclass(frozen=True)
class IntensityFit:
    """Result of :func:`fit_intensity`: ``lambda(delta) = A exp(-k delta)`` and the mid volatility.

    Attributes
    ----------
    A, k : float
        Fitted intensity at the mid (1/s) and decay (1/tick).
    A_err, k_err : float
        One-sigma standard errors from the fit's covariance.
    r2 : float
        Coefficient of determination of ``ln lambda`` on the fitted range.
    sigma : float
        Mid volatility, ticks per sqrt(second), from mid changes on a 1 s grid.
    n_orders : int
        Market orders (trades at one time by one aggressor side count once).
    duration_s : float
        Time the events span, seconds.
    depths, rates : ndarray
        The measured curve: depth from the mid (ticks) and rate (1/s) of market
        orders reaching at least that depth; ``fit_mask`` marks the fitted points.
    """

    A: float
    k: float
    A_err: float
    k_err: float
    r2: float
    sigma: float
    n_orders: int
    duration_s: float
    depths: np.ndarray = field(repr=False)
    rates: np.ndarray = field(repr=False)
    fit_mask: np.ndarray = field(repr=False)

    def params(self) -> dict[str, float]:
        """``{"A", "k", "sigma"}`` for GLFT's (or Avellaneda-Stoikov's ``k``) ``strategy.params``."""
        return {"A": self.A, "k": self.k, "sigma": self.sigma}

    def report(self) -> str:
        """A few lines of text: the fit, its errors and the measured curve."""
        lines = [
            f"fill intensity lambda(delta) = A exp(-k delta), fitted on {self.n_orders} market orders "
            f"over {self.duration_s:.1f} s",
            f"  A     = {self.A:.6g} +/- {self.A_err:.2g} per second",
            f"  k     = {self.k:.6g} +/- {self.k_err:.2g} per tick",
            f"  R^2   = {self.r2:.4f} (log rate, {int(self.fit_mask.sum())} depths fitted)",
            f"  sigma = {self.sigma:.6g} ticks per sqrt(second)",
            "  depth(ticks)   rate(1/s)    fitted",
        ]
        for d, r, m in zip(self.depths, self.rates, self.fit_mask):
            fitted = self.A * math.exp(-self.k * d)
            lines.append(f"  {d:11.2f} {r:11.5g} {fitted:11.5g}{'' if m else '   (not fitted)'}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _market_order_depths(events: np.ndarray, best_bid: np.ndarray, best_ask: np.ndarray) -> np.ndarray:
    """Depth (ticks from the mid before it) reached by each market order."""
    kind = events["kind"]
    is_trade = (kind == int(mmsim.Kind.TRADE)) | (kind == int(mmsim.Kind.EXECUTE))
    idx = np.flatnonzero(is_trade)
    if idx.size == 0:
        return np.zeros(0)
    # The aggressor: TRADE carries it; an L3 EXECUTE names the resting order's side.
    aggressor = np.where(kind[idx] == int(mmsim.Kind.TRADE), events["side"][idx], -events["side"][idx]).astype(np.int64)
    ts = events["exch_ts"][idx]
    # One market order sweeping several levels/orders prints several events at one
    # time: measure it once, from the mid before its first print.
    new_order = np.ones(idx.size, dtype=bool)
    new_order[1:] = (ts[1:] != ts[:-1]) | (aggressor[1:] != aggressor[:-1]) | (idx[1:] != idx[:-1] + 1)
    group = np.cumsum(new_order) - 1
    first = idx[new_order]
    # The book as it stood after everything stamped before the order: events sharing a
    # timestamp are one venue message applied level by level, and the states between
    # them (a level removed before its replacement arrives) are not a real book.
    before = np.searchsorted(events["exch_ts"], events["exch_ts"][first], side="left") - 1
    valid = before >= 0
    before = np.maximum(before, 0)
    bb = np.where(valid, best_bid[before], np.iinfo(np.int64).min)
    ba = np.where(valid, best_ask[before], np.iinfo(np.int64).max)
    both = (bb > np.iinfo(np.int64).min) & (ba < np.iinfo(np.int64).max)
    mid_first = np.where(both, 0.5 * (bb.astype(np.float64) + ba.astype(np.float64)), np.nan)
    mid = mid_first[group]
    depth = aggressor * (events["price"][idx].astype(np.float64) - mid)
    out = np.full(first.size, -np.inf)
    np.maximum.at(out, group, np.where(np.isnan(depth), -np.inf, depth))
    out = out[both & np.isfinite(out)]
    return np.maximum(out, 0.0)


def _sigma_1s(events: np.ndarray, best_bid: np.ndarray, best_ask: np.ndarray) -> float:
    both = (best_bid > np.iinfo(np.int64).min) & (best_ask < np.iinfo(np.int64).max)
    if both.sum() < 2:
        return float("nan")
    ts = events["exch_ts"][both]
    mid = 0.5 * (best_bid[both].astype(np.float64) + best_ask[both].astype(np.float64))
    grid = np.arange(ts[0], ts[-1] + 1, 1_000_000_000)
    at = np.searchsorted(ts, grid, side="right") - 1
    d = np.diff(mid[at])
    return float(np.std(d, ddof=1)) if d.size > 1 else float("nan")


def fit_intensity(events: Any, best_bid: np.ndarray | None = None, best_ask: np.ndarray | None = None, *,
                  depth_step: float = 0.5, min_depth: float | None = None, max_depth: float | None = None,
                  min_orders: int = 10) -> IntensityFit:
    """Fit ``lambda(delta) = A exp(-k delta)`` to the rate at which market orders reach each depth.

    For every market order (trade prints at one time by one aggressor side) the
    depth it reached is ``aggressor * (price - mid)``, with the exchange mid as it
    stood after all events stamped earlier than the order. ``lambda(delta)`` is the number of orders that reached at least
    ``delta`` ticks, per second of data. The curve is flat up to the typical
    half-spread (every order reaches the touch), so the fit starts at
    ``min_depth`` (default: the median depth reached) and stops at ``max_depth``
    (default: the 99th percentile) or where fewer than ``min_orders`` orders
    remain; it is a weighted least-squares fit of the exponential (Poisson
    weights) started from the log-linear regression. Check ``r2``: where trades
    outrun a slower depth feed (Binance's diff stream), depths far from the mid
    are common and the curve is not exponential.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE or EventStore
        The market events (L2 TRADE or L3 EXECUTE prints): what :func:`mmsim.run`
        takes (an event store from :func:`mmsim.load`, or an array).
    best_bid, best_ask : ndarray of int64, optional
        The exchange book top after each event; by default
        ``mmsim.replay_bbo(events)``.
    depth_step : float
        Spacing of the depth grid, ticks.
    min_depth : float, optional
        First depth fitted, ticks.
    max_depth : float, optional
        Last depth fitted, ticks.
    min_orders : int
        Depths reached by fewer orders are shown but not fitted.

    Returns
    -------
    IntensityFit

    Raises
    ------
    mmsim.DataError
        If there are too few trades to fit.
    """
    from scipy.optimize import curve_fit

    if hasattr(events, "events") and hasattr(events, "meta"):  # an EventStore, as mmsim.run takes
        events = events.events
    if best_bid is None or best_ask is None:
        top = mmsim.replay_bbo(events)
        best_bid, best_ask = top["best_bid"], top["best_ask"]
    best_bid = np.asarray(best_bid, dtype=np.int64)
    best_ask = np.asarray(best_ask, dtype=np.int64)
    if best_bid.shape != events.shape or best_ask.shape != events.shape:
        raise mmsim.DataError("fit_intensity: best_bid/best_ask must have one entry per event")
    if events.size < 2:
        raise mmsim.DataError("fit_intensity: need at least two events")
    duration_s = (int(events["exch_ts"][-1]) - int(events["exch_ts"][0])) / 1e9
    depths = _market_order_depths(events, best_bid, best_ask)
    if depths.size < 3 * min_orders or duration_s <= 0:
        raise mmsim.DataError(f"fit_intensity: {depths.size} market orders in {duration_s:.3g} s is too few to fit")
    start = float(np.median(depths)) if min_depth is None else float(min_depth)
    grid = np.arange(0.0, float(depths.max()) + depth_step, depth_step)
    counts = (depths[None, :] >= grid[:, None]).sum(axis=1)
    rates = counts / duration_s
    stop = float(np.percentile(depths, 99)) if max_depth is None else float(max_depth)
    mask = (grid >= start - 1e-12) & (grid <= stop + 1e-12) & (counts >= min_orders)
    if mask.sum() < 2:
        raise mmsim.DataError(f"fit_intensity: fewer than two depths from {start:g} to {stop:g} ticks are reached "
                              f"by {min_orders} orders; widen min_depth/max_depth or lower min_orders")
    x, y, n = grid[mask], rates[mask], counts[mask]
    slope, intercept = np.polyfit(x, np.log(y), 1)
    p0 = (math.exp(intercept), max(-slope, 1e-6))

    def model(d: np.ndarray, a: float, kk: float) -> Any:
        return a * np.exp(-kk * d)

    popt, pcov = curve_fit(model, x, y, p0=p0, sigma=np.sqrt(n) / duration_s, absolute_sigma=True, maxfev=10_000)
    a_fit, k_fit = float(popt[0]), float(popt[1])
    perr = np.sqrt(np.diag(pcov))
    resid = np.log(y) - np.log(model(x, a_fit, k_fit))
    ss_tot = float(np.sum((np.log(y) - np.log(y).mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 else 1.0
    return IntensityFit(
        A=a_fit, k=k_fit, A_err=float(perr[0]), k_err=float(perr[1]), r2=r2,
        sigma=_sigma_1s(events, best_bid, best_ask), n_orders=int(depths.size), duration_s=duration_s,
        depths=grid, rates=rates, fit_mask=mask,
    )
