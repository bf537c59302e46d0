"""LOBSTER file names: ``TICKER_DATE_START_END_message_N.csv`` and its ``_orderbook_N.csv``; the message files of a
conversion, checked by name before any row is read (:func:`mmsim.data.lobster.convert`)."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import DataError
from ._sources import given_once, same_file_key

__all__ = ["DAY_S", "NAME", "TZ", "message_files", "midnight_ns", "orderbook_path", "outside_window",
           "seconds_to_ns", "time_unit_hint"]

TZ = "America/New_York"
DAY_S = 86_400

NAME = re.compile(
    r"^(?P<ticker>[^_]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)_"
    r"(?P<kind>message|orderbook)_(?P<level>\d+)\.csv$"
)


def orderbook_path(message: Path) -> Path:
    """The orderbook file that pairs with a LOBSTER message file."""
    return message.with_name(message.name.replace("_message_", "_orderbook_"))


def message_files(sources: list[Path]) -> tuple[list[Path], str]:
    """The message files of ``sources`` (an orderbook file given stands for its message file; each once, in the
    order given) and their one ticker ("" for no sources).

    A store holds one symbol, as every loader's (Binance and Tardis: ``symbol ETHUSDT differs from BTCUSDT; one
    store holds one symbol``): a file of another ticker is refused by its name, before any row is read (breaker27:
    an AMZN and an AAPL day made one store ``AAPL,AMZN`` whose runs filled AMZN orders at AAPL's book). One ticker
    at several levels is one symbol: each file starts from its own snapshot (docs/data.md, "Several files in one
    store"), the same time twice is refused by the time check. The same file twice (one path twice, or two paths of
    one file: a symlink, ``..``) is refused before any row is read (:func:`._sources.given_once`); a day's message
    file and its own orderbook file given together are that day once.

    Raises
    ------
    mmsim.DataError
        A name that is not a LOBSTER file name, level 0, a ticker other than the first file's, or the same file twice.
    """
    messages: list[Path] = []
    days: set[tuple[int, int] | str] = set()  # the message files' identities (same_file_key)
    first: tuple[str, Path] | None = None
    for p in given_once(sources):
        m = NAME.match(p.name)
        if m is None:
            raise DataError(
                f"{p}: not a LOBSTER file name (TICKER_YYYY-MM-DD_START_END_message_N.csv); "
                "the date in the name is needed for timestamps"
            )
        if int(m["level"]) < 1:
            raise DataError(f"{p}: level 0 in the file name; LOBSTER files have 1 or more levels")
        if int(m["start"]) > int(m["end"]) or int(m["end"]) > 86_400_000:
            raise DataError(f"{p}: the time window in the file name, {m['start']} to {m['end']} ms after midnight, is "
                            "not a window of one day (its start after its end, or its end past 86400000)")
        if first is None:
            first = (m["ticker"], p)
        elif m["ticker"] != first[0]:
            raise DataError(f"{p}: ticker {m['ticker']} differs from {first[0]} ({first[1]}); one store holds one "
                            "symbol (convert each ticker to its own store)")
        if m["kind"] == "orderbook":
            p = p.with_name(p.name.replace("_orderbook_", "_message_"))
        if (key := same_file_key(p)) not in days:  # the day's message file, by either file's path
            days.add(key)
            messages.append(p)
    return messages, first[0] if first else ""


def outside_window(ns: int, written: str, info: re.Match) -> str | None:
    """Why a row at ``ns`` after midnight (``written`` as the file writes it) is outside the time window its file's
    name gives (``StartTime`` and ``EndTime`` in ms after midnight, inclusive; LOBSTER_SampleFiles_ReadMe.txt: "the
    theoretical beginning and end time of the output file"), None inside it. breaker29: a row to 34,507 s in a file
    named ``..._34200000_34300000_...`` was read into the store; a row outside its file's window is a wrong time (or
    the file of another window, renamed)."""
    lo, hi = int(info["start"]) * 1_000_000, int(info["end"]) * 1_000_000
    if lo <= ns <= hi:
        return None
    return (f"time {written} s is {'before' if ns < lo else 'after'} the window the file name gives "
            f"({info['start']} to {info['end']} ms after midnight, {lo / 1e9:g} to {hi / 1e9:g} s): a wrong time, or "
            "the file of another window under this name")


def midnight_ns(date: str, path: Path) -> int:
    y, m, d = (int(x) for x in date.split("-"))
    try:
        midnight = _dt.datetime(y, m, d, tzinfo=ZoneInfo(TZ))
    except ValueError as exc:
        raise DataError(f"{path}: the date {date} in the file name is not a calendar date ({exc})") from None
    return int(midnight.timestamp()) * 1_000_000_000


def seconds_to_ns(s: str) -> int:
    a, _, b = s.partition(".")
    if not a.isdigit() or (b and not b.isdigit()):
        raise ValueError(s)
    return int(a) * 1_000_000_000 + (int(b[:9].ljust(9, "0")) if b else 0)


def time_unit_hint(ns: int) -> str:
    """What unit a time of day past midnight looks like (LOBSTER writes seconds)."""
    for name, scale in (("milliseconds", 10**3), ("microseconds", 10**6), ("nanoseconds", 10**9)):
        if ns // scale < DAY_S * 10**9:
            return f"it looks like {name}"
    return "it is not a time of day"
