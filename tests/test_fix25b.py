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
