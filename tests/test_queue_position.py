"""Queue position of each fill (FILL_DTYPE queue_ahead_at_entry, level_qty_at_fill): the engine's figures by hand
on L2 and L3 data under every queue model, taker fills (-1), results saved before the fields (load with -1),
fills.csv, and the report's markout by queue position with hand-computed buckets."""

from __future__ import annotations

import bisect
import csv
import html
import json
from types import SimpleNamespace
import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.records import FILL_DTYPE, OrderEvent
from mmsim.report import make_report
from rich.console import Console

S = 1_000_000_000
D, T, A, X, C, DEL = Kind.DEPTH, Kind.TRADE, Kind.ADD, Kind.EXECUTE, Kind.CANCEL, Kind.DELETE

# L2 (the ctest queue_position_of_fills): our bid 100 x 5 joins 10 lots; our ask 102 x 4 opens its level and 7
# lots join behind it. 2000: a sell of 4 and the level to 6 (6 ahead). 3000: the level drops to 1, then a sell
# of 8 takes the 6 ahead and 2 of ours: the level before that message was 6, though the book already says 1.
# 4000: a sell of 5 completes us (the level was 1). 5000: a buy of 9 at 102 fills our ask: its level was 7.
L2_ROWS = [
    (1000, D, 1, 100, 10), (1000, D, -1, 101, 10),
    (2000, T, -1, 100, 4), (2000, D, 1, 100, 6), (2000, D, -1, 102, 7),
    (3000, D, 1, 100, 1), (3000, T, -1, 100, 8),
    (4000, T, -1, 100, 5),
    (5000, T, 1, 102, 9),
]

# L3: orders 11 (5) and 12 (3) rest at 100 when we join (8 ahead); 13 (4) joins behind us. At 5000 order 13
# executes behind us: 11 is gone, 12 holds 2 and 13 4, so the level was 6; at 8000 only order 14's 1 lot.
L3_ROWS = [
    (1000, A, 1, 100, 5, 11), (1000, A, 1, 100, 3, 12), (1000, A, -1, 101, 10, 20), (2000, A, 1, 100, 4, 13),
    (3000, X, 1, 100, 5, 11), (4000, C, 1, 100, 1, 12), (5000, X, 1, 100, 4, 13), (6000, DEL, 1, 100, 2, 12),
    (7000, A, 1, 100, 1, 14), (8000, X, 1, 100, 1, 14),
]


class Fixed(mmsim.Strategy):
    def __init__(self, bid_px=100, bid_qty=5, ask_px=0, ask_qty=0):
        self.q = Quote(bid_px, bid_qty, ask_px, ask_qty)

    def quote(self, view):
        return self.q


def figures(res) -> list[tuple[int, int, int, int, int]]:
    f = res.fills
    return list(zip(f["exch_ts"].tolist(), f["qty"].tolist(), f["leaves"].tolist(),
                    f["queue_ahead_at_entry"].tolist(), f["level_qty_at_fill"].tolist()))


@pytest.mark.parametrize("queue", [{"model": "risk_averse"}, {"model": "power", "power": 2.0}, {"model": "log"}])
def test_l2_queue_position_by_hand_under_every_queue_model(queue):
    """Every model puts the order at the back of its level: the entry figure is the book's, not the model's."""
    res = mmsim.run(make_events(L2_ROWS), Fixed(100, 5, 102, 4), mmsim.Config(queue=queue))
    # (exch_ts, qty, leaves, queue_ahead_at_entry, level_qty_at_fill); the partly filled bid's second fill keeps
    # its entry figure (10) and gets its own level (1).
    assert figures(res) == [(3000, 2, 3, 10, 6), (4000, 3, 0, 10, 1), (5000, 4, 0, 0, 7)]
    assert res.fills["maker"].all()


def test_l3_queue_position_by_hand():
    res = mmsim.run(make_events(L3_ROWS), Fixed(), mmsim.Config())
    assert figures(res) == [(5000, 2, 3, 8, 6), (8000, 1, 2, 8, 1)]


def test_an_update_of_the_other_side_reaching_our_price_keeps_the_levels_size_before_it():
    """L2: an ask listed at 100 drops the book's stale bid level of 10 lots at 100, and our bid behind them fills
    whole at the end of the message: the level was 10 (the book already says 0). Before the same message, a
    cancel took it from 10 to 8: the size before the message is still 10."""
    base = [(1000, D, 1, 100, 10), (1000, D, -1, 101, 10)]
    res = mmsim.run(make_events(base + [(2000, D, -1, 100, 3)]), Fixed(), mmsim.Config())
    assert figures(res) == [(2000, 5, 0, 10, 10)]
    res = mmsim.run(make_events(base + [(2000, D, 1, 100, 8), (2000, D, -1, 100, 3)]), Fixed(), mmsim.Config())
    assert figures(res) == [(2000, 5, 0, 10, 10)]


def test_a_taker_fill_has_no_queue_position():
    """A crossing quote with post_only off takes 3 lots at 100 on arrival: -1, -1 (not a resting order)."""
    ev = make_events([(1000, D, 1, 100, 3), (1000, D, -1, 101, 10), (2000, D, -1, 101, 9)])
    res = mmsim.run(ev, Fixed(0, 0, 100, 3), mmsim.Config(post_only=False))
    assert figures(res) == [(1000, 3, 0, -1, -1)]
    assert not res.fills["maker"][0]


def _old_fills(fills: np.ndarray) -> np.ndarray:
    """The fills in the 96-byte FILL_DTYPE of mmsim before the queue position fields (its field list)."""
    old = np.dtype([("exch_ts", "<i8"), ("local_ts", "<i8"), ("order_id", "<i8"), ("price", "<i8"), ("qty", "<i8"),
                    ("leaves", "<i8"), ("position", "<i8"), ("best_bid", "<i8"), ("best_ask", "<i8"),
                    ("fee", "<f8"), ("side", "i1"), ("maker", "?"), ("after_cancel", "?"), ("order_type", "u1"),
                    ("level", "i1"), ("tag", "<i8")], align=True)
    assert old.itemsize == 96
    out = np.zeros(len(fills), dtype=old)
    for name in old.names:
        out[name] = fills[name]
    return out


def test_a_result_saved_before_the_fields_loads_with_minus_one(tmp_path):
    ev = make_events(L2_ROWS)
    res = mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config())
    res.save(tmp_path / "run")
    back = mmsim.Result.load(tmp_path / "run")
    assert back.fills.dtype == FILL_DTYPE and back.fills.tobytes() == res.fills.tobytes()
    np.save(tmp_path / "run" / "fills.npy", _old_fills(res.fills))
    old = mmsim.Result.load(tmp_path / "run")
    assert old.fills.dtype == FILL_DTYPE
    assert old.fills["queue_ahead_at_entry"].tolist() == [-1, -1, -1]
    assert old.fills["level_qty_at_fill"].tolist() == [-1, -1, -1]
    for name in FILL_DTYPE.names[:-2]:
        assert old.fills[name].tolist() == res.fills[name].tolist(), name
    # A fills.npy of another layout is still refused, naming the file.
    np.save(tmp_path / "run" / "fills.npy", np.zeros(3, dtype=[("x", "<i8")]))
    with pytest.raises(mmsim.DataError, match="fills.npy: not the run's records"):
        mmsim.Result.load(tmp_path / "run")


def test_a_result_saved_before_the_fields_without_fills_loads_too(tmp_path):
    """A second case: a run with no fill (its fills.npy an empty array of the old layout)."""
    res = mmsim.run(make_events(L2_ROWS), Fixed(90, 1), mmsim.Config())
    assert len(res.fills) == 0
    res.save(tmp_path / "run")
    np.save(tmp_path / "run" / "fills.npy", _old_fills(res.fills))
    old = mmsim.Result.load(tmp_path / "run")
    assert old.fills.dtype == FILL_DTYPE and len(old.fills) == 0


def test_fills_csv_holds_the_figures_and_empty_cells_for_taker_fills(tmp_path):
    ev = make_events(L2_ROWS)
    rep = mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config()).report(ev, horizons=["1us"], event_horizons=[],
                                                                        toxic_horizon="1us")
    assert rep.fills["queue_ahead_at_entry"].dtype == np.int64  # every fill has one: whole lots
    rep.save(tmp_path / "a", plots=False)
    with open(tmp_path / "a" / "fills.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["queue_ahead_at_entry"], r["level_qty_at_fill"]) for r in rows] == [
        ("10", "6"), ("10", "1"), ("0", "7")]
    # A taker fill: empty cells (its maker column says 0), as for a result saved before the fields. The ask at
    # 100 crosses the bid (post_only off) and takes its 3 lots on arrival; the bid at 99 joins 2 lots and fills
    # when a sell goes through 99 (the level was 2).
    ev = make_events([(1000, D, 1, 100, 3), (1000, D, 1, 99, 2), (1000, D, -1, 101, 10), (3000, T, -1, 98, 20),
                      (4000, D, 1, 98, 1)])
    res = mmsim.run(ev, Fixed(99, 1, 100, 3), mmsim.Config(post_only=False))
    assert figures(res) == [(1000, 3, 0, -1, -1), (3000, 1, 0, 2, 2)]
    rep = res.report(ev, horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    assert rep.fills["queue_ahead_at_entry"].dtype == np.float64  # NaN for the taker fill
    rep.save(tmp_path / "b", plots=False)
    with open(tmp_path / "b" / "fills.csv") as fh:
        rows = list(csv.DictReader(fh))
    # As the information-age columns: a column with an empty cell is written as floats.
    assert [(r["maker"], r["queue_ahead_at_entry"], r["level_qty_at_fill"]) for r in rows] == [
        ("0", "", ""), ("1", "2.0", "2.0")]


def test_fills_csv_of_a_result_saved_before_the_fields_has_empty_cells(tmp_path):
    ev = make_events(L2_ROWS)
    mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config()).save(tmp_path / "run")
    np.save(tmp_path / "run" / "fills.npy", _old_fills(mmsim.Result.load(tmp_path / "run").fills))
    rep = mmsim.Result.load(tmp_path / "run").report(ev, horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    rep.save(tmp_path / "rep", plots=False)
    with open(tmp_path / "rep" / "fills.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["queue_ahead_at_entry"], r["level_qty_at_fill"]) for r in rows] == [("", "")] * 3


# ----------------------------------------------------------------------------- the report's section

# Mid (ticks) 101 from 0, 102 from 1s, 103 from 2s, 100.5 from 3s, 101.5 from 4s (the ask moves).
MID_ROWS = [(0, D, 1, 100, 5), (0, D, -1, 102, 5), (S, D, -1, 104, 5), (S, D, -1, 102, 0), (2 * S, D, -1, 106, 5),
            (2 * S, D, -1, 104, 0), (3 * S, D, -1, 101, 5), (3 * S, D, -1, 106, 0), (4 * S, D, -1, 103, 5),
            (4 * S, D, -1, 101, 0), (5 * S, D, 1, 100, 6)]


def _hand_result():
    """Four maker buys at 100 (0.5s, 1.5s, 2.5s, 3.5s), marking out +2, +3, +0.5, +1.5 ticks at 1s, and a taker
    buy at 4.2s; (queue_ahead_at_entry, level_qty_at_fill) = (0, 3), (5, 3), (10, 8), (20, 1), (-1, -1)."""
    rows = [(S // 2, 0, 3), (S + S // 2, 5, 3), (2 * S + S // 2, 10, 8), (3 * S + S // 2, 20, 1)]
    f = np.zeros(5, dtype=FILL_DTYPE)
    for k, (ts, ahead, level) in enumerate(rows):
        f[k] = (ts, ts, k + 1, 100, 1, 0, k + 1, 100, 102, 0.0, 1, True, False, 1, 0, 0, ahead, level)
    f[4] = (4 * S + S // 5, 4 * S + S // 5, 5, 103, 1, 0, 5, 100, 103, 0.0, 1, False, False, 1, 0, 0, -1, -1)
    return SimpleNamespace(fills=f, orders=None, samples=None, fill_signals=None, position=5, cash_ticks=-503,
                           fees=0.0, tick_value=1.0, config=mmsim.Config(), meta={"symbol": "TEST"})


def test_markout_by_queue_position_by_hand():
    from mmsim.report.render_queuepos import queue_position_lines

    rep = make_report(_hand_result(), make_events(MID_ROWS), horizons=["1s"], event_horizons=[], toxic_horizon="1s",
                      queue_buckets=2)
    q = rep.data["queue_position"]
    assert (q["recorded"], q["reason"], q["n_maker"], q["n_taker"], q["n_not_recorded"]) == (True, None, 4, 1, 0)
    ahead, level = q["by_queue"]
    assert (ahead["basis"], ahead["unit"], ahead["horizon"], ahead["n"]) == ("queue_ahead_at_entry", "lots", "1s", 4)
    # Mean ranks 1..4 in 2 buckets: floor((r - 1/2) / 4 * 2) = 0, 0, 1, 1.
    assert [(b["lo"], b["hi"], b["n"], b["qty"], b["markout_ticks"]["mean"], b["toxic_share"])
            for b in ahead["buckets"]] == [(0, 5, 2, 2, 2.5, 0.0), (10, 20, 2, 2, 1.0, 0.0)]
    assert [b["horizons"]["1s"] for b in ahead["buckets"]] == [2.5, 1.0]
    # Ranks of the markouts (2, 3, 0.5, 1.5) are 3, 4, 1, 2: rho = 1 - 6 * 16 / (4 * 15) = -0.6.
    assert ahead["spearman"]["rho"] == pytest.approx(-0.6)
    # Welch: 1.0 - 2.5 = -1.5, each variance 0.5 / 2, df 2, t(0.975, 2) = 4.302653: -1.5 -+ 3.042435.
    d = ahead["last_minus_first"]
    assert (d["diff"], d["n_last"], d["n_first"], d["zero_variance"]) == (-1.5, 2, 2, [])
    assert (d["ci_low"], d["ci_high"]) == (pytest.approx(-4.542435, abs=1e-6), pytest.approx(1.542435, abs=1e-6))
    # A second case, with ties: levels 3, 3, 8, 1 have mean ranks 2.5, 2.5, 4, 1: buckets 1, 1, 1, 0 (the tied
    # values share one). Last bucket 5.5 / 3, first 1.5: no interval with one fill.
    assert level["basis"] == "level_qty_at_fill"
    assert [(b["lo"], b["hi"], b["n"], b["markout_ticks"]["mean"]) for b in level["buckets"]] == [
        (1, 1, 1, 1.5), (3, 8, 3, pytest.approx(5.5 / 3))]
    assert level["last_minus_first"]["diff"] == pytest.approx(5.5 / 3 - 1.5)
    assert level["last_minus_first"]["ci_low"] is None
    # Ranks (2.5, 2.5, 4, 1) against (3, 4, 1, 2): covariance -1.5 over sqrt(4.5 * 5).
    assert level["spearman"]["rho"] == pytest.approx(-1.5 / (4.5 * 5) ** 0.5)
    # report.json holds it; the terminal and the HTML say it.
    assert json.loads(rep.to_json())["queue_position"]["n_taker"] == 1
    lines = [
        "queue position: 4 maker fills ranked (1 taker fill not ranked)",
        "by lots ahead at entry: last bucket − first (back − front of the queue) -1.50 ticks @ 1s "
        "(95% CI -4.54 to 1.54); Spearman ρ -0.60 (p 0.4)",
        # No interval, and why (it gave none and no reason; breaker13b): the first bucket holds one fill.
        "by level size at the fill: last bucket − first (deepest − thinnest level) 0.33 ticks @ 1s "
        "(no interval: the first bucket has one fill); Spearman ρ -0.32 (p 0.68)"]
    console = Console(record=True, width=200)
    rep.print(console)
    text = console.export_text()
    assert "Markout by queue position: lots ahead at entry" in text
    for line in lines:
        assert line in text
    page = rep.to_html()
    assert "<h2>Markout by queue position</h2>" in page and 'id="markout-by-level-qty-at-fill"' in page
    assert html.escape(lines[0]) in page
    assert q["n_alone"] == 0
    # A fill with both figures 0 (it opened its level and was alone at its price when filled) is counted and
    # said: a level size of 0 is not "a level about to be wiped out" when nobody else was ever there (newcomer).
    alone = _hand_result()
    alone.fills["level_qty_at_fill"][0] = 0
    q = make_report(alone, make_events(MID_ROWS), horizons=["1s"], event_horizons=[], toxic_horizon="1s",
                    queue_buckets=2).data["queue_position"]
    assert q["n_alone"] == 1
    # One bucket asked for is not "every fill alike" (0 to 20 lots ahead here; breaker); equal values are.
    one = make_report(_hand_result(), make_events(MID_ROWS), horizons=["1s"], event_horizons=[], toxic_horizon="1s",
                      queue_buckets=1).data["queue_position"]
    assert queue_position_lines(one)[1:] == [
        "by lots ahead at entry: one bucket only (one asked for), no comparison",
        "by level size at the fill: one bucket only (one asked for), no comparison"]
    same = _hand_result()
    same.fills["queue_ahead_at_entry"][:4] = 7
    alike = make_report(same, make_events(MID_ROWS), horizons=["1s"], event_horizons=[], toxic_horizon="1s",
                        queue_buckets=3).data["queue_position"]
    assert queue_position_lines(alike)[1] == "by lots ahead at entry: one bucket only (every fill alike), no comparison"
    one_fill = _hand_result()
    one_fill.fills["maker"][1:4] = False  # one maker fill left, four taker
    single = make_report(one_fill, make_events(MID_ROWS), horizons=["1s"], event_horizons=[], toxic_horizon="1s",
                         queue_buckets=5).data["queue_position"]
    assert queue_position_lines(single)[1] == "by lots ahead at entry: one bucket only (one fill), no comparison"
    assert queue_position_lines(q)[0] == (
        "queue position: 4 maker fills ranked (1 taker fill not ranked); 1 of them opened their level and had no one "
        "else at their price when filled (both figures 0, as a quote improving on the touch)")


def test_the_report_of_a_result_saved_before_the_fields_says_not_recorded(tmp_path):
    ev = make_events(L2_ROWS)
    mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config()).save(tmp_path / "run")
    np.save(tmp_path / "run" / "fills.npy", _old_fills(mmsim.Result.load(tmp_path / "run").fills))
    rep = mmsim.Result.load(tmp_path / "run").report(ev, horizons=["1us"], event_horizons=[], toxic_horizon="1us")
    q = rep.data["queue_position"]
    assert (q["recorded"], q["n_maker"], q["n_not_recorded"], q["by_queue"]) == (False, 0, 3, [])
    assert q["reason"] == "the run was saved before mmsim recorded queue positions (its fills hold -1)"


# ----------------------------------------------------------------------------- against a book replayed here

def _levels_at(events: np.ndarray, queries: list[tuple[int, int, int]]) -> list[int]:
    """The displayed lots at (side, price) after the first j events, for each query (j, side, price): an L3 book
    (and L2 depth) replayed in plain Python, independent of the engine's."""
    orders: dict[int, list[int]] = {}
    levels: dict[int, dict[int, int]] = {1: {}, -1: {}}
    prices: dict[int, list[int]] = {1: [], -1: []}  # each side's non-empty prices, ascending

    def put(s: int, p: int, n: int) -> None:
        had = levels[s].get(p, 0) > 0
        if n > 0:
            levels[s][p] = n
            if not had:
                bisect.insort(prices[s], p)
        elif had:
            del levels[s][p]
            prices[s].pop(bisect.bisect_left(prices[s], p))

    out = [0] * len(queries)
    order = sorted(range(len(queries)), key=lambda q: queries[q][0])
    kinds, sides, prices_, qtys, ids = (events[c].tolist() for c in ("kind", "side", "price", "qty", "order_id"))
    done = 0
    for q in order:
        j, side, price = queries[q]
        for i in range(done, j):
            k, s, p, n, oid = kinds[i], sides[i], prices_[i], qtys[i], ids[i]
            if k == Kind.ADD:
                orders[oid] = [s, p, n]
                put(s, p, levels[s].get(p, 0) + n)
            elif k in (Kind.CANCEL, Kind.DELETE, Kind.EXECUTE):
                o = orders[oid]
                n = o[2] if k == Kind.DELETE else n
                o[2] -= n
                put(o[0], o[1], levels[o[0]][o[1]] - n)
                if o[2] == 0:
                    del orders[oid]
            elif k == Kind.DEPTH:
                put(s, p, n)
                if n > 0:  # the other side's levels at or through it are stale
                    other = prices[-s]
                    gone = other[:bisect.bisect_right(other, p)] if s > 0 else other[bisect.bisect_left(other, p):]
                    for px in gone:
                        put(-s, px, 0)
            elif k == Kind.CLEAR:
                for sd in ((1, -1) if s == 0 else (s,)):
                    levels[sd], prices[sd] = {}, []
                for oid2 in [o for o, v in orders.items() if s == 0 or v[0] == s]:
                    del orders[oid2]
        done = max(done, j)
        out[q] = levels[side].get(price, 0)
    return out


def check_against_the_book(events: np.ndarray, res) -> int:
    """Every maker fill's figures are the book's: at its order's arrival (ACKED; after the events up to that time,
    arrivals at a message's time coming after it) and before the message that filled it."""
    ts = np.asarray(events["exch_ts"])
    f = res.fills[res.fills["maker"]]
    o = res.orders
    acked = {int(i): int(t) for i, t, e in zip(o["order_id"], o["exch_ts"], o["event"]) if e == OrderEvent.ACKED}
    queries = []
    for oid, side, price, t in zip(f["order_id"].tolist(), f["side"].tolist(), f["price"].tolist(),
                                   f["exch_ts"].tolist()):
        queries.append((int(np.searchsorted(ts, acked[oid], side="right")), side, price))
        queries.append((int(np.searchsorted(ts, t, side="left")), side, price))
    got = _levels_at(events, queries)
    assert f["queue_ahead_at_entry"].tolist() == got[0::2]
    assert f["level_qty_at_fill"].tolist() == got[1::2]
    return len(f)


@pytest.mark.parametrize("fmt, model", [("l3", "risk_averse"), ("l2", "risk_averse"), ("l2", "log")])
def test_the_figures_are_the_books_on_the_synthetic_market(fmt, model):
    from conftest import synth_day

    events = synth_day(fmt).events
    res = mmsim.run(events, mmsim.load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.1, "size": 1,
                                                                    "max_position": 10}),
                    mmsim.Config(queue={"model": model}))
    assert check_against_the_book(events, res) > 100


def test_the_figures_are_the_books_on_amzn_l3(real_store):
    from mmsim.replay import events_and_meta

    store = real_store("lobster", "lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    events, _ = events_and_meta(store)
    res = mmsim.run(store, mmsim.load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.001, "size": 100,
                                                                   "max_position": 1000}), mmsim.Config(
        tick_size=0.01, latency=mmsim.LatencyConfig(feed=1_000_000, entry=1_000_000, response=1_000_000)))
    assert check_against_the_book(events, res) > 100


def test_queue_buckets_from_the_command_line_and_a_bad_count(tmp_path, capsys):
    from mmsim.cli import main

    ev = make_events(L2_ROWS + [(9000, D, 1, 99, 1)])  # every fill has a markout at 1us
    res = mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config())
    assert figures(res) == [(3000, 2, 3, 10, 6), (4000, 3, 0, 10, 1), (5000, 4, 0, 0, 7)]
    res.save(tmp_path / "run")
    np.save(tmp_path / "ev.npy", ev)
    # Entry figures 10, 10, 0 (mean ranks 2.5, 2.5, 1) in 2 buckets: {0} and {10}; 1 bucket: all three.
    for k, want in ((2, [(0, 0, 1), (10, 10, 2)]), (1, [(0, 10, 3)])):
        out = tmp_path / f"rep{k}"
        assert main(["report", str(tmp_path / "run"), "--events", str(tmp_path / "ev.npy"), "--horizons", "1us",
                     "--event-horizons", "", "--toxic-horizon", "1us", "--queue-buckets", str(k), "-q",
                     "--no-plots", "-o", str(out)]) == 0
        block = json.loads((out / "report.json").read_text())["queue_position"]["by_queue"][0]
        assert [(b["lo"], b["hi"], b["n"]) for b in block["buckets"]] == want
    capsys.readouterr()
    assert main(["report", str(tmp_path / "run"), "--events", str(tmp_path / "ev.npy"), "--queue-buckets", "0",
                 "-q", "--no-plots", "-o", str(tmp_path / "rep0")]) == 2
    assert capsys.readouterr().err == "mmsim: config error: --queue-buckets must be a positive integer, got 0\n"
    with pytest.raises(mmsim.ConfigError, match="queue_buckets must be a positive integer, got 0"):
        res.report(ev, queue_buckets=0)


def test_a_bucket_count_takes_a_whole_float_as_an_integer_key_does():
    """``queue_buckets=2.0`` was "queue_buckets must be a positive integer, got 2.0" (config keys take 2.0 as 2:
    docs/config.md); the buckets of the CLI test above: {0} and {10}. A fraction and True are refused, for each
    of the three counts."""
    ev = make_events(L2_ROWS + [(9000, D, 1, 99, 1)])
    res = mmsim.run(ev, Fixed(100, 5, 102, 4), mmsim.Config())
    rep = res.report(ev, horizons=["1us"], event_horizons=[], toxic_horizon="1us", queue_buckets=2.0,
                     age_buckets=1.0, signal_buckets=3.0)
    block = rep.data["queue_position"]["by_queue"][0]
    assert [(b["lo"], b["hi"], b["n"]) for b in block["buckets"]] == [(0, 0, 1), (10, 10, 2)]
    for name in ("signal_buckets", "age_buckets", "queue_buckets"):
        for bad in (2.5, True):
            with pytest.raises(mmsim.ConfigError) as info:
                res.report(ev, **{name: bad})
            assert str(info.value) == f"{name} must be a positive integer, got {bad!r}"


def test_the_figures_are_the_books_on_binance_spot_l2(real_store):
    """Real L2 depth diffs, with updates of one side reaching the other's levels (the book drops those)."""
    from mmsim.replay import events_and_meta

    store = real_store("binance", "binance", "spot", "btcusdt_20240808.gz")
    events, meta = events_and_meta(store)
    res = mmsim.run(store, mmsim.load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.0, "size": 100000,
                                                                   "max_position": 1000000}), mmsim.Config(
        tick_size=meta["tick_size"], lot_size=meta["lot_size"],
        signals=mmsim.SignalConfig(vpin_bucket_volume="100 lots"),  # the default, in lots on purpose: no warning
        latency=mmsim.LatencyConfig(feed=1_000_000, entry=1_000_000, response=1_000_000)))
    assert check_against_the_book(events, res) > 100
