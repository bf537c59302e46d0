"""fix34c: a store's ``meta_digest``. ``events_digest`` covers the events only, so a ``tick_size`` edited by hand in
meta.json loaded and every price and PnL figure came out at the edited scale with no word (closing23, "Left"). The
keys that say what the integer events mean are now held to a digest written with the store; a store without one
(written before it) loads as before (docs/data.md, "The store's meta_digest")."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _corpus import binance, databento_csv, databento_dbn, dbn_bytes, hbt_file, hbt_rows, lobster, store, tardis
from conftest import ROOT, rewrite_meta

import mmsim
from mmsim.data import convert, write_store
from mmsim.data._meta_digest import MEANING_KEYS, META_DIGEST_KEY

BID = str(ROOT / "strategies" / "fixed_spread.py")


def _edit(st: Path, **changes) -> Path:
    """The store's meta.json with ``changes`` made by hand (its meta_digest left as written)."""
    p = st / "meta.json"
    meta = json.loads(p.read_text())
    meta.update(changes)
    p.write_text(json.dumps(meta, indent=2))
    return p


def _refused(st: Path) -> str:
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(st)
    return str(info.value)


def test_a_store_carries_the_digest_of_each_key_by_hand(tmp_path):
    st = store(tmp_path)
    meta = json.loads((st / "meta.json").read_text())
    # SHA-256 of "tick_size=0.01" (the value as JSON; a size as a float), its first 16 hex digits
    assert meta[META_DIGEST_KEY]["tick_size"] == "sha256:" + hashlib.sha256(b"tick_size=0.01").hexdigest()[:16]
    assert meta[META_DIGEST_KEY]["venue"] == "sha256:" + hashlib.sha256(b'venue="v"').hexdigest()[:16]
    assert meta[META_DIGEST_KEY]["local_ts_recorded"] == "sha256:" + hashlib.sha256(
        b"local_ts_recorded=false").hexdigest()[:16]
    assert sorted(meta[META_DIGEST_KEY]) == sorted(MEANING_KEYS) == sorted(
        ["symbol", "venue", "tick_size", "lot_size", "contract_size", "levels", "local_ts_recorded", "time_zone"])


def test_a_hand_edited_tick_size_is_refused_naming_meta_json_and_the_key(tmp_path):
    st = store(tmp_path)
    p = _edit(st, tick_size=0.001)
    assert _refused(st) == (
        f"{p}: key 'tick_size' is 0.001, not the value the store was written with (its meta_digest.tick_size is of "
        "another value): meta.json was edited by hand, and tick_size says what the events mean (a price is its "
        "integer ticks times tick_size: every price and PnL figure scales with it); write the store again from its "
        "source: mmsim convert (--tick-size sets it)")


def test_a_hand_edited_lot_size_is_refused_the_same_way(tmp_path):
    st = store(tmp_path)
    p = _edit(st, lot_size=100.0)
    assert _refused(st) == (
        f"{p}: key 'lot_size' is 100.0, not the value the store was written with (its meta_digest.lot_size is of "
        "another value): meta.json was edited by hand, and lot_size says what the events mean (a size is its "
        "integer lots times lot_size: every quantity and PnL figure scales with it); write the store again from its "
        "source: mmsim convert (--lot-size sets it)")


@pytest.mark.parametrize("key, value", [
    ("contract_size", 50.0), ("symbol", "Y"), ("venue", "GLBX.MDP3"), ("time_zone", "America/Chicago"),
    ("local_ts_recorded", True), ("levels", "L3"),
])
def test_every_key_that_says_what_the_events_mean_is_held(tmp_path, key, value):
    st = store(tmp_path)
    p = _edit(st, **{key: value})
    msg = _refused(st)
    assert msg.startswith(f"{p}: key {key!r} is {value!r}, not the value the store was written with (its "
                          f"meta_digest.{key} is of another value)")


def test_a_synthetic_stores_remedy_is_mmsim_synth(tmp_path):
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    out = Path(synth_store(SynthConfig(seed=3, duration=2_000_000_000, format="l2"), tmp_path / "s"))
    _edit(out, contract_size=10.0)
    # fix36a: and what sets the key for it, its CONFIG's contract_size (breaker36 F8)
    assert _refused(out).endswith("; write the store again from its source: mmsim synth (its CONFIG's contract_size "
                                  "sets it)")


def test_a_size_written_as_an_integer_is_the_same_size(tmp_path):
    # 1.0 and 1 are one lot size: a meta.json rewritten by another JSON writer still loads
    st = store(tmp_path)
    p = st / "meta.json"
    p.write_text(p.read_text().replace('\n  "lot_size": 1.0,', '\n  "lot_size": 1,'))
    assert '"lot_size": 1,' in p.read_text()
    assert mmsim.load(st).meta["lot_size"] == 1


def test_a_store_without_the_digest_loads_as_before(tmp_path):
    # stores written before fix34c have no meta_digest: nothing to hold them to (docs/data.md)
    st = store(tmp_path)
    meta = json.loads((st / "meta.json").read_text())
    del meta[META_DIGEST_KEY]
    meta["tick_size"] = 0.001
    (st / "meta.json").write_text(json.dumps(meta))
    assert mmsim.load(st).tick_size == 0.001


@pytest.mark.parametrize("digest, shown", [
    ("yes", "is 'yes', not"),
    # fix36a: the keys it lacks are named, not the whole mapping shown (breaker36 F5)
    ({"tick_size": "sha256:0000000000000000"},
     "lacks 'symbol', 'venue', 'lot_size', 'contract_size', 'levels', 'local_ts_recorded', 'time_zone': it is"),
])
def test_a_digest_not_of_its_form_is_refused_naming_it(tmp_path, digest, shown):
    st = store(tmp_path)
    p = _edit(st, meta_digest=digest)
    assert _refused(st) == (
        f"{p}: key 'meta_digest' {shown} a mapping of symbol, venue, tick_size, lot_size, contract_size, "
        "levels, local_ts_recorded, time_zone, each \"sha256:\" and 16 hex digits, written with the store; write "
        "the store again from its source: mmsim convert")


def test_a_digest_copied_from_another_store_is_of_its_keys(tmp_path):
    # a store rewritten from another's meta (write_store(..., dict(old.meta))) gets its own digest, not the given one
    a = mmsim.load(store(tmp_path))
    meta = {**a.meta, "tick_size": 0.5}
    b = write_store(tmp_path / "b", np.asarray(a.events), meta)
    assert b.meta[META_DIGEST_KEY]["tick_size"] != a.meta[META_DIGEST_KEY]["tick_size"]
    assert mmsim.load(b.path).tick_size == 0.5


class Bid(mmsim.Strategy):
    def quote(self, v):
        return mmsim.Quote(100, 1, 0, 0)


def test_a_loaded_stores_meta_changed_in_memory_is_refused_at_the_run(tmp_path):
    st = mmsim.load(store(tmp_path))
    st.meta["tick_size"] = 0.5
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(st, Bid())
    assert str(info.value).startswith(f"{st.path / 'meta.json'}: key 'tick_size' is 0.5, not the value the store "
                                      "was written with")
    wrapper = SimpleNamespace(events=st.events, meta=dict(st.meta))  # a wrapper without a path: the same rule
    with pytest.raises(mmsim.DataError) as info:
        mmsim.run(wrapper, Bid())
    assert str(info.value).startswith("the meta given with the events: key 'tick_size' is 0.5, not the value")


def test_mmsim_report_and_run_refuse_it_in_one_line(tmp_path, capsys):
    from mmsim.cli import main

    st = store(tmp_path)
    p = _edit(st, venue="XEUR.EOBI")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data: {st}\nstrategy:\n  path: {BID}:FixedSpread\n  params: {{half_spread: 1, size: 1}}\n")
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(tmp_path / "run"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mmsim: error: {p}: key 'venue' is 'XEUR.EOBI', not the value the store was written "
                          "with") and err.count("\n") == 1


def test_a_second_sweep_in_a_process_refuses_a_meta_json_edited_since(tmp_path):
    # lead17's case without the digest written again: the sweep's store cache reads the edited meta.json, and holds it
    from mmsim.sweep import run_sweep

    st = store(tmp_path)
    grid = {"base": {"strategy": {"path": BID + ":FixedSpread", "params": {"half_spread": 1, "size": 1}},
                     "report": {"horizons": ["1s"]}, "data": str(st)},
            "axes": {"latency.entry": ["1ms"]}}
    run_sweep(grid, workers=0)
    p = _edit(st, contract_size=10.0)
    with pytest.raises(mmsim.ConfigError) as info:
        run_sweep(grid, workers=0)
    assert str(info.value).startswith(f"data: {p}: key 'contract_size' is 10.0, not the value the store was "
                                      "written with")


def _convert_each(d: Path) -> dict[str, Path]:
    """A store of each writer: every format's converter, synth, the .npz import, a trade-implied rewrite."""
    files = {"lobster": lobster, "binance": binance, "databento-csv": databento_csv, "tardis": tardis,
             "databento-dbn": lambda x: databento_dbn(x, dbn_bytes(), zst=False),
             "hftbacktest": lambda x: hbt_file(x, hbt_rows())}
    out: dict[str, Path] = {}
    for name, make in files.items():
        (d / name).mkdir()
        fmt = name.split("-")[0]
        kw = {"tick_size": 0.25} if fmt == "databento" else {}
        out[name] = convert(make(d / name)[0], d / f"{name}.store", format=fmt, **kw).path
    from mmsim.data import trade_implied
    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    out["synth"] = Path(synth_store(SynthConfig(seed=3, duration=2_000_000_000, format="l2"), d / "synth.store"))
    out["trade-implied"] = trade_implied(out["tardis"], d / "implied.store").path
    return out


def test_every_writer_writes_the_digest_and_an_edit_is_refused(tmp_path):
    for name, st in _convert_each(tmp_path).items():
        meta = json.loads((st / "meta.json").read_text())
        assert sorted(meta.get(META_DIGEST_KEY, {})) == sorted(MEANING_KEYS), name
        mmsim.load(st)
        p = _edit(st, tick_size=meta["tick_size"] * 2)
        assert _refused(st).startswith(f"{p}: key 'tick_size' is {meta['tick_size'] * 2!r}, not the value"), name


def test_an_npz_export_imported_back_gets_its_own_digest(tmp_path):
    from mmsim.data.hftbacktest import export

    from mmsim.synth import SynthConfig
    from mmsim.synth import write_store as synth_store

    st = mmsim.load(synth_store(SynthConfig(seed=3, duration=2_000_000_000, format="l2"), tmp_path / "s"))
    f = tmp_path / "x.npz"
    export(st, f)
    back = convert([f], tmp_path / "back", format="hftbacktest")
    assert back.meta[META_DIGEST_KEY] == st.meta[META_DIGEST_KEY]  # the same keys, so the same digest


def test_rewrite_meta_of_the_tests_writes_the_digest_of_the_keys(tmp_path):
    # tests that make another store of the same events by editing meta.json (tests/conftest.py rewrite_meta)
    st = store(tmp_path)
    rewrite_meta(st, venue="GLBX.MDP3", contract_size=50.0)
    assert mmsim.load(st).meta["venue"] == "GLBX.MDP3"
