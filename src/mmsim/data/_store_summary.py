"""The one line ``mmsim convert`` prints for a store it wrote (:func:`summary`; re-exported by ``mmsim.data.store``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import EventStore


def _shift_label(ns: int) -> str:
    """A positive clock shift in ns, in a unit that shows it: ``1272.157 ms``, ``1.000 µs``, ``30 ns``.

    From 1 ms, ms to the µs; from 1 µs, µs exact to the ns; below, ns (a small shift
    rounded to ``0.000 ms`` would read as none).
    """
    if ns >= 1_000_000:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1_000:
        return f"{ns / 1e3:.3f} µs"
    return f"{ns} ns"


def summary(store: EventStore) -> str:
    """The one line ``mmsim convert`` prints for a store it wrote (says when it replaced one)."""
    m = store.meta
    verb = "replaced" if store.replaced else "wrote"
    line = (
        f"{verb} {store.path}: {len(store):,} events, {m['symbol'] or 'no symbol'} ({m['venue']}), "
        f"tick {m['tick_size']:g}, lot {m['lot_size']:g}, {m['levels']}"
    )
    quirks = m.get("quirks") or {}
    offset = quirks.get("local_clock_offset_ns") or 0
    if offset > 0:  # every recorded feed latency grew by it: say so, and which event set it
        at = quirks.get("local_clock_offset_at")
        line += (f"; receive times shifted +{_shift_label(offset)} (capture clock behind the venue's"
                 f"{'; set by ' + at if at else ''}; quirks.local_clock_offset_ns)")
    if quirks.get("empty_trades_file"):  # legal (a day without trades), but worth a word
        line += "; the trades file has no trades (quirks.empty_trades_file)"
    if agg := quirks.get("aggtrade_only_files"):  # a Binance capture of aggTrade prints only: no TRADE from it
        line += (f"; no trade message in {', '.join(agg)}: its aggTrade messages are not read as trades, so the store "
                 "has no trade from it (quirks.aggtrade_only_files)")
    return line
