"""Bad inputs to a report: each a one-line error naming the thing, never a number that looks fine (docs/reports.md)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT, make_events
from test_report import HAND_EVENTS, fill, result_of

import mmsim
from mmsim.cli import build_parser
from mmsim.cli.report import cmd as cmd_report
from mmsim.records import SIGNAL_NAMES
from mmsim.report import make_report as report

S = 1_000_000_000


@pytest.mark.parametrize("fee", [float("nan"), float("inf")])
def test_a_fill_with_a_non_finite_fee_is_refused(fee):
    # NaN was "the fills' fees add up to nan but result.fees is nan"; inf gave a PnL of -inf.
    ev = make_events(HAND_EVENTS)
    res = result_of([fill(S // 2, 1, 100, 1, 100, 102), fill(S, -1, 101, 1, 100, 102, fee=fee, oid=2)])
    with pytest.raises(mmsim.DataError, match=rf"^report: fill 1 has fee {fee!r}; expected a finite amount$"):
        report(res, ev)


@pytest.mark.parametrize("tick_value", [float("nan"), 0.0, -0.5])
def test_a_tick_value_that_is_not_positive_and_finite_is_refused(tick_value):
    # NaN made every amount NaN (null in report.json); 0 and -0.5 made the PnL 0 or its opposite.
    ev = make_events(HAND_EVENTS)
    res = result_of([fill(S // 2, 1, 100, 1, 100, 102)], tick_value=tick_value)
    with pytest.raises(mmsim.DataError, match=rf"^report: result.tick_value is {tick_value!r}; expected a positive "
                                              r"finite number \(the store's tick size x lot size x contract size\)$"):
        report(res, ev)


@pytest.mark.parametrize("limit", [float("nan"), float("inf")])
def test_a_position_limit_that_is_not_a_finite_positive_number_is_refused(limit):
    # NaN compared false with every position: time at limit read 0.0.
    ev = make_events(HAND_EVENTS)
    with pytest.raises(mmsim.ConfigError, match=rf"^position_limit must be a positive number of lots, got {limit!r}$"):
        report(result_of([]), ev, position_limit=limit)


def test_more_signal_buckets_than_fills_bucket_each_value_alone():
    # 10**12 buckets allocated 10**12 quantiles (a MemoryError); with 3 fills the answer is
    # each distinct value in its own bucket, as with 3 buckets.
    ev = make_events(HAND_EVENTS)
    sig = np.zeros(3, dtype=[(n, "f8") for n in SIGNAL_NAMES])
    sig["ofi"] = [3.0, 1.0, 2.0]
    res = result_of([fill(S // 2, 1, 100, 2, 100, 102), fill(S + S // 2, -1, 101, 1, 100, 101, oid=2),
                     fill(2 * S + S // 2, 1, 101, 1, 99, 101, maker=False, oid=3)], signals=sig)
    kw = dict(horizons=["1s"], event_horizons=[1], toxic_horizon="1ev")
    huge = report(res, ev, signal_buckets=10**12, **kw).data["signals"]["ofi"]
    three = report(res, ev, signal_buckets=3, **kw).data["signals"]["ofi"]
    assert huge == three
    # At 1ev the markouts are +0.5 (ofi 3), +1 (ofi 1), -1 (ofi 2): buckets by ofi 1, 2, 3.
    assert [(b["lo"], b["markout_ticks"]["mean"]) for b in huge["buckets"]] == [(1.0, 1.0), (2.0, -1.0), (3.0, 0.5)]


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory):
    """A run saved from a one-minute synthetic store, and two other stores: another seed, another tick size."""
    from mmsim.runner import run_config
    from mmsim.synth import SynthConfig, write_store

    base = tmp_path_factory.mktemp("stores")
    paths = {name: write_store(SynthConfig(seed=seed, duration=60 * S, format="l2", **extra), base / name)
             for name, seed, extra in (("a", 4, {}), ("seed", 5, {}), ("tick", 4, {"tick_size": 0.05}))}
    cfg = mmsim.RunConfig.from_dict({
        "data": str(paths["a"]), "latency": {"feed": "1ms", "entry": "1ms", "response": "1ms"},
        "strategy": {"path": f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread",
                     "params": {"half_spread": 0.5, "size": 1}}})
    res = run_config(cfg)
    res.save(base / "run")
    return base, paths, res


def _drop_digest(store) -> None:
    """Make ``store`` one written before npz16: no ``events_digest`` in its meta.json."""
    import json

    meta = json.loads((store / "meta.json").read_text())
    del meta["events_digest"]
    (store / "meta.json").write_text(json.dumps(meta))


def test_a_report_on_another_stores_events_is_refused(two_stores, tmp_path):
    base, paths, res = two_stores
    parser, _ = build_parser()
    n_other = len(mmsim.load(paths["seed"]).events)
    assert n_other != res.n_events
    args = parser.parse_args(["report", str(base / "run"), "--events", str(paths["seed"] / "events.npy"), "-q",
                              "-o", str(tmp_path / "o1")])
    # The events.npy sits in its store: the identity in the meta.json beside it is checked first.
    with pytest.raises(mmsim.DataError, match=r"^report: the event store given is not the data the run replayed: "
                                              rf"event_count {res.n_events} vs {n_other}, last_exch_ts "):
        cmd_report(args)
    # The API, given the other store's array: the count.
    with pytest.raises(mmsim.DataError, match=rf"^report: the events given have {n_other:,} rows but the run "
                                              rf"replayed {res.n_events:,}; pass the events the run replayed"):
        report(res, mmsim.load(paths["seed"]).events)
    # The same events (the same count) in another tick size: money would be 5x off.
    args = parser.parse_args(["report", str(base / "run"), "--events", str(paths["tick"]), "-q",
                              "-o", str(tmp_path / "o2")])
    with pytest.raises(mmsim.DataError, match=r"^report: the event store given is not the data the run replayed: "
                                              r"tick_size 0.01 vs 0.05$"):
        cmd_report(args)
    # Its own store: fine.
    args = parser.parse_args(["report", str(base / "run"), "--events", str(paths["a"]), "-q", "--no-plots",
                              "-o", str(tmp_path / "o3")])
    assert cmd_report(args) == 0


def test_events_of_another_market_under_the_same_identity_are_refused(two_stores, tmp_path):
    # The store's events edited (every price 3 ticks up), its meta.json unchanged: the same
    # identity, count and span. The report marked every fill to a book it never saw (on a
    # synthetic hour: PnL 29.79 instead of 0.29, buy markouts +49.83 ticks) without a word.
    import shutil

    base, paths, res = two_stores
    f0 = res.fills[0]
    store = tmp_path / "edited"
    shutil.copytree(paths["a"], store)
    ev = np.load(store / "events.npy")
    ev["price"] += 3
    np.save(store / "events.npy", ev)
    n = len(res.fills)
    parser, _ = build_parser()
    args = parser.parse_args(["report", str(base / "run"), "--events", str(store), "-q", "-o", str(tmp_path / "o")])
    # The store's meta.json carries the digest of the unedited events: that is refused first (digestfix16) ...
    changed = "^" + re.escape(f"{store / 'events.npy'} changed since the store was written: ")
    with pytest.raises(mmsim.DataError, match=changed):
        cmd_report(args)
    # ... and a store without one (written before npz16) by the fills' book.
    _drop_digest(store)
    with pytest.raises(mmsim.DataError) as info:
        cmd_report(args)
    assert str(info.value) == (
        f"report: the events given are not the ones the run replayed: fill 0 (at exch_ts {int(f0['exch_ts'])}) saw "
        f"best bid/ask {int(f0['best_bid'])}/{int(f0['best_ask'])} ticks, the events' book just before it is "
        f"{int(f0['best_bid']) + 3}/{int(f0['best_ask']) + 3} ({n:,} of {n:,} fills differ); pass the events the run "
        "replayed (mmsim report --events)")
    # The other way, through the API given the store: two ticks down, only after the first fill's
    # timestamp (the first fill's book is the run's; the second fill's is not).
    ev = mmsim.load(paths["a"]).events.copy()
    f1 = res.fills[1]
    later = ev["exch_ts"] > f0["exch_ts"]
    ev["price"][later] -= 2
    np.save(store / "events.npy", ev)
    with pytest.raises(mmsim.DataError) as info:
        report(res, mmsim.load(store))
    assert str(info.value).startswith(
        f"report: the events given are not the ones the run replayed: fill 1 (at exch_ts {int(f1['exch_ts'])}) saw "
        f"best bid/ask {int(f1['best_bid'])}/{int(f1['best_ask'])} ticks, the events' book just before it is "
        f"{int(f1['best_bid']) - 2}/{int(f1['best_ask']) - 2} (")
    # Its own events: the report is made.
    assert report(res, mmsim.load(paths["a"])).data["fills"]["count"] == n


def test_a_saved_run_of_another_layout_is_a_one_line_error(two_stores, tmp_path):
    import json
    import shutil

    from mmsim.engine import Result

    base, _, _ = two_stores

    def copy(name):
        d = tmp_path / name
        shutil.copytree(base / "run", d)
        return d

    d = copy("list")
    (d / "result.json").write_text("[]")  # was a TypeError traceback
    with pytest.raises(mmsim.DataError, match=r"list/result.json: not a result written by Result.save \(expected a "
                                              r"JSON object with 'summary' and 'config'\)$"):
        Result.load(d)
    d = copy("cash")
    doc = json.loads((d / "result.json").read_text())
    doc["summary"]["cash_ticks"] = "12"  # was a ValueError traceback from int()
    (d / "result.json").write_text(json.dumps(doc))
    with pytest.raises(mmsim.DataError, match=r"cash/result.json: summary.cash_ticks is '12'; expected an integer$"):
        Result.load(d)
    d = copy("nofills")
    (d / "fills.npy").unlink()
    parser, _ = build_parser()
    args = parser.parse_args(["report", str(d), "-q", "-o", str(tmp_path / "out")])
    with pytest.raises(mmsim.DataError, match=r"^\S+nofills/fills.npy: cannot read the run's records "
                                              r"\(FileNotFoundError: "):
        cmd_report(args)
    # A run saved before the decision log (no decisions.npy) still loads: its report says it has none.
    d = copy("nodecisions")
    (d / "decisions.npy").unlink()
    assert len(Result.load(d).decisions) == 0


def test_a_saved_run_whose_config_the_loader_refuses_names_the_file(two_stores, tmp_path):
    # `queue.model: zzz` or `report.horizons: [5MS]` in a result.json said the key alone,
    # never which file held it; a `config` that is a list was a TypeError quoted in the message.
    import json
    import shutil

    from mmsim.engine import Result

    base, _, _ = two_stores
    cases = [
        ("model", lambda doc: doc["config"].__setitem__("queue", {"model": "zzz"}), mmsim.ConfigError,
         "model/result.json: queue.model must be risk_averse, power or log, got 'zzz'"),
        ("horizons", lambda doc: doc["run"]["report"].__setitem__("horizons", ["5MS"]), mmsim.ConfigError,
         "horizons/result.json: report.horizons[0]: cannot read '5MS' as a duration; units are lower case "
         "(ns, us, ms, s, min, h): write '5ms'"),
        ("configlist", lambda doc: doc.__setitem__("config", [1]), mmsim.DataError,
         "configlist/result.json: config is list; expected an object"),
        ("runstr", lambda doc: doc.__setitem__("run", "x"), mmsim.DataError,
         "runstr/result.json: run is str; expected an object"),
    ]
    for name, damage, kind, message in cases:
        d = tmp_path / name
        shutil.copytree(base / "run", d)
        doc = json.loads((d / "result.json").read_text())
        damage(doc)
        (d / "result.json").write_text(json.dumps(doc))
        with pytest.raises(kind) as info:
            Result.load(d)
        assert str(info.value) == f"{d.parent}/{message}"


def _damaged_runs(base, tmp_path, cases):
    import json
    import shutil

    for name, damage in cases:
        d = tmp_path / name
        shutil.copytree(base / "run", d)
        doc = json.loads((d / "result.json").read_text())
        damage(doc, d)
        (d / "result.json").write_text(json.dumps(doc))
        yield d


def test_a_result_json_of_wrong_types_or_figures_that_disagree_with_the_fills_is_named(two_stores, tmp_path):
    """polish6 item 3: `partial: "yes"` read as true and a summary.n_fills that disagrees with fills.npy loaded
    without a word; every key Result.load reads is checked for its type, and the summary against the fills."""
    import numpy as np

    from mmsim.engine import Result

    base, _, _ = two_stores
    n = len(Result.load(base / "run").fills)
    assert n > 1

    def summary(key, value):
        return lambda doc, d: doc["summary"].__setitem__(key, value)

    def fills(transform):
        def damage(doc, d):
            np.save(d / "fills.npy", transform(np.load(d / "fills.npy")))
        return damage

    cases = [
        ("partial", lambda doc, d: doc.__setitem__("partial", "yes"), "result.json: partial is 'yes'; expected true "
                                                                     "or false"),
        ("nfills", summary("n_fills", n + 1), f"result.json: summary.n_fills is {n + 1} but {{d}}/fills.npy holds "
                                              f"{n} fills"),
        # The same kind, not in the list: other keys' types, and the other figures the fills give.
        ("stop", lambda doc, d: doc.__setitem__("stop_reason", 5), "result.json: stop_reason is 5; expected a "
                                                                   "string or null"),
        ("nfillsstr", summary("n_fills", "3"), "result.json: summary.n_fills is '3'; expected an integer"),
        ("tick", summary("tick_size", -0.01), "result.json: summary.tick_size is -0.01; expected an integer or a "
                                              "finite number > 0"),
        ("events", summary("n_events", -1), "result.json: summary.n_events is -1; expected an integer >= 0"),
        ("store", lambda doc, d: doc["meta"].__setitem__("store", 5),  # mmsim report: a TypeError traceback
         "result.json: meta.store is 5; expected the event store's path (a string) or null"),
        ("position", summary("position", 10**6), "result.json: summary.position is 1000000 but the fills in "
                                                  "{d}/fills.npy add up to {position}"),
        ("dropped", fills(lambda f: f[:-1]), f"result.json: summary.n_fills is {n} but {{d}}/fills.npy holds "
                                             f"{n - 1} fills"),
        ("dtype", fills(lambda f: f.astype([(k, "<f8") for k in f.dtype.names])),
         "fills.npy: not the run's records (an array of shape ({n},) and dtype {dtype}; expected one row per record "
         "of mmsim's fills dtype)"),
    ]
    f = Result.load(base / "run").fills
    position = int((f["side"].astype(np.int64) * f["qty"]).sum())
    for d, (name, _, message) in zip(_damaged_runs(base, tmp_path, [(c[0], c[1]) for c in cases]), cases):
        with pytest.raises(mmsim.DataError) as info:
            Result.load(d)
        dtype = np.dtype([(k, "<f8") for k in mmsim.records.FILL_DTYPE.names])
        assert str(info.value) == f"{d}/" + message.format(d=d, n=n, position=position, dtype=dtype), name


def test_compare_refuses_an_absurd_resample_count_and_a_nan_tick_value():
    from test_compare import events_two_minutes, fake_run
    from test_compare import fill as cfill

    ev = events_two_minutes()
    a, b = fake_run([cfill(10 * S, 1, 100, 1)], n_events=7), fake_run([cfill(20 * S, -1, 102, 1)], n_events=7)
    # 10**11 resamples asked numpy for 745 GiB (a MemoryError traceback).
    with pytest.raises(mmsim.ConfigError, match=r"^n_boot must be an integer from 10 to 10,000,000, got 100000000000$"):
        mmsim.compare(a, b, ev, horizons=["1s"], bucket="10s", n_boot=10**11)
    with pytest.raises(mmsim.ConfigError, match=r"^n_boot must be an integer from 10 to 10,000,000, got 9$"):
        mmsim.compare(a, b, ev, horizons=["1s"], bucket="10s", n_boot=9)
    # Two NaN tick values read "value a tick·lot differently (nan vs nan)".
    na, nb = (fake_run(r.fills.tolist(), n_events=7, tick_value=float("nan")) for r in (a, b))
    with pytest.raises(mmsim.DataError, match=r"^compare: run A \(fake\)'s tick_value is nan; expected a positive "
                                              r"finite number$"):
        mmsim.compare(na, nb, ev, horizons=["1s"], bucket="10s")


@pytest.mark.parametrize("tick_size, price, expected", [(1e-8, 123456789, 1.23456789), (0.01, 35, 0.35),
                                                        (5.0, 3, 15.0), (0.15, 3, 0.45), (0.3, 3, 0.9),
                                                        (0.15, -3, -0.45)])
def test_fills_csv_prices_in_currency_are_the_decimal_price(tick_size, price, expected):
    # 123456789 ticks * 1e-8 was 1.2345678900000001 (the tick rounded first), 35 * 0.01 was
    # 0.35000000000000003; a tick of 1/N divides by N. A tick of 5 multiplies. A decimal tick
    # that is not 1/N divides ticks × M by 10**d: 3 ticks of 0.15 were 0.44999999999999996, 3 of
    # 0.3 were 0.8999999999999999.
    book = make_events([(0, mmsim.Kind.DEPTH, 1, price - 1, 5), (0, mmsim.Kind.DEPTH, -1, price + 1, 5),
                        (2 * S, mmsim.Kind.DEPTH, 1, price - 1, 6)])
    res = result_of([fill(S, 1, price, 1, price - 1, price + 1)], tick_size=tick_size)
    assert report(res, book, horizons=["1s"]).fills["price"].tolist() == [expected]


def test_compare_refuses_a_store_whose_book_is_not_the_one_the_fills_saw(two_stores, tmp_path):
    # As the report: an edited events.npy under the run's meta.json compared two runs on a
    # market they never traded in (the PnL difference moved from 7.04 to 23.54 a day on a
    # synthetic hour, without a word).
    import shutil

    from mmsim.cli.compare import cmd as cmd_compare

    base, paths, res = two_stores
    f0 = res.fills[0]
    store = tmp_path / "edited"
    shutil.copytree(paths["a"], store)
    ev = np.load(store / "events.npy")
    ev["price"] += 1
    np.save(store / "events.npy", ev)
    # Refused first by the store's digest (digestfix16); without one (a store written before npz16) by the book.
    changed = "^" + re.escape(f"{store / 'events.npy'} changed since the store was written: ")
    with pytest.raises(mmsim.DataError, match=changed):
        mmsim.compare(res, res, mmsim.load(store))
    _drop_digest(store)
    n = len(res.fills)
    tail = (f" replayed: fill 0 (at exch_ts {int(f0['exch_ts'])}) saw best bid/ask {int(f0['best_bid'])}/"
            f"{int(f0['best_ask'])} ticks, the events' book just before it is {int(f0['best_bid']) + 1}/"
            f"{int(f0['best_ask']) + 1} ({n:,} of {n:,} fills differ); pass the events run ")
    with pytest.raises(mmsim.DataError) as info:
        mmsim.compare(res, res, mmsim.load(store))
    assert str(info.value).startswith("compare: the events given are not the ones run A") and tail in str(info.value)
    parser, _ = build_parser()
    args = parser.parse_args(["compare", str(base / "run"), str(base / "run"), "--events", str(store), "-q"])
    with pytest.raises(mmsim.DataError) as info:
        cmd_compare(args)
    assert tail in str(info.value) and str(info.value).endswith("replayed (mmsim compare --events)")
    # The run's own store: compared.
    assert mmsim.compare(res, res, mmsim.load(paths["a"])) is not None


# ----------------------------------------------------------------------------- currency_price, price by price (sweepfix16)


def test_one_large_price_does_not_change_the_others():
    """3 ticks of 0.15 read 0.45 alone but 0.44999999999999996 beside a price of 2**60 ticks: the division was
    chosen for the whole array (max |ticks| × M < 2**53). Each price is decided on its own; the large one (not
    exact in a float) is the product, as before."""
    from mmsim.report._format import currency_price

    assert currency_price(np.array([3], dtype=np.int64), 0.15).tolist() == [0.45]
    assert currency_price(np.array([3, 2**60], dtype=np.int64), 0.15).tolist() == [0.45, 2**60 * 0.15]
    assert currency_price(np.array([7, -(2**58)], dtype=np.int64), 0.07).tolist() == [0.49, -(2**58) * 0.07]
    # the second case: int64's most negative price (whose |ticks| overflows) beside 3 ticks of 0.3
    assert currency_price(np.array([-2**63, 3], dtype=np.int64), 0.3).tolist() == [-2**63 * 0.3, 0.9]


@pytest.mark.parametrize("tick_size, ticks, expected", [(2.5e-21, 37, 9.25e-20), (3e-20, 5, 1.5e-19), (9e-22, 11, 9.9e-21)])
def test_a_tick_of_up_to_22_decimals_is_divided(tick_size, ticks, expected):
    """A tick with 19 to 22 decimals multiplied: 37 ticks of 2.5e-21 read 9.249999999999999e-20 (10**22 is the
    largest power of ten a float holds exactly, so ``ticks × M / 10**d`` is still one rounding)."""
    from mmsim.report._format import currency_price

    assert currency_price(np.array([ticks], dtype=np.int64), tick_size).tolist() == [expected]


@pytest.mark.parametrize("tick_size, ticks, expected", [(0.3333333333, 3, 0.9999999999), (0.1428571429, 7, 1.0000000003),
                                                        (0.25, 3, 0.75), (1e-8, 123456789, 1.23456789)])
def test_a_tick_is_1_over_n_only_when_it_is_exactly(tick_size, ticks, expected):
    """A tick of 0.3333333333 was taken as 1/3 (|3 × tick − 1| < 1e-9): 3 ticks read 1.0, not 0.9999999999;
    0.1428571429 as 1/7 (7 ticks 1.0, not 1.0000000003). A tick is 1/N when ``Decimal(repr(tick)) × N == 1``."""
    from mmsim.report._format import currency_price

    assert currency_price(np.array([ticks], dtype=np.int64), tick_size).tolist() == [expected]


def _many_signal_fills(n):
    """``n`` fills in the first second of HAND_EVENTS, each with its own ofi value."""
    sig = np.zeros(n, dtype=[(name, "f8") for name in SIGNAL_NAMES])
    sig["ofi"] = np.arange(n, dtype=np.float64)
    fills = [fill(S // 4 + k * (S // (2 * n)), 1 if k % 2 else -1, 100 if k % 2 else 102, 1, 100, 102, oid=k + 1)
             for k in range(n)]
    return result_of(fills, signals=sig)


@pytest.mark.parametrize(("buckets", "columns", "width_px"), [
    # One 1.3 in column per bucket made 10**6 buckets of 40 fills a 5,560 px picture (3.6 + 1.3 x 40 in at
    # 100 dpi), and --signal-buckets 10000 on 3,873 fills an 11 MB PNG drawn from 10 GB (breaker35 F8).
    (10**6, 40, 2960),  # 3.6 + 1.3 x 20 in: at most LABELLED_BUCKETS columns wide, whatever the count
    (20, 20, 2960),     # 20 buckets: one labelled column each, as before
])
def test_the_signal_heat_map_is_a_bounded_size_for_any_bucket_count(buckets, columns, width_px):
    import struct

    from mmsim.report.render import plot_signals

    rep = report(_many_signal_fills(40), make_events(HAND_EVENTS), signal_buckets=buckets,
                 horizons=["1s"], event_horizons=[1], toxic_horizon="1ev")
    assert len(rep.data["signals"]["ofi"]["buckets"]) == columns
    png = plot_signals(rep)
    assert png is not None and struct.unpack(">I", png[16:20])[0] == width_px
