"""Tardis.dev loader: ``incremental_book_L2`` and ``trades`` CSV (plain or gzip).

Columns, as Tardis documents them:

- ``incremental_book_L2``: ``exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount``
  (``side`` is ``bid``/``ask``; ``amount`` is the level's new total size, 0
  removes it; a run of ``is_snapshot=true`` rows after ``false`` rows starts a
  new snapshot, so the book is reset: its ``CLEAR`` and levels at one time, its rows' earliest ``timestamp``
  but never before a book row read before it, ``quirks.snapshot_rows_restamped``; updates and trades read before the first
  snapshot row, and trades read after it but stamped before its exchange time, are dropped,
  ``quirks.dropped_before_snapshot``; a book row read after a snapshot but stamped before it takes
  its time, ``quirks.book_rows_stamped_before_snapshot``; a book file with no snapshot row is an error);
- ``trades``: ``exchange,symbol,timestamp,local_timestamp,id,side,price,amount``
  (``side`` is the aggressor: ``buy``, ``sell`` or ``unknown``).

Timestamps are microseconds since the epoch: ``timestamp`` (exchange) becomes
``exch_ts``, ``local_timestamp`` (Tardis' receive time) ``local_ts``. Give the
book file and optionally the trades file of one symbol; they are merged in
``local_timestamp`` order (how Tardis sorts its files) and then ordered by
exchange time within a 10 s window; a row whose exchange time is more than
10 s before the latest one read is an error naming it, and so is a row whose
``local_timestamp`` is more than 10 s before the latest one read in its file. A snapshot start
becomes ``CLEAR`` (both sides), levels ``DEPTH``, trades ``TRADE``
(``unknown`` aggressor: side 0). A trade ``id`` names one trade: a row whose id
was already read is that trade sent again (a reconnecting capture repeats
recent trades) and is dropped (``quirks.duplicate_trades_dropped``); if it
differs from the first copy in timestamp, side, price or amount it is an error
naming both lines. Rows with an empty ``id`` (venues that give none) are kept. A trades file with
no rows (its header only, or a complete gzip of nothing, as Tardis serves a day without trades) gives
a store with no trades and ``quirks.empty_trades_file = 1``; a file of 0 bytes is an error (a failed
download looks the same). Times must be µs since the epoch between
1990 and 2100 (a file in ms or ns is an error naming the row and the likely
unit). Tardis' ``incremental_book_L2`` and ``trades`` carry no trading status,
so these stores have no ``STATUS`` events.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import DataError
from ..events import Kind
from ._common import (
    RecvOrder,
    CrossCheck,
    IdRuns,
    L2Book,
    Progress,
    csv_rows,
    decimals_to_int,
    infer_step,
    step_to_float,
    too_large,
)
from ._cut_off import cut_off_hint
from ._drop_through import crossed_at_end
from ._sources import given_once
from ._emitter import Emitter
from ._grid_flags import flag_units
from ._quote import quote_with
from .store import EventStore, EventStoreWriter

__all__ = ["BOOK_COLUMNS", "TRADE_COLUMNS", "convert"]

BOOK_COLUMNS = ("exchange", "symbol", "timestamp", "local_timestamp", "is_snapshot", "side", "price", "amount")
TRADE_COLUMNS = ("exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount")
_DIGITS = 9
_US = 1_000
_INFER_ROWS = 20_000
_REORDER_NS = 10_000_000_000
#: A repeated trade id is compared with its first copy while that copy is one of
#: the last this many trades read (a reconnect repeats trades seconds old).
_RECENT_TRADES = 65_536


def _dec(s: str) -> int:
    if "e" in s or "E" in s:
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise ValueError(s) from None
        s = format(d, "f")
    return decimals_to_int(s, _DIGITS)


def _decimals(s: str) -> int:
    if "e" in s or "E" in s:
        s = format(Decimal(s), "f")
    return len(s.partition(".")[2].rstrip("0"))


def _rows(path: Path, progress: Progress | None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """``(kind, rows after the header)``: kind ``book``, ``trades``, or ``empty`` for a complete gzip of nothing."""
    rd = csv_rows(path, progress)
    first = next(rd, None)
    if first is None:
        # Read to its end without error: a gzip here is complete (its trailer checked),
        # a positive "no data" as Tardis serves for a day without trades. Zero bytes on
        # disk say nothing: a failed or cut download leaves exactly that.
        with open(path, "rb") as f:
            gz = f.read(2) == b"\x1f\x8b"
        if gz:
            return "empty", iter(())
        raise DataError(
            f"{path}: empty file (0 bytes, not even a CSV header; a failed download leaves this): download "
            "it again. A book file is never empty; a trades file of a day without trades is given as Tardis "
            "serves it (its header only, or an empty gzip), or left out"
        )
    header = first[1]
    if tuple(header[: len(BOOK_COLUMNS)]) == BOOK_COLUMNS:
        kind = "book"
    elif tuple(header[: len(TRADE_COLUMNS)]) == TRADE_COLUMNS:
        kind = "trades"
    else:
        raise DataError(
            f"{path}: line 1: not a Tardis incremental_book_L2 or trades CSV header "
            f"(expected {','.join(BOOK_COLUMNS)} or {','.join(TRADE_COLUMNS)})"
        )

    width = len(header)

    def gen() -> Iterator[tuple[int, list[str]]]:
        for line, row in rd:
            if row:
                if len(row) != width:  # a cut line, a decimal comma, a stray separator
                    raise DataError(
                        f"{path}: line {line}: malformed row: {len(row)} columns, expected {width} (as the header)"
                    )
                yield line, row

    return kind, gen()


def _price_cell(tick: int) -> Callable[[Path, str, int, int], str | None]:
    """The reader of line ``at``'s ``price`` cell as ``path`` writes it (the file read again to that line), for a
    message or the ``prints_through_book`` quirk (:func:`._quote.quote_with`), when that cell is ``ticks`` ticks of
    ``tick`` (units of ``10**-_DIGITS``); None otherwise (another price, such as the book's best when the line is a
    trade's: the caller writes ticks times the tick size) or when the file changed since."""

    def read(path: Path, _unit: str, at: int, ticks: int) -> str | None:
        with closing(csv_rows(path)) as rows:  # type: ignore[type-var]  # a generator
            for line, row in rows:
                if line >= at:
                    if line == at and len(row) > 6 and _dec(row[6]) == ticks * tick:
                        return row[6]
                    return None
        return None

    return read


@cut_off_hint  # an error on a last line: the file looks, or may be, cut off (docs/data.md, "A file cut off mid-line")
def convert(
    sources: list[Path],
    out: Path,
    *,
    tick_size: float | None = None,
    lot_size: float | None = None,
    symbol: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
    drop_prints_through_book: bool = False,
) -> EventStore:
    """Convert Tardis ``incremental_book_L2`` (+ ``trades``) CSV files into an L2 store.

    Parameters
    ----------
    sources : list of Path
        One book file and at most one trades file, of one symbol on one exchange (a row whose
        ``exchange`` differs from the first row's is a ``DataError``).
    out : Path
        Store directory.
    tick_size, lot_size : float, optional
        Inferred when omitted from the first 20,000 book rows: the tick as the
        greatest common step of the prices, the lot as the finest decimal of
        the amounts.
    symbol : str, optional
        Overrides the symbol column.
    progress : callable, optional
        Called with bytes of the book file read so far.
    force : bool
        Replace an existing store at ``out`` (atomically).
    drop_prints_through_book : bool
        Drop the TRADE prints more than 10% through the book (docs/data.md, "Prints through the book").

    Raises
    ------
    mmsim.DataError
        Malformed rows (not UTF-8, a truncated gzip), off-grid, zero or negative
        prices, negative sizes, zero-size trades, a trade id repeated with another timestamp,
        side, price or amount, implausible times (another unit), exchange time
        going back more than 10 s, a persistently crossed book, no book rows, a
        file of 0 bytes; each names the file and line. An existing store at
        ``out`` without ``force``. (A trades file with no rows is not an error.)
    mmsim.ConfigError
        A given tick or lot size outside 1e-12..1e12, finer than the loader reads or off its grid (docs/data.md).
    """
    sources = given_once(sources)  # the same file twice is refused before any line is read (fix28b)
    streams: dict[str, Any] = {}
    empty: list[Path] = []
    for p in sources:
        p = Path(p)
        kind, it = _rows(p, progress if not streams else None)
        if kind == "empty":  # no header to tell: the book must come from another file, so trades
            empty.append(p)
            kind = "trades"
        if kind in streams:
            raise DataError(f"{p}: a second {kind} file; convert one symbol's book and trades per store")
        streams[kind] = (p, it)
    if "book" not in streams:
        if empty:
            raise DataError(f"{empty[0]}: an empty gzip (no header, no rows) cannot be the incremental_book_L2 "
                            "file; the book cannot be built")
        raise DataError(f"{Path(sources[0])}: no incremental_book_L2 file given; the book cannot be built")
    bpath, bit = streams["book"]
    head = []
    for item in bit:
        head.append(item)
        if len(head) >= _INFER_ROWS:
            break
    for line, row in head:
        if len(row) < 8:
            raise DataError(f"{bpath}: line {line}: malformed row: {len(row)} columns, expected 8")
    # a given tick or lot: on the 1e-9 grid the rows are read to, before any row (breaker26: line 0, malformed)
    tick_given = None if tick_size is None else flag_units("tick_size", tick_size, _DIGITS, "tardis", "prices to 9 decimals")
    lot_given = None if lot_size is None else flag_units("lot_size", lot_size, _DIGITS, "tardis", "amounts to 9 decimals")
    where = 0
    try:
        if tick_given is None:
            steps = []
            for where, row in head:  # noqa: B007 - `where` names the row in the error below
                steps.append(_dec(row[6]))
            tick = infer_step(steps)
        else:
            tick = tick_given
        if lot_given is None:
            digits = 0
            for where, row in head:  # noqa: B007 - `where` names the row in the error below
                digits = max(digits, _decimals(row[7]))
            lot = 10 ** (_DIGITS - min(_DIGITS, digits))
        else:
            lot = lot_given
    except (ValueError, IndexError, InvalidOperation):
        raise DataError(f"{bpath}: line {where}: malformed price or amount") from None
    except OverflowError:
        raise DataError(f"{bpath}: line {where}: price does not fit in 64 bits; pass --tick-size") from None
    if tick == 0:
        raise DataError(f"{bpath}: no prices to infer the tick from; pass --tick-size")

    def chain() -> Iterator[tuple[int, list[str]]]:
        yield from head
        yield from bit

    def keyed(tag: int, path: Path, it) -> Iterator[tuple[int, int, int, list[str], Path]]:
        recv = RecvOrder(unit_ns=_US)  # the latest local_timestamp (us) read in this file, and its line
        for line, row in it:
            try:
                lt = int(row[3])
            except (ValueError, IndexError):
                raise DataError(f"{path}: line {line}: malformed row: local_timestamp {row[3:4]}") from None
            late = recv.behind(lt, line)  # one wrong receive time would hold a recorded feed back to it
            if late is not None:
                raise DataError(f"{path}: line {line}: local_timestamp {lt} is {late} s before line {recv.at}'s "
                                f"({recv.latest}); Tardis files are in local_timestamp order, so one of the two is wrong")
            yield lt, tag, line, row, path

    merged = [keyed(0, bpath, chain())]
    if "trades" in streams:
        tpath, tit = streams["trades"]
        merged.append(keyed(1, tpath, tit))
    writer = EventStoreWriter(out, force=force, drop_prints_through_book=drop_prints_through_book)
    quote_with(writer, _price_cell(tick))  # the replay quotes a far price as written
    book = L2Book()
    sym = symbol
    exchange: str | None = None
    exchange_at = ""
    counts = {"snapshots": 0, "unknown_aggressor_trades": 0, "duplicate_trades_dropped": 0, "trades_read": 0,
              "dropped_before_snapshot": 0, "book_rows_stamped_before_snapshot": 0, "snapshot_rows_restamped": 0}
    book_rows = 0
    int_ids = IdRuns()  # trade ids read so far: decimal ids as runs, others as strings
    str_ids: set[str] = set()
    recent: OrderedDict[str, tuple[int, int, int, int, int]] = OrderedDict()
    with writer:
        em = Emitter(writer, bpath, "line", reorder_ns=_REORDER_NS, time_unit=("microseconds", _US))
        tbase = em.other_source(streams["trades"][0]) if "trades" in streams else 0
        cross = CrossCheck(bpath)
        prev_snap = False
        first_snap = cur_snap = 0  # the first and the latest snapshot's exchange time (ns), once read
        top = [0, -1]  # the latest exchange time written (ns) and its packed position
        book_top = [0]  # the latest exchange time of a book row written (ns)

        def late(exch: int, at: int) -> None:
            """A row dropped as stamped before the first snapshot is still held to the 10 s window."""
            if exch < top[0] - _REORDER_NS:
                em._raise_too_early(at, exch, top[0], top[1])

        snap_lt = -1  # the snapshot message being read: its local_timestamp, and (side, price) -> line
        snap_seen: dict[tuple[int, int], tuple[int, int]] = {}  # (side, price) -> (line, size)
        last_book_ts: int | None = None
        last_line = 0
        # The rows of the snapshot being read, held until it ends: (exch, local, side, price, size, line).
        pending: list[tuple[int, int, int, int, int, int]] = []

        def write_snapshot() -> None:
            """The snapshot read (``pending``) as one message: its CLEAR and levels at one time, its earliest row's
            (as the Binance loader's snapshot takes the earlier of its time and its first diff's; docs/data.md)."""
            nonlocal first_snap, cur_snap, last_book_ts, last_line
            # never before a book row read before it: ordered by exchange time, that row would land on the snapshot
            t = max(min(r[0] for r in pending), book_top[0])
            if last_book_ts is not None and t != last_book_ts:
                cross.check(book, last_book_ts, f"line {last_line}")
            if not counts["snapshots"]:
                first_snap = t
            cur_snap = t
            counts["snapshots"] += 1
            book.clear(0)
            em.add(t, pending[0][1], Kind.CLEAR, 0, 0, 0, 0, pending[0][5])
            for exch, local, side, px, q, line in pending:
                counts["snapshot_rows_restamped"] += exch != t
                book.set(side, px, q)
                em.add(t, local, Kind.DEPTH, side, px, q, 0, line)
            last_book_ts, last_line = t, pending[-1][5]
            book_top[0] = t
            if t > top[0]:
                top[0], top[1] = t, em.base | pending[0][5]
            pending.clear()

        for lt, tag, line, row, path in heapq.merge(*merged, key=lambda x: (x[0], x[1])):
            if len(row) < 8:
                raise DataError(f"{path}: line {line}: malformed row: {len(row)} columns, expected 8")
            if sym is None:
                sym = row[1]
            elif symbol is None and row[1] != sym:
                raise DataError(f"{path}: line {line}: symbol {row[1]} differs from {sym}; one store holds one symbol")
            if exchange is None:
                exchange, exchange_at = row[0], f"{path.name}: line {line}"
            elif row[0] != exchange:  # symbols repeat across venues (BTCUSDT on binance-futures and bybit)
                raise DataError(f"{path}: line {line}: exchange {row[0]!r} differs from {exchange!r} "
                                f"({exchange_at}); one store holds one venue's data")
            try:
                exch = int(row[2]) * _US
                local = lt * _US
                raw_px, raw_q = _dec(row[6]), _dec(row[7])
            except ValueError:
                raise DataError(f"{path}: line {line}: malformed row: {','.join(row)[:80]!r}") from None
            if raw_q < 0:
                raise DataError(f"{path}: line {line}: negative size {row[7]}")
            if raw_px <= 0:
                # Tardis' venues (crypto spot, perpetuals, futures, options) quote positive
                # prices: a level at 0 is garbage, and a print at 0 trades through every bid.
                raise DataError(f"{path}: line {line}: price {row[6]} is not positive (Tardis' venues' prices are)")
            px, r = divmod(raw_px, tick)
            if r:
                raise DataError(
                    f"{path}: line {line}: price {row[6]} is off the tick grid (tick size {step_to_float(tick, _DIGITS)})"
                )
            too_large(px, row[6], "price", f"{step_to_float(tick, _DIGITS)}", f"{path}: line {line}",
                      None if tick_given is None else "--tick-size")
            q, r = divmod(raw_q, lot)
            if r:
                raise DataError(
                    f"{path}: line {line}: amount {row[7]} is not a whole number of lots "
                    f"(lot size {step_to_float(lot, _DIGITS)}); pass --lot-size"
                )
            too_large(q, row[7], "size", f"{step_to_float(lot, _DIGITS)}", f"{path}: line {line}",
                      None if lot_given is None else "--lot-size")
            if tag == 0:
                snap = row[4] == "true"
                if row[4] not in ("true", "false"):
                    raise DataError(f"{path}: line {line}: malformed row: is_snapshot {row[4]!r}")
                if row[5] not in ("bid", "ask"):
                    raise DataError(f"{path}: line {line}: malformed row: side {row[5]!r} is not bid/ask")
                book_rows += 1
                if pending and not snap:  # the snapshot read is over: written as one message
                    write_snapshot()
                if not snap and not counts["snapshots"]:
                    # An update before any snapshot: the book it changes is unknown (a file cut
                    # from a day's middle, a capture that began mid-stream), as Binance's loader.
                    counts["dropped_before_snapshot"] += 1
                    continue
                opens = snap and not prev_snap  # the first row of a snapshot: its CLEAR
                held = opens or (snap and bool(pending))  # a row of the snapshot being read: written at its end
                if snap and not held and exch != cur_snap:
                    # A row of the snapshot read after a trade that ended the message (the snapshot's rows span
                    # several local_timestamps): the snapshot's too, at its time.
                    late(exch, line)
                    counts["snapshot_rows_restamped"] += 1
                    exch = cur_snap
                elif not held and exch < cur_snap:
                    # Read after the snapshot (in receive order) but stamped before it: ordered by exchange
                    # time it landed before the snapshot's CLEAR and was wiped by it. It changes the book the
                    # snapshot set, so it takes the snapshot's time (as the Binance loader's snapshot takes
                    # the earlier of its time and its first diff's), after its levels.
                    late(exch, line)
                    counts["book_rows_stamped_before_snapshot"] += 1
                    exch = cur_snap
                if last_book_ts is not None and exch != last_book_ts and not held:
                    cross.check(book, last_book_ts, f"line {last_line}")
                if opens:
                    snap_lt = -1
                prev_snap = snap
                side = 1 if row[5] == "bid" else -1
                repeat = False
                if snap:  # one snapshot message (its rows share a local_timestamp) sets each price once
                    if lt != snap_lt:
                        snap_lt, snap_seen = lt, {}
                    at, at_q = snap_seen.setdefault((side, px), (line, q))
                    if at != line and at_q != q:
                        raise DataError(f"{path}: line {line}: the snapshot lists the {row[5]} price {row[6]} twice "
                                        f"with different sizes (lines {at} and {line}); a depth snapshot has one "
                                        "level per price")
                    repeat = at != line  # the same level again, size and all: nothing to set
                if held:
                    if not repeat:
                        pending.append((exch, local, side, px, q, line))
                    continue
                if not repeat:
                    book.set(side, px, q)
                    em.add(exch, local, Kind.DEPTH, side, px, q, 0, line)
                last_book_ts, last_line = exch, line
                book_top[0] = max(book_top[0], exch)
                if exch > top[0]:
                    top[0], top[1] = exch, em.base | line
            else:
                if pending:  # a trade ends the snapshot's message (its rows sort before it, by local_timestamp)
                    write_snapshot()
                counts["trades_read"] += 1
                side = {"buy": 1, "sell": -1, "unknown": 0}.get(row[5])  # type: ignore[assignment]
                if side is None:
                    raise DataError(f"{path}: line {line}: malformed row: side {row[5]!r} is not buy/sell/unknown")
                if q == 0:
                    raise DataError(f"{path}: line {line}: trade of size 0")
                tid = row[4]
                if tid:
                    # One id is one trade (Tardis: "trade id as provided by exchange";
                    # empty when the venue gives none). An id already read is that
                    # trade sent again (a reconnect repeats recent trades): dropped.
                    if tid.isascii() and tid.isdigit() and (tid[0] != "0" or tid == "0"):
                        new_id = int_ids.add(int(tid))
                    else:
                        new_id = tid not in str_ids
                        str_ids.add(tid)
                    fields = (exch, side, px, q)
                    if not new_id:
                        first = recent.get(tid)
                        if first is not None and first[:4] != fields:
                            differ = [n for n, a, b in zip(("timestamp", "side", "price", "amount"), first, fields)
                                      if a != b]
                            raise DataError(
                                f"{path}: line {line}: trade id {tid!r} was read at line {first[4]} "
                                f"with another {' and '.join(differ)}; one id names one trade"
                            )
                        counts["duplicate_trades_dropped"] += 1
                        continue
                    recent[tid] = (*fields, line)
                    if len(recent) > _RECENT_TRADES:
                        recent.popitem(last=False)
                if not counts["snapshots"] or exch < first_snap:
                    # A print against a book not known yet: read before the first snapshot, or read
                    # after it but stamped before it (ordered by exchange time, it would land before
                    # the snapshot's CLEAR, against no book).
                    if counts["snapshots"]:
                        late(exch, tbase | line)
                    counts["dropped_before_snapshot"] += 1
                    continue
                em.add(exch, local, Kind.TRADE, side, px, q, 0, tbase | line)
                if side == 0:
                    counts["unknown_aggressor_trades"] += 1
                    em.tally("unknown_aggressor_trades", tbase | line)
                if exch > top[0]:
                    top[0], top[1] = exch, tbase | line
        if pending:  # the file ends in a snapshot
            write_snapshot()
        if book_rows and not counts["snapshots"]:
            raise DataError(f"{bpath}: none of its {book_rows:,} book rows is a snapshot (is_snapshot=true), so the "
                            "book they update is never known; Tardis starts each day's incremental_book_L2 file with "
                            "one (a file cut from a day's middle has none)")
        if last_book_ts is not None:
            cross.check(book, last_book_ts, f"line {last_line}")
        em.flush(final=True)
        offset, offset_at = writer.correct_local_clock()
        trades_read = counts.pop("trades_read")
        if "trades" in streams:
            # A trades file with no rows (its header only, or an empty gzip): a day without
            # trades is legal data, loaded with none and said so (mmsim convert prints it).
            counts["empty_trades_file"] = int(trades_read == 0)
        meta = {
            "symbol": sym or "",
            "venue": f"tardis-{exchange}" if exchange else "tardis",
            "tick_size": step_to_float(tick, _DIGITS),
            "lot_size": step_to_float(lot, _DIGITS),
            "contract_size": 1.0,
            "source": [Path(p).name for p in sources],
            "format": "tardis",
            "time_zone": "UTC",
            "levels": "L2",
            "local_ts_recorded": True,
            "quirks": counts | {"local_clock_offset_ns": offset, "local_clock_offset_at": offset_at,
                                "transient_crossed_messages": cross.count,
                                # a book that ends crossed, within the tolerance (as the Databento loader's), to
                                # the last event kept (a print through the book dropped sets no end: fix34e)
                                "crossed_at_end_ns": crossed_at_end(cross._since, writer)},
        }
        return writer.close(meta)
