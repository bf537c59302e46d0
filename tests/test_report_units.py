"""The report's quantities in base units when a lot is not one unit (docs/reports.md, "Units").

A Binance spot store's lot is 1e-08 BTC: its summary printed ``End position (lots) @ mid
-37,950,000 @ 6,168,599.5 ticks`` for -0.3795 BTC at 61,685.995 USDT. Each expected text is
hand-computed from the integer lots and the lot size's decimal (no float product).
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import numpy as np
import pytest
from conftest import make_events
from rich.console import Console
from test_report import HAND_EVENTS, fill, result_of

import mmsim
from mmsim import Kind
from mmsim.cli import build_parser
from mmsim.cli.report import cmd as cmd_report
from mmsim.report import make_report as report
from mmsim.report.render import _summary_rows
from mmsim.report.render_infoage import by_age_rows
from mmsim.report._format import Quantities

S = 1_000_000_000

# The spot capture's figures: book 6,168,599 / 6,168,600 ticks of 0.01 (mid 6,168,599.5 = 61,685.995 USDT);
# sell 38,002,000 lots at 0.5 s, buy back 52,000 at 1.5 s (a cancel on its way): position -37,950,000.
SPOT_EVENTS = [(0, Kind.DEPTH, 1, 6_168_599, 5), (0, Kind.DEPTH, -1, 6_168_600, 5),
               (3 * S, Kind.DEPTH, 1, 6_168_599, 6)]


def spot(lot_size=1e-08, **over):
    fills = [fill(S // 2, -1, 6_168_600, 38_002_000, 6_168_599, 6_168_600),
             fill(S + S // 2, 1, 6_168_599, 52_000, 6_168_599, 6_168_600, after_cancel=True, oid=2)]
    return make_events(SPOT_EVENTS), result_of(fills, lot_size=lot_size, tick_size=0.01, **over)


def rows_of(ev, res, qty="auto", **kw):
    return dict(_summary_rows(report(res, ev, horizons=["1s"], event_horizons=[], **kw).data, qty))


def test_a_lot_of_1e_8_reads_in_base_units_exactly_and_the_mid_in_quote_currency():
    ev, res = spot()
    rows = rows_of(ev, res, position_limit=50_000_000)
    assert rows["End position (base units) @ mid"] == "-0.3795 @ 61,685.995"
    # 38,002,000 + 52,000 lots filled; a float product read 0.38054000000000003
    assert rows["Filled qty (base units)"] == "0.38054"
    # |pos| 0 on [0, .5 s), 38,002,000 on [.5, 1.5), 37,950,000 on [1.5, 3]: mean 94,927,000 / 3 =
    # 31,642,333.33 lots (2 decimals of a lot) = 0.3164233333 base units, to 5 significant digits 0.31642.
    assert rows["Inventory mean |pos| / max |pos| (base units)"] == "0.31642 / 0.38002"
    assert rows["Time at limit (|pos| ≥ 0.5)"] == "0.0%"
    assert rows["Cancel-race fills (count / qty)"] == "1 / 0.00052"
    # --qty lots: the rows as before, word for word.
    lots = rows_of(ev, res, "lots", position_limit=50_000_000)
    assert lots["End position (lots) @ mid"] == "-37,950,000 @ 6,168,599.5 ticks"
    assert lots["Filled qty (lots)"] == "38,054,000"
    assert lots["Inventory mean |pos| / max |pos|"] == "31,642,333.33 / 38,002,000"
    assert lots["Time at limit (|pos| ≥ 50,000,000)"] == "0.0%"
    assert lots["Cancel-race fills (count / qty)"] == "1 / 52,000"
    # Money rows do not depend on the unit.
    assert {k: v for k, v in rows.items() if k.startswith(("PnL", "  ", "Turnover"))} == \
        {k: v for k, v in lots.items() if k.startswith(("PnL", "  ", "Turnover"))}


def test_a_lot_of_0_001_and_a_quarter_tick_read_exactly():
    # The same kind: 1,234,567 lots of 0.001 = 1,234.567; a tick of 0.25 at a mid of 17,001.5 ticks = 4,250.375
    # (one decimal more than the tick's two, a half tick), and at 17,001 ticks 4,250.25.
    ev = make_events([(0, Kind.DEPTH, 1, 17_001, 5), (0, Kind.DEPTH, -1, 17_002, 5), (2 * S, Kind.DEPTH, 1, 17_001, 6)])
    res = result_of([fill(S // 2, 1, 17_001, 1_234_567, 17_001, 17_002)], lot_size=0.001, tick_size=0.25)
    rows = rows_of(ev, res, position_limit=1_500_000.5)
    assert rows["End position (base units) @ mid"] == "1,234.567 @ 4,250.375"
    assert rows["Time at limit (|pos| ≥ 1,500.0005)"] == "0.0%"
    ev = make_events([(0, Kind.DEPTH, 1, 17_000, 5), (0, Kind.DEPTH, -1, 17_002, 5), (2 * S, Kind.DEPTH, 1, 17_000, 6)])
    res = result_of([fill(S // 2, -1, 17_002, 1_234_567, 17_000, 17_002)], lot_size=0.001, tick_size=0.25)
    rows = rows_of(ev, res)
    assert rows["End position (base units) @ mid"] == "-1,234.567 @ 4,250.25"
    # A price on the tick keeps the tick's decimals: 17,000 ticks of 0.01 read 170.00, not 170.
    assert Quantities({"run": {"tick_size": 0.01, "lot_size": 0.001}}).mid(17_000.0) == "170.00"


def test_qty_base_on_a_lot_1_store_is_lots_with_the_unit_named_and_the_mid_in_quote_currency():
    """Decided: not refused. One lot is one base unit, so every quantity reads the same number; the labels
    and the caption name the unit and the mid is a price (a script can ask for base units on any store)."""
    ev = make_events(HAND_EVENTS)
    res = result_of([fill(S // 2, 1, 100, 2, 100, 102, fee=0.1)], tick_size=0.01)
    lots, base = rows_of(ev, res, "auto", position_limit=2), rows_of(ev, res, "base", position_limit=2)
    assert rows_of(ev, res, "lots", position_limit=2) == lots  # auto on a lot of 1 is lots
    assert lots["End position (lots) @ mid"] == "2 @ 100.0 ticks"
    assert base["End position (base units) @ mid"] == "2 @ 1.00"
    assert (lots["Filled qty (lots)"], base["Filled qty (base units)"]) == ("2", "2")
    assert lots["Time at limit (|pos| ≥ 2)"] == base["Time at limit (|pos| ≥ 2)"]
    same = {k: v for k, v in lots.items() if "(lots)" not in k and "|pos| /" not in k}
    assert same == {k: v for k, v in base.items() if "(base units)" not in k}
    # The caption: unchanged in lots, the unit and the lot in base units.
    assert Quantities({"run": {"lot_size": 1.0}}, "auto").caption() == "money in quote currency"
    assert Quantities({"run": {"lot_size": 1.0}}, "base").caption() == (
        "money and prices in quote currency\nquantities in base units (1 lot = 1)")


@pytest.mark.parametrize("lot, text", [(1e-08, "1e-08"), (0.123456789, "0.123456789"), (1234567.0, "1234567"),
                                       (0.001, "0.001"), (25.0, "25")])
def test_the_caption_gives_the_lot_size_with_every_digit(lot, text):
    """A breaker's find: `:g` printed a lot of 1,234,567 as 1.23457e+06 and 0.123456789 as 0.123457 (the
    quantities themselves were exact). The caption and the HTML notes give the lot as given."""
    q = Quantities({"run": {"lot_size": lot}}, "base")
    assert q.caption() == f"money and prices in quote currency\nquantities in base units (1 lot = {text})"
    assert q.lot_text == text


def test_a_position_limit_in_lots_keeps_every_digit():
    """A breaker's find: `--qty lots --position-limit 123456789012345678` printed ...680 (through a float);
    report.json held ...678. An integer limit prints exactly; a fractional one as before."""
    q = Quantities({"run": {"lot_size": 1.0}}, "lots")
    assert q.limit(123_456_789_012_345_678) == "123,456,789,012,345,678"
    assert q.limit(np.int64(2**62 + 1)) == "4,611,686,018,427,387,905"
    assert q.limit(1_234_567.5) == "1,234,567.5" and q.limit(1500.0) == "1,500"


def test_the_terminal_and_html_name_the_unit_and_report_json_keeps_lots():
    ev, res = spot()
    rep = report(res, ev, horizons=["1s"], event_horizons=[])
    console = Console(width=80, record=True, file=io.StringIO())
    rep.print(console)
    text = console.export_text()
    row = next(line for line in text.splitlines() if "End position" in line)
    assert row.split("│")[1:3] == [" End position (base units) @ mid ".ljust(len(row.split("│")[1])),
                                  " -0.3795 @ 61,685.995 ".rjust(len(row.split("│")[2]))]
    assert "quantities in base units (1 lot = 1e-08)" in text and "money and prices in quote currency" in text
    page = rep.to_html()
    assert "<td>-0.3795 @ 61,685.995</td>" in page.replace('<td class="neg">', "<td>")
    assert "quantities in base units (1 lot = 1e-08; report.json and fills.csv keep lots)" in page
    doc = json.loads(rep.to_json())
    assert doc["run"]["lot_size"] == 1e-08 and doc["pnl"]["position"] == -37_950_000
    assert doc["fills"]["qty"] == 38_054_000 and doc["cancel_race"]["qty"] == 52_000
    # Lots: the page as before (no units sentence), the same report.json.
    lots = report(res, ev, horizons=["1s"], event_horizons=[], qty="lots")
    assert "base units" not in lots.to_html() and json.loads(lots.to_json()) == doc
    assert "-37,950,000 @ 6,168,599.5 ticks" in lots.to_html()


def test_a_bad_qty_is_a_config_error_naming_the_api_argument_or_the_flag(tmp_path):
    ev, res = spot()
    with pytest.raises(mmsim.ConfigError, match=r"^qty must be one of auto, lots, base, got 'btc'$"):
        report(res, ev, horizons=["1s"], event_horizons=[], qty="btc")
    # The flag's reader, as --queue-buckets': mmsim's message naming the flag and the value as written.
    parser, _ = build_parser()
    for bad in ("btc", "Lots", ""):
        with pytest.raises(mmsim.ConfigError) as info:
            parser.parse_args(["report", "run", "--qty", bad])
        assert str(info.value) == f"--qty: expected one of auto, lots, base, got {bad!r}"
    assert parser.parse_args(["report", "run", "--qty", "base"]).qty == "base"
    assert parser.parse_args(["report", "run"]).qty == "auto"


def test_queue_position_buckets_read_in_base_units():
    block = {"basis": "queue_ahead_at_entry", "unit": "lots", "horizon": "1s",
             "buckets": [{"lo": 0, "hi": 0, "n": 3, "markout_ticks": {"mean": -1.0}, "toxic_share": 1.0,
                          "horizons": {}},
                         {"lo": 9_000, "hi": 212_824_000, "n": 2, "markout_ticks": {"mean": -2.0},
                          "toxic_share": 0.5, "horizons": {}}]}
    u = Quantities({"run": {"lot_size": 1e-08}})
    head, rows = by_age_rows(block, ["1s"], ci=False, qty=u)
    assert head[0] == "queue ahead at entry (base units)"
    assert [r[0] for r in rows] == ["0", "0.00009 – 2.12824"]
    head, rows = by_age_rows(block, ["1s"], ci=False)
    assert head[0] == "queue ahead at entry" and [r[0] for r in rows] == ["0", "9,000 – 212,824,000"]
    # The HTML section's heading and the terminal table's title say so too.
    from mmsim.report.render_queuepos import queue_position_html

    q = {"recorded": True, "n_maker": 5, "n_taker": 0, "n_not_recorded": 0, "n_alone": 0,
         "by_queue": [dict(block, n=5, last_minus_first=None, spearman=None)]}
    page = "".join(queue_position_html({"queue_position": q, "run": {"horizons": ["1s"]}},
                                       lambda h, r, i: f"{h}{r}", u))
    assert "<h3>Markout by qty ahead at entry in base units</h3>" in page and "0.00009 – 2.12824" in page
    lots = "".join(queue_position_html({"queue_position": q, "run": {"horizons": ["1s"]}}, lambda h, r, i: f"{h}{r}"))
    assert "<h3>Markout by lots ahead at entry</h3>" in lots and "9,000 – 212,824,000" in lots
    from mmsim.report.render_queuepos import queue_position_tables

    d = {"queue_position": q, "run": {"horizons": ["1s"]}}
    for qty, title in ((u, "qty ahead at entry in base units"), (None, "lots ahead at entry")):
        console = Console(width=200, record=True, file=io.StringIO())
        for t in queue_position_tables(d, 200, qty):
            console.print(t)
        assert f"Markout by queue position: {title} (maker fills" in " ".join(console.export_text().split())


class Touch(mmsim.Strategy):
    """Join the touch on both sides, 1,234 lots a side."""

    def quote(self, view):
        if view.bid_qty <= 0 or view.ask_qty <= 0:
            return None
        return mmsim.Quote(view.best_bid, 1_234, view.best_ask, 1_234)


def test_cli_qty_on_a_run_with_a_lot_of_0_001(tmp_path, capsys):
    """A real run (a synthetic market's events read as lots of 0.001): auto prints base units, --qty lots the
    lots, the same report.json either way."""
    from mmsim.synth import SynthConfig, generate

    part = generate(SynthConfig(seed=3, duration=20 * S))
    # The bucket volume's default with its unit (on a lot of 0.001 the default alone warns, LotUnitWarning).
    res = mmsim.run(part, Touch(), mmsim.Config(tick_size=0.01, lot_size=0.001,
                                                signals=mmsim.SignalConfig(vpin_bucket_volume="100 lots")))
    assert res.fills.size > 0
    np.save(tmp_path / "ev.npy", part)
    res.save(tmp_path / "run")
    parser, _ = build_parser()
    docs = {}
    for qty in ("auto", "lots"):
        out = tmp_path / qty
        args = parser.parse_args(["report", str(tmp_path / "run"), "--events", str(tmp_path / "ev.npy"), "--no-plots",
                                  "-o", str(out), *(["--qty", qty] if qty != "auto" else [])])
        assert cmd_report(args) == 0
        docs[qty] = json.loads((out / "report.json").read_text())
        printed = capsys.readouterr().out
        lots = docs[qty]["fills"]["qty"]
        if qty == "auto":
            assert "quantities in base units (1 lot = 0.001)" in printed
            want = f"{Decimal(lots) * Decimal('0.001'):,f}".rstrip("0").rstrip(".")
            assert "Filled qty (base units)" in printed and f" {want} " in printed
        else:
            assert "base units" not in printed and f" {lots:,} " in printed
    assert docs["auto"] == docs["lots"] and docs["auto"]["run"]["lot_size"] == 0.001


def test_the_by_level_table_gives_its_filled_qty_in_base_units():
    from test_report_levels import run as run_levels

    from mmsim import Quote
    from mmsim.report.render_levels import level_rows

    # test_report_levels' hand ladder: 2 lots filled at level 0 (1 + 1) and 2 at level 1, lots of 0.001 here.
    events, r = run_levels(Quote.ladder(bids=[(100, 1), (99, 2)], asks=[(102, 1), (103, 2)]), ladder_levels=2,
                           lot_size=0.001)
    d = r.report(events, horizons=[1000], event_horizons=[], toxic_horizon=1000).data
    head, rows = level_rows(d["by_level"], ["1us"], qty=Quantities(d))
    assert head[3] == "base units" and [row[3] for row in rows] == ["0.002", "0.002"]
    head, rows = level_rows(d["by_level"], ["1us"], qty=Quantities(d, "lots"))
    assert head[3] == "lots" and [row[3] for row in rows] == ["2", "2"]
    assert level_rows(d["by_level"], ["1us"]) == (head, rows)  # no qty: lots, as before


def test_a_mean_position_in_base_units_has_five_significant_digits_never_finer_than_the_lot():
    """BTCUSDT spot's summary read `Inventory mean |pos| / max |pos| (base units)  0.2873686347 / 0.5`: ten
    decimals of a mean of a fluctuating position. Five significant digits, never more decimals than two of
    a lot (as the lots table), the integer part whole; report.json keeps the mean exact, in lots."""
    q = Quantities({"run": {"lot_size": 1e-08}}, "auto")
    assert q.mean(28_736_863.47) == "0.28737"
    assert q.mean(1_234.0) == "0.00001234"  # 1,234 lots: 4 significant digits are all there are
    assert q.mean(0.25) == "0.0000000025"  # a quarter lot: the lots table's 0.25
    assert q.mean(0.001) == "0"  # finer than 2 decimals of a lot: the lots table's 0.00
    assert q.mean(0.0) == "0"
    k = Quantities({"run": {"lot_size": 0.001}}, "auto")
    assert k.mean(1_234_567_890.0) == "1,234,568"  # the integer part whole, never 1,234,600
    # The same kind through a report: 1,234,567 lots of 0.001 held 1.5 s of 2 s, a mean of 925,925.25 lots
    # = 925.92525 base units: 925.93 (it read 925.92525); in lots as before.
    ev = make_events([(0, Kind.DEPTH, 1, 17_001, 5), (0, Kind.DEPTH, -1, 17_002, 5), (2 * S, Kind.DEPTH, 1, 17_001, 6)])
    res = result_of([fill(S // 2, 1, 17_001, 1_234_567, 17_001, 17_002)], lot_size=0.001, tick_size=0.25)
    assert rows_of(ev, res)["Inventory mean |pos| / max |pos| (base units)"] == "925.93 / 1,234.567"
    assert rows_of(ev, res, "lots")["Inventory mean |pos| / max |pos|"] == "925,925.25 / 1,234,567"
    d = report(res, ev, horizons=["1s"], event_horizons=[]).data
    assert d["inventory"]["mean_abs"] == 925_925.25
