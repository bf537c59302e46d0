"""The spread decomposition's medians beside its means (docs/reports.md, "How to read each number").

A few fills in a gapped book move the means of the effective half-spread far from a typical fill's
(Binance spot: a mean of tens of ticks on a one-tick market); the medians say what a typical fill
earned. effective = realized + price impact holds for the means, not for the medians. Hand-computed.
"""

from __future__ import annotations

import json

from conftest import make_events
from test_report import fill, result_of

from mmsim import Kind
from mmsim.report import make_report as report
from mmsim.report.render import rich_tables

S = 1_000_000_000

# The book is bid 100 / ask 102 throughout (mid 101): every markout is side * (101 - price).
EVENTS = [(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (10 * S, Kind.DEPTH, 1, 100, 6)]
# (t, side, price, the fill record's bid, ask): effective = side * (mid of the record - price),
# realized = side * (101 - price), price impact = effective - realized.
FILLS = [
    (1 * S, 1, 100, 100, 102),   # effective 1, realized 1, impact 0
    (2 * S, -1, 102, 100, 102),  # 1, 1, 0
    (3 * S, 1, 90, 90, 130),     # a gapped book (mid 110): 20, 11, 9
    (4 * S, -1, 104, 100, 104),  # mid 102: 2, 3, -1
]


def _report():
    res = result_of([fill(t, side, p, 1, b, a, oid=i + 1) for i, (t, side, p, b, a) in enumerate(FILLS)])
    return report(res, make_events(EVENTS), horizons=["1s", "10s"], event_horizons=[], toxic_horizon="1s")


def test_medians_of_effective_realized_and_impact_beside_the_means():
    rep = _report()
    doc = json.loads(rep.to_json())
    g = {r["horizon"]: r["groups"]["all"] for r in doc["spread"]["horizons"]}["1s"]
    # Means: (1+1+20+2)/4, (1+1+11+3)/4, (0+0+9-1)/4; medians of [1,1,2,20], [1,1,3,11], [-1,0,0,9].
    assert [g[k]["mean"] for k in ("effective", "realized", "price_impact")] == [6.0, 4.0, 2.0]
    assert [g[k]["median"] for k in ("effective", "realized", "price_impact")] == [1.5, 2.0, 0.0]
    assert g["n"] == 4
    page = rep.to_html()
    assert ("<th>horizon</th><th>effective</th><th>realized</th><th>price impact</th><th>effective median</th>"
            "<th>realized median</th><th>impact median</th><th>realized bps</th>") in page
    assert "<tr><td>1s</td><td>6.00</td><td>4.00</td><td>2.00</td><td>1.50</td><td>2.00</td><td>0.00</td>" in page


def test_a_horizon_past_the_end_has_no_median():
    # 10 s after each fill (11 s to 14 s) is past the data's end (10 s): no fill, every statistic empty.
    rep = _report()
    g = {r["horizon"]: r["groups"]["all"] for r in rep.data["spread"]["horizons"]}["10s"]
    assert g["n"] == 0 and g["effective"]["median"] is None and g["price_impact"]["median"] is None
    assert "<tr><td>10s</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td>" in rep.to_html()
    from rich.console import Console

    console = Console(width=200, record=True)
    for t in rich_tables(rep.data, width=200):
        console.print(t)
    text = console.export_text()
    line = next(x for x in text.splitlines() if x.startswith("│ 1s ") and "1.50" in x)
    assert [c.strip() for c in line.split("│")[1:8]] == ["1s", "6.00", "4.00", "2.00", "1.50", "2.00", "0.00"]
