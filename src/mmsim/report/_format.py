"""Number formatting shared by the report's tables (terminal and HTML)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Mapping

import numpy as np

from ..errors import ConfigError

__all__ = ["QTY_UNITS", "Quantities", "check_qty", "currency_price", "_ci", "_money", "_num", "_pct", "format_span"]


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return f"{int(x):,}"
    text = f"{float(x):,.{digits}f}"
    # A value that rounds to zero prints as 0.00, not -0.00 (which would read as a loss).
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _money(x: Any) -> str:
    return _num(x, 2)


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100.0 * float(x):.1f}%"


def _ci(stats: Any, digits: int = 2) -> str:
    """A :func:`~mmsim.report.markouts.summarize` interval as ``[lo, hi]``; ``all equal`` when the values
    have no spread (two or more, standard deviation 0: no interval, docs/reports.md); ``–`` otherwise."""
    if stats.get("ci_low") is not None:
        return f"[{_num(stats['ci_low'], digits)}, {_num(stats['ci_high'], digits)}]"
    return "all equal" if (stats.get("n") or 0) >= 2 and stats.get("std") == 0 else "–"


def format_span(ns: int) -> str:
    """A span of data (first to last event) as every report, comparison and table prints it.

    Under 119.5 s in seconds to 3 significant digits (``59.9 s``, ``0.25 s``); under an hour
    in minutes and seconds (``5m45s``); from an hour in hours and minutes (``2h00m``). Always
    rounded to the nearest last unit shown, halves up: 5 min 44.561 s is ``5m45s`` and 1 h 59 min
    59.3 s is ``2h00m`` (docs/reports.md, "What was run").
    """
    ns = int(ns)
    if ns < 0:
        return "-" + format_span(-ns)
    if 0 < ns < 1_000_000:  # under a millisecond in the unit that reads it (1 ns read 1e-09 s)
        from ..config._units import format_ns

        return format_ns(ns)
    if ns < 119_500_000_000:  # 119.5 s and up would read 120 s: 2m00s
        return f"{ns / 1e9:.3g} s"
    sec = (ns + 500_000_000) // 1_000_000_000
    if sec < 3600:
        return f"{sec // 60}m{sec % 60:02d}s"
    h, m = divmod((ns + 30_000_000_000) // 60_000_000_000, 60)
    return f"{h}h{m:02d}m"


#: Significant digits of a mean quantity in base units (the summary's mean |pos|): a mean of a
#: fluctuating position, not a quantity to reconcile (report.json keeps it exact, in lots).
MEAN_DIGITS = 5


#: ``mmsim report --qty`` (and ``make_report(qty=...)``): the unit the tables print quantities in.
QTY_UNITS: tuple[str, ...] = ("auto", "lots", "base")


def check_qty(qty: str) -> None:
    """Raise a ConfigError unless ``qty`` is one of :data:`QTY_UNITS` (the API's ``qty`` argument)."""
    if qty not in QTY_UNITS:
        raise ConfigError(f"qty must be one of {', '.join(QTY_UNITS)}, got {qty!r}")


def _decimal(x: Any) -> Decimal:
    """``x`` as the decimal it reads: an integer exactly, a float as its shortest repr (``1e-08``: ``1E-8``)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return Decimal(int(x))
    return Decimal(repr(float(x)))


def _plain(x: Decimal, places: int | None = None) -> str:
    """Thousands separated, no exponent, trailing zeros after the point stripped (``-0.3795``, ``1,234.567``);
    rounded half-even to ``places`` decimals first when given. Never ``-0``."""
    if places is not None:
        x = x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{x:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _lot_text(lot: float) -> str:
    """A lot size as given, every digit (``1e-08``, ``0.123456789``, ``1234567``; ``:g`` cut them to 6)."""
    text = repr(float(lot))
    return text[:-2] if text.endswith(".0") else text


class Quantities:
    """How the report's tables print quantities and the summary's mid (docs/reports.md, "Units").

    In lots (``qty="lots"``, or ``"auto"`` on a store whose lot is 1) numbers read as before:
    ``-250`` lots at ``22,057.5 ticks``. In base units (``"base"``, or ``"auto"`` when the lot
    is not 1) a quantity is ``lots × lot_size``, computed exactly in decimal from the integer
    lots and the lot size's decimal text (``-37,950,000`` lots of ``1e-08`` read ``-0.3795``),
    and the summary's mid is in quote currency (``6,168,599.5`` ticks of ``0.01`` read
    ``61,685.995``). report.json and fills.csv keep lots and ticks whatever the choice.
    """

    def __init__(self, d: Mapping[str, Any], qty: str = "auto") -> None:
        check_qty(qty)
        run = d.get("run") or {}
        lot = run.get("lot_size")
        if lot is None:  # a report.json written before run.lot_size: the setup's contract
            lot = ((d.get("setup") or {}).get("contract") or {}).get("lot_size")
        self.lot_size = float(lot) if lot else 1.0
        self.lot = _decimal(self.lot_size).normalize()
        self.tick = _decimal(run.get("tick_size") or 1.0).normalize()
        self.base = qty == "base" or (qty == "auto" and self.lot != 1)

    @property
    def lot_text(self) -> str:
        """The lot size as given, every digit: ``1e-08``, ``0.123456789``, ``1234567``."""
        return _lot_text(self.lot_size)

    @property
    def unit(self) -> str:
        """``lots`` or ``base units``: what a quantity column or row label says."""
        return "base units" if self.base else "lots"

    def caption(self) -> str:
        """The terminal summary's caption (``money in quote currency`` in lots, as before)."""
        if not self.base:
            return "money in quote currency"
        # Two short lines: one line wrapped inside "1 lot =" under an 80-column summary.
        return f"money and prices in quote currency\nquantities in base units (1 lot = {self.lot_text})"

    def qty(self, lots: Any) -> str:
        """A number of lots in the chosen unit, every digit kept (lots as :func:`_num` prints them)."""
        if lots is None or (isinstance(lots, float) and not math.isfinite(lots)):
            return "–"
        if not self.base:
            return _num(lots)
        return _plain(_decimal(lots) * self.lot)

    def limit(self, lots: Any) -> str:
        """A position limit (lots, a float as given): ``1,500`` or ``1,234,567.5`` in lots, never ``1.23457e+06``."""
        if self.base:
            return self.qty(lots)
        if isinstance(lots, (int, np.integer)) and not isinstance(lots, bool):
            return f"{int(lots):,}"  # every digit: 123,456,789,012,345,678 read ...680 through a float
        x = float(lots)
        return f"{int(x):,}" if x.is_integer() else f"{x:,.15g}"

    def mean(self, lots: Any, digits: int = 2, significant: int = MEAN_DIGITS) -> str:
        """A mean number of lots: ``digits`` decimals of a lot (as the lots table prints it); in base units
        ``significant`` digits, never finer than ``digits`` decimals of a lot (``28,736,863.47`` lots of
        ``1e-08``: ``0.28737``, not ``0.2873686347``; ``1,234`` lots of ``1e-08``: ``0.00001234``); the
        integer part is never rounded (``925,925.25`` lots of ``0.001``: ``925.93``)."""
        if not self.base or lots is None or (isinstance(lots, float) and not math.isfinite(lots)):
            return _num(lots, digits)
        exp = self.lot.as_tuple().exponent
        x = _decimal(lots) * self.lot
        places = digits - min(int(exp), 0)
        if x != 0:
            places = min(places, max(significant - 1 - x.adjusted(), 0))
        return _plain(x, places)

    def mid(self, ticks: Any) -> str:
        """The summary's mid: ``6,168,599.5 ticks`` in lots; in base units the price in quote currency with at
        least the tick's decimals (``223.40``; a half tick one more: ``61,685.995``)."""
        if ticks is None or (isinstance(ticks, float) and not math.isfinite(ticks)):
            return "–"
        if not self.base:
            return f"{_num(ticks, 1)} ticks"
        price = _decimal(ticks) * self.tick
        places = max(-int(self.tick.as_tuple().exponent), 0)
        q = price.quantize(Decimal(1).scaleb(-places))
        return f"{q:,f}" if q == price else _plain(price)


def currency_price(ticks: np.ndarray, tick_size: float) -> np.ndarray:
    """Prices in the quote currency, each the float nearest the decimal ``ticks × tick``.

    A tick of exactly ``1/N`` as written (0.01, 1e-8: ``Decimal(repr(tick)) × N == 1``; 0.3333333333 is no
    third) divides by ``N``, and a tick that is a short decimal ``M / 10**d`` (0.15, 2.5, 2.5e-21; ``d`` up to
    22, the largest power of ten a float holds exactly) divides ``ticks × M`` by ``10**d``: one rounding, so
    123456789 ticks of 1e-8 read 1.23456789 and 3 ticks of 0.15 read 0.45 (the product rounds the tick first:
    1.2345678900000001, 0.44999999999999996). Each price on its own: one whose ``|ticks| × M`` is 2^53 or more
    (not exact in a float), and any price on another tick, is the product; the others are not changed by it.
    ``ticks`` are exact int64 ticks.
    """
    ticks = np.asarray(ticks)
    tick = Decimal(repr(float(tick_size)))
    n = round(1.0 / tick_size)
    if 1 <= n < 2**53 and tick * n == 1:
        return ticks / float(n)
    out = ticks * tick_size
    _, digits, exp = tick.as_tuple()
    if isinstance(exp, int) and -22 <= exp < 0 and out.size:
        m = int("".join(map(str, digits)))
        limit = (2**53 - 1) // m  # |ticks| × M < 2**53: the product is exact in int64 and in a float
        exact = (ticks >= -limit) & (ticks <= limit)
        out = np.asarray(out, dtype=np.float64)
        out[exact] = (ticks[exact].astype(np.int64) * m) / float(10 ** -exp)
    return out
