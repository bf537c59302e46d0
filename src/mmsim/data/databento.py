"""Databento loader: market-by-order (MBO schema) from ``.dbn``/``.dbn.zst`` or Databento's CSV.

Binary files are decoded with the ``databento_dbn`` package (zstd handled
there); the CSV is the one Databento's tools write
(``ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,...``),
plain or gzip, with prices as decimals (``pretty_px``) or as 1e-9 integers.

``ts_event`` becomes ``exch_ts`` and ``ts_recv`` becomes ``local_ts``; when any
record's ``ts_recv`` is before its ``ts_event`` (a capture clock behind the
venue's), every ``local_ts`` is shifted by the most negative difference, as in
the other loaders (``quirks.local_clock_offset_ns``); a record flagged
``F_BAD_TS_RECV`` (an inaccurate ``ts_recv``) does not use it: it takes the latest
unflagged ``ts_recv`` read so far, or its ``ts_event`` when later, and shifts
nothing (``quirks.bad_ts_recv_records``). Records come in receive order: a
``ts_recv`` more than 10 s before the latest one read in the file (flagged ones aside) is a
``DataError`` naming both records. Actions:

====== =================================== ==========================================
action Databento                           mmsim events
====== =================================== ==========================================
A      add                                 ``ADD``
C      cancel ``size`` of an order          ``CANCEL`` (``DELETE`` when none is left)
M      modify to new price/size            same price, smaller size: ``CANCEL`` of the
                                           difference (keeps priority); otherwise
                                           ``DELETE`` + ``ADD`` (priority lost)
R      clear book                          ``CLEAR`` (both sides)
F      fill of a resting order             ``EXECUTE`` on that order
T      trade (aggressor side)              nothing when the fills that follow cover it;
                                           the uncovered rest as ``TRADE``
N      none (status/flags only)            nothing
====== =================================== ==========================================

On CME (GLBX.MDP3) a fill is reported three times: ``T`` (aggressor), ``F``
per resting order, and then a ``C`` (full fill) or ``M`` (partial fill, new
size) that removes the filled size from the book. mmsim keeps the ``F`` as
``EXECUTE`` (so L3 queue positions advance exactly) and absorbs the ``C``/``M``
that follows it, which would otherwise remove the size twice.

The starting snapshot (records flagged ``F_SNAPSHOT``) becomes a ``CLEAR``
then one ``ADD`` per order, all at the snapshot's ``ts_recv``: their
``ts_event`` are the orders' original entry times (hours earlier), which
would put the snapshot out of time order. A mid-session snapshot followed by a
record sent before its ``ts_recv`` (Databento's generation time) takes that
record's ``ts_event`` (``quirks.snapshots_stamped_at_next_event``).
``F_MAYBE_BAD_BOOK`` records are counted (``quirks.maybe_bad_book``).

A book that is crossed before the first trade (CME's pre-open: orders that
cross wait for the opening auction) is accepted and counted in
``quirks.preopen_crossed_messages``. Such a stream is in pre-open: it starts ``STATUS
QUOTING`` (after its snapshot, at its time) and turns ``TRADING`` at its first
``T``/``F`` record, before the opening auction's events (``_preopen``;
``quirks.preopen_spans_ns``); a stream that trades before it crosses gets no status, and a snapshot that leaves
the book crossed is a pre-open even when a trade comes next (the auction's print).
After trading, a cross that outlasts a second with no trade during it (CME's daily
pre-open, mid-file) is a pre-open too, ``QUOTING`` from the message where it began;
one with a trade during it is an error.

CME also lists the fill of the *aggressing* order when that order was resting
and was modified into the other side: a ``T`` naming the order as aggressor,
an ``F`` of that order at the trade price while the book still has it at its
old price, then the ``C`` or ``M`` that removes or moves it. Such an ``F`` (its
order id is the preceding ``T``'s, its price is not the order's resting price)
is not an execution of the resting order: it writes nothing (the fills of the
resting orders it met carry the match, and the ``C``/``M`` after it changes the
book as usual); counted in ``quirks.aggressor_fills``. Any other ``F`` of a shown order at a price it does not
rest at, after a ``T`` of side ``B`` or ``A``, is an error naming the record (an auction's fills, side ``N``, aside),
as is an ``F`` at a price other than its ``T``'s: inside the ``T``'s event. In a later event (a record flagged
``F_LAST`` came between) such an ``F`` is no fill of that ``T``: the ``T`` is over, the ``F`` an ``EXECUTE`` where the
order rests (``quirks.fills_after_trade_event``; docs/data.md).

Fills of orders the book never saw change nothing: auction fills (side ``N``)
are counted in ``quirks.auction_fills_of_unseen_orders``, others (the hidden
part of an iceberg) in ``quirks.fills_of_unseen_orders``. Their ``T`` record
carries the print: the part of it that fills of known orders do not cover is
written as a ``TRADE``. A ``C`` or ``M`` that follows such a fill is absorbed
like the one after any fill. A fill larger than the order's shown size is an
iceberg dipping into its hidden reserve: the shown size becomes an
``EXECUTE``, the rest a ``TRADE`` at the order's price, and the venue's next
``M`` re-shows the order (at the back of the queue, as CME does). Any other
record naming an unknown order id is an error.

Several files convert into one store in time order. A file that starts with
a snapshot starts a new book (``CLEAR``, then its orders; order ids it
re-lists are new orders); a file without one continues the previous file's
book, as one stream with it: Databento splits a batch download by size, so a
trade's ``T`` and its ``F`` records, a fill and its ``C``/``M``, or the snapshot
(records with the same ``ts_recv``) may be cut in two, and the parts convert to
the store of the whole. MBO data carries no trading-status records (Databento publishes those
in its separate ``status`` schema): the pre-open's are a store's only ``STATUS`` events.

Times must be ns since the epoch between 1990 and 2100 (a file in ms lands
in 1970: an error naming the record and the likely unit); a ``.dbn.zst``
whose zstd frames end early (a truncated download) is an error, as is a DBN
stream that ends inside a record.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind
from ._common import (RecvOrder, CrossCheck, L2Book, Progress, csv_rows, exact_decimal, infer_step, step_to_float,
                      too_large)
from ._cut_off import cut_off_hint
from ._sources import given_once
from ._databento_clock import EarlyRecords
from ._databento_read import _DIGITS, F_SNAPSHOT, Record, _chain, _is_dbn, _px, _SnapStamps, _what, dbn_meta, records
from ._emitter import Emitter
from ._grid_flags import flag_units
from ._preopen import PreOpen
from ._quote import databento_price, quote_with
from .store import EventStore, EventStoreWriter

__all__ = ["convert", "records"]

F_LAST = 1 << 7
F_BAD_TS_RECV = 1 << 3
F_MAYBE_BAD_BOOK = 1 << 2  # Databento: an unrecoverable gap was detected in the channel (the book may be wrong)
_INFER_RECORDS = 20_000
_ID_END = 1 << 63  # order ids are u64 in DBN; a store holds int64
_HERE = re.compile(r"(line|record) \d+")  # a record named in its own file's messages (in another's: "a.csv: line 7")


@cut_off_hint  # an error on a CSV's last line: the file looks, or may be, cut off (docs/data.md, "A file cut off mid-line")
def convert(
    sources: list[Path], out: Path, *, tick_size: float | None = None, lot_size: float | None = None,
    symbol: str | None = None, progress: Progress | None = None, force: bool = False,
    drop_prints_through_book: bool = False, l2_only: bool = False,
) -> EventStore:
    """Convert Databento MBO files (DBN or CSV) into an L3 event store.

    Parameters
    ----------
    sources : list of Path
        ``.dbn``, ``.dbn.zst`` or ``.csv``/``.csv.gz`` files of one instrument, in time order.
    out : Path
        Store directory.
    tick_size : float, optional
        Price tick; inferred when omitted (greatest common step of the prices
        in the first 20,000 records, which include the snapshot).
    lot_size : float, optional
        Contracts per lot (default 1).
    symbol : str, optional
        Symbol written to ``meta.json`` (default: the file's).
    progress : callable, optional
        Called with bytes read so far.
    force : bool
        Replace an existing store at ``out`` (atomically).
    drop_prints_through_book : bool
        Drop the TRADE prints more than 10% through the book (docs/data.md, "Prints through the book").
    l2_only : bool
        Refuse the first order event where it was read (``trade_implied`` of :func:`mmsim.data.convert`).

    Raises
    ------
    mmsim.DataError
        Malformed rows, time going backwards or implausible (another unit), off-grid prices, zero or negative
        sizes, order ids outside int64, unknown order ids (except fills, see the module notes), several instruments
        in one store, a persistently crossed book, a truncated or corrupt file, no records, an order event with
        ``l2_only``; each names the file and line or record. An existing store at ``out`` without ``force``.
    mmsim.ConfigError
        A given tick or lot size outside 1e-12..1e12, finer than the loader reads or off its grid (docs/data.md).
    """
    sources = given_once(sources)  # the same file twice is refused before any record is read (fix28b)
    writer = EventStoreWriter(out, force=force, drop_prints_through_book=drop_prints_through_book, l2_only=l2_only)
    with writer:
        conv = _Converter(tick_size, lot_size)
        for i, p in enumerate(sources):
            conv.run(Path(p), writer, progress, last=i == len(sources) - 1)
        offset, offset_at = writer.correct_local_clock()
        conv.early.check()  # a record received before it happened by more than clock error is refused (fix32b)
        meta = {
            "symbol": symbol or conv.symbol or str(conv.instrument),
            "venue": conv.venue or "databento",
            "tick_size": step_to_float(conv.tick, _DIGITS),
            "lot_size": float(conv.lot),
            "contract_size": 1.0,
            "source": [Path(p).name for p in sources],
            "format": "databento",
            "time_zone": "UTC",
            "levels": "L3" if writer.order_events else "L2",  # a window of no order event is L2 data
            "local_ts_recorded": True,
            "quirks": {
                "local_clock_offset_ns": offset,
                "local_clock_offset_at": offset_at,
                "bad_ts_recv_records": conv.n_bad_ts_recv,
                "snapshot_orders": conv.n_snapshot,
                "snapshots_stamped_at_next_event": conv.n_snap_early,
                "maybe_bad_book": {"count": conv.n_maybe_bad, "at": conv.maybe_bad_at},
                "fill_cancels_absorbed": conv.n_absorbed,
                "uncovered_trade_prints": conv.n_trade_rest,
                "modify_of_unknown_order_as_add": conv.n_modify_add,
                "transient_crossed_messages": conv.crossed,
                "preopen_crossed_messages": conv.preopen_crossed,
                "preopen_spans_ns": conv.pre.spans,
                "crossed_at_end_ns": conv.pre.crossed_at_end,
                "auction_fills_of_unseen_orders": conv.n_unseen_auction_fills,
                "fills_of_unseen_orders": conv.n_unseen_fills,
                "iceberg_fills_beyond_shown_size": conv.n_iceberg,
                "aggressor_fills": conv.n_aggressor,
                "fills_after_trade_event": conv.n_fill_after_trade_event,
                "snapshot_exch_ts": "snapshot ADDs take the snapshot's ts_recv, not the orders' entry times",
            },
        }
        quote_with(writer, databento_price(conv.tick, _DIGITS))  # the replay quotes a far price as written
        return writer.close(meta)


class _Converter:
    def __init__(self, tick_size, lot_size) -> None:
        # a given tick or lot on the grid the records are read to (breaker26: "size 1e-12 cannot be written ...")
        self.tick_flag = None if tick_size is None else "--tick-size"  # named where a price is beyond the ticks
        self.tick = 0 if tick_size is None else flag_units("tick_size", tick_size, _DIGITS, "databento", "prices to 9 decimals")
        self.lot = 1 if lot_size is None else flag_units("lot_size", lot_size, 0, "databento", "sizes in whole contracts")
        self.symbol: str | None = None
        self.venue: str | None = None
        self.instrument: int | None = None
        self.n_snapshot = 0
        self.n_absorbed = 0
        self.n_trade_rest = 0
        self.n_fill_after_trade_event = 0  # fills refused as a T's had they been in its event (loaders19)
        self.n_modify_add = 0
        self.crossed = 0
        self.preopen_crossed = 0
        self.n_unseen_auction_fills = 0
        self.n_unseen_fills = 0
        self.n_iceberg = 0
        self.n_aggressor = 0
        self.n_bad_ts_recv = 0
        self.n_maybe_bad = 0  # records flagged F_MAYBE_BAD_BOOK, and the first one's "file: record N"
        self.maybe_bad_at: str | None = None
        self.n_snap_early = 0  # snapshots stamped at the ts_event of the record after them (module notes)
        self.snap_exch = 0  # the exchange time the snapshot being read is stamped at
        self.last_exch: int | None = None
        self.last_line = -1
        self.orders: dict[int, list[int]] = {}
        self.book = L2Book()
        # The files of one convert are one stream in order (Databento splits a batch download by size, anywhere):
        # what a record leaves for the next ones carries over from one file to the next.
        self.pending: dict[int, int] = {}  # order id -> filled size whose C/M is still to come
        self.trade: list | None = None  # [exch, local, side, price, size left, packed pos, aggressor order id, label]
        self.lone: tuple[str, int, int] | None = None  # the first F just read with no T before it: (label, seq, ts_recv)
        self.prev: tuple = (None,) * 11  # the record before (one read twice repeats it field for field)
        self.prev_label = ""
        self.in_snapshot = False
        self.snap_ts = 0
        self.cross: CrossCheck | None = None
        self.good_recv = 0  # the latest ts_recv read not flagged F_BAD_TS_RECV
        self.early = EarlyRecords()  # records received before they happened: clock error, or refused (fix32b, fix34c)
        self.pre = PreOpen()  # the pre-open's trading status (module notes)
        self.fresh = True  # the record before ended a message (a file may end inside one: the next goes on with it)
        self.end_exch: int | None = None  # the last record's exchange time

    def run(self, path: Path, writer: EventStoreWriter, progress, last: bool = True) -> None:
        dbn_file = _is_dbn(path)
        if dbn_file:
            self._read_dbn_meta(path)
        elif self.symbol is None:
            rows = csv_rows(path)
            header, first = next(rows, (0, []))[1], next(rows, (0, []))[1]
            rows.close()  # type: ignore[attr-defined]  # a generator
            if "symbol" in header and len(first) == len(header):
                self.symbol = first[header.index("symbol")]
        it = records(path, progress)
        unit = "record" if dbn_file else "line"
        head: list[Record] = []
        if self.tick == 0:
            for rec in it:
                head.append(rec)
                if len(head) >= _INFER_RECORDS:
                    break
            big = next((r for r in head if r[4] is not None and not -(1 << 63) <= r[4] < 1 << 63), None)
            if big is not None:
                why = f"price {exact_decimal(big[4], _DIGITS)} does not fit in 64 bits as Databento's 1e-9 units"
                raise DataError(f"{path}: {unit} {big[9]}: {why}")
            px = np.array([r[4] for r in head if r[4] is not None], dtype=np.int64)
            self.tick = infer_step(px)
            if self.tick == 0:
                raise DataError(f"{path}: no prices in the first records; pass --tick-size")
        em = Emitter(writer, path, unit)
        em.last_exch, em.last_line = self.last_exch, self.last_line
        self.pre.resume(em)
        # CME's pre-open book may be crossed until the opening auction uncrosses
        # it: crosses count as errors only from the first trade on (a file that
        # starts with a snapshot starts a new book, before its own first trade).
        if self.cross is None:
            self.cross = CrossCheck(path, armed=False)
            self.pre.watch(em, snap=False)
        cross = self.cross
        cross.path = path
        n0, u0 = cross.count, cross.unarmed_count
        self._process(path, unit, _SnapStamps(_chain(head, it)), em, cross, last)
        self.pre.pause(em, last, cross, self.book, self.end_exch)
        self.crossed += cross.count - n0
        self.preopen_crossed += cross.unarmed_count - u0
        self.last_exch, self.last_line = em.last_exch, em.last_line

    def _read_dbn_meta(self, path: Path) -> None:
        dataset, symbols = dbn_meta(path)
        self.venue = self.venue or dataset
        if symbols and self.symbol is None and len(symbols) == 1:
            self.symbol = symbols[0]

    def _process(self, path: Path, unit: str, recs, em: Emitter, cross: CrossCheck, last: bool) -> None:
        orders, book, tick, lot, pending = self.orders, self.book, self.tick, self.lot, self.pending
        trade, lone, prev, prev_label = self.trade, self.lone, self.prev, self.prev_label
        in_snapshot, snap_ts, pre, flag = self.in_snapshot, self.snap_ts, self.pre, self.tick_flag
        snap_exch = self.snap_exch
        first, fresh = True, self.fresh
        exch = -1  # the record's exchange time (the last record's, after the loop)

        places = max(0, -int(Decimal(tick).scaleb(-_DIGITS).normalize().as_tuple().exponent))

        def as_price(t: int) -> str:  # a price in ticks as a decimal with the tick's places (4800.25, 4800.00)
            return f"{Decimal(t * tick).scaleb(-_DIGITS):.{places}f}"

        def err(pos: int, msg: str) -> DataError:
            return DataError(f"{path}: {unit} {pos}: {msg}")

        def ticks(price: int | None, pos: int) -> int:
            if price is None:
                raise err(pos, "price is undefined")
            q, r = divmod(price, tick)  # beyond 2**53 - 1 ticks (the price quoted, not the ticks) before the grid
            too_large(q, exact_decimal(price, _DIGITS), "price", exact_decimal(tick, _DIGITS), f"{path}: {unit} {pos}", flag)
            if r:
                raise err(pos, f"price {exact_decimal(price, _DIGITS)} is off the tick grid ({exact_decimal(tick, _DIGITS)})")
            return q

        def lots(size: int, pos: int) -> int:
            if size < 0:
                raise err(pos, f"negative size {size}")
            q, r = divmod(size, lot)
            if r:
                raise err(pos, f"size {size} is not a whole number of lots ({lot})")
            return q

        def flush_trade() -> None:
            nonlocal trade
            if trade is not None and trade[4] > 0:
                self.n_trade_rest += 1
                em.add(trade[0], trade[1], Kind.TRADE, trade[2], trade[3], trade[4], 0, trade[5])
                em.tally("uncovered_trade_prints", trade[5])
            trade = None

        def add(exch, local, oid, side, px, q, pos) -> None:
            if oid in orders:
                raise err(pos, f"order id {oid} added twice")
            if q <= 0:
                raise err(pos, f"zero size for a new order {oid}")
            orders[oid] = [side, px, q]
            book.add(side, px, q)
            em.add(exch, local, Kind.ADD, side, px, q, oid, pos)

        def remove(exch, local, oid, q, pos, kind=Kind.CANCEL) -> None:
            side, px, rem = orders[oid]
            if q > rem:
                raise err(pos, f"order {oid} has {rem} lots left; the record removes {q}")
            book.add(side, px, -q)
            if q == rem and kind == Kind.CANCEL:
                em.add(exch, local, Kind.DELETE, side, px, q, oid, pos)
            else:
                em.add(exch, local, kind, side, px, q, oid, pos)
            orders[oid][2] = rem - q
            if rem == q:
                del orders[oid]

        recv = RecvOrder()  # the latest ts_recv read in this file, and its record
        due = None  # the message the record before ended (F_LAST): its end is checked before the next record
        opened = -1  # the record that opened the snapshot being read (its CLEAR written)
        for rec in recs:
            if due is not None:
                pre.message_end(em, cross, book, *due, as_price)
                due = None
            ts_recv, ts_event, action, side_s, price, size, oid, flags, inst, pos, seq = rec
            if ts_recv == prev[0] and oid == prev[6] and rec[:9] == prev[:9] and seq == prev[10] and action not in "RN":
                raise err(pos, f"repeats {prev_label} field for field ({_what(rec)}): a record read twice; "
                               "the venue never sends one record twice in a row")
            prev, prev_label = rec, f"{unit} {pos}"
            if not flags & F_BAD_TS_RECV:  # one wrong receive time would hold a recorded feed back to it
                late = recv.behind(ts_recv, pos)
                if late is not None:
                    raise err(pos, f"ts_recv {ts_recv} is {late} s before {unit} {recv.at}'s ({recv.latest}); "
                                   "records come in receive order, so one of the two receive times is wrong")
                self.good_recv = max(self.good_recv, ts_recv)
            if not 0 <= oid < _ID_END:
                raise err(pos, f"order id {oid} is outside [0, 2**63)")
            if self.instrument is None:
                self.instrument = inst
            elif inst != self.instrument:
                raise err(pos, f"instrument {inst} differs from {self.instrument}; one store holds one instrument")
            snap = bool(flags & F_SNAPSHOT)
            if first:
                first = False
                if snap and in_snapshot and ts_recv != snap_ts:  # the previous file's snapshot ended with it
                    in_snapshot = False
                if snap and not in_snapshot:  # a new book, before its own first trade
                    cross.armed, cross._since = False, None
                    self.pre.watch(em, snap=True)
            if snap and not in_snapshot:
                flush_trade()
                in_snapshot = True
                pre.ended = True  # Databento's snapshot: its records, and so its messages, carry F_LAST
                snap_ts = snap_exch = ts_recv
                if recs.cap is not None and self.early.latest <= recs.cap < ts_recv:
                    # Databento stamps a snapshot with its generation time (ts_recv, flagged F_BAD_TS_RECV); a record
                    # received after it may have been sent before: the snapshot's book is the one before that record.
                    snap_exch = recs.cap
                    self.n_snap_early += 1
                orders.clear()
                pending.clear()
                book.clear(0)
                em.add(snap_exch, snap_ts, Kind.CLEAR, 0, 0, 0, 0, pos)
                opened = pos  # an R here is the snapshot's own clear (Databento's R flagged F_SNAPSHOT): one CLEAR
            elif not snap:
                in_snapshot = False
            exch = snap_exch if snap else ts_event
            if flags & F_MAYBE_BAD_BOOK:  # the venue's channel had a gap it could not recover: the book may be wrong
                self.n_maybe_bad += 1
                self.maybe_bad_at = self.maybe_bad_at or f"{path.name}: {unit} {pos}"
            if not snap:
                self.early.see(exch, ts_recv, flags, path, unit, pos)  # received before it happened: one rule
            # A snapshot's records all take its stamp (its first ts_recv, or the ts_event of the record after it when
            # earlier) and are not seen before that ts_recv; any other record keeps its
            # own (a ts_recv before ts_event is corrected for the whole file at the end),
            # unless Databento flags it inaccurate: then it is no sign of the capture
            # clock and is not used: the record arrived after the latest good receive
            # time read so far (in this file or the ones before), and after its own
            # exchange time.
            if flags & F_BAD_TS_RECV:
                self.n_bad_ts_recv += 1
                local = max(self.good_recv, snap_ts if snap else exch)  # a snapshot is not seen before it was made
            else:
                local = max(ts_recv, exch) if snap else ts_recv
            if pre.watching and pre.mark is None and not snap:  # after the snapshot, or at the stream's start
                if pre.snap:  # a snapshot left crossed is a pre-open, even with a trade next (its auction)
                    pre.snapshot_end(em, book, snap_exch, snap_ts)
                else:
                    pre.mark = (em.queued(), exch, local)
            side = 1 if side_s == "B" else -1 if side_s == "A" else 0
            if action != "F":
                if trade is not None:
                    flush_trade()
                if lone is not None and action == "T" and (lone[1], lone[2]) == (seq, ts_recv):
                    # Databento writes a trade's T first, then its F records: a T after F records of its own
                    # message (one sequence, one ts_recv) is out of order, not a print apart from them.
                    raise err(pos, f"trade (T) after the fill (F) at {lone[0]} of its message ({_what(rec)}): "
                                   "a T comes first, then its F records; these are out of order")
                lone = None
            if (fresh or pre.after_trade) and not snap:  # after the print of a T before it (flush_trade)
                pre.begin(em, exch, local, fresh)
            new_event = fresh  # the record before ended its event (F_LAST): this one starts another
            fresh = bool(flags & F_LAST)
            if fresh and not snap:  # checked even when the record writes nothing (an absorbed C/M)
                due = (exch, local, f"{unit} {pos}")
            if action == "A":
                if side == 0:
                    raise err(pos, "add without a side")
                if snap:
                    self.n_snapshot += 1
                add(exch, local, oid, side, ticks(price, pos), lots(size, pos), pos)
            elif action == "C":
                q = lots(size, pos)
                if oid in pending:
                    took = min(q, pending[oid])
                    pending[oid] -= took
                    if pending[oid] == 0:
                        del pending[oid]
                    self.n_absorbed += 1
                    q -= took
                    if q == 0:
                        continue
                if oid not in orders:
                    raise err(pos, f"cancel of unknown order id {oid}")
                if q == 0:
                    raise err(pos, f"cancel of 0 lots of order {oid}")
                remove(exch, local, oid, q, pos)
            elif action == "M":
                px, q = ticks(price, pos), lots(size, pos)
                if oid not in orders:
                    if oid in pending:  # fully filled, then modified: nothing rests
                        del pending[oid]
                        if q == 0:
                            continue
                    if side == 0:
                        raise err(pos, f"modify of unknown order id {oid} without a side")
                    self.n_modify_add += 1
                    add(exch, local, oid, side, px, q, pos)
                    continue
                o_side, o_px, o_q = orders[oid]
                if oid in pending:
                    del pending[oid]
                    if px == o_px and q == o_q:
                        self.n_absorbed += 1
                        continue
                if px == o_px and q == o_q:
                    continue
                if px == o_px and q < o_q:
                    remove(exch, local, oid, o_q - q, pos)
                else:
                    remove(exch, local, oid, o_q, pos)
                    if q > 0:
                        add(exch, local, oid, o_side if side == 0 else side, px, q, pos)
            elif action == "F":
                q = lots(size, pos)
                if q == 0:
                    raise err(pos, f"fill of 0 lots of order {oid}")
                if trade is not None and new_event and oid != trade[6] and (ticks(price, pos) != trade[3] or (
                        side != 0 and trade[2] != 0 and oid in orders and ticks(price, pos) != orders[oid][1])):
                    # Refused below as the T's fill, but in a later event (an F_LAST came between; CME lists a T's
                    # fills in its event): not its fill. The T is over; this is a fill without a print of its own.
                    self.n_fill_after_trade_event += 1
                    flush_trade()
                if trade is None:  # a fill without a print (Nasdaq's non-printable executions): no TRADE
                    lone = lone or (f"{unit} {pos}", seq, ts_recv)
                elif oid != trade[6] and ticks(price, pos) != trade[3]:
                    raise err(pos, f"fill at {_px(price)} follows a trade (T) at {_px(trade[3] * tick)} ({trade[7]}) "
                                   f"({_what(rec)}): each F follows the T of its price; these are out of order")
                pre.trade(em, cross, exch, local, pos, unit)
                if oid not in orders:
                    # An order the book never saw: an auction fill (side N) of an order
                    # entered in pre-open and never disseminated, or the hidden part of
                    # an iceberg. No book change; the T before it carries the print
                    # (its uncovered part becomes a TRADE), and the C/M the venue sends
                    # after the fill is absorbed.
                    if side == 0:
                        self.n_unseen_auction_fills += 1
                    else:
                        self.n_unseen_fills += 1
                        pending[oid] = pending.get(oid, 0) + q
                    continue
                o_side, o_px, rem = orders[oid]
                if trade is not None and oid == trade[6] and ticks(price, pos) != o_px:
                    # The aggressor's own fill (a resting order modified into the other
                    # side): not an execution where it rests; the C/M after it moves it.
                    self.n_aggressor += 1
                    continue
                if side != 0 and trade is not None and trade[2] != 0 and ticks(price, pos) != o_px:
                    # A resting order fills at its own price: at another, the print is not its (loadbreak18: it
                    # was an EXECUTE at the resting price, a trade on the wrong side and price). The aggressor's
                    # own fill is named by its T (above); an auction's fills (side N) are at the auction price.
                    raise err(pos, f"fill at {_px(price)} of order {oid}, which rests as "
                                   f"{'a bid' if o_side > 0 else 'an ask'} at {as_price(o_px)} and is not the aggressor the "
                                   f"trade (T) at {trade[7]} names (order {trade[6]}): a resting order fills at its "
                                   f"own price ({_what(rec)})")
                if q > rem:
                    # Iceberg: the fill takes the shown size and some of the hidden
                    # reserve; the venue re-shows the order with an M afterwards.
                    self.n_iceberg += 1
                    remove(exch, local, oid, rem, pos, kind=Kind.EXECUTE)
                    em.add(exch, local, Kind.TRADE, -o_side, o_px, q - rem, 0, pos)
                else:
                    remove(exch, local, oid, q, pos, kind=Kind.EXECUTE)
                pending[oid] = pending.get(oid, 0) + q
                if trade is not None:  # the fills of the T before them cover its print
                    trade[4] = max(0, trade[4] - q)
            elif action == "T":
                pre.trade(em, cross, exch, local, pos, unit)
                trade = [exch, local, side, ticks(price, pos), lots(size, pos), em.base | pos, oid, f"{unit} {pos}"]
            elif action == "R" and opened != pos:
                orders.clear()
                pending.clear()
                book.clear(0)
                em.add(exch, local, Kind.CLEAR, 0, 0, 0, 0, pos)
            elif action in ("N", "R"):  # (an R that opened its snapshot: cleared above)
                pass
            else:
                raise err(pos, f"malformed row: unknown action {action!r}")
        if due is not None:
            pre.message_end(em, cross, book, *due, as_price)
        if last:
            flush_trade()
        # Carried to the next file, where a message names this one (a label read in an earlier file names it already).
        def named(label: str) -> str:  # "line 7" read here becomes "a.csv: line 7"; one named already stays
            return f"{path}: {label}" if _HERE.fullmatch(label) else label

        self.trade, self.in_snapshot, self.snap_ts, self.fresh = trade, in_snapshot, snap_ts, fresh
        self.snap_exch = snap_exch
        if exch >= 0:
            self.end_exch = exch
        self.lone = None if lone is None else (named(lone[0]), lone[1], lone[2])
        self.prev, self.prev_label = prev, named(prev_label)
        if trade is not None:
            trade[7] = named(trade[7])

