"""Reports say what was run (issue 15 item 4) and count rejects by reason with a warning on a storm (item 1).

Every report states its data, strategy and parameters, latencies, queue model,
fees, post-only, timer, mmsim version and config digest in report.json
(``setup``), the terminal header and the HTML; two runs that differ in one key
never give the same header. Rejects come from the order log, by reason, and a
run whose rejects pass the documented share gets a warning line.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ROOT, make_events, rewrite_meta

import mmsim
from mmsim import Kind
from mmsim.records import FILL_DTYPE, ORDER_LOG_DTYPE, OrderEvent, RejectReason
from mmsim.report import make_report
from mmsim.report.render import _setup_table
from mmsim.report.rejects import CANCEL_REJECT_WARN_SHARE, ORDER_REJECT_WARN_SHARE
from mmsim.runner import run_config

S = 1_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


def _console_text(rep, width: int) -> str:
    from rich.console import Console

    console = Console(record=True, width=width)
    rep.print(console)
    return console.export_text()


def _header_lines(rep, width: int = 200) -> list[str]:
    """The terminal's setup table: the lines before the summary table."""
    text = _console_text(rep, width)
    return text[: text.index("Summary")].splitlines()


# ----------------------------------------------------------------------------- rejects by reason


def _order_log(sent: int, rejects: dict[int, int], cancels: int, cancel_rejects: dict[int, int]) -> np.ndarray:
    rows = [(i, i, i, 100, 1, 1, int(OrderEvent.SENT), 1, 0, 1, 0, 0, i) for i in range(sent)]
    for reason, n in rejects.items():
        rows += [(i, i, i, 100, 1, 1, int(OrderEvent.REJECTED), 1, reason, 1, 0, 0, i) for i in range(n)]
    rows += [(i, i, i, 100, 1, 1, int(OrderEvent.CANCEL_SENT), 1, 0, 1, 0, 0, i) for i in range(cancels)]
    for reason, n in cancel_rejects.items():
        rows += [(i, i, i, 100, 1, 0, int(OrderEvent.CANCEL_REJECTED), 1, reason, 1, 0, 0, i) for i in range(n)]
    return np.array(rows, dtype=ORDER_LOG_DTYPE)


def _hand_run(orders: np.ndarray) -> tuple[np.ndarray, SimpleNamespace]:
    """A run with no fills and the given order log over a two-sided book (100/102) for 10 s."""
    ev = make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (10 * S, Kind.DEPTH, 1, 100, 6)])
    res = SimpleNamespace(fills=np.zeros(0, dtype=FILL_DTYPE), orders=orders, samples=None, fill_signals=None,
                          position=0, cash_ticks=0, fees=0.0, tick_value=1.0, config=mmsim.Config(),
                          meta={"symbol": "TEST"}, strategy="Crosser")
    return ev, res


POST_ONLY = int(RejectReason.POST_ONLY_WOULD_CROSS)
DONE = int(RejectReason.ORDER_DONE)


def test_rejects_by_reason_from_a_hand_built_order_log():
    # 20 orders sent: 10 rejected as post-only crossing, 1 with a reason code the enum does not know;
    # 8 cancels sent, 1 refused because the order was done.
    ev, res = _hand_run(_order_log(20, {POST_ONLY: 10, 9: 1}, 8, {DONE: 1}))
    rep = make_report(res, ev)
    rj = rep.data["rejects"]
    assert rj["orders_sent"] == 20 and rj["cancels_sent"] == 8
    assert rj["orders"] == {"POST_ONLY_WOULD_CROSS": 10, "reason_9": 1}
    assert rj["cancels"] == {"ORDER_DONE": 1}
    assert rj["order_share"] == 11 / 20 and rj["cancel_share"] == 1 / 8
    assert rj["warn_shares"] == {"orders": 0.05, "cancels": 0.25}
    # The existing count is unchanged: every REJECTED row.
    assert rep.data["fills"]["rejects"] == 11
    # 10 of 20 is past 5%; the unknown reason's 1 of 20 is exactly 5%, not past it; 1 of 8 cancels is under 25%.
    assert rep.data["warnings"] == [
        "50% of orders (10 of 20) were rejected as post-only crossing: the quotes crossed the book when they "
        "reached the exchange. Check the quote prices against the best bid and ask the strategy sees (a bid at "
        "or above the best ask crosses), and the feed and entry latency (a stale view quotes through a book that "
        "has moved); with post_only: false they would take liquidity instead."]

    text = _console_text(rep, 80)
    flat = " ".join(text.split())
    assert "Orders rejected (of 20 sent) │ 11 (55.0%)" in flat
    assert "post-only, would cross │ 10" in flat and "reason_9 │ 1" in flat
    assert "Cancels rejected (of 8 sent) │ 1 (12.5%)" in flat
    assert "order already filled/cancelled │ 1" in flat
    assert "warning: 50% of orders (10 of 20) were rejected as post-only crossing" in flat
    page = rep.to_html()
    assert '<p class="warn" id="warning-0">warning: 50% of orders (10 of 20) were rejected as post-only crossing' \
        in page
    assert "<td>Orders rejected (of 20 sent)</td><td>11 (55.0%)</td>" in page
    # A reason is a sub-row of its total, indented as in the terminal.
    assert '<td class="sub">post-only, would cross</td><td>10</td>' in page
    assert '<td class="sub">spread capture</td>' in page
    assert json.loads(rep.to_json())["rejects"]["orders"]["reason_9"] == 1


@pytest.mark.parametrize("cancel_rejects, warned", [(2, False), (3, True)], ids=["at-25%", "past-25%"])
def test_cancel_rejects_warn_past_their_share(cancel_rejects, warned):
    # 8 cancels: 2 refused is 25% (the threshold, no warning), 3 is 37.5% (a warning).
    ev, res = _hand_run(_order_log(10, {}, 8, {DONE: cancel_rejects}))
    rep = make_report(res, ev)
    expected = [f"{100 * cancel_rejects / 8:.0f}% of cancels ({cancel_rejects} of 8) arrived after their order was "
                "already filled or cancelled: the requotes race the fills at this latency. A slower requote rule "
                "(decide_every) or a shorter entry latency sends fewer late cancels; the fills they cost are under "
                "cancel-race."]
    assert rep.data["warnings"] == (expected if warned else [])
    assert CANCEL_REJECT_WARN_SHARE == 0.25 and ORDER_REJECT_WARN_SHARE == 0.05


def test_no_order_log_no_rejects_section():
    ev, res = _hand_run(None)
    rep = make_report(res, ev)
    assert rep.data["rejects"] is None and rep.data["warnings"] == []
    assert "Orders rejected" not in _console_text(rep, 80)


class _CrossingQuoter(mmsim.Strategy):
    """Bids at the best ask and offers at the best bid: every post-only order crosses."""

    def quote(self, view):
        if view.bid_qty == 0 or view.ask_qty == 0:
            return None
        return mmsim.Quote(view.best_ask, 1, view.best_bid, 1)


def test_a_crossing_strategy_on_the_engine_is_warned_about():
    rows = []
    for i in range(50):  # the touch moves every second: 100/102, 101/103, ...
        rows += [(i * S, Kind.CLEAR, 0, 0, 0), (i * S, Kind.DEPTH, 1, 100 + i % 2, 5),
                 (i * S, Kind.DEPTH, -1, 102 + i % 2, 5)]
    ev = make_events(rows)
    res = mmsim.run(ev, _CrossingQuoter(), mmsim.Config(latency={"entry": "1ms", "response": "1ms"}))
    log = res.orders
    rejected = int(((log["event"] == int(OrderEvent.REJECTED)) & (log["reason"] == POST_ONLY)).sum())
    sent = int((log["event"] == int(OrderEvent.SENT)).sum())
    assert rejected > 0 and rejected / sent > ORDER_REJECT_WARN_SHARE
    rep = res.report(ev)
    assert rep.data["rejects"]["orders"] == {"POST_ONLY_WOULD_CROSS": rejected}
    share = rejected / sent
    assert rep.data["warnings"][0].startswith(
        f"{100 * share:.0f}% of orders ({rejected:,} of {sent:,}) were rejected as post-only crossing: ")


# ----------------------------------------------------------------------------- what was run


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("header")
    return [write_store(SynthConfig(seed=s, duration=60 * S, format="l2"), d / f"day{s}") for s in (1, 2)]


def _run_config(store: Path, **over) -> mmsim.RunConfig:
    base = {"data": str(store), "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}},
            "latency": {"feed": "1ms", "entry": "1ms", "response": "1ms"}, "decide_every": "100ms",
            "report": {"horizons": ["1s"], "event_horizons": [10]}}
    for key, value in over.items():
        node = base
        *head, last = key.split(".")
        for h in head:
            node = node.setdefault(h, {})
        node[last] = value
    return mmsim.RunConfig.from_dict(base)


UNITS_WARNING = (
    "contract_size is 1 (not set in the config) on GLBX.MDP3 data, a futures venue, with per-lot fees (maker 0.6/lot, "
    "taker 0.6/lot): the spread capture and inventory PnL are in price units × lots while the fees are in quote "
    "currency, so the PnL total mixes units. Set contract_size in the config to the contract's multiplier "
    "(examples/esh4_mbo.yaml sets 50 for ES, $50 per index point)")


@pytest.fixture(scope="module")
def futures_store(stores, tmp_path_factory):
    """The synthetic day with a CME store's venue and tick (the Databento loader writes the DBN dataset)."""
    import shutil

    out = tmp_path_factory.mktemp("futures") / "esh4_like"
    shutil.copytree(stores[0], out)
    rewrite_meta(out, venue="GLBX.MDP3", tick_size=0.25, contract_size=1.0)
    return out


def test_a_futures_run_with_per_lot_fees_and_no_contract_size_warns(futures_store):
    """The newcomer's: ESH4 with fees of 0.6/lot and no contract_size read `PnL total -20.90 = spread capture 19.62
    + inventory -20.12 − fees -20.40`, index points × lots beside dollars, and its header was the same as with
    contract_size 50 but for the digest. The header states the contract and a tick's value; the run warns."""
    rep = _report(_run_config(futures_store, fees={"maker_per_lot": 0.6, "taker_per_lot": 0.6}))
    assert rep.data["warnings"] == [UNITS_WARNING]
    assert rep.data["setup"]["contract"] == {"tick_size": 0.25, "lot_size": 1.0, "contract_size": 1.0,
                                             "tick_value": 0.25}
    lines = [" ".join(line.split()) for line in _header_lines(rep)]
    assert "contract tick 0.25 × contract_size 1 = 0.25 quote currency per tick per lot" in lines
    assert f"warning: {UNITS_WARNING}" in " ".join(_console_text(rep, 200).split())
    assert json.loads(json.dumps(rep.data["warnings"])) == [UNITS_WARNING]  # as report.json carries it


def test_no_units_warning_with_contract_size_set_with_bps_fees_or_off_futures(futures_store, stores):
    """contract_size written in the config (50, ES's multiplier) is the user's word: no warning, and the header
    says one tick is worth 12.5. Fees in bps scale with contract_size as the PnL parts do (one unit: no warning).
    Per-lot fees on a venue that is not a futures one (the synthetic store's) are in the parts' currency."""
    es = _report(_run_config(futures_store, contract_size=50, fees={"maker_per_lot": 0.6, "taker_per_lot": 0.6}))
    assert es.data["warnings"] == []
    assert es.data["setup"]["contract"]["tick_value"] == 12.5
    lines = [" ".join(line.split()) for line in _header_lines(es)]
    assert "contract tick 0.25 × contract_size 50 = 12.5 quote currency per tick per lot" in lines
    assert _report(_run_config(futures_store, fees={"maker_bps": 0.2, "taker_bps": 1})).data["warnings"] == []
    assert _report(_run_config(stores[0], fees={"maker_per_lot": 0.6})).data["warnings"] == []


def test_mmsim_compare_carries_each_runs_units_warning(futures_store):
    """A breaker's find: `mmsim compare` of two such runs printed their PnL per day under "PnL in quote
    currency per day" with no word, and compare.json had no warnings. The comparison carries each run's
    warning (`both runs:` when the same), printed under its verdicts and kept in compare.json."""
    import io

    from rich.console import Console

    fees = {"maker_per_lot": 0.6, "taker_per_lot": 0.6}
    a = run_config(_run_config(futures_store, fees=fees))
    b = run_config(_run_config(futures_store, fees=fees, **{"strategy.params": {"half_spread": 2, "size": 1}}))
    ev = mmsim.load(futures_store)
    cmp = mmsim.compare(a, b, ev, horizons=["1s"], n_boot=50)
    assert cmp.warnings == [f"both runs: {UNITS_WARNING}"]
    assert cmp.to_dict()["warnings"] == [f"both runs: {UNITS_WARNING}"]
    console = Console(width=400, record=True, file=io.StringIO())
    cmp.print(console)
    assert f"warning: both runs: {UNITS_WARNING}" in " ".join(console.export_text().split())
    # One run with contract_size set: only the other is named; neither: no warning.
    c = run_config(_run_config(futures_store, fees=fees, contract_size=50))
    with pytest.raises(mmsim.DataError, match="value a tick·lot differently"):  # 0.25 vs 12.5: not compared
        mmsim.compare(a, c, ev, horizons=["1s"], n_boot=50)
    from mmsim.analysis.comparison import units_warnings

    assert units_warnings(a, c) == [f"run A: {UNITS_WARNING}"]
    assert units_warnings(c, c) == []


def _venue_store(futures_store: Path, tmp_path: Path, venue: str) -> Path:
    import shutil

    out = tmp_path / venue
    shutil.copytree(futures_store, out)
    rewrite_meta(out, venue=venue)
    return out


_UNITS_HEAD = ("contract_size is 1 (not set in the config) on {venue} data, a futures venue, with per-lot fees "
               "(maker 0.6/lot, taker 0.6/lot): the spread capture and inventory PnL are in price units × lots "
               "while the fees are in quote currency, so the PnL total mixes units. Set contract_size in the config "
               "to the contract's multiplier ")


def test_the_units_warning_advice_fits_the_venue(futures_store, tmp_path):
    """The advice named ES (`examples/esh4_mbo.yaml sets 50 for ES`) on ICE and Eurex data too. Each venue's
    advice names where its multiplier is written, with an example checked against the exchange."""
    fees = {"maker_per_lot": 0.6, "taker_per_lot": 0.6}
    eurex = _report(_run_config(_venue_store(futures_store, tmp_path, "XEUR.EOBI"), fees=fees))
    assert eurex.data["warnings"] == [_UNITS_HEAD.format(venue="XEUR.EOBI") + (
        "(Eurex's contract value per index point (or per price unit) in the product's specifications; "
        "EURO STOXX 50 Index Futures (FESX) are EUR 10 per index point: contract_size 10)")]
    ice = _report(_run_config(_venue_store(futures_store, tmp_path, "IFEU.IMPACT"), fees=fees))
    assert ice.data["warnings"] == [_UNITS_HEAD.format(venue="IFEU.IMPACT") + (
        "(ICE's contract size for the product, in its contract specifications: the quantity one lot holds, in the "
        "unit the price is quoted per; Brent Crude futures (B) are 1,000 barrels priced in USD per barrel: "
        "contract_size 1000)")]
    from mmsim.config import Config
    from mmsim.report.setup import units_warning

    # ICE's other datasets name the concept only (no example was checked for them); CME's stays ES.
    endex = units_warning(SimpleNamespace(contract_size=1.0), Config.from_dict({"fees": fees}),
                          {"venue": "NDEX.IMPACT"})
    assert endex == _UNITS_HEAD.format(venue="NDEX.IMPACT") + (
        "(ICE's contract size for the product, in its contract specifications: the quantity one lot holds, in the "
        "unit the price is quoted per)")
    assert "ES" not in endex.split("multiplier")[1]


def test_the_fee_line_mentions_a_rebate_only_when_a_fee_is_negative():
    from mmsim.config import Config
    from mmsim.report.setup import fees_label

    # ESH4's example config: $0.35 a contract each way, no rebate to explain
    assert fees_label(Config.from_dict({"fees": {"maker_per_lot": 0.35, "taker_per_lot": 0.35}})) == (
        "maker 0.35/lot, taker 0.35/lot")
    assert fees_label(Config.from_dict({"fees": {"taker_bps": 7}})) == "maker 0 bps, taker 7 bps"
    # AMZN's: a maker rebate
    assert fees_label(Config.from_dict({"fees": {"maker_per_lot": -0.002, "taker_per_lot": 0.003}})) == (
        "maker -0.002/lot, taker 0.003/lot (negative: a rebate)")
    assert fees_label(Config()) == "none"


def _report(config: mmsim.RunConfig):
    res = run_config(config)
    return res.report(mmsim.load(config.data))


def test_the_header_states_what_was_run(stores):
    cfg = _run_config(stores[0], **{"latency.feed": {"lognormal": {"median": "1ms", "sigma": 0.5}},
                                    "queue": {"model": "power", "power": 2},
                                    "fees": {"maker_bps": -0.5, "taker_bps": 7}})
    rep = _report(cfg)
    s = rep.data["setup"]
    assert s["data"]["store"] == str(stores[0]) and s["data"]["symbol"] == "SYNTH" and s["data"]["levels"] == "L2"
    meta = json.loads((stores[0] / "meta.json").read_text())
    assert s["data"]["n_events"] == meta["event_count"]
    assert s["strategy"] == {"label": "FixedSpread", "path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}
    assert s["latency"] == {"feed": "lognormal(1ms, 0.5)", "entry": "constant 1ms", "response": "constant 1ms",
                            "seed": 0}
    assert s["queue"] == "power(2)"
    assert s["fees"] == "maker -0.5 bps, taker 7 bps (negative: a rebate)"
    assert s["post_only"] is True and s["decide_every"] == "100ms" and s["max_idle"] == "60s"
    assert s["max_orders"] == 64 and s["ladder_levels"] == 1
    assert s["mmsim_version"] == mmsim.__version__
    assert s["config_digest"] == cfg.digest() and s["digest_of"] == "run config"
    assert mmsim.RunConfig.from_dict(s["config"]) == cfg  # the resolved config, whole

    lines = [" ".join(line.split()) for line in _header_lines(rep)]
    assert "latency feed lognormal(1ms, 0.5); entry constant 1ms; response constant 1ms; seed 0" in lines
    plain = [" ".join(line.split()) for line in _header_lines(_report(_run_config(stores[0])))]
    assert "latency feed constant 1ms; entry constant 1ms; response constant 1ms" in plain  # no draws, no seed
    assert "queue power(2)" in lines
    assert "fees maker -0.5 bps, taker 7 bps (negative: a rebate)" in lines
    # (the timer sleeps through gaps in the data: docs/engine.md, "The timer through gaps")
    assert ("timer the strategy decides every 100ms (decide_every); it sleeps after 60s without market "
            "data (max_idle)") in lines
    assert "orders post-only (a crossing quote is rejected); at most 64 live" in lines
    assert f"strategy FixedSpread(half_spread=1, size=1) from {FIXED_SPREAD}" in lines
    assert f"store {stores[0]}" in lines
    assert (f"mmsim {mmsim.__version__}; config digest {cfg.digest()} (of the run config); result digest "
            f"{s['result_digest']}") in lines
    page = rep.to_html()
    assert "<h2>What was run</h2>" in page
    assert "<tr><th>queue</th><td>power(2)</td></tr>" in page
    assert f"<tr><th>mmsim</th><td>{mmsim.__version__}; config digest {cfg.digest()}" in page


CHANGES = {
    "latency": {"latency.feed": "5ms"},
    "lognormal latency": {"latency.entry": {"lognormal": {"median": "1ms", "sigma": 0.5}}},
    "queue model": {"queue": {"model": "log"}},
    "fees": {"fees": {"maker_bps": -0.2}},
    "strategy parameter": {"strategy.params.half_spread": 2},
    "post-only": {"post_only": False},
    "timer": {"decide_every": "10ms"},
    "ladder levels": {"ladder_levels": 2},
}


@pytest.mark.parametrize("change", [*CHANGES, "data"])
def test_two_runs_that_differ_in_one_key_have_different_headers(stores, change):
    a = _run_config(stores[0])
    b = _run_config(stores[1]) if change == "data" else _run_config(stores[0], **CHANGES[change])
    ra, rb = _report(a), _report(b)
    assert a.digest() != b.digest()
    assert ra.data["setup"]["config_digest"] != rb.data["setup"]["config_digest"]
    ha, hb = _header_lines(ra), _header_lines(rb)
    # Beyond the digest, a line that names the change differs.
    assert [x for x in ha if "digest" not in x] != [x for x in hb if "digest" not in x]
    assert _setup_table(ra.data["setup"]) != _setup_table(rb.data["setup"])  # the HTML's header table


def test_a_bare_run_has_a_header_and_a_digest_too():
    ev = make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (S, Kind.DEPTH, 1, 100, 6)])
    r1 = mmsim.run(ev, None, mmsim.Config()).report(ev)
    r2 = mmsim.run(ev, None, mmsim.Config(latency={"feed": "1ms"})).report(ev)
    s1, s2 = r1.data["setup"], r2.data["setup"]
    assert s1["strategy"] == {"label": "none", "path": None, "params": None}
    assert s1["digest_of"] == "engine config, strategy label and events"
    assert s1["config_digest"] != s2["config_digest"]
    assert s1["data"]["store"] is None
    lines = [" ".join(line.split()) for line in _header_lines(r1)]
    assert "strategy none (parameters not recorded: a bare mmsim.run; see docs/reports.md)" in lines
    assert "store (an event array, no store)" in lines


class _Quoter(mmsim.Strategy):
    """Join the touch with `size` lots (a Python strategy: a bare run records its label, not `size`)."""

    def __init__(self, size):
        self.size = size

    def quote(self, view):
        if view.bid_qty == 0 or view.ask_qty == 0:
            return None
        return mmsim.Quote(view.best_bid, self.size, view.best_ask, self.size)


def test_two_bare_runs_that_differ_only_in_a_strategy_parameter_differ_in_their_result_digest(stores):
    store = mmsim.load(stores[0])
    cfg = mmsim.Config(latency={"feed": "1ms", "entry": "1ms", "response": "1ms"}, decide_every="1s")
    r1 = mmsim.run(store, _Quoter(size=1), cfg).report(store)
    r2 = mmsim.run(store, _Quoter(size=2), cfg).report(store)
    s1, s2 = r1.data["setup"], r2.data["setup"]
    assert s1["config_digest"] == s2["config_digest"]  # the config cannot tell them apart...
    assert s1["result_digest"] != s2["result_digest"]  # ...what they did can
    assert len(s1["result_digest"]) == 12
    assert _header_lines(r1) != _header_lines(r2)
    again = mmsim.run(store, _Quoter(size=1), cfg).report(store)
    assert again.data["setup"]["result_digest"] == s1["result_digest"]  # pure: same run, same digest


def test_the_header_survives_a_saved_run(stores, tmp_path):
    """mmsim report RUN_DIR states the same setup as the report written by the run."""
    from mmsim.cli import main

    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text(f"data: {stores[0]}\nstrategy: {{path: '{FIXED_SPREAD}', params: {{size: 1}}}}\n"
                        "latency: {feed: 2ms, entry: 1ms, response: 1ms}\n")
    assert main(["run", str(cfg_file), "-o", str(tmp_path / "run"), "-q"]) == 0
    first = json.loads((tmp_path / "run" / "report.json").read_text())["setup"]
    assert main(["report", str(tmp_path / "run"), "-o", str(tmp_path / "again"), "-q", "--no-plots"]) == 0
    again = json.loads((tmp_path / "again" / "report.json").read_text())["setup"]
    assert again == first and first["result_digest"] is not None
    assert first["latency"]["feed"] == "constant 2ms"


#: 2023-12-25 00:00 UTC, as a Databento day's snapshot.
MIDNIGHT = 1_703_462_400 * S


@pytest.mark.parametrize("gap, data_line, fields", [
    # The 00:00 snapshot, then the market two hours later: the header gave "00:00:00.000 → 03:00:00.000
    # UTC (3h00m), 5 events", read as three hours of trading.
    (7200 * S, "data 2023-12-25 02:00:00.000 → 2023-12-25 03:00:00.000 UTC (1h00m, 2 market events), after the book "
               "snapshot at 2023-12-25 00:00:00.000 (3 events; 5 in all)",
     {"snapshot_ts": MIDNIGHT, "snapshot_events": 3, "market_start_ts": MIDNIGHT + 7200 * S}),
    # A snapshot the market follows within the minute (a LOBSTER first row, a Tardis day): as before.
    # (1 h 0 min 59 s reads 1h01m: a span is rounded to its last unit; it read 1h00m, the seconds cut.)
    (59 * S, "data 2023-12-25 00:00:00.000 → 2023-12-25 01:00:59.000 UTC (1h01m), 5 events",
     {"snapshot_ts": MIDNIGHT, "snapshot_events": 3, "market_start_ts": MIDNIGHT + 59 * S}),
], ids=["two-hours-after", "within-the-minute"])
def test_an_opening_snapshot_long_before_the_market_is_set_apart(gap, data_line, fields):
    ev = make_events([(MIDNIGHT, Kind.CLEAR, 0, 0, 0), (MIDNIGHT, Kind.DEPTH, 1, 100, 5),
                      (MIDNIGHT, Kind.DEPTH, -1, 102, 5), (MIDNIGHT + gap, Kind.DEPTH, 1, 100, 6),
                      (MIDNIGHT + gap + 3600 * S, Kind.DEPTH, 1, 100, 7)])
    rep = mmsim.run(ev, None, mmsim.Config()).report(ev)
    data = rep.data["setup"]["data"]
    assert {k: data[k] for k in fields} == fields
    assert data["start_ts"] == MIDNIGHT and data["n_events"] == 5  # the whole replay, as before
    assert data_line in [" ".join(line.split()) for line in _header_lines(rep)]


def test_events_without_an_opening_snapshot_have_none():
    ev = make_events([(0, Kind.DEPTH, 1, 100, 5), (0, Kind.DEPTH, -1, 102, 5), (7200 * S, Kind.DEPTH, 1, 100, 6)])
    data = mmsim.run(ev, None, mmsim.Config()).report(ev).data["setup"]["data"]
    assert (data["snapshot_ts"], data["snapshot_events"], data["market_start_ts"]) == (None, None, None)


DAY = 86_400 * S


@pytest.mark.parametrize("days, data_line, fields", [
    # Two Databento days: the second day's 00:00 book (2 events) was counted as market events,
    # "(25h00m, 6 market events), after the book snapshot at 2023-12-25 00:00:00.000 (3 events; 9 in all)".
    (2, "data 2023-12-25 02:00:00.000 → 2023-12-26 03:00:00.000 UTC (25h00m, 4 market events), after the book "
        "snapshot at 2023-12-25 00:00:00.000 and 1 more (5 snapshot events; 9 in all)",
     {"snapshot_events": 3, "snapshots": 2, "snapshots_events": 5}),
    (3, "data 2023-12-25 02:00:00.000 → 2023-12-27 03:00:00.000 UTC (49h00m, 6 market events), after the book "
        "snapshot at 2023-12-25 00:00:00.000 and 2 more (7 snapshot events; 13 in all)",
     {"snapshot_events": 3, "snapshots": 3, "snapshots_events": 7}),
], ids=["two-days", "three-days"])
def test_every_book_snapshot_of_a_several_day_replay_is_counted_apart(days, data_line, fields):
    rows = [(MIDNIGHT, Kind.CLEAR, 0, 0, 0), (MIDNIGHT, Kind.DEPTH, 1, 100, 5), (MIDNIGHT, Kind.DEPTH, -1, 102, 5)]
    for day in range(days):
        t = MIDNIGHT + day * DAY
        if day:  # the next day's 00:00 book: a CLEAR and its one level
            rows += [(t, Kind.CLEAR, 0, 0, 0), (t, Kind.DEPTH, 1, 100, 5)]
        rows += [(t + 7200 * S, Kind.DEPTH, 1, 100, 6), (t + 10800 * S, Kind.DEPTH, 1, 100, 7)]
    ev = make_events(rows)
    rep = mmsim.run(ev, None, mmsim.Config()).report(ev)
    data = rep.data["setup"]["data"]
    assert {k: data[k] for k in fields} == fields
    assert data_line in [" ".join(line.split()) for line in _header_lines(rep)]


@pytest.mark.parametrize("second, data_line", [
    # A snapshot-only day converted with the trading day: the two 00:00 books open the data, and the market
    # starts at 02:00 of the second day. The header read "2023-12-26 00:00:00.000 → ... (27h00m, ...)", the
    # second book taken for the market's start, and the report's inventory was weighted from it (breaker).
    (DAY, "data 2023-12-26 02:00:00.000 → 2023-12-26 03:00:00.000 UTC (1h00m, 2 market events), after the book "
          "snapshot at 2023-12-25 00:00:00.000 and 1 more (5 snapshot events; 7 in all)"),
    # The same kind: a second book 30 s after the first (under the 60 s that sets a snapshot apart) read as the
    # market's start, and nothing was set apart.
    (30 * S, "data 2023-12-25 02:00:30.000 → 2023-12-25 03:00:30.000 UTC (1h00m, 2 market events), after the book "
             "snapshot at 2023-12-25 00:00:00.000 and 1 more (5 snapshot events; 7 in all)"),
], ids=["a-snapshot-only-day-first", "two-books-30s-apart"])
def test_snapshots_straight_after_the_opening_one_are_not_the_market_s_start(second, data_line):
    t = MIDNIGHT + second
    ev = make_events([(MIDNIGHT, Kind.CLEAR, 0, 0, 0), (MIDNIGHT, Kind.DEPTH, 1, 100, 5),
                      (MIDNIGHT, Kind.DEPTH, -1, 102, 5), (t, Kind.CLEAR, 0, 0, 0), (t, Kind.DEPTH, 1, 100, 5),
                      (t + 7200 * S, Kind.DEPTH, 1, 100, 6), (t + 10800 * S, Kind.DEPTH, 1, 100, 7)])
    rep = mmsim.run(ev, None, mmsim.Config()).report(ev)
    data = rep.data["setup"]["data"]
    assert (data["market_start_ts"], data["snapshots"], data["snapshots_events"]) == (t + 7200 * S, 2, 5)
    assert data_line in [" ".join(line.split()) for line in _header_lines(rep)]
    assert rep.data["inventory"]["from_ts"] == t + 7200 * S


@pytest.mark.parametrize("ns, text", [
    (0, "0 s"), (250_000_000, "0.25 s"), (59_940_000_000, "59.9 s"), (119_400_000_000, "119 s"),
    (119_500_000_000, "2m00s"),
    (344_561_000_000, "5m45s"),          # the BTCUSDT capture: the comparison printed 5m44s (cut)
    (344_499_999_999, "5m44s"),
    (3_599_500_000_000, "1h00m"),
    (3_659 * S, "1h01m"),                # 1 h 0 min 59 s: the header printed 1h00m (seconds cut above an hour)
    (7_199_266_000_000, "2h00m"),        # ESH4's 22:00:00.180 -> 23:59:59.446 printed 1h59m
    (7_229_999_999_999, "2h00m"), (7_230 * S, "2h01m"), (93_599 * S, "26h00m"),
    # a breaker's: under a millisecond it read 1e-09 s and 9.99e-07 s; a negative span -1e+03 s
    (1, "1ns"), (999, "999ns"), (250_000, "250us"), (-10**12, "-16m40s"),
])
def test_a_data_span_is_rounded_to_its_last_unit(ns, text):
    from mmsim.report._format import format_span

    assert format_span(ns) == text
