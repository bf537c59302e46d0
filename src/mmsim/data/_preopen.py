"""The Databento loader's pre-open: a stream whose book crosses before its first trade starts ``QUOTING``.

CME's MBO data has no status records; its pre-open shows as a book that crosses (orders wait for the opening
auction) before the stream's first trade. From a stream's start (its snapshot, or its first record) its events
are held in memory until that is decided: the book crosses at a message's end (a pre-open: ``STATUS QUOTING`` goes
at the mark, right after the snapshot, at its time) or a trade comes first (no status: it started trading, or
``TRADING`` at the mark when the stream before it ended in pre-open). A pre-open ends at the stream's first trade or
fill record: ``STATUS TRADING`` goes before it, so the opening auction's executions match our orders as the auction
would (``docs/data.md``, "Pre-open").
"""

from __future__ import annotations

from ..events import Kind, TradingStatus
from ._emitter import Emitter

__all__ = ["PreOpen"]


class PreOpen:
    """The trading status a Databento conversion has written, and the stream it watches (module notes)."""

    def __init__(self) -> None:
        self.status = TradingStatus.TRADING  # as written so far (a replay starts trading)
        self.watching = False  # the stream's events since its start are held: no cross and no trade yet
        self.snap = False  # the stream watched starts with a snapshot
        self.mark: tuple[int, int, int] | None = None  # (held index, exch, local) where its status would go
        self.held: list | None = None  # what the emitter of the file before held
        #: ``[QUOTING from, TRADING from]`` exchange times (ns) per pre-open; the second None when it never opened.
        self.spans: list[list[int | None]] = []

    def resume(self, em: Emitter) -> None:
        """A file starts: its emitter holds on what the file before held."""
        if self.held is not None:
            em.hold(self.held)

    def pause(self, em: Emitter, last: bool) -> None:
        """A file ends (flushed): what it holds carries to the next; after the last, a stream still undecided
        (it neither crossed nor traded) is written without a status."""
        self.held = em.held
        if last:
            em.release()
            self.held, self.watching = None, False

    def watch(self, em: Emitter, snap: bool) -> None:
        """A stream starts (with a snapshot when ``snap``): hold its events until it crosses or trades."""
        em.release()  # the stream before ended undecided: no status for it
        em.hold()
        self.watching, self.mark, self.snap = True, None, snap

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
