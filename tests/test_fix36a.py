"""fix36a (breaker36 F2, F5, F7, F8). F2: a resumed sweep reused records made on a store of the same events
(``events_digest``) but another meaning (``contract_size`` 1 then 100: PnL -15,814 beside -1,532,159, exit 0); each
record now carries its store's meaning keys (``store_meaning``) and a point whose store now says otherwise runs again,
as one whose events changed does (docs/sweeps.md, "Point ids"). F5: a ``meta_digest`` not of its form names the key
missing, extra or malformed. F7: a ``first_exch_ts`` rounded by a JSON tool that reads numbers as doubles says so.
F8: a synthetic store's remedy names what ``mmsim synth`` has (its CONFIG's keys, ``--format``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from _corpus import store
from conftest import ROOT, rewrite_meta

import mmsim
from mmsim.cli import main
from mmsim.sweep import RESULTS_FILE

FIXED_SPREAD = f"{ROOT / 'strategies' / 'fixed_spread.py'}:FixedSpread"


def _synth(tmp_path: Path) -> Path:
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    return Path(synth_store(SynthConfig(seed=3, duration=20_000_000_000, format="l2"), tmp_path / "s"))


def _grid(tmp_path: Path, st: Path, feeds: list[str]) -> Path:
    grid = tmp_path / "g.json"
    grid.write_text(json.dumps({
        "base": {"data": str(st), "latency": {"entry": "1ms", "response": "1ms"}, "report": {"horizons": ["1s"]},
                 "strategy": {"path": FIXED_SPREAD, "params": {"half_spread": 1, "size": 1}}},
        "axes": {"latency.feed": feeds}, "output": str(tmp_path / "out"), "workers": 0}))
    return grid


def _pnl(tmp_path: Path) -> dict[str, float]:
    with open(tmp_path / "out" / "results.csv") as f:
        return {r["latency.feed"]: float(r["pnl.total"]) for r in csv.DictReader(f)}


def _sweep(grid: Path, capsys) -> tuple[str, str]:
    capsys.readouterr()
    assert main(["sweep", str(grid), "-q", "--no-plots"]) == 0
    return capsys.readouterr()


def test_a_resume_runs_again_the_points_of_a_store_written_again_with_another_contract_size(tmp_path, capsys):
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms", "5ms"])
    _sweep(grid, capsys)
    assert _pnl(tmp_path) == {"0ms": 0.51, "5ms": 0.47}
    digest = json.loads((st / "meta.json").read_text())["events_digest"]
    rewrite_meta(st, contract_size=10.0)  # the same events, written again with another meaning (breaker36 F2)
    assert json.loads((st / "meta.json").read_text())["events_digest"] == digest
    grid = _grid(tmp_path, st, ["0ms", "5ms", "10ms"])
    out, err = _sweep(grid, capsys)
    assert err == (f"mmsim sweep: store {st}'s meta.json contract_size is 10.0, but 2 of its points were recorded in "
                   f"{tmp_path / 'out' / RESULTS_FILE} on contract_size 1.0 (contract_size says what its events mean: "
                   "a notional is lots times price times contract_size: every PnL figure scales with it); running "
                   "them again\n")
    assert out.splitlines()[-1] == "3 run now (2 of them: store meaning keys changed), 0 reused from results.jsonl"
    pnl = _pnl(tmp_path)  # every PnL figure ten times the contract_size-1 one, none of the old scale kept
    assert pnl["0ms"] == pytest.approx(5.1, rel=1e-12) and pnl["5ms"] == pytest.approx(4.7, rel=1e-12)
    recs = [json.loads(line) for line in (tmp_path / "out" / RESULTS_FILE).read_text().splitlines()]
    assert {r["store_meaning"]["contract_size"] for r in recs[-3:]} == {10.0}


def test_a_second_key_tick_size_and_a_size_written_as_an_integer(tmp_path, capsys):
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms"])
    _sweep(grid, capsys)
    rewrite_meta(st, contract_size=1)  # 1 and 1.0 are one size (the meta_digest's rule): reused
    out, err = _sweep(grid, capsys)
    assert err == "" and out.splitlines()[-1].startswith("0 run now, 1 reused from results.jsonl")
    rewrite_meta(st, tick_size=0.02)
    out, err = _sweep(grid, capsys)
    assert err == (f"mmsim sweep: store {st}'s meta.json tick_size is 0.02, but 1 of its points was recorded in "
                   f"{tmp_path / 'out' / RESULTS_FILE} on tick_size 0.01 (tick_size says what its events mean: a "
                   "price is its integer ticks times tick_size: every price and PnL figure scales with it); running "
                   "it again\n")
    assert _pnl(tmp_path)["0ms"] == pytest.approx(1.02, rel=1e-12)  # 0.51 at a tick of 0.01



def test_two_keys_changed_are_each_said(tmp_path, capsys):
    # breaker37 F2: a store written again with another symbol and tick_size named the symbol alone; each key is said
    # in its own note (docs/sweeps.md: once per store and key), in the meaning keys' order, the point run once.
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms"])
    _sweep(grid, capsys)
    symbol = json.loads((st / "meta.json").read_text())["symbol"]
    rewrite_meta(st, tick_size=0.02, symbol="SYN2")
    out, err = _sweep(grid, capsys)
    where = tmp_path / "out" / RESULTS_FILE
    assert err == (f"mmsim sweep: store {st}'s meta.json symbol is \"SYN2\", but 1 of its points was recorded in "
                   f"{where} on symbol \"{symbol}\" (symbol says what its events mean: the instrument the events are "
                   "of); running it again\n"
                   f"mmsim sweep: store {st}'s meta.json tick_size is 0.02, but 1 of its points was recorded in "
                   f"{where} on tick_size 0.01 (tick_size says what its events mean: a price is its integer ticks "
                   "times tick_size: every price and PnL figure scales with it); running it again\n")
    assert out.splitlines()[-1] == "1 run now (1 of them: store meaning keys changed), 0 reused from results.jsonl"

def test_a_record_of_an_earlier_mmsim_is_reused_as_before(tmp_path, capsys):
    # a record written before fix36a has no store_meaning: nothing to hold it to (docs/sweeps.md, "Point ids")
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms"])
    _sweep(grid, capsys)
    res = tmp_path / "out" / RESULTS_FILE
    recs = [json.loads(line) for line in res.read_text().splitlines()]
    for r in recs:
        del r["store_meaning"]
    res.write_text("".join(json.dumps(r) + "\n" for r in recs))
    rewrite_meta(st, contract_size=10.0)
    out, err = _sweep(grid, capsys)
    assert err == "" and out.splitlines()[-1].startswith("0 run now, 1 reused from results.jsonl")
    assert _pnl(tmp_path) == {"0ms": 0.51}


def test_a_store_meaning_not_of_its_form_is_refused_naming_the_field(tmp_path, capsys):
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms"])
    _sweep(grid, capsys)
    res = tmp_path / "out" / RESULTS_FILE
    rec = json.loads(res.read_text())
    rec["store_meaning"] = {"format": "l2"}
    res.write_text(json.dumps(rec) + "\n")
    capsys.readouterr()
    assert main(["sweep", str(grid), "-q", "--no-plots"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f'mmsim: error: {res} line 1: its "store_meaning" is {{"format": "l2"}} (a JSON object), not what a run '
        "writes there (a mapping of some of symbol, venue, tick_size, lot_size, contract_size, levels, "
        "local_ts_recorded, time_zone, each to null, a string, a number or true/false, or null); the sweep writes "
        "only its own records there: remove that line (or give the sweep another -o)\n")


@pytest.mark.parametrize("change, why", [
    (lambda d: d.pop("venue"), "lacks 'venue'"),
    (lambda d: d.pop("venue") and d.pop("time_zone"), "lacks 'venue', 'time_zone'"),
    (lambda d: d.update(format="sha256:0000000000000000"), "has 'format', not one of its eight keys"),
    (lambda d: d.update(symbol=d["symbol"].upper()),
     "entry 'symbol' is 'SHA256:{}', not \"sha256:\" and 16 lower-case hex digits: the meta_digest is"),
])
def test_a_digest_not_of_its_form_names_the_key(tmp_path, change, why):
    st = store(tmp_path)
    p = st / "meta.json"
    meta = json.loads(p.read_text())
    sym = meta["meta_digest"]["symbol"][7:].upper()
    change(meta["meta_digest"])
    p.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    rule = ("a mapping of symbol, venue, tick_size, lot_size, contract_size, levels, local_ts_recorded, time_zone, "
            "each \"sha256:\" and 16 hex digits, written with the store; write the store again from its source: "
            "mmsim convert")
    sep = " " if why.endswith("is") else ": it is "
    assert str(info.value) == f"{p}: key 'meta_digest' {why.format(sym)}{sep}{rule}"


@pytest.mark.parametrize("key", ["first_exch_ts", "last_exch_ts"])
def test_a_time_rounded_to_a_double_says_the_likely_cause(tmp_path, key):
    st = store(tmp_path)
    exact = 1340285400017459617  # breaker36 F7's AMZN first_exch_ts; jq 1.6 writes 1340285400017459700
    import numpy as np

    ev = np.load(st / "events.npy")
    ev["exch_ts"] = ev["local_ts"] = [exact, exact + 1, exact + 2]
    from mmsim.data import write_store

    meta = {k: v for k, v in mmsim.load(st).meta.items()
            if k not in ("events_digest", "meta_digest", "event_count", "first_exch_ts", "last_exch_ts")}
    st = write_store(tmp_path / "big", ev, meta).path
    p = Path(st) / "meta.json"
    text = p.read_text()
    got = exact if key == "first_exch_ts" else exact + 2
    assert f'"{key}": {got}' in text
    p.write_text(text.replace(f'"{key}": {got}', f'"{key}": 1340285400017459700'))
    i = 0 if key == "first_exch_ts" else 2
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    assert str(info.value) == (
        f"{p}: key {key!r} is 1340285400017459700, but event {i}'s exch_ts is {got}: meta.json does not describe its "
        "events (edited by hand, or its events.npy changed since; write the store again from its source: mmsim "
        "convert); the two differ only by rounding to a double, as a JSON tool that reads numbers as doubles (jq "
        "1.6) rounds integers beyond 2**53: edit meta.json with one that keeps integers exact (Python's json)")
    # an edit that is no rounding (another integer) says nothing of doubles
    p.write_text(text.replace(f'"{key}": {got}', f'"{key}": {got + 1000}'))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    assert str(info.value).endswith("write the store again from its source: mmsim convert)")


@pytest.mark.parametrize("key, value, remedy", [
    ("tick_size", 0.5, "mmsim synth (its CONFIG's tick_size sets it)"),
    ("lot_size", 2.0, "mmsim synth (its CONFIG's lot_size sets it)"),
    ("symbol", "Y", "mmsim synth (its CONFIG's symbol sets it)"),
    ("levels", "L3", "mmsim synth (--format sets it)"),
    ("venue", "XNAS", "mmsim synth"),
])
def test_a_synthetic_stores_remedy_names_what_mmsim_synth_has(tmp_path, key, value, remedy):
    st = _synth(tmp_path)
    p = st / "meta.json"
    meta = json.loads(p.read_text())
    meta[key] = value
    p.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    assert str(info.value).endswith(f"; write the store again from its source: {remedy}")
    assert "--tick-size" not in str(info.value)


def test_a_converted_stores_remedy_keeps_convert_flags(tmp_path):
    st = store(tmp_path)
    p = st / "meta.json"
    meta = json.loads(p.read_text())
    meta["tick_size"] = 0.5
    p.write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    assert str(info.value).endswith("; write the store again from its source: mmsim convert (--tick-size sets it)")


def _custom(config):
    return {"pnl.total": 1.0, "n_events": 1}


def test_a_custom_point_fns_record_carries_the_keys_too(tmp_path, capsys):
    # a custom point_fn opens what it likes: its finished point records the store's keys as meta.json holds them
    from mmsim.sweep import read_results, run_sweep

    st = store(tmp_path)
    grid = tmp_path / "g.json"
    grid.write_text(json.dumps({"base": {"data": str(st), "strategy": {"path": "fixed_spread"}},
                                "axes": {"latency.feed": ["0ms"]}}))
    out = tmp_path / "out"
    run_sweep(grid, out=out, workers=0, point_fn=_custom)
    (rec,) = read_results(out / RESULTS_FILE).values()
    assert rec["store_meaning"] == {"symbol": "X", "venue": "v", "tick_size": 0.01, "lot_size": 1.0,
                                    "contract_size": 1.0, "levels": "L2", "local_ts_recorded": False,
                                    "time_zone": "UTC"}
    rewrite_meta(st, lot_size=100.0)
    capsys.readouterr()
    run_sweep(grid, out=out, workers=0, point_fn=_custom)
    assert capsys.readouterr().err.startswith(f"mmsim sweep: store {st}'s meta.json lot_size is 100.0, but 1 of its "
                                              f"points was recorded in {out / RESULTS_FILE} on lot_size 1.0 (")


def test_point_drill_down_names_a_changed_meaning_key_or_changed_events(tmp_path, capsys):
    # breaker37 F1: `--point` after the store's contract_size changed said "the event store changed since the sweep
    # ran, or code the strategy's fingerprint does not cover": the record's store_meaning tells the cause exactly.
    st = _synth(tmp_path)
    grid = _grid(tmp_path, st, ["0ms"])
    _sweep(grid, capsys)
    pid = json.loads((tmp_path / "out" / RESULTS_FILE).read_text().splitlines()[-1])["id"]
    rewrite_meta(st, contract_size=10.0)
    capsys.readouterr()
    assert main(["sweep", str(grid), "--point", pid[:8], "-q", "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: ") and err.endswith(
        "): the event store's meta.json contract_size changed since the sweep ran (the sweep runs its points again)\n")
    # The second cause of the kind: the store's events themselves written again (another seed at the same path).
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    synth_store(SynthConfig(seed=4, duration=20_000_000_000, format="l2"), st, force=True)
    assert main(["sweep", str(grid), "--point", pid[:8], "-q", "--no-plots", "--force"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: ") and err.endswith(
        "): the event store's events changed since the sweep ran (its meta.json events_digest; the sweep runs its "
        "points again)\n")
