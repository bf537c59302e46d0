"""A given ``tick_size`` / ``lot_size`` (``--tick-size`` / ``--lot-size``) checked against the finest step a loader reads.

Each loader parses prices and sizes to a fixed number of decimals (tardis and databento prices 9, binance and
hftbacktest 8, lobster prices 4; databento and lobster sizes whole numbers): a tick or lot finer than that step, or
not a multiple of it, cannot be the grid of anything the loader reads. Within the store's bounds (1e-12 to 1e12,
:mod:`mmsim._scales`) ``--tick-size 1e-12`` was ``td/book.csv: line 0: malformed price or amount`` (tardis) or
``size 1e-12 cannot be written with 8 decimals`` (binance, hftbacktest), naming neither the flag nor the limit
(breaker26). The check runs when a converter starts, on the keyword path (``mmsim.data.converter(fmt)(...)``) as on
``mmsim convert`` (whose :func:`mmsim.cli._common.flags_named` turns the leading key into the flag).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["flag_units", "unit_checked"]


def unit_checked(key: str, x: Any) -> None:
    """Raise :class:`mmsim.ConfigError` ``<key> must be a positive number from 1e-12 to 1e12, got ...`` when ``x``
    is not a store's unit (:func:`mmsim._scales.unit_problem`)."""
    from .._scales import unit_problem
    from ..errors import ConfigError

    if (why := unit_problem(x)) is not None:
        raise ConfigError(f"{key} {why}")


def flag_units(key: str, x: Any, digits: int, loader: str, what: str) -> int:
    """A given ``tick_size`` or ``lot_size`` (``key``) as an integer count of ``10**-digits``.

    Parameters
    ----------
    key : str
        ``"tick_size"`` or ``"lot_size"``: the start of a message (the command line names its flag).
    x : float
        The value given, in quote currency per tick or units per lot.
    digits : int
        The decimals the loader parses ``what`` to: its finest step is ``10**-digits`` (1 for 0).
    loader, what : str
        The loader's name (``tardis``) and what it parses (``prices to 9 decimals``), for the message.

    Returns
    -------
    int
        ``x`` in units of ``10**-digits`` (0.01 at 8 digits: 1000000), rounded to within 1e-9 relative.

    Raises
    ------
    mmsim.ConfigError
        ``x`` not a number from 1e-12 to 1e12; finer than ``10**-digits`` (``tick_size is finer than the tardis
        loader reads (prices to 9 decimals: 1e-9 and its multiples), got 1e-12``); not a multiple of it
        (``tick_size is not a multiple of 1e-9, the finest the tardis loader reads (prices to 9 decimals), got
        1.5e-09``).
    """
    from .._scales import shown
    from ..errors import ConfigError

    unit_checked(key, x)
    scaled = x * 10**digits
    v = round(scaled)
    if v >= 1 and math.isclose(v / 10**digits, x, rel_tol=1e-9, abs_tol=0.0):
        return int(v)
    step = f"1e-{digits}" if digits else "1"
    if scaled < 1:
        raise ConfigError(f"{key} is finer than the {loader} loader reads ({what}: {step} and its multiples), "
                          f"got {shown(x)}")
    raise ConfigError(f"{key} is not a multiple of {step}, the finest the {loader} loader reads ({what}), "
                      f"got {shown(x)}")
