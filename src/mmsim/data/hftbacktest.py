"""hftbacktest event files (``.npz``/``.npy``): import into a store and export a store.

hftbacktest (v2) keeps market data as one numpy array of its ``event_dtype``
(``ev u8, exch_ts i8, local_ts i8, px f8, qty f8, order_id u8, ival i8,
fval f8``, aligned, 64 bytes), saved with ``np.savez_compressed(path,
data=array)``. ``ev`` holds the event type in its low byte and flags above:
``EXCH_EVENT`` (bit 31: the exchange side processes the row, rows with it are
in ``exch_ts`` order), ``LOCAL_EVENT`` (bit 30: the local side does, in
``local_ts`` order), ``BUY_EVENT`` (bit 29) and ``SELL_EVENT`` (bit 28: bid/ask
for depth, the aggressor for trades). Its converters write a row that is out
of order in one clock twice, once per flag.

Import keeps the rows flagged ``EXCH_EVENT`` (each market event once, in
exchange order):

====================================== ==========================================
hftbacktest                            mmsim
====================================== ==========================================
``DEPTH_EVENT`` 1, ``DEPTH_SNAPSHOT`` 4 ``DEPTH``
``TRADE_EVENT`` 2                      ``TRADE``
``DEPTH_CLEAR_EVENT`` 3                bids ``>= px`` / asks ``<= px`` set to 0
                                       (hftbacktest clears from the best level
                                       *up to* ``px``), L3 orders there
                                       ``DELETE``; nothing left on the side, or
                                       no side flag: ``CLEAR``; a snapshot's
                                       clear of each side of a NaN price: one
                                       ``CLEAR`` (two sided ones in a file
                                       whose ``mmsim_meta`` has ``"clears":
                                       "sided"``, an export's)
``ADD_ORDER_EVENT`` 10                 ``ADD``
``CANCEL_ORDER_EVENT`` 11              ``DELETE``
``MODIFY_ORDER_EVENT`` 12              ``CANCEL`` of the difference (same price,
                                       smaller), nothing (same price and size:
                                       it keeps its place), else ``DELETE`` + ``ADD``
``FILL_EVENT`` 13                      ``EXECUTE``
``DEPTH_BBO_EVENT`` 5, custom (>= 100) skipped and counted
====================================== ==========================================

A file written by hftbacktest's Databento converter (Databento's flags in ``ival``) is read with the Databento
loader's rules for CME's reporting of a match (``_hftbacktest_l3``: a ``FILL`` is the ``EXECUTE``, the venue's
``CANCEL``/``MODIFY`` of the filled lots is absorbed, a ``TRADE`` row writes only what its fills leave uncovered),
counted under that loader's ``quirks`` names; any other file row by row as above.

Import checks every value before it becomes an integer: a NaN or infinite
price or size, a value beyond 2**53 ticks or lots, an order id that does not
fit int64, a depth or add row without a side flag, an order id added twice,
a zero-size add, fill or trade, a fill at a price its order does not rest at, a depth row and L3 orders at one
price, or a
time outside 1990-2100 is an error naming
the record (1-based, counting every row of the file). A file whose
``local_ts`` is ever before ``exch_ts`` gets the recorder-clock correction of
the other loaders (``quirks.local_clock_offset_ns``).

CME's pre-open is inferred from an L3 file's orders' book by the Databento loader's rules (``_preopen``), the rows
of one exchange time standing for a message: a book crossed at the end of a timestamp before the first trade or fill
row starts ``STATUS QUOTING`` before the file's first row; after trading, a book crossed at a timestamp's end that
stays crossed beyond the 1 s tolerance with no trade or fill row during the cross (CME's daily pre-open, mid-file)
gets ``QUOTING`` before the rows of the timestamp where the cross began (after their executions); either turns
``TRADING`` before the next ``TRADE``/``FILL`` row (the auction). Shorter crosses are written as read and counted; a
cross with a trade during it beyond the tolerance is an error naming the records and exchange times
(``quirks.preopen_spans_ns``, ``transient_crossed_messages``, ``crossed_at_end_ns``). Files with depth rows get no
status (their L2 book's cross is an error beyond the tolerance).

Several files are one stream in the order given, as hftbacktest replays a day's files one after another: each goes
on with the book (L2 levels and L3 orders) the file before left, and only its own ``DEPTH_CLEAR`` rows clear it, as
anywhere in a file (hftbacktest's converters start a day with one: its Databento converter's sideless clear, its
Tardis converter's clear of each side before a snapshot; ``snapshot_mode="ignore_sod"`` days have none and go on).
A file whose first row is a ``DEPTH_CLEAR`` starts a new book, and a new watch for CME's pre-open, as a Databento file
starting with a snapshot does. An order id added while an order of the file before still rests under it is an
error naming the record and that file.

A snapshot is a file's first exchange time starting with a ``DEPTH_CLEAR``, or mid-file a clear of the whole book (no
side flag, or each side of a NaN price) anywhere in its exchange time, and the book listed after the clear at its time
(clears, depth and add rows); rows before the clear at its time (a print) are a message of the book it clears, ended
there (hftbacktest replays a clear where it comes: its book after that time is the snapshot's). Its rows are no
message: the stream's status goes right after them, at the snapshot's time, as the Databento loader writes it (a book
they leave crossed is a pre-open, even with a trade next); a mid-file one starts a new book and a new pre-open watch,
as a file opening with one does.

Export (``_hftbacktest_export``) writes the reverse mapping (``CANCEL`` becomes a modify to the new size, a cancel
row when it empties the order, counted
from the orders resting before the events, ``before=``; a sided ``CLEAR`` becomes a clear of a NaN price with its
side's flag, the whole side, a ``CLEAR`` of side 0 one clear without a side flag, both sides; ``"clears": "sided"``)
with both flags on every row when ``local_ts`` never decreases, and otherwise
one exchange-ordered and one local-ordered copy, as hftbacktest's
``correct_event_order`` does. hftbacktest has no trading-status event, so
``STATUS`` events are not exported (``on_status="drop"``, the default: an
hftbacktest replay of the file matches through halts) or refused
(``on_status="error"``). The export also writes ``mmsim_meta`` (a JSON string of the store's tick, lot, contract
size, symbol, venue and time zone, and a trade-implied store's ``trade_implied_book`` counts), which hftbacktest
ignores; the import takes it as its defaults, refuses a tick or lot given that differs from it (``_file_defaults``)
and writes the counts back into the store's ``quirks`` (so the round trip is still trade-implied; the counts
of several files of one stream, a day each, summed).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind
from ._common import (
    MAX_PRICE_TICKS,
    MAX_QTY_LOTS,
    CrossCheck,
    L2Book,
    Progress,
    infer_step,
    step_to_float,
    too_large,
    to_units,
)
from ._emitter import Emitter
from ._grid_flags import flag_units, unit_checked
from ._hftbacktest_export import export
from ._identity import through_problem
from ._hftbacktest_read import (  # noqa: F401  # the format's names stay importable from here
    _DIGITS,
    _PRICED,
    _SIDED,
    ADD_ORDER_EVENT,
    BUY_EVENT,
    CANCEL_ORDER_EVENT,
    DEPTH_BBO_EVENT,
    DEPTH_CLEAR_EVENT,
    DEPTH_EVENT,
    DEPTH_SNAPSHOT_EVENT,
    DROPPED_KEY,
    EXCH_EVENT,
    FILL_EVENT,
    HBT_EVENT_DTYPE,
    IMPLIED_KEY,
    LOCAL_EVENT,
    MODIFY_ORDER_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    _check_floats,
    _check_local_order,
    _chunks,
    _file_meta,
    fills_followed,
    refuse_implied,
    refuse_l3,
    sided_clears,
)
from ._hftbacktest_l3 import L3Rows, databento_flags, mixed
from ._preopen import OrderLevels, PreOpen
from ._quote import hftbacktest_price, quote_with
from ._sources import given_once
from .store import EventStore, EventStoreWriter

__all__ = ["HBT_EVENT_DTYPE", "convert", "export"]


def _slack(q: np.ndarray) -> np.ndarray:
    """How far a price or size over its step (``q``, a float quotient) may be from a whole number and still be on the
    grid: 1e-6, or 4 float steps of ``q`` where those are larger (the rounding of the value, the step and the
    division), never a quarter or more (breaker15d: from 2**49 on, 4 steps were half a lot, and a half-lot size
    passed)."""
    return np.minimum(np.maximum(1e-6, 4 * np.spacing(np.abs(q))), 0.25)


def _cleared(price: int, side: int, upto: int | None) -> bool:
    """Whether a ``DEPTH_CLEAR`` up to ``upto`` (None: the whole side) reaches ``price`` on ``side``."""
    return upto is None or (price >= upto if side > 0 else price <= upto)


#: The rows a snapshot lists after its clear (at its time); any other row ends it.
_SNAPSHOT_ROWS = (DEPTH_CLEAR_EVENT, DEPTH_EVENT, DEPTH_SNAPSHOT_EVENT, ADD_ORDER_EVENT)


def _both_sides(typ: np.ndarray, side: np.ndarray, px: np.ndarray, ex: list[int], j: int,
                nxt: tuple[int, int, float, int] | None) -> bool:
    """Whether row ``j`` (a sided clear of a NaN price: the whole side) and the next, at its time, clear both sides
    (``nxt``: the next chunk's first row, as (type, side, price, exch), for a row ``j`` that ends its chunk)."""
    if j + 1 < len(typ):
        nxt = (int(typ[j + 1]), int(side[j + 1]), float(px[j + 1]), ex[j + 1])
    return (nxt is not None and nxt[3] == ex[j] and nxt[0] == DEPTH_CLEAR_EVENT and nxt[1] == -int(side[j])
            and not np.isfinite(px[j]) and not np.isfinite(nxt[2]))


def _whole_book(typ: np.ndarray, side: np.ndarray, px: np.ndarray, ex: list[int], j: int,
                nxt: tuple[int, int, float, int] | None, sided: bool) -> bool:
    """Whether the clear at row ``j`` clears the whole book: no side flag, or a clear of each side, whole (in a file
    whose clears are ``sided``, an export of 17 on: only no side flag)."""
    return int(side[j]) == 0 or (not sided and _both_sides(typ, side, px, ex, j, nxt))


def _peeked(p: Path) -> Iterator[tuple[np.ndarray, tuple[int, int, float, int] | None]]:
    """The chunks of ``p``, each with the next chunk's first ``EXCH_EVENT`` row (type, side, price, exch), if any."""
    prev = None
    for ch in _chunks(p):
        if prev is not None:
            i = np.flatnonzero((ch["ev"] & EXCH_EVENT) != 0)
            r = ch[int(i[0])] if len(i) else None
            yield prev, None if r is None else (
                int(r["ev"]) & 0xFF, 1 if int(r["ev"]) & BUY_EVENT else -1 if int(r["ev"]) & SELL_EVENT else 0,
                float(r["px"]), int(r["exch_ts"]))
        prev = ch
    if prev is not None:
        yield prev, None


def _file_defaults(paths: list[Path], tick_size: float | None, lot_size: float | None,
                   l2_only: bool = False) -> tuple[dict, float | None, float | None]:
    """The ``mmsim_meta`` of the files (an export's: what their numbers mean), one for all, and the tick and lot
    sizes: the user's, else the files'; a size given that differs from the files' is an error naming both. The
    ``trade_implied_book`` counts of files that all have them are summed (each file one transform's part of the
    stream: one day each, breaker17d), not compared like the tick. ``l2_only``: a file whose ``mmsim_meta`` says
    its book is already trade-implied is refused (:func:`refuse_implied`), in the order of the files."""
    found: dict[str, tuple[Path, object]] = {}
    plain: Path | None = None  # a file whose book is not trade-implied
    for p in paths:
        fm = _file_meta(p) or {}
        if l2_only:
            refuse_implied(p, fm)
        for k, v in fm.items():
            if k == IMPLIED_KEY and k in found:  # counts of one stream add up (_file_meta checked both)
                prev = found[k][1]
                assert isinstance(prev, dict) and isinstance(v, dict)
                found[k] = (found[k][0], {c: prev[c] + v[c] for c in prev})
                continue
            if k == DROPPED_KEY and k in found and found[k][1] != v:  # two stores' records of dropped prints
                raise DataError(f"{p}: its mmsim_meta {k} differs from {found[k][0]}'s (a record of other dropped "
                                "prints): files of one stream are one store's export")
            if k in found and found[k][1] != v:
                raise DataError(f"{p}: its mmsim_meta {k} {v!r} differs from {found[k][0]}'s {found[k][1]!r}: "
                                "files of one stream are in one tick, lot and symbol")
            found.setdefault(k, (p, v))
        if IMPLIED_KEY not in fm:
            plain = plain or p
        if IMPLIED_KEY in found and plain is not None:  # one stream is trade-implied throughout or not at all
            raise DataError(f"{found[IMPLIED_KEY][0]}: its mmsim_meta says its book is trade-implied "
                            f"({IMPLIED_KEY}), {plain}'s does not: files of one stream are one store's export")
    sizes = []
    for key, given, flag, what in (("tick_size", tick_size, "--tick-size", "prices are in ticks"),
                                   ("lot_size", lot_size, "--lot-size", "sizes are in lots")):
        if given is not None:
            unit_checked(key, given)  # a number from 1e-12 to 1e12, on the keyword path as in mmsim.data.convert
        if key not in found:
            if given is not None:  # on the 1e-8 grid the records are read to (breaker26: "... with 8 decimals")
                flag_units(key, given, _DIGITS, "hftbacktest", f"{what.split()[0]} to 8 decimals")
            sizes.append(given)
            continue
        p, v = found[key]
        assert isinstance(v, (int, float))
        try:
            units = to_units(float(v), _DIGITS)
        except DataError as exc:
            raise DataError(f"{p}: its mmsim_meta {key}: {exc}") from None
        try:  # a value off the 1e-8 grid differs from the file's: that conflict is said first (breaker26)
            same = given is None or to_units(given, _DIGITS) == units
        except DataError:
            same = False
        if not same:
            raise DataError(f"{p}: {key} {given!r} given ({flag}), but the file says its {what} of {float(v)!r} "
                            "(its mmsim_meta, written by mmsim's export): "
                            f"leave {flag} out")
        sizes.append(float(v))
    return {k: v for k, (_, v) in found.items()}, sizes[0], sizes[1]


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
    l2_only: bool = False,
) -> EventStore:
    """Import hftbacktest event files into a store.

    Parameters
    ----------
    sources : list of Path
        ``.npz`` (array under key ``data``) or ``.npy`` files, in time order.
    out : Path
        Store directory.
    tick_size, lot_size : float, optional
        When omitted: the file's ``mmsim_meta`` (an mmsim export's: its store's),
        else inferred, the greatest common step of all prices and of all sizes (a
        first pass over the files). Given, they must equal the ``mmsim_meta``'s.
    symbol : str, optional
        Symbol for ``meta.json``: when omitted, the ``mmsim_meta``'s (hftbacktest
        files do not name it); given, it wins. The venue, contract size and time
        zone are the ``mmsim_meta``'s too (else ``hftbacktest``, 1, UTC).
    progress : callable, optional
        Called with the number of records read.
    force : bool
        Replace an existing store at ``out`` (atomically).
    drop_prints_through_book : bool
        Drop the TRADE prints more than 10% through the book (docs/data.md, "Prints through the book").
    l2_only : bool
        For a trade-implied book (``mmsim convert --trade-implied-book``): a file whose ``mmsim_meta`` says its book
        is already trade-implied, or an exchange-side L3 row (add, modify, cancel, fill), is an error naming the
        file (and the row's record and type), said by the conversion's own pass (each file read once, the grid's
        inference pass aside), before the row's chunk is checked or converted further.

    Raises
    ------
    mmsim.DataError
        Wrong dtype or shape, a truncated or corrupt file, NaN/infinite or
        out-of-range prices and sizes, off-grid prices, negative sizes, rows
        without a side flag, duplicate or unknown order ids, zero-size adds,
        fills or trades, implausible or backward exchange times, a persistently
        crossed book, no rows; each names the file and record. A malformed
        ``mmsim_meta`` value (``trade_implied_book`` not the four non-negative
        integer counts), or files of one stream of which some say
        ``trade_implied_book`` and some not, naming the file and key. An existing
        store at ``out`` without ``force``.
    mmsim.ConfigError
        A given tick or lot size outside 1e-12..1e12, finer than the loader reads or off its grid (docs/data.md).
    """
    paths = given_once(sources)  # the same file twice is refused before any record is read (fix28b)
    given = (tick_size is not None, lot_size is not None)
    fmeta, tick_size, lot_size = _file_defaults(paths, tick_size, lot_size, l2_only)
    if tick_size is None or lot_size is None:
        pg, qg = 0, 0
        limit = float(1 << 62)
        for p in paths:
            base = 0
            for ch in _chunks(p):
                if l2_only:
                    refuse_l3(p, ch, base)
                idx = np.flatnonzero((ch["ev"] & EXCH_EVENT) != 0)
                sel = ch[idx]
                typ = sel["ev"] & 0xFF
                _check_floats(p, sel, idx, base, typ)
                m = np.isin(typ, _PRICED)
                pxs = sel["px"][m] * 10**_DIGITS
                qts = sel["qty"][m] * 10**_DIGITS
                for arr, what, field in ((pxs, "price", "px"), (qts, "size", "qty")):
                    big = np.abs(arr) >= limit
                    if big.any():
                        i = int(np.flatnonzero(m)[int(np.flatnonzero(big)[0])])
                        raise DataError(
                            f"{p}: record {base + int(idx[i]) + 1}: {what} {float(sel[field][i]):g} is too large "
                            "to infer the grid from; pass --tick-size and --lot-size"
                        )
                pg = int(np.gcd(pg, infer_step(np.round(pxs).astype(np.int64))))
                qg = int(np.gcd(qg, infer_step(np.round(qts).astype(np.int64))))
                base += len(ch)
        tick = to_units(tick_size, _DIGITS) if tick_size is not None else pg
        lot = to_units(lot_size, _DIGITS) if lot_size is not None else qg
        if tick == 0 or lot == 0:
            raise DataError(f"{paths[0]}: no prices or sizes to infer the grid from; pass --tick-size and --lot-size")
    else:
        tick, lot = to_units(tick_size, _DIGITS), to_units(lot_size, _DIGITS)
    tick_f, lot_f = tick / 10**_DIGITS, lot / 10**_DIGITS
    # the flags that gave the tick and lot (not the file's mmsim_meta), named where a price is beyond the ticks
    tick_flag = "--tick-size" if given[0] and "tick_size" not in fmeta else None
    lot_flag = "--lot-size" if given[1] and "lot_size" not in fmeta else None
    writer = EventStoreWriter(out, force=force, drop_prints_through_book=drop_prints_through_book)
    quote_with(writer, hftbacktest_price(tick, _DIGITS, _chunks))  # a price quoted as written
    skipped: dict[str, int] = {}
    l3 = False
    pre = PreOpen()  # CME's pre-open, at a file's start or after trading, from its L3 book (module notes)
    places = max(0, -int(Decimal(tick).scaleb(-_DIGITS).normalize().as_tuple().exponent))

    def as_price(t: int) -> str:  # a price in ticks as a decimal with the tick's places (4800.25, 4800.00)
        return f"{Decimal(t * tick).scaleb(-_DIGITS):.{places}f}"

    book = L2Book()
    orders = OrderLevels()
    cross = CrossCheck(paths[0])  # the L2 levels' book (depth rows)
    xcross = CrossCheck(paths[0], armed=False)  # the L3 orders' book: crosses tolerated until the first trade
    l3rows = L3Rows(orders, book, as_price)  # what the L3 and trade rows write (_hftbacktest_l3)
    carried = l3rows.carried  # ids of the orders resting from the file before, still resting (for an error's words)
    with writer:
        last, last_line = None, -1
        for fi, p in enumerate(paths):
            # Several files are one stream, as hftbacktest replays them: each goes on with the book (levels and
            # orders) the file before left; its own DEPTH_CLEAR rows clear it (module notes).
            em = Emitter(writer, p, "record")
            em.last_exch, em.last_line = last, last_line
            cross.path = xcross.path = p
            if fi == 0:
                pre.watch(em, snap=False)  # the stream's start (a snapshot starts another, right away)
                pre.watch_chunks(em)
            else:
                pre.resume(em)
            carried.clear()
            carried.update(orders.keys())
            l3rows.p, l3rows.venue = p, False
            sided = sided_clears(p)  # an export's clears of each side are sided CLEARs, not the whole book's
            l3rows.follow = fills_followed(p)  # an export's FILL rows are followed by their book rows (18 on)
            start = True  # the file's first row is still to come
            merged = False  # the row is the second of a snapshot's clear of each side, written as one CLEAR
            due: tuple[int, int, str] | None = None  # the rows of one exchange time (a message) read so far: its end
            snap: tuple[int, int] | None = None  # a snapshot being read (exch, local of its clear): its rows no message
            base = 0
            top = (0, 0)  # the latest local_ts of a LOCAL_EVENT row in this file, and its record
            for ch, nxt in _peeked(p):
                if l2_only:
                    refuse_l3(p, ch, base)
                top = _check_local_order(p, ch, base, top)
                idx = np.flatnonzero((ch["ev"] & EXCH_EVENT) != 0)
                sel = ch[idx]
                typ = (sel["ev"] & 0xFF).astype(np.int64)
                side = np.where(sel["ev"] & BUY_EVENT, 1, np.where(sel["ev"] & SELL_EVENT, -1, 0))
                if base == 0 and databento_flags(ch):  # hftbacktest's Databento converter's (_hftbacktest_l3)
                    l3rows.venue = True
                    l3rows.venue_files += 1
                # A Databento C's size is the lots it cancels: a CANCEL row's size counts in such a file.
                sized = np.isin(typ, _PRICED + ((CANCEL_ORDER_EVENT,) if l3rows.venue or l3rows.follow else ()))
                _check_floats(p, sel, idx, base, typ, sized)
                priced = np.isin(typ, _PRICED)
                pxt = np.where(priced, sel["px"], 0.0) / tick_f
                pxr = np.round(pxt)
                qtt = np.where(sized, sel["qty"], 0.0) / lot_f
                qtr = np.round(qtt)
                for arr, lim, what, field in ((pxr, MAX_PRICE_TICKS, "price", "px"), (qtr, MAX_QTY_LOTS, "size", "qty")):
                    big = np.abs(arr) > lim
                    if big.any():
                        i = int(np.flatnonzero(big)[0])
                        step, flag = (tick, tick_flag) if field == "px" else (lot, lot_flag)
                        too_large(int(arr[i]), repr(float(sel[field][i])), what, f"{step_to_float(step, _DIGITS)}",
                                  f"{p}: record {base + int(idx[i]) + 1}", flag)
                bigid = sel["order_id"] >= np.uint64(1 << 63)
                if bigid.any():
                    i = int(np.flatnonzero(bigid)[0])
                    raise DataError(
                        f"{p}: record {base + int(idx[i]) + 1}: order id {int(sel['order_id'][i])} does not fit "
                        "in a signed 64-bit integer"
                    )
                # On the grid within 1e-6 of a step, or a few float steps of the quotient where those are larger
                # (beyond about 2**33 ticks or lots: 133.83798 / 1e-08 is 13383797999.999998, one float step off).
                off = priced & (np.abs(pxt - pxr) > _slack(pxt))
                if off.any():
                    i = int(np.flatnonzero(off)[0])
                    raise DataError(
                        f"{p}: record {base + int(idx[i]) + 1}: price {float(sel['px'][i])!r} is off the tick grid "
                        f"(tick size {step_to_float(tick, _DIGITS)})"
                    )
                neg = sized & (sel["qty"] < 0)
                if neg.any():
                    i = int(np.flatnonzero(neg)[0])
                    raise DataError(f"{p}: record {base + int(idx[i]) + 1}: negative size {float(sel['qty'][i]):g}")
                offq = sized & (np.abs(qtt - qtr) > _slack(qtt))
                if offq.any():
                    i = int(np.flatnonzero(offq)[0])
                    raise DataError(
                        f"{p}: record {base + int(idx[i]) + 1}: size {float(sel['qty'][i])!r} is not a whole number "
                        f"of lots (lot size {step_to_float(lot, _DIGITS)})"
                    )
                pxi = pxr.astype(np.int64).tolist()
                qti = qtr.astype(np.int64).tolist()
                ex = sel["exch_ts"].tolist()
                lo = sel["local_ts"].tolist()
                oids = sel["order_id"].astype(np.int64).tolist()
                for j, (t, s, pp, qq) in enumerate(zip(typ.tolist(), side.tolist(), pxi, qti)):
                    rec = base + int(idx[j]) + 1
                    e, lc = ex[j], lo[j]
                    if t != FILL_EVENT:  # the TRADE row before is over (its fills read)
                        l3rows.flush(em)
                    if snap is not None and (e != snap[0] or t not in _SNAPSHOT_ROWS):
                        # The snapshot is over: a stream's status goes right after it, at its time, as the
                        # Databento loader writes it (its rows are no message: their book is checked with the next).
                        pre.snapshot_end(em, orders.levels, snap[0], snap[1])
                        snap = None
                    if due is not None and e != due[0]:  # the message before ended (rows of one exchange time)
                        pre.message_end(em, xcross, orders.levels, *due, as_price)
                        due = None
                    if t == DEPTH_CLEAR_EVENT and snap is None and (start or _whole_book(
                            typ, side, sel["px"], ex, j, nxt, sided)):
                        # A snapshot: a file's first exchange time starting with a clear, or a clear of the whole
                        # book mid-file, and the book listed after it at its time: a new book, and a new watch for
                        # CME's pre-open, as a Databento file starting with a snapshot (module notes). Anywhere in
                        # its time: rows before it there (a print) were a message of the book it clears, over here.
                        if due is not None:
                            pre.message_end(em, xcross, orders.levels, *due, as_price)
                            due = None
                        xcross.armed, xcross._since = False, None
                        pre.watch(em, snap=True)
                        snap = (e, lc)
                    start = False
                    if pre.watching and (t == DEPTH_EVENT or t == DEPTH_SNAPSHOT_EVENT):  # L2: no pre-open inferred
                        pre.decide(em, crossed=False)
                    if snap is None:
                        new, due = due is None, (e, lc, f"record {rec} at exch_ts {e}")
                        if pre.watching and pre.mark is None:
                            pre.mark = (em.queued(), e, lc)
                        if new or pre.after_trade:  # a message starts, or goes on after its executions
                            pre.begin(em, e, lc, new)
                    if t == TRADE_EVENT or t == FILL_EVENT:  # a pre-open ends (its auction), or a trade in a cross
                        assert due is not None  # a trade or fill row ends a snapshot: it is a message's
                        pre.trade(em, xcross, e, lc, rec, "record", due[2])
                    if s == 0 and t in _SIDED:
                        raise DataError(f"{p}: record {rec}: event type {t} has neither BUY_EVENT nor SELL_EVENT")
                    if t == DEPTH_EVENT or t == DEPTH_SNAPSHOT_EVENT:
                        if (s, pp) in orders.at:
                            raise mixed(p, rec, "depth row", s, as_price(pp))
                        book.set(s, pp, qq)
                        em.add(e, lc, Kind.DEPTH, s, pp, qq, 0, rec)
                    elif t == TRADE_EVENT:
                        l3rows.trade_row(em, e, lc, s, pp, qq, oids[j], rec, float(sel["qty"][j]))
                    elif t == DEPTH_CLEAR_EVENT:
                        if merged:  # the second of a snapshot's clear of each side: written with the first
                            merged = False
                            continue
                        if snap is not None and s != 0 and not sided and _both_sides(typ, side, sel["px"], ex, j, nxt):
                            merged = True  # a snapshot's clear of each side, whole: the store's one CLEAR
                            s = 0
                        if s == 0:
                            book.clear(0)
                            orders.clear()
                            carried.clear()
                            l3rows.pending.clear()
                            em.add(e, lc, Kind.CLEAR, 0, 0, 0, 0, rec)
                            continue
                        upto = int(round(sel["px"][j] / tick_f)) if np.isfinite(sel["px"][j]) else None
                        lv = book.bids if s > 0 else book.asks
                        gone = [x for x in lv if _cleared(x, s, upto)]
                        # L3 orders on the side count as its levels too: the side is cleared
                        # whole only when no level and no order stays (an L3 file's book is
                        # its orders; the L2 levels are empty).
                        side_orders = [o for o, v in orders.items() if v[0] == s]
                        gone_orders = [o for o in side_orders if _cleared(orders[o][1], s, upto)]
                        if len(gone) == len(lv) and len(gone_orders) == len(side_orders):
                            book.clear(s)
                            # A cleared side's orders are gone: ids listed again later are new orders.
                            for oid in side_orders:
                                l3rows.gone(oid)
                            em.add(e, lc, Kind.CLEAR, s, 0, 0, 0, rec)
                        else:
                            for x in sorted(gone):
                                book.set(s, x, 0)
                                em.add(e, lc, Kind.DEPTH, s, x, 0, 0, rec)
                            for oid in gone_orders:
                                os_, op, oq = orders[oid]
                                l3rows.gone(oid)
                                em.add(e, lc, Kind.DELETE, os_, op, oq, oid, rec)
                    elif t == ADD_ORDER_EVENT:
                        l3 = True
                        l3rows.add(em, e, lc, s, pp, qq, oids[j], rec, float(sel["qty"][j]), float(sel["px"][j]),
                                   paths[fi - 1].name if fi else None)
                    elif t in (CANCEL_ORDER_EVENT, MODIFY_ORDER_EVENT, FILL_EVENT):
                        l3 = True
                        l3rows.order_row(em, t, e, lc, s, pp, qq, oids[j], rec, float(sel["qty"][j]),
                                         float(sel["px"][j]))
                    else:
                        key = "bbo" if t == DEPTH_BBO_EVENT else f"custom_{t}"
                        skipped[key] = skipped.get(key, 0) + 1
                    if t in (DEPTH_EVENT, DEPTH_SNAPSHOT_EVENT) and (j + 1 == len(typ) or ex[j + 1] != e):
                        cross.check(book, e, f"record {rec}")
                base += len(ch)
                if progress is not None:
                    progress(base)
            l3rows.flush(em)  # a file's end ends its last TRADE row's fills
            if snap is not None:  # a file ending in its snapshot
                pre.snapshot_end(em, orders.levels, snap[0], snap[1])
            end = None if due is None else due[0]
            if due is not None:  # a file's end ends its last message
                pre.message_end(em, xcross, orders.levels, *due, as_price)
            # Decides a cross the last file ends in; a cross still held goes on in the next file.
            pre.pause(em, fi == len(paths) - 1, xcross, orders.levels, end)
            last, last_line = em.last_exch, em.last_line
        transient = cross.count + xcross.count
        preopen_crossed = xcross.unarmed_count
        offset, offset_at = writer.correct_local_clock()
        quirks = {"skipped_events": skipped, "local_clock_offset_ns": offset,
                  "local_clock_offset_at": offset_at, "preopen_spans_ns": pre.spans,
                  "preopen_crossed_messages": preopen_crossed, "transient_crossed_messages": transient,
                  "crossed_at_end_ns": pre.crossed_at_end}
        if l3rows.venue_files:  # the Databento loader's counts, for the files read with its rules
            quirks.update(l3rows.counts)
        if IMPLIED_KEY in fmeta:  # an export of a trade-implied store: still trade-implied (newcomer17)
            quirks[IMPLIED_KEY] = fmeta[IMPLIED_KEY]
        if DROPPED_KEY in fmeta:  # an export of a store whose prints through the book were dropped: the record is
            quirks[DROPPED_KEY] = fmeta[DROPPED_KEY]  # kept by the writer while the events hold no such print
            if (why := through_problem(fmeta[DROPPED_KEY], writer.count)) is not None:  # its event: fix32a
                where = paths[0] if len(paths) == 1 else f"{paths[0]} (one of {len(paths)} files)"
                raise DataError(f"{where}: its mmsim_meta {DROPPED_KEY} {why}")
        meta = {
            "symbol": symbol or fmeta.get("symbol", ""),
            "venue": fmeta.get("venue", "hftbacktest"),
            "tick_size": step_to_float(tick, _DIGITS),
            "lot_size": step_to_float(lot, _DIGITS),
            "contract_size": float(fmeta.get("contract_size", 1.0)),
            "source": [p.name for p in paths],
            "format": "hftbacktest",
            "time_zone": fmeta.get("time_zone", "UTC"),
            "levels": "L3" if l3 else "L2",
            "local_ts_recorded": fmeta.get("local_ts_recorded", True),  # an export of LOBSTER: false (breaker16d)
            "quirks": quirks,
        }
        return writer.close(meta)
