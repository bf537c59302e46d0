"""Count, within one exchange timestamp, depth updates stored *before* the trade print that caused them.

Issue 13, item 3: separate depth and trade streams (Binance, Tardis) deliver the
update "level 100 -> 6" and the print "sell 4 @ 100" in either order within one
exchange time. This script converts each shipped Binance capture with mmsim's
Binance loader, and the same events again through the Tardis loader (written as
Tardis ``incremental_book_L2`` + ``trades`` CSVs sorted by ``local_timestamp``,
as Tardis ships them), and counts, for every trade, whether the same exchange
timestamp holds a depth update of the level it hit (bid for a seller, ask for a
buyer, at the trade price) before it, after it, or not at all.

With ``--fills OUT.json`` it also runs the benchmarks' touch quoter
(``_mmsim_quoter.touch_quoter``: post-only quotes of ``--qty`` lots at the touch, risk-averse
queue, feed 1.25 ms, order entry and response 0.5 ms, decided on every wake-up and
on a 10 ms timer) on every store and writes its fills; ``--against OLD.json``
then counts the fills that differ from another engine's (run the script once
with each installed version: the effect of settling queue positions per venue
message on a touch quoter).

Usage::

    python bench/count_depth_before_trade.py [--data ../shared/data]
    python bench/count_depth_before_trade.py --fills new.json [--against old.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = [
    ("usdm BTCUSDT", ("binance", "usdm", "btcusdt_20240808.gz")),
    ("usdm ETHUSDT", ("binance", "usdm", "ethusdt_20240808.gz")),
    ("spot BTCUSDT", ("binance", "spot", "btcusdt_20240808.gz")),
    ("usdm_2023 BTCUSDT", ("binance", "usdm_2023", "btcusdt_20230404.dat.gz")),
]


def count(ev: np.ndarray) -> dict[str, int]:
    """Trades, and those with a same-timestamp depth update of the level they hit before / after them."""
    from mmsim import Kind

    ts, kind, side, price = ev["exch_ts"], ev["kind"], ev["side"], ev["price"]
    starts = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]])
    ends = np.r_[starts[1:], len(ev)]
    out = {"trades": 0, "depth_before": 0, "depth_after": 0, "timestamps_with_depth_before": 0}
    trade_ts = np.unique(ts[kind == Kind.TRADE])
    for a, b in zip(starts, ends):
        if not np.isin(ts[a], trade_ts):
            continue
        k, s, p = kind[a:b], side[a:b], price[a:b]
        seen_before = False
        for i in np.flatnonzero(k == Kind.TRADE):
            out["trades"] += 1
            hit = -int(s[i])  # the book side the aggressor took from (0: unknown, either side)
            depth = (k == Kind.DEPTH) & (p == p[i]) & ((s == hit) if hit else True)
            idx = np.flatnonzero(depth)
            if len(idx) and idx[0] < i:
                out["depth_before"] += 1
                seen_before = True
            elif len(idx):
                out["depth_after"] += 1
        out["timestamps_with_depth_before"] += seen_before
    return out


def to_tardis(store, book_csv: Path, trades_csv: Path) -> None:
    """Write a Binance store as Tardis CSVs (µs times), each in local_timestamp order."""
    from mmsim import Kind

    ev = np.array(store.events)
    # Tardis files are sorted by local_timestamp; the capture's receive times are not quite
    # monotonic, so use their running maximum (in exchange order) as the receive time.
    ev["local_ts"] = np.maximum.accumulate(ev["local_ts"])
    tick = Decimal(str(store.tick_size))
    lot = Decimal(str(store.lot_size))
    book, trades = [], []
    snap = False
    for e in ev:
        k = int(e["kind"])
        t, lt = int(e["exch_ts"]) // 1000, int(e["local_ts"]) // 1000
        if k == Kind.CLEAR:
            snap = True
            continue
        px, q = Decimal(int(e["price"])) * tick, Decimal(int(e["qty"])) * lot
        if k == Kind.DEPTH:
            if snap and book and book[-1][0] != t:
                snap = False
            side = "bid" if e["side"] > 0 else "ask"
            book.append((lt, t, f"binance,X,{t},{lt},{'true' if snap else 'false'},{side},{px},{q}"))
        elif k == Kind.TRADE:
            snap = False
            side = {1: "buy", -1: "sell"}.get(int(e["side"]), "unknown")
            trades.append((lt, t, f"binance,X,{t},{lt},t,{side},{px},{q}"))
    book.sort(key=lambda r: r[0])  # stable: already in order
    trades.sort(key=lambda r: r[0])
    book_csv.write_text("exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
                        + "\n".join(r[2] for r in book) + "\n")
    trades_csv.write_text("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
                          + "\n".join(r[2] for r in trades) + "\n")


def quoter_fills(store, qty: int) -> dict[str, list[list[int]]]:
    """The touch quoter's fills (exch_ts, side, price, qty), per decision mode; orders of ``qty`` lots."""
    import mmsim

    sys.path.insert(0, str(ROOT / "bench"))
    from _mmsim_quoter import touch_quoter

    out = {}
    for mode, every in (("wakeup", None), ("timer", 10_000_000)):
        cfg = mmsim.Config.from_dict({
            "latency": {"feed": 1_250_000, "entry": 500_000, "response": 500_000},
            "queue": {"model": "risk_averse"}, "post_only": True, "decide_every": every,
            "signals": {"enabled": False}})
        r = mmsim.run(store, touch_quoter(qty=qty, max_position=50 * qty, skew_ticks_per_lot=0.1), cfg)
        f = r.fills
        out[mode] = [[int(a), int(b), int(c), int(d)] for a, b, c, d in
                     zip(f["exch_ts"], f["side"], f["price"], f["qty"])]
    return out


def differ(a: list, b: list) -> int:
    """Fills of one list not matched by the other (multiset difference, both ways)."""
    import collections

    ca, cb = collections.Counter(map(tuple, a)), collections.Counter(map(tuple, b))
    return sum((ca - cb).values()) + sum((cb - ca).values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--fills", type=Path, default=None, help="run the touch quoter and write its fills here")
    ap.add_argument("--against", type=Path, default=None, help="fills of another engine to compare with")
    ap.add_argument("--qty", type=int, default=1, help="the quoter's order size, lots")
    a = ap.parse_args()
    fills: dict[str, dict] = {}
    old = json.loads(a.against.read_text()) if a.against else None
    from mmsim.data import binance, tardis

    print(f"{'capture':20s} {'path':8s} {'trades':>8s} {'depth before':>18s} {'depth after':>18s} "
          f"{'no depth':>9s} {'timestamps':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, parts in CAPTURES:
            src = a.data.joinpath(*parts)
            if not src.exists():
                print(f"{name}: not found at {src}")
                continue
            st = binance.convert([src], Path(tmp) / f"{parts[1]}_{parts[2]}", force=True)
            b, t = Path(tmp) / "book.csv", Path(tmp) / "trades.csv"
            to_tardis(st, b, t)
            td = tardis.convert([b, t], Path(tmp) / f"td_{parts[1]}_{parts[2]}", tick_size=st.tick_size,
                                lot_size=st.lot_size, force=True)
            for path, store in (("binance", st), ("tardis", td)):
                c = count(np.asarray(store.events))
                n = c["trades"]
                none = n - c["depth_before"] - c["depth_after"]
                print(f"{name:20s} {path:8s} {n:8,d} {c['depth_before']:8,d} ({c['depth_before'] / n:5.2%}) "
                      f"{c['depth_after']:8,d} ({c['depth_after'] / n:5.2%}) {none:9,d} "
                      f"{c['timestamps_with_depth_before']:11,d}")
                if a.fills:
                    fills[f"{name} {path}"] = quoter_fills(store, a.qty)
    if a.fills:
        a.fills.write_text(json.dumps(fills))
        print(f"\ntouch quoter fills ({a.qty}-lot orders) -> {a.fills}")
        for key, per in fills.items():
            for mode, fl in per.items():
                line = f"{key:30s} {mode:7s} {len(fl):6,d} fills"
                if old is not None and key in old:
                    was = old[key][mode]
                    line += f"; {len(was):6,d} in {a.against.name}, {differ(fl, was):5,d} differ"
                print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
