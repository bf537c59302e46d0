"""Event arrays built by numpy's own tools: the same fields in another layout replay as EVENT_DTYPE.

A store's ``events`` read back from ``.npy`` used to carry a dtype equal to
``EVENT_DTYPE`` but without numpy's "aligned" flag, so ``np.concatenate`` of two
slices packed its records to 42 bytes, and ``mmsim.run`` refused the result with a
message that printed the same seven fields it expected.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, Quote
from mmsim.data import write_store

BID, ASK = 1, -1
D, T = Kind.DEPTH, Kind.TRADE
META = {"symbol": "HAND", "venue": "v", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0, "levels": "L2"}

# Day 1: we join behind 10 lots at 100; sells of 4 and 8 fill 2 of our 5 lots.
DAY1 = [(1000, D, BID, 100, 10), (1000, D, ASK, 101, 10), (2000, T, ASK, 100, 4), (3000, T, ASK, 100, 8)]
# Day 2 goes on: a sell of 5 fills the 3 lots left.
DAY2 = [(4000, T, ASK, 100, 5)]
PACKED = np.dtype([(n, mmsim.EVENT_DTYPE.fields[n][0]) for n in mmsim.EVENT_DTYPE.names])


class Bid(mmsim.Strategy):
    def quote(self, view):
        return Quote(100, 5, 0, 0)


def cfg() -> mmsim.Config:
    return mmsim.Config(signals=mmsim.SignalConfig(enabled=False))


def fills_of(r):
    return [(int(f["exch_ts"]), int(f["side"]), int(f["price"]), int(f["qty"]), int(f["leaves"])) for f in r.fills]


@pytest.fixture
def two_stores(tmp_path):
    a = write_store(tmp_path / "a", make_events(DAY1), dict(META))
    b = write_store(tmp_path / "b", make_events(DAY2), dict(META))
    return mmsim.load(a.path), mmsim.load(b.path)


def test_concatenated_store_slices_keep_event_dtype_and_replay(two_stores):
    a, b = two_stores
    both = np.concatenate([a.events, b.events])
    assert both.dtype == mmsim.EVENT_DTYPE and both.dtype.itemsize == 48
    r = mmsim.run(both, Bid(), cfg())
    assert fills_of(r) == [(3000, BID, 100, 2, 3), (4000, BID, 100, 3, 0)]
    assert r.position == 5 and r.cash_ticks == -500


@pytest.mark.parametrize("entry", ["run", "run_many", "replay_bbo", "signals", "to_l2", "write_store"])
def test_packed_layout_is_copied_into_event_dtype(tmp_path, entry):
    # The same fields without align=True (42-byte records): every entry point takes
    # them as EVENT_DTYPE, with the values unchanged.
    ev = make_events(DAY1 + DAY2).astype(PACKED)
    assert ev.dtype.itemsize == 42 and ev.dtype != mmsim.EVENT_DTYPE
    if entry == "run":
        assert fills_of(mmsim.run(ev, Bid(), cfg()))[-1] == (4000, BID, 100, 3, 0)
    elif entry == "run_many":
        (r,) = mmsim.run_many(ev, [(Bid(), cfg())])
        assert fills_of(r)[-1] == (4000, BID, 100, 3, 0)
    elif entry == "replay_bbo":
        assert list(mmsim.replay_bbo(ev)["bid_qty"]) == [10, 10, 10, 10, 10]  # trades do not change an L2 book
    elif entry == "signals":
        assert len(mmsim.signals.compute(ev, mmsim.SignalConfig())) == 5
    elif entry == "to_l2":
        assert list(mmsim.data.to_l2(ev)["qty"]) == [10, 10, 4, 8, 5]
    else:
        st = write_store(tmp_path / "s", ev, dict(META))
        assert list(mmsim.load(st.path).events["price"]) == [100, 101, 100, 100, 100]


@pytest.mark.parametrize(
    "dtype, why",
    [
        (np.dtype([("exch_ts", "<i8"), ("price", "<i4")]),
         r"\(missing local_ts, qty, order_id, kind, side; price is <i4, not <i8"),
        (np.dtype([(n, "<i8") for n in mmsim.EVENT_DTYPE.names]),
         r"\(kind is <i8, not \|u1; side is <i8, not \|i1"),
        (np.dtype([(n, PACKED.fields[n][0]) for n in reversed(mmsim.EVENT_DTYPE.names)]),
         r"\(fields in another order: side, kind, order_id, qty, price, local_ts, exch_ts"),
    ],
)
def test_other_fields_name_what_differs(dtype, why):
    with pytest.raises(mmsim.DataError, match=r"^events have dtype .*, expected mmsim.EVENT_DTYPE " + why + ";"):
        mmsim.run(np.zeros(2, dtype), Bid(), cfg())
    with pytest.raises(mmsim.DataError, match=r"^to_l2: events have dtype .*, expected mmsim.EVENT_DTYPE " + why + ";"):
        mmsim.data.to_l2(np.zeros(2, dtype))
    with pytest.raises(mmsim.DataError, match=r"^signals.compute: events must be a 1-d array of mmsim.EVENT_DTYPE, got .* " + why + r"\)$"):
        mmsim.signals.compute(np.zeros(2, dtype), mmsim.SignalConfig())


def test_write_store_of_other_fields_is_a_data_error_and_leaves_nothing(tmp_path):
    msg = r"^events have dtype float64, expected mmsim.EVENT_DTYPE \(float64 is not a structured dtype;"
    with pytest.raises(mmsim.DataError, match=msg):
        write_store(tmp_path / "s", np.zeros(3), dict(META))
    assert list(tmp_path.iterdir()) == []
