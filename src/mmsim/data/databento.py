"""Databento loader: market-by-order (MBO schema) from ``.dbn``/``.dbn.zst`` or Databento's CSV.

Binary files are decoded with the ``databento_dbn`` package (zstd handled
there); the CSV is the one Databento's tools write
(``ts_recv,ts_event,ts_in_delta,sequence,instrument_id,symbol,action,side,price,size,order_id,flags,...``),
plain or gzip, with prices as decimals (``pretty_px``) or as 1e-9 integers.

``ts_event`` becomes ``exch_ts`` and ``ts_recv`` becomes ``local_ts``. Actions:

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
would put the snapshot out of time order.

A book that is crossed before the first trade (CME's pre-open: orders that
cross wait for the opening auction) is accepted and counted in
``quirks.preopen_crossed_messages``; from the first trade on a cross that lasts
over a second is an error. Auction fills (side ``N``) of order ids that never
appeared in the book are skipped and counted
(``quirks.auction_fills_of_unseen_orders``); any other unknown id is an error.
A fill larger than the order's shown size is an iceberg dipping into its
hidden reserve: the shown size becomes an ``EXECUTE``, the rest a
``TRADE`` at the order's price, and the venue's next ``M`` re-shows the order
(at the back of the queue, as CME does).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind
from ._common import CrossCheck, Emitter, L2Book, Progress, decimals_to_int, infer_step
from ._common import open_binary, step_to_float, to_units
from .store import EventStore, EventStoreWriter

__all__ = ["convert", "records"]

F_LAST = 1 << 7
F_SNAPSHOT = 1 << 5
_DIGITS = 9  # Databento fixed-point prices: 1e-9
_UNDEF_PRICE = (1 << 63) - 1
_INFER_RECORDS = 20_000

# (ts_recv, ts_event, action, side, price_1e9 or None, size, order_id, flags, instrument, position)
Record = tuple


def _is_zstd(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x28\xb5\x2f\xfd"


def _is_dbn(path: Path) -> bool:
    if _is_zstd(path):
        return True
    with open(path, "rb") as f:
        return f.read(3) == b"DBN"


def _dbn_records(path: Path, progress: Progress | None) -> Iterator[Record]:
    import databento_dbn as dbn

    comp = dbn.Compression.ZSTD if _is_zstd(path) else dbn.Compression.NONE
    dec = dbn.DBNDecoder(compression=comp)  # type: ignore[arg-type]  # the stub says Compression, the enum is str-based
    pos = 0
    done = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if chunk:
                dec.write(chunk)
                done += len(chunk)
            try:
                recs = dec.decode()
            except Exception as exc:  # databento_dbn raises its own DBNError/ValueError
                raise DataError(f"{path}: record {pos + 1}: cannot decode DBN ({exc})") from None
            for r in recs:
                if isinstance(r, dbn.Metadata):
                    if r.schema is not None and str(r.schema).lower().split(".")[-1] != "mbo":
                        raise DataError(f"{path}: schema {r.schema} is not MBO (market by order)")
                    continue
                pos += 1
                if not isinstance(r, dbn.MBOMsg):
                    continue
                price = None if r.price == _UNDEF_PRICE else int(r.price)
                yield (
                    int(r.ts_recv),
                    int(r.ts_event),
                    str(r.action),
                    str(r.side),
                    price,
                    int(r.size),
                    int(r.order_id),
                    int(r.flags),
                    int(r.instrument_id),
                    pos,
                )
            if progress is not None:
                progress(done)
            if not chunk:
                break


def _csv_ts(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int(np.datetime64(s.rstrip("Z"), "ns").astype(np.int64))


def _csv_records(path: Path, progress: Progress | None) -> Iterator[Record]:
    need = ("ts_recv", "ts_event", "action", "side", "price", "size", "order_id", "flags")
    with open_binary(path, progress) as fb, io.TextIOWrapper(fb, encoding="utf-8", newline="") as ft:
        rd = csv.reader(ft)
        try:
            header = next(rd)
        except StopIteration:
            raise DataError(f"{path}: empty file") from None
        col = {name: i for i, name in enumerate(header)}
        missing = [n for n in need if n not in col]
        if missing:
            raise DataError(f"{path}: line 1: not a Databento MBO CSV header: missing {', '.join(missing)}")
        i_recv, i_ev, i_act, i_side, i_px, i_sz, i_id, i_fl = (col[n] for n in need)
        i_inst = col.get("instrument_id")
        decimal: bool | None = None
        for line, row in enumerate(rd, 2):
            if not row:
                continue
            try:
                px_s = row[i_px]
                if px_s in ("", "null", "None"):
                    price = None
                else:
                    if decimal is None:
                        decimal = "." in px_s
                    price = decimals_to_int(px_s, _DIGITS) if decimal else int(px_s)
                    if price == _UNDEF_PRICE:
                        price = None
                rec = (
                    _csv_ts(row[i_recv]),
                    _csv_ts(row[i_ev]),
                    row[i_act],
                    row[i_side],
                    price,
                    int(row[i_sz]),
                    int(row[i_id]),
                    int(row[i_fl]),
                    int(row[i_inst]) if i_inst is not None else 0,
                    line,
                )
            except (ValueError, IndexError):
                raise DataError(f"{path}: line {line}: malformed row: {','.join(row)[:80]!r}") from None
            yield rec


def records(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    """Iterate the MBO records of a DBN or CSV file as plain tuples.

    Each is ``(ts_recv, ts_event, action, side, price_1e9 | None, size,
    order_id, flags, instrument_id, position)``; position is the CSV line or
    the DBN record number, for error messages.
    """
    path = Path(path)
    return _dbn_records(path, progress) if _is_dbn(path) else _csv_records(path, progress)


def convert(
    sources: list[Path],
    out: Path,
    *,
    tick_size: float | None = None,
    lot_size: float | None = None,
    symbol: str | None = None,
    progress: Progress | None = None,
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

    Raises
    ------
    mmsim.DataError
        Malformed rows, time going backwards, off-grid prices, negative sizes,
        unknown order ids, several instruments in one store, a persistently
        crossed book.
    """
    writer = EventStoreWriter(out)
    with writer:
        conv = _Converter(tick_size, lot_size)
        for p in sources:
            conv.run(Path(p), writer, progress)
        meta = {
            "symbol": symbol or conv.symbol or str(conv.instrument),
            "venue": conv.venue or "databento",
            "tick_size": step_to_float(conv.tick, _DIGITS),
            "lot_size": float(conv.lot),
            "contract_size": 1.0,
            "source": [Path(p).name for p in sources],
            "format": "databento",
            "time_zone": "UTC",
            "levels": "L3",
            "local_ts_recorded": True,
            "quirks": {
                "snapshot_orders": conv.n_snapshot,
                "fill_cancels_absorbed": conv.n_absorbed,
                "uncovered_trade_prints": conv.n_trade_rest,
                "modify_of_unknown_order_as_add": conv.n_modify_add,
                "transient_crossed_messages": conv.crossed,
                "preopen_crossed_messages": conv.preopen_crossed,
                "auction_fills_of_unseen_orders": conv.n_unseen_auction_fills,
                "iceberg_fills_beyond_shown_size": conv.n_iceberg,
                "snapshot_exch_ts": "snapshot ADDs take the snapshot's ts_recv, not the orders' entry times",
            },
        }
        return writer.close(meta)


class _Converter:
    def __init__(self, tick_size, lot_size) -> None:
        self.tick = to_units(tick_size, _DIGITS) if tick_size is not None else 0
        self.lot = int(lot_size) if lot_size is not None else 1
        if lot_size is not None and (self.lot != lot_size or self.lot <= 0):
            raise DataError(f"lot size {lot_size} must be a whole number of contracts")
        self.symbol: str | None = None
        self.venue: str | None = None
        self.instrument: int | None = None
        self.n_snapshot = 0
        self.n_absorbed = 0
        self.n_trade_rest = 0
        self.n_modify_add = 0
        self.crossed = 0
        self.preopen_crossed = 0
        self.n_unseen_auction_fills = 0
        self.n_iceberg = 0
        self.last_exch: int | None = None
        self.orders: dict[int, list[int]] = {}
        self.book = L2Book()

    def run(self, path: Path, writer: EventStoreWriter, progress) -> None:
        if _is_dbn(path):
            self._read_dbn_meta(path)
        elif self.symbol is None:
            with open_binary(path) as fb, io.TextIOWrapper(fb, encoding="utf-8", newline="") as ft:
                rd = csv.reader(ft)
                header, first = next(rd, []), next(rd, [])
                if "symbol" in header and len(first) == len(header):
                    self.symbol = first[header.index("symbol")]
        it = records(path, progress)
        head: list[Record] = []
        if self.tick == 0:
            for rec in it:
                head.append(rec)
                if len(head) >= _INFER_RECORDS:
                    break
            px = np.array([r[4] for r in head if r[4] is not None], dtype=np.int64)
            self.tick = infer_step(px)
            if self.tick == 0:
                raise DataError(f"{path}: no prices in the first records; pass --tick-size")
        unit = "record" if _is_dbn(path) else "line"
        em = Emitter(writer, path, unit)
        em.last_exch = self.last_exch
        # CME's pre-open book may be crossed until the opening auction uncrosses
        # it: crosses count as errors only from the first trade on.
        cross = CrossCheck(path, armed=False)
        self._process(path, unit, _chain(head, it), em, cross)
        em.flush(final=True)
        self.crossed += cross.count
        self.preopen_crossed += cross.unarmed_count
        self.last_exch = em.last_exch

    def _read_dbn_meta(self, path: Path) -> None:
        import databento_dbn as dbn

        comp = dbn.Compression.ZSTD if _is_zstd(path) else dbn.Compression.NONE
        dec = dbn.DBNDecoder(compression=comp)  # type: ignore[arg-type]  # the stub says Compression, the enum is str-based
        with open(path, "rb") as f:
            dec.write(f.read(1 << 16))
        try:
            recs = dec.decode()
        except Exception:
            return
        for r in recs:
            if isinstance(r, dbn.Metadata):
                self.venue = self.venue or str(r.dataset)
                if r.symbols and self.symbol is None and len(r.symbols) == 1:
                    self.symbol = str(r.symbols[0])

    def _process(self, path: Path, unit: str, recs, em: Emitter, cross: CrossCheck) -> None:
        orders, book, tick, lot = self.orders, self.book, self.tick, self.lot
        pending: dict[int, int] = {}  # order id -> filled size whose C/M is still to come
        trade: list | None = None  # [exch, local, side, price, size left, pos]
        in_snapshot = False
        snap_ts = 0

        def err(pos: int, msg: str) -> DataError:
            return DataError(f"{path}: {unit} {pos}: {msg}")

        def ticks(price: int | None, pos: int) -> int:
            if price is None:
                raise err(pos, "price is undefined")
            q, r = divmod(price, tick)
            if r:
                raise err(pos, f"price {price / 1e9:g} is off the tick grid ({tick / 1e9:g})")
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
            trade = None

        def add(exch, local, oid, side, px, q, pos) -> None:
            if oid in orders:
                raise err(pos, f"order id {oid} added twice")
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

        for ts_recv, ts_event, action, side_s, price, size, oid, flags, inst, pos in recs:
            if self.instrument is None:
                self.instrument = inst
            elif inst != self.instrument:
                raise err(pos, f"instrument {inst} differs from {self.instrument}; one store holds one instrument")
            snap = bool(flags & F_SNAPSHOT)
            if snap and not in_snapshot:
                flush_trade()
                in_snapshot = True
                snap_ts = ts_recv
                orders.clear()
                pending.clear()
                book.clear(0)
                em.add(snap_ts, snap_ts, Kind.CLEAR, 0, 0, 0, 0, pos)
            elif not snap:
                in_snapshot = False
            exch = snap_ts if snap else ts_event
            local = ts_recv if ts_recv >= exch else exch
            side = 1 if side_s == "B" else -1 if side_s == "A" else 0
            if action != "F" and trade is not None:
                flush_trade()
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
                remove(exch, local, oid, q, pos)
            elif action == "M":
                px, q = ticks(price, pos), lots(size, pos)
                if oid not in orders:
                    if oid in pending:  # fully filled, then modified: nothing rests
                        del pending[oid]
                        if q == 0:
                            continue
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
                cross.armed = True
                if oid not in orders:
                    if side == 0:
                        # Auction fills (side N) can name orders never shown in the
                        # book (entered in pre-open, not disseminated): no book change.
                        self.n_unseen_auction_fills += 1
                        continue
                    raise err(pos, f"fill of unknown order id {oid}")
                o_side, o_px, rem = orders[oid]
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
                cross.armed = True
                trade = [exch, local, side, ticks(price, pos), lots(size, pos), pos]
            elif action == "R":
                orders.clear()
                pending.clear()
                book.clear(0)
                em.add(exch, local, Kind.CLEAR, 0, 0, 0, 0, pos)
            elif action == "N":
                pass
            else:
                raise err(pos, f"malformed row: unknown action {action!r}")
            if flags & F_LAST and not snap:
                cross.check(book, exch, f"{unit} {pos}")
        flush_trade()


def _chain(head: list, it: Iterator) -> Iterator:
    yield from head
    yield from it
