"""Queue position of each fill (FILL_DTYPE queue_ahead_at_entry, level_qty_at_fill): the engine's figures by hand
on L2 and L3 data under every queue model, taker fills (-1), results saved before the fields (load with -1),
fills.csv, and the report's markout by queue position with hand-computed buckets."""

from __future__ import annotations

import csv
import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.records import FILL_DTYPE

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
