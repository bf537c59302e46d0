"""scale24: the scales that turn ticks and lots into money are bounded wherever they are read.

``contract_size: 1e306`` made a run's cash -inf under a report saying "reconciled"; ``fees: {maker_bps: 1e300}``
a Sharpe of 0.00; a store's ``meta.json`` ``tick_size: 1e300`` was accepted likewise (breaker24). The tick, lot and
contract sizes are numbers from 1e-12 to 1e12 (synth's bounds, one rule: ``mmsim._scales``) in mmsim.Config, the
run config, a store's meta.json, ``mmsim.convert`` and an ``.npz``'s mmsim_meta; a fee in bps is at most 10,000 in
magnitude (100% of the notional), a fee per lot at most 1e12.
"""

from __future__ import annotations

import json
import math
import shutil

import pytest

import mmsim
from mmsim.config import load_yaml

HIGH = "at most 1e12 (a price times the tick, lot and contract sizes must stay a finite number)"
UNIT = "a positive number from 1e-12 to 1e12"
BPS = "a number of basis points from -10000 to 10000 (10000 is 100% of the notional; negative is a rebate)"
PER_LOT = "a number of quote currency per lot from -1e12 to 1e12 (negative is a rebate)"


@pytest.mark.parametrize(("make", "message"), [
    (lambda: mmsim.Config(contract_size=1e306), f"contract_size must be {HIGH}, got 1e+306"),  # the breaker's
    (lambda: mmsim.Config(tick_size=1e-13), f"tick_size must be {UNIT}, got 1e-13"),
    (lambda: mmsim.Config(lot_size=1e13), f"lot_size must be {HIGH}, got 10000000000000.0"),
    (lambda: mmsim.FeeConfig(maker_bps=1e300), f"fees.maker_bps must be {BPS}, got 1e+300"),  # the breaker's
    (lambda: mmsim.FeeConfig(taker_bps=-10000.5), f"fees.taker_bps must be {BPS}, got -10000.5"),
    (lambda: mmsim.FeeConfig(maker_per_lot=2e12), f"fees.maker_per_lot must be {PER_LOT}, got 2000000000000.0"),
    (lambda: mmsim.Config(fees={"taker_per_lot": -1e13}), f"fees.taker_per_lot must be {PER_LOT}, "
                                                          "got -10000000000000.0"),
], ids=["contract-1e306", "tick-1e-13", "lot-1e13", "maker-bps-1e300", "taker-bps-10000.5", "maker-per-lot",
        "taker-per-lot"])
def test_a_scale_or_fee_out_of_bounds_is_refused_naming_the_keyword(make, message):
    with pytest.raises(mmsim.ConfigError) as info:
        make()
    assert str(info.value) == message


def test_the_bounds_themselves_are_allowed():
    c = mmsim.Config(tick_size=1e-12, lot_size=1e12, contract_size=1e12,
                     fees=mmsim.FeeConfig(maker_bps=-10000, taker_bps=10000, maker_per_lot=-1e12, taker_per_lot=1e12))
    assert (c.tick_size, c.lot_size, c.contract_size) == (1e-12, 1e12, 1e12)
    assert (c.fees.maker_bps, c.fees.taker_bps, c.fees.maker_per_lot, c.fees.taker_per_lot) == (-1e4, 1e4, -1e12, 1e12)


@pytest.mark.parametrize(("text", "message"), [
    ("data: store\nstrategy: {path: glft}\nfees: {maker_bps: 1e300}\n",  # the breaker's huge_fee.yaml
     f"fees.maker_bps must be {BPS}, got '1e300' (FILE line 3)"),
    ("data: store\nfees:\n  maker_bps: 1\n  taker_bps: 20000\n", f"fees.taker_bps must be {BPS}, got 20000 (FILE line 4)"),
    ("data: store\ncontract_size: 1e306\n", f"contract_size must be {HIGH}, got '1e306' (FILE line 2)"),
    ("tick_size: 1e-300\ndata: store\n", f"tick_size must be {UNIT}, got 1e-300 (FILE line 1)"),
], ids=["maker-bps", "taker-bps", "contract-size", "tick-size"])
def test_a_run_config_out_of_bounds_names_the_key_and_line(tmp_path, text, message):
    p = tmp_path / "run.yaml"
    p.write_text(text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("tick_size", 1e300, f"must be {HIGH}, got 1e+300"),  # the breaker's meta_tick_huge
    ("contract_size", 1e-13, f"must be {UNIT}, got 1e-13"),
    ("lot_size", 10**13, f"must be {HIGH}, got 10000000000000"),
])
def test_a_store_meta_json_scale_out_of_bounds_is_refused_naming_the_file_and_key(store, tmp_path, key, value,
                                                                                    message):
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    meta = json.loads((bad / "meta.json").read_text())
    meta[key] = value
    (bad / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(bad)
    assert str(info.value) == f"{bad / 'meta.json'}: key {key!r} {message}"


@pytest.mark.parametrize(("kw", "message"), [
    ({"tick_size": 1e300}, f"tick_size must be {HIGH}, got 1e+300"),
    ({"lot_size": 1e-20}, f"lot_size must be {UNIT}, got 1e-20"),
])
def test_convert_refuses_a_scale_out_of_bounds_before_converting(tmp_path, kw, message):
    src = tmp_path / "x.csv"
    src.write_text("1,2,3\n")
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.data.convert([src], tmp_path / "out", format="lobster", **kw)
    assert str(info.value) == message


def test_within_the_bounds_the_sharpe_does_not_depend_on_the_scale(store):
    """At contract_size 1e150 the breaker's Sharpe was -0.85, at 1e300 -0.0: within the bounds, every money figure
    scales by the contract size, the Sharpe (a ratio of money) not at all."""
    st = mmsim.load(store)
    q = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    got = {}
    for cs in (1e-12, 1.0, 1e12):
        d = mmsim.run(st.events, q, mmsim.Config(contract_size=cs)).report().data
        got[cs] = (d["pnl"]["total"], d["risk"]["sharpe_daily"], d["pnl"]["reconciled"])
    total, sharpe, _ = got[1.0]
    assert sharpe != 0 and total != 0
    for cs, (t, s, rec) in got.items():
        assert rec is True
        assert math.isclose(t, total * cs, rel_tol=1e-9)
        assert math.isclose(s, sharpe, rel_tol=1e-9)
