"""The look-ahead audit: every decision of a run checked against the event array, outside the engine.

A run's decision log (``Result.decisions``) says, for each strategy call, its
local time ``T`` and the newest market event in the view it was given. The
audit recomputes from the events and the run's feed latency model when each
event reached the local side, and checks every decision:

- ``look_ahead``: the logged newest event had not arrived by ``T`` (an event
  whose delivery time is after the decision contributed to the view);
- ``missing``: an event delivered by ``T`` is newer than the logged one (the
  logged newest event is not exactly the last one delivered);
- ``timestamps``: the logged exchange and delivery times of that event are not
  the event's ``exch_ts`` and its recomputed delivery time;
- ``book``: the view's best bid and ask are not the exchange book's after the
  last event delivered by ``T`` (``mmsim.replay_bbo``);
- ``clock``: the decision is earlier than the one before it.

and, for the run as a whole, that the log has one row per strategy call and
that every order-log row names a logged decision, every ``SENT`` and
``CANCEL_SENT`` row at that decision's local time (``orders``).

Delivery times (docs/engine.md, "Decisions and information age"): event ``i``
arrives at ``a_i = exch_ts_i + ns`` (constant feed), ``local_ts_i``
(``recorded``), or ``exch_ts_i + min + llround(median * exp(sigma * z_m))``
(``lognormal``, ``z_m`` the run's ``m``-th normal draw, ``m`` the index of the
venue message holding event ``i``: one draw per message). A venue message (the
events at one ``exch_ts``) is delivered whole, at the latest arrival among its
events, and the feed is one ordered stream, so the delivery time of event ``i``
in message ``m`` is ``d_i = max(a_j for j in messages 0..m)``.
An event delivered at ``T`` is seen by a call at ``T`` (market data is applied
before the strategy is called). The constant and recorded deliveries are
computed here in numpy; the lognormal draws come from
``mmsim._engine.feed_deliveries``, which seeds a fresh instance of the run's
latency model (the same random generator and seed) outside any pass. The
messages are found here from ``exch_ts``; none of the engine's tape, feed
cursor or scheduler is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _engine
from .._interrupt import exit_guarded
from ..config._units import format_ns
from ..errors import DataError
from ..records import OrderEvent

__all__ = ["CHECKS", "LookAheadAudit", "audit_look_ahead", "feed_delivery_times"]

INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max

#: The per-decision checks, in the order their violations are reported.
CHECKS: tuple[str, ...] = ("look_ahead", "missing", "timestamps", "book", "clock")

#: Why a run without a decision log is not audited (and has no information age).
NO_LOG = "no decision log: config key decision_log was off, or the run was saved before mmsim logged decisions"

#: Violations listed by message (the counts cover all of them).
MAX_LISTED = 10

#: Decisions checked at a time: the audit's arrays are a chunk's, not the log's (a log of 10^9 rows
#: would otherwise take about 1.3 times its own size again; breaker29).
_CHUNK = 1 << 16


def _seed(config: Any) -> int:
    return int(config.latency.seed) & 0xFFFFFFFFFFFFFFFF


def feed_delivery_times(events: np.ndarray, config: Any) -> tuple[np.ndarray, str]:
    """When each event reached the local side of a run with ``config``, recomputed outside the engine.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE, shape (n,)
        The events the run replayed, sorted by ``exch_ts``.
    config : mmsim.Config
        The run's engine config (its ``latency.feed`` and ``latency.seed``).

    Returns
    -------
    delivery : int64 ndarray, shape (n,)
        Delivery time of each event, ns: the latest arrival among the events of its
        venue message (a message is delivered whole), then the running maximum over
        messages (the feed is one ordered stream).
    method : str
        How it was computed, for the report.

    Raises
    ------
    DataError
        A recorded ``local_ts`` before its ``exch_ts`` (the engine refuses to deliver
        that event too), naming the event index.
    """
    feed = config.latency.feed
    exch = np.ascontiguousarray(events["exch_ts"], dtype=np.int64)
    if feed.kind == "constant":
        arrival = exch + np.int64(feed.ns)
        method = f"constant feed {feed.describe()}: exch_ts + {int(feed.ns)} ns, in numpy"
    elif feed.kind == "recorded":
        arrival = np.ascontiguousarray(events["local_ts"], dtype=np.int64)
        bad = np.flatnonzero(arrival < exch)
        if bad.size:
            i = int(bad[0])
            err = DataError(f"look-ahead audit: event {i}: local_ts {int(arrival[i])} is before exch_ts "
                            f"{int(exch[i])}; a recorded feed cannot deliver it")
            err.index = i
            raise err
        arrival = arrival + np.int64(feed.offset_ns)  # the engine checked the bound (one day in all)
        off = int(feed.offset_ns)
        method = ("recorded feed: each event's local_ts, in numpy" if not off else
                  f"recorded feed + {format_ns(off)}: each event's local_ts + {off} ns, in numpy")
    else:
        model = _engine.LogNormalLatencyModel(float(feed.median_ns), float(feed.sigma), int(feed.min_ns))
        arrival = np.asarray(_engine.feed_deliveries(np.ascontiguousarray(events), model, _seed(config)))
        method = (f"lognormal feed {feed.describe()} with seed {int(config.latency.seed)}: drawn again by a fresh "
                  "model outside the pass (mmsim._engine.feed_deliveries)")
    if not arrival.size:
        return arrival, method
    # Each venue message (consecutive events at one exch_ts) at its latest arrival, then the running maximum.
    starts = np.flatnonzero(np.r_[True, exch[1:] != exch[:-1]])
    per_message = np.maximum.accumulate(np.maximum.reduceat(arrival, starts))
    delivery = np.repeat(per_message, np.diff(np.r_[starts, arrival.size]))
    return delivery, method + "; each venue message at its latest arrival; running maximum"


@dataclass
class LookAheadAudit:
    """What :func:`audit_look_ahead` found.

    Attributes
    ----------
    ran : bool
        False when the run has no decision log (``reason`` says why).
    n_decisions : int
        Decisions audited.
    n_violations : int
        Decisions that failed at least one check, plus one per run-wide check failed.
    counts : dict of str to int
        Failures by check (``CHECKS`` and ``calls``, ``orders``).
    violations : list of dict
        The first ``MAX_LISTED``: ``decision`` (index or None), ``check``, ``message``.
    method : str
        How the delivery times were recomputed.
    reason : str or None
        Why the audit did not run.
    """

    ran: bool
    n_decisions: int = 0
    n_violations: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    method: str = ""
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """The audit ran and found nothing."""
        return self.ran and self.n_violations == 0

    def line(self) -> str:
        """``look-ahead audit: N decisions, 0 violations`` (or why it did not run)."""
        if not self.ran:
            return f"look-ahead audit: not run ({self.reason})"
        v = self.n_violations
        return f"look-ahead audit: {self.n_decisions:,} decisions, {v:,} violation{'' if v == 1 else 's'}"

    def to_dict(self) -> dict[str, Any]:
        """The report.json section ``look_ahead_audit``."""
        return {"ran": self.ran, "ok": self.ok, "n_decisions": self.n_decisions, "n_violations": self.n_violations,
                "counts": dict(self.counts), "violations": list(self.violations), "method": self.method,
                "reason": self.reason, "line": self.line()}


def _ns(t: int) -> str:
    return f"{int(t):,} ns"


def audit_look_ahead(result: Any, events: Any, *, bbo: Any = None) -> LookAheadAudit:
    """Audit a run for look-ahead against its events, independently of the engine's bookkeeping.

    Parameters
    ----------
    result : mmsim.Result
        The run (``decisions``, ``orders``, ``n_calls`` and ``config`` are read).
    events : ndarray of EVENT_DTYPE or EventStore
        The events the run replayed.
    bbo : mapping of arrays, optional
        :func:`mmsim.replay_bbo` of ``events``, when the caller has it already (a
        report passes its own; a sweep replays each store's book once). Default:
        replayed here.

    Returns
    -------
    LookAheadAudit
        ``ran`` is False when the run has no decision log (``decision_log: false``,
        or a run saved before it existed) or no strategy calls.

    Raises
    ------
    DataError
        Unsorted events (from the book replay), or a recorded feed that cannot deliver an event.

    Notes
    -----
    The checks and the delivery-time formulas are in the module docstring and in
    docs/reports.md ("Look-ahead audit").
    """
    if hasattr(events, "events") and hasattr(events, "meta"):
        events = events.events
    events = np.asarray(events)
    dec = getattr(result, "decisions", None)
    n_calls = int(getattr(result, "n_calls", 0) or 0)
    config = getattr(result, "config", None)
    if dec is None or (len(dec) == 0 and n_calls > 0):
        return LookAheadAudit(ran=False, reason=NO_LOG)
    if len(dec) == 0:
        return LookAheadAudit(ran=False, reason="the run made no strategy calls")
    if config is None:
        return LookAheadAudit(ran=False, reason="the result carries no config (its feed latency is unknown)")
    n = int(events.shape[0])
    delivery, method = feed_delivery_times(events, config)
    exch = np.ascontiguousarray(events["exch_ts"], dtype=np.int64)
    if bbo is None:
        bbo = exit_guarded(lambda control: _engine.replay_bbo(np.ascontiguousarray(events), control))
    elif len(bbo["best_bid"]) != n:
        raise DataError(f"look-ahead audit: the replayed book holds {len(bbo['best_bid'])} events, the event "
                        f"array {n}")
    bid, ask = np.asarray(bbo["best_bid"]), np.asarray(bbo["best_ask"])

    counts = dict.fromkeys(CHECKS, 0)
    n_bad = 0
    violations: list[dict[str, Any]] = []
    t_all = dec["local_ts"]  # (a view of the log: the checks go over it a chunk at a time, fix30d)
    for lo in range(0, len(dec), _CHUNK):
        fail, got, expected = _checks(dec[lo:lo + _CHUNK], int(t_all[lo - 1]) if lo else None, n, delivery, exch,
                                      bid, ask)
        bad_any = np.zeros(len(got), dtype=bool)
        for k, v in fail.items():
            counts[k] += int(v.sum())
            bad_any |= v
        n_bad += int(bad_any.sum())
        for j in np.flatnonzero(bad_any)[:MAX_LISTED - len(violations)].tolist():
            for check in CHECKS:
                if fail[check][j]:
                    violations.append({"decision": lo + j, "check": check,
                                       "message": _message(check, lo + j, dec[lo + j], int(got[j]), int(expected[j]),
                                                           delivery, exch, bid, ask, t_all)})
                    break
    run_wide = _run_wide(dec, n_calls, getattr(result, "orders", None))
    for check, message in run_wide:
        counts[check] = counts.get(check, 0) + 1
        if len(violations) < MAX_LISTED:
            violations.append({"decision": None, "check": check, "message": message})
    counts.setdefault("calls", 0)
    counts.setdefault("orders", 0)
    return LookAheadAudit(ran=True, n_decisions=int(len(dec)), n_violations=n_bad + len(run_wide),
                          counts=counts, violations=violations, method=method)


def _checks(dec: np.ndarray, t_before: int | None, n: int, delivery: np.ndarray, exch: np.ndarray,
            bid: np.ndarray, ask: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The per-decision checks of consecutive log rows ``dec`` (``t_before``: the local time of the row before
    them, None for the first): each check's failures, the logged newest event and the expected one."""
    t = np.asarray(dec["local_ts"], dtype=np.int64)
    e = np.asarray(dec["event_index"], dtype=np.int64)
    expected = np.searchsorted(delivery, t, side="right") - 1  # the last event delivered by t (ties: seen)
    in_range = (e >= -1) & (e < n)
    ek = np.clip(e, 0, max(n - 1, 0))
    got = np.where(e >= 0, ek, -1)
    exp_k = np.clip(expected, 0, max(n - 1, 0))
    want_bid = np.where(expected >= 0, bid[exp_k] if n else INT64_MIN, INT64_MIN)
    want_ask = np.where(expected >= 0, ask[exp_k] if n else INT64_MAX, INT64_MAX)
    want_exch = np.where(e >= 0, exch[ek] if n else INT64_MIN, INT64_MIN)
    want_local = np.where(e >= 0, delivery[ek] if n else INT64_MIN, INT64_MIN)
    earlier = np.empty(len(t), dtype=bool)
    if len(t):
        earlier[0] = t_before is not None and int(t[0]) < t_before
        earlier[1:] = t[1:] < t[:-1]
    fail = {
        "look_ahead": ~in_range | (e > expected),
        "missing": in_range & (e < expected),
        "timestamps": in_range & ((dec["event_exch_ts"] != want_exch) | (dec["event_local_ts"] != want_local)),
        "book": (dec["best_bid"] != want_bid) | (dec["best_ask"] != want_ask),
        "clock": earlier,
    }
    return fail, got, expected


def _message(check: str, k: int, d: Any, got: int, expected: int, delivery: np.ndarray, exch: np.ndarray,
             bid: np.ndarray, ask: np.ndarray, t: np.ndarray) -> str:
    at = f"decision {k} at local time {_ns(int(d['local_ts']))}"
    n = delivery.size
    if check == "look_ahead":
        if not -1 <= int(d["event_index"]) < n:
            return f"{at}: its newest event {int(d['event_index'])} is not in the event array (0..{n - 1})"
        return (f"{at}: its view holds event {got} (exch_ts {_ns(exch[got])}), which arrived at "
                f"{_ns(delivery[got])}, {_ns(delivery[got] - int(d['local_ts']))} after the decision; the last "
                f"event delivered by then is {expected}")
    if check == "missing":
        return (f"{at}: event {expected} arrived at {_ns(delivery[expected])} but the newest event in its view is "
                f"{got}")
    if check == "timestamps":
        return (f"{at}: logged event {got} with exch_ts {_ns(int(d['event_exch_ts']))} delivered at "
                f"{_ns(int(d['event_local_ts']))}; the events say exch_ts {_ns(exch[got])} delivered at "
                f"{_ns(delivery[got])}" if got >= 0 else
                f"{at}: no event in its view but logged times {int(d['event_exch_ts'])}, {int(d['event_local_ts'])}")
    if check == "book":
        wb = int(bid[expected]) if expected >= 0 else INT64_MIN
        wa = int(ask[expected]) if expected >= 0 else INT64_MAX
        return (f"{at}: its view's best bid/ask {int(d['best_bid'])}/{int(d['best_ask'])} ticks; the book after "
                f"the last event delivered ({expected}) is {wb}/{wa}")
    return f"{at}: earlier than decision {k - 1} at {_ns(int(t[k - 1]))}"


def _run_wide(dec: np.ndarray, n_calls: int, orders: Any) -> list[tuple[str, str]]:
    """The log has a row per call; every order-log row names a logged decision; sends happen at its time."""
    out: list[tuple[str, str]] = []
    if n_calls and len(dec) != n_calls:
        out.append(("calls", f"the decision log has {len(dec):,} rows but the run made {n_calls:,} strategy calls"))
    if orders is None or len(orders) == 0 or "decision" not in (orders.dtype.names or ()):
        return out
    d = np.asarray(orders["decision"], dtype=np.int64)
    bad = np.flatnonzero((d < 0) | (d >= len(dec)))
    if bad.size:
        j = int(bad[0])
        out.append(("orders", f"order-log row {j} names decision {int(d[j])}, which is not in the log "
                              f"(0..{len(dec) - 1}); {bad.size:,} rows do"))
        return out
    sent = np.isin(orders["event"], [int(OrderEvent.SENT), int(OrderEvent.CANCEL_SENT)])
    late = np.flatnonzero(sent & (orders["local_ts"] != dec["local_ts"][d]))
    if late.size:
        j = int(late[0])
        out.append(("orders", f"order-log row {j} ({OrderEvent(int(orders['event'][j])).name}) was sent at local "
                              f"time {_ns(int(orders['local_ts'][j]))} but names decision {int(d[j])} at "
                              f"{_ns(int(dec['local_ts'][d[j]]))}; {late.size:,} rows do"))
    return out
