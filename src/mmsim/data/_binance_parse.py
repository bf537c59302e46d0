"""Line parsing for the Binance loader: receive-time scale, typed JSON fields, exchange times, and the price/size grid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._json import DuplicateKeyError, loads_unique
from ..errors import DataError
from ._grid_flags import flag_units
from ._common import TIME_MAX_NS, TIME_MIN_NS, decimals_to_int, step_to_float, text_lines, time_unit_hint, too_large

_DIGITS = 8  # Binance quotes at most 8 decimals


def given_units(key: str, v: float) -> int:
    """A given ``tick_size`` or ``lot_size`` (``key``) in units of 1e-8; :class:`mmsim.ConfigError` naming the key
    when it is finer than 1e-8 or off that grid (:func:`._grid_flags.flag_units`)."""
    return flag_units(key, v, _DIGITS, "binance", f"{'prices' if key == 'tick_size' else 'sizes'} to 8 decimals")
_MS = 1_000_000
_SCALE_NAME = {1: "nanoseconds", 1_000: "microseconds", 1_000_000: "milliseconds"}
#: JSON value errors while reading a message's fields (a wrong shape or type).
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
#: How many recent trades a repeated trade id is compared with (as the Tardis loader).
RECENT_TRADES = 65_536


def _local_scale(ts: str, path: Path, line: int) -> int:
    if not (ts.isascii() and ts.isdigit()):  # isdigit alone takes '²', which int() refuses
        raise DataError(f"{path}: line {line}: malformed row: receive time {ts[:30]!r} is not an integer")
    n = len(ts)
    if n >= 18:
        return 1  # ns
    if n >= 15:
        return 1_000  # us (older captures)
    if n >= 12:
        return 1_000_000  # ms
    raise DataError(f"{path}: line {line}: malformed row: receive time {ts!r} is too short to be epoch time")


def _int(d: dict, key: str, what: str, path: Path, line: int) -> int:
    """``d[key]`` as an int; a JSON string, float, bool or null is a malformed message."""
    v = d.get(key)
    if type(v) is not int:
        if key not in d:
            raise DataError(f"{path}: line {line}: malformed {what}: missing {key!r}")
        raise DataError(f"{path}: line {line}: malformed {what}: {key} is {v!r}, not an integer")
    return v


def _exch_ms(d: dict, key: str, what: str, path: Path, line: int) -> int:
    """An exchange time in ms (``T`` or ``E``) as ns, checked to be a plausible epoch time."""
    ms = _int(d, key, what, path, line)
    ns = ms * _MS
    if not TIME_MIN_NS <= ns < TIME_MAX_NS:
        raise DataError(
            f"{path}: line {line}: implausible exchange time {key}={ms} "
            f"({time_unit_hint(ms, 'milliseconds', _MS)})"
        )
    return ns


def trade_time(d: dict, path: Path, line: int) -> tuple[int, int | None]:
    """A trade message's fields checked (``t`` an integer when given, ``m`` a bool, ``p`` and ``q`` strings); returns
    its exchange time ``T`` (ns) and its id ``t`` (None when absent)."""
    what = "trade"
    t = _int(d, "t", what, path, line) if "t" in d else None
    if not isinstance(d.get("m"), bool):
        if "m" not in d:
            raise DataError(f"{path}: line {line}: malformed trade: missing 'm'")
        raise DataError(f"{path}: line {line}: malformed trade: m is {d['m']!r}, not true/false")
    if not isinstance(d.get("p"), str) or not isinstance(d.get("q"), str):
        for k in ("p", "q"):
            if k not in d:
                raise DataError(f"{path}: line {line}: malformed trade: missing {k!r}")
        raise DataError(f"{path}: line {line}: malformed trade: p and q must be decimal strings")
    return _exch_ms(d, "T", what, path, line), t


def trade_fields(d: dict) -> tuple:
    """A trade's price, size (as exact integers of 1e-8 when they parse) and aggressor flag ``m``.

    What a trade id's repeat must match to be the same trade sent again; ``"1.0"`` and
    ``"1.000"`` are the same size.
    """

    def num(s: Any) -> Any:
        try:
            return decimals_to_int(s, _DIGITS)
        except (ValueError, TypeError, AttributeError):
            return s

    return num(d.get("p")), num(d.get("q")), d.get("m")


def _split(line: str, path: Path, lineno: int) -> tuple[str, dict[str, Any]]:
    ts, sep, js = line.partition(" ")
    if not sep:
        raise DataError(f"{path}: line {lineno}: malformed row: expected 'local_ts {{json}}'")
    try:
        msg = json.loads(js)
    except json.JSONDecodeError as exc:
        # where in the line: json's own "line 1 column 98 (char 97)" counts in the JSON, after the receive time
        raise DataError(f"{path}: line {lineno}: malformed row: bad JSON ({exc.msg}: column "
                        f"{len(ts) + 2 + exc.pos} of the line)") from None
    if not isinstance(msg, dict):
        raise DataError(f"{path}: line {lineno}: malformed row: JSON is not an object")
    # A key given twice (json.loads keeps the last value): every ':' outside a string separates a key from its value,
    # so as many ':' as the keys of the line's object and its object values means none is; else the exact reader.
    if js.count(":") != len(msg) + sum(len(v) for v in msg.values() if type(v) is dict):
        try:
            loads_unique(js)
        except DuplicateKeyError as exc:
            raise DataError(f"{path}: line {lineno}: malformed row: key {exc.key!r} is given twice in one JSON object "
                            "(a JSON reader keeps the last value silently): keep one") from None
    return ts, msg


def quoted_price(path: Path, line: int, ticks: int, grid: _Grid | None) -> str | None:
    """The price string of ``ticks`` ticks as ``line`` of ``path`` writes it (the file read again to that
    line), for a message (:func:`._quote.quote_with`); None when not found."""
    if grid is None:
        return None
    try:
        for n, text in text_lines(path):
            if n >= line:
                d = json.loads(text.partition(" ")[2]) if n == line else {}
                d = d.get("data", d) if isinstance(d, dict) else {}
                levels = [lv for k in ("b", "a", "bids", "asks") for lv in (d.get(k) or [])] + [[d.get("p")]]
                return next((lv[0] for lv in levels if isinstance(lv, list) and lv and isinstance(lv[0], str)
                             and decimals_to_int(lv[0], _DIGITS) == ticks * grid.tick), None)
    except (DataError, OSError, ValueError, *_SHAPE_ERRORS):  # the file changed since: the message keeps the ticks
        pass
    return None


class _Grid:
    """Price/size string -> ticks/lots with the on-grid check."""

    def __init__(self, path: Path, tick: int, lot: int, inferred: tuple[str, str] = ("", "")) -> None:
        self.path, self.tick, self.lot = path, tick, lot
        #: What the off-grid errors add when the tick or lot was inferred (where from, the flag to give it): a value
        #: off a grid the snapshot's few levels set is no sign of a corrupt file (loadbreak18).
        self.inferred = inferred
        # Level prices and sizes repeat all day: parse each distinct string once.
        self._px: dict[str, int] = {}
        self._qty: dict[str, int] = {}

    def px(self, s: str, line: int) -> int:
        v = self._px.get(s)
        if v is not None:
            return v
        v = self._parse_px(s, line)
        if len(self._px) > 1_000_000:
            self._px.clear()
        self._px[s] = v
        return v

    def qty(self, s: str, line: int) -> int:
        v = self._qty.get(s)
        if v is not None:
            return v
        v = self._parse_qty(s, line)
        if len(self._qty) > 1_000_000:
            self._qty.clear()
        self._qty[s] = v
        return v

    def _parse_px(self, s: str, line: int) -> int:
        try:
            v = decimals_to_int(s, _DIGITS)
        except ValueError:
            raise DataError(f"{self.path}: line {line}: malformed price {s!r}") from None
        if v <= 0:  # Binance's price filters start above 0; a print at 0 would trade through every bid
            raise DataError(f"{self.path}: line {line}: price {s} is not positive (Binance prices are)")
        q, r = divmod(v, self.tick)
        if r:
            raise DataError(
                f"{self.path}: line {line}: price {s} is off the tick grid "
                f"(tick size {step_to_float(self.tick, _DIGITS)}){self.inferred[0]}"
            )
        too_large(q, s, "price", f"{step_to_float(self.tick, _DIGITS)}", f"{self.path}: line {line}",
                  None if self.inferred[0] else "--tick-size")
        return q

    def _parse_qty(self, s: str, line: int) -> int:
        try:
            v = decimals_to_int(s, _DIGITS)
        except ValueError:
            raise DataError(f"{self.path}: line {line}: malformed size {s!r}") from None
        if v < 0:
            raise DataError(f"{self.path}: line {line}: negative size {s}")
        q, r = divmod(v, self.lot)
        if r:
            raise DataError(
                f"{self.path}: line {line}: size {s} is not a whole number of lots "
                f"(lot size {step_to_float(self.lot, _DIGITS)}){self.inferred[1]}"
            )
        too_large(q, s, "size", f"{step_to_float(self.lot, _DIGITS)}", f"{self.path}: line {line}",
                  None if self.inferred[1] else "--lot-size")
        return q


def side_levels(levels: Any, side: int, grid: _Grid, path: Path, line: int, what: str) -> list[tuple[int, int]]:
    """One side of a depth ``what`` ("snapshot" or "diff") at ``path``'s ``line`` as (ticks, lots) pairs. A price
    listed twice on it with different sizes is an error naming the line, the price as written and both level numbers:
    which size is the level's cannot be told; listed twice with the same size, it is one level (the repeat is left out).
    A level that is not a [price, size] pair raises one of ``_SHAPE_ERRORS`` for the caller."""
    out: list[tuple[int, int]] = []
    seen: dict[int, tuple[int, int]] = {}  # price -> its level number and size
    gp, gq = grid.px, grid.qty
    for k, (px, q) in enumerate(levels, 1):
        p, n = gp(px, line), gq(q, line)  # qty() rejects negative sizes
        at, at_n = seen.setdefault(p, (k, n))
        if at == k:
            out.append((p, n))
        elif at_n != n:
            raise DataError(
                f"{path}: line {line}: the {what} lists the {'bid' if side > 0 else 'ask'} price {px} twice with "
                f"different sizes (levels {at} and {k} of its side); a depth {what} has one level per price"
            )
    return out

