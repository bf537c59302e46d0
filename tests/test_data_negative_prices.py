"""CME prices at or below zero (calendar spreads, some energy futures) through the Databento loader and a replay.

Every value by hand: ticks of 0.25 (inferred from the prices' absolute values), lots of 1, latencies 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import databento_csv, databento_dbn, db_csv_lines, dbn_bytes

import mmsim
from mmsim import Quote
from mmsim.data import databento as dbt


class _Fixed(mmsim.Strategy):
    def __init__(self, q: Quote) -> None:
        self.q = q

    def quote(self, view):
        return self.q


def _cfg() -> mmsim.Config:
    lat = mmsim.LatencyModel
    return mmsim.Config(latency=mmsim.LatencyConfig(feed=lat(ns=0), entry=lat(ns=0), response=lat(ns=0)),
                        signals=mmsim.SignalConfig(enabled=False))


# Our bid of 1 lot at -1.00 (-4 ticks) rests first at its price; order 11 joins behind it; a sell of 1
# lot fills order 11 (the venue's FIFO does not know us): nothing was ahead of us, so we fill 1 @ -4.
_BELOW = [(100, "A", "A", "-0.50", 1, 12, 130), (150, "A", "B", "-1.25", 3, 13, 130),
          (300, "A", "B", "-1.00", 2, 11, 130),
          (400, "T", "A", "-1.00", 1, 0, 0), (400, "F", "B", "-1.00", 1, 11, 0), (400, "C", "B", "-1.00", 1, 11, 130)]
# The book straddles 0: bid -0.25, ask 0.25; our ask of 1 lot at 0 rests, order 11 joins behind it at 0
# and a buy of 1 lot fills it: we sell 1 @ 0.
_AT_ZERO = [(100, "A", "B", "-0.25", 1, 12, 130), (150, "A", "A", "0.25", 3, 13, 130),
            (300, "A", "A", "0", 2, 11, 130),
            (400, "T", "B", "0", 1, 0, 0), (400, "F", "A", "0", 1, 11, 0), (400, "C", "A", "0", 1, 11, 130)]


@pytest.mark.parametrize("rows,quote,prices,fill,cash", [
    (_BELOW, Quote(-4, 1, 0, 0), [-2, -5, -4, -4], (1, -4, 1), 4),  # buying at -4 ticks receives 4
    (_AT_ZERO, Quote(0, 0, 0, 1), [-1, 1, 0, 0], (-1, 0, 1), 0),
])
@pytest.mark.parametrize("fmt", ["csv", "dbn"])
def test_databento_prices_at_or_below_zero_load_and_fill(tmp_path, rows, quote, prices, fill, cash, fmt):
    if fmt == "csv":
        srcs, _ = databento_csv(tmp_path, db_csv_lines(rows))
    else:
        srcs, _ = databento_dbn(tmp_path, dbn_bytes(rows), zst=False)
    st = dbt.convert(srcs, tmp_path / "s")
    assert st.tick_size == 0.25
    ev = np.asarray(st.events)
    # three ADDs and the EXECUTE of 1 of order 11's 2 lots (the C after the F is absorbed)
    assert [int(p) for p in ev["price"]] == prices
    r = mmsim.run(st, _Fixed(quote), _cfg())
    assert [(int(f["side"]), int(f["price"]), int(f["qty"])) for f in r.fills] == [fill]
    assert r.cash_ticks == cash
