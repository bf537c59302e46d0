"""The Databento loader's pre-open: a stream whose book crosses before its first trade starts ``QUOTING``.

The hftbacktest loader applies the same rules to an L3 ``.npz``, the rows of one exchange time standing for a message
(its end: the next row's other time, or the file's end; several files one stream, a file opening with a clear a new one).

CME's MBO data has no status records; its pre-open shows as a book that crosses (orders wait for the opening
auction) before the stream's first trade. From a stream's start (its snapshot, or its first record) its events
are held in memory until that is decided: the book crosses at a message's end (a pre-open: ``STATUS QUOTING`` goes
at the mark, right after the snapshot, at its time) or a trade comes first (no status: it started trading, or
``TRADING`` at the mark when the stream before it ended in pre-open). A pre-open ends at the stream's first trade or
fill record: ``STATUS TRADING`` goes before it, so the opening auction's executions match our orders as the auction
would (``docs/data.md``, "Pre-open").

After trading, CME's daily halt and pre-open (about 22:00-23:00 UTC) fall mid-stream: a book that crosses there and
stays crossed beyond the tolerance (:data:`CROSS_TOLERANCE_NS`) with no trade or fill record during the cross is a
pre-open too: ``STATUS QUOTING`` goes before the message where the cross began (after its executions, when it
traded first), ``TRADING`` before the next T/F record (the auction). From the message where a cross begins its
events are held until that is decided: the cross ends within the tolerance (a transient cross: written as read), a
trade comes within it (transient too; if the cross then outlasts the tolerance it is an error), or it outlasts the
tolerance (a pre-open). The hold spans at most the tolerance's worth of messages (and the one that decides).

When the data ends with a stream still undecided, the end decides (:meth:`PreOpen.pause`): a book crossed before the
first trade is a pre-open; after trading, a cross that lasts beyond the tolerance to the last record read with no trade
is a pre-open, a shorter one is transient (written as read; :attr:`PreOpen.crossed_at_end`).

A message's events stay unwritten until its end, so that ``QUOTING`` can go before the whole crossing message: one
whose events fill a chunk is held from its start (:meth:`PreOpen.watch_chunks`), and so is one a file ends inside
(:meth:`PreOpen.pause`; the next file goes on with it), until its end.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config._units import readable_ns
from ..errors import DataError
from ..events import Kind, TradingStatus
from ._common import CrossCheck, L2Book, OrderIndex
from . import _emitter
from ._emitter import Emitter

__all__ = ["OrderLevels", "PreOpen"]


class OrderLevels(OrderIndex):
    """Resting L3 orders (:class:`OrderIndex`) with :attr:`levels`: an :class:`L2Book` of the prices where orders rest
    (the number of orders as the level's size), whose best bid and ask tell whether the orders' book is crossed."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = L2Book()

    def _drop(self, v: list[int]) -> None:
        super()._drop(v)
        if (v[0], v[1]) not in self.at:
            self.levels.set(v[0], v[1], 0)

    def __setitem__(self, oid: int, v: list[int]) -> None:
        super().__setitem__(oid, v)
        self.levels.set(v[0], v[1], self.at[(v[0], v[1])])

    def clear(self) -> None:
        super().clear()
        self.levels.clear()


class PreOpen:
    """The trading status a Databento (or hftbacktest L3) conversion has written, and the stream it watches (module
    notes)."""

    def __init__(self) -> None:
        self.status = TradingStatus.TRADING  # as written so far (a replay starts trading)
        self.watching = False  # the stream's events since its start are held: no cross and no trade yet
        self.snap = False  # the stream watched starts with a snapshot
        self.mark: tuple[int, int, int] | None = None  # (held index, exch, local) where its status would go
        self.held: list | None = None  # what the emitter of the file before held
        #: ``[QUOTING from, TRADING from]`` exchange times (ns) per pre-open; the second None when it never opened.
        self.spans: list[list[int | None]] = []
        #: A cross begun after trading, undecided (its events held): (held index, exch, local, transient count then).
        self.pending: tuple[int, int, int, int] | None = None
        self.traded_at: str | None = None  # the first trade or fill record read during the current cross, after trading
        self.msg: tuple = (None, 0, 0, 0, 0)  # the current message's start: (emitter, written, queued, exch, local)
        self.after_trade = False  # the record before was a trade or fill after trading, outside a cross
        self.open = False  # a message is under way (begun, not ended)
        self.ended = False  # a message has ended, or a snapshot came (records carry F_LAST: one without it will end)
        self.msg_hold = False  # the emitter holds from that message's start (it outgrew a chunk, or a file ended in it)
        #: [exchange time where it began, the last record's] of a cross still open, within the tolerance, at the end.
        self.crossed_at_end: list[int] | None = None

    def watch_chunks(self, em: Emitter) -> None:
        """Have ``em`` hold from the start of a message under way when its events fill a chunk."""
        em.on_full = lambda: self._keep(em)

    def _keep(self, em: Emitter) -> None:
        if self.open and self.ended and em.held is None:
            em.hold()
            self.msg_hold = True

    def begin(self, em: Emitter, exch: int, local: int, new: bool = True) -> None:
        """A message starts (its first record, at ``exch``, ``local``; ``new``): where a cross it begins would be
        marked; also a record after a trade or fill in a message, so that a cross the message leaves begins after its
        executions."""
        self.after_trade = False
        if new and self.open:  # the message before ended on a record that checked nothing (an absorbed C/M)
            self.ended = True
            if self.msg_hold:
                self.msg_hold = False
                if self.pending is None and not self.watching:
                    em.release()
        self.open = True
        if em.held is None:
            if len(em.rows) >= _emitter.CHUNK // 2:  # a message under half a chunk stays queued whole: it can still be held
                em.flush()
            self.msg = (em, em.count, len(em.rows), exch, local)
        elif self.msg_hold:  # held from the message's start: a cross begins after its executions
            self.msg = (em, em.count, em.queued(), exch, local)

    def message_end(self, em: Emitter, cross: CrossCheck, book: L2Book, exch: int, local: int, where: str,
                    px: Callable[[int], str]) -> None:
        """A message ends (``where``, at ``exch``, ``local``): check the book's cross (:class:`CrossCheck`) and decide a pre-open,
        at the stream's start or after trading (module notes); ``px`` writes a price in ticks as the file does."""
        bb, ba = book.best_bid(), book.best_ask()
        crossed = bb is not None and ba is not None and bb >= ba
        since = cross._since
        if cross.armed and bb is not None and ba is not None and crossed and since is not None \
                and exch - since > cross.tolerance_ns:
            if self.pending is not None:  # no trade since it began: a pre-open
                self.preopen(em, cross)
            else:
                raise DataError(
                    f"{cross.path}: {cross._where}: the book is crossed (best bid {px(bb)} >= best ask {px(ba)}, "
                    f"{bb} >= {ba} ticks) and stays crossed for {(exch - since) / 1e9:.3f} s, until {where} "
                    f"(tolerance {readable_ns(cross.tolerance_ns)}), with a trade during the cross ({self.traded_at}): "
                    "not a pre-open (a cross beyond the tolerance with no trade until the opening auction) nor a "
                    "transient cross"
                )
        u = cross.unarmed_count
        cross.check(book, exch, where)
        if self.watching and cross.unarmed_count > u:  # crossed before the first trade: a pre-open
            self.decide(em, crossed=True)
        elif cross.armed:
            if since is None and cross._since is not None:  # a cross begins after trading: hold until decided
                m_em, written, queued, m_exch, m_local = self.msg
                if m_em is not em or written != em.count:  # its start is written already: from what is queued
                    queued, m_exch, m_local = 0, exch, local
                em.hold()
                self.pending = (queued, m_exch, m_local, cross.count - 1)
            elif cross._since is None:
                if self.pending is not None:  # it ended within the tolerance: a transient cross
                    self.pending = None
                    em.release()
                self.traded_at = None
        self.open, self.ended = False, True
        if self.msg_hold:  # the message is over: held only for it, it is written unless a cross it began holds on
            self.msg_hold = False
            if self.pending is None and not self.watching:
                em.release()

    def preopen(self, em: Emitter, cross: CrossCheck) -> None:
        """The cross held since the mark is a pre-open: ``QUOTING`` there; its messages count as pre-open ones."""
        assert self.pending is not None
        idx, exch, local, n = self.pending
        self.pending = None
        em.release(idx, (exch, local, 0, int(TradingStatus.QUOTING), 0, int(Kind.STATUS), 0))
        self.status = TradingStatus.QUOTING
        self.spans.append([exch, None])
        cross.unarmed_count += cross.count - n
        cross.count = n
        cross.armed, cross._since = False, None

    def trade(self, em: Emitter, cross: CrossCheck, exch: int, local: int, pos: int, unit: str, at: str = "") -> None:
        """A trade or fill record (at ``exch``, before any event of it): a pre-open ends (its auction), or a cross
        after trading has a trade during it (transient; an error if it outlasts the tolerance, naming ``at``, by
        default ``unit`` and ``pos``)."""
        if not cross.armed:
            self.opening(em, exch, local, pos)
            cross.armed = self.after_trade = True
        elif cross._since is None:
            self.after_trade = True
        else:
            if self.pending is not None and exch - cross._since > cross.tolerance_ns:  # nothing showed the pre-open
                self.preopen(em, cross)
                self.opening(em, exch, local, pos)
                cross.armed = True
            elif self.pending is not None:
                self.pending = None
                em.release()
                self.traded_at = at or f"{unit} {pos}"
            elif self.traded_at is None:
                self.traded_at = at or f"{unit} {pos}"

    def resume(self, em: Emitter) -> None:
        """A file starts: its emitter holds on what the file before held (the start of a message it ended inside)."""
        self.watch_chunks(em)
        if self.held is not None:
            em.hold(self.held)
            m_em, written, queued, exch, local = self.msg
            if m_em is not None and m_em is not em and written == m_em.count:  # its start is held, at the same index
                self.msg = (em, em.count, queued, exch, local)

    def pause(self, em: Emitter, last: bool, cross: CrossCheck, book: L2Book, end: int | None) -> None:
        """A file ends: flush; what it holds carries to the next (from the start of a message it ends inside). After
        the last (``end``: its last record's exchange time), a stream still undecided is decided there (module notes):
        crossed before its first trade, a pre-open; one that neither crossed nor traded is written without a status.
        A cross after trading still held lasts to ``end``: beyond the tolerance, still crossed, a pre-open (``QUOTING``
        before its message, never opened); otherwise transient, written as read (:attr:`crossed_at_end`)."""
        if not last and self.open and self.ended and em.held is None:  # it goes on in the next file: hold from its start
            em.hold()
            self.msg_hold = True
        em.flush(final=True)
        self.held = em.held
        if not last:
            return
        bb, ba = book.best_bid(), book.best_ask()
        crossed = bb is not None and ba is not None and bb >= ba
        if self.watching and crossed:  # the book crossed in a message the data ends in, before any trade
            self.decide(em, crossed=True)
        elif self.pending is not None and cross._since is not None and end is not None:
            if crossed and end - cross._since > cross.tolerance_ns:
                self.preopen(em, cross)
            elif crossed:
                self.crossed_at_end = [cross._since, end]
        em.release()
        self.held, self.watching, self.pending, self.open, self.msg_hold = None, False, None, False, False

    def watch(self, em: Emitter, snap: bool) -> None:
        """A stream starts (with a snapshot when ``snap``): hold its events until it crosses or trades."""
        em.release()  # the stream before ended undecided: no status for it
        em.hold()
        self.open = self.msg_hold = False
        self.watching, self.mark, self.snap = True, None, snap
        self.pending = self.traded_at = None

    def snapshot_end(self, em: Emitter, book: L2Book, exch: int, local: int) -> None:
        """The snapshot a stream starts with (at ``exch``, ``local``) is over: its status would go right after it, at
        its time; a book it leaves crossed is a pre-open, even when a trade comes next (the opening auction)."""
        if self.watching and self.mark is None:
            self.mark = (em.queued(), exch, local)
            bb, ba = book.best_bid(), book.best_ask()
            if bb is not None and ba is not None and bb >= ba:
                self.decide(em, crossed=True)

    def decide(self, em: Emitter, crossed: bool) -> None:
        """The stream watched crossed (a pre-open: ``QUOTING``) or traded first (``TRADING``): its status at the mark."""
        status = TradingStatus.QUOTING if crossed else TradingStatus.TRADING
        self.watching = False
        if status == self.status or self.mark is None:
            em.release()
            return
        idx, exch, local = self.mark
        em.release(idx, (exch, local, 0, int(status), 0, int(Kind.STATUS), 0))
        self.status = status
        if crossed:
            self.spans.append([exch, None])
        elif self.spans:
            self.spans[-1][1] = exch

    def opening(self, em: Emitter, exch: int, local: int, pos: int) -> None:
        """The stream's first trade or fill record (at ``exch``, before any event of it): a pre-open ends."""
        if self.watching:
            self.decide(em, crossed=False)
        elif self.status != TradingStatus.TRADING:
            em.add(exch, local, Kind.STATUS, 0, 0, int(TradingStatus.TRADING), 0, pos)
            self.status = TradingStatus.TRADING
            self.spans[-1][1] = exch
