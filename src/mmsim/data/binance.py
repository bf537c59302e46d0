"""Binance loader: the collector capture format (``local_ts {json}`` lines), USD-M futures and spot.

Each line of a capture is the recorder's receive time (ns, or us in older
files) and one raw message: a combined-stream WebSocket message
(``depthUpdate`` diff, ``trade``, ``bookTicker``, ``markPriceUpdate``) or the
REST depth snapshot the recorder fetched after subscribing. This is the format
hftbacktest's collector writes; files may be gzip-compressed.

What becomes an event:

- the REST snapshot: ``CLEAR`` (both sides) then one ``DEPTH`` per level;
- each level of a ``depthUpdate`` diff applied after the snapshot: ``DEPTH``;
- each ``trade`` (``X == "MARKET"`` only on USD-M; liquidation and ADL prints
  are not order-book trades): ``TRADE``, aggressor from ``m`` (buyer is maker
  means a seller hit the bid);
- ``bookTicker`` and ``markPriceUpdate`` are not book events: they are skipped
  (``book_tickers`` reads the former for checks).

The diff stream is synchronised to the snapshot exactly as Binance documents
it ("How to manage a local order book correctly", USD-M futures and spot).
USD-M: drop diffs with ``u < lastUpdateId``, the first applied diff has
``U <= lastUpdateId <= u`` and each next diff's ``pu`` equals the previous
``u``. Spot: the book's update id starts at ``lastUpdateId``; a diff with
``u <=`` the book's id is dropped (stale), one with ``U >`` the book's id
``+ 1`` is a gap, any other is applied (diffs may overlap: previous ``u=103``,
next ``U=102, u=106`` is applied) and sets the book's id to its ``u``. Events
before the snapshot are dropped: the book is unknown until then. After a gap the
book is unknown again: the gap's diff and what follows are held for the next
snapshot line (the collector fetches one when it sees the gap) and replayed
through the same rules (``quirks.sequence_gaps_resynced``); a gap with no
snapshot after it in its file is a ``DataError`` naming the gap's line.

Exchange time is the transaction time ``T`` (USD-M depth and all trades) or
the event time ``E`` (spot depth, which has no ``T``); the snapshot takes the
earlier of its own time and the first diff applied on top of it (spot
snapshots carry no time: no later than their receive time plus the largest
``exch - local`` of the lines written, so an inferred time never sets the
clock shift). Events are sorted by exchange time within a 10 s window (trades
and depth come on separate streams); a message stamped more than 10 s before
the latest exchange time read so far is a ``DataError``, and so is a diff
stamped before the diff applied before it (diffs follow their update ids).

Quirk handled: the recorder clock of the 2024 captures runs ~1.3 s behind the
exchange clock (``local_ts < exch_ts``). When any event has
``local_ts < exch_ts`` the whole file's ``local_ts`` is shifted by the most
negative difference, so the smallest feed latency is 0 (the correction
hftbacktest's ``correct_local_timestamp`` makes); ``meta.json`` records the
offset under ``quirks.local_clock_offset_ns``.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..events import Kind
from ._binance_parse import (
    _DIGITS,
    _MS,
    _SCALE_NAME,
    _SHAPE_ERRORS,
    RECENT_TRADES,
    _exch_ms,
    _Grid,
    _int,
    given_units,
    quoted_price,
    _local_scale,
    _split,
    side_levels,
    trade_fields,
    trade_time,
)
from ._common import (
    RecvOrder,
    TIME_MAX_NS,
    TIME_MIN_NS,
    CrossCheck,
    IdRuns,
    L2Book,
    Progress,
    decimals_to_int,
    infer_step,
    step_to_float,
    seconds_over,
    text_lines,
    time_unit_hint,
)
from ._cut_off import json_cut_off_hint
from ._drop_through import crossed_at_end
from ._sources import given_once
from ._binance_files import file_end, file_start, one_market, stream_kind
from ._emitter import Emitter
from ._quote import quote_with
from .store import EventStore, EventStoreWriter
from ._binance_tickers import BOOK_TICKER_DTYPE, book_tickers

__all__ = ["BOOK_TICKER_DTYPE", "book_tickers", "convert"]

_REORDER_NS = 10_000_000_000
_DEPTH = int(Kind.DEPTH)

@json_cut_off_hint  # a malformed last line: the capture looks cut off (a recorder stopped mid-write)
def convert(
    sources: list[Path], out: Path, *, tick_size: float | None = None, lot_size: float | None = None,
    symbol: str | None = None, progress: Progress | None = None, force: bool = False,
    drop_prints_through_book: bool = False,
) -> EventStore:
    """Convert Binance collector captures into an event store.

    Parameters
    ----------
    sources : list of Path
        Capture files (plain or gzip), in time order; each must hold a REST depth
        snapshot line.
    out : Path
        Store directory to write.
    tick_size, lot_size : float, optional
        Price tick and size step. Inferred from the snapshot when omitted: the
        tick is the greatest common step of its prices, the lot the precision
        of its size strings (``"0.014"``: 0.001).
    symbol : str, optional
        Overrides the symbol read from the messages.
    progress : callable, optional
        Called with the bytes of the current file read so far.
    force : bool
        Replace an existing store at ``out`` (atomically).
    drop_prints_through_book : bool
        Drop the TRADE prints more than 10% through the book (docs/data.md, "Prints through the book").

    Returns
    -------
    EventStore

    Raises
    ------
    mmsim.DataError
        Malformed lines (a JSON value of the wrong type or shape), sequence
        gaps, off-grid prices, negative sizes, implausible times (another unit),
        time going backwards more than 10 s, a persistently crossed book, a file
        without snapshot, an event the engine's book would reject; each names
        the file and line. An existing store at ``out`` without ``force``.
    mmsim.ConfigError
        A given tick or lot size outside 1e-12..1e12, finer than the loader reads or off its grid (docs/data.md).
    """
    sources = given_once(sources)  # the same file twice is refused before any line is read (fix28b)
    [given_units(k, v) for k, v in (("tick_size", tick_size), ("lot_size", lot_size)) if v is not None]  # before a line
    writer = EventStoreWriter(out, force=force, drop_prints_through_book=drop_prints_through_book)
    with writer:
        state = _State(tick_size, lot_size, symbol)
        quote_with(writer, lambda path, _unit, line, ticks: quoted_price(path, line, ticks, state.grid))  # as written
        for path in sources:
            _convert_file(Path(path), writer, state, progress)
        offset, offset_at = writer.correct_local_clock(own_clocks=True)  # a capture, a recorder
        quirks: dict[str, Any] = {
            "local_clock_offset_ns": offset,
            "local_clock_offset_at": offset_at,
            "local_clock_note": (
                "recorder clock behind the exchange clock: local_ts shifted by this offset so "
                "that local_ts >= exch_ts (smallest feed latency 0)"
                if offset
                else "local_ts >= exch_ts as recorded; no shift"
            ),
            "dropped_before_snapshot": state.dropped_before_snapshot,
            "stale_diffs_dropped": state.stale_diffs,
            "dropped_non_market_trades": state.dropped_non_market,
            "duplicate_trades_dropped": state.duplicate_trades,
            "stale_snapshots_dropped": state.stale_snapshots,
            "trailing_snapshots_dropped": state.trailing_snapshots,
            "sequence_gaps_resynced": state.gaps_resynced,
            "skipped_streams": state.skipped,
            "transient_crossed_messages": state.crossed,
            # the book the last capture ends with, crossed within the tolerance (as the Databento and Tardis loaders')
            "crossed_at_end_ns": crossed_at_end(state.cross_since, writer),
        } | ({"aggtrade_only_files": state.aggtrade_only} if state.aggtrade_only else {})
        meta = {
            "symbol": state.symbol,
            "venue": state.venue,
            "tick_size": step_to_float(state.grid.tick, _DIGITS) if state.grid else tick_size,
            "lot_size": step_to_float(state.grid.lot, _DIGITS) if state.grid else lot_size,
            "contract_size": 1.0,
            "source": [Path(p).name for p in sources],
            "format": "binance",
            "time_zone": "UTC",
            "levels": "L2",
            "local_ts_recorded": True,
            "quirks": quirks,
        }
        return writer.close(meta)


class _State:
    """Conversion state carried across the files of one store."""

    def __init__(self, tick_size, lot_size, symbol) -> None:
        self.tick_size, self.lot_size = tick_size, lot_size
        self.symbol: str | None = symbol
        self._symbol_fixed = symbol is not None
        self.venue: str | None = None
        self.venue_at = ""  # the venue's first capture and its line that told it (fix30b, fix32b)
        self.aggtrade_only: list[str] = []  # captures with aggTrade messages and no trade message (fix30b)
        self.grid: _Grid | None = None
        self.book = L2Book()
        self.dropped_before_snapshot = self.stale_diffs = self.dropped_non_market = self.duplicate_trades = 0
        self.stale_snapshots = self.trailing_snapshots = 0
        self.gaps_resynced = 0
        self.trade_ids = IdRuns()  # every trade id read so far
        # The last trades read by id: (price, size, m, file, line), to tell a resend from a clash.
        self.recent_trades: OrderedDict[int, tuple] = OrderedDict()
        self.skipped: dict[str, int] = {}
        self.crossed = 0
        self.cross_since: int | None = None  # the exchange time the last capture's book has been crossed since
        self.emitter: Emitter | None = None
        #: The largest exch - local (ns) of the diffs and trades written so far (times the venue wrote): what the
        #: recorder-clock shift needs at least; a spot snapshot's inferred time is kept within it.
        self.need = 0


def _make_grid(state: _State, snap: dict, path: Path, line: int) -> _Grid:
    if state.grid is not None:
        return state.grid
    try:
        levels = list(snap["bids"]) + list(snap["asks"])
        px = np.array([decimals_to_int(p, _DIGITS) for p, _ in levels], dtype=np.int64)
        for _, q in levels:
            decimals_to_int(q, _DIGITS)
    except (*_SHAPE_ERRORS, OverflowError):
        raise DataError(
            f"{path}: line {line}: malformed snapshot level (each must be [\"price\", \"size\"] strings)"
        ) from None
    if state.tick_size is not None:
        tick = given_units("tick_size", state.tick_size)
    else:
        tick = infer_step(px)
        if tick == 0:
            raise DataError(f"{path}: line {line}: empty snapshot; pass --tick-size and --lot-size")
    if state.lot_size is not None:
        lot = given_units("lot_size", state.lot_size)
    else:
        # Not the gcd of the sizes: a level aggregates orders, and spot levels
        # hold sizes finer than the current LOT_SIZE step (orders placed before a
        # step change). The venue's published size precision always fits.
        digits = max((len(q.partition(".")[2]) for _, q in levels), default=0)
        lot = 10 ** (_DIGITS - min(digits, _DIGITS))
    where = f"inferred from the snapshot at {path.name}: line {line}"
    state.grid = _Grid(path, tick, lot, (
        "" if state.tick_size is not None else f"; the tick was {where} (the common step of its prices): pass --tick-size",
        "" if state.lot_size is not None else f"; the lot was {where} (the decimals of its sizes): pass --lot-size"))
    return state.grid


def _convert_file(path: Path, writer: EventStoreWriter, state: _State, progress) -> None:
    em = Emitter(writer, path, "line", reorder_ns=_REORDER_NS, time_unit=("milliseconds", _MS))
    if state.emitter is not None:  # keep time order across files
        prev = state.emitter
        em.last_exch, em.last_line = prev.last_exch, prev.last_line
        em.max_exch, em._max_line = prev.max_exch, prev._max_line
        em.read_max, em._read_line = prev.read_max, prev._read_line
    state.emitter, start = em, file_start(state)
    cross = CrossCheck(path)
    book = state.book
    scale = 0
    recv = RecvOrder()  # the latest receive time read in this file (ns), and its line
    synced = False
    snap: tuple[dict, int, int] | None = None  # (snapshot, local_ts, line) awaiting its first diff
    pre: list[tuple[str, dict, int, int, int]] = []  # messages before the snapshot line
    last_u: int | None = None
    snap_ts = 0
    grid: _Grid | None = state.grid
    if grid is not None:  # the grid of the first file's snapshot: its errors name this file (loadbreak18: the first's)
        grid.path = path
    usdm: bool | None = None
    told = (0, "")  # the line that told the market, and what it was
    # A sequence gap waiting for a later REST snapshot to re-synchronise the book (the
    # collector fetches one when it sees the gap); raised if the file ends first.
    gap: DataError | None = None
    had_sync, last_diff = False, 0  # the book was synced in this file; the line of the last depthUpdate read
    prev_diff: tuple[int, int] | None = None  # (exchange time, line) of the last diff applied in this file
    last_trade: tuple[int, int, int] | None = None  # (id, exchange time, line) of the highest trade id read in it

    def set_symbol(s: str | None, line: int) -> None:
        if s is None or state._symbol_fixed:
            return
        if state.symbol is None:
            state.symbol = s
        elif s != state.symbol:
            raise DataError(f"{path}: line {line}: symbol {s} differs from {state.symbol}; one store holds one symbol")

    def apply_diff(d: dict, exch: int, local: int, line: int) -> None:
        nonlocal last_u, prev_diff
        assert grid is not None
        if prev_diff is not None and exch < prev_diff[0]:
            # Diffs are applied in update-id order; sorted by time within the 10 s window, one stamped earlier than
            # the diff before it would be applied before it (its levels overwritten by older ones: a wrong book).
            key = "T" if "T" in d else "E"
            raise DataError(
                f"{path}: line {line}: depthUpdate {key}={exch // _MS} is {seconds_over(prev_diff[0] - exch, 0)} s "
                f"before the diff applied before it (line {prev_diff[1]}, {key}={prev_diff[0] // _MS}, "
                f"u={last_u}), whose update ids it follows (U={d['U']}); a diff stream's times follow its update "
                "ids, so one of the two times is wrong"
            )
        prev_diff = (exch, line)
        state.need = max(state.need, exch - local)
        bset = book.set
        rows = []
        try:
            for side, levels in ((1, d["b"]), (-1, d["a"])):
                for p, n in side_levels(levels, side, grid, path, line, "diff"):
                    bset(side, p, n)
                    rows.append((exch, local, p, n, 0, _DEPTH, side))
        except DataError:
            raise
        except _SHAPE_ERRORS:
            raise DataError(
                f"{path}: line {line}: malformed depthUpdate: b and a must be lists of [\"price\", \"size\"] strings"
            ) from None
        em.add_rows(rows, line)
        last_u = d["u"]
        cross.check(book, exch, f"line {line}")

    def emit_snapshot(first_diff_exch: int, first_diff_local: int) -> None:
        nonlocal snap_ts
        assert snap is not None and grid is not None
        s, local, line = snap
        if "T" in s:
            exch = min(_exch_ms(s, "T", "snapshot", path, line), first_diff_exch)
        else:  # no time of its own: inferred (docs/data.md), never needing more clock shift than the lines written
            need = max(state.need, first_diff_exch - first_diff_local)
            exch = min(first_diff_exch, local + need)
            exch = max(exch, prev_diff[0]) if prev_diff is not None else exch  # never before a diff applied
            if exch - local <= need:  # so never the line named as setting the shift (it is an inference)
                writer.inferred.add(em.base | line)
        snap_ts = exch
        book.clear(0)
        em.add(exch, local, Kind.CLEAR, 0, 0, 0, 0, line)
        try:
            for side, levels in ((1, s["bids"]), (-1, s["asks"])):
                for p, n in side_levels(levels, side, grid, path, line, "snapshot"):
                    book.set(side, p, n)
                    em.add(exch, local, Kind.DEPTH, side, p, n, 0, line)
        except DataError:
            raise
        except _SHAPE_ERRORS:
            raise DataError(f"{path}: line {line}: malformed snapshot level (each must be [\"price\", \"size\"] "
                            "strings)") from None

    def lose_sync(exc: DataError, d: dict, exch: int, local: int, line: int) -> None:
        """A gap: the book is unknown until a later snapshot; hold this diff and what follows for it."""
        nonlocal synced, gap
        synced = False
        gap = exc
        pre.append(("depthUpdate", d, exch, local, line))

    def on_diff(d: dict, exch: int, local: int, line: int) -> None:
        nonlocal synced, snap, last_u, gap, had_sync
        U, u = d["U"], d["u"]  # (the market, usdm, is told by read_depth or the snapshot before any diff is)
        if usdm and "pu" not in d:
            raise DataError(f"{path}: line {line}: malformed depthUpdate: missing 'pu' (a USD-M futures diff carries "
                            "pu, the u of the diff before it; this capture is USD-M: its snapshot has T or its "
                            "first diff pu)")
        if not synced:
            assert snap is not None
            L = snap[0]["lastUpdateId"]
            if (usdm and u < L) or (not usdm and u <= L):
                state.dropped_before_snapshot += 1
                return
            first = L if usdm else L + 1
            if not U <= first <= u:
                if line < snap[2]:  # received before the snapshot: the snapshot is older than the diffs around it
                    raise DataError(
                        f"{path}: line {snap[2]}: sequence gap: first diff after the snapshot (lastUpdateId {L}) "
                        f"has U={U}, u={u} (line {line}, received before the snapshot); it must span update "
                        f"{first}: the snapshot is older than every diff recorded around it (updates between are "
                        "missing)"
                    )
                raise DataError(
                    f"{path}: line {line}: sequence gap: first diff after the snapshot "
                    f"(lastUpdateId {L}) has U={U}, u={u}; it must span update {first} (the snapshot: "
                    f"line {snap[2]})"
                )
            emit_snapshot(exch, local)
            snap = None
            synced = had_sync = True
            if gap is not None:
                state.gaps_resynced += 1
                gap = None
            apply_diff(d, exch, local, line)
            return
        assert last_u is not None
        if u <= last_u:
            # A diff the book already holds (its last update id is not newer): a message
            # sent again (a reconnect, a recorder writing it twice). Spot documents the
            # rule; on USD-M it is as sound, and nothing was missed.
            state.stale_diffs += 1
            return
        if usdm:
            pu = d.get("pu")
            if pu != last_u:
                lose_sync(DataError(
                    f"{path}: line {line}: sequence gap: pu={pu} but the previous diff ended at "
                    f"u={last_u} (updates were missed)"
                ), d, exch, local, line)
                return
        else:
            if U > last_u + 1:
                lose_sync(DataError(
                    f"{path}: line {line}: sequence gap: U={U} but the previous diff ended at "
                    f"u={last_u}; expected U={last_u + 1} or lower (updates were missed)"
                ), d, exch, local, line)
                return
        apply_diff(d, exch, local, line)

    def on_trade(d: dict, exch: int, local: int, line: int) -> None:
        assert grid is not None
        t = d.get("t")
        if t is not None:
            fields = trade_fields(d)
            if not state.trade_ids.add(t):
                # A trade id is read once per trade: an id already read is that trade sent
                # again (a reconnect, a recorder writing the line twice). Only ids read count:
                # a trade whose line comes after a later trade's (t below the largest id
                # read, never read itself) is a real trade, kept. A repeat with another
                # price, size or side is not a resend: dropping it would lose a trade.
                first = state.recent_trades.get(t)
                if first is not None and first[:3] != fields:
                    differ = [n for n, a, b in zip(("price", "size", "side"), first, fields) if a != b]
                    at = f"line {first[4]}" if first[3] == path else f"{first[3].name}: line {first[4]}"
                    raise DataError(f"{path}: line {line}: trade id {t} was read at {at} with another "
                                    f"{' and '.join(differ)}; one id names one trade")
                state.duplicate_trades += 1
                return
            state.recent_trades[t] = (*fields, path, line)
            if len(state.recent_trades) > RECENT_TRADES:
                state.recent_trades.popitem(last=False)
        if d.get("X", "MARKET") != "MARKET":
            state.dropped_non_market += 1
            return
        try:
            p, n = grid.px(d["p"], line), grid.qty(d["q"], line)
        except DataError:
            raise
        except _SHAPE_ERRORS:
            raise DataError(f"{path}: line {line}: malformed trade: p and q must be decimal strings") from None
        side = -1 if d["m"] else 1
        if exch < snap_ts:
            state.dropped_before_snapshot += 1
            return
        em.add(exch, local, Kind.TRADE, side, p, n, 0, line)
        state.need = max(state.need, exch - local)

    def read_depth(d: dict, line: int) -> int:
        """Check a depthUpdate's fields; returns its exchange time (ns)."""
        nonlocal usdm, told
        what = "depthUpdate"
        usdm, told = one_market(state, path, usdm, told, d, line, what)  # USD-M: pu or T; spot: neither (fix32b, 34e)
        if _int(d, "U", what, path, line) > _int(d, "u", what, path, line):
            raise DataError(f"{path}: line {line}: malformed depthUpdate: U={d['U']} is above u={d['u']} (a diff's "
                            "first update id U is at most its last, u)")
        if "pu" in d:
            _int(d, "pu", what, path, line)
        if not isinstance(d.get("b"), list) or not isinstance(d.get("a"), list):
            raise DataError(f"{path}: line {line}: malformed depthUpdate: b and a must be lists")
        return _exch_ms(d, "T" if "T" in d else "E", what, path, line)

    def trade_order(t: int | None, exch: int, line: int) -> None:
        """A trade (id ``t``, from :func:`trade_time`) stamped before the one with the highest id read before it is an
        error (after the 10 s window's)."""
        nonlocal last_trade
        if t is not None and last_trade is not None and t > last_trade[0]:
            if exch < last_trade[1]:  # sorted by time, it would go ahead of the trades it follows (as diffs: above)
                raise DataError(
                    f"{path}: line {line}: trade T={exch // _MS} is {seconds_over(last_trade[1] - exch, 0)} s before "
                    f"the trade with the highest id read before it (line {last_trade[2]}, T={last_trade[1] // _MS}, "
                    f"t={last_trade[0]}), whose id it follows (t={t}); a trade stream's times follow its trade ids, "
                    "so one of the two times is wrong")
        if t is not None and (last_trade is None or t > last_trade[0]):
            last_trade = (t, exch, line)

    any_line = False
    for lineno, line in text_lines(path, progress):
        if not line.strip():
            continue
        any_line = True
        ts, msg = _split(line, path, lineno)
        if scale == 0:
            scale = _local_scale(ts, path, lineno)
        elif not (ts.isascii() and ts.isdigit()):  # isdigit alone takes '²', which int() refuses
            raise DataError(f"{path}: line {lineno}: malformed row: receive time {ts[:30]!r} is not an integer")
        local = int(ts) * scale
        if not TIME_MIN_NS <= local < TIME_MAX_NS:
            raise DataError(f"{path}: line {lineno}: implausible receive time {ts} "
                            f"({time_unit_hint(int(ts), _SCALE_NAME[scale], scale)})")
        late = recv.behind(local, lineno)
        if late is not None:
            raise DataError(f"{path}: line {lineno}: receive time {local} is {late} s before line {recv.at}'s "
                            f"({recv.latest}); a capture is written in receive order, so one of the two receive "
                            "times is wrong")
        if "stream" in msg:
            stream = str(msg["stream"])
            d = msg.get("data")
            if not isinstance(d, dict):
                raise DataError(f"{path}: line {lineno}: malformed row: stream message without data")
            kind = stream_kind(stream, d)
        elif "lastUpdateId" in msg:
            kind, d = "snapshot", msg
        elif "e" in msg:  # raw (non-combined) stream
            kind, d = msg["e"], msg
        elif "code" in msg:
            raise DataError(f"{path}: line {lineno}: the recorder logged an API error: {msg.get('msg')}")
        else:
            raise DataError(f"{path}: line {lineno}: malformed row: unknown message {line[:80]!r}")
        if kind == "snapshot":
            if "bids" not in d or "asks" not in d:
                raise DataError(f"{path}: line {lineno}: malformed snapshot: no bids/asks")
            if not isinstance(d["bids"], list) or not isinstance(d["asks"], list):
                raise DataError(f"{path}: line {lineno}: malformed snapshot: bids and asks must be lists")
            _int(d, "lastUpdateId", "snapshot", path, lineno)
            if "T" in d:
                _exch_ms(d, "T", "snapshot", path, lineno)
            usdm, told = one_market(state, path, usdm, told, d, lineno, "snapshot")
            if ((synced or gap is not None) and last_u is not None and d["lastUpdateId"] <= last_u) or (
                    snap is not None and d["lastUpdateId"] < snap[0]["lastUpdateId"]):
                # A snapshot the book already holds (the line written twice, or a snapshot older than the diffs
                # applied since, or than the snapshot awaiting its first diff: loadbreak18) would roll the book back.
                state.stale_snapshots += 1
                continue
            grid = _make_grid(state, d, path, lineno)
            snap = (d, local, lineno)
            synced = False
            last_u = None
            # Diffs recorded while the snapshot request was in flight may be newer
            # than the snapshot: replay them through the sync rule.
            held, pre = pre, []
            for kind2, d2, exch2, local2, line2 in held:
                if kind2 == "depthUpdate":
                    on_diff(d2, exch2, local2, line2)
                else:
                    pre.append((kind2, d2, exch2, local2, line2))
            if synced:
                for _, d2, exch2, local2, line2 in pre:
                    on_trade(d2, exch2, local2, line2)
                pre = []
            continue
        if kind in ("depthUpdate", "trade"):
            set_symbol(d.get("s"), lineno)
            exch, tid = (read_depth(d, lineno), None) if kind == "depthUpdate" else trade_time(d, path, lineno)
            if kind == "trade":  # X: USD-M, M: spot (fix36b), before its time is held to the capture's
                usdm, told = one_market(state, path, usdm, told, d, lineno, "trade")
            last_diff = lineno if kind == "depthUpdate" else last_diff
            em.check_order(exch, lineno)
            if kind == "trade":
                trade_order(tid, exch, lineno)
            if snap is None and not synced:
                pre.append((kind, d, exch, local, lineno))
                if len(pre) > 5_000_000:
                    if gap is not None:
                        raise gap
                    raise DataError(f"{path}: no REST depth snapshot in the first 5M lines")
                continue
            if kind == "trade" and not synced:
                # Trades between the snapshot line and the first applied diff.
                pre.append((kind, d, exch, local, lineno))
                continue
            if kind == "depthUpdate":
                on_diff(d, exch, local, lineno)
            else:
                on_trade(d, exch, local, lineno)
            if synced and pre:
                for _, d2, exch2, local2, line2 in pre:
                    on_trade(d2, exch2, local2, line2)
                pre = []
        else:
            state.skipped[kind] = state.skipped.get(kind, 0) + 1
    if not synced:
        if gap is not None:  # no snapshot after the gap
            raise gap
        if not any_line:  # nothing to look for a snapshot in
            size = path.stat().st_size
            raise DataError(
                f"{path}: empty file ({'0 bytes' if size == 0 else 'no line but blank ones, once decompressed'}"
                "; a failed download or a capture that wrote nothing leaves this): record or download it again"
            )
        if snap is None:  # (loadbreak18: a later capture without one said "no depth diff after the snapshot")
            raise DataError(f"{path}: no REST depth snapshot line (a JSON object with lastUpdateId); the book cannot be "
                            "built")
        if not had_sync or last_diff > snap[2]:
            raise DataError(f"{path}: no depth diff after the snapshot could be applied (the snapshot at line {snap[2]}, "
                            f"lastUpdateId {snap[0]['lastUpdateId']}: no diff after it reaches it)")
        # The capture ends in a snapshot of the synced book that no diff follows (loadbreak18: the whole capture was
        # refused): the book stays as synced; the trades after the snapshot line, against no known book, are dropped.
        state.trailing_snapshots += 1
        state.dropped_before_snapshot += len(pre)
    state.crossed += cross.count
    state.cross_since = cross._since
    file_end(state, path, start)  # a capture with aggTrade but no trade is noted
    em.flush(final=True)
