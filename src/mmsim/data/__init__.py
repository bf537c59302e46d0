"""Market-data loaders, the event store, and the registry ``mmsim convert`` asks by format name.

Each format module has ``convert(sources, out, *, tick_size, lot_size, symbol,
progress, force, drop_prints_through_book) -> EventStore`` and streams its input into an
:class:`~mmsim.data.store.EventStoreWriter`; :func:`convert` is the entry
point ``mmsim convert`` calls. :func:`to_l2` aggregates L3 (market-by-order)
events to L2 (market-by-price).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from . import binance, databento, hftbacktest, lobster, tardis
from ._common import Progress
from .implied import trade_implied
from .l2 import to_l2
from .store import EventStore, EventStoreWriter, load, summary, write_store

__all__ = [
    "FORMATS",
    "EventStore",
    "EventStoreWriter",
    "convert",
    "converter",
    "load",
    "summary",
    "to_l2",
    "trade_implied",
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


def convert(
    sources: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    format: str,
    tick_size: float | None = None,
    lot_size: float | None = None,
    symbol: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
    trade_implied: bool = False,
    drop_prints_through_book: bool = False,
) -> EventStore:
    """Convert market-data files into an event store (what ``mmsim convert`` does).

    The store is written in a temporary directory beside ``out``, replayed
    through the engine's book, and renamed into place only when complete: a
    failed conversion leaves nothing behind and never touches an existing
    store. :func:`summary` gives the line ``mmsim convert`` prints.

    Parameters
    ----------
    sources : sequence of path
        Input files, in time order.
    out : path
        Store directory to write.
    format : str
        A name in :data:`FORMATS` (``lobster``, ``binance``, ``databento``,
        ``hftbacktest``, ``tardis``).
    tick_size, lot_size : float, optional
        Price tick and lot size; inferred from the data when omitted.
    symbol : str, optional
        Symbol written to ``meta.json``.
    progress : callable, optional
        Called with the bytes (records for ``hftbacktest``) of the current file
        read so far.
    force : bool
        Replace an existing store at ``out``: the new store is written beside
        it, the old one renamed away, the new one renamed in, the old one
        deleted (a process replaying the old store keeps reading intact files).
        Without it an existing store is refused.
    trade_implied : bool
        Write the events with a trade-implied book (:mod:`mmsim.data.implied`: a print hides the levels it
        went through until the venue's next depth update of the side; docs/data.md, "A trade-implied
        book"): the data are converted beside ``out`` first, then transformed into it. L2 data only: a
        LOBSTER or Databento file is refused at its first order event (one of trades and status only converts).
    drop_prints_through_book : bool
        Remove the TRADE prints more than 10% through the book of the side they hit
        (:func:`mmsim.replay.prints_through_book`) from the events before the store's digest is computed,
        recorded as ``quirks.prints_through_book`` with ``"dropped": true`` (docs/data.md, "Prints through the
        book"). With ``trade_implied``, at the conversion, before the transform: a dropped print hides no level.

    Returns
    -------
    EventStore
        The new store, opened; ``replaced`` says whether it replaced one.

    Raises
    ------
    mmsim.DataError
        A missing input, an existing store without ``force``, or bad data: one
        line naming the file and the line or record.
    mmsim.ConfigError
        An unknown format name, or a tick or lot size that is not a number from
        1e-12 to 1e12 (a store's bounds: ``mmsim._scales``) or is finer than the
        format's loader reads, or off its grid (docs/data.md, "Formats").
    """
    from .._scales import unit_problem
    from ..errors import ConfigError, DataError

    conv = converter(format)
    for name, v in (("tick_size", tick_size), ("lot_size", lot_size)):
        # the store's meta.json bounds (scale24), before the conversion rather than when its meta is written
        if v is not None and (why := unit_problem(v)) is not None:
            raise ConfigError(f"{name} {why}")
    paths = [Path(p) for p in sources]
    if not paths:
        raise DataError("no input files given")
    for p in paths:
        if not p.exists():
            raise DataError(f"{p}: no such file")
        if p.is_dir():
            raise DataError(f"{p}: is a directory, not a data file")
    if not trade_implied:
        return conv(paths, Path(out), tick_size=tick_size, lot_size=lot_size, symbol=symbol, progress=progress,
                    force=force, drop_prints_through_book=drop_prints_through_book)
    import shutil

    from ._store_write import _beside, _target_state
    from .implied import trade_implied as implied

    _target_state(Path(out), force)  # refuse an existing store before converting anything
    plain = _beside(Path(out), "plain")
    try:
        # hftbacktest: an L3 row or an already trade-implied file is refused by the conversion's own pass, naming
        # the file and record, before the transform (each file read once: loadbreak18); LOBSTER and Databento
        # (market-by-order): their first order event, where it was read (a file of trades only converts: fix29a)
        extra = {"l2_only": True} if format in ("hftbacktest", "lobster", "databento") else {}
        conv(paths, plain, tick_size=tick_size, lot_size=lot_size, symbol=symbol, progress=progress, force=False,
             drop_prints_through_book=drop_prints_through_book, **extra)
        return implied(plain, out, force=force)
    except DataError as exc:  # name the inputs, not the scratch store
        raise DataError(str(exc).replace(str(plain), ", ".join(map(str, paths)))) from None
    finally:
        shutil.rmtree(plain, ignore_errors=True)
