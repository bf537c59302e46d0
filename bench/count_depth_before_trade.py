"""Count, within one exchange timestamp, depth updates stored *before* the trade print that caused them.

Issue 13, item 3: separate depth and trade streams (Binance, Tardis) deliver the
update "level 100 -> 6" and the print "sell 4 @ 100" in either order within one
exchange time. This script converts each shipped Binance capture with mmsim's
Binance loader, and the same events again through the Tardis loader (written as
Tardis ``incremental_book_L2`` + ``trades`` CSVs sorted by ``local_timestamp``,
as Tardis ships them), and counts, for every trade, whether the same exchange
timestamp holds a depth update of the level it hit (bid for a seller, ask for a
buyer, at the trade price) before it, after it, or not at all.

Usage::

    python bench/count_depth_before_trade.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    a = ap.parse_args()
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
