"""breaker17a: the streamed trade-implied transform (mmsim.data.implied) against the in-memory one it replaced.

The reference below is the in-memory ``trade_implied_events`` of 087b0ac (checked against an independent
reference when it was written), trimmed: no L3 refusal, no docstrings. Random L2 streams (depth both sides,
prints with side +1/-1/0, clears of one side or both, status changes, messages of one ``exch_ts`` from one event
to longer than the chunk, a stream that is all one message, empty streams, timestamps that repeat non-adjacently)
go through the streamed transform at random chunk sizes from 1 to 50 and the default; events (every field) and
counts must be the reference's. A few go through a store too: ``trade_implied`` in small chunks must write the
bytes and ``meta.json`` that ``write_store`` writes from the reference's events.
"""

from __future__ import annotations

import heapq
import json

import numpy as np
import pytest

from mmsim import EVENT_DTYPE, Kind, TradingStatus
from mmsim.data import write_store
from mmsim.data.implied import QUIRK, trade_implied, trade_implied_events

D, T, C, ST = int(Kind.DEPTH), int(Kind.TRADE), int(Kind.CLEAR), int(Kind.STATUS)
META = {"symbol": "X", "tick_size": 0.01, "lot_size": 1.0, "levels": "L2"}


# --- the reference: 087b0ac's in-memory transform, trimmed ------------------------------------------------------

class _RefSide:
    def __init__(self, sign):
        self.sign, self.shown, self.real, self.heap, self.changed = sign, {}, {}, [], set()

    def set_shown(self, price, qty):
        if qty <= 0:
            self.shown.pop(price, None)
            return
        if price not in self.shown:
            heapq.heappush(self.heap, -self.sign * price)
        self.shown[price] = qty

    def best(self):
        h = self.heap
        while h and -self.sign * h[0] not in self.shown:
            heapq.heappop(h)
        return -self.sign * h[0] if h else None

    def depth(self, price, qty):
        if qty <= 0:
            self.real.pop(price, None)
        else:
            self.real[price] = qty
        self.set_shown(price, qty)

    def clear(self):
        self.shown.clear()
        self.real.clear()
        self.heap.clear()
        self.changed.clear()


def reference(ev):
    kinds = ev["kind"].astype(np.int64).tolist()
    ts = ev["exch_ts"]
    side = ev["side"].astype(np.int64).tolist()
    price, qty = ev["price"].tolist(), ev["qty"].tolist()
    n = len(kinds)
    starts = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]]).tolist() if n else []
    books = {1: _RefSide(1), -1: _RefSide(-1)}
    trading = True
    pos, rows = [], []
    counts = {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
    for m, a in enumerate(starts):
        b = starts[m + 1] if m + 1 < len(starts) else n
        updates = {s for i in range(a, b) if kinds[i] in (D, C)
                   for s in ((1, -1) if kinds[i] == C and side[i] == 0 else (side[i],))}
        cleared = {s for i in range(a, b) if kinds[i] == C for s in ((1, -1) if side[i] == 0 else (side[i],))}
        for s in updates:
            bk = books[s]
            for p in sorted(bk.changed) if s not in cleared else ():
                q = bk.real.get(p, 0)
                if bk.shown.get(p, 0) != q:
                    pos.append(a)
                    rows.append((a, s, p, q))
                    counts["restored"] += 1
                bk.set_shown(p, q)
            bk.changed.clear()
        for i in range(a, b):
            k = kinds[i]
            if k == D:
                books[side[i]].depth(price[i], qty[i])
            elif k == C:
                for s in (1, -1) if side[i] == 0 else (side[i],):
                    books[s].clear()
            elif k == ST:
                trading = qty[i] == int(TradingStatus.TRADING)
            elif k == T and trading:
                against = -side[i]
                if against == 0:
                    bb, ba = books[1].best(), books[-1].best()
                    against = 1 if bb is not None and price[i] < bb else -1 if ba is not None and price[i] > ba else 0
                if against == 0 or against in updates:
                    continue
                bk, p = books[against], price[i]
                changed = False
                while (best := bk.best()) is not None and against * (best - p) > 0:
                    bk.set_shown(best, 0)
                    bk.changed.add(best)
                    pos.append(i + 1)
                    rows.append((i, against, best, 0))
                    counts["hidden"] += 1
                    changed = True
                left = bk.shown.get(p, 0)
                if left > 0:
                    rest = max(0, left - qty[i])
                    bk.set_shown(p, rest)
                    bk.changed.add(p)
                    pos.append(i + 1)
                    rows.append((i, against, p, rest))
                    counts["hidden" if rest == 0 else "reduced"] += 1
                    changed = True
                counts["prints"] += changed
    if not rows:
        return ev.copy(), counts
    src = np.array([r[0] for r in rows], dtype=np.int64)
    add = np.zeros(len(rows), dtype=EVENT_DTYPE)
    add["exch_ts"] = ev["exch_ts"][src]
    add["local_ts"] = ev["local_ts"][src]
    add["kind"] = D
    add["side"] = [r[1] for r in rows]
    add["price"] = [r[2] for r in rows]
    add["qty"] = [r[3] for r in rows]
    return np.insert(ev, np.asarray(pos, dtype=np.int64), add), counts


# --- random L2 streams ------------------------------------------------------------------------------------------

def random_stream(rng, *, store=False):
    """An L2 stream: 0 to 200 events in messages of 1 to 80 events (or all one message, or repeated timestamps
    out of order unless ``store``); prints of qty >= 1 when ``store`` (a store refuses a print of 0)."""
    n = int(rng.choice([0, 1, 2, 5, 20, 60, 200]))
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    if n == 0:
        return ev
    mode = int(rng.integers(0, 6))
    if mode == 0:
        ts = np.full(n, 7, np.int64)  # all one message
    elif mode == 5 and not store:
        ts = rng.integers(0, 4, n) * 10  # a timestamp's events not all adjacent
    else:
        lens = []
        while sum(lens) < n:
            lens.append(int(rng.integers(1, 80)) if mode == 1 else int(rng.choice([1, 1, 2, 3, 5, 10, 60])))
        ts = np.repeat(np.arange(len(lens)) * 10 + 100, lens)[:n]
    ev["exch_ts"] = ts
    ev["local_ts"] = ts + rng.integers(0, 3, n)
    statuses = [int(s) for s in TradingStatus]
    for i, k in enumerate(rng.choice([D, D, D, D, T, T, T, C, ST], n).tolist()):
        ev["kind"][i] = k
        if k == D:
            s = int(rng.choice([1, -1]))
            ev["side"][i] = s
            near = 100 - int(rng.integers(0, 6)) if s == 1 else 101 + int(rng.integers(0, 6))
            ev["price"][i] = int(rng.integers(95, 107)) if rng.random() < 0.15 else near
            ev["qty"][i] = 0 if rng.random() < 0.2 else int(rng.integers(1, 20))
        elif k == T:
            ev["side"][i] = int(rng.choice([1, -1, 0]))
            ev["price"][i] = int(rng.integers(94, 108)) if rng.random() < 0.3 else int(rng.integers(97, 105))
            ev["qty"][i] = int(rng.integers(1 if store else 0, 6))
        elif k == C:
            ev["side"][i] = int(rng.choice([0, 1, -1]))
        else:
            ev["qty"][i] = int(rng.choice(statuses))
    return ev


def same_events(a, b):
    return a.dtype == b.dtype and len(a) == len(b) and all(np.array_equal(a[k], b[k]) for k in a.dtype.names)


def test_random_streams_at_random_chunk_sizes_give_the_reference_events_and_counts():
    total = {"prints": 0, "hidden": 0, "reduced": 0, "restored": 0}
    for seed in range(600):
        rng = np.random.default_rng(seed)
        ev = random_stream(rng)
        want, want_counts = reference(ev)
        for k in total:
            total[k] += want_counts[k]
        for chunk in sorted({*rng.integers(1, 51, 3).tolist(), 1, 1 << 16}):
            got, counts = trade_implied_events(ev, _chunk=chunk)
            assert same_events(got, want), (seed, chunk)
            assert counts == want_counts, (seed, chunk)
    assert all(v > 20 for v in total.values()), total  # the streams exercise every kind of row


def test_a_long_stream_of_many_chunks_gives_the_reference_events():
    rng = np.random.default_rng(17)
    ev = np.concatenate([random_stream(rng, store=True) for _ in range(40)])
    ev["exch_ts"] = np.cumsum(np.r_[0, np.diff(ev["exch_ts"]) != 0])  # increasing, each message kept whole
    want, want_counts = reference(ev)
    assert want_counts["prints"] > 0
    for chunk in (1, 7, 50, 1 << 16):
        got, counts = trade_implied_events(ev, _chunk=chunk)
        assert same_events(got, want) and counts == want_counts, chunk


@pytest.mark.parametrize("seed", range(8))
def test_a_store_transformed_in_small_chunks_is_the_store_of_the_reference_events(tmp_path, seed):
    rng = np.random.default_rng(1000 + seed)
    ev = random_stream(rng, store=True)
    while len(ev) < 20:
        ev = random_stream(rng, store=True)
    plain = write_store(tmp_path / "plain", ev, META)
    want, want_counts = reference(ev)
    write_store(tmp_path / "ref", want, {**plain.meta, "quirks": {**(plain.meta.get("quirks") or {}),
                                                                 QUIRK: want_counts}})
    for chunk in sorted({int(rng.integers(1, 8)), int(rng.integers(8, 51))}):
        got = trade_implied(tmp_path / "plain", tmp_path / f"c{chunk}", _chunk=chunk)
        assert got.meta["quirks"][QUIRK] == want_counts
        assert (tmp_path / f"c{chunk}" / "events.npy").read_bytes() == (tmp_path / "ref" / "events.npy").read_bytes()
        assert (json.loads((tmp_path / f"c{chunk}" / "meta.json").read_text())
                == json.loads((tmp_path / "ref" / "meta.json").read_text()))


# --- bugs -------------------------------------------------------------------------------------------------------

# A print at 100 against the bid 100x5: the transform adds one row (bid 100 -> 3).
SMALL = [(0, D, 1, 100, 5), (0, D, -1, 102, 5), (10, T, -1, 100, 2)]


def _small():
    ev = np.zeros(len(SMALL), dtype=EVENT_DTYPE)
    for i, (ts, k, s, p, q) in enumerate(SMALL):
        ev[i] = (ts, ts, p, q, 0, k, s)
    return ev


# A chunk size below 1 read no chunk: trade_implied_events returned the events without the implied row and counts
# of 0, trade_implied wrote an empty store of a store of 3 events, and 0 blamed the store (range() arg 3 must not be
# zero, as a DataError naming it); breaker17a. Refused now, naming the parameter.
@pytest.mark.parametrize("chunk", [0, -1, -(1 << 16), 2.0])
def test_a_chunk_size_below_one_is_refused_by_the_events_transform(chunk):
    assert len(trade_implied_events(_small())[0]) == 4  # (the default: one row added)
    with pytest.raises(ValueError, match=rf"^_chunk must be a whole number of events, at least 1, got {chunk!r}$"):
        trade_implied_events(_small(), _chunk=chunk)


@pytest.mark.parametrize("chunk", [0, -1, -(1 << 16)])
def test_a_chunk_size_below_one_writes_no_store(tmp_path, chunk):
    write_store(tmp_path / "plain", _small(), META)
    with pytest.raises(ValueError, match=rf"^_chunk must be a whole number of events, at least 1, got {chunk}$"):
        trade_implied(tmp_path / "plain", tmp_path / "out", _chunk=chunk)
    assert not (tmp_path / "out").exists()


# --- an interrupted streamed write ------------------------------------------------------------------------------

@pytest.mark.parametrize("force", [False, True])
def test_a_write_interrupted_after_its_first_chunk_leaves_nothing_and_the_old_store_intact(tmp_path, monkeypatch, force):
    # The streamed transform writes while it reads: an error in the second chunk's transform (after the first
    # chunk's events were appended) must leave no store and no temporary directory, and with ``force`` the store
    # it was to replace untouched.
    from mmsim.data import implied

    write_store(tmp_path / "plain", _small(), META)
    if force:
        write_store(tmp_path / "out", _small()[:2], META)
    before = (tmp_path / "out" / "events.npy").read_bytes() if force else None
    feed, calls = implied._Transform.feed, []

    def failing(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return feed(self, chunk)

    monkeypatch.setattr(implied._Transform, "feed", failing)
    with pytest.raises(RuntimeError, match="^interrupted$"):
        trade_implied(tmp_path / "plain", tmp_path / "out", force=force, _chunk=2)
    assert calls == [2, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out", "plain"] if force else ["plain"])
    if force:
        assert (tmp_path / "out" / "events.npy").read_bytes() == before
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["events.npy", "meta.json"]
