"""Loaders, the event store and ``mmsim convert`` on the real files in ../shared/data.

Books are rebuilt with ``mmsim._engine.replay_bbo`` when the engine provides it,
else with the small pure-Python book below, and compared with each source's
own view of its book (LOBSTER's orderbook file, Binance's bookTicker, the
Databento snapshot and its executions at the touch).
"""

from __future__ import annotations

import gzip
import heapq
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

import mmsim
from mmsim.data import load, to_l2, write_store
from mmsim.data import binance as bn
from mmsim.data import databento as dbt
from mmsim.data import hftbacktest as hbt
from mmsim.data import lobster as lob
from mmsim.data import tardis as tds
from mmsim.events import EVENT_DTYPE, Kind

LO, HI = np.iinfo(np.int64).min, np.iinfo(np.int64).max
AMZN = "AMZN_2012-06-21_34200000_57600000_message_1.csv"
AAPL = "AAPL_2012-06-21_34200000_57600000_message_10.csv"


# --------------------------------------------------------------------------- helpers
class PyBook:
    """Independent reference book (L2 levels + L3 orders) for the checks."""

    def __init__(self) -> None:
        self.lv = {1: {}, -1: {}}
        self.h = {1: [], -1: []}
        self.orders: dict[int, list[int]] = {}

    def set(self, s: int, p: int, q: int) -> None:
        lv = self.lv[s]
        if q <= 0:
            lv.pop(p, None)
            return
        if p not in lv:
            heapq.heappush(self.h[s], -p if s > 0 else p)
        lv[p] = q

    def apply(self, k: int, s: int, p: int, q: int, oid: int) -> None:
        if k == Kind.DEPTH:
            self.set(s, p, q)
        elif k == Kind.CLEAR:
            for side in (1, -1):
                if s in (0, side):
                    self.lv[side].clear()
                    self.h[side].clear()
            if s == 0:
                self.orders.clear()
        elif k == Kind.ADD:
            self.orders[oid] = [s, p, q]
            self.set(s, p, self.lv[s].get(p, 0) + q)
        elif k in (Kind.CANCEL, Kind.DELETE, Kind.EXECUTE):
            o = self.orders[oid]
            assert (o[0], o[1]) == (s, p), "L3 event must carry the order's side and price"
            rm = o[2] if k == Kind.DELETE else q
            assert k != Kind.DELETE or q == o[2], "DELETE qty must be the remaining size"
            o[2] -= rm
            assert o[2] >= 0
            if o[2] == 0:
                del self.orders[oid]
            self.set(s, p, self.lv[s][p] - rm)

    def best(self, s: int) -> int:
        h, lv = self.h[s], self.lv[s]
        while h and (-h[0] if s > 0 else h[0]) not in lv:
            heapq.heappop(h)
        if not h:
            return LO if s > 0 else HI
        return -h[0] if s > 0 else h[0]

    def top(self, s: int, n: int) -> list[tuple[int, int]]:
        lv = self.lv[s]
        ps = heapq.nlargest(n, lv) if s > 0 else heapq.nsmallest(n, lv)
        return [(p, lv[p]) for p in ps]


def replay_bbo(events) -> tuple[np.ndarray, np.ndarray]:
    """Best bid and ask after each event (engine's replay_bbo when available)."""
    ev = np.asarray(events)
    eng = getattr(mmsim, "_engine", None)
    if eng is not None and hasattr(eng, "replay_bbo"):
        r = eng.replay_bbo(ev)
        return np.asarray(r["best_bid"]), np.asarray(r["best_ask"])
    b = PyBook()
    bb = np.empty(len(ev), np.int64)
    ba = np.empty(len(ev), np.int64)
    cols = zip(ev["kind"].tolist(), ev["side"].tolist(), ev["price"].tolist(), ev["qty"].tolist(), ev["order_id"].tolist())
    for i, (k, s, p, q, o) in enumerate(cols):
        b.apply(k, s, p, q, o)
        bb[i], ba[i] = b.best(1), b.best(-1)
    return bb, ba


def last_index_per_time(ts: np.ndarray) -> np.ndarray:
    """Index of the last event at each distinct exchange time."""
    return np.flatnonzero(np.r_[ts[1:] != ts[:-1], True])


def counts(ev) -> dict[int, int]:
    k, c = np.unique(np.asarray(ev)["kind"], return_counts=True)
    return {int(a): int(b) for a, b in zip(k, c)}


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory):
    return tmp_path_factory.mktemp("stores")


# --------------------------------------------------------------------------- store
def test_store_roundtrip_streams_chunks(tmp_path):
    from mmsim.data.store import EventStoreWriter

    ev = np.zeros(10, EVENT_DTYPE)
    ev["exch_ts"] = np.arange(10) * 1000
    ev["local_ts"] = ev["exch_ts"] + 5
    ev["kind"] = Kind.DEPTH
    ev["side"] = 1
    ev["price"] = np.arange(10) + 100
    ev["qty"] = 3
    w = EventStoreWriter(tmp_path / "s")
    with w:
        w.append(ev[:4])
        w.append(ev[4:])
        w.shift_local_ts(10)
        st = w.close({"symbol": "X", "venue": "v", "tick_size": 0.5, "lot_size": 2.0, "contract_size": 1.0,
                      "source": [], "time_zone": "UTC", "levels": "L2", "local_ts_recorded": True, "quirks": {}})
    st2 = load(tmp_path / "s")
    assert isinstance(st2.events, np.memmap) and st2.events.dtype == EVENT_DTYPE
    assert len(st2) == 10 and st2.tick_size == 0.5 and st2.lot_size == 2.0
    assert st2.meta["event_count"] == 10 and st2.meta["first_exch_ts"] == 0 and st2.meta["last_exch_ts"] == 9000
    np.testing.assert_array_equal(st2.events["price"], ev["price"])
    np.testing.assert_array_equal(st2.events["local_ts"], ev["local_ts"] + 10)
    assert np.asarray(st).base is not None or len(np.asarray(st)) == 10


def test_store_bytes_depend_on_the_events_only(tmp_path):
    """The 6 padding bytes of each 48-byte record are written as zeros, whatever memory held them."""
    from mmsim.data.store import EventStoreWriter

    meta = {"symbol": "X", "venue": "v", "tick_size": 0.5, "lot_size": 2.0, "contract_size": 1.0, "source": [],
            "time_zone": "UTC", "levels": "L2", "local_ts_recorded": True, "quirks": {}}
    files = []
    for k, fill in enumerate((0x00, 0xAB)):
        raw = np.full(3 * EVENT_DTYPE.itemsize, fill, np.uint8)  # padding left as `fill`
        ev = raw.view(EVENT_DTYPE)
        for n in EVENT_DTYPE.names:
            ev[n] = 0
        ev["exch_ts"] = ev["local_ts"] = [1, 2, 3]
        ev["kind"], ev["side"], ev["price"], ev["qty"] = Kind.DEPTH, 1, 100, 1
        with EventStoreWriter(tmp_path / f"s{k}") as w:
            w.append(ev)
            w.close(meta)
        files.append((tmp_path / f"s{k}" / "events.npy").read_bytes())
        assert ev.view(np.uint8)[42] == fill  # the caller's array is left as it was
    assert files[0] == files[1]


def test_store_writer_removes_partial_store_on_error(tmp_path):
    from mmsim.data.store import EventStoreWriter

    with pytest.raises(RuntimeError):
        with EventStoreWriter(tmp_path / "s") as w:
            w.append(np.zeros(3, EVENT_DTYPE))
            raise RuntimeError("boom")
    assert not (tmp_path / "s").exists()


def _meta(**kw):
    m = {"symbol": "X", "venue": "v", "tick_size": 0.01, "lot_size": 1.0, "contract_size": 1.0, "source": [],
         "time_zone": "UTC", "levels": "L2", "local_ts_recorded": False, "quirks": {}}
    m.update(kw)
    return m


def test_load_rejects_bad_stores(tmp_path):
    # Placeholder events (kind 0): these stores test load's checks, not the book.
    st = write_store(tmp_path / "ok", np.zeros(2, EVENT_DTYPE), _meta(), validate=False)
    assert len(st) == 2
    meta = json.loads((tmp_path / "ok" / "meta.json").read_text())
    del meta["tick_size"]
    (tmp_path / "ok" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError, match=r"ok/meta.json: missing key\(s\) tick_size"):
        load(tmp_path / "ok")
    write_store(tmp_path / "b", np.zeros(2, EVENT_DTYPE), _meta(), validate=False)
    np.save(tmp_path / "b" / "events.npy", np.zeros(2, [("a", "<i8")]))
    with pytest.raises(mmsim.DataError, match=r"b/events.npy: dtype .* is not mmsim.EVENT_DTYPE"):
        load(tmp_path / "b")
    write_store(tmp_path / "c", np.zeros(2, EVENT_DTYPE), _meta(), validate=False)
    meta = json.loads((tmp_path / "c" / "meta.json").read_text())
    meta["event_count"] = 5
    (tmp_path / "c" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError, match="'event_count' is 5 but events.npy holds 2"):
        load(tmp_path / "c")
    with pytest.raises(mmsim.DataError, match="not an event store directory"):
        load(tmp_path / "nowhere")


# --------------------------------------------------------------------------- LOBSTER
def _lobster_rows(msg: Path):
    ob = lob.orderbook_path(msg)
    m = np.loadtxt(msg, delimiter=",", dtype=np.float64, usecols=(0,))
    types = np.loadtxt(msg, delimiter=",", dtype=np.int64, usecols=(1,))
    book = np.loadtxt(ob, delimiter=",", dtype=np.int64, ndmin=2)
    return m, types, book


@pytest.mark.parametrize("name", [AMZN, AAPL], ids=["AMZN-level1", "AAPL-level10"])
def test_lobster_converts_and_matches_orderbook_file(name, tmp_module):
    msg = shared_data("lobster", name)
    st = lob.convert([msg], tmp_module / name[:4])
    ev = np.asarray(st.events)
    secs, types, book = _lobster_rows(msg)
    nlev = book.shape[1] // 4
    c = counts(ev)
    q = st.meta["quirks"]
    # Each message maps to a known number of events (synthetic ADDs/DELETEs come from the quirks). An execution of an
    # order the file never submitted is spread over the level's depth, the front of the queue first (fix34l: it was
    # one EXECUTE of a new synthetic order folding that depth, at the back): every type-4 message's lots are executed,
    # in at least one EXECUTE each.
    sizes = np.loadtxt(msg, delimiter=",", dtype=np.int64, usecols=(3,))
    assert int(ev["qty"][ev["kind"] == Kind.EXECUTE].sum()) == int(sizes[types == 4].sum())
    assert c.get(Kind.EXECUTE, 0) >= int((types == 4).sum())
    assert c.get(Kind.TRADE, 0) == int(((types == 5) | (types == 6)).sum())
    assert c.get(Kind.ADD, 0) >= int((types == 1).sum()) + q["seeded_levels"]
    assert st.meta["levels"] == "L3" and st.tick_size == 0.01 and st.meta["time_zone"] == "America/New_York"
    # 2012-06-21 09:30:00 New York (EDT, UTC-4) is 13:30:00 UTC.
    assert st.meta["first_exch_ts"] == 1340285400 * 10**9 + round((secs[0] - 34200) * 1e9)
    # Reconstructed top of book equals the orderbook file after every distinct timestamp.
    ts = ev["exch_ts"]
    row_ts = st.meta["first_exch_ts"] - round((secs[0] - 34200) * 1e9) + np.round((secs - 34200) * 1e9).astype(np.int64)
    last_row = last_index_per_time(row_ts)
    ev_idx = np.searchsorted(ts, row_ts[last_row], side="right") - 1
    bb, ba = replay_bbo(ev)
    ask = np.where(book[last_row, 1] > 0, book[last_row, 0] // 100, HI)
    bid = np.where(book[last_row, 3] > 0, book[last_row, 2] // 100, LO)
    assert len(last_row) > 800
    np.testing.assert_array_equal(bb[ev_idx], bid)
    np.testing.assert_array_equal(ba[ev_idx], ask)
    if nlev > 1:  # all ten levels, with sizes, after every row
        b = PyBook()
        rows = iter(zip(ev["kind"].tolist(), ev["side"].tolist(), ev["price"].tolist(), ev["qty"].tolist(),
                        ev["order_id"].tolist()))
        done = 0
        for r, e in zip(last_row, ev_idx):
            while done <= e:
                b.apply(*next(rows))
                done += 1
            want_a = [(int(book[r, 4 * k]) // 100, int(book[r, 4 * k + 1])) for k in range(nlev) if book[r, 4 * k + 1] > 0]
            want_b = [(int(book[r, 4 * k + 2]) // 100, int(book[r, 4 * k + 3])) for k in range(nlev) if book[r, 4 * k + 3] > 0]
            assert b.top(-1, nlev) == want_a
            assert b.top(1, nlev) == want_b


def test_lobster_seeds_resting_orders_and_explains_unknown_ids(tmp_module):
    st = load(tmp_module / "AMZN") if (tmp_module / "AMZN").exists() else lob.convert(
        [shared_data("lobster", AMZN)], tmp_module / "AMZN")
    q = st.meta["quirks"]
    ev = np.asarray(st.events)
    first = ev["exch_ts"] == ev["exch_ts"][0]
    syn = ev["order_id"] >= lob.SYNTHETIC_ID_BASE
    # The two resting levels of the first row are seeded at the first timestamp.
    assert q["seeded_levels"] == 2
    assert int((first & syn & (ev["kind"] == Kind.ADD)).sum()) >= 2
    assert q["unknown_ids_explained_by_seeded_depth"] > 0
    assert q["hidden_trades_rounded_to_grid"] == 63  # the sub-penny hidden executions of this file


# --------------------------------------------------------------------------- Binance
BINANCE = [("usdm", "btcusdt_20240808.gz"), ("usdm", "ethusdt_20240808.gz"), ("spot", "btcusdt_20240808.gz"),
           ("usdm_2023", "btcusdt_20230404.dat.gz")]


def _binance_lines(path: Path):
    with gzip.open(path, "rt") as f:
        for line in f:
            ts, js = line.split(" ", 1)
            yield int(ts), json.loads(js)


@pytest.mark.parametrize("folder,name", BINANCE, ids=[f"{a}-{b.split('_')[0]}" for a, b in BINANCE])
def test_binance_converts_and_matches_book_ticker(folder, name, real_store):
    path = shared_data("binance", folder, name)
    st = real_store("binance", "binance", folder, name)
    ev = np.asarray(st.events)
    # Expected counts straight from the file: snapshot levels + levels of applied diffs, trades after the snapshot.
    snap = None
    diffs = []
    trades = []
    for _, m in _binance_lines(path):
        if "lastUpdateId" in m:
            snap = m
        elif "data" in m and m["data"].get("e") == "depthUpdate":
            diffs.append(m["data"])
        elif "data" in m and m["data"].get("e") == "trade":
            trades.append(m["data"])
    assert snap is not None
    L = snap["lastUpdateId"]
    usdm = "pu" in diffs[0]
    applied = [d for d in diffs if (d["u"] >= L if usdm else d["u"] > L)]
    n_depth = len(snap["bids"]) + len(snap["asks"]) + sum(len(d["b"]) + len(d["a"]) for d in applied)
    t0 = st.meta["first_exch_ts"]
    n_trades = sum(1 for t in trades if t["T"] * 10**6 >= t0 and t.get("X", "MARKET") == "MARKET")
    assert counts(ev) == {Kind.DEPTH: n_depth, Kind.TRADE: n_trades, Kind.CLEAR: 1}
    assert st.meta["venue"] == ("binance-usdm" if usdm else "binance-spot")
    # The recorder clock quirk: corrected so that local_ts >= exch_ts, offset recorded.
    off = st.meta["quirks"]["local_clock_offset_ns"]
    assert (ev["local_ts"] >= ev["exch_ts"]).all() and (ev["local_ts"] - ev["exch_ts"]).min() == 0
    if folder != "usdm_2023":
        assert 1.2e9 < off < 1.4e9  # ~1.3 s behind in the 2024 captures
    # bookTicker: where a bookTicker's update id is the last update of the last diff
    # at an exchange time, the rebuilt top of book must equal it exactly.
    bt = bn.book_tickers(path, st.tick_size, st.lot_size)
    key = "T" if usdm else "E"
    last_diff = {}
    for d in applied:
        last_diff[d[key]] = d["u"]
    u_at = {u: t for t, u in last_diff.items()}
    hits = [(u_at[u], b, a) for u, b, a in zip(bt["u"].tolist(), bt["bid"].tolist(), bt["ask"].tolist()) if u in u_at]
    assert len(hits) > 200
    bb, ba = replay_bbo(ev)
    ts = ev["exch_ts"]
    t_ms = np.array([h[0] for h in hits], np.int64) * 10**6
    idx = np.searchsorted(ts, t_ms, side="right") - 1
    np.testing.assert_array_equal(bb[idx], [h[1] for h in hits])
    np.testing.assert_array_equal(ba[idx], [h[2] for h in hits])


# --------------------------------------------------------------------------- Databento
def test_databento_dbn_and_csv_agree_and_match_snapshot(tmp_module):
    zst = shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    csv_ = shared_data("databento", "esh4_mbo_20231225.csv.gz")
    a = dbt.convert([zst], tmp_module / "dbn_zst")
    b = dbt.convert([csv_], tmp_module / "dbn_csv")
    np.testing.assert_array_equal(np.asarray(a.events), np.asarray(b.events))
    assert a.meta["symbol"] == "ESH4" and a.tick_size == 0.25 and a.meta["levels"] == "L3"
    ev = np.asarray(a.events)
    # Counts from the raw records: every A is an ADD, every F an EXECUTE (except the 7
    # auction fills of never-shown orders, and the 107 fills of an aggressing order that
    # rests at another price: an F naming the order the T just before it names);
    # 8,725 snapshot orders.
    recs = list(dbt.records(csv_))
    acts = [r[2] for r in recs]
    c = counts(ev)
    assert a.meta["quirks"]["snapshot_orders"] == 8725
    aggressor, last_t = 0, None  # the order id of the last T before record k (one pass: no list copy per F)
    for k, r in enumerate(recs):
        if r[2] == "F" and recs[k - 1][2] in "TF":
            assert last_t is not None, f"record {k}: an F after a T or F with no T before it"
            aggressor += r[6] == last_t
        if r[2] == "T":
            last_t = r[6]
    assert aggressor == a.meta["quirks"]["aggressor_fills"] == 107
    assert c[Kind.EXECUTE] == (acts.count("F") - a.meta["quirks"]["auction_fills_of_unseen_orders"]
                               - a.meta["quirks"]["aggressor_fills"])
    # Adds: every A, plus M records that lose priority (DELETE + ADD) or re-show an order.
    assert acts.count("A") < c[Kind.ADD] <= acts.count("A") + acts.count("M")
    assert c[Kind.CLEAR] == 1
    # ts_recv is local_ts; ts_event is exch_ts.
    assert (ev["local_ts"] >= ev["exch_ts"]).all()
    # The snapshot's top of book, computed from the raw snapshot records.
    snap = [r for r in recs if r[7] & dbt.F_SNAPSHOT]
    best_bid = max(r[4] for r in snap if r[3] == "B") // 250_000_000
    best_ask = min(r[4] for r in snap if r[3] == "A") // 250_000_000
    bb, ba = replay_bbo(ev)
    k = 8725  # CLEAR + 8725 ADDs
    assert (bb[k], ba[k]) == (best_bid, best_ask)
    # The book crosses before the first trade (CME's pre-open): STATUS QUOTING closes the snapshot's message.
    assert (ev["kind"][k + 1], ev["qty"][k + 1], ev["exch_ts"][k + 1]) == (Kind.STATUS, 2, ev["exch_ts"][k])
    assert ev["exch_ts"][k + 2] > ev["exch_ts"][k + 1]


def test_databento_executions_happen_at_the_touch(tmp_module):
    st = load(tmp_module / "dbn_zst") if (tmp_module / "dbn_zst").exists() else dbt.convert(
        [shared_data("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")], tmp_module / "dbn_zst")
    ev = np.asarray(st.events)
    bb, ba = replay_bbo(ev)
    ex = np.flatnonzero(ev["kind"] == Kind.EXECUTE)
    first_trade_ts = ev["exch_ts"][ex[0]]
    ex = ex[ev["exch_ts"][ex] > first_trade_ts]  # after the opening auction
    before = ex - 1
    touch = np.where(ev["side"][ex] > 0, bb[before], ba[before])
    # Continuous-trading executions take resting orders at the best price. The few
    # that do not (49 of 6,336 here) are CME implied/spread-leg matches, which
    # fill outright orders at leg prices away from the touch.
    assert len(ex) > 5000
    at_touch = ev["price"][ex] == touch
    assert at_touch.mean() > 0.99
    assert st.meta["quirks"]["preopen_crossed_messages"] > 0


# --------------------------------------------------------------------------- hftbacktest npz
def test_hftbacktest_npz_roundtrip_l2_and_l3(real_store, tmp_path):
    for name, st in (("bn", real_store("binance", "binance", "usdm", "btcusdt_20240808.gz")),
                     ("lob", real_store("lobster", "lobster", AAPL))):
        arr = hbt.export(st, tmp_path / f"{name}.npz")
        assert arr.dtype == hbt.HBT_EVENT_DTYPE
        back = hbt.convert([tmp_path / f"{name}.npz"], tmp_path / f"{name}_back")
        assert back.tick_size == pytest.approx(st.tick_size) and back.meta["levels"] == st.meta["levels"]
        a, b = np.asarray(st.events), np.asarray(back.events)
        # A side-0 CLEAR goes out as one sideless clear (17; one per side before) and comes back as one CLEAR
        # (npzsnap15: it came back as two, one per side, which a report took for two snapshots): the store unchanged.
        assert int(((a["kind"] == Kind.CLEAR) & (a["side"] == 0)).sum()) >= 1
        np.testing.assert_array_equal(b, a)


def test_hftbacktest_partial_clear_import(tmp_path):
    rows = np.zeros(5, hbt.HBT_EVENT_DTYPE)
    E, B, S = hbt.EXCH_EVENT | hbt.LOCAL_EVENT, hbt.BUY_EVENT, hbt.SELL_EVENT
    rows["ev"] = [hbt.DEPTH_EVENT | B | E, hbt.DEPTH_EVENT | B | E, hbt.DEPTH_EVENT | S | E,
                  hbt.DEPTH_CLEAR_EVENT | B | E, hbt.TRADE_EVENT | S | E]
    rows["exch_ts"] = rows["local_ts"] = 1_700_000_000_000_000_000 + np.arange(1, 6)  # ns, from 2023
    rows["px"] = [10.0, 9.5, 10.5, 10.0, 9.5]
    rows["qty"] = [1.0, 2.0, 3.0, 0.0, 1.0]
    np.savez_compressed(tmp_path / "x.npz", data=rows)
    st = hbt.convert([tmp_path / "x.npz"], tmp_path / "s")
    ev = np.asarray(st.events)
    assert st.tick_size == 0.5 and st.lot_size == 1.0
    # Clearing bids "up to 10.0" removes only the 10.0 level (20 ticks), not 9.5.
    assert ev["kind"].tolist() == [Kind.DEPTH, Kind.DEPTH, Kind.DEPTH, Kind.DEPTH, Kind.TRADE]
    assert (ev["price"][3], ev["qty"][3], ev["side"][3]) == (20, 0, 1)
    assert (ev["side"][4], ev["price"][4]) == (-1, 19)


def _hbt_npz(path, spec):
    """An hftbacktest file of ``(ev, px, qty, order_id)`` rows, 1 ns apart from 2023-11-14."""
    E = hbt.EXCH_EVENT | hbt.LOCAL_EVENT
    rows = np.zeros(len(spec), hbt.HBT_EVENT_DTYPE)
    for i, (ev, px, q, oid) in enumerate(spec):
        rows[i]["ev"] = ev | E
        rows[i]["exch_ts"] = rows[i]["local_ts"] = 1_700_000_000_000_000_000 + i + 1
        rows[i]["px"], rows[i]["qty"], rows[i]["order_id"] = px, q, oid
    np.savez_compressed(path, data=rows)
    return path


def test_hftbacktest_partial_clear_on_l3_orders_deletes_only_the_orders_it_reaches(tmp_path):
    # L3 bids 100 (order 1) and 99 (order 2), ask 101 (order 3); clear bids "up to 100".
    # It was a CLEAR of the whole bid side (the L2 levels it looked at were empty): order 2
    # vanished, and the later cancel of order 2 was "unknown order id 2".
    B, S = hbt.BUY_EVENT, hbt.SELL_EVENT
    for side, far, clear_px, gone, kept in ((B, 99.0, 100.0, 1, 2), (S, 102.0, 101.0, 3, 4)):
        other = S if side == B else B
        near = 100.0 if side == B else 101.0
        p = _hbt_npz(tmp_path / f"x{side}.npz", [
            (hbt.ADD_ORDER_EVENT | side, near, 5, gone), (hbt.ADD_ORDER_EVENT | side, far, 3, kept),
            (hbt.ADD_ORDER_EVENT | other, 101.0 if side == B else 100.0, 4, 9),
            (hbt.DEPTH_CLEAR_EVENT | side, clear_px, 0, 0), (hbt.CANCEL_ORDER_EVENT | side, far, 0, kept)])
        st = hbt.convert([p], tmp_path / f"s{side}", tick_size=1, lot_size=1)
        s = 1 if side == B else -1
        assert [(Kind(e["kind"]).name, int(e["side"]), int(e["price"]), int(e["qty"]), int(e["order_id"]))
                for e in np.asarray(st.events)[3:]] == [("DELETE", s, int(near), 5, gone),
                                                        ("DELETE", s, int(far), 3, kept)]


def test_hftbacktest_depth_row_and_l3_orders_at_one_price_is_an_error(tmp_path):
    # The engine's level would be the depth row's size and the orders' at once: deleting
    # the orders after a depth row made the level negative (bid size -1), with no error.
    B, S = hbt.BUY_EVENT, hbt.SELL_EVENT
    p = _hbt_npz(tmp_path / "a.npz", [(hbt.ADD_ORDER_EVENT | B, 100.0, 3, 5), (hbt.ADD_ORDER_EVENT | S, 101.0, 3, 6),
                                      (hbt.DEPTH_EVENT | B, 100.0, 2, 0)])
    with pytest.raises(mmsim.DataError) as ei:
        hbt.convert([p], tmp_path / "sa", tick_size=1, lot_size=1)
    assert str(ei.value) == (f"{p}: record 3: depth row at price 100 on the bid side, where L3 orders rest: an L2 "
                             "level and L3 orders at one price cannot be replayed as one book")
    p = _hbt_npz(tmp_path / "b.npz", [(hbt.DEPTH_EVENT | S, 101.0, 2, 0), (hbt.DEPTH_EVENT | B, 100.0, 2, 0),
                                      (hbt.ADD_ORDER_EVENT | S, 101.0, 3, 7)])
    with pytest.raises(mmsim.DataError) as ei:
        hbt.convert([p], tmp_path / "sb", tick_size=1, lot_size=1)
    assert str(ei.value) == (f"{p}: record 3: order 7 added at price 101 on the ask side, where a depth row set an "
                             "L2 level: an L2 level and L3 orders at one price cannot be replayed as one book")


# --------------------------------------------------------------------------- Tardis
BOOK_HDR = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
TRADE_HDR = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def test_tardis_book_and_trades(tmp_path):
    # Times are offsets (µs) from T0: loaders require epoch times from 1990 on.
    T0 = 1_700_000_000_000_000
    (tmp_path / "book.csv").write_text(
        BOOK_HDR
        + f"binance-futures,BTCUSDT,{T0 + 1000000},{T0 + 1000500},true,ask,100.5,2\n"
        + f"binance-futures,BTCUSDT,{T0 + 1000000},{T0 + 1000500},true,bid,100.0,1.5\n"
        + f"binance-futures,BTCUSDT,{T0 + 1000000},{T0 + 1000500},true,bid,99.5,3\n"
        + f"binance-futures,BTCUSDT,{T0 + 1002000},{T0 + 1002300},false,bid,100.0,0\n"
        + f"binance-futures,BTCUSDT,{T0 + 1003000},{T0 + 1003100},true,bid,99.0,1\n"
        + f"binance-futures,BTCUSDT,{T0 + 1003000},{T0 + 1003100},true,ask,99.5,1\n"
    )
    with gzip.open(tmp_path / "trades.csv.gz", "wt") as f:
        f.write(TRADE_HDR + f"binance-futures,BTCUSDT,{T0 + 1001000},{T0 + 1001800},t1,sell,100.0,1.5\n"
                + f"binance-futures,BTCUSDT,{T0 + 1002500},{T0 + 1002600},t2,unknown,99.5,0.5\n")
    st = tds.convert([tmp_path / "book.csv", tmp_path / "trades.csv.gz"], tmp_path / "s")
    ev = np.asarray(st.events)
    # Tick: the common step of the prices; lot: the finest decimal of the amounts.
    assert st.tick_size == 0.5 and st.lot_size == 0.1 and st.meta["symbol"] == "BTCUSDT"
    assert st.meta["venue"] == "tardis-binance-futures"
    got = [(int(e["exch_ts"]) // 1000 - T0, int(e["local_ts"]) // 1000 - T0, Kind(e["kind"]).name, int(e["side"]),
            int(e["price"]), int(e["qty"])) for e in ev]
    assert got == [
        (1000000, 1000500, "CLEAR", 0, 0, 0),
        (1000000, 1000500, "DEPTH", -1, 201, 20),
        (1000000, 1000500, "DEPTH", 1, 200, 15),
        (1000000, 1000500, "DEPTH", 1, 199, 30),
        (1001000, 1001800, "TRADE", -1, 200, 15),
        (1002000, 1002300, "DEPTH", 1, 200, 0),
        (1002500, 1002600, "TRADE", 0, 199, 5),
        (1003000, 1003100, "CLEAR", 0, 0, 0),
        (1003000, 1003100, "DEPTH", 1, 198, 10),
        (1003000, 1003100, "DEPTH", -1, 199, 10),
    ]
    assert st.meta["quirks"]["snapshots"] == 2 and st.meta["quirks"]["unknown_aggressor_trades"] == 1


# --------------------------------------------------------------------------- to_l2
def test_to_l2_aggregates_orders_to_levels():
    from conftest import make_events

    ev = make_events([
        (1, Kind.ADD, 1, 100, 5, 11),
        (2, Kind.ADD, 1, 100, 3, 12),
        (3, Kind.ADD, -1, 101, 4, 13),
        (4, Kind.CANCEL, 1, 100, 2, 11),
        (5, Kind.EXECUTE, 1, 100, 3, 11),
        (6, Kind.DELETE, 1, 100, 3, 12),
        (7, Kind.TRADE, 1, 101, 1),
        (8, Kind.CLEAR, 0, 0, 0),
    ])
    out = to_l2(ev)
    got = [(int(e["exch_ts"]), Kind(e["kind"]).name, int(e["side"]), int(e["price"]), int(e["qty"])) for e in out]
    assert got == [
        (1, "DEPTH", 1, 100, 5),
        (2, "DEPTH", 1, 100, 8),
        (3, "DEPTH", -1, 101, 4),
        (4, "DEPTH", 1, 100, 6),
        (5, "TRADE", -1, 100, 3),
        (5, "DEPTH", 1, 100, 3),
        (6, "DEPTH", 1, 100, 0),
        (7, "TRADE", 1, 101, 1),
        (8, "CLEAR", 0, 0, 0),
    ]
    assert (out["order_id"] == 0).all()
    with pytest.raises(mmsim.DataError, match="to_l2: event 0: CANCEL of unknown order id 99"):
        to_l2(make_events([(1, Kind.CANCEL, 1, 100, 1, 99)]))


def test_to_l2_of_lobster_day_keeps_the_top_of_book(tmp_module):
    st = lob.convert([shared_data("lobster", AAPL)], tmp_module / "aapl_l2")
    l3 = np.asarray(st.events)
    l2 = to_l2(l3)
    b3, a3 = replay_bbo(l3)
    b2, a2 = replay_bbo(l2)
    i3 = last_index_per_time(l3["exch_ts"])
    i2 = last_index_per_time(l2["exch_ts"])
    np.testing.assert_array_equal(b3[i3], b2[i2])
    np.testing.assert_array_equal(a3[i3], a2[i2])
    assert counts(l2)[Kind.TRADE] == counts(l3)[Kind.EXECUTE] + counts(l3).get(Kind.TRADE, 0)


def test_store_chunks_cover_every_event(tmp_path):
    ev = np.zeros(10, EVENT_DTYPE)
    ev["exch_ts"] = np.arange(10)
    ev["price"] = np.arange(10) * 7
    st = write_store(tmp_path / "s", ev, _meta(), validate=False)  # placeholder events (kind 0)
    parts = list(st.chunks(4))  # windows stay valid after their pages are released
    assert [len(p) for p in parts] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(parts), ev)


SAMPLES = [
    ("lobster", ("lobster", AMZN)),
    ("lobster", ("lobster", AAPL)),
    ("binance", ("binance", "usdm", "btcusdt_20240808.gz")),
    ("binance", ("binance", "usdm", "ethusdt_20240808.gz")),
    ("binance", ("binance", "spot", "btcusdt_20240808.gz")),
    ("binance", ("binance", "usdm_2023", "btcusdt_20230404.dat.gz")),
    ("databento", ("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")),
    ("databento", ("databento", "esh4_mbo_20231225.csv.gz")),
]


@pytest.mark.parametrize("fmt,parts", SAMPLES, ids=[p[-1].split(".")[0] for _, p in SAMPLES])
def test_every_sample_replays_through_the_engine(fmt, parts, tmp_path):
    """Every file in ../shared/data converts and replays with mmsim.run (no strategy)."""
    src = shared_data(*parts)
    from mmsim.data import converter

    st = converter(fmt)([src], tmp_path / "s")
    # The bucket volume's default with its unit: on Binance (a lot of 0.001 or 1e-08) the default alone would
    # warn (LotUnitWarning, docs/signals.md); the replay is the same.
    cfg = mmsim.Config(tick_size=st.tick_size, lot_size=st.lot_size,
                       signals=mmsim.SignalConfig(vpin_bucket_volume="100 lots"))
    res = mmsim.run(st, None, cfg)
    assert res.n_events == len(st)
    assert len(res.fills) == 0 and res.position == 0


def test_reference_book_agrees_with_engine_replay_bbo(tmp_path):
    """The pure-Python reference book of these tests and the engine's replay_bbo agree (L3 and L2)."""
    st = lob.convert([shared_data("lobster", AAPL)], tmp_path / "s")
    for ev in (np.asarray(st.events), to_l2(st)):
        r = mmsim._engine.replay_bbo(ev)
        b = PyBook()
        bb, ba = [], []
        for k, s, p, q, o in zip(ev["kind"].tolist(), ev["side"].tolist(), ev["price"].tolist(), ev["qty"].tolist(),
                                 ev["order_id"].tolist()):
            b.apply(k, s, p, q, o)
            bb.append(b.best(1))
            ba.append(b.best(-1))
        np.testing.assert_array_equal(np.asarray(r["best_bid"]), bb)
        np.testing.assert_array_equal(np.asarray(r["best_ask"]), ba)


def test_real_store_converts_a_day_once_and_names_a_store_written_into(real_store):
    # The session's shared conversion (tests/conftest.py): the same options give the same directory, another
    # option its own; a file added to the shared store fails the next call, naming the store.
    a, b = real_store("lobster", "lobster", AAPL), real_store("lobster", "lobster", AAPL)
    assert a.path == b.path and a is not b
    assert real_store("lobster", "lobster", AAPL, tick_size=0.01).path != a.path
    extra = a.path / "written_by_a_test"
    extra.write_text("x")
    try:
        with pytest.raises(AssertionError, match=f"the shared store {a.path} of {AAPL} changed since it was converted"):
            real_store("lobster", "lobster", AAPL)
    finally:
        extra.unlink()
    assert real_store("lobster", "lobster", AAPL).path == a.path
