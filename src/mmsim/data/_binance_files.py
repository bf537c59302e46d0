"""Per-file rules of the Binance loader (fix30b): one venue per store (fix32b: told at a capture's first line that
tells it), a capture whose trades come only on ``aggTrade`` said on the summary line, and the key a skipped stream
is counted under (fix32b: a partial-depth stream told by its name)."""

from __future__ import annotations

import re

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


def stream_kind(stream: str, d: dict) -> str:
    """What a combined stream's message is: a partial-depth stream's (``btcusdt@depth20@100ms``, ``@depth5``,
    ``@depth10``: ``depth20``...) by its stream name, as USD-M's carry ``"e": "depthUpdate"`` with ``U``/``u``/``pu``,
    a diff's shape, and were read as diffs (breaker31: "sequence gap"); any other by its event type ``e``, or the
    stream's name when it has none."""
    key = stream_key(stream)
    return key if re.fullmatch(r"depth\d+", key) else d.get("e") or key


def set_venue(state: Any, path: Path, usdm: bool, line: int) -> bool:
    """Set the store's venue at its first capture's first line that tells it (a snapshot with ``T``, a diff with
    ``pu`` or ``T``, a trade with ``X``: USD-M; without, or a trade with ``M``: spot), refusing a capture of another
    venue at its own first such line, before any of its prices is held to the first's grid (breaker29: a spot capture
    then a USD-M one made one ``binance-spot`` store; breaker31: USD-M then spot was refused as off the tick grid,
    "pass --tick-size").
    Returns ``usdm``."""
    venue = "binance-usdm" if usdm else "binance-spot"
    if state.venue is None:
        state.venue, state.venue_at = venue, f"{path}: line {line}"
    elif venue != state.venue:
        raise DataError(f"{path}: line {line}: a {venue} capture after a {state.venue} one ({state.venue_at}); one "
                        "store holds one market (spot and USD-M futures books of one symbol are two markets): convert "
                        "each to its own store")
    return usdm


def one_market(state: Any, path: Path, usdm: bool | None, told: tuple[int, str], d: dict, line: int,
               what: str) -> tuple[bool | None, tuple[int, str]]:
    """The market of capture ``path`` told by its line ``line`` (``what``: ``depthUpdate`` ``d``, USD-M with ``pu`` or
    ``T``, spot with neither; ``snapshot``, USD-M with ``T``; or ``trade``, USD-M with ``X``, its order type, spot
    with ``M``, a trade with neither telling nothing): set at the first such line (:func:`set_venue`), and any later
    one of the other market refused, naming both lines (fix34e: spot diffs then USD-M ones in one file were read
    under the first's sequence rule, unchecked; fix36b: a USD-M print in a spot capture was written, breaker36 F4).
    Returns ``usdm`` (None while no line told it) and the line that told it, with its keys."""
    if what == "trade":
        if "X" in d and "M" in d:
            raise DataError(f"{path}: line {line}: malformed trade: it carries both X (a USD-M futures trade's order "
                            "type) and M (a spot trade's field); a trade is one market's")
        if "X" not in d and "M" not in d:
            return usdm, told  # neither: the trade does not tell its market
        this = "X" in d
        shown = f"trade with {'X' if this else 'M'}"
    else:
        keys = [k for k in (("pu", "T") if what == "depthUpdate" else ("T",)) if k in d]
        this = bool(keys)
        shown = (f"{what} with {' and '.join(keys)}" if keys
                 else f"{what} without {'pu or T' if what == 'depthUpdate' else 'T'}")
    if usdm is None:
        return set_venue(state, path, this, line), (line, shown)
    if this != usdm:
        market, other = ("USD-M futures", "spot") if usdm else ("spot", "USD-M futures")
        raise DataError(f"{path}: line {line}: a {other} {shown}, in a capture of the {market} market (line {told[0]}: "
                        f"a {told[1]}); one capture is one market's stream (spot and USD-M futures are two markets, "
                        "with two sequence rules): convert each to its own store")
    return usdm, told


def file_end(state: Any, path: Path, start: tuple[int, int]) -> None:
    """Note a capture with ``aggTrade`` messages but no ``trade`` (its prints are not read: breaker29, a store with
    no trade and no word)."""
    if _ids(state) == start[0] and state.skipped.get("aggTrade", 0) > start[1]:
        state.aggtrade_only.append(path.name)
