"""A Python strategy quoting on every event replays the AMZN LOBSTER day; its fills pass sanity checks."""

from __future__ import annotations

import numpy as np
import pytest
from _lobster import lobster_l2_events
from conftest import shared_data

import mmsim
from mmsim.records import OrderEvent


@pytest.fixture(scope="module")
def amzn():
    msg = shared_data("lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")
    ob = shared_data("lobster", "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv")
    return lobster_l2_events(msg, ob)


class SkewedTouch(mmsim.Strategy):
    """Join the local best bid/ask with 100 shares; stop adding to a side past 500 shares."""

    def quote(self, view):
        if view.bid_qty == 0 or view.ask_qty == 0:
            return mmsim.Quote(0, 0, 0, 0)
        bid_qty = 100 if view.position < 500 else 0
        ask_qty = 100 if view.position > -500 else 0
        return mmsim.Quote(view.best_bid, bid_qty, view.best_ask, ask_qty)


def test_python_strategy_replays_the_amzn_day(amzn):
    lm = mmsim.LatencyModel(ns=200_000)
    cfg = mmsim.Config(tick_size=0.01, latency=mmsim.LatencyConfig(feed=lm, entry=lm, response=lm))
    r = mmsim.run(amzn, SkewedTouch(), cfg)
    f = r.fills
    assert r.n_events == len(amzn) and len(f) > 500
    # Position and cash are the sums of the signed fills.
    assert r.position == int((f["side"].astype(np.int64) * f["qty"]).sum())
    assert r.cash_ticks == int(-(f["side"].astype(np.int64) * f["price"] * f["qty"]).sum())
    assert abs(r.position) <= 600
    # Every fill price was a price the book actually showed on our side at some time,
    # and lies within the exchange's best bid/ask of the moment before the fill (a maker
    # buys at or below the best ask and sells at or above the best bid).
    book_prices = set(amzn["price"][amzn["kind"] == mmsim.Kind.DEPTH].tolist())
    assert set(f["price"].tolist()) <= book_prices
    buys, sells = f[f["side"] == 1], f[f["side"] == -1]
    assert (buys["price"] <= buys["best_ask"]).all() and (sells["price"] >= sells["best_bid"]).all()
    # Each fill belongs to an order we sent at that price, and never overfills it.
    sent = r.orders[r.orders["event"] == OrderEvent.SENT]
    by_id = {int(o["order_id"]): (int(o["price"]), int(o["qty"])) for o in sent}
    filled: dict[int, int] = {}
    for x in f:
        px, qty = by_id[int(x["order_id"])]
        assert px == x["price"]
        filled[int(x["order_id"])] = filled.get(int(x["order_id"]), 0) + int(x["qty"])
        assert filled[int(x["order_id"])] <= qty
    # Fill reports reach the strategy one response latency after the exchange fills us.
    assert ((f["local_ts"] - f["exch_ts"]) >= 200_000).all()
    assert np.all(np.diff(f["exch_ts"]) >= 0)
    assert r.cash == pytest.approx(r.cash_ticks * 0.01)
