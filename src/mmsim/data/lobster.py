"""LOBSTER loader: NASDAQ message + orderbook files (market-by-order, L3).

A LOBSTER day is two CSV files without header. The message file
(``TICKER_DATE_START_END_message_N.csv``) holds one row per event: time
(seconds after midnight, America/New_York), type, order id, size, price
(dollars x 10000), direction (+1 buy order, -1 sell order). The orderbook file
holds, for each message, the top ``N`` levels after it (ask px, ask size, bid
px, bid size, ...). Events become:

==== ======================== =============================================
type LOBSTER                  mmsim event
==== ======================== =============================================
1    submission               ``ADD``
2    partial cancellation     ``CANCEL`` (``DELETE`` when nothing is left)
3    deletion                 ``DELETE`` (qty = the order's remaining size)
4    visible execution        ``EXECUTE`` (aggressor is the other side)
5    hidden execution         ``TRADE`` (aggressor = -direction); no book change
6    cross trade (auction)    ``TRADE`` with side 0 (no aggressor)
7    trading halt / resume    ``STATUS``: price -1 ``HALTED``, 0 ``QUOTING``
                              (quoting resumes), 1 ``TRADING`` (trading
                              resumes); also listed in ``quirks.halts``
==== ======================== =============================================

A day starts trading: when the previous day of the same store ended halted
or quoting, the new day's opening snapshot is followed by a ``STATUS``
``TRADING``.

Times are the file date plus the seconds after midnight in America/New_York,
converted to UTC ns; prices are ticks of $0.01 (``--tick-size`` may set
another grid). ``local_ts`` equals ``exch_ts`` (LOBSTER records no receive time).

Quirks handled (counts in ``meta.json`` ``quirks``):

- *Orders resting before the file starts*: the book before the first message
  is the first orderbook row with that message undone; each level is seeded
  as one synthetic order (id ``2**62 + k``) by an ``ADD`` at the first
  timestamp, after a ``CLEAR`` (so each day starts from its own book). A later cancel/delete/execution of an unknown id at a level is
  applied to that level's synthetic orders when they hold enough shares, else to those and the orders known
  from before the level left the window; a cancel from the back of the level, an execution from the front
  (a repair never moves our orders forward); when not, the unknown id is unexplained and that is a ``DataError``.
- *Level-N files only carry messages inside the top N levels*: a level that
  enters the window (the book moved) shows depth the messages never built.
  After each message the reconstructed top N is reconciled with the orderbook row: a new level, or the lots a
  level gained outside the window, is seeded with a synthetic order at its back; a level whose depth fell
  while it was outside the window is cut to the shown depth from its back by ``CANCEL``s, which keep priority
  (fix34l: deleting it and re-seeding one synthetic order moved our order to the front); a level that vanished
  outside the window is deleted. So the reconstructed best bid/ask equal the file's at every row. Queue
  positions away from the best stay approximate (docs/data.md, "Queue positions away from the best").
  A level that stayed inside the window but disagrees with the orderbook row
  is not reconciled: the files disagree and that is a ``DataError``; so are a
  row without a level that stayed inside the window and a row with a new best
  price that no message added (depth enters the window only below its edge).
- *Hidden executions at sub-penny (midpoint) prices*: a ``TRADE`` price off
  the grid is rounded toward the aggressor (down for a buyer, up for a
  seller), where it could have met a resting order.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..events import Kind, TradingStatus
from ._common import CrossCheck, L2Book, Progress, exact_decimal, text_lines, too_large, without_trailing_blank_lines
from ._cut_off import cut_off_hint, reading
from ._drop_through import crossed_at_end
from ._emitter import Emitter
from ._grid_flags import flag_units
from ._lobster_files import NAME as _NAME
from ._lobster_files import DAY_S, TZ, message_files, midnight_ns, orderbook_path, outside_window, seconds_to_ns
from ._lobster_files import time_unit_hint
from ._quote import lobster_price, quote_with
from .store import EventStore, EventStoreWriter

__all__ = ["SYNTHETIC_ID_BASE", "convert", "orderbook_path"]

#: Synthetic order ids (seeded depth) are ``SYNTHETIC_ID_BASE + k``.
SYNTHETIC_ID_BASE = 1 << 62
_RAW_PER_DOLLAR = 10_000
_DUMMY = 9_999_999_999
#: Type-7 price -> the trading status it starts (LOBSTER_SampleFiles_ReadMe.txt, "Trading Halts").
_STATUS = {-1: TradingStatus.HALTED, 0: TradingStatus.QUOTING, 1: TradingStatus.TRADING}
_STATE_NAME = {-1: "halt", 0: "quoting", 1: "resume"}


@cut_off_hint  # an error on a last row: the file looks, or may be, cut off (docs/data.md, "A file cut off mid-line")
def convert(
    sources: list[Path], out: Path, *, tick_size: float | None = None, lot_size: float | None = None,
    symbol: str | None = None, progress: Progress | None = None, force: bool = False,
    drop_prints_through_book: bool = False, l2_only: bool = False,
) -> EventStore:
    """Convert LOBSTER message (+ orderbook) files into an L3 event store.

    Parameters
    ----------
    sources : list of Path
        Message files (their orderbook files are found beside them by name) or
        message and orderbook files of one ticker; several days in time order.
    out : Path
        Store directory to write.
    tick_size : float, optional
        Price grid in dollars (default 0.01, NASDAQ's tick above $1).
    lot_size : float, optional
        Shares per lot (default 1).
    symbol : str, optional
        Overrides the ticker from the file names (one ticker: files of another are refused).
    progress : callable, optional
        Called with bytes of the message file read so far.
    force : bool
        Replace an existing store at ``out`` (atomically).
    drop_prints_through_book : bool
        Drop the TRADE prints more than 10% through the book (docs/data.md, "Prints through the book").
    l2_only : bool
        Refuse the first order event where it was read (``trade_implied`` of :func:`mmsim.data.convert`).

    Raises
    ------
    mmsim.DataError
        Malformed rows, time going backwards or outside the day (seconds
        written in another unit), off-grid or non-positive prices, zero or
        negative sizes, order ids outside ``[0, 2**62)``, unexplained unknown
        order ids, an unknown type-7 state, messages disagreeing with the
        orderbook file, a persistently crossed book, an empty day; each names
        the file and line. A file of another ticker than the first file's (by
        the names, before any row is read: one store holds one symbol). An
        existing store at ``out`` without ``force``.
    mmsim.ConfigError
        A given tick or lot size outside 1e-12..1e12, finer than the loader reads or off its grid (docs/data.md).
    """
    messages, ticker = message_files(sources)  # one ticker, by the names, before any row (breaker27)
    # LOBSTER's prices are in $0.0001 (4 decimals), its sizes in whole shares (breaker26: one message for each loader)
    tick = 100 if tick_size is None else flag_units("tick_size", tick_size, 4, "lobster", "prices in $0.0001, 4 decimals")
    lot = 1 if lot_size is None else flag_units("lot_size", lot_size, 0, "lobster", "sizes in whole shares")
    conv = _Converter(tick, lot)
    conv.tick_flag = None if tick_size is None else "--tick-size"
    writer = EventStoreWriter(out, force=force, drop_prints_through_book=drop_prints_through_book, l2_only=l2_only)
    quote_with(writer, lobster_price(tick))  # a far price quoted as written
    with writer:
        for mp in messages:
            info = _NAME.match(mp.name)
            assert info is not None
            conv.run(mp, orderbook_path(mp), info, writer, progress)
        meta = {
            "symbol": symbol or ticker,
            "venue": "NASDAQ",
            "tick_size": tick / _RAW_PER_DOLLAR,
            "lot_size": float(lot),
            "contract_size": 1.0,
            "source": [p.name for m in messages for p in (m, orderbook_path(m))],
            "format": "lobster",
            "time_zone": TZ,
            "levels": "L3" if writer.order_events else "L2",  # a window of no order event is L2 data
            "local_ts_recorded": False,
            "quirks": conv.quirks(writer.tallies) | {"crossed_at_end_ns": crossed_at_end(conv.cross_since, writer)},
        }
        return writer.close(meta)


class _Converter:
    def __init__(self, tick: int, lot: int) -> None:
        self.tick, self.lot = tick, lot
        self.tick_flag: str | None = None  # the flag that gave the tick, named where a price is beyond the ticks
        self.next_syn = SYNTHETIC_ID_BASE
        self.n_seeded = self.n_entered = self.n_reset = self.n_vanished = 0
        self.n_unknown_explained = self.n_delete_size_differs = self.n_folded = 0
        self.halts: list[dict] = []
        self.crossed = 0
        self.cross_since: int | None = None  # the exchange time the last day's book has been crossed since
        self.last_exch: int | None = None
        self.last_line = -1
        self.status = TradingStatus.TRADING

    def quirks(self, tallies: dict) -> dict:
        """The store's quirks; ``tallies``: the writer's, whose counts are of events (less the prints dropped)."""
        return {
            "synthetic_id_base": SYNTHETIC_ID_BASE,
            "seeded_levels": self.n_seeded,
            "levels_entering_window": self.n_entered,
            "levels_reset_to_orderbook": self.n_reset,
            "levels_vanished_outside_messages": self.n_vanished,
            "unknown_ids_explained_by_seeded_depth": self.n_unknown_explained,
            "hidden_trades_rounded_to_grid": len(tallies.get("hidden_trades_rounded_to_grid", ())),
            "cross_trades": len(tallies.get("cross_trades", ())),
            "deletes_with_size_not_remaining": self.n_delete_size_differs,
            "levels_folded_for_unknown_ids": self.n_folded,
            "halts": self.halts,
            "transient_crossed_rows": self.crossed,
        }

    # ------------------------------------------------------------------ one day
    def run(self, mpath: Path, bpath: Path, info, writer, progress) -> None:
        if not bpath.exists():
            raise DataError(
                f"{mpath}: its orderbook file {bpath.name} is missing; LOBSTER conversion needs both "
                "(the first orderbook row seeds the orders resting before the file starts)"
            )
        # A blank line at the end of either file (an extra newline) is not a row; it
        # used to make the two files' row counts differ, blamed on the other file.
        msg_lines, book_lines = text_lines(mpath, progress), text_lines(bpath)
        try:
            self._run(mpath, bpath, info, writer,  # read in step: an error's cut-off note goes by the row read
                      reading(mpath, without_trailing_blank_lines(msg_lines)),
                      reading(bpath, without_trailing_blank_lines(book_lines)))
        finally:  # close both files now, also when a row is rejected
            msg_lines.close()
            book_lines.close()

    def _run(self, mpath: Path, bpath: Path, info, writer, msg_rows, book_rows) -> None:
        nlev = int(info["level"])
        midnight = midnight_ns(info["date"], mpath)
        em = Emitter(writer, mpath, "line")
        em.last_exch, em.last_line = self.last_exch, self.last_line
        cross = CrossCheck(mpath)
        book = L2Book()
        orders: dict[int, list[int]] = {}  # id -> [side, price, qty]
        syn_at: dict[tuple[int, int], list[int]] = {}  # (side, price) -> synthetic ids, FIFO
        level_ids: dict[tuple[int, int], list[int]] = {}  # ids resting at a level, FIFO
        stale: dict[int, tuple[int, int]] = {}  # deleted-by-reconciliation id -> level
        cut: dict[int, int] = {}  # a resting order a repair reduced -> the lots it cut (take())
        # Orders whose level has left the visible window since we last saw them:
        # messages about them may have been dropped from a level-N file.
        untrusted: set[int] = set()
        # The level (side, price) of the row's message when it is about an untrusted order: what the message leaves
        # there may differ from the row (the order's size may have changed outside the window, with no message), so
        # only that level may differ from the row with no error; any other level shown in the previous row changes
        # by the message or not at all (fix29a: every level with an untrusted order was excused, so a row that
        # disagreed there went unnoticed when no later row contradicted it: the last row, any level of it).
        shaky: set[tuple[int, int]] = set()
        inside_prev: set[tuple[int, int]] = set()
        prev_best: dict[int, int] = {}
        # side -> (price, lots, id, row line) of the best level a row seeded with no message (phantom()).
        seeded_best: dict[int, tuple[int, int, int, int]] = {}
        prev_seeded = seeded_best.copy()
        tick, lot = self.tick, self.lot

        def err(line: int, msg: str) -> DataError:
            return DataError(f"{mpath}: line {line}: {msg}")

        def ticks(raw: int, line: int, path: Path = mpath) -> int:
            q, r = divmod(raw, tick)
            too_large(q, str(raw), "price", f"{tick / _RAW_PER_DOLLAR:g}", f"{path}: line {line}", self.tick_flag)  # as written
            if r:
                raise DataError(
                    f"{path}: line {line}: price {exact_decimal(raw, 4, 4)} is off the tick grid "
                    f"({tick / _RAW_PER_DOLLAR:g})"
                )
            return q

        def lots(raw: int, line: int, path: Path = mpath) -> int:
            if raw < 0:
                raise DataError(f"{path}: line {line}: negative size {raw}")
            q, r = divmod(raw, lot)
            if r:
                raise DataError(f"{path}: line {line}: size {raw} is not a whole number of lots ({lot} shares)")
            return q

        def add(t: int, oid: int, side: int, px: int, q: int, line: int) -> None:
            orders[oid] = [side, px, q]
            level_ids.setdefault((side, px), []).append(oid)
            book.add(side, px, q)
            em.add(t, t, Kind.ADD, side, px, q, oid, line)

        def remove_id(oid: int) -> None:
            side, px, _ = orders.pop(oid)
            untrusted.discard(oid)
            cut.pop(oid, None)
            ids = level_ids[(side, px)]
            ids.remove(oid)
            if not ids:
                del level_ids[(side, px)]
            if oid >= SYNTHETIC_ID_BASE:
                syns = syn_at[(side, px)]
                syns.remove(oid)
                if not syns:
                    del syn_at[(side, px)]

        def reduce(t: int, oid: int, q: int, kind: int, line: int) -> None:
            """Cancel / execute ``q`` of a known order (DELETE when it empties by cancel)."""
            o = orders[oid]
            side, px, rem = o
            if q > rem:
                raise err(line, f"order {oid} has {rem} lots left, the message removes {q}")
            book.add(side, px, -q)
            if kind == Kind.EXECUTE:
                em.add(t, t, Kind.EXECUTE, side, px, q, oid, line)
                o[2] = rem - q
                if o[2] == 0:
                    remove_id(oid)
            elif q == rem:
                em.add(t, t, Kind.DELETE, side, px, q, oid, line)
                remove_id(oid)
            else:
                em.add(t, t, Kind.CANCEL, side, px, q, oid, line)
                o[2] = rem - q

        def new_synthetic(t: int, side: int, px: int, q: int, line: int) -> None:
            sid = self.next_syn
            self.next_syn += 1
            add(t, sid, side, px, q, line)
            syn_at.setdefault((side, px), []).append(sid)

        def take(t: int, ids: list[int], q: int, kind: int, line: int) -> None:
            """Remove ``q`` lots from the orders ``ids`` of one level (FIFO order), a repair of the book: a cancel
            from the back (the lots behind our orders go first: a repair never moves us forward), an execution
            from the front (the venue executes the front of the queue first; where it reaches orders behind ours,
            the engine's remainder rule fills us only past what is still ahead, whatever the split). A real order
            emptied is gone (a later message for it is applied to the level's depth); one reduced is ``cut``."""
            for oid in (ids if kind == Kind.EXECUTE else ids[::-1]):
                if q <= 0:
                    break
                rem = orders[oid][2]
                k = min(rem, q)
                q -= k
                if oid < SYNTHETIC_ID_BASE:
                    if k == rem:
                        stale[oid] = (orders[oid][0], orders[oid][1])
                    else:
                        cut[oid] = cut.get(oid, 0) + k
                        untrusted.add(oid)
                reduce(t, oid, k, kind, line)

        def explain(t: int, side: int, px: int, q: int, kind: int, line: int) -> bool:
            """Apply ``q`` lots of a message about an order we do not know (or know smaller than it was) to the
            level's depth: its synthetic orders, else those and the orders we may know wrongly (their level was
            outside the window). False when they hold fewer than ``q`` lots."""
            syns = list(syn_at.get((side, px), ()))
            if sum(orders[i][2] for i in syns) >= q:
                take(t, syns, q, kind, line)
                return True
            pool = [i for i in level_ids.get((side, px), ()) if i in untrusted or i >= SYNTHETIC_ID_BASE]
            if sum(orders[i][2] for i in pool) < q:
                return False
            self.n_folded += 1
            take(t, pool, q, kind, line)
            return True

        def clear_level(t: int, side: int, px: int, line: int) -> None:
            for oid in list(level_ids.get((side, px), ())):
                q = orders[oid][2]
                book.add(side, px, -q)
                em.add(t, t, Kind.DELETE, side, px, q, oid, line)
                remove_id(oid)
                if oid < SYNTHETIC_ID_BASE:
                    stale[oid] = (side, px)

        def phantom(side: int, px: int | None, line: int) -> DataError | None:
            """The previous row's seeded best at ``px``, untouched since: the row this one contradicts is the corrupt one."""
            p, q, sid, at = prev_seeded.get(side, (None, 0, 0, 0))
            if p is None or p != px or level_ids.get((side, p)) != [sid] or orders[sid][2] != q:
                return None  # not seeded by that row, or a message traded or joined it: the level was real
            return DataError(f"{bpath}: line {at}: the orderbook row shows a best {'bid' if side > 0 else 'ask'} {p} "
                             f"ticks ({q} lots) that the next row no longer shows, and no message up to {mpath.name} "
                             f"line {line} adds or removes it: a phantom best price; the message and orderbook "
                             "files disagree")

        def reconcile(t: int, shown: dict[int, list[tuple[int, int]]], line: int) -> None:
            for side in (1, -1):
                levels = shown[side]
                ours = book.top(side, nlev)
                if ours == levels:
                    continue
                lv = book.bids if side > 0 else book.asks
                shown_px = {p for p, _ in levels}
                if len(levels) == nlev:
                    edge = levels[-1][0]
                    inside = [p for p in lv if (p >= edge if side > 0 else p <= edge)]
                else:
                    inside = list(lv)
                for p in inside:
                    if p not in shown_px:
                        if (side, p) in inside_prev and (side, p) not in shaky:
                            # It stayed inside the window: its removal would have a message.
                            raise phantom(side, p, line) or DataError(
                                f"{bpath}: line {line}: the orderbook row no longer shows the "
                                f"{'bid' if side > 0 else 'ask'} level at {p} ticks ({lv[p]} lots), which the "
                                f"previous row showed, but no message up to {mpath.name} line {line} removes it; "
                                "the message and orderbook files disagree"
                            )
                        self.n_vanished += 1
                        clear_level(t, side, p, line)
                pb = prev_best.get(side)
                for p, q in levels:
                    q0 = lv.get(p, 0)
                    if q0 == q:
                        continue
                    new_best = pb is not None and (p > pb if side > 0 else p < pb)
                    if ((side, p) in inside_prev and (side, p) not in shaky) or (new_best and q0):
                        # The level stayed inside the window, or is a new best its message added (never outside the
                        # window, fix32a), so every change to it has a message: the two files disagree.
                        raise DataError(
                            f"{bpath}: line {line}: the orderbook row shows {q} lots at "
                            f"{'bid' if side > 0 else 'ask'} {p} ticks but the messages up to "
                            f"{mpath.name} line {line} leave {q0}; the message and orderbook "
                            "files disagree"
                        )
                    if q0 == 0:
                        if new_best:
                            # Depth enters a level-N window from below its edge; a new best price
                            # needs a message that adds it.
                            raise phantom(side, pb, line) or DataError(
                                f"{bpath}: line {line}: the orderbook row shows a new best "
                                f"{'bid' if side > 0 else 'ask'} {p} ticks ({q} lots), better than the previous "
                                f"row's {pb}, but no message up to {mpath.name} line {line} adds it; the message "
                                "and orderbook files disagree"
                            )
                        self.n_entered += 1
                        if p == levels[0][0]:
                            seeded_best[side] = (p, q, self.next_syn, line)
                        new_synthetic(t, side, p, q, line)
                    elif q > q0:
                        # Orders that joined while the level was outside the window
                        # queue behind the ones we know: a synthetic order at the back.
                        self.n_entered += 1
                        new_synthetic(t, side, p, q - q0, line)
                    else:
                        # Lots left while the level was outside the window: cancelled from the back of the level
                        # (CANCEL keeps an order's priority), so no order of ours moves forward: what was ahead of
                        # it is min(ahead, shown), the risk-averse reading (breaker34 F8: a DELETE of the level
                        # and an ADD of the shown depth under a new id put our order at the front).
                        self.n_reset += 1
                        take(t, list(level_ids[(side, p)]), q0 - q, Kind.CANCEL, line)

        def parse_book(row: str, line: int) -> dict[int, list[tuple[int, int]]]:
            parts = row.split(",")
            if len(parts) != 4 * nlev:
                raise DataError(
                    f"{bpath}: line {line}: malformed row: {len(parts)} columns, expected {4 * nlev}"
                )
            try:
                vals = [int(x) for x in parts]
            except ValueError:
                raise DataError(f"{bpath}: line {line}: malformed row: non-integer field") from None
            out: dict[int, list[tuple[int, int]]] = {1: [], -1: []}
            for k in range(nlev):
                apx, aq, bpx, bq = vals[4 * k : 4 * k + 4]
                if aq < 0 or bq < 0:
                    raise DataError(f"{bpath}: line {line}: negative size")
                if abs(apx) != _DUMMY and aq > 0:
                    if apx <= 0:
                        raise DataError(f"{bpath}: line {line}: ask price {apx} is not positive")
                    out[-1].append((ticks(apx, line, bpath), lots(aq, line, bpath)))
                if abs(bpx) != _DUMMY and bq > 0:
                    if bpx <= 0:
                        raise DataError(f"{bpath}: line {line}: bid price {bpx} is not positive")
                    out[1].append((ticks(bpx, line, bpath), lots(bq, line, bpath)))
            return out

        first = True
        for line, row in msg_rows:
            try:
                bline, brow = next(book_rows)
            except StopIteration:
                raise DataError(f"{bpath}: has fewer rows than the message file (line {line})") from None
            parts = row.split(",")
            if len(parts) != 6:
                raise err(line, f"malformed row: {len(parts)} columns, expected 6 (time,type,id,size,price,direction)")
            try:
                secs = seconds_to_ns(parts[0])
                typ, oid, size, raw_px, direction = (int(x) for x in parts[1:])
            except ValueError:
                raise err(line, f"malformed row: {row[:80]!r}") from None
            if secs >= DAY_S * 10**9:
                raise err(
                    line,
                    f"time {parts[0]} is not seconds after midnight (at most {DAY_S}); {time_unit_hint(secs)}",
                )
            if (why := outside_window(secs, parts[0], info)) is not None:  # the window of the name (breaker29)
                raise err(line, why)
            t = midnight + secs
            if typ not in (1, 2, 3, 4, 5, 6, 7):
                raise err(line, f"malformed row: unknown event type {typ}")
            if typ != 7:
                if direction not in (1, -1):
                    raise err(line, f"malformed row: direction {direction} is not 1 or -1")
                if size < 0:
                    raise err(line, f"negative size {size}")
                if size == 0 and typ != 3:
                    raise err(line, f"zero size for a type-{typ} message")
                if raw_px <= 0:
                    raise err(line, f"price {raw_px} is not positive (LOBSTER prices are dollars x 10000)")
                if typ <= 4 and not 0 <= oid < SYNTHETIC_ID_BASE:
                    raise err(line, f"order id {oid} is outside [0, 2**62) (ids from 2**62 are mmsim's synthetic orders)")
            elif raw_px not in _STATUS:
                raise err(line, f"type-7 (trading halt) message with price {raw_px}; must be -1 halt, 0 quoting, 1 resume")
            shown = parse_book(brow, bline)
            side = direction
            if first:
                first = False
                # The book before the first message: the first row with that
                # message undone, sent as a snapshot (CLEAR, then one synthetic
                # resting order per level) so that days can follow each other.
                em.add(t, t, Kind.CLEAR, 0, 0, 0, 0, line)
                if self.status != TradingStatus.TRADING:
                    # The previous day ended halted or quoting; this one opens trading.
                    em.add(t, t, Kind.STATUS, 0, 0, int(TradingStatus.TRADING), 0, line)
                    self.status = TradingStatus.TRADING
                pre = {s: dict(v) for s, v in shown.items()}
                if typ in (1, 2, 3, 4):
                    px0, q0 = ticks(raw_px, line), lots(size, line)
                    lvl = pre[side]
                    if typ == 1:
                        lvl[px0] = lvl.get(px0, 0) - q0
                        edge = shown[side][-1][0] if len(shown[side]) == nlev else None
                        if lvl[px0] < 0 and (edge is None or (px0 >= edge if side > 0 else px0 <= edge)):
                            # The first row is the book after the first message: inside its window it shows the add.
                            raise DataError(f"{bpath}: line {bline}: the orderbook row shows {q0 + lvl[px0]} lots at "
                                            f"{'bid' if side > 0 else 'ask'} {px0} ticks but the messages up to "
                                            f"{mpath.name} line {line} leave at least {q0} (the first message adds "
                                            "them); the message and orderbook files disagree")
                    else:  # a level the message emptied is not in the row: it held what the message took
                        lvl[px0] = lvl.get(px0, 0) + q0
                for s in (1, -1):
                    for p, q in sorted(pre[s].items(), reverse=s > 0):
                        if q > 0:
                            self.n_seeded += 1
                            if shown[s] and p == shown[s][0][0]:
                                seeded_best[s] = (p, q, self.next_syn, line)
                            new_synthetic(t, s, p, q, line)
            if typ == 1:
                px, q = ticks(raw_px, line), lots(size, line)
                if oid in orders:
                    raise err(line, f"order id {oid} submitted twice")
                stale.pop(oid, None)
                add(t, oid, side, px, q, line)
            elif typ in (2, 3, 4):
                px, q = ticks(raw_px, line), lots(size, line)
                kind = Kind.EXECUTE if typ == 4 else Kind.CANCEL
                if oid in orders:
                    o = orders[oid]
                    if oid in untrusted:
                        shaky.add((side, px))
                    if o[0] != side or o[1] != px:
                        raise err(
                            line,
                            f"order {oid} rests at side {o[0]} price {o[1]} ticks; the message says side "
                            f"{side} price {px}",
                        )
                    extra, rem0, cut0 = 0, o[2], cut.get(oid, 0)
                    if oid in cut and q > o[2]:
                        # A repair cut this order's lots (its level's depth fell while outside the window): the
                        # lots it had beyond them are in the level's other depth, up to what was cut.
                        extra = min(q - o[2], cut[oid])
                        q -= extra
                    if typ == 3:
                        # A deletion removes what is left (DELETE carries the remaining size).
                        if q != o[2]:
                            self.n_delete_size_differs += 1
                        q = o[2]
                    reduce(t, oid, q, kind, line)
                    if extra and not explain(t, side, px, extra, kind, line) and typ != 3:
                        raise err(line, f"order {oid} has {rem0} lots left ({cut0} cut from it when its level was "
                                        f"reset to the orderbook file); the message removes {q + extra}, and the "
                                        f"level's other depth cannot hold the {extra} beyond them")
                else:
                    if not explain(t, side, px, q, kind, line):
                        have = sum(orders[i][2] for i in syn_at.get((side, px), ()))
                        why = "was deleted when its level was reset" if oid in stale else "was never submitted"
                        raise err(
                            line,
                            f"unknown order id {oid} ({why}): {q} lots at side {side} price {px} ticks "
                            f"cannot be explained by the depth resting before the file (synthetic depth "
                            f"there: {have} lots)",
                        )
                    self.n_unknown_explained += 1
            elif typ in (5, 6):
                q = lots(size, line)
                aggressor = -side if typ == 5 else 0
                p, r = divmod(raw_px, tick)
                if r:
                    if typ == 6 or aggressor == 0:
                        raise err(line, f"cross trade price {exact_decimal(raw_px, 4, 4)} is off the tick grid")
                    em.tally("hidden_trades_rounded_to_grid", line)
                    p = p if aggressor > 0 else p + 1
                if typ == 6:
                    em.tally("cross_trades", line)
                em.add(t, t, Kind.TRADE, aggressor, p, q, 0, line)
            else:
                self.status = _STATUS[raw_px]
                em.add(t, t, Kind.STATUS, 0, 0, int(self.status), 0, line)
                self.halts.append({"exch_ts": t, "state": _STATE_NAME[raw_px], "line": line})
            reconcile(t, shown, line)
            shaky.clear()
            cur = {(s, p) for s in (1, -1) for p, _ in shown[s]}
            for gone in inside_prev - cur:
                untrusted.update(level_ids.get(gone, ()))
            inside_prev = cur
            prev_best = {sd: shown[sd][0][0] for sd in (1, -1) if shown[sd]}
            prev_seeded, seeded_best = seeded_best, {}
            cross.check(book, t, f"line {line}")
        surplus = next(book_rows, None)
        if surplus is not None:
            raise DataError(f"{bpath}: line {surplus[0]}: more rows than the message file {mpath.name}")
        em.flush(final=True)
        self.crossed += cross.count
        self.cross_since = cross._since
        self.last_exch, self.last_line = em.last_exch, em.last_line
