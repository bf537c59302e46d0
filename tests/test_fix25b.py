"""fix25b: breaker25's findings on messages (a JSON file nested too deeply, an integer too large for a float, synth
flags applied before its limits, a grid's base.output, the constructor a price refusal names, readable durations,
a price computed from an empty side's marker, a synth limit across two written keys)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import mmsim

DEEP = "[" * 100_000 + "]" * 100_000


# --- 1. a JSON file nested too deeply: a clean message, not the parser's RecursionError -------------------------

def test_the_reader_turns_the_parsers_recursion_error_into_a_json_error():
    from mmsim._json import NestedTooDeepError, json_fault, loads_unique

    with pytest.raises(json.JSONDecodeError) as info:
        loads_unique(DEEP)
    assert isinstance(info.value, NestedTooDeepError)
    assert json_fault(info.value) == "not valid JSON (nested too deeply)"
    with pytest.raises(NestedTooDeepError):
        loads_unique(('{"a": ' * 100_000 + "1" + "}" * 100_000).encode())  # objects, as bytes


def test_a_result_json_nested_too_deeply_is_refused_by_name(store, tmp_path):
    st = mmsim.load(store)
    run = tmp_path / "run"
    q = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    mmsim.run(st.events[:2000], q, mmsim.Config()).save(run)
    doc = json.loads((run / "result.json").read_text())
    (run / "result.json").write_text(json.dumps(doc)[:-1] + ', "deep": ' + DEEP + "}")
    with pytest.raises(mmsim.DataError) as info:
        mmsim.Result.load(run)
    assert str(info.value) == f"{run / 'result.json'}: not valid JSON (nested too deeply)"


def test_mmsim_report_refuses_a_store_meta_json_nested_too_deeply(store, tmp_path, capsys):
    from mmsim.cli import main

    st = mmsim.load(store)
    run = tmp_path / "run"
    q = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    mmsim.run(st, q, mmsim.Config()).save(run)
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    (bad / "meta.json").write_text(DEEP)
    assert main(["report", str(run), "--events", str(bad), "-o", str(tmp_path / "rep")]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {bad / 'meta.json'}: not valid JSON (nested too deeply)\n"


def test_a_sweep_results_line_nested_too_deeply_is_refused(tmp_path):
    from mmsim.sweep.results import read_results

    p = tmp_path / "results.jsonl"
    p.write_text('{"id": "0123456789abcdef", "status": "ok", "metrics": {}}\n' + DEEP + "\n")
    with pytest.raises(mmsim.MmsimError) as info:
        read_results(p)
    assert str(info.value) == (f"{p} line 2: it is not JSON (nested too deeply: '{'[' * 40}...'); the sweep "
                               "writes only its own records there: remove that line (or give the sweep another -o)")


def test_an_npz_mmsim_meta_nested_too_deeply_is_refused(tmp_path):
    from test_hftbacktest_preopen import BUY, npz

    from mmsim import Kind
    from mmsim.data import hftbacktest as hbt

    f = npz(tmp_path / "a.npz", [(0, Kind.DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array(DEEP))
    with pytest.raises(mmsim.DataError) as info:
        hbt.convert([f], tmp_path / "s")
    assert str(info.value) == f"{f}: its mmsim_meta array is not readable (nested too deeply)"


def test_the_sweeps_store_look_ups_take_a_meta_json_nested_too_deeply_as_unreadable(store, tmp_path):
    """resume.current_digests (the breaker's grid_deepmeta traceback), the sweep's store cache and store_lot_of:
    a store whose meta.json cannot be read has no digest / lot here (the run says what is wrong)."""
    from types import SimpleNamespace

    from mmsim._qty_units import store_lot_of
    from mmsim.sweep._stores import _Stores
    from mmsim.sweep.resume import current_digests

    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    (bad / "meta.json").write_text(DEEP)
    point = SimpleNamespace(config=SimpleNamespace(data=str(bad)))
    assert current_digests([point]) == {str(bad): None}
    assert _Stores().meta(bad) == {}
    assert store_lot_of(str(bad), 0.5) == 0.5


# --- 2. an integer too large for a float: a ConfigError naming the key and line, the value quoted short --------

HIGH = "at most 1e12 (a price times the tick, lot and contract sizes must stay a finite number)"
UNIT = "a positive number from 1e-12 to 1e12"
BPS = "a number of basis points from -10000 to 10000 (10000 is 100% of the notional; negative is a rebate)"
PER_LOT = "a number of quote currency per lot from -1e12 to 1e12 (negative is a rebate)"
BIG = "1" + "0" * 400


@pytest.mark.parametrize(("text", "message"), [
    (f"data: store\ncontract_size: {BIG}\n", f"contract_size must be {HIGH}, got an integer of 401 digits (FILE line 2)"),
    (f"data: store\nfees:\n  taker_per_lot: -{BIG}\n",
     f"fees.taker_per_lot must be {PER_LOT}, got a negative integer of 401 digits (FILE line 3)"),
], ids=["contract-size", "per-lot"])
def test_a_run_config_integer_too_large_for_a_float_names_the_key_and_line(tmp_path, text, message):
    from mmsim.config import load_yaml

    p = tmp_path / "run.yaml"
    p.write_text(text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_a_config_or_fee_given_an_integer_too_large_for_a_float_is_a_config_error():
    from fractions import Fraction

    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.Config(tick_size=10**400)
    assert str(info.value) == f"tick_size must be {HIGH}, got an integer of 401 digits"
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.FeeConfig(maker_bps=Fraction(10**400))
    assert str(info.value) == f"fees.maker_bps must be {BPS}, got a number too large for a float"


def test_a_grid_axis_integer_too_large_for_a_float_names_the_axis_and_line(store, tmp_path):
    from mmsim.sweep import load_grid

    p = tmp_path / "grid.yaml"
    p.write_text(f"base:\n  data: {store}\n  strategy: {{path: fixed_spread}}\naxes:\n  contract_size: [1, {BIG}]\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(p)
    assert str(info.value) == (f"axes.contract_size[1]: contract_size must be {HIGH}, got an integer of 401 digits "
                               f"({p} line 5)")


@pytest.mark.parametrize(("value", "message"), [
    (10**400, f"must be {HIGH}, got an integer of 401 digits"),  # was all 401 digits
    (float("inf"), f"must be {HIGH}, got inf"),  # was "a positive number from 1e-12 to 1e12"
], ids=["401-digits", "inf"])
def test_a_store_meta_json_scale_above_the_bound_says_so_quoted_short(store, tmp_path, value, message):
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    meta = json.loads((bad / "meta.json").read_text())
    meta["tick_size"] = value
    (bad / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(bad)
    assert str(info.value) == f"{bad / 'meta.json'}: key 'tick_size' {message}"


@pytest.mark.parametrize(("flag", "message"), [
    ("1e400", f"--tick-size must be {HIGH}, got '1e400'"),
    (BIG, f"--tick-size must be {HIGH}, got '100000000000...' (401 characters)"),
])
def test_convert_tick_size_flag_above_the_bound_says_at_most(tmp_path, capsys, flag, message):
    from mmsim.cli import main

    src = tmp_path / "x.csv"
    src.write_text("1,2,3\n")
    assert main(["convert", "--format", "lobster", str(src), "-o", str(tmp_path / "s"), "--tick-size", flag]) != 0
    assert capsys.readouterr().err == f"mmsim: config error: {message}\n"


# --- 3. mmsim synth's flags are applied before the file's values and limits are checked -------------------------

def test_synth_no_informed_is_applied_before_the_informed_rate_limit(tmp_path, capsys):
    from mmsim.cli import main

    p = tmp_path / "inf.yaml"
    p.write_text("seed: 1\nduration: 1s\ninformed_rate: 1e10\n")
    assert main(["synth", str(p), "-o", str(tmp_path / "a"), "-q"]) == 2  # informed on: the limit bites
    assert capsys.readouterr().err.startswith("mmsim: config error: synth config key 'informed_rate': ")
    assert main(["synth", str(p), "-o", str(tmp_path / "b"), "-q", "--no-informed"]) == 0
    meta = json.loads((tmp_path / "b" / "meta.json").read_text())
    assert (meta["synth"]["informed"], meta["synth"]["seed"]) == (False, 1)


def test_synth_seed_flag_replaces_the_files_bad_seed_before_it_is_read(tmp_path, capsys):
    from mmsim.cli import main
    from mmsim.synth import load_synth_config

    p = tmp_path / "seed.yaml"
    p.write_text("seed: -1\nduration: 1s\n")
    assert main(["synth", str(p), "-o", str(tmp_path / "a"), "-q", "--seed", "4"]) == 0
    assert json.loads((tmp_path / "a" / "meta.json").read_text())["synth"]["seed"] == 4
    assert load_synth_config(p, {"seed": 4, "format": "l2"}).format == "l2"
    with pytest.raises(mmsim.ConfigError) as info:
        load_synth_config(p)
    assert str(info.value) == f"synth config key 'seed': must be in 0 .. 2**63 - 1, got -1 ({p} line 1)"


# --- 4. a grid's base.output is refused by name and line, as axes.output and points[i].output are ---------------

OUTPUT_WHY = "the grid's `output:` names the sweep's folder; each point gets its own inside it"


def _grid_refusal(tmp_path, text):
    from mmsim.sweep import load_grid

    (tmp_path / "grid.yaml").write_text(text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(tmp_path / "grid.yaml")
    return str(info.value).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(("text", "line"), [
    ("base:\n  data: store\n  strategy: {path: 'fixed_spread.py:FixedSpread'}\n  output: somewhere\n"
     "axes:\n  latency.feed: [0ms, 1ms]\n", 4),  # the breaker's base_output.yaml: ignored silently
    ("output: sw\nbase: {data: store, output: elsewhere, strategy: {path: fixed_spread}}\n"
     "points:\n  - {latency.feed: 1ms}\n", 2),  # flow style, beside a top-level output
], ids=["block", "flow"])
def test_a_grids_base_output_is_refused_naming_the_top_level_output(tmp_path, text, line):
    assert _grid_refusal(tmp_path, text) == (f"base.output: output cannot be set in the base: {OUTPUT_WHY}; move it "
                                             f"to the grid's top-level `output:` (grid.yaml line {line})")


# --- 5. a refused explicit order names the constructor called (Quote.keep), not Quote.ladder --------------------

ASK_EMPTY = ("is the empty-side marker of view.best_ask (the ask side is empty: check view.ask_qty > 0 before quoting "
             "from it)")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: mmsim.Quote.keep(orders=[mmsim.Order.ioc(1, 2**63 - 1, 1)]),
     f"Quote.keep: order 0 price = 9223372036854775807 {ASK_EMPTY}"),
    (lambda: mmsim.Quote.keep(orders=[mmsim.Order.market(1, 2**62)]),
     "Quote.keep: order 0 qty = 4611686018427387904 is out of range"),
    (lambda: mmsim.Quote.keep(orders=[(1, 101, 1)]),
     "Quote.keep: orders must be mmsim.Order values (Order.ioc, .fok, .market), got (1, 101, 1)"),
    (lambda: mmsim.Quote.ladder(bids=[(99, 1)], asks=[], orders=[mmsim.Order.market(1, 2**62)]),
     "Quote.ladder: order 0 qty = 4611686018427387904 is out of range"),  # Quote.ladder's own orders: its name
], ids=["keep-ioc-marker", "keep-market-huge", "keep-not-an-order", "ladder-market-huge"])
def test_a_refused_explicit_order_names_the_constructor_called(make, message):
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value) == message


# --- 6. readable_ns chooses its unit after rounding ----------------------------------------------------------------

@pytest.mark.parametrize(("ns", "shown"), [
    (999_999_999, "1 s"), (59_999_999_999, "1 min"), (3_599_999_999_999, "1 h"), (999_999_500, "1 s"),  # were
    # 1000 ms, 60 s, 60 min, 1000 ms
    (999_999, "999.999 µs"), (999_499_999, "999.5 ms"), (59_999_499_999, "59.999 s"),  # not rounded up to a unit
    (10**9 + 1, "1 s"), (-999_999_999, "-1 s"),  # rounded, as documented
])
def test_readable_ns_chooses_the_unit_after_rounding(ns, shown):
    from mmsim.config._units import readable_ns

    assert readable_ns(ns) == shown


# --- 7. a price within 2**62 of an empty side's marker (or its wrap) is said to look computed from it -----------

from conftest import make_events  # noqa: E402

from mmsim.numba_strategy import numba_strategy  # noqa: E402

WHEN = f"at local time {mmsim.engine.format_ts(1000)}"
BIDS_ONLY = make_events([(1000, mmsim.Kind.DEPTH, 1, 100, 10), (2000, mmsim.Kind.DEPTH, 1, 100, 11)])
FROM_ASK = ("is out of range (it looks computed from view.best_ask's empty-side marker: view.best_ask is 2**63 - 1 "
            "when the ask side is empty; check view.ask_qty > 0 before quoting from it)")
FROM_EITHER = ("is out of range (it looks computed from an empty side's marker: view.best_bid is -2**63 when the bid "
               "side is empty, and view.best_ask's 2**63 - 1 wraps negative in int64 arithmetic; check view.bid_qty > "
               "0 and view.ask_qty > 0 before quoting from them)")


class AskMinusOne(mmsim.Strategy):
    def quote(self, view):
        return mmsim.Quote(view.best_bid, 1, view.best_ask - 1, 1)


class IntMid(mmsim.Strategy):
    def quote(self, view):
        return mmsim.Quote(view.best_bid, 1, (view.best_bid + view.best_ask) // 2, 1)


@pytest.mark.parametrize(("strategy", "shown"), [
    (AskMinusOne, 2**63 - 2), (IntMid, (100 + 2**63 - 1) // 2),  # 9223372036854775806, 4611686018427387953
])
def test_a_python_price_computed_from_the_ask_marker_says_so(strategy, shown):
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BIDS_ONLY, strategy())
    assert str(info.value) == (f"strategy {strategy.__name__} returned an invalid quote {WHEN}: quote ask_px = {shown} "
                               f"{FROM_ASK}")


@numba_strategy(params={})
def numba_mid(view, params, state, out):
    out.bid_px = view.best_bid
    out.ask_px = (view.best_bid + view.best_ask) / 2
    out.bid_qty = 1.0
    out.ask_qty = 1.0
    return 1


@pytest.mark.parametrize(("path", "shown", "hint"), [
    ("fast", "-4.6116860184273879e+18", FROM_EITHER),  # int64 100 + (2**63 - 1) wraps to -2**63 + 99, halved
    ("python", "-4.6116860184273879e+18", FROM_EITHER),
    ("pure", "4.6116860184273879e+18", FROM_ASK),  # Python ints: no wrap
])
def test_a_numba_mid_computed_from_the_ask_marker_says_so_on_every_path(path, shown, hint):
    rule = numba_mid()
    with pytest.raises(mmsim.StrategyError) as info:
        mmsim.run(BIDS_ONLY, rule if path == "fast" else rule.python(pure=path == "pure"))
    assert str(info.value) == f"strategy numba_mid returned an invalid quote {WHEN}: quote ask_px = {shown} {hint}"


def test_a_price_far_from_the_markers_gets_no_hint():
    from mmsim.strategy import marker_hint

    assert [marker_hint(x) for x in (2**53, 10**30, 2**62 - 2, 3 * 2**62 + 1)] == ["", "", "", ""]
    assert marker_hint(2**62 - 1) == FROM_ASK[len("is out of range"):]
    assert marker_hint(-3 * 2**62) == FROM_EITHER[len("is out of range"):]


# --- 8. a synth limit across two written keys names both with their lines --------------------------------------

STEPS = ("synth config key 'fv_step': the session would make 3,162,240,000 diffusion steps (duration / fv_step), more "
         "than the 1,073,741,824 (2**30) the generator can step through; raise fv_step, lower jump_rate or shorten "
         "duration, got '10ms' with duration: '8784h' ")


@pytest.mark.parametrize(("text", "where"), [
    ("duration: 8784h\nfv_step: 10ms\n", "(fv_step at FILE line 2, duration at FILE line 1)"),  # syn/a.yaml
    ("fv_step: 10ms\nseed: 2\nduration: 8784h\n", "(fv_step at FILE line 1, duration at FILE line 3)"),  # syn/b.yaml
])
def test_a_synth_limit_across_two_written_keys_names_both_lines(tmp_path, text, where):
    from mmsim.synth import load_synth_config

    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_synth_config(p)
    assert str(info.value) == STEPS + where.replace("FILE", str(p))


def test_the_event_limit_names_duration_and_the_written_rate(tmp_path):
    """syn/nr2.yaml: duration blamed, noise_rate (written, what made it bite) named with its line; informed_rate, at
    its default, is not."""
    from mmsim.synth import load_synth_config

    p = tmp_path / "s.yaml"
    p.write_text("seed: 1\nduration: 1h\nnoise_rate: 400000\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_synth_config(p)
    assert str(info.value) == (
        "synth config key 'duration': the session would make about 6,480,733,776 events (1,200,135 a second: "
        "lp_cancel_rate x the book's orders, noise_rate, informed_rate; over duration), more than the 1,073,741,824 "
        f"(2**30) the generator can hold; shorten duration or lower the rates, got '1h' with noise_rate: 400000.0 "
        f"(duration at {p} line 2, noise_rate at {p} line 3)")
