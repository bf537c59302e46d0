"""What a report was computed from: the run's data, strategy, engine settings, mmsim version and config digest.

Every report states what was run (``report.json``'s ``setup``, the terminal's
header table, the HTML's first table), so two reports of different runs can
never be told apart only by their numbers. The source is the run description
(:class:`mmsim.RunConfig`, ``result.run_config``) when the run came from one
(``mmsim run``, sweeps, :func:`mmsim.runner.run_config`); a bare
:func:`mmsim.run` knows its strategy by label only, and its digest covers the
engine config, that label and the events' identity (docs/reports.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config, LatencyModel, RunConfig, format_ns
from ..data._identity import MAYBE_BAD, QUIRK, THROUGH, TIME_JUMP, jump_words
from ..errors import DataError
from ..events import DIGEST_KEY
from ._format import format_span
from ._level_n import REPAIRS, level_n_repairs, repairs_label

__all__ = ["FUTURES_VENUES", "MULTIPLIER_ADVICE", "contract_label", "contract_of", "describe_setup", "fees_label",
           "identity_keys", "implied_label", "implied_note", "latency_label", "queue_label", "setup_rows", "through_label",
           "through_warning", "units_warning"]


#: Keys of a store's meta.json that identify the data a run replayed (a report and
#: ``mmsim compare`` refuse events whose identity differs from the run's).
IDENTITY_KEYS: tuple[str, ...] = ("symbol", "venue", "format", "source", "levels", "event_count",
                                  "first_exch_ts", "last_exch_ts", "tick_size", "lot_size")
#: Where the events came from: the same events from another file (a store exported to ``.npz`` and imported back)
#: differ here only. Two stores that both carry a content digest (``events_digest``) are told apart by it instead.
PROVENANCE_KEYS = ("format", "source")


def identity_keys(meta_a: Mapping[str, Any], meta_b: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of two stores' meta.json that tell their data apart: :data:`IDENTITY_KEYS`, or, when both carry a
    content digest (stores written since npz16), those but :data:`PROVENANCE_KEYS`, then the digest: equal
    digests are the same events, event for event, whatever file they came from; the symbol, sizes and levels still
    say what their numbers mean. A store written before the digest keeps the old keys (docs/compare.md)."""
    if isinstance(meta_a.get(DIGEST_KEY), str) and isinstance(meta_b.get(DIGEST_KEY), str):
        return (*(k for k in IDENTITY_KEYS if k not in PROVENANCE_KEYS), DIGEST_KEY)
    return IDENTITY_KEYS


def implied_note(meta_a: Mapping[str, Any], meta_b: Mapping[str, Any], names: tuple[str, str]) -> str:
    """What a refusal adds when one store's book is trade-implied and the other's is not (``""`` otherwise): the
    two replay different books of the same market (docs/data.md, "A trade-implied book")."""
    has = [isinstance((m.get("quirks") or {}).get("trade_implied_book"), Mapping) for m in (meta_a, meta_b)]
    if has[0] == has[1]:
        return ""
    which, other = (names[0], names[1]) if has[0] else (names[1], names[0])
    return (f"; run {which}'s store has a trade-implied book and run {other}'s does not (meta.json "
            "quirks.trade_implied_book): two books of one market, not one set of events; compare each run with a "
            "baseline on its own store (docs/data.md, \"A trade-implied book\")")


def _dur(ns: int) -> str:
    return "0" if ns == 0 else format_ns(int(ns))


def latency_label(model: LatencyModel) -> str:
    """``constant 1ms``, ``recorded``, ``recorded + 5ms``, ``lognormal(1ms, 0.5)`` or ``lognormal(1ms, 0.5, min 100us)``."""
    if model.kind == "recorded":
        return model.describe()
    if model.kind == "lognormal":
        floor = f", min {_dur(model.min_ns)}" if model.min_ns else ""
        return f"lognormal({_dur(model.median_ns)}, {model.sigma:g}{floor})"
    return f"constant {_dur(model.ns)}"


def queue_label(config: Config, levels: Any = None, repairs: Any = None) -> str:
    """``risk_averse``, ``power(2)`` or ``log``; on L3 data the exact FIFO that replaces them; on an L3 store whose
    loader repaired a level-N book (``repairs``: :func:`._level_n.level_n_repairs`), FIFO over the messages, not exact
    (breaker35 F5)."""
    q = config.queue
    name = f"power({q.power:g})" if q.model == "power" else q.model
    if str(levels).upper() == "L3" and repairs:
        return (f"FIFO over the messages, level-N repairs approximate (L3 data from a level-N file: positions at levels "
                f"the loader seeded or reset, and away from the best, are not the venue's; the L2 model {name} is not "
                "used)")
    if str(levels).upper() == "L3":
        return f"exact FIFO (L3 data; the L2 model {name} is not used)"
    return name


def fees_label(config: Config) -> str:
    """``maker -0.5 bps, taker 7 bps`` (with per-lot parts when set); ``none`` when every fee is zero.

    ``(negative: a rebate)`` follows only when some fee is negative.
    """
    f = config.fees

    def side(bps: float, per_lot: float) -> str:
        parts = [f"{bps:g} bps"] if bps or not per_lot else []
        if per_lot:
            parts.append(f"{per_lot:g}/lot")
        return " + ".join(parts)

    if not (f.maker_bps or f.taker_bps or f.maker_per_lot or f.taker_per_lot):
        return "none"
    text = f"maker {side(f.maker_bps, f.maker_per_lot)}, taker {side(f.taker_bps, f.taker_per_lot)}"
    if min(f.maker_bps, f.taker_bps, f.maker_per_lot, f.taker_per_lot) < 0:
        text += " (negative: a rebate)"
    return text


#: Venues (a store's ``meta.json`` ``venue``: the Databento loader records the DBN file's dataset) whose
#: instruments are futures with a multiplier a loader cannot know: a run with per-lot fees there and
#: ``contract_size`` left at 1 gets :func:`units_warning`. Each is a Databento dataset ID, checked against
#: Databento's venue pages (https://databento.com/docs/venues-and-datasets/glbx-mdp3, .../ifeu-impact,
#: .../ifus-impact, .../ifll-impact, .../ndex-impact, .../xeur-eobi) and the dbn crate's ``Dataset`` enum
#: (https://docs.rs/dbn/latest/dbn/enum.Dataset.html).
FUTURES_VENUES: tuple[str, ...] = ("GLBX.MDP3", "IFEU.IMPACT", "IFUS.IMPACT", "IFLL.IMPACT", "NDEX.IMPACT",
                                   "XEUR.EOBI")

#: How :func:`units_warning` tells where to find a venue's multiplier, each example checked against the exchange:
#: ES, 50 USD per index point (the ESH4 example); ICE Brent Crude futures (symbol B, ICE Futures Europe, whose
#: dataset is IFEU.IMPACT), 1,000 barrels priced in USD per barrel (https://www.ice.com/products/219);
#: EURO STOXX 50 Index Futures (FESX), EUR 10 per index point
#: (https://www.eurex.com/ex-en/markets/productSearch/product!DE0009652388). The other ICE datasets get the
#: concept only.
_ICE_ADVICE = ("ICE's contract size for the product, in its contract specifications: the quantity one lot holds, "
               "in the unit the price is quoted per")
MULTIPLIER_ADVICE: dict[str, str] = {
    "GLBX.MDP3": "examples/esh4_mbo.yaml sets 50 for ES, $50 per index point",
    "IFEU.IMPACT": f"{_ICE_ADVICE}; Brent Crude futures (B) are 1,000 barrels priced in USD per barrel: "
                   "contract_size 1000",
    "IFUS.IMPACT": _ICE_ADVICE,
    "IFLL.IMPACT": _ICE_ADVICE,
    "NDEX.IMPACT": _ICE_ADVICE,
    "XEUR.EOBI": "Eurex's contract value per index point (or per price unit) in the product's specifications; "
                 "EURO STOXX 50 Index Futures (FESX) are EUR 10 per index point: contract_size 10",
}


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def contract_of(result: Any) -> dict[str, float | None]:
    """``tick_size``, ``lot_size``, ``contract_size`` and ``tick_value`` (quote currency per tick per lot) of a run."""
    return {k: _num(getattr(result, k, None)) for k in ("tick_size", "lot_size", "contract_size", "tick_value")}


def contract_label(c: Mapping[str, Any]) -> str | None:
    """``tick 0.25 × contract_size 50 = 12.5 quote currency per tick per lot`` (None without the sizes)."""
    if c.get("tick_value") is None or c.get("contract_size") is None:
        return None
    lot = "" if c.get("lot_size") in (None, 1.0) else f" × lot {c['lot_size']:g}"
    tick = "" if c.get("tick_size") is None else f"tick {c['tick_size']:g}{lot} × "
    return f"{tick}contract_size {c['contract_size']:g} = {c['tick_value']:g} quote currency per tick per lot"


def units_warning(result: Any, cfg: Any, meta: Mapping[str, Any]) -> str | None:
    """The warning of a futures run whose PnL parts and fees are in different units, else None.

    Per-lot fees are quote currency; spread capture and inventory are price × lots ×
    ``contract_size``. With ``contract_size`` left unset (the store's 1) on a venue of
    :data:`FUTURES_VENUES`, the parts are index points × lots and the total mixes them.
    Fees in bps scale with ``contract_size`` as the parts do (one unit, no warning); a
    ``contract_size`` written in the config, 1 included, is the user's word.
    """
    venue = str(meta.get("venue") or "")
    fees = getattr(cfg, "fees", None)
    if venue not in FUTURES_VENUES or fees is None or getattr(cfg, "contract_size", None) is not None:
        return None
    if _num(getattr(result, "contract_size", None)) != 1.0 or not (fees.maker_per_lot or fees.taker_per_lot):
        return None
    return (f"contract_size is 1 (not set in the config) on {venue} data, a futures venue, with per-lot fees "
            f"(maker {fees.maker_per_lot:g}/lot, taker {fees.taker_per_lot:g}/lot): the spread capture and "
            f"inventory PnL are in price units × lots while the fees are in quote currency, so the PnL total "
            f"mixes units. Set contract_size in the config to the contract's multiplier "
            f"({MULTIPLIER_ADVICE[venue]})")


def _params_text(params: Mapping[str, Any]) -> str:
    """``half_spread=1, max_position=1000, size=100``: by name, so the header reads the same whether it comes from
    the config as written (``mmsim run``) or from the saved result.json, whose keys are sorted (``mmsim report``;
    breaker35 F7: the two printed the same run's parameters in two orders)."""
    return ", ".join(f"{k}={_plain(params[k])}" for k in sorted(params))


def _plain(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, default=str)
    return str(v)


def _ts(ns: int) -> str:
    return str(np.datetime64(int(ns), "ns"))[:23].replace("T", " ")


#: An opening snapshot this long or more before the first market event is set apart in the header.
SNAPSHOT_GAP_NS = 60_000_000_000


def market_start(snapshot: Mapping[str, Any], t_start: int) -> int:
    """Where the header's span starts: the first event after an opening snapshot set apart
    (:data:`SNAPSHOT_GAP_NS` or more before it, as a Databento day's 00:00 book), else ``t_start``.

    ``snapshot`` is :func:`opening_snapshot`'s dict. The inventory figures (``mean_abs``,
    ``mean``, ``time_at_limit``) are time-weighted over the same span.
    """
    snap, start = snapshot.get("snapshot_ts"), snapshot.get("market_start_ts")
    return int(start) if snap is not None and start is not None and start - snap >= SNAPSHOT_GAP_NS else int(t_start)


def opening_snapshot(events: Any) -> dict[str, Any]:
    """``snapshot_ts``, ``snapshot_events`` and ``market_start_ts`` of events that open with a snapshot.

    A snapshot is a ``CLEAR`` and the book it lists at one time (a Databento day's 00:00 book, a
    LOBSTER file's first row); ``market_start_ts`` is the first event after it and after any
    snapshots straight after it (a snapshot-only Sunday file converted with Monday's: Monday's
    00:00 book is not the market's start). ``snapshots`` and
    ``snapshots_events`` count every snapshot in the events, the opening one included (a second
    Databento day's 00:00 book). All None when the events do not open with a ``CLEAR``, or hold
    nothing after it.
    """
    from ..events import Kind

    none = {"snapshot_ts": None, "snapshot_events": None, "market_start_ts": None, "snapshots": None,
            "snapshots_events": None}
    if events is None or len(events) == 0 or int(events["kind"][0]) != int(Kind.CLEAR):
        return none
    ts = events["exch_ts"]
    # Each snapshot: its CLEAR and the events at the CLEAR's time after it (the opening one's first).
    clears = np.flatnonzero(np.asarray(events["kind"]) == int(Kind.CLEAR))
    ends = np.searchsorted(ts, ts[clears], side="right")
    n = int(ends[0])
    for c, e in zip(clears[1:], ends[1:]):  # snapshots straight after it open the data too
        if c != n:
            break
        n = int(e)
    if n >= len(ts):
        return none
    return {"snapshot_ts": int(ts[0]), "snapshot_events": n, "market_start_ts": int(ts[n]),
            "snapshots": int(len(clears)), "snapshots_events": int((ends - clears).sum())}


def not_trading(events: Any, t0: int, t1: int) -> list[dict[str, Any]]:
    """The stretches of ``[t0, t1]`` the venue was not trading, from the events' ``STATUS`` events.

    Returns
    -------
    list of dict
        ``from_ts``, ``to_ts`` (ns) and ``status`` (``HALTED`` or ``QUOTING``: a pre-open or a
        quotation-only phase) of each, in time order; the status after every event at a time
        holds until the next change (a replay starts in ``TRADING``). Empty without ``STATUS``
        events or when trading throughout.
    """
    from ..events import TradingStatus
    from .presence import status_steps

    steps = status_steps(events, t0, t1)
    if steps is None:
        return []
    changes = [(int(t), int(c)) for t, c in zip(*steps)]
    out: list[dict[str, Any]] = []
    for k, (t, c) in enumerate(changes):
        end = changes[k + 1][0] if k + 1 < len(changes) else t1
        if c != int(TradingStatus.TRADING) and end > t:
            if out and out[-1]["to_ts"] == t:  # HALTED then QUOTING: one stretch, named by its first status
                out[-1]["to_ts"] = end
                continue
            out.append({"from_ts": t, "to_ts": end, "status": TradingStatus(c).name})
    return out




def run_quirks(result: Any, store: Any = None) -> dict[str, Any]:
    """The quirks a report shows (``trade_implied_book``, ``prints_through_book``, ``maybe_bad_book``,
    ``time_jump_at_end``: each its value
    or None): an event store's ``meta.json``'s, when the report is given the store the run replayed (``store``, opened from ``path``, its
    meta.json checked as :func:`mmsim.load` checks it), else the copy in the result's ``meta`` (a saved result's is
    checked by the same rules where :meth:`mmsim.Result.load` reads it). A copy that is there must be the store's:
    one hand-edited (``"count": 99`` in result.json) was shown as the run's data (fix26a). A copy without the key (a
    run saved before the quirk was recorded) shows the store's. Raises DataError naming the result's file
    (``result.json: meta.quirks.prints_through_book.count is 99, but STORE/meta.json says 1``) and the store's."""
    mine = (getattr(result, "meta", None) or {}).get("quirks")
    mine = mine if isinstance(mine, Mapping) else {}
    theirs = getattr(store, "meta", None) if getattr(store, "path", None) is not None else None
    if not isinstance(theirs, Mapping) or not isinstance(theirs.get("quirks"), Mapping):
        return {**{k: mine.get(k) for k in (QUIRK, THROUGH, MAYBE_BAD, TIME_JUMP)}, REPAIRS: level_n_repairs(mine)}
    meta_path = Path(store.path) / "meta.json"
    saved = getattr(result, "saved_as", None)
    out: dict[str, Any] = {}
    for key in (QUIRK, THROUGH, MAYBE_BAD, TIME_JUMP):
        a, b = mine.get(key), theirs["quirks"].get(key)
        if key in mine and a != b:
            name = f"{saved}: meta.quirks.{key}" if saved else f"the result's meta: quirks.{key}"
            if isinstance(a, Mapping) and isinstance(b, Mapping):
                k = next(k for k in sorted({*a, *b}, key=str) if a.get(k) != b.get(k))
                name, a, b = f"{name}.{k}", a.get(k, "missing"), b.get(k, "missing")
            says = f"says {b!r}" if b is not None else "has none"
            raise DataError(f"{name} is {a!r}, but {meta_path} {says}: the run's copy of its store's quirks is not "
                            "the store's (one of the two edited by hand); report the run with the store it replayed, "
                            "or run it again")
        out[key] = b
    out[REPAIRS] = level_n_repairs(theirs["quirks"])  # a LOBSTER level-N store's book repairs (breaker35 F5)
    return out


def describe_setup(result: Any, *, t_start: int, t_end: int, n_events: int, version: str,
                   events: Any = None, event_store: Any = None) -> dict[str, Any]:
    """The ``setup`` section of report.json: everything needed to say (and redo) what was run.

    Parameters
    ----------
    result : mmsim.Result or an object with ``config``, ``meta``, ``strategy`` and ``run_config``
    t_start, t_end : int
        Exchange time of the first and last replayed event, ns.
    n_events : int
        Events replayed.
    version : str
        mmsim's version.
    events : ndarray, optional
        The events replayed: whether they open with a snapshot (:func:`opening_snapshot`).
    event_store : EventStore, optional
        The store the run replayed, when the report is given it: its quirks are the report's (:func:`run_quirks`).

    Returns
    -------
    dict
        ``data`` (``store``, ``symbol``, ``venue``, ``levels``, ``start_ts``,
        ``end_ts``, ``span_s``, ``n_events``; ``snapshot_ts``, ``snapshot_events``,
        ``market_start_ts``, ``snapshots`` and ``snapshots_events`` of an opening snapshot, else None;
        ``not_trading``: the stretches of the market's span the venue was not trading,
        :func:`not_trading`), ``strategy`` (``label``,
        ``path``, ``params``; path and params null for a bare run), ``latency``
        (``feed``, ``entry``, ``response`` as labels, ``seed``), ``queue``,
        ``fees`` (label), ``contract`` (``tick_size``, ``lot_size``, ``contract_size``,
        ``tick_value``: quote currency per tick per lot; None where the result has none), ``post_only``, ``decide_every`` (label or null),
        ``max_idle`` (label), ``max_orders``, ``ladder_levels``, ``partial`` (the run
        stopped before the end of the data) and ``stop_reason`` (why, or null),
        ``mmsim_version``, ``config_digest`` (12 hex digits),
        ``digest_of`` (``"run config"`` or ``"engine config, strategy label and events"``),
        ``config`` (the resolved config as a flat mapping) and ``result_digest``
        (12 hex digits of the fills and order log, byte for byte; None without them).
    """
    job = getattr(result, "run_config", None)
    job = job if isinstance(job, RunConfig) else None
    cfg = job.engine if job is not None else getattr(result, "config", None)
    if not isinstance(cfg, Config):
        cfg = Config()
    meta = dict(getattr(result, "meta", None) or {})
    store = meta.get("store") or (job.data if job is not None and job.data else None)
    label = str(getattr(result, "strategy", "") or "")
    if job is not None:
        path = job.strategy.path
        params: dict[str, Any] | None = dict(job.strategy.params)
        if not label:
            label = path.rpartition(":")[2] or path
    else:
        path, params = None, None
    data = {
        "store": None if store is None else str(store),
        "symbol": meta.get("symbol"),
        "venue": meta.get("venue"),
        "levels": meta.get("levels"),
        # the store's book moved by prints (mmsim.data.implied; docs/data.md, "A trade-implied book"): its counts;
        # TRADE prints far through the book, which fill resting orders as any print (docs/data.md, "Prints through
        # the book"): the store's when it is given (run_quirks; fix26a)
        **run_quirks(result, event_store),
        "start_ts": int(t_start),
        "end_ts": int(t_end),
        "span_s": (int(t_end) - int(t_start)) / 1e9,
        "n_events": int(n_events),
        **opening_snapshot(events),
    }
    data["not_trading"] = not_trading(events, market_start(data, int(t_start)), int(t_end))
    if job is not None:
        plain = job.to_dict()
        plain.pop("output", None)
        digest, digest_of = job.digest(), "run config"
    else:
        plain = cfg.to_dict()
        # No run description: the engine config, the strategy's label and the events' identity.
        ident = {"config": plain, "strategy": label,
                 "data": {k: data[k] for k in ("store", "symbol", "start_ts", "end_ts", "n_events")}}
        text = json.dumps(ident, sort_keys=True, default=str, separators=(",", ":"))
        digest, digest_of = hashlib.sha256(text.encode()).hexdigest()[:12], "engine config, strategy label and events"
    lat = cfg.latency
    return {
        "partial": bool(getattr(result, "partial", False)),
        "stop_reason": getattr(result, "stop_reason", None) if getattr(result, "partial", False) else None,
        "result_digest": _records_digest(result),
        "data": data,
        "strategy": {"label": label or None, "path": path, "params": params},
        "latency": {"feed": latency_label(lat.feed), "entry": latency_label(lat.entry),
                    "response": latency_label(lat.response), "seed": int(lat.seed)},
        "queue": queue_label(cfg, meta.get("levels"), data.get(REPAIRS)),
        "fees": fees_label(cfg),
        "contract": contract_of(result),
        "post_only": bool(cfg.post_only),
        "decide_every": None if cfg.decide_every is None else _dur(cfg.decide_every),
        "max_idle": _dur(cfg.max_idle),
        "max_orders": int(cfg.max_orders),
        "ladder_levels": int(cfg.ladder_levels),
        "mmsim_version": version,
        "config_digest": digest,
        "digest_of": digest_of,
        "config": plain,
    }


def _records_digest(result: Any) -> str | None:
    """12 hex digits of a hash of the run's fills and order log, byte for byte (None without them).

    Two runs that did anything differently have different digests, whether or
    not their configs could tell them apart (a bare ``mmsim.run`` records its
    strategy's label, not its parameters).
    """
    h = hashlib.blake2b(digest_size=6)
    seen = False
    for name in ("fills", "orders"):
        arr = getattr(result, name, None)
        if isinstance(arr, np.ndarray):
            seen = True
            h.update(name.encode())
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest() if seen else None


def trading_text(stretches: list[Mapping[str, Any]], span: int, *, dated: bool = False) -> str:
    """The header's ``trading`` row: ``not trading 1h00m of the 2h00m: QUOTING (pre-open or quotes only)
    22:00:00.180 → 23:00:00.000 (1h00m)``; the first three stretches, each with its length, then how many more.
    A stretch's end carries its date when it is not its start's (a halt of a day and a minute read as one of
    a minute). ``dated``: the span covers more than one UTC date, so each stretch's start carries its date
    too (two days' pre-opens, ``22:00:00.180 → 23:00:00.000`` and ``00:00:00.000 → 23:00:00.000``, read as
    overlapping)."""
    off = sum(int(s["to_ts"]) - int(s["from_ts"]) for s in stretches)
    what = {"QUOTING": "QUOTING (pre-open or quotes only)", "HALTED": "HALTED"}

    def one(s: Mapping[str, Any]) -> str:
        a, b = _ts(int(s["from_ts"])), _ts(int(s["to_ts"]))
        end = b[11:] if a[:10] == b[:10] else b
        return (f"{what.get(s['status'], s['status'])} {a if dated else a[11:]} → {end} "
                f"({format_span(int(s['to_ts']) - int(s['from_ts']))})")

    shown = [one(s) for s in stretches[:3]]
    more = f"; and {len(stretches) - 3} more" if len(stretches) > 3 else ""
    return (f"not trading {format_span(off)} of the {format_span(span)}: " + "; ".join(shown) + more
            + " (nothing fills there; quote presence counts trading time only)")


def implied_label(quirk: Any) -> str | None:
    """The words for a store whose book is trade-implied (its ``quirks.trade_implied_book``: the counts of
    :func:`mmsim.data.implied.trade_implied_events`), else None; the report's data row and ``mmsim convert``."""
    if not isinstance(quirk, Mapping):
        return None
    return (f"book trade-implied (prints hid {quirk.get('hidden', 0):,} and reduced {quirk.get('reduced', 0):,} "
            "levels until the side's next depth update: docs/data.md, \"A trade-implied book\")")


def through_label(quirk: Any) -> str | None:
    """The words for a store with TRADE prints through the book (its ``quirks.prints_through_book``:
    :func:`mmsim.data._store_write.through_book_quirk`), else None: the report's data row."""
    if not isinstance(quirk, Mapping) or not isinstance(quirk.get("count"), int) or quirk["count"] <= 0:
        return None
    n, band = quirk["count"], quirk.get("band")
    pct = f"{band:.0%}" if isinstance(band, (int, float)) else "10%"
    what = " dropped" if quirk.get("dropped") is True else ", which can fill resting orders"  # dropped: drop26
    return f"{n:,} trade print{'' if n == 1 else 's'} more than {pct} through the book{what} (quirks.prints_through_book)"


def maybe_bad_label(quirk: Any) -> str | None:
    """The words for a Databento store with records flagged ``F_MAYBE_BAD_BOOK`` (its ``quirks.maybe_bad_book``:
    ``{"count": n, "at": "FILE: record N"}`` of the first), else None: the report's data row and ``mmsim convert``'s
    warning (docs/data.md, "Databento")."""
    if not isinstance(quirk, Mapping) or not isinstance(quirk.get("count"), int) or quirk["count"] <= 0:
        return None
    n = quirk["count"]
    return (f"{n:,} record{'' if n == 1 else 's'} flagged F_MAYBE_BAD_BOOK by Databento (an unrecoverable gap in the "
            f"venue's channel: the book may be wrong from there until a clear or snapshot rebuilds it; the first: "
            f"{quirk.get('at')}) (quirks.{MAYBE_BAD})")


def through_warning(quirk: Any) -> str | None:
    """The line ``mmsim convert`` prints for a store with TRADE prints through the book: :func:`through_label` and
    where the first one is (its source position, event index, price and the best price it went through). Dropped
    (``"dropped": true``): the index is of the events before the drop, and says so."""
    label = through_label(quirk)
    if label is None:
        return None
    side, price, best = quirk.get("side"), quirk.get("price"), quirk.get("best")
    below = side == -1 or (side == 0 and (quirk.get("price_ticks") or 0) < (quirk.get("best_ticks") or 0))
    what = {-1: "a sell", 1: "a buy"}.get(side, "a print (aggressor unknown)")
    event = f"event {quirk.get('event')}{' before the drop' if quirk.get('dropped') is True else ''}"
    at = f"{quirk['at']} ({event})" if quirk.get("at") else event
    return (f"warning: {label[:label.index(' (quirks.')]}; the first: {at}, {what} at {price} with the best "
            f"{'bid' if below else 'ask'} at {best} (quirks.prints_through_book; docs/data.md \"Prints through the book\")")


def setup_rows(setup: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The setup as (label, text) rows, for the terminal header and the HTML."""
    d = setup["data"]
    what = " ".join(str(x) for x in (d.get("symbol"), d.get("venue"), d.get("levels")) if x)
    span = f"{_ts(d['start_ts'])} → {_ts(d['end_ts'])} UTC ({format_span(d['end_ts'] - d['start_ts'])})"
    data = f"{what + ', ' if what else ''}{span}, {d['n_events']:,} events"
    snap, start = d.get("snapshot_ts"), d.get("market_start_ts")
    if snap is not None and start is not None and market_start(d, d["start_ts"]) == start:
        # A day that opens with the venue's book at midnight: its span is not the trading's.
        # Later snapshots (a second day's 00:00 book) are counted apart too, not as market events.
        k = d.get("snapshots") or 1
        n_snap = d.get("snapshots_events") or d["snapshot_events"]
        more = f" and {k - 1} more ({n_snap:,} snapshot events" if k > 1 else f" ({n_snap:,} events"
        data = (f"{what + ', ' if what else ''}{_ts(start)} → {_ts(d['end_ts'])} UTC ({format_span(d['end_ts'] - start)}, "
                f"{d['n_events'] - n_snap:,} market events), after the book snapshot at {_ts(snap)}{more}; "
                f"{d['n_events']:,} in all)")
    for note in (implied_label(d.get("trade_implied_book")), through_label(d.get("prints_through_book")),
                 maybe_bad_label(d.get(MAYBE_BAD)), jump_words(d.get(TIME_JUMP), short=True),
                 repairs_label(d.get(REPAIRS))):
        if note:
            data += f"; {note}"
    s = setup["strategy"]
    if s["path"] is None:
        strat = f"{s['label'] or '?'} (parameters not recorded: a bare mmsim.run; see docs/reports.md)"
    else:
        name = s["label"] or s["path"]
        args = _params_text(s["params"] or {})
        strat = f"{name}({args})" + ("" if s["path"] == name else f" from {s['path']}")
    lat = setup["latency"]
    rows = [("status", f"PARTIAL: the run stopped before the end of the data ({setup.get('stop_reason')})")] \
        if setup.get("partial") else []
    rows += [
        ("data", data),
        *([("trading", trading_text(d["not_trading"], d["end_ts"] - market_start(d, d["start_ts"]),
                                    dated=_ts(market_start(d, d["start_ts"]))[:10] != _ts(d["end_ts"])[:10]))]
          if d.get("not_trading") else []),
        ("store", d["store"] or "(an event array, no store)"),
        ("strategy", strat),
        ("latency", f"feed {lat['feed']}; entry {lat['entry']}; response {lat['response']}"
                    # the seed matters to random draws only
                    + (f"; seed {lat['seed']}" if any(lat[k].startswith("lognormal") for k in
                                                      ("feed", "entry", "response")) else "")),
        ("queue", setup["queue"]),
        ("fees", setup["fees"]),
        *([("contract", lab)] if (lab := contract_label(setup.get("contract") or {})) else []),
        ("orders", ("post-only (a crossing quote is rejected)" if setup["post_only"]
                    else "may cross (a crossing quote takes, then its rest expires)")
         + f"; at most {setup['max_orders']} live"
         + (f"; up to {setup['ladder_levels']} target levels per side" if setup.get("ladder_levels", 1) > 1 else "")),
        ("timer", "the strategy decides after every local update" if setup["decide_every"] is None
         else f"the strategy decides every {setup['decide_every']} (decide_every)"
         + (f"; it sleeps after {setup['max_idle']} without market data (max_idle)"
            if setup.get("max_idle") else "")),
        ("mmsim", f"{setup['mmsim_version']}; config digest {setup['config_digest']} (of the "
                  f"{setup['digest_of']})" + (f"; result digest {setup['result_digest']}"
                                              if setup.get("result_digest") else "")),
    ]
    return rows
