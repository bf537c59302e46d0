"""Queue position: markout of maker fills by the lots ahead of their order when it joined its queue, and by the
size of their level just before the fill.

Both figures are the exchange book's, recorded by the engine on every fill (``FILL_DTYPE``
``queue_ahead_at_entry`` and ``level_qty_at_fill``; docs/engine.md, "Queue position of a
fill"): they do not depend on the queue model. Taker fills have none (-1) and are left out
and counted; so are the fills of a result saved before the fields existed (-1 too). The
buckets, intervals and rank correlation are those of markout by information age
(``infoage.rank_buckets``, ``infoage._bucket_block``). See docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .infoage import _bucket_block
from .markouts import Horizon

__all__ = ["BASES", "NOT_RECORDED", "queue_position"]

#: What a maker fill's markout is bucketed by (report.json ``queue_position.by_queue[].basis``), in lots.
BASES: tuple[str, ...] = ("queue_ahead_at_entry", "level_qty_at_fill")

#: Why a run's fills carry no queue position.
NOT_RECORDED = "the run was saved before mmsim recorded queue positions (its fills hold -1)"


def queue_position(f: Mapping[str, Any], mk2: np.ndarray, mk_ok: np.ndarray, hs: Sequence[Horizon],
                   col: Mapping[Horizon, int], toxic: Horizon, bps_scale: np.ndarray, buckets: int,
                   confidence: float) -> dict[str, Any]:
    """The report's ``queue_position`` section.

    Parameters
    ----------
    f : mapping
        The report's fill columns (``compute._fill_columns``): ``maker``, ``queue_ahead_at_entry``,
        ``level_qty_at_fill`` (-1: none), ``qty``.
    mk2, mk_ok : ndarray, shape (n_fills, n_horizons)
        Markouts in half-ticks and whether each is defined.
    hs, col, toxic, bps_scale, buckets, confidence
        As for :func:`mmsim.report.infoage.information_age`.

    Returns
    -------
    dict
        ``recorded`` (False, with ``reason``, when no maker fill has the figures), ``reason``,
        ``n_maker`` (maker fills ranked), ``n_taker`` (taker fills, not ranked),
        ``n_not_recorded`` (maker fills without the figures, not ranked), ``n_alone`` (ranked
        fills with both figures 0: the order opened its level and no one else was displayed at its
        price when it was filled, as a quote improving on the touch), ``by_queue``: one
        block per basis in ``BASES`` (``basis``, ``unit`` ``"lots"``, ``horizon``, ``n``,
        ``buckets``, ``spearman``, ``last_minus_first``: the mean markout of the last bucket
        (the most lots) minus the first's, with ``n_last``, ``n_first``).
    """
    maker = np.asarray(f["maker"], dtype=bool)
    ahead = np.asarray(f["queue_ahead_at_entry"], dtype=np.int64)
    level = np.asarray(f["level_qty_at_fill"], dtype=np.int64)
    ok = maker & (ahead >= 0) & (level >= 0)
    n_maker = int(maker.sum())
    section: dict[str, Any] = {"recorded": bool(ok.any()) or n_maker == 0, "reason": None, "n_maker": int(ok.sum()),
                               "n_taker": int((~maker).sum()), "n_not_recorded": int((maker & ~ok).sum()),
                               "n_alone": int((ok & (ahead == 0) & (level == 0)).sum()), "by_queue": []}
    if not ok.any() and n_maker:
        section["reason"] = NOT_RECORDED
        return section
    section["by_queue"] = [
        _bucket_block(basis, "lots", v, ok, f, mk2, mk_ok, hs, col, toxic, bps_scale, buckets, confidence,
                      diff=("last_minus_first", "last", "first"))
        for basis, v in zip(BASES, (ahead, level))]
    return section
