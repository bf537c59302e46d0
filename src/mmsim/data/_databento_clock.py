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
    """The records of a store received more than :data:`DATABENTO_EARLY_NS` before they happened."""

    def __init__(self) -> None:
        self.count = 0
        self.worst: tuple[int, int, int, Path, str, int] | None = None  # (need, ts_event, ts_recv, path, unit, pos)

    def see(self, exch: int, recv: int, flags: int, path: Path, unit: str, pos: int) -> None:
        need = exch - recv
        if need > DATABENTO_EARLY_NS and not flags & F_BAD_TS_RECV:
            self.count += 1
            if self.worst is None or need > self.worst[0]:
                self.worst = (need, exch, recv, path, unit, pos)

    def check(self) -> None:
        """Refuse the store when a record was (called once every record is read and the other clock rules ran)."""
        if self.worst is None:
            return
        need, exch, recv, path, unit, pos = self.worst
        fix = f"fix or remove the {unit}" if self.count == 1 else (
            f"{self.count} records are more than {seconds_over(DATABENTO_EARLY_NS, 0)} s early (this one the most): "
            "fix or remove them")
        raise DataError(
            f"{path}: {unit} {pos}: ts_event {exch} is {seconds_over(need, 0)} s after its ts_recv {recv} (received "
            f"before it happened); Databento's ts_recv is its PTP-synchronised capture clock, so a record received "
            f"more than {seconds_over(DATABENTO_EARLY_NS, 0)} s before it happened is a corrupt record, not a capture "
            f"clock behind the venue's to shift every receive time by +{seconds_over(need, 0)} s for; {fix}")
