"""Checks of a store's ``meta.json`` keys that need no engine (``mmsim compare`` and a report import them): the content
digest's form and its value against the events, the time zone's name (digestfix16), and the keys a replay reads
(:func:`check_meta`, where a store is written and loaded)."""

from __future__ import annotations

import functools
import hashlib
import os
import weakref
import zoneinfo
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._scales import unit_problem
from ..errors import DataError
from ..events import DIGEST_KEY, L3_KIND_NAMES, Kind, digest_problem, is_order_event
from ._jump_quirk import JUMP_FLOOR_NS as JUMP_FLOOR_NS  # the time jump's rule and words: re-exported (fix32a)
from ._jump_quirk import JUMP_RATIO as JUMP_RATIO
from ._jump_quirk import JUMP_TAIL as JUMP_TAIL
from ._jump_quirk import _int64  # an int64 value of JSON (not a bool): one rule for every quirk's integers
from ._jump_quirk import TIME_JUMP as TIME_JUMP
from ._jump_quirk import jump_problem as jump_problem
from ._jump_quirk import jump_words as jump_words
from ._meta_digest import ROUNDED, meaning_problem, remedy_flag, rounded_by_double


#: The store's ``meta.json`` quirk that says its book is trade-implied (and counts the rows; ``mmsim.data.implied``).
QUIRK = "trade_implied_book"

#: The counts of a ``trade_implied_book`` (``mmsim.data.implied``'s transform's), in its order.
IMPLIED_COUNTS = ("prints", "hidden", "reduced", "restored")


def mbo_as_l2(meta: Mapping[str, Any]) -> bool:
    """A store converted from a market-by-order source (its ``format`` ``lobster`` or ``databento``) labelled L2: its
    window held no order event (lead, 23). The one test of :func:`no_orders_note` and ``mmsim convert``'s warning."""
    return meta.get("format") in ("lobster", "databento") and meta.get("levels") == "L2"


def no_orders_note(meta: Mapping[str, Any]) -> str:
    """Why a store converted from a market-by-order source (its ``format`` ``lobster`` or ``databento``) is L2 data,
    for a message refusing it as L2: its window held no order event, so its converter labelled it L2 (lead, 23;
    docs/data.md, "Formats"); "" for any other store (fix29a: ``mmsim queue-score`` suggested an L3 store of the
    very source the store came from, with no word of why it is not one)."""
    if not mbo_as_l2(meta):
        return ""
    files = ", ".join(map(str, meta.get("source") or ())) or "its files"
    n = meta.get("event_count")
    count = f"{n:,}" if isinstance(n, int) else n
    return (f"; this store was converted from a {meta['format']} (market-by-order) source ({files}), but none of its "
            f"{count} events is an order event ({L3_KIND_NAMES}): a window of trades and status only "
            "is labelled L2 (docs/data.md, \"Formats\"); convert a window of the source that holds orders")


def implied_problem(v: object) -> str | None:
    """Why ``v`` is not a ``trade_implied_book`` (a mapping of exactly the four counts ``prints``, ``hidden``,
    ``reduced``, ``restored``, each a non-negative integer), else None: the words after the key in a message
    (``is 'yes', not a mapping of the four counts ...``). One rule where a store is loaded (:func:`check_meta`),
    exported and where an ``.npz`` is imported."""
    if (not isinstance(v, dict) or sorted(v) != sorted(IMPLIED_COUNTS)
            or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in v.values())):
        return (f"is {v!r}, not a mapping of the four counts {', '.join(IMPLIED_COUNTS)} "
                "(non-negative integers)")
    return None


#: The store's ``meta.json`` quirk of TRADE prints through the book (``mmsim.data._store_write.through_book_quirk``).
THROUGH = "prints_through_book"


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


#: A ``prints_through_book`` quirk's keys, in its order, each with its rule (the words of a refusal).
_THROUGH_RULES: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("count", "a positive integer", lambda v: _int64(v) and v >= 1),
    ("band", "a fraction in (0, 1]", lambda v: _real(v) and 0 < v <= 1),
    ("event", "a non-negative integer (an event index)", lambda v: _int64(v) and v >= 0),
    ("at", "a string ('FILE: line N') or null", lambda v: v is None or isinstance(v, str)),
    ("side", "-1, 0 or 1", lambda v: _int64(v) and v in (-1, 0, 1)),
    ("price", "a string (the price as written)", lambda v: isinstance(v, str)),
    ("best", "a string (the price as written)", lambda v: isinstance(v, str)),
    ("price_ticks", "an integer (ticks)", _int64),
    ("best_ticks", "an integer (ticks)", _int64),
)


#: The key a ``prints_through_book`` quirk has, ``true``, when its prints were dropped from the events
#: (``drop_prints_through_book``: ``mmsim.data._drop_through``), and its rule; left out when they were kept.
DROPPED = ("dropped", "true (the key is left out when the prints were kept)")


def through_problem(v: object, event_count: object = None) -> str | None:
    """Why ``v`` is not a ``prints_through_book`` quirk (a mapping of exactly its nine keys, each by its rule in
    :data:`_THROUGH_RULES`, and :data:`DROPPED`'s key, ``True``, when the prints were dropped), else None: the words
    after the key in a message (``is 'yes', not a mapping ...``, ``count is '5', not a positive integer``,
    ``dropped is 'yes', not true ...``, ``lacks 'count' (its keys must be ...; it has Count)``). A hand-edited one
    showed defaults or no row in the report. With ``event_count`` (the store's, an integer) a quirk of prints the
    events still hold (not ``dropped``) is also one of them: its ``event`` an index below ``event_count`` and its
    ``count`` at most ``event_count`` (fix26a: ``"event": 999`` of a 12-event store loaded). A dropped quirk's
    ``event`` and ``count`` are of the events before the drop: its ``event`` is below ``event_count + count``
    (fix32a). Either's print is through the book by its own record (:func:`_not_through`)."""
    names = [k for k, _, _ in _THROUGH_RULES]
    if not isinstance(v, dict):
        return f"is {v!r}, not a mapping of {', '.join(names)} (docs/data.md, \"Prints through the book\")"
    must = f"its keys must be {', '.join(names)}, and {DROPPED[0]} when its prints were dropped"
    if missing := [k for k in names if k not in v]:  # the keys it has, as written ({} has none: fix26a)
        has = ", ".join(map(str, v)) or "none"
        return f"lacks {', '.join(map(repr, missing))} ({must}; it has {has})"
    if extra := sorted(k for k in v if k not in names and k != DROPPED[0]):
        return f"has the unknown key {extra[0]!r} ({must})"
    for key, rule, ok in _THROUGH_RULES:
        if not ok(v[key]):
            return f"{key} is {v[key]!r}, not {rule}"
    if DROPPED[0] in v and v[DROPPED[0]] is not True:
        return f"{DROPPED[0]} is {v[DROPPED[0]]!r}, not {DROPPED[1]}"
    if _int64(event_count) and DROPPED[0] not in v:
        if v["event"] >= event_count:  # type: ignore[operator]
            return f"event is {v['event']}, not an index of the store's {event_count} events (event_count)"
        if v["count"] > event_count:  # type: ignore[operator]
            return f"count is {v['count']}, more prints than the store's {event_count} events (event_count)"
    if _int64(event_count) and DROPPED[0] in v and v["event"] >= (before := event_count + v["count"]):  # type: ignore
        return (f"event is {v['event']}, not an index of the {before} events before the drop (the store's "
                f"{event_count}, event_count, and the {v['count']} prints dropped, count)")
    return _not_through(v)


def _not_through(v: dict[str, Any]) -> str | None:
    """Why a ``prints_through_book`` record's first print, by its own ``side``, ``price_ticks``, ``best_ticks`` and
    ``band``, is not through the book, else None (fix32a: a dropped record's flipped side loaded and was described as
    a buy at 1.00 with the best ask at 61829.76). The engine's rule and arithmetic (``prints_through_book`` in
    ``cpp/src/engine.cpp``): the distance through the best (> 0) more than ``band`` times the best, in long double."""
    p, b, side, f = v["price_ticks"], v["best_ticks"], v["side"], np.longdouble(float(v["band"]))

    def far(dist: int) -> bool:
        return b > 0 and dist > 0 and bool(np.longdouble(dist) > f * np.longdouble(b))

    if far(b - p) if side == -1 else far(p - b) if side == 1 else far(b - p) or far(p - b):
        return None
    way = {-1: "(a sell), but price_ticks {} is not below best_ticks {} (the best bid)",
           1: "(a buy), but price_ticks {} is not above best_ticks {} (the best ask)",
           0: "(no known aggressor), but price_ticks {} is neither below nor above best_ticks {}"}[side].format(p, b)
    return f"side is {side} {way} by more than band {v['band']} times it: not a print through the book"


def check_digest(meta: Mapping[str, Any], meta_path: Path) -> None:
    """A ``meta.json``'s content digest, when it has one (stores written before it have none), is of its form."""
    if DIGEST_KEY in meta and (why := digest_problem(meta[DIGEST_KEY])) is not None:
        raise DataError(f"{meta_path}: key {DIGEST_KEY!r} {why}")


#: Names ``zoneinfo.available_timezones()`` lists that are files of the zone database, not zones (``localtime``: this
#: machine's; ``Factory``: "Local time zone must be set"; ``posixrules``: the rule for POSIX TZ strings).
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def known_zone(name: Any) -> bool:
    """``name`` an IANA time zone name: one of ``zoneinfo.available_timezones()`` (this machine's zone database and
    the ``tzdata`` package) but the database's files that are not zones (``localtime``, ``Factory``, ``posixrules``;
    ``right/UTC`` and ``posix/UTC`` are not listed), or ``UTC`` (where no database is installed). The one rule of a
    store's ``meta.json`` as written and of an ``.npz``'s ``mmsim_meta`` (breaker16d)."""
    return isinstance(name, str) and (name == "UTC" or name in _zones())


#: How a zone :func:`known_zone` refuses is described.
ZONE_RULE = "an IANA time zone name (such as 'UTC' or 'America/Chicago')"


def check_zone(meta: Mapping[str, Any], meta_path: Path) -> None:
    """A store's ``time_zone``, when it has one, where it is written, loaded (a hand-edited ``meta.json``) or exported,
    by :func:`known_zone`: mmsim writes and opens no store whose ``.npz`` export it would refuse to import."""
    if "time_zone" in meta and not known_zone(meta["time_zone"]):
        raise DataError(f"{meta_path}: key 'time_zone' must be {ZONE_RULE}, got {meta['time_zone']!r}")


#: Digests of ``events.npy`` files already verified in this process, by the file as it was when hashed (path, inode,
#: mtime, ctime, size: :func:`_cache_key`, only while it is the inode its map was opened from) and the bytes of the map
#: hashed (offset, length): a sweep's workers or a report after a compare read one store once.
_VERIFIED: dict[tuple[Any, ...], str] = {}

#: The file each memory map was opened from (its ``mmap.mmap`` -> path and stat before the open), by :func:`note_opened`.
_OPENED: weakref.WeakKeyDictionary[Any, tuple[str, int, int, int, int]] = weakref.WeakKeyDictionary()


def note_opened(events: np.ndarray, path: Path, st: os.stat_result) -> None:
    """Record that ``events`` (a memory map) was opened from ``path``, whose ``os.stat`` taken *before* the open was
    ``st``. The digest cache uses a map's hash only while the file at ``path`` is still that inode: a file replaced
    between a store's open and its check was hashed as the old map and filed under the new file, which every later
    open then took as verified (breaker17d). Stat before the open errs the safe way: a file replaced between the stat
    and the open has another inode than the one recorded, and is hashed every time."""
    mm = getattr(events, "_mmap", None)
    if mm is not None:
        _OPENED[mm] = (str(path.resolve()), st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


def _cache_key(events: np.ndarray) -> tuple[Any, ...] | None:
    """The cache key of ``events``: its file as it is now, when that is still the file the map was opened from
    (:func:`note_opened`: the same inode, so the map shows the file's bytes), and which bytes of the map it is (a
    slice of a store is hashed, and cached, apart from the store); None for an array not opened so, or whose file
    was replaced since (hashed every time). The stat is taken now, not kept from the open: an edit in place since
    (the map shows it) changes the ctime, and the map is hashed again (breaker17e)."""
    mm = getattr(events, "_mmap", None)
    opened = _OPENED.get(mm) if mm is not None else None
    if mm is None or opened is None or not events.flags.c_contiguous:
        return None
    try:
        st = os.stat(opened[0])
    except OSError:
        return None
    if st.st_ino != opened[1]:
        return None
    base = np.frombuffer(mm, dtype=np.uint8).__array_interface__["data"][0]
    return (opened[0], st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size,
            events.__array_interface__["data"][0] - base, events.nbytes)


def cut_short(events: np.ndarray) -> str | None:
    """Why the memory map ``events`` cannot be read (its file, still the inode it was opened from, is shorter now
    than when it was opened: truncated in place since, so reading past its new end would kill the process with
    SIGBUS), else None (an array not opened by :func:`note_opened`, a file replaced or gone: the map holds the old
    bytes)."""
    mm = getattr(events, "_mmap", None)
    opened = _OPENED.get(mm) if mm is not None else None
    if opened is None:
        return None
    try:
        st = os.stat(opened[0])
    except OSError:
        return None
    if st.st_ino != opened[1] or st.st_size >= opened[4]:
        return None
    return (f"{opened[0]} is {st.st_size} bytes, {opened[4]} when the store was opened: cut short since (its memory "
            "map cannot be read past the new end); open the store again (mmsim.load)")


def _padding(dtype: np.dtype) -> list[tuple[int, int]]:
    """The byte ranges ``[a, b)`` of a record of ``dtype`` that no field covers (EVENT_DTYPE's 42-48, after ``side``)."""
    used = np.zeros(dtype.itemsize, dtype=bool)
    for f in (dtype.fields or {}).values():
        used[f[1]:f[1] + f[0].itemsize] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([True], used, [True])).astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def array_digest(events: np.ndarray, chunk: int = 1 << 18) -> str:
    """``events_digest`` of an event array (a store's memory map): the SHA-256 of its bytes, its records' padding
    read as zeros, as a store writes it; the store writer's digest at close is this of its file
    (``_store_write.events_digest``). Padding counts as zeros whatever it holds: numpy's copy of a structured
    array (``np.array(store.events)``) leaves it undefined, and its digest differed from the store's, so
    ``mmsim.run`` of a store holding such a copy would refuse it as edited. A chunk is copied (to zero its padding)
    only when its padding is not zero already: a store's file is hashed in place."""
    h = hashlib.sha256()
    pad = _padding(events.dtype) if events.dtype.fields else []
    for i in range(0, len(events), chunk):
        c = np.ascontiguousarray(events[i:i + chunk])
        b = c.view(np.uint8).reshape(len(c), c.dtype.itemsize)
        if any(b[:, lo:hi].any() for lo, hi in pad):
            b = b.copy()
            for lo, hi in pad:
                b[:, lo:hi] = 0
        h.update(b.data if b.flags.c_contiguous else np.ascontiguousarray(b).data)
    return f"sha256:{h.hexdigest()}"


def verify_digest(events: np.ndarray, meta: Mapping[str, Any], meta_path: Path) -> None:
    """Refuse a store whose events are not the ones its ``meta.json``'s digest was computed from (an ``events.npy``
    edited, or replaced, under its old ``meta.json``): where a store tells whether it is the data a run replayed
    (``mmsim compare``'s and a report's store check), the digest is recomputed from ``events`` (the store's events
    as opened, ``meta_path``'s ``events.npy``), not trusted (breaker16d). One pass over the events (the AMZN store's
    3.8 MB: about 5 ms), once per file version in a process. A store without a digest (written before npz16) is not
    checked; a malformed one is refused naming ``meta_path`` and the key. ``events`` of another length than the
    store's ``event_count`` (a slice of it given as the store, or an ``events.npy`` grown or cut under its
    ``meta.json``) is refused naming both counts and both remedies, not hashed: a slice was called an ``events.npy``
    "changed since the store was written" (breaker18a). A store whose ``events.npy`` was cut short
    in place since it was opened (:func:`cut_short`) is refused, digest or none: reading its map past the new end
    killed the process with SIGBUS (breaker18a). A store whose ``levels`` says L2 but whose events hold an order
    event is refused, digest or none (:func:`check_levels`; scale24), and one labelled L3 whose events hold none
    (fix26a); then the keys that describe single events, read in O(1) (:func:`check_recorded`; fix26a). Before the
    levels, ``meta``'s keys that say what the events mean against its ``meta_digest`` (:func:`check_meaning`)."""
    if (why := cut_short(events)) is not None:
        raise DataError(why)
    check_meaning(meta, str(meta_path))  # before the levels: a 'levels' edited by hand is named as edited
    check_levels(events, meta, str(meta_path))
    if DIGEST_KEY not in meta:
        check_recorded(events, meta, str(meta_path))
        return
    check_digest(meta, meta_path)
    ev_path = meta_path.parent / "events.npy"
    if isinstance(events, np.memmap) and events.filename:  # the file opened (an .npy beside a meta.json, too)
        if Path(events.filename) != ev_path.resolve():
            ev_path = Path(events.filename)
    _compare(  # a count that differs is a part of the store (or a file grown or cut), not the file edited
        events, meta,
        lambda k, n: (f"{ev_path}: {k} events given, {meta_path.name} says the store holds {n}: not the events its "
                      f"{DIGEST_KEY} is of (a part of a store replays as an array, mmsim.run(store.events[a:b], ...); "
                      "an events.npy changed since the store was written is written again from its source: "
                      f"{_remedy(meta)})"),
        lambda got, want: (f"{ev_path} changed since the store was written: its SHA-256 is {got}…, "
                           f"{meta_path.name}'s {DIGEST_KEY} says {want}…; these are not the events the store was "
                           f"written with (write it again from its source: {_remedy(meta)})"))
    check_recorded(events, meta, str(meta_path))  # after the digest: an edited events.npy is named so first


def _compare(events: np.ndarray, meta: Mapping[str, Any], count_fault: Callable[[int, int], str],
             digest_fault: Callable[[str, str], str]) -> None:
    """The check :func:`verify_digest` and :func:`verify_given` share: ``events`` of another length than ``meta``'s
    ``event_count`` is refused with ``count_fault(given, count)``, not hashed; then events whose digest
    (:func:`_digest_of`) is not ``meta``'s ``events_digest`` with ``digest_fault(got, want)``, each the digest's first
    16 hex digits. The caller says how to name the events (the file, or events given with a store's meta)."""
    n = meta.get("event_count")
    if isinstance(n, int) and not isinstance(n, bool) and len(events) != n:
        raise DataError(count_fault(len(events), n))
    want = meta[DIGEST_KEY]
    got = _digest_of(events, want)
    if got != want:
        raise DataError(digest_fault(got[7:23], want[7:23]))


def _remedy(meta: Mapping[str, Any]) -> str:
    """The command that writes a store again from its source: ``mmsim synth`` for a synthetic store (its settings are
    meta.json's ``synth``; there is no file to convert: newcomer18), ``mmsim convert`` for any other."""
    return "mmsim synth" if meta.get("source") == "mmsim.synth" or "synth" in meta else "mmsim convert"


def _digest_of(events: np.ndarray, want: str) -> str:
    """:func:`array_digest` of ``events``, once per file version for a store's memory map (:func:`_cache_key`) whose
    digest is ``want``: a digest that is not is never cached, so an edit refused, then undone through a writable
    map (which changes no stat), runs again (breaker18a)."""
    key = _cache_key(events)
    got = _VERIFIED.get(key) if key else None
    if got is None:
        got = array_digest(events)
        if key and got == want and _cache_key(events) == key:  # the file unchanged while it was hashed
            _VERIFIED[key] = got
    return got


_AS_GIVEN = "give the events alone, as an array, to replay them as given"


def verify_given(events: np.ndarray, meta: Mapping[str, Any]) -> None:
    """:func:`verify_digest` of events given with a store's meta but no path (an object with ``events`` and ``meta``:
    a user's wrapper of a store's events): its ``events_digest`` was carried into the result unverified, so runs of
    other events compared as the store's (breaker18a). Refused naming both digests (or both counts); without a
    digest nothing is checked. A copy in memory is hashed at each call."""
    check_meaning(meta, "the meta given with the events")
    check_levels(events, meta, "the meta given with the events")
    if DIGEST_KEY not in meta:
        check_recorded(events, meta, "the meta given with the events")
        return
    if (why := digest_problem(meta[DIGEST_KEY])) is not None:
        raise DataError(f"the meta given with the events: key {DIGEST_KEY!r} {why}")
    _compare(
        events, meta,
        lambda k, n: (f"{k} events given with a store's meta, which says the store holds {n}: not the events its "
                      f"{DIGEST_KEY} is of ({_AS_GIVEN})"),
        lambda got, want: (f"events given with a store's meta but no path: its SHA-256 is {got}…, meta.json's "
                           f"{DIGEST_KEY} says {want}…; these are not the events the meta describes ({_AS_GIVEN})"))
    check_recorded(events, meta, "the meta given with the events")


#: First order event (index, kind) of each ``events.npy`` file version already scanned (:func:`_cache_key`), None
#: when it holds none: a store's events are scanned once per process, as they are hashed once.
_FIRST_ORDER: dict[tuple[Any, ...], tuple[int, int] | None] = {}


def first_order_event(events: np.ndarray, chunk: int = 1 << 22) -> tuple[int, int] | None:
    """(index, kind) of the first L3 order event (``ADD``, ``CANCEL``, ``DELETE``, ``EXECUTE``: :data:`L3_KINDS`)
    of ``events``, None when there is none. A vectorized pass over the ``kind`` column (one byte a record) in chunks
    of 4M events, stopping at the first found; once per file version for a store's memory map (:func:`_cache_key`)."""
    key = _cache_key(events)
    if key is not None and key in _FIRST_ORDER:
        return _FIRST_ORDER[key]
    kinds = events["kind"]
    found: tuple[int, int] | None = None
    for i in range(0, len(kinds), chunk):
        k = np.asarray(kinds[i:i + chunk])
        hit = np.flatnonzero(is_order_event(k))
        if len(hit):
            found = (i + int(hit[0]), int(k[hit[0]]))
            break
    if key is not None and _cache_key(events) == key:
        _FIRST_ORDER[key] = found
    return found


def check_levels(events: np.ndarray, meta: Mapping[str, Any], where: str) -> None:
    """Refuse events whose store's ``meta.json`` says ``"levels": "L2"`` (market-by-price) while they hold an order
    event (:func:`first_order_event`): an L3 store relabelled L2 replayed as before (the engine tells L3 data by its
    ``ADD`` events), but its report named the L2 queue model instead of the exact FIFO it used, and ``mmsim
    queue-score`` refused it as L2 data (breaker24). ``where`` names the meta (its path). The reverse is refused
    too, for a store of no order event at all: labelled L3, it replayed as L2 data (the L2 queue model), and its
    report said "queue exact FIFO (L3 data; the L2 model ... is not used)" (fix26a); an L3 store may still hold
    ``DEPTH`` events beside its order events (an hftbacktest L3 file's depth rows, docs/data.md), and an empty one is
    not refused. Costs one pass over the ``kind`` column (for an L3 store, up to its first order event), where a
    store's events are verified (a run's start, ``mmsim compare``, a report): cached per file version."""
    if meta.get("levels") == "L3" and len(events):
        if first_order_event(events) is None:
            raise DataError(f"{where}: key 'levels' is 'L3' (market-by-order), but none of its {len(events)} events "
                            f"is an order event ({L3_KIND_NAMES}): the engine replays "
                            "them as L2 data, with the L2 queue model (a report named the exact FIFO it did not use); "
                            "a store of them is labelled 'L2'")
    if meta.get("levels") != "L2":
        return
    found = first_order_event(events)
    if found is not None:
        i, kind = found
        raise DataError(f"{where}: key 'levels' is 'L2' (market-by-price), but event {i} is an {Kind(kind).name} "
                        "(market-by-order): the store's events are L3 data; its levels is 'L3' (an L2 store of them "
                        "is mmsim.data.to_l2's)")


def check_recorded(events: np.ndarray, meta: Mapping[str, Any], where: str) -> None:
    """Refuse a ``meta.json`` whose keys that describe single events disagree with them, read in O(1) (one record
    each): ``first_exch_ts`` and ``last_exch_ts`` must be the ``exch_ts`` of the first and last event (null for no
    events), and a ``prints_through_book`` quirk of prints the events hold (not ``dropped``) must name, by its
    ``event``, a TRADE at its ``price_ticks`` (fix26a: a hand-edited one loaded, and the report said so). ``events``
    of another length than ``event_count`` are not checked (their count is the caller's message). ``where`` names the
    meta (its path). A quirk's ``count`` is what the store's writer counted: only a replay would recount it
    (``mmsim.replay.prints_through_book``), and a load does not."""
    n = len(events)
    if meta.get("event_count") != n:
        return
    for key, i in (("first_exch_ts", 0), ("last_exch_ts", n - 1)):
        v = meta.get(key)
        got = int(events["exch_ts"][i]) if n else None
        if key in meta and v != got:
            at = f"event {i}'s exch_ts is {got}" if n else "the store holds no events (null)"
            raise DataError(f"{where}: key {key!r} is {v!r}, but {at}: meta.json does not describe its events "
                            f"(edited by hand, or its events.npy changed since; write the store again from its "
                            f"source: {_remedy(meta)})" + (ROUNDED if rounded_by_double(v, got) else ""))
    q = (meta.get("quirks") or {}).get(THROUGH) if isinstance(meta.get("quirks"), Mapping) else None
    if isinstance(q, Mapping) and through_problem(q, n) is None and DROPPED[0] not in q:
        e = events[q["event"]]
        if int(e["kind"]) != int(Kind.TRADE) or int(e["price"]) != q["price_ticks"]:
            raise DataError(f"{where}: key 'quirks.{THROUGH}' event is {q['event']}, but that event is a "
                            f"{Kind(int(e['kind'])).name} at {int(e['price'])} ticks, not the TRADE at price_ticks "
                            f"{q['price_ticks']} it describes")
        if int(e["side"]) != q["side"]:  # lead, 24: a hand-edited side was shown as the print's in the report
            raise DataError(f"{where}: key 'quirks.{THROUGH}' side is {q['side']}, but event {q['event']}, the TRADE "
                            f"it describes, has aggressor side {int(e['side'])}")


def verify_store(store: Any) -> None:
    """:func:`verify_digest` of an opened store (:class:`mmsim.data.store.EventStore`): where a command reads a
    store to write another store or file from it (``mmsim.data.trade_implied``, the hftbacktest ``.npz`` export), so
    an ``events.npy`` edited under its ``meta.json`` digest is refused, naming the file, not written out under a
    fresh, valid digest (newcomer17). Raises :class:`mmsim.DataError` with :func:`verify_digest`'s message."""
    verify_digest(store.events, store.meta, Path(store.path) / "meta.json")


#: The Databento loader's quirk of records flagged ``F_MAYBE_BAD_BOOK`` (fix30c): ``{"count": n, "at": "FILE: record
#: N"}`` of the first (null when there is none); ``mmsim.report.setup.maybe_bad_label`` words it.
MAYBE_BAD = "maybe_bad_book"


def bad_book_problem(v: object) -> str | None:
    """Why ``v`` is not a ``maybe_bad_book`` quirk (a mapping of exactly ``count``, a non-negative integer, and ``at``,
    the first flagged record's ``"FILE: record N"``, null exactly when ``count`` is 0), else None: the words after
    the key in a message. A hand-edited ``"count": "5"`` showed no row in the report and no convert warning, as if
    no record had been flagged (lead, 24)."""
    rule = ('a mapping of count (a non-negative integer) and at (the first flagged record, "FILE: record N", null '
            'when count is 0)')
    if not isinstance(v, dict) or set(v) != {"count", "at"}:
        return f"is {v!r}, not {rule}"
    n, at = v["count"], v["at"]
    if not _int64(n) or n < 0:
        return f"count is {n!r}, not a non-negative integer"
    if (at is None) != (n == 0) or not (at is None or isinstance(at, str)):
        return f"at is {at!r} with count {n}, not {rule}"
    return None


def quirks_problem(quirks: Mapping[str, Any], event_count: object, span: object = None) -> tuple[str, str] | None:
    """The first of a store's ``quirks`` whose form is wrong, as (its key, why: :func:`implied_problem`,
    :func:`through_problem` with ``event_count``, :func:`jump_problem`, :func:`bad_book_problem`), else None: one rule
    for a store's ``meta.json``
    (:func:`check_meta`) and a result's copy of it (``mmsim.Result.load``). The trade-implied quirk's is the
    export's and the import's rule (a store whose export is refused does not load: breaker17d); a hand-edited
    ``prints_through_book`` was the report's row (25). ``span``: the store's ``last_exch_ts - first_exch_ts`` (None:
    unknown), for :func:`jump_problem`, whose jump was found before any print through the book was dropped: then
    its events are bounded by ``event_count`` plus those dropped, and its span not at all (a print dropped may have
    been the store's first or last event)."""
    if QUIRK in quirks and (why := implied_problem(quirks[QUIRK])) is not None:
        return QUIRK, why
    if THROUGH in quirks and (why := through_problem(quirks[THROUGH], event_count)) is not None:
        return THROUGH, why
    if TIME_JUMP in quirks:
        through, dropped = quirks.get(THROUGH), 0
        if isinstance(through, dict) and DROPPED[0] in through:
            dropped, span = through["count"], None
        if (why := jump_problem(quirks[TIME_JUMP], event_count, span, dropped)) is not None:
            return TIME_JUMP, why
    if MAYBE_BAD in quirks and (why := bad_book_problem(quirks[MAYBE_BAD])) is not None:
        return MAYBE_BAD, why
    return None


def check_meta(meta: dict[str, Any], meta_path: Path, *, given: bool = False) -> None:
    """Type and range of the keys a replay reads, and ``time_zone`` an IANA zone (:func:`check_zone`); each fault
    names the key. ``tick_size``, ``lot_size`` and ``contract_size`` are numbers from 1e-12 to 1e12
    (:func:`mmsim._scales.unit_problem`, the bounds of :class:`mmsim.Config`'s keys). ``given``: the meta a store's
    writer was given, whose ``prints_through_book`` is replaced by the events' own (a copy of another store's, of
    an ``event`` past these events, is not refused: only its form is checked); else its ``event`` and ``count`` are
    bounded by ``event_count`` (:func:`through_problem`)."""
    for key in ("tick_size", "lot_size", "contract_size"):
        if (why := unit_problem(meta[key])) is not None:  # the bounds of Config's and synth's (scale24)
            raise DataError(f"{meta_path}: key {key!r} {why}")
    if meta["levels"] not in ("L2", "L3"):
        raise DataError(f"{meta_path}: key 'levels' must be 'L2' or 'L3', got {meta['levels']!r}")
    n = meta["event_count"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise DataError(f"{meta_path}: key 'event_count' must be a non-negative integer, got {n!r}")
    if not isinstance(meta["local_ts_recorded"], bool):
        raise DataError(
            f"{meta_path}: key 'local_ts_recorded' must be true or false, got {meta['local_ts_recorded']!r}"
        )
    if not isinstance(meta["quirks"], dict):
        raise DataError(f"{meta_path}: key 'quirks' must be a JSON object, got {meta['quirks']!r}")
    first, last = meta["first_exch_ts"], meta["last_exch_ts"]
    span = last - first if _int64(first) and _int64(last) else None
    if (bad := quirks_problem(meta["quirks"], None if given else n, None if given else span)) is not None:
        raise DataError(f"{meta_path}: key 'quirks.{bad[0]}' {bad[1]}")
    for key in ("symbol", "venue", "time_zone"):
        if not isinstance(meta[key], str):
            raise DataError(f"{meta_path}: key {key!r} must be a string, got {meta[key]!r}")
    for key in ("first_exch_ts", "last_exch_ts"):
        v = meta[key]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise DataError(f"{meta_path}: key {key!r} must be an integer (ns) or null, got {v!r}")
    check_digest(meta, meta_path)
    check_zone(meta, meta_path)  # the writer's and the .npz import's rule, a hand-edited meta.json too (17)
    if not given:  # the writer computes it from the meta it was given
        check_meaning(meta, str(meta_path))


def check_meaning(meta: Mapping[str, Any], where: str) -> None:
    """Refuse a store's meta whose ``meta_digest`` (:mod:`._meta_digest`, written with the store) does not match the
    keys that say what its events mean (``tick_size`` edited by hand: fix34c), naming ``where`` (its ``meta.json``)
    and the key; a meta without one (a store written before it) is not checked. Where a store is loaded, and where
    its events are verified (a store's ``meta`` changed in memory since)."""
    if (bad := meaning_problem(meta)) is not None:
        raise DataError(f"{where}: key {bad[0]!r} {bad[1]}; write the store again from its source: "
                        f"{_remedy(meta)}{remedy_flag(bad[0], _remedy(meta))}")
