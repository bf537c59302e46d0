"""A Databento record received before it happened by more than clock error (fix32b, breaker31 finding 7).

Databento's ``ts_recv`` is its capture server's clock, PTP-synchronised, and ``ts_event`` the venue's matching
engine's (CME: GPS-synchronised): both within microseconds of UTC, so a record whose ``ts_event`` is after its own
``ts_recv`` by more than :data:`DATABENTO_EARLY_NS` is a corrupt record, not a capture clock behind the venue's.
It was taken as one: the whole file's receive times shifted by it (one record 0.66 s early: +659 ms of feed
latency on every event, a run's fills 22 -> 50). A record ``F_BAD_TS_RECV`` flags is not held to it (its
``ts_recv`` is not used), nor a snapshot's records (stamped with their generation time).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ._common import seconds_over

F_BAD_TS_RECV = 1 << 3  # databento.F_BAD_TS_RECV (an inaccurate ts_recv, Databento's flag)

#: How far a record's ts_event may be after its own ts_recv (docs/data.md, Databento): 1 ms, a thousand times the
#: microseconds two PTP/GPS-held clocks can disagree by; the receive-time shifts of a few ns or µs such clock error
#: gives are kept (quirks.local_clock_offset_ns).
DATABENTO_EARLY_NS = 1_000_000


class EarlyRecords:
    """The one rule of a Databento record received before it happened (its ``ts_event`` after its own ``ts_recv``;
    not flagged ``F_BAD_TS_RECV``, nor a snapshot's record, which the caller does not show): clock error, which the
    whole file's receive times are shifted for (``quirks.local_clock_offset_ns``), unless its ``ts_event`` is shown
    wrong. It is when it is more than :data:`DATABENTO_EARLY_NS` after its ``ts_recv`` (refused once every record is
    read, the worst one named: :meth:`check`), or when a record after it goes back before it (refused there:
    :meth:`see`; breaker29's "non-monotonic" named the record after it). One message for both (:func:`_fault`;
    fix34c: two checks of two messages before)."""

    def __init__(self) -> None:
        self.count = 0
        self.worst: tuple[int, int, int, Path, str, int] | None = None  # (need, ts_event, ts_recv, path, unit, pos)
        #: The latest exchange time read (snapshots aside), across the files of a store.
        self.latest = -1
        #: That record when it was received before it happened: (ts_recv, path, unit, pos); else None.
        self.latest_early: tuple[int, Path, str, int] | None = None

    def see(self, exch: int, recv: int, flags: int, path: Path, unit: str, pos: int) -> None:
        """A record read (``exch``: its exchange time as written, ``recv`` its ``ts_recv``); refuse the record
        received before it happened that it goes back before."""
        if exch < self.latest and self.latest_early is not None:
            r, p, u, n = self.latest_early
            here = f"{unit} {pos}" if p == path else f"{path}: {unit} {pos}"
            raise DataError(_fault(self.latest, r, p, u, n, f"and {here} after it has ts_event {exch}, before it",
                                   f"fix or remove the {u}"))
        early = exch > recv and not flags & F_BAD_TS_RECV
        if exch >= self.latest:
            self.latest, self.latest_early = exch, (recv, path, unit, pos) if early else None
        if early and exch - recv > DATABENTO_EARLY_NS:
            self.count += 1
            if self.worst is None or exch - recv > self.worst[0]:
                self.worst = (exch - recv, exch, recv, path, unit, pos)

    def check(self) -> None:
        """Refuse the store when a record was more than :data:`DATABENTO_EARLY_NS` early (called once every record
        is read and the other clock rules ran)."""
        if self.worst is None:
            return
        _, exch, recv, path, unit, pos = self.worst
        fix = f"fix or remove the {unit}" if self.count == 1 else (
            f"{self.count} records are more than {seconds_over(DATABENTO_EARLY_NS, 0)} s early (this one the most): "
            "fix or remove them")
        raise DataError(_fault(exch, recv, path, unit, pos, f"by more than {seconds_over(DATABENTO_EARLY_NS, 0)} s, "
                               "while Databento's ts_recv is its PTP-synchronised capture clock", fix))


def _fault(exch: int, recv: int, path: Path, unit: str, pos: int, why: str, fix: str) -> str:
    """The one message of a record received before it happened whose ``ts_event`` is shown wrong by ``why``."""
    ns = exch - recv  # under 1 ms to the ns (0.5 ms read "0.001 s"), from it 3 decimals unless they read as 1 ms
    need = seconds_over(ns, DATABENTO_EARLY_NS) if ns >= DATABENTO_EARLY_NS else f"{ns / 1e9:.9f}".rstrip("0")
    return (f"{path}: {unit} {pos}: ts_event {exch} is {need} s after its ts_recv {recv} (received before it "
            f"happened), {why}: a corrupt record, not a capture clock behind the venue's to shift every receive "
            f"time by +{need} s for; {fix}")
