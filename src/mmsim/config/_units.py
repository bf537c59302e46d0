"""Units at the config's edge: durations (int ns) and market-event counts (``<k>ev``), read and written back.

One spelling rule for every reader: a number, optional space, then the unit in lower
case (``5ms``, ``5 ms``, ``100ev``, ``100 ev``). A unit in another case (``5MS``,
``100EV``) is refused with the spelling to write, never guessed (``M`` is not ``m``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import numbers
import re
from typing import Any

from ..errors import ConfigError

#: What a config reads as a real number: Python's reals (int, float, ``fractions.Fraction``, numpy's) and
#: ``decimal.Decimal``, which the ``numbers`` tower leaves out; ``Config(tick_size=Decimal('0.01'))`` said "expected
#: a number" where ``Fraction(1, 100)`` was taken (breaker26). Each is read as ``float(value)``.
REALS: tuple[Any, ...] = (numbers.Real, decimal.Decimal)

__all__ = ["MAX_DURATION_NS", "MAX_EVENT_HORIZON", "MAX_LATENCY_NS", "REALS", "format_ns", "parse_duration", "parse_event_count",
           "parse_event_horizon", "parse_markout_horizon", "readable_ns"]

#: Largest latency (feed, entry, response; a lognormal's median and floor): one day, ns.
MAX_LATENCY_NS = 86_400 * 1_000_000_000
#: Largest other duration (timer, sample interval, half-lives, markout horizons,
#: a synthetic session's length): 366 days, ns.
MAX_DURATION_NS = 366 * 86_400 * 1_000_000_000
#: Largest markout horizon in market events (``<k>ev``): 10^18, so that a fill's event
#: index plus the horizon stays inside int64 for any store (a store holds far fewer events).
MAX_EVENT_HORIZON = 10**18

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
          "min": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|min|m|h)\s*$")
# What looks like a count of market events ("100ev", "100 EV", "-3ev"): the unit in any case.
_EVENTS_RE = re.compile(r"^.*[^\sA-Za-z]\s*[eE][vV]\s*$|^\s*[eE][vV]\s*$")


def _describe_ns(ns: int) -> str:
    day = 86_400 * 1_000_000_000
    if ns >= day and ns % day == 0:
        return f"{ns // day} day{'s' if ns // day > 1 else ''} ({ns} ns)"
    return f"{format_ns(ns)} ({ns} ns)" if ns >= 1_000 else f"{ns} ns"


def parse_duration(value: Any, key: str = "duration", *, max_ns: int = MAX_DURATION_NS) -> int:
    """Return ``value`` as int nanoseconds.

    Parameters
    ----------
    value : int, float, str or datetime.timedelta
        Nanoseconds as an integer (or an integral float), a number with a unit:
        ``ns``, ``us``, ``ms``, ``s``, ``min``/``m``, ``h`` (``"250us"``,
        ``"1.5ms"``), or a timedelta.
    key : str
        Name used in the error message.
    max_ns : int
        Largest duration accepted, ns (default :data:`MAX_DURATION_NS`).

    Raises
    ------
    ConfigError
        If the value is not a duration in ``0 .. max_ns``.
    """
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration (e.g. 5ms or an int of ns), got {value!r}")
    if isinstance(value, numbers.Integral):
        ns = int(value)
    elif isinstance(value, REALS) and _finite_whole(value):
        ns = int(float(value))
    elif isinstance(value, _dt.timedelta):
        ns = (value // _dt.timedelta(microseconds=1)) * 1_000
    elif isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m and _DURATION_RE.match(value.strip().removeprefix("-").lstrip()):
            raise ConfigError(f"{key}: a duration cannot be negative, got {value!r}")
        if not m and _DURATION_RE.match(value.lower()):  # 100MS: units are lower case (M is not m, min)
            raise ConfigError(f"{key}: cannot read {value!r} as a duration; units are lower case "
                              f"(ns, us, ms, s, min, h): write {value.strip().lower()!r}")
        if not m and _EVENTS_RE.match(value):
            raise ConfigError(f"{key}: {value!r} is a count of market events; a duration is needed here, a "
                              "number with a unit (ns, us, ms, s, min, h), e.g. 250us")
        if not m:
            raise ConfigError(
                f"{key}: cannot read {value!r} as a duration; use a number with a unit "
                "(ns, us, ms, s, min, h), e.g. 250us"
            )
        ns_f = float(m.group(1)) * _UNITS[m.group(2)]
        if not math.isfinite(ns_f) or ns_f > 2.0 * max_ns:
            raise ConfigError(f"{key}: a duration must be at most {_describe_ns(max_ns)}, got {value!r}")
        ns = int(round(ns_f))
        if abs(ns - ns_f) > 1e-6 * max(1.0, abs(ns_f)):
            raise ConfigError(f"{key}: {value!r} is not a whole number of nanoseconds")
    else:
        raise ConfigError(f"{key}: expected a duration (e.g. 5ms or an int of ns), got {value!r}")
    if ns < 0:
        raise ConfigError(f"{key}: a duration cannot be negative, got {value!r}")
    if ns > max_ns:
        raise ConfigError(f"{key}: a duration must be at most {_describe_ns(max_ns)}, got {value!r}")
    return ns


#: Largest magnitude of a float read as a whole number for an integer key: beyond 2**53 a float skips integers
#: (2**53 + 1 is not one), so the digits written may not be the number read.
FLOAT_EXACT = 1 << 53


def _finite_whole(value: Any) -> bool:
    """Whether the real ``value`` reads as a finite whole float (a signalling NaN Decimal does not read)."""
    try:
        f = float(value)
    except ValueError:
        return False
    return math.isfinite(f) and f.is_integer()


def whole_integer(value: Any) -> int | None:
    """``value`` as an int, for every integer config key: an int, or a float (any real) that is a whole number
    of magnitude at most 2**53 (``2.0`` -> 2, as a strategy parameter's ``size: 2.0`` is taken); None for
    anything else (``2.5``, a bool: ``true`` is not 1, a string, a float beyond 2**53)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, REALS):
        try:
            f = float(value)
        except ValueError:  # Decimal('sNaN')
            return None
        if math.isfinite(f) and f.is_integer() and abs(f) <= FLOAT_EXACT and f == value:
            return int(f)
    return None


def inexact(value: Any) -> str:
    """Why a whole float is refused for an integer (`` (a float beyond 2**53 is not exact: ...)``); ``""`` for
    any other value."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) > FLOAT_EXACT:
        return " (a float beyond 2**53 is not exact: write the integer's digits, without a decimal point)"
    return ""


def not_integer(key: str, value: Any, what: str = "an integer", written: str | None = None) -> str:
    """The refusal of ``value`` for integer key ``key``: ``key: expected an integer, got 2.5`` (a whole float
    beyond 2**53 says why it is refused): the one wording of every integer config key, grid key and flag.

    ``written``: the value's text as the user wrote it (a flag's, a grid number's), quoted instead of the value
    as read (``got '1e18'``, not ``got 1e+18``; a whole number in digits bare: :func:`._written.shown_written`); the
    reason is the value's, as read."""
    from ._written import shown_written

    shown = repr(value) if written is None else shown_written(written)
    return f"{key}: expected {what}, got {shown}{inexact(value)}"


def integer_argument(value: Any, refusal: str, low: int | None = None, high: int | None = None,
                     error: type[Exception] = ConfigError) -> int:
    """An integer keyword argument of a public function (``run_sweep(workers=2.0)``, ``compare(n_boot=2000.0)``)
    as an int, by the rule of every integer config key (:func:`whole_integer`: ``2.0`` is 2; a fraction, a bool
    and a float beyond 2**53 are not integers), in ``low .. high`` (each bound optional).

    Raises
    ------
    ConfigError (or ``error``)
        ``refusal`` (which names the keyword and what it takes), then ``, got <value>``:
        ``workers: expected a non-negative integer, got 2.5``.
    """
    k = whole_integer(value)
    if k is None or (low is not None and k < low) or (high is not None and k > high):
        raise error(f"{refusal}, got {value!r}{inexact(value)}")
    return k


def parse_event_count(value: Any, key: str) -> int | None:
    """An event-count markout horizon written ``"<k>ev"`` (``"100ev"``, ``"100 ev"``), as k; None when ``value`` is not one.

    The unit is ``ev`` in lower case, as every duration unit is (``ms``, not
    ``MS``); space around the number is allowed, as in ``"100 ms"``.

    Raises
    ------
    ConfigError
        When ``value`` ends in ``ev`` but is not a positive whole number of events
        (``"0ev"``, ``"1.5ev"``, ``"-3ev"``): a markout 0 events after a fill is the
        fill's own event, not a horizon; or is above :data:`MAX_EVENT_HORIZON` (10^18). When it ends in ``EV`` (or ``Ev``,
        ``eV``): the message names the ``<k>ev`` form to write.
    """
    if not isinstance(value, str) or not _EVENTS_RE.match(value):
        return None
    text = value.strip()[:-2].strip()
    number = text.isascii() and text.isdigit() and int(text) > 0  # isdigit alone takes '²', int() does not
    if not value.strip().endswith("ev"):
        example = f"{int(text)}ev" if number else "100ev"
        raise ConfigError(f"{key}: cannot read {value!r}; a number of market events is written '<k>ev' "
                          f"with the unit in lower case, e.g. {example}")
    if not number:
        raise ConfigError(f"{key}: cannot read {value!r}; use a duration or a positive number of market "
                          "events '<k>ev', e.g. 100ev")
    return _bounded_event_count(int(text), value, key)


def _bounded_event_count(k: int, value: Any, key: str) -> int:
    if k > MAX_EVENT_HORIZON:
        raise ConfigError(f"{key}: a number of market events must be at most 10^18 "
                          f"(1,000,000,000,000,000,000), got {value!r}")
    return k


def parse_markout_horizon(value: Any, key: str) -> int | str:
    """A markout horizon: a duration (returned as int ns) or ``"<k>ev"`` (returned as ``"<k>ev"``).

    Raises
    ------
    ConfigError
        Naming ``key``; for a string that is neither form, the message names both
        (a duration with its unit, and ``<k>ev``).
    """
    k = parse_event_count(value, key)
    if k is not None:
        return f"{k}ev"
    try:
        return parse_duration(value, key)
    except ConfigError as e:
        if isinstance(value, str) and "as a duration; use a number with a unit" in str(e):
            raise ConfigError(f"{key}: cannot read {value!r}; use a duration, a number with a unit (ns, us, ms, "
                              "s, min, h) such as 1s, or a positive number of market events '<k>ev', "
                              "e.g. 100ev") from None
        raise


def parse_event_horizon(value: Any, key: str) -> int:
    """A horizon that can only be a number of market events: a positive int, or ``"<k>ev"``; returned as k.

    Raises
    ------
    ConfigError
        Naming ``key``, for anything else (0, a negative number, a bool, a
        duration, ``"100EV"``, more than :data:`MAX_EVENT_HORIZON` events).
    """
    if isinstance(value, str):
        k = parse_event_count(value, key)
        if k is not None:
            return k
    elif (k := whole_integer(value)) is not None and k > 0:
        return _bounded_event_count(k, value, key)
    raise ConfigError(not_integer(key, value, "a positive number of market events (an integer, or '<k>ev')"))


_READABLE = (("h", 3_600_000_000_000), ("min", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
             ("µs", 1_000))


def readable_ns(ns: int) -> str:
    """A duration in ns in the unit it reads best, for a sentence: ``1 ns``, ``250 ms``, ``1.5 s``, ``6.5 h``.

    Rounded (half up) to 3 decimals of the largest of h, min, s, ms, µs, ns whose rounded value is at least 1,
    trailing zeros dropped (``1e-09 s`` was how a 1 ns duration read as seconds); the unit is chosen after
    rounding, so 999,999,999 ns is ``1 s`` and 59,999,999,999 ns ``1 min`` (they read ``1000 ms`` and ``60 s``).
    The value is rounded, not exact: 1,000,000,001 ns reads ``1 s``. ``0 s`` for 0, a sign for a negative. For a
    message only, not for parsing back (:func:`format_ns` is exact).
    """
    ns = int(ns)
    if ns < 0:
        return "-" + readable_ns(-ns)
    if ns == 0:
        return "0 s"
    units = (*_READABLE, ("ns", 1))
    i = next(j for j, (_, k) in enumerate(units) if ns >= k)
    milli = (ns * 1000 + units[i][1] // 2) // units[i][1]  # the value in thousandths of the unit, rounded half up
    if i > 0 and milli >= units[i - 1][1] // units[i][1] * 1000:  # rounds up to 1 of the next unit: 1000 ms -> 1 s
        i -= 1
        milli = (ns * 1000 + units[i][1] // 2) // units[i][1]
    whole, frac = divmod(milli, 1000)
    text = f"{whole}.{frac:03d}".rstrip("0").rstrip(".")
    return f"{text} {units[i][0]}"


def format_ns(ns: int) -> str:
    """Short label of a duration in ns: ``100ms``, ``1s``, ``60s``, ``250us``, ``7ns``.

    The largest of s, ms, us that divides ``ns`` exactly, else ns; the inverse of
    :func:`parse_duration` for every value it prints.
    """
    for unit, scale in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= scale and ns % scale == 0:
            return f"{ns // scale}{unit}"
    return f"{ns}ns"
