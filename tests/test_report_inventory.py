"""The report's inventory figures over the venue's trading time (docs/reports.md, "Inventory and risk")."""

from __future__ import annotations

from conftest import make_events
from test_report import fill, result_of

from mmsim import Kind
from mmsim.events import TradingStatus as TS
from mmsim.report import make_report as report
from mmsim.report.render import _summary_rows

S = 1_000_000_000


def _rows(res, ev, **kw):
    d = report(res, ev, horizons=["1s"], event_horizons=[], **kw).data
    return d["inventory"], dict(_summary_rows(d))


def test_inventory_is_weighted_over_the_trading_time_when_the_venue_was_not_trading_for_part_of_the_span():
    """ESH4 read mean |pos| 0.80 over its 2 h span, a first hour CME's pre-open, while its quote presence was
    of the trading hour: 1.61 over it. Hand events 0 to 4 s, QUOTING until TRADING at 2 s; long 2 from 2.5 s,
    1 from 3 s. Over the 4 s span: mean |pos| (2 * 0.5 + 1 * 1) / 4 = 0.5, at |pos| >= 2 0.5 / 4; over the
    2 s of trading: 2 / 2 = 1.00 and 0.5 / 2 = 25.0%."""
    ev = make_events([(0, Kind.STATUS, 0, 0, int(TS.QUOTING)), (0, Kind.DEPTH, 1, 100, 5),
                      (0, Kind.DEPTH, -1, 102, 5), (2 * S, Kind.STATUS, 0, 0, int(TS.TRADING)),
                      (4 * S, Kind.DEPTH, 1, 100, 6)])
    res = result_of([fill(2 * S + S // 2, 1, 100, 2, 100, 102), fill(3 * S, -1, 102, 1, 100, 102, oid=2)])
    inv, rows = _rows(res, ev, position_limit=2)
    assert (inv["mean_abs"], inv["mean"], inv["time_at_limit"], inv["max_abs"]) == (0.5, 0.5, 0.125, 2)
    assert inv["trading"] == {"mean_abs": 1.0, "mean": 1.0, "time_at_limit": 0.25, "trading_ns": 2 * S}
    assert rows["Inventory mean |pos| (of 2 s of trading)"] == "1.00"
    assert rows["Inventory max |pos| (of the 4 s span)"] == "2"
    assert rows["Time at limit (|pos| ≥ 2, of 2 s of trading)"] == "25.0%"
    assert "Inventory mean |pos| / max |pos|" not in rows
    # Data without STATUS events (and with STATUS events that never leave TRADING) print as before.
    for plain in (ev[ev["kind"] != int(Kind.STATUS)],
                  make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5),
                               (S, Kind.STATUS, 0, 0, int(TS.TRADING)), (4 * S, Kind.DEPTH, 1, 100, 6)])):
        inv, rows = _rows(res, plain, position_limit=2)
        assert inv["trading"] is None and (inv["mean_abs"], inv["time_at_limit"]) == (0.5, 0.125)
        assert rows["Inventory mean |pos| / max |pos|"] == "0.50 / 2"
        assert rows["Time at limit (|pos| ≥ 2)"] == "12.5%"
        assert not any("of trading" in k for k in rows)


def test_a_position_held_through_a_halt_counts_its_trading_time_and_keeps_its_maximum():
    """The second case: trading, HALTED from 1 s to 3 s, trading to 4 s; long 2 from 0.5 s to 3.5 s. Over
    the span: 2 * 3 / 4 = 1.5; over the 2 s of trading it is held 0.5 s + 0.5 s: 2 * 1 / 2 = 1.00, at the
    limit 50.0%. The maximum, 2, is the whole span's (held through the halt, still at risk)."""
    ev = make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5),
                      (S, Kind.STATUS, 0, 0, int(TS.HALTED)), (3 * S, Kind.STATUS, 0, 0, int(TS.TRADING)),
                      (4 * S, Kind.DEPTH, 1, 100, 6)])
    res = result_of([fill(S // 2, 1, 100, 2, 100, 102), fill(3 * S + S // 2, -1, 102, 2, 100, 102, oid=2)])
    inv, rows = _rows(res, ev, position_limit=2)
    assert (inv["mean_abs"], inv["time_at_limit"], inv["max_abs"]) == (1.5, 0.75, 2)
    assert inv["trading"] == {"mean_abs": 1.0, "mean": 1.0, "time_at_limit": 0.5, "trading_ns": 2 * S}
    assert rows["Inventory mean |pos| (of 2 s of trading)"] == "1.00"
    assert rows["Inventory max |pos| (of the 4 s span)"] == "2"
    assert rows["Time at limit (|pos| ≥ 2, of 2 s of trading)"] == "50.0%"
    # No limit: no limit row, the trading figure's share None.
    inv, rows = _rows(res, ev)
    assert inv["trading"]["time_at_limit"] is None and not any(k.startswith("Time at limit") for k in rows)


def test_no_trading_time_reads_no_figure_with_or_without_fills():
    """breaker15a: a span the venue never traded in (QUOTING throughout) printed `Inventory mean |pos| (of 0 s of
    trading) 0.00` when there were no fills, where quote presence reads `–`: there is no time to weigh over. With
    a fill (a position carried into the halt) it already read `–`; now both do, and the span's figures stay."""
    ev = make_events([(0, Kind.STATUS, 0, 0, int(TS.QUOTING)), (0, Kind.DEPTH, 1, 100, 5),
                      (0, Kind.DEPTH, -1, 102, 5), (4 * S, Kind.DEPTH, 1, 100, 6)])
    for fills in ([], [fill(S, 1, 100, 2, 100, 102)]):
        inv, rows = _rows(result_of(fills), ev, position_limit=2)
        assert inv["trading"] == {"mean_abs": None, "mean": None, "time_at_limit": None, "trading_ns": 0}
        assert rows["Inventory mean |pos| (of 0 s of trading)"] == "–"
        assert rows["Time at limit (|pos| ≥ 2, of 0 s of trading)"] == "–"
        assert inv["mean_abs"] == (0.0 if not fills else 1.5)
