"""The trade-implied transform streams (mmsim.data.implied; docs/data.md, "A trade-implied book").

It reads a store's events in chunks and writes the new store chunk by chunk, carrying to the next chunk what the
book needs (both sides as shown and as the depth updates say, the levels the prints changed, the venue's status)
and the last message, which the chunk may not hold all of. Any chunk size gives the same events, which are
written out by hand below from the events.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from conftest import make_events

import mmsim
from mmsim import Kind, TradingStatus
from mmsim.data import write_store
from mmsim.data.implied import trade_implied, trade_implied_events

D, T, C, ST = Kind.DEPTH, Kind.TRADE, Kind.CLEAR, Kind.STATUS
MS = 1_000_000
META = {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"}

# A snapshot of 5 rows (bids 100x5, 99x5, 98x5; asks 102x5, 103x5), then prints, a halt, messages of both sides.
STREAM = [(0, D, 1, 100, 5), (0, D, 1, 99, 5), (0, D, 1, 98, 5), (0, D, -1, 102, 5), (0, D, -1, 103, 5),
          (10 * MS, T, -1, 99, 2),                          # 5: hides 100, 99 5 -> 3
          (12 * MS, ST, 0, 0, int(TradingStatus.HALTED)),   # 6
          (13 * MS, T, -1, 98, 1),                          # 7: not trading: nothing
          (14 * MS, ST, 0, 0, int(TradingStatus.TRADING)),  # 8
          (15 * MS, T, 1, 102, 2),                          # 9: ask 102 5 -> 3
          (20 * MS, D, 1, 98, 6), (20 * MS, T, -1, 98, 1), (20 * MS, D, -1, 104, 1),  # 10-12: one message of both
          # sides: bids 99, 100 and ask 102 restored first; its print implies nothing
          (30 * MS, T, 0, 97, 1),                           # 13: no side, below the bid 100: hides 100, 99, 98
          (40 * MS, C, 1, 0, 0), (40 * MS, D, 1, 101, 2), (40 * MS, D, 1, 100, 4),  # 14-16: bids' snapshot
          (50 * MS, T, -1, 100, 1),                         # 17: hides 101, 100 4 -> 3
          (60 * MS, D, 1, 95, 1)]                           # 18: restores 100 to 4 and 101 to 2, then 95


def rows(ev):
    return [(int(e["exch_ts"]), int(e["kind"]), int(e["side"]), int(e["price"]), int(e["qty"])) for e in ev]


def expected(ev):
    return (rows(ev[:6]) + [(10 * MS, D, 1, 100, 0), (10 * MS, D, 1, 99, 3)] + rows(ev[6:10])
            + [(15 * MS, D, -1, 102, 3), (20 * MS, D, 1, 99, 5), (20 * MS, D, 1, 100, 5), (20 * MS, D, -1, 102, 5)]
            + rows(ev[10:14]) + [(30 * MS, D, 1, 100, 0), (30 * MS, D, 1, 99, 0), (30 * MS, D, 1, 98, 0)]
            + rows(ev[14:18]) + [(50 * MS, D, 1, 101, 0), (50 * MS, D, 1, 100, 3), (60 * MS, D, 1, 100, 4),
                                 (60 * MS, D, 1, 101, 2)] + rows(ev[18:]))


COUNTS = {"prints": 4, "hidden": 5, "reduced": 3, "restored": 5}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 16])
def test_any_chunk_size_gives_the_events_of_one_chunk(chunk):
    # Chunks of 3 cut the snapshot (0-4), the print's rows from the print (5 | 6), the two-sided message (9-11 |
    # 12-14: its print in the first chunk, the asks' update in the next), the halt from its print (6-8 | 9),
    # the bids' snapshot from the print that hides it (14-16 | 17); chunks of 1 and 2 cut every message.
    ev = make_events(STREAM)
    out, counts = trade_implied_events(ev, _chunk=chunk)
    assert rows(out) == expected(ev)
    assert counts == COUNTS
    whole, _ = trade_implied_events(ev, _chunk=len(ev))
    assert all(np.array_equal(out[k], whole[k]) for k in out.dtype.names)  # (every field; not the padding)


@pytest.mark.parametrize("chunk", [3, 7])
def test_a_store_transformed_in_small_chunks_is_the_store_of_one_chunk(tmp_path, chunk):
    ev = make_events(STREAM)
    write_store(tmp_path / "plain", ev, META)
    small = trade_implied(tmp_path / "plain", tmp_path / "small", _chunk=chunk)
    one = trade_implied(tmp_path / "plain", tmp_path / "one", _chunk=len(ev))
    assert rows(small.events) == expected(ev)
    assert small.meta["quirks"]["trade_implied_book"] == COUNTS
    assert small.meta["event_count"] == len(ev) + 13
    assert (tmp_path / "small" / "events.npy").read_bytes() == (tmp_path / "one" / "events.npy").read_bytes()
    assert small.meta == one.meta  # events_digest included


def test_an_l3_event_in_a_later_chunk_is_refused_by_its_index_in_the_store_and_nothing_is_written(tmp_path):
    ev = make_events(STREAM[:8] + [(16 * MS, Kind.ADD, 1, 97, 1, 7)])  # event 8, in the third chunk of 3
    # labelled L3, as its events are: an L2 label over an ADD is refused where the store is written (scale24)
    write_store(tmp_path / "plain", ev, dict(META, levels="L3"))
    with pytest.raises(mmsim.DataError, match=r"/plain: a trade-implied book needs L2 data: its events are L3 \(the "
                                              r"first L3 one, event 8 of the store, is an ADD; "):
        trade_implied(tmp_path / "plain", tmp_path / "out", _chunk=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]
    with pytest.raises(ValueError, match=r"event 8 of the store, is an ADD; "):
        trade_implied_events(ev, _chunk=3)


def _big(n_blocks):
    """``n_blocks`` times: a bid 100 x 5 and an ask 102 x 5, a sell print of 1 at 100 (reduced to 4), each its own
    message; 3 events and one added row a block."""
    block = [(0, D, 1, 100, 5), (1, D, -1, 102, 5), (2, T, -1, 100, 1)]
    ev = np.tile(make_events(block), n_blocks)
    ev["exch_ts"] += np.repeat(np.arange(n_blocks, dtype=np.int64) * 10, 3)
    ev["local_ts"] = ev["exch_ts"]
    return ev


def test_the_transform_holds_a_chunk_not_the_store(tmp_path):
    # 20,000 blocks: 60,000 events (2.88 MB) and 39,999 added rows. In chunks of 1,000 events what Python
    # allocates at once stays under 1 MB (a chunk is 48 kB); holding the store's events took more than 2.88 MB.
    n = 20_000
    write_store(tmp_path / "plain", _big(n), META, validate=False)
    tracemalloc.start()
    try:
        st = trade_implied(tmp_path / "plain", tmp_path / "out", _chunk=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert st.meta["quirks"]["trade_implied_book"] == {"prints": n, "hidden": 0, "reduced": n, "restored": n - 1}
    assert len(st) == 3 * n + n + (n - 1)
    assert peak < 1_000_000, peak
