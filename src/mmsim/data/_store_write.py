"""Private helpers of the event store writer: the fixed ``.npy`` header, the target's state, paths beside it, the replay check."""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import struct
from decimal import Decimal
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import is_current_folder, move_entries, output_target
from ..errors import DataError
from ..events import EVENT_DTYPE, L3_KIND_NAMES, Kind, is_order_event
from ._common import RECV_WINDOW_NS, late_time, seconds_over
from ._identity import THROUGH as THROUGH_QUIRK  # the quirks key of :func:`through_book_quirk`
from ._identity import array_digest, check_levels

#: Source positions are packed with the source's index, from 1: ``(source << ROW_BITS) | row``.
ROW_BITS = 48
ROW_MASK = (1 << ROW_BITS) - 1

#: How far a store's ``local_ts`` may go back (its events are in exchange order): a loader's 10 s receive window
#: plus its 10 s exchange-time window. Writing or loading a store that goes back more is an error.
STORE_RECV_WINDOW_NS = 2 * RECV_WINDOW_NS


def late_message(t: int, j: int, top: int) -> str:
    """Why a ``local_ts`` of ``t``, more than :data:`STORE_RECV_WINDOW_NS` before event ``j``'s ``top``, is refused."""
    return (f"local_ts {t} is {seconds_over(top - t, STORE_RECV_WINDOW_NS)} s before event {j}'s ({top}); a store's "
            "receive times go back at most 20 s (a loader refuses more than 10 s in a file), so one of the two is "
            "wrong: under feed: recorded every event between them would wait for the later one")

#: How much further behind its exchange time than nearly every other line the line that sets the recorder-clock
#: shift may be: more is a wrong receive time, refused (network latency varies by milliseconds between the lines a
#: live capture receives fastest; a clock behind the venue's is behind on every line).
CLOCK_OUTLIER_NS = 1_000_000_000


def check_receive_times(ev_path: Path, chunks: Callable[[], Iterator[np.ndarray]]) -> None:
    """Refuse a store whose ``local_ts`` goes back more than :data:`STORE_RECV_WINDOW_NS` (a store edited by hand):
    ``chunks()`` its events in order, in slices; one pass over the column, every load (``mmsim.load``)."""
    late = late_time((w["local_ts"] for w in chunks()), STORE_RECV_WINDOW_NS)
    if late is not None:
        raise DataError(f"{ev_path}: event {late[0]}: {late_message(*late[1:])}")


def clock_outlier(ev_path: Path, rows_path: Path, count: int, unit: Callable[[int], str] = lambda _: "line",
                  chunk: int = 1 << 20, inferred: Collection[int] = ()) -> tuple[int, str] | None:
    """Whether the recorder-clock shift is set by a few lines far beyond what the rest of the store needs.

    ``ev_path`` holds the ``count`` events written (``exch_ts``, ``local_ts``), ``rows_path`` their packed
    source positions, ``unit(packed)`` what a position of that file is called (``"line"``, ``"record"``). A line's
    need is ``exch_ts - local_ts``; consecutive events of one line, or with the same exchange and receive times
    (one message received at once: a Tardis snapshot's rows, an hftbacktest snapshot's records), count as one
    line, so a snapshot's thousand levels count once. The shift
    is the largest need; what the rest need is the largest need once the ``k`` lines most behind are
    left out, ``k`` = 10% of the lines, at least 3, never all (at most ``lines - 1``). Returns None
    when the shift is at most :data:`CLOCK_OUTLIER_NS` beyond that, else (packed source position of
    the event most behind, why it is refused). Events at the packed positions ``inferred`` (exchange times a
    loader inferred) are never the one named.
    """
    ev = np.memmap(ev_path, dtype=EVENT_DTYPE, mode="r", offset=_HEADER_LEN, shape=(count,))
    rows = np.memmap(rows_path, dtype=np.int64, mode="r", shape=(count,))

    def needs(i: int) -> np.ndarray:  # one value per line (the events of rows[i:i + chunk])
        lo = max(i - 1, 0)  # the event before the chunk, to tell whether the chunk's first starts a line
        r, x, t = rows[lo:i + chunk], ev["exch_ts"][lo:i + chunk], ev["local_ts"][lo:i + chunk]
        new = np.ones(len(r), bool)
        new[1:] = ((r[1:] != r[:-1]) | (r[1:] < 0)) & ((x[1:] != x[:-1]) | (t[1:] != t[:-1]))
        if i:
            new = new[1:]
        return np.maximum.reduceat((x - t)[i - lo:], np.flatnonzero(new))

    lines = sum(len(needs(i)) for i in range(0, len(ev), chunk))
    k = min(max(3, lines // 10), lines - 1)
    top, best, at = np.zeros(0, np.int64), 0, -1
    for i in range(0, len(ev), chunk):
        d = needs(i)
        top = np.sort(np.concatenate([top, np.partition(d, -min(k + 1, len(d)))[-(k + 1):]]))[-(k + 1):]
        gap = ev["exch_ts"][i:i + chunk] - ev["local_ts"][i:i + chunk]
        if inferred:
            gap = np.where(np.isin(rows[i:i + chunk], list(inferred)), np.iinfo(np.int64).min, gap)
        if int(gap.max()) > best:
            at = i + int(gap.argmax())
            best = int(gap[at - i])
    rest = max(int(top[0]), 0) if len(top) else 0
    if at < 0 or best - rest <= CLOCK_OUTLIER_NS:
        return None
    exch, local, u = int(ev["exch_ts"][at]), int(ev["local_ts"][at]), unit(int(rows[at]))
    need = f"at most +{seconds_over(rest, 0)} s" if rest else "none"
    far = sum(int((needs(i) > rest + CLOCK_OUTLIER_NS).sum()) for i in range(0, len(ev), chunk))
    fix = (f"fix or remove the {u}" if far == 1 else
           f"{far} {u}s are more than {seconds_over(CLOCK_OUTLIER_NS, 0)} s beyond the rest (this one the most): "
           f"fix or remove them (a recorder clock that stepped back: convert the {u}s before and after the step apart)")
    return int(rows[at]), (f"receive time {local} is {seconds_over(best, 0)} s before the exchange time ({exch}); shifting every "
                f"receive time by +{seconds_over(best, 0)} s for it is {seconds_over(best - rest, CLOCK_OUTLIER_NS)} s "
                f"more than every {u} but the {k} most behind needs ({need}): a wrong receive time, not a "
                f"recorder clock behind the venue's (that is behind on nearly every {u}); {fix}")



def _data_bytes() -> np.ndarray:
    """0xFF at each byte of an ``EVENT_DTYPE`` record a field covers, 0 at its padding."""
    mask = np.zeros(EVENT_DTYPE.itemsize, np.uint8)
    fields: Any = EVENT_DTYPE.fields or {}
    for name in EVENT_DTYPE.names or ():
        sub, offset = fields[name][:2]
        mask[offset:offset + sub.itemsize] = 0xFF
    return mask


#: A record's data bytes (:func:`_data_bytes`): what a writer keeps of a chunk (its padding zeroed).
DATA_BYTES = _data_bytes()


def events_digest(ev_path: Path, count: int) -> str:
    """The content digest of the ``count`` events of ``ev_path`` (a store's ``events.npy``, as written: padding
    bytes zeroed): :func:`mmsim.data._identity.array_digest` of the file's events, the one computation that
    ``mmsim compare`` checks a store with. One more pass over the file at close (the AMZN store's 3.8 MB: 4-6 ms of
    a 1.5-1.9 s conversion). Two stores with it equal hold the same events, event for event, whatever their source."""
    if count == 0:  # (a memory map of no bytes cannot be made)
        return array_digest(np.zeros(0, dtype=EVENT_DTYPE))
    return array_digest(np.memmap(ev_path, dtype=EVENT_DTYPE, mode="r", offset=_HEADER_LEN, shape=(count,)))


# A fixed header length lets the writer rewrite the shape in place at close
# whatever the final count (``.npy`` format version 1.0: 10-byte preamble).
_HEADER_LEN = 256
_MAGIC = b"\x93NUMPY\x01\x00"


def _npy_header(n: int) -> bytes:
    d = {
        "descr": np.lib.format.dtype_to_descr(EVENT_DTYPE),
        "fortran_order": False,
        "shape": (int(n),),
    }
    body = repr(d).encode("latin1")
    pad = _HEADER_LEN - len(_MAGIC) - 2 - len(body) - 1
    if pad < 0:  # pragma: no cover - the dtype is fixed and short
        raise AssertionError("event dtype descr too long for the fixed header")
    body = body + b" " * pad + b"\n"
    return _MAGIC + struct.pack("<H", len(body)) + body


_STORE_NAMES = {"events.npy", "meta.json"}


# The end of the message refusing an existing store; ``mmsim convert`` says ``--force`` instead.
FORCE_HINT = "pass force=True to replace it"


def _target_state(path: Path, force: bool) -> str:
    """``"new"``, ``"empty"`` (an empty directory) or ``"replace"`` for a store written at ``path``; raises when refused.

    ``path`` is looked at where it leads (:func:`mmsim._paths.output_target`, the rule of ``mmsim run``'s output
    too): ``.`` is the current folder, a symbolic link is followed (the store is written where it points, the link
    kept; a dangling link: ``"new"``). The messages name ``path`` as given.

    Raises
    ------
    DataError
        ``PATH: a symbolic link that loops (following it never ends); choose a new path``; ``PATH: FILE is a file,
        not a folder: nothing can be written under it; choose a new path`` (``FILE`` absolute, on the way to where
        ``path`` leads: ``notes.txt/x``, or a link to it); ``PATH: output exists and
        is not a directory``; ``PATH: output directory is not empty and not an event store (holds [...]); choose a new
        path``; ``PATH: an event store already exists there; pass force=True to replace it`` (without ``force``).
    """
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise DataError(f"{path}: a symbolic link that loops (following it never ends); choose a new path") from None
    target = output_target(path)
    for q in reversed(target.parents):  # under a file (notes.txt/x, or a link to it): no folder can be made there
        if os.path.exists(q) and not os.path.isdir(q):
            raise DataError(f"{path}: {q} is a file, not a folder: nothing can be written under it; choose a new path")
    if not os.path.lexists(target):
        return "new"
    if not target.is_dir():
        raise DataError(f"{path}: output exists and is not a directory")
    names = {p.name for p in target.iterdir()}
    if not names:
        return "empty"
    extra = names - _STORE_NAMES
    if extra:
        raise DataError(
            f"{path}: output directory is not empty and not an event store "
            f"(holds {sorted(extra)[:3]}); choose a new path"
        )
    if not force:
        raise DataError(
            f"{path}: an event store already exists there; {FORCE_HINT}"
        )
    return "replace"


def commit_store(tmp: Path, path: Path, force: bool) -> bool:
    """Put the finished store directory ``tmp`` (made by ``_beside(path, "tmp")``) in place as the store at ``path``;
    True when it replaced a store (:meth:`mmsim.data.store.EventStoreWriter.close`).

    The target is checked again (:func:`_target_state`, with ``force``). It is :func:`mmsim._paths.output_target`:
    a symbolic link's target is replaced, the link kept. A new path or an empty folder: ``tmp`` renamed to it
    (the folder removed first); a store with ``force``: the old one renamed aside, the new one renamed in, the old
    deleted. The current folder (``-o .``) is not replaced but filled (its store's two files replaced, each whole),
    so the shell that started the command is still in it afterwards.

    Raises
    ------
    DataError
        The target refused (:func:`_target_state`), or the rename failed (``PATH: cannot move the new store into
        place (REASON)``), ``tmp`` left for the caller to remove.
    """
    state = _target_state(path, force)
    target = output_target(path)
    if state != "new" and is_current_folder(target):
        move_entries(tmp, target)
        tmp.rmdir()
        return state == "replace"
    if state == "empty":
        target.rmdir()
    if state != "replace":
        try:
            os.rename(tmp, target)
        except OSError as exc:  # the target appeared since the check
            raise DataError(f"{path}: cannot move the new store into place ({exc.strerror})") from None
        return False
    old = _beside(path, "old")
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError as exc:
        os.rename(old, target)
        raise DataError(f"{path}: cannot move the new store into place ({exc.strerror})") from None
    shutil.rmtree(old, ignore_errors=True)
    return True


def _first_failing(ev: np.ndarray, cfg: Any) -> int:
    """Index of the event a replay of ``ev`` fails on, when the engine did not say (bisection)."""
    from ..engine import run

    lo, hi = 0, len(ev)  # run(ev[:lo]) passes, run(ev[:hi]) fails
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            run(ev[:mid], None, cfg)
            lo = mid
        except DataError:
            hi = mid
    return hi - 1


def missing_parents(path: Path) -> list[Path]:
    """``path``'s parent folders that do not exist (``-o a/b/c`` with no ``a/``: ``a/b``, ``a``), deepest first,
    absolute: those of :func:`mmsim._paths.output_target` (a dangling link's: of where it points)."""
    missing, p = [], output_target(path).parent
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def make_parents(path: Path) -> list[Path]:
    """Create ``path``'s missing parent folders; returns those created, deepest first, for :func:`remove_parents`
    when the output is not written (the store writer's, and the staging of ``mmsim run``, ``report``...)."""
    missing = missing_parents(path)
    output_target(path).parent.mkdir(parents=True, exist_ok=True)
    return missing


def remove_parents(created: list[Path]) -> None:
    """Remove the folders :func:`make_parents` created, deepest first, each only while empty (docs/config.md)."""
    for p in created:
        try:
            os.rmdir(p)
        except OSError:  # not empty (something else wrote there meanwhile), or gone: it and those above stay
            break


def _beside(path: Path, what: str) -> Path:
    """A new hidden name beside where ``path`` leads (:func:`mmsim._paths.output_target`: beside the current folder
    for ``.``, beside a link's target), never inside it: ``.NAME.WHAT-PID-HEX``."""
    target = output_target(path)
    return target.parent / f".{target.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}"


#: The engine's refusal of a price too far from the book's others (``cpp/src/book.cpp``).
_FAR = re.compile(r"price (-?\d+) is too far from price (-?\d+) \(event (\d+)\)")


def _replay_check(ev_path: Path, rows_path: Path, count: int, meta: dict[str, Any], where: Callable[[int], str],
                  quote: Callable[[int, int], str | None] | None = None,
                  named: Callable[[int], str | None] | None = None,
                  store: Path | None = None, replay: bool = True) -> dict[str, Any] | None:
    """Check a written store's ``count`` events replay (see :meth:`mmsim.data.store.EventStoreWriter.close`);
    returns its ``quirks.prints_through_book`` (:func:`through_book_quirk`), None when it has no such print.

    ``rows_path`` holds each event's packed source position (int64) and
    ``where`` names one; a fault raises :class:`mmsim.DataError` naming the
    source position and the event index in the store. ``quote`` (a loader's) gives the price of so
    many ticks as written at a source position: a price too far from the book is quoted so, not in ticks.
    ``named`` gives a source position as ``meta.json`` names it (``"NAME: line N"``, None when unknown).
    A ``levels: L2`` meta over events holding an order event is refused naming ``store``'s meta.json
    (:func:`._identity.check_levels`: a pass over the ``kind`` column, after the replay's own pass).
    ``replay`` False (``write_store(..., validate=False)``) skips the replay and the ``local_ts`` check only: the
    levels check runs and the quirk is recomputed (None when the events do not replay: a caller's meta copied from
    another store keeps no quirk of that store's events).
    """
    rows = np.memmap(rows_path, dtype=np.int64, mode="r", shape=(count,))

    def local_ts(rows: np.ndarray) -> Iterator[np.ndarray]:
        """One streamed pass (small reads, no map left resident): local_ts >= exch_ts, each window's local_ts."""
        step = 1 << 16
        with open(ev_path, "rb") as fh:
            fh.seek(_HEADER_LEN)
            for i in range(0, count, step):
                c = np.fromfile(fh, dtype=EVENT_DTYPE, count=min(step, count - i))
                bad = np.flatnonzero(c["local_ts"] < c["exch_ts"])
                if len(bad):
                    j = i + int(bad[0])
                    raise DataError(
                        f"{where(int(rows[j]))}: local_ts {int(c['local_ts'][bad[0]])} is before "
                        f"exch_ts {int(c['exch_ts'][bad[0]])} (event {j} of the store)"
                    )
                yield c["local_ts"]

    if not replay:
        ev = np.load(ev_path, mmap_mode="r")[:count]
        check_levels(ev, meta, str((store or ev_path.parent) / "meta.json"))
        try:
            quirk = through_book_quirk(ev, rows, meta, quote, named)
        except DataError:  # the book refuses an event: no quirk is known of these events
            quirk = None
        del ev, rows
        return quirk
    if meta.get("local_ts_recorded"):
        late = late_time(local_ts(rows), STORE_RECV_WINDOW_NS)
        if late is not None:
            raise DataError(f"{where(int(rows[late[0]]))}: {late_message(*late[1:])} (event {late[0]} of the store)")
    # The whole store replays as one book: a CLEAR empties the engine's book, orders included,
    # so each file's snapshot of a multi-file store starts a new book there too.
    ev = np.load(ev_path, mmap_mode="r")
    from ..config import Config, SignalConfig
    from ..engine import run

    cfg = Config(
        tick_size=float(meta.get("tick_size") or 1.0),
        lot_size=float(meta.get("lot_size") or 1.0),
        signals=SignalConfig(enabled=False),
    )
    if count:
        try:
            run(ev[:count], None, cfg)
        except DataError as exc:
            idx = getattr(exc, "index", None)
            if idx is None or not 0 <= idx < count:
                idx = _first_failing(ev[:count], cfg)
            why = re.sub(r"^event -?\d+: ", "", str(exc))
            far = _FAR.match(why)
            if far is not None and quote is not None:  # the prices as the file writes them, the other one's line too
                other = int(far[3])
                mine = quote(int(rows[idx]), int(far[1]))
                theirs = quote(int(rows[other]), int(far[2])) if 0 <= other < count else None
                why = (f"price {mine or far[1] + ' ticks'} is too far from price {theirs or far[2] + ' ticks'} "
                       f"({where(int(rows[other])) + ', ' if theirs else ''}event {other}){why[far.end():]}")
            raise DataError(f"{where(int(rows[idx]))}: {why} (event {idx} of the store)") from None
        check_levels(ev[:count], meta, str((store or ev_path.parent) / "meta.json"))
    quirk = through_book_quirk(ev[:count], rows, meta, quote, named) if count else None
    del ev, rows
    return quirk


def source_name(known: tuple[str, str, int] | None) -> str | None:
    """``"NAME: line N"`` of a writer's ``(file, unit, row)`` source position (None: unknown): the file's name, as
    meta.json's ``source`` gives it (the path as typed means nothing once the store is read from elsewhere)."""
    return None if known is None else f"{Path(known[0]).name}: {known[1]} {known[2]}"


def with_through_quirk(meta_path: Path, meta: dict[str, Any], quirk: dict[str, Any] | None) -> dict[str, Any]:
    """``meta`` with ``quirks.prints_through_book`` set to ``quirk`` (removed when None: a rewritten store's own
    replay decides), ``meta_path`` rewritten when that changed it."""
    quirks = dict(meta.get("quirks") or {})
    if quirks.get(THROUGH_QUIRK) == quirk:
        return meta
    if quirk is None:
        del quirks[THROUGH_QUIRK]
    else:
        quirks[THROUGH_QUIRK] = quirk
    meta = {**meta, "quirks": quirks}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def _price_text(ticks: int, tick_size: float) -> str:
    """``ticks`` times ``tick_size`` as a plain decimal with the tick's decimals (``61800.0`` at tick 0.1, ``4800.00``
    at 0.25, ``4800`` at 1: ``repr``'s ``1.0`` has no decimal of its own), for a price no file quotes."""
    return format(Decimal(repr(float(tick_size))).normalize() * ticks, "f")


def through_book_quirk(ev: np.ndarray, rows: np.ndarray | Mapping[int, int], meta: dict[str, Any],
                       quote: Callable[[int, int], str | None] | None = None,
                       named: Callable[[int], str | None] | None = None,
                       found: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``quirks.prints_through_book`` of a store's events ``ev`` (``rows``: their packed source positions), None
    when no TRADE print went through the book by more than :data:`mmsim.replay.THROUGH_BOOK_BAND` of its best price
    (:func:`mmsim.replay.prints_through_book`; docs/data.md, "Prints through the book"). The store is kept: a
    capture with one bad print still converts, and the print still fills resting orders, as any print.

    The mapping: ``count`` (all such prints), ``band`` (the fraction), and the first one's ``event`` (index in the
    store), ``at`` (``named`` of its source position, ``"NAME: line N"``; None when unknown), ``side`` (-1: a
    seller's print under the best bid, +1: a buyer's over the best ask, 0: unknown aggressor), ``price`` and ``best``
    (as the file writes them where ``quote`` gives them, else ticks times the tick size) and ``price_ticks``,
    ``best_ticks``. A store rewritten from another (a trade-implied book) has no source positions: the old store's
    ``at``, ``price`` and ``best`` are kept when its first print is this one (same side, price and best in ticks).
    ``found``: a :func:`mmsim.replay.prints_through_book` result of ``ev`` already at hand (``ev`` is not read then;
    ``rows`` need hold its first print's position only: a dropped print's, :func:`._drop_through.dropped_quirk`).
    """
    from ..replay import THROUGH_BOOK_BAND, prints_through_book

    if found is None:
        found = prints_through_book(ev, THROUGH_BOOK_BAND, keep=1)
    if not found["count"]:
        return None
    i, price, best = int(found["index"][0]), int(found["price"][0]), int(found["best"][0])
    packed = int(rows[i])
    tick = float(meta.get("tick_size") or 1.0)
    q = quote if quote is not None and packed >= 0 else None
    quirk: dict[str, Any] = {
        "count": found["count"], "band": THROUGH_BOOK_BAND, "event": i, "at": named(packed) if named else None,
        "side": int(found["side"][0]),
        "price": (q(packed, price) if q else None) or _price_text(price, tick),
        "best": (q(packed, best) if q else None) or _price_text(best, tick),
        "price_ticks": price, "best_ticks": best,
    }
    old = (meta.get("quirks") or {}).get(THROUGH_QUIRK)
    if quirk["at"] is None and isinstance(old, dict) and all(old.get(k) == quirk[k] for k in ("side", "price_ticks", "best_ticks")):
        quirk.update({k: old[k] for k in ("at", "price", "best") if isinstance(old.get(k), str)})
    return quirk


def refuse_order_events(where: Callable[[int], str], chunk: np.ndarray, rows: np.ndarray) -> None:
    """Refuse a chunk's first order event (``ADD``, ``CANCEL``, ``DELETE``, ``EXECUTE``) where it was read (``where``
    of its packed source position: ``FILE: line N``), for a conversion that needs L2 data (``--trade-implied-book``
    of a LOBSTER or Databento file: one of trades and status only is L2 data and converts; fix29a)."""
    hit = np.flatnonzero(is_order_event(chunk["kind"]))
    if len(hit):
        i = int(hit[0])
        raise DataError(f"{where(int(rows[i]))}: {Kind(int(chunk['kind'][i])).name}, an order event ({L3_KIND_NAMES}): "
                        "a trade-implied book needs L2 data, and this file is market-by-order (L3) data (on L3 data "
                        "each execution removes its order: there is nothing to imply; a file of trades and status "
                        "only converts)")
