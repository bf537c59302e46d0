"""A feed latency of ``recorded + X``: each event reaches the strategy at its recorded ``local_ts`` plus X.

The latency study around one's own captured feed ("what if my feed were 5 ms slower than what I
recorded?"): hand cases where the offset loses a cancel race and delays a fill, every form read
and printed back, every bad form refused naming the key, ``run_many`` byte-identical to separate
runs (synthetic and a Binance day), and a sweep over ``[recorded, recorded + 5ms, recorded + 20ms]``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import ROOT, make_events, rewrite_meta, shared_data

import mmsim
from mmsim import ConfigError, Kind, LatencyModel, Quote
from mmsim.analysis.lookahead import feed_delivery_times
from mmsim.sweep.labels import display_label, latency_positions

D, T = Kind.DEPTH, Kind.TRADE
MS = 1_000_000
DAY = 86_400_000_000_000
FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


class Puller(mmsim.Strategy):
    """Bid 5 lots at 100 while the local ask holds at least 5 lots, else pull it."""

    def quote(self, view):
        return Quote(100, 5, 0, 0) if view.ask_qty >= 5 else Quote(0, 0, 0, 0)


class Bid2(mmsim.Strategy):
    """Always a bid of 2 lots at 100."""

    def quote(self, view):
        return Quote(100, 2, 0, 0)


def cfg(feed) -> mmsim.Config:
    return mmsim.Config(latency=mmsim.LatencyConfig(feed=feed, entry="100us", response=0),
                        signals=mmsim.SignalConfig(enabled=False))


def fills(res) -> list[tuple]:
    return [(int(f["exch_ts"]), int(f["qty"]), int(f["leaves"])) for f in res.fills]


def decisions(res) -> list[tuple]:
    d = res.decisions
    return list(zip(d["local_ts"].tolist(), d["event_exch_ts"].tolist(), d["event_local_ts"].tolist(),
                    d["event_index"].tolist()))


# Each event received 100 us after it happened. The ask thins at 10 ms; a sell of 6 hits 100 at 12 ms.
RACE = [(1 * MS, D, 1, 100, 1, 0, 1_100_000), (1 * MS, D, -1, 101, 10, 0, 1_100_000),
        (10 * MS, D, -1, 101, 2, 0, 10_100_000), (12 * MS, T, -1, 100, 6, 0, 12_100_000),
        (20 * MS, D, -1, 101, 9, 0, 20_100_000)]


# ----------------------------------------------------------------------------- by hand

def test_three_ms_later_the_cancel_race_is_lost():
    """Entry 100 us. As recorded: the book at 1.1 ms, our bid at the exchange at 1.2 ms behind 1 lot; the thin ask
    seen at 10.1 ms, the cancel there at 10.2 ms, before the sell at 12 ms: no fill. At recorded + 3ms: the book at
    4.1 ms; the thin ask seen at 13.1 ms, the cancel would arrive at 13.2 ms, after the sell: 1 lot ahead, 6 sold,
    our 5 lots fill at 12 ms. Decision 0 sees event 1 at its local_ts + 3 ms, an information age of 3.1 ms."""
    ev = make_events(RACE)
    assert fills(mmsim.run(ev, Puller(), cfg("recorded"))) == []
    res = mmsim.run(ev, Puller(), cfg("recorded + 3ms"))
    assert fills(res) == [(12 * MS, 5, 0)]
    assert decisions(res) == [
        (4_100_000, 1 * MS, 4_100_000, 1),     # the book, 3 ms after it was received
        (4_200_000, 1 * MS, 4_100_000, 1),     # the ack (response 0)
        (12_000_000, 1 * MS, 4_100_000, 1),    # the fill: the strategy has not yet seen the ask thin
        (12_100_000, 1 * MS, 4_100_000, 1),    # the cancel's reject back (the order was done)
        (13_100_000, 10 * MS, 13_100_000, 2),
        (13_200_000, 10 * MS, 13_100_000, 2),
        (15_100_000, 12 * MS, 15_100_000, 3),
        (23_100_000, 20 * MS, 23_100_000, 4),
    ]
    age = res.decisions["local_ts"][0] - res.decisions["event_exch_ts"][0]
    assert age == 3_100_000
    # The look-ahead audit's own delivery times: local_ts + 3 ms.
    delivery, method = feed_delivery_times(ev, cfg("recorded + 3ms"))
    assert delivery.tolist() == [4_100_000, 4_100_000, 13_100_000, 15_100_000, 23_100_000]
    assert method == ("recorded feed + 3ms: each event's local_ts + 3000000 ns, in numpy; each venue "
                      "message at its latest arrival; running maximum")
    assert res.report(horizons=["1ms"], event_horizons=[]).data["look_ahead_audit"]["line"] == (
        "look-ahead audit: 8 decisions, 0 violations")


def test_three_ms_later_a_fill_comes_at_the_next_trade():
    """A bid of 2 behind 1 lot. As recorded it reaches the exchange at 1.2 ms: the sell of 3 at 3 ms takes the lot
    ahead and fills 2; the bid sent again on the fill fills 2 more at 6 ms. At recorded + 3ms the bid arrives at
    4.2 ms, after that sell: its first fill is the sell at 6 ms (the L2 level still shows 1 lot ahead)."""
    ev = make_events([(1 * MS, D, 1, 100, 1, 0, 1_100_000), (1 * MS, D, -1, 101, 10, 0, 1_100_000),
                      (3 * MS, T, -1, 100, 3, 0, 3_200_000), (6 * MS, T, -1, 100, 3, 0, 6_100_000)])
    assert fills(mmsim.run(ev, Bid2(), cfg("recorded"))) == [(3 * MS, 2, 0), (6 * MS, 2, 0)]
    res = mmsim.run(ev, Bid2(), cfg("recorded+3ms"))
    assert fills(res) == [(6 * MS, 2, 0)]
    assert decisions(res) == [(4_100_000, 1 * MS, 4_100_000, 1), (4_200_000, 1 * MS, 4_100_000, 1),
                              (6_000_000, 1 * MS, 4_100_000, 1), (6_200_000, 3 * MS, 6_200_000, 2),
                              (9_100_000, 6 * MS, 9_100_000, 3)]
    # A bare number after '+' is ns; the mapping form is the same model.
    assert decisions(mmsim.run(ev, Bid2(), cfg("recorded + 3000000"))) == decisions(res)
    assert decisions(mmsim.run(ev, Bid2(), cfg({"recorded": "3ms"}))) == decisions(res)


def test_the_recorded_latency_plus_the_offset_is_bounded_at_one_day():
    """Event 2 received one day less 1 ms after it happened: recorded + 1ms delivers it, recorded + 2ms would be
    past the one-day bound every latency has: a DataError naming event 2."""
    ev = make_events([(1 * MS, D, 1, 100, 1), (1 * MS, D, -1, 101, 10), (2 * MS, D, 1, 100, 2, 0, 2 * MS + DAY - MS)])
    assert mmsim.run(ev, Bid2(), cfg("recorded + 1ms")).n_events == 3
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(ev, Bid2(), cfg("recorded + 2ms"))
    assert info.value.index == 2
    assert str(info.value) == (
        "event 2: local_ts 86400001000000 plus the feed's offset 2000000 ns is more than one day after exch_ts "
        "2000000: a recorded feed latency with its offset beyond the bound every latency has (a timestamp in the "
        "wrong unit, a corrupt one, or too large an offset?)")


# ----------------------------------------------------------------------------- the forms

@pytest.mark.parametrize("written, offset", [
    ("recorded", 0), ("recorded + 5ms", 5 * MS), ("recorded+5ms", 5 * MS), (" recorded +  250us ", 250_000),
    ("recorded + 5000000", 5 * MS), ({"recorded": "5ms"}, 5 * MS), ({"recorded": 250_000}, 250_000),
    ("recorded + 0ms", 0), ("recorded + 24h", DAY),
    # A bare number after '+' reads as YAML reads `feed: 1e6` (a breaker's find: these were refused).
    ("recorded + 1e6", MS), ("recorded + 1_000_000", MS), ("recorded + 0x10", 16), ("recorded + 2.5e6", 2_500_000),
])
def test_every_form_reads_and_prints_back(written, offset):
    model = LatencyModel.parse(written, "latency.feed")
    assert (model.kind, model.offset_ns) == ("recorded", offset)
    label = model.describe()
    assert label == ("recorded" if offset == 0 else f"recorded + {mmsim.config.format_ns(offset)}")
    assert LatencyModel.parse(label, "latency.feed") == model
    assert LatencyModel.parse(model.plain(), "latency.feed") == model
    assert display_label(written, "latency.feed") == label
    # Plain `recorded` stays what it was: the same plain value, so config digests and sweep point ids hold.
    assert model.plain() == ("recorded" if offset == 0 else {"recorded": offset})


def test_the_labels_and_the_config_file_forms():
    assert LatencyModel.parse("recorded + 5ms", "k").describe() == "recorded + 5ms"
    assert LatencyModel(kind="recorded", offset_ns=1_500_000).describe() == "recorded + 1500us"
    from mmsim.report.setup import latency_label

    assert latency_label(LatencyModel(kind="recorded", offset_ns=5 * MS)) == "recorded + 5ms"
    assert latency_label(LatencyModel(kind="recorded")) == "recorded"
    rc = mmsim.RunConfig.from_dict({"data": "store", "strategy": {"path": "fixed_spread"},
                                    "latency": {"feed": "recorded + 5ms"}})
    assert rc.to_dict()["latency"]["feed"] == {"recorded": 5 * MS}
    assert mmsim.RunConfig.from_dict(rc.to_dict()) == rc
    plain = mmsim.RunConfig.from_dict({"data": "store", "strategy": {"path": "fixed_spread"},
                                       "latency": {"feed": "recorded"}})
    assert plain.to_dict()["latency"]["feed"] == "recorded"


BAD_FORMS = "a recorded feed with an offset is written recorded + X, X a duration >= 0 (recorded + 5ms, " \
            "recorded + 250us; a bare number is ns), or the mapping {recorded: 5ms}"
NEGATIVE = ("a recorded feed's offset cannot be negative (the feed would deliver events earlier than they were "
            "received, some before they happened; a capture does not say how much faster a feed could be); write "
            "recorded + X with X >= 0")


@pytest.mark.parametrize("written, message", [
    ("recorded + ", f"latency.feed: cannot read 'recorded + ': no offset after '+'; {BAD_FORMS}"),
    ("recorded + -1ms", f"latency.feed: cannot read 'recorded + -1ms': {NEGATIVE}"),
    ("recorded - 5ms", f"latency.feed: cannot read 'recorded - 5ms': {NEGATIVE}"),
    ({"recorded": "-1ms"}, f"latency.feed.recorded: cannot read '-1ms': {NEGATIVE}"),
    ("Recorded + 5ms",
     "latency.feed: cannot read 'Recorded + 5ms'; the recorded latency is written in lower case: write "
     "'recorded + 5ms'"),
    ("recorded * 5ms", f"latency.feed: cannot read 'recorded * 5ms' as a latency; {BAD_FORMS}"),
    ("recorded 5ms", f"latency.feed: cannot read 'recorded 5ms' as a latency; {BAD_FORMS}"),
    ("recorded + 25h",
     "latency.feed: recorded offset: a duration must be at most 1 day (86400000000000 ns), got '25h'"),
    ({"Recorded": "5ms"}, "latency.feed: unknown latency model 'Recorded'; model names are lower case: write "
                          "'recorded'"),
    # A breaker's find: str.isdigit() took '²' (then int() raised a traceback) and a full-width '５' (read as 5 ns).
    ("recorded + ²", "latency.feed: recorded offset: cannot read '²' as a duration; use a number with a unit "
                     "(ns, us, ms, s, min, h), e.g. 250us"),
    ("recorded + ５", "latency.feed: recorded offset: cannot read '５' as a duration; use a number with a unit "
                     "(ns, us, ms, s, min, h), e.g. 250us"),
    ("recorded + 1e999", "latency.feed: recorded offset: cannot read '1e999' as a duration; use a number with a "
                         "unit (ns, us, ms, s, min, h), e.g. 250us"),
], ids=["no-offset", "negative", "minus", "negative-mapping", "capitals", "times", "no-operator", "over-a-day",
        "mapping-capitals", "superscript", "full-width", "inf"])
def test_a_bad_form_is_refused_naming_the_key(written, message):
    with pytest.raises(ConfigError) as info:
        LatencyModel.parse(written, "latency.feed")
    assert str(info.value) == message


def test_a_bad_form_in_a_config_file_names_the_file_and_line(tmp_path):
    from mmsim.config import load_yaml

    path = tmp_path / "run.yaml"
    path.write_text("strategy: {path: fixed_spread}\nlatency:\n  feed: recorded + -1ms\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert str(info.value) == f"latency.feed: cannot read 'recorded + -1ms': {NEGATIVE} ({path} line 3)"
    path.write_text("strategy: {path: fixed_spread}\nlatency:\n  feed: recorded + 5ms\n")
    assert load_yaml(path).engine.latency.feed == LatencyModel(kind="recorded", offset_ns=5 * MS)


@pytest.mark.parametrize("name, value", [("entry", "recorded + 5ms"), ("response", {"recorded": "1ms"}),
                                         ("entry", "recorded")])
def test_only_the_feed_may_be_recorded_with_or_without_an_offset(name, value):
    with pytest.raises(ConfigError) as info:
        mmsim.LatencyConfig(**{name: value})
    assert str(info.value) == f"latency.{name}: 'recorded' applies to the feed only"


def test_the_offset_field_is_read_by_a_recorded_latency_only():
    with pytest.raises(ConfigError) as info:
        LatencyModel(kind="constant", ns=5, offset_ns=3)
    assert str(info.value) == ("latency.offset_ns: 3 is read by a recorded latency only (kind 'recorded'), and this "
                               "latency's kind is 'constant'; drop offset_ns, or set kind 'recorded'")
    with pytest.raises(ConfigError) as info:
        LatencyModel(kind="recorded", offset_ns=-3)
    assert str(info.value) == "latency.offset_ns: a duration cannot be negative, got -3"


# ----------------------------------------------------------------------------- one pass, many runs

def _assert_same(a: mmsim.Result, b: mmsim.Result, where: str) -> None:
    for name in ("fills", "orders", "samples", "fill_signals", "decisions"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), (where, name)
    for name in ("position", "cash_ticks", "fees", "n_calls", "n_events"):
        assert getattr(a, name) == getattr(b, name), (where, name)


def _feeds_in_one_pass(events, strategy, feeds, **kw) -> list[mmsim.Result]:
    runs = [(strategy, mmsim.Config(latency=mmsim.LatencyConfig(feed=f, entry="100us", response="100us"), **kw))
            for f in feeds]
    many = mmsim.run_many(events, runs)
    for (s, c), r, f in zip(runs, many, feeds):
        _assert_same(r, mmsim.run(events, s, c), f"feed {f}")
    return many


def test_recorded_and_recorded_plus_x_in_one_pass_are_each_as_alone_synthetic():
    """Messages of 3 events 2 us apart, each event received 0..4 us after it happened."""
    rng = np.random.default_rng(11)
    n = 6000
    ev = np.zeros(n, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = 1_000_000 + np.arange(n) // 3 * 2000
    ev["local_ts"] = ev["exch_ts"] + rng.integers(0, 4000, n)
    trade = (rng.random(n) < 0.15) & (np.arange(n) >= 10)
    side = np.where(rng.random(n) < 0.5, 1, -1)
    ev["kind"] = np.where(trade, int(T), int(D))
    ev["side"] = side
    ev["price"] = np.where(side == 1, rng.integers(96, 101, n), rng.integers(101, 106, n))
    ev["price"][trade] = np.where(side == 1, rng.integers(101, 105, n), rng.integers(97, 101, n))[trade]
    ev["qty"] = np.where(trade, rng.integers(1, 40, n), rng.integers(0, 30, n))
    ev["qty"][:10] = 50
    fixed = mmsim.plugins.load_strategy("fixed_spread", {"half_spread": 1, "size": 3})
    many = _feeds_in_one_pass(ev, fixed, ["recorded", "recorded + 5us", "recorded + 2ms", "5us"])
    assert all(len(r.fills) > 0 for r in many)
    assert len({r.orders.tobytes() for r in many}) == 4
    # Every decision of the +5us run sees its newest event at that event's message delivery: local_ts + 5 us.
    d = many[1].decisions
    assert (d["event_local_ts"] >= ev["local_ts"][d["event_index"]] + 5000).all()


def test_recorded_and_recorded_plus_x_in_one_pass_are_each_as_alone_on_a_binance_day(tmp_path):
    from mmsim.data import converter

    store = converter("binance")([shared_data("binance", "usdm_2023", "btcusdt_20230404.dat.gz")], tmp_path / "s")
    assert store.meta["local_ts_recorded"] is True
    quoter = mmsim.plugins.load_strategy("inventory_skew", {"half_spread": 1, "skew": 0.02, "size": 10,
                                                            "max_position": 500})
    # The bucket volume's default with its unit (a lot of 0.001: the default alone warns, LotUnitWarning).
    many = _feeds_in_one_pass(store, quoter, ["recorded", "recorded + 5ms", "recorded + 20ms"],
                              signals=mmsim.SignalConfig(vpin_bucket_volume="100 lots"))
    assert all(r.n_calls > 0 and len(r.fills) > 0 for r in many)
    assert len({r.orders.tobytes() for r in many}) == 3


# ----------------------------------------------------------------------------- a sweep around one's own feed

@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A synthetic store (no recorded receive times) and its copy marked as recorded (local_ts == exch_ts)."""
    from mmsim.synth import SynthConfig, write_store

    base = tmp_path_factory.mktemp("rec")
    plain = write_store(SynthConfig(seed=7, duration=30 * 1_000_000_000, format="l2"), base / "plain")
    rec = base / "recorded"
    shutil.copytree(plain, rec)
    rewrite_meta(rec, local_ts_recorded=True)
    return plain, rec


def _sweep_grid(tmp, data, feeds: str) -> str:
    p = tmp / "grid.yaml"
    p.write_text(f"base:\n  data: {data}\n  decide_every: 100ms\n  latency: {{entry: 1ms, response: 1ms}}\n"
                 f"  strategy: {{path: '{FIXED_SPREAD}', params: {{half_spread: 1, size: 1}}}}\n"
                 "  report: {horizons: [1s], event_horizons: [10]}\n"
                 f"axes:\n  latency.feed: {feeds}\noutput: out\n")
    return str(p)


def test_a_sweep_around_the_recorded_feed_end_to_end(tmp_path, stores):
    """On a store whose local_ts is its exch_ts, `recorded + X` is the constant X feed: each point's PnL and fills
    equal the constant point's. The labels read `recorded + 5ms` in results.csv, and the plot draws the recorded
    points by their offset as a line of their own beside the constants' (sweep16: they were categories after the
    constant ones)."""
    from mmsim.sweep import run_sweep

    _, rec = stores
    grid = _sweep_grid(tmp_path, rec, "[recorded + 20ms, 5ms, recorded, recorded + 5ms, 20ms]")
    rows = run_sweep(grid, out=tmp_path / "out", workers=0)
    by = {r["latency.feed"]: r for r in rows}
    assert all(r["status"] == "ok" for r in rows)
    for x in ("5ms", "20ms"):
        assert by[f"recorded + {x}"]["fills.count"] == by[x]["fills.count"] > 0
        assert by[f"recorded + {x}"]["pnl.total"] == by[x]["pnl.total"]
    assert by["recorded + 5ms"]["pnl.total"] != by["recorded + 20ms"]["pnl.total"]
    from mmsim.sweep.render import sweep_figures, write_report
    from mmsim.sweep.results import read_results

    written = write_report(rows, mmsim.sweep.load_grid(grid), tmp_path / "out")
    assert "sweep_latency_feed.png" in written
    import csv

    with (tmp_path / "out" / "results.csv").open() as fh:
        feeds = [r["latency.feed"] for r in csv.DictReader(fh)]
    assert feeds == ["recorded + 20ms", "5ms", "recorded", "recorded + 5ms", "20ms"]

    records = read_results(tmp_path / "out")
    assert sorted(display_label(r.get("overrides", {}).get("latency.feed"), "latency.feed")
                  for r in records.values()) == ["20ms", "5ms", "recorded", "recorded + 20ms", "recorded + 5ms"]
    figs = sweep_figures(rows, mmsim.sweep.load_grid(grid))
    ax = figs["sweep_latency_feed.png"].axes[0]
    ticks = sorted(zip(ax.get_xticks(), [t.get_text() for t in ax.get_xticklabels()]))
    # sweep16: two lines on one duration axis, the constants' and the recorded feed's by its X (it was
    # categorical: 5ms, 20ms, recorded, recorded + 5ms, recorded + 20ms); at 5 and 20 ms they meet here.
    assert [t for _, t in ticks] == ["0", "5ms", "20ms"]
    lines = {ln.get_label(): dict(zip(ln.get_xdata(), ln.get_ydata())) for ln in ax.get_lines()
             if ln.get_marker() in ("o", "s")}
    assert sorted(lines) == ["constant", "recorded + X"]
    assert lines["recorded + X"][5e6] == lines["constant"][5e6] == by["5ms"]["pnl.total"]
    assert lines["recorded + X"][20e6] == lines["constant"][20e6] == by["20ms"]["pnl.total"]


def test_latency_positions_order_recorded_points_by_their_offset():
    values = ["recorded + 20ms", "5ms", "recorded", {"recorded": "5ms"}, "0ms",
              {"lognormal": {"median": "1ms", "sigma": 0.5}}]
    assert latency_positions(values, "latency.feed") == [4.0, 1.0, 2.0, 3.0, 0.0, 5.0]
    assert latency_positions(["5ms", "1ms"], "latency.feed") is None  # a duration axis, as before
    assert latency_positions(["recorded", "x"], "strategy") is None


def test_the_sweep_store_check_covers_the_offset_form(tmp_path, stores):
    from mmsim.sweep import run_sweep

    plain, _ = stores
    grid = _sweep_grid(tmp_path, plain, "[1ms, recorded + 5ms]")
    with pytest.raises(ConfigError) as info:
        run_sweep(grid, out=tmp_path / "out", workers=0)
    assert str(info.value) == (  # the grid key first and its line last, as every grid refusal (edges20, edges21)
        f"axes.latency.feed[1]: latency.feed is 'recorded + 5ms' but the event store {plain} has no recorded local_ts "
        f"(its meta.json: local_ts_recorded false) ({grid} line 8) — in 1 of 2 points (latency.feed=recorded + 5ms); "
        "no point ran")
    with pytest.raises(ConfigError) as info:
        mmsim.run(mmsim.data.load(plain), Bid2(), cfg("recorded + 5ms"))
    assert str(info.value) == "latency.feed is 'recorded + 5ms' but this event store has no recorded local_ts"
