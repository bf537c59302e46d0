"""Prices as a file writes them, for the store's replay messages (``EventStoreWriter.quote``).

The replay refuses a price too far from the book's other prices in ticks; a loader that sets
``writer.quote`` has both prices of that message quoted as its file writes them instead. Each
reader below reads the file again to the event's line or record (only for that message, so
the conversion itself never pays for it) and gives the price of so many ticks there as the line
writes it; a price the line does not write (a level seeded from another file's row, the book's
best at a trade's line) is None where the file has no one way of writing it (the caller writes
ticks times the tick size), LOBSTER's integer and a DBN record's fixed point being the exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._common import csv_rows, decimals_to_int, text_lines
from .store import EventStoreWriter

__all__ = ["quote_with", "lobster_price", "databento_price", "hftbacktest_price"]

#: ``read(file, "line"/"record", position, ticks)`` -> that price as the file writes it.
Reader = Callable[[Path, str, int, int], "str | None"]


def quote_with(writer: EventStoreWriter, read: Reader) -> EventStoreWriter:
    """Set ``writer.quote`` to ``read`` at a packed source position; the message keeps the ticks when the
    file cannot be read again (it changed since). Returns ``writer``."""

    def quote(packed: int, ticks: int) -> str | None:
        known = writer._source_of(packed)
        if known is None:
            return None
        try:
            return read(Path(known[0]), known[1], known[2], ticks)
        except (DataError, OSError, ValueError, IndexError, KeyError):
            return None

    writer.quote = quote
    return writer


def lobster_price(tick: int) -> Reader:
    """LOBSTER: the message line's integer price (dollars x 10000) when it is this price (a hidden trade's
    off-grid price rounded to it too), else the price as the orderbook row writes it (``ticks * tick``)."""

    def read(path: Path, _unit: str, line: int, ticks: int) -> str:
        want = ticks * tick
        with closing(text_lines(path)) as lines:
            for n, text in lines:
                if n == line:
                    raw = int(text.split(",")[4])
                    return str(raw if abs(raw - want) < tick else want)
        return str(want)

    return read


def _decimal(units: int, digits: int) -> str:
    """An integer count of ``10**-digits`` as a decimal (``4800.25``)."""
    return format(Decimal(units).scaleb(-digits).normalize(), "f")


def _units(units: int, digits: int) -> Decimal:
    """An integer count of ``10**-digits`` as an exact Decimal."""
    return Decimal(units).scaleb(-digits)


def _is(cell: str, units: int, digits: int) -> bool:
    """Whether a price cell, a decimal or an integer of ``10**-digits``, is ``units``."""
    try:
        return decimals_to_int(cell, digits) == units or ("." not in cell and int(cell) == units)
    except ValueError:
        return False


def databento_price(tick: int, digits: int) -> Reader:
    """Databento: a CSV line's ``price`` cell as written (a decimal or a 1e-9 integer) when it is this price, None
    when it is another (the book's best at a trade's line: the caller writes ticks times the tick size, ``4800.00``
    at tick 0.25, as for every loader); a DBN record's fixed-point price (units of ``10**-digits``) as a decimal."""

    def read(path: Path, unit: str, pos: int, ticks: int) -> str | None:
        want = ticks * tick
        if unit == "line":
            with closing(csv_rows(path)) as rows:  # type: ignore[type-var]  # a generator
                col = -1
                for n, row in rows:
                    if col < 0:
                        col = row.index("price")
                    elif n == pos:
                        return row[col] if _is(row[col], want, digits) else None
            return None
        return _decimal(want, digits)

    return read


def hftbacktest_price(tick: int, digits: int, chunks: Callable[[Path], Iterator[np.ndarray]]) -> Reader:
    """hftbacktest: the record's ``px`` float as stored (shortest round trip, ``repr``) when it is exactly
    this price (``ticks`` of ``tick``, in units of ``10**-digits``), else None (the caller writes ticks times the
    tick size with the tick's decimals: ``8.00``, where the record's float is ``8.000000000000002``)."""
    tick_f = tick / 10**digits

    def read(path: Path, _unit: str, rec: int, ticks: int) -> str | None:
        base = 0
        with closing(chunks(path)) as it:  # type: ignore[type-var]  # a generator
            for ch in it:
                if rec <= base + len(ch):
                    px = float(ch["px"][rec - 1 - base])
                    if np.isfinite(px) and round(px / tick_f) == ticks and Decimal(repr(px)) == _units(ticks * tick, digits):
                        return repr(px)
                    return None
                base += len(ch)
        return None

    return read
