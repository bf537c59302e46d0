"""The L3 rows of an hftbacktest file (``ADD``/``CANCEL``/``MODIFY``/``FILL`` orders, and ``TRADE`` prints) as store
events, for :mod:`.hftbacktest`'s import (its module notes; docs/data.md, "hftbacktest ``.npz``").

A file written by hftbacktest's Databento converter (``hftbacktest.data.utils.databento.convert``) holds Databento's
MBO records one for one: each action becomes one row (``A`` ADD, ``C`` CANCEL of the record's size, ``M`` MODIFY to
its price and size, ``T`` TRADE, ``F`` FILL, ``R`` a sideless DEPTH_CLEAR), the record's side, price, size and order
id, and its ``flags`` in ``ival``. CME reports a match three times (the ``T``, an ``F`` per resting order, then the
``C`` or ``M`` that takes the filled size off the book); hftbacktest's own L3 replay changes its book only on the
``C``/``M`` (a ``FILL_EVENT`` moves its queue model, a ``TRADE_EVENT`` only its trade feed), while an mmsim
``EXECUTE`` both prints and takes the size. So such a file (recognised by its ``ival``: Databento flags, ``F_LAST``
or ``F_SNAPSHOT`` set on some rows, every value within 0-255) is read with the Databento loader's rules
(:mod:`.databento`): a ``FILL`` is the ``EXECUTE``, the ``C``/``M`` after it is absorbed, the ``TRADE`` before the
fills writes only what they do not cover, and the loader's fills of unseen orders, iceberg fills and aggressor fills
are read as it reads them, counted under its ``quirks`` names. mmsim's export of 18 on (its ``mmsim_meta`` has
``"executes": "fill_then_book_row"``) writes an ``EXECUTE`` the same way, its ``FILL`` then the ``CANCEL``/``MODIFY``
taking its lots off hftbacktest's book: that row is absorbed by the same rule (``follow``), the rest read as written.
Any other file (mmsim's exports before 18, whose ``EXECUTE`` is one ``FILL`` row; other writers' files) is read row
by row as written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..events import Kind
from ._common import L2Book
from ._emitter import Emitter
from ._hftbacktest_read import CANCEL_ORDER_EVENT, FILL_EVENT, MODIFY_ORDER_EVENT
from ._preopen import OrderLevels

__all__ = ["DATABENTO_QUIRKS", "L3Rows", "databento_flags", "mixed"]

#: Databento's ``flags`` bits hftbacktest's converter keeps in ``ival``: ``F_LAST`` (a message's last record) and
#: ``F_SNAPSHOT``; one of them on some row marks its file (module notes).
_F_LAST, _F_SNAPSHOT = 1 << 7, 1 << 5

#: The counts of a file read with the Databento loader's rules, named as its ``quirks`` (:mod:`.databento`).
DATABENTO_QUIRKS = ("fill_cancels_absorbed", "uncovered_trade_prints", "modify_of_unknown_order_as_add",
                    "auction_fills_of_unseen_orders", "fills_of_unseen_orders", "iceberg_fills_beyond_shown_size",
                    "aggressor_fills")


def databento_flags(ch: np.ndarray) -> bool:
    """Whether a file's first chunk of rows ``ch`` carries Databento's flags in ``ival`` (hftbacktest's Databento
    converter's file): every value within 0-255 and ``F_LAST`` or ``F_SNAPSHOT`` set on some row."""
    iv = ch["ival"]
    return bool(len(iv)) and bool(((iv >= 0) & (iv < 256)).all()) and bool((iv & (_F_LAST | _F_SNAPSHOT)).any())


def mixed(p: Path, rec: int, what: str, s: int, price: str) -> DataError:
    """An L2 level and L3 orders at one price: the error naming the record (``price``: ticks times the tick with the
    tick's decimals, as the message's other prices; a record's float a step off the price said ``8`` by ``:g``)."""
    return DataError(
        f"{p}: record {rec}: {what} at price {price} on the {'bid' if s > 0 else 'ask'} side, where "
        f"{'L3 orders rest' if what == 'depth row' else 'a depth row set an L2 level'}: an L2 level and L3 "
        "orders at one price cannot be replayed as one book"
    )


class L3Rows:
    """The resting orders of a stream and what its L3 and trade rows write (module notes).

    ``venue`` is set per file: its rows are Databento's records (hftbacktest's Databento converter), read with the
    Databento loader's rules; else each row is read as written. ``carried`` holds the ids of orders resting from the
    file before (for an error's words); ``counts`` the Databento rules' counts (:data:`DATABENTO_QUIRKS`).
    """

    def __init__(self, orders: OrderLevels, book: L2Book, as_price) -> None:
        self.orders, self.book, self.as_price = orders, book, as_price
        self.carried: set[int] = set()
        self.venue = False
        self.follow = False  # the file is mmsim's export whose FILL rows are followed by their book row (module notes)
        self.venue_files = 0  # files read with the Databento loader's rules
        self.counts = dict.fromkeys(DATABENTO_QUIRKS, 0)
        self.pending: dict[int, int] = {}  # order id -> filled lots whose venue CANCEL/MODIFY is still to come
        #: A TRADE row whose FILL rows are being read: [exch, local, side, price, lots not covered, record, order id].
        self.trade: list | None = None
        self.last_trade: tuple[int, int] | None = None  # the latest trade row's exchange time and order id
        self.p = Path()

    def gone(self, oid: int) -> None:
        """Order ``oid`` no longer rests (deleted, filled, or its side cleared)."""
        del self.orders[oid]
        self.carried.discard(oid)

    def flush(self, em: Emitter) -> None:
        """The TRADE row read last is over (a row other than a FILL came): its print's part no fill of a resting
        order covered is a ``TRADE`` (after its fills), as the Databento loader writes a ``T``."""
        tr, self.trade = self.trade, None
        if tr is not None and tr[4] > 0:
            self.counts["uncovered_trade_prints"] += 1
            em.add(tr[0], tr[1], Kind.TRADE, tr[2], tr[3], tr[4], 0, tr[5])
            em.tally("uncovered_trade_prints", tr[5])

    def trade_row(self, em: Emitter, e: int, lc: int, s: int, pp: int, qq: int, oid: int, rec: int, raw: float) -> None:
        if qq <= 0:
            raise DataError(f"{self.p}: record {rec}: trade of size {raw:g}")
        if self.venue:  # the fills after it carry its print
            self.trade = [e, lc, s, pp, qq, rec, oid]
        else:
            em.add(e, lc, Kind.TRADE, s, pp, qq, 0, rec)
        self.last_trade = (e, oid)  # a fill of this order at its time is the aggressor's own

    def add(self, em: Emitter, e: int, lc: int, s: int, pp: int, qq: int, oid: int, rec: int, raw: float,
            px: float, prev: str | None) -> None:
        """An ADD row (``prev``: the name of the file before, for an id resting from it)."""
        if oid in self.orders:
            raise DataError(f"{self.p}: record {rec}: order id {oid} added twice" + (
                f" (it rests from {prev}: several files are one stream, each going on "
                "with the book the file before left; a file starting a new book starts with a "
                "DEPTH_CLEAR row)" if oid in self.carried else ""))
        if qq <= 0:
            raise DataError(f"{self.p}: record {rec}: order {oid} added with size {raw:g}")
        if (self.book.bids if s > 0 else self.book.asks).get(pp, 0) > 0:
            raise mixed(self.p, rec, f"order {oid} added", s, self.as_price(pp))
        self.orders[oid] = [s, pp, qq]
        em.add(e, lc, Kind.ADD, s, pp, qq, oid, rec)

    def order_row(self, em: Emitter, t: int, e: int, lc: int, s: int, pp: int, qq: int, oid: int, rec: int,
                  raw: float, px: float) -> None:
        """A CANCEL, MODIFY or FILL row of order ``oid`` (``raw``, ``px``: its size and price as written)."""
        p, orders = self.p, self.orders
        o = orders.get(oid)
        followed = self.follow and t != FILL_EVENT and oid in self.pending  # an export's EXECUTE's book row
        if (self.venue or followed) and self._venue_row(em, t, e, lc, s, pp, qq, oid, rec, o, px):
            return
        if o is None:
            raise DataError(f"{p}: record {rec}: unknown order id {oid}")
        os_, op, oq = o
        if t == CANCEL_ORDER_EVENT:
            em.add(e, lc, Kind.DELETE, os_, op, oq, oid, rec)
            self.gone(oid)
        elif t == FILL_EVENT:
            if qq <= 0:
                raise DataError(f"{p}: record {rec}: fill of size {raw:g}")
            if qq > oq and not self.venue:
                raise DataError(f"{p}: record {rec}: fill of {qq} lots, order {oid} has {oq}")
            if pp != op and s != 0 and self.last_trade != (e, oid):  # an auction's: no side
                raise DataError(f"{p}: record {rec}: fill at price {self.as_price(pp)} of order {oid}, which rests as "
                                f"{'a bid' if os_ > 0 else 'an ask'} at {self.as_price(op)}: a resting order fills "
                                "at its own price")
            if qq > oq:  # an iceberg: its shown size executes, the rest is hidden lots (the venue re-shows it)
                self.counts["iceberg_fills_beyond_shown_size"] += 1
                em.add(e, lc, Kind.EXECUTE, os_, op, oq, oid, rec)
                em.add(e, lc, Kind.TRADE, -os_, op, qq - oq, 0, rec)
                self.gone(oid)
            else:
                em.add(e, lc, Kind.EXECUTE, os_, op, qq, oid, rec)
                o[2] = oq - qq
                if o[2] == 0:
                    self.gone(oid)
            if self.venue or self.follow:  # the CANCEL/MODIFY after it takes these lots again: absorbed
                self.pending[oid] = self.pending.get(oid, 0) + qq
                if self.trade is not None:  # the fills of the TRADE before them cover its print
                    self.trade[4] = max(0, self.trade[4] - qq)
        elif qq <= 0:  # a modify to nothing removes the order
            em.add(e, lc, Kind.DELETE, os_, op, oq, oid, rec)
            self.gone(oid)
        elif pp == op and qq <= oq:  # same or smaller: keeps its place (loadbreak18: a modify
            if qq < oq:  # to its own size was a DELETE + ADD, to the back of its level)
                em.add(e, lc, Kind.CANCEL, os_, op, oq - qq, oid, rec)
            o[2] = qq
        else:
            if (self.book.bids if os_ > 0 else self.book.asks).get(pp, 0) > 0:
                raise mixed(p, rec, f"order {oid} moved", os_, self.as_price(pp))
            em.add(e, lc, Kind.DELETE, os_, op, oq, oid, rec)
            em.add(e, lc, Kind.ADD, os_, pp, qq, oid, rec)
            orders[oid] = [os_, pp, qq]

    def _venue_row(self, em: Emitter, t: int, e: int, lc: int, s: int, pp: int, qq: int, oid: int, rec: int,
                   o: list[int] | None, px: float) -> bool:
        """The Databento loader's rules for a row of a Databento record (module notes); True when it is done with
        the row, False to read it as written."""
        p, counts, pending = self.p, self.counts, self.pending
        if t == FILL_EVENT:
            if qq <= 0:
                return False
            if o is None:  # an auction's fill of an order never shown (side N), or an iceberg's hidden part
                if s == 0:
                    counts["auction_fills_of_unseen_orders"] += 1
                else:
                    counts["fills_of_unseen_orders"] += 1
                    pending[oid] = pending.get(oid, 0) + qq
                return True
            if self.trade is not None and oid == self.trade[6] and pp != o[1]:
                counts["aggressor_fills"] += 1  # the aggressor's own: the CANCEL/MODIFY after it moves it
                return True
            return False
        if t == CANCEL_ORDER_EVENT:
            if oid in pending:  # the venue's cancel of the lots its fills took: taken already
                took = min(qq, pending[oid])
                pending[oid] -= took
                if pending[oid] == 0:
                    del pending[oid]
                counts["fill_cancels_absorbed"] += self.venue  # the loader's count (an export's rows are no quirk)
                qq -= took
                if qq == 0:
                    return True
            if o is None:
                return False
            if qq <= 0:
                raise DataError(f"{p}: record {rec}: cancel of 0 lots of order {oid}")
            if qq > o[2]:
                raise DataError(f"{p}: record {rec}: order {oid} has {o[2]} lots left; the row cancels {qq}")
            if qq < o[2]:  # a Databento C takes its size: part of the order
                em.add(e, lc, Kind.CANCEL, o[0], o[1], qq, oid, rec)
                o[2] -= qq
                return True
            return False  # all of it: a DELETE
        if t == MODIFY_ORDER_EVENT:
            if o is None:
                if oid in pending:  # filled whole, then modified: nothing rests
                    del pending[oid]
                    if qq <= 0:
                        return True
                if s == 0:
                    raise DataError(f"{p}: record {rec}: modify of unknown order id {oid} without a side")
                if qq <= 0:
                    raise DataError(f"{p}: record {rec}: modify of unknown order id {oid} to size 0")
                counts["modify_of_unknown_order_as_add"] += 1  # re-shown (an iceberg's next part): a new order
                if (self.book.bids if s > 0 else self.book.asks).get(pp, 0) > 0:
                    raise mixed(p, rec, f"order {oid} added", s, self.as_price(pp))
                self.orders[oid] = [s, pp, qq]
                em.add(e, lc, Kind.ADD, s, pp, qq, oid, rec)
                return True
            if oid in pending:
                del pending[oid]
                if pp == o[1] and qq == o[2]:  # the size its fills left: taken already
                    counts["fill_cancels_absorbed"] += self.venue
                    return True
        return False
