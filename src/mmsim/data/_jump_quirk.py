"""The ``quirks.time_jump_at_end`` of a store's ``meta.json`` (docs/data.md, "A time far ahead on a file's last lines"):
its rule (:func:`jump_problem`, where a store is loaded) and its words (:func:`jump_words`: ``mmsim convert``'s warning
and the report's data row). Apart from :mod:`._identity`, which re-exports them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def _int64(v: Any) -> bool:
    """``v`` an integer of int64's range, not a bool (a JSON value as read): the rule of every quirk's integers
    (:mod:`._identity` imports it)."""
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63


#: The form of a quirk's ``at`` and ``from``: a writer's source position (``mmsim.data._store_write.source_name``).
_POSITION = re.compile(r".+: (line|record) [0-9]+")


#: The store's ``meta.json`` quirk of a time jumped far forward on a source file's last lines
#: (``mmsim.data._file_times``; docs/data.md, "A time far ahead on a file's last lines"): a warning, not a refusal.
TIME_JUMP = "time_jump_at_end"
#: A forward jump between two times of one file is recorded when it is more than this ...
JUMP_FLOOR_NS = 600_000_000_000
#: ... and more than this many times the span the rest of the file covers (the file's span without the jump), when
#: the events from the jump on are the file's last few: at most :data:`JUMP_TAIL`, or 1% of the file's when more.
JUMP_RATIO = 10
JUMP_TAIL = 10


def _line(v: Any) -> bool:
    return isinstance(v, str) and v != ""


#: A ``time_jump_at_end`` quirk's keys, in its order, each with its rule (the words of a refusal).
_JUMP_RULES: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("at", "a string ('FILE: line N', the line whose time jumps)", _line),
    ("from", "a string ('FILE: line N', the line of the latest time before it)", _line),
    ("time", "'exchange' or 'receive'", lambda v: isinstance(v, str) and v in ("exchange", "receive")),
    ("jump_ns", f"an integer above {JUMP_FLOOR_NS} (ns: a jump of more than "
                f"{JUMP_FLOOR_NS // 60_000_000_000} min)", lambda v: _int64(v) and v > JUMP_FLOOR_NS),
    ("span_ns", "a non-negative integer (ns: the span of the file's other events)", lambda v: _int64(v) and v >= 0),
    ("events_after", "a positive integer (the file's events from the jump on)", lambda v: _int64(v) and v >= 1),
    ("events", "a positive integer (the file's events)", lambda v: _int64(v) and v >= 1),
)


def jump_problem(v: object, event_count: object = None, span: object = None, dropped: int = 0) -> str | None:
    """Why ``v`` is not a ``time_jump_at_end`` quirk (a mapping of exactly the keys of :data:`_JUMP_RULES`, each by
    its rule, and a jump the rule records: more than :data:`JUMP_RATIO` times ``span_ns``, with ``events_after`` at
    most ``events`` and at most :data:`JUMP_TAIL` or 1% of them), else None: the words after the key in a message
    (``jump_ns is 5, not an integer above ...``). A hand-edited one was the report's data row and the convert
    warning. Held to what ``meta.json`` alone tells too (fix32a: ``"events": 1e9`` of a 7,398-event store, a jump
    longer than the store and ``"at": "nonsense"`` loaded): ``at`` and ``from`` of the form ``NAME: line N`` or
    ``NAME: record N``; with ``event_count`` (the store's) ``events`` at most it plus the ``dropped`` prints through
    the book (the jump is found before they are dropped; ``events_after`` is at most ``events``); with ``span``
    (``last_exch_ts -
    first_exch_ts``, the store's events being in exchange-time order) an exchange-time jump's ``jump_ns +
    span_ns`` (its file's first to latest exchange time) at most it. A receive-time jump is not bounded by the
    span (receive times may go back, and are shifted by a recorder clock's offset)."""
    names = [k for k, _, _ in _JUMP_RULES]
    must = f"its keys must be {', '.join(names)}; docs/data.md, \"A time far ahead on a file's last lines\""
    if not isinstance(v, dict):
        return f"is {v!r}, not a mapping ({must})"
    if missing := [k for k in names if k not in v]:
        return f"lacks {', '.join(map(repr, missing))} ({must}; it has {', '.join(map(str, v)) or 'none'})"
    if extra := sorted((k for k in v if k not in names), key=str):
        return f"has the unknown key {extra[0]!r} ({must})"
    for key, rule, ok in _JUMP_RULES:
        if not ok(v[key]):
            return f"{key} is {v[key]!r}, not {rule}"
    if v["events_after"] > v["events"]:
        return f"events_after is {v['events_after']}, more than the file's events ({v['events']})"
    if v["events_after"] > max(JUMP_TAIL, v["events"] // 100):
        return (f"events_after is {v['events_after']}, more than the last {JUMP_TAIL} or 1% of the file's "
                f"{v['events']} events: not a jump on its last lines")
    if v["jump_ns"] <= JUMP_RATIO * v["span_ns"]:
        return (f"jump_ns is {v['jump_ns']}, not more than {JUMP_RATIO} times span_ns ({v['span_ns']}): not a jump "
                "far beyond the rest of the file's span")
    for key in ("at", "from"):
        if not _POSITION.fullmatch(v[key]):
            return f"{key} is {v[key]!r}, not of the form 'NAME: line N' or 'NAME: record N'"
    if _int64(event_count) and v["events"] > event_count + dropped:  # type: ignore[operator]
        also = f" and the {dropped} prints through the book dropped after the jump was found" if dropped else ""
        return f"events is {v['events']}, more than the store's {event_count} events (event_count){also}"
    if v["time"] == "exchange" and _int64(span) and v["jump_ns"] + v["span_ns"] > span:  # type: ignore[operator]
        return (f"jump_ns is {v['jump_ns']} and span_ns {v['span_ns']}: {v['jump_ns'] + v['span_ns']} ns of "
                f"exchange time, more than the store's span ({span} ns, last_exch_ts - first_exch_ts)")
    return None


def _secs(ns: int) -> str:
    """``ns`` in seconds to the ms (to the ns where that reads as 0)."""
    text = f"{ns / 1e9:.3f}"
    return f"{ns / 1e9:.9f}".rstrip("0") if ns > 0 and float(text) == 0 else text


def jump_words(q: Any, short: bool = False) -> str | None:
    """The words for a store with a ``time_jump_at_end`` quirk (``mmsim convert``'s warning; ``short``: the report's
    data row), else None (no quirk, or one :func:`jump_problem` refuses). Names the line, says what it may be and
    what to do."""
    if q is None or jump_problem(q) is not None:
        return None
    at, before = q["at"], q["from"]
    if before.split(": ", 1)[0] == at.split(": ", 1)[0]:
        before = before.split(": ", 1)[1]
    what = f"{q['time']} time {_secs(q['jump_ns'])} s after the latest before it ({before})"
    tail = f"the last {q['events_after']:,} of the file's {q['events']:,} events"
    if short:
        return (f"{at}: {what}, on {tail}: a wrong time or a new session with few events (quirks.{TIME_JUMP})")
    return (f"{at}: {what}, on {tail}, whose others span {_secs(q['span_ns'])} s: a wrong time (in another unit, or "
            "off by days) that no later line contradicts, which stretches the store's span and every time measured "
            "to its end, or a new session with few events after a gap; a wrong time: fix or remove the line and "
            "convert again; a second session: convert the sessions apart to replay each alone "
            f"(quirks.{TIME_JUMP}; docs/data.md, \"A time far ahead on a file's last lines\")")
