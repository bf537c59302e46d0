"""Market-data loaders, the event store, and the registry ``mmsim convert`` asks by format name.

Each format module has ``convert(sources, out, *, tick_size, lot_size, symbol,
progress) -> EventStore`` and streams its input into an
:class:`~mmsim.data.store.EventStoreWriter`. :func:`to_l2` aggregates L3
(market-by-order) events to L2 (market-by-price).
"""

from __future__ import annotations

from collections.abc import Callable

from . import binance, databento, hftbacktest, lobster, tardis
from .l2 import to_l2
from .store import EventStore, EventStoreWriter, load, write_store

__all__ = [
    "FORMATS",
    "EventStore",
    "EventStoreWriter",
    "converter",
    "load",
    "to_l2",
    "write_store",
]

#: Format name -> converter, as ``mmsim convert --format NAME`` looks it up.
FORMATS: dict[str, Callable[..., EventStore]] = {
    "binance": binance.convert,
    "databento": databento.convert,
    "hftbacktest": hftbacktest.convert,
    "lobster": lobster.convert,
    "tardis": tardis.convert,
}


def converter(name: str) -> Callable[..., EventStore]:
    """The converter registered for a format name.

    Raises
    ------
    mmsim.ConfigError
        For an unknown name; the message lists the known ones.
    """
    from ..errors import ConfigError

    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown data format {name!r}; known formats: {', '.join(sorted(FORMATS))}"
        ) from None
