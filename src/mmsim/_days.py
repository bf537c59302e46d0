"""The number of days a report's "per day" figures divide by (one rule for every report).

``Sharpe (daily)`` (``report.json``'s ``risk.n_days``), ``mmsim compare``'s
"PnL per day" and a sweep's ``Δ PnL/day`` all divide by :func:`n_days`:
the calendar days (UTC) the data touches, but never more than its span
rounded up to whole days. A 6-minute capture across midnight is 1 day, not
2; three equity sessions on three dates stay 3; a 25-hour capture over
three dates is 2 (docs/reports.md, "Inventory and risk"). Both callers count from the
market's start (``mmsim.report.setup.market_start``): an opening snapshot set apart adds no day.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NS_PER_DAY", "n_days"]

NS_PER_DAY = 86_400_000_000_000


def n_days(t0: int, t1: int, ts: np.ndarray | None = None) -> int:
    """Days of data from exchange time ``t0`` to ``t1`` (ns, ``t0 <= t1``): at least 1.

    ``min(calendar days (UTC) touched, ceil((t1 - t0) / 1 day))``, and 1 for a
    span of zero. ``ts`` (int64 ns, the data's times): the days touched are the dates
    among them (a Friday and a Monday session touch 2, not the 4 dates from one to the
    other); without it, every date from ``t0``'s to ``t1``'s.
    """
    t0, t1 = int(t0), int(t1)
    if ts is not None and len(ts):
        d = np.sort(np.asarray(ts, dtype=np.int64) // NS_PER_DAY, kind="stable")  # in order already: O(n)
        calendar = int(np.count_nonzero(np.diff(d))) + 1
    else:
        calendar = t1 // NS_PER_DAY - t0 // NS_PER_DAY + 1
    span = -(-(t1 - t0) // NS_PER_DAY)
    return max(1, min(calendar, span))
