"""``book_tickers``: the ``bookTicker`` messages of a Binance capture (for checking a reconstructed book)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._binance_parse import _Grid, _local_scale, _split, given_units
from ._common import text_lines
from ._cut_off import json_cut_off_hint

__all__ = ["BOOK_TICKER_DTYPE", "book_tickers"]

#: ``book_tickers`` output: receive time (as recorded), update id, top of book in ticks/lots.
BOOK_TICKER_DTYPE = np.dtype([(k, "<i8") for k in ("local_ts", "u", "bid", "bid_qty", "ask", "ask_qty")])


@json_cut_off_hint  # as binance.convert's
def book_tickers(path: Path, tick_size: float, lot_size: float) -> np.ndarray:
    """Read the ``bookTicker`` messages of a capture (for checking a reconstructed book).

    Parameters
    ----------
    path : Path
        Capture file.
    tick_size, lot_size : float
        The store's tick and lot sizes.

    Returns
    -------
    ndarray of :data:`BOOK_TICKER_DTYPE`
        Receive time as recorded (no clock correction), update id ``u``, best bid
        and ask in ticks and their sizes in lots, in file order.
    """
    path = Path(path)
    tick, lot = given_units("tick_size", tick_size), given_units("lot_size", lot_size)
    grid = _Grid(path, tick, lot)
    rows = []
    scale = 0
    for lineno, line in text_lines(path):
        if "bookTicker" not in line[:80]:
            continue
        ts, msg = _split(line, path, lineno)
        if scale == 0:
            scale = _local_scale(ts, path, lineno)
        d = msg.get("data", msg)
        rows.append(
            (
                int(ts) * scale,
                int(d["u"]),
                grid.px(d["b"], lineno),
                grid.qty(d["B"], lineno),
                grid.px(d["a"], lineno),
                grid.qty(d["A"], lineno),
            )
        )
    return np.array(rows, dtype=BOOK_TICKER_DTYPE)
