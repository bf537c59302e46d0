"""The repairs a LOBSTER level-N store's loader made to its book, as a report shows them (breaker35 F5).

A LOBSTER level-N file carries the messages inside the top N levels only; the loader reconciles the book with the
orderbook file after each message (docs/data.md, "LOBSTER"), and counts what it did in ``meta.json`` ``quirks``. Where
it did, the queue is FIFO over the messages but not the venue's: a level seeded when it entered the window queues its
depth behind orders already resting there, and depth that came and went outside the window is a guess
(docs/data.md, "Queue positions away from the best"). A report of such a store names the repairs in its ``data``
row and does not call its queue exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REPAIRS", "level_n_repairs", "repairs_label"]

#: The report's key in ``setup.data``.
REPAIRS = "level_n_repairs"

#: The LOBSTER quirks that count repairs of the book, with the words for each.
_KEYS: tuple[tuple[str, str, str], ...] = (
    ("levels_entering_window", "level seeded when it entered the window", "levels seeded when they entered the window"),
    ("levels_reset_to_orderbook", "level reset to the orderbook file", "levels reset to the orderbook file"),
    ("levels_folded_for_unknown_ids", "unknown id's message applied to orders known from outside the window",
     "unknown ids' messages applied to orders known from outside the window"),
    ("levels_vanished_outside_messages", "level vanished outside the messages", "levels vanished outside the messages"),
)


def level_n_repairs(quirks: Any) -> dict[str, int] | None:
    """The counts of a store's level-N repairs (its ``quirks``: each of :data:`_KEYS`), or None when the store has
    none of those keys (not LOBSTER) or every count is 0 (the book never left the messages)."""
    if not isinstance(quirks, Mapping):
        return None
    out = {k: v for k, *_ in _KEYS if isinstance(v := quirks.get(k), int) and not isinstance(v, bool)}
    return out if any(out.values()) else None


def repairs_label(repairs: Any) -> str | None:
    """The data row's words for :func:`level_n_repairs` (None without repairs): ``level-N LOBSTER repairs: 5,114
    levels seeded when they entered the window, 2,610 reset to the orderbook file, ... (queue positions there
    approximate: quirks; docs/data.md "Queue positions away from the best")``."""
    if not isinstance(repairs, Mapping) or not any(isinstance(v, int) and v for v in repairs.values()):
        return None
    parts = [f"{repairs[k]:,} {one if repairs[k] == 1 else many}" for k, one, many in _KEYS
             if isinstance(repairs.get(k), int) and repairs[k]]
    return ("level-N LOBSTER book repairs: " + ", ".join(parts) + " (queue positions there approximate: "
            "quirks; docs/data.md \"Queue positions away from the best\")")
