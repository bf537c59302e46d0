"""Per-file rules of the Binance loader (fix30b): one venue per store, a capture whose trades come only on the
``aggTrade`` stream said on the summary line, and the key a skipped stream is counted under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError


def stream_key(stream: str) -> str:
    """The ``quirks.skipped_streams`` key of a combined stream's message without an event type ``e``: the stream's
    name after the symbol (``btcusdt@depth20@100ms``: ``depth20``, not its update speed ``100ms``)."""
    parts = stream.split("@")
    return parts[1] if len(parts) > 1 else stream


def _ids(state: Any) -> int:
    return sum(h - lo + 1 for lo, h in zip(state.trade_ids.lo, state.trade_ids.hi))


def file_start(state: Any) -> tuple[int, int]:
    """What :func:`file_end` compares with: the trade ids and ``aggTrade`` messages read before this file."""
    return _ids(state), state.skipped.get("aggTrade", 0)


def file_end(state: Any, path: Path, usdm: bool | None, start: tuple[int, int]) -> None:
    """Set the store's venue from its first capture, refusing a capture of another venue (breaker29: a spot capture
    then a USD-M one made one ``binance-spot`` store), and note a capture with ``aggTrade`` messages but no ``trade``
    (its prints are not read: breaker29, a store with no trade and no word)."""
    venue = "binance-usdm" if usdm else "binance-spot"
    if state.venue is None:
        state.venue, state.venue_at = venue, path
    elif venue != state.venue:
        raise DataError(f"{path}: a {venue} capture after a {state.venue} one ({state.venue_at}); one store holds one "
                        "market (spot and USD-M futures books of one symbol are two markets): convert each to its own "
                        "store")
    if _ids(state) == start[0] and state.skipped.get("aggTrade", 0) > start[1]:
        state.aggtrade_only.append(path.name)
