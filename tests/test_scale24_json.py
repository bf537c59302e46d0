"""scale24: a JSON file mmsim reads that a user may edit, or that may be damaged, refuses a key given twice.

``json.loads`` keeps the last value of a key given twice: a store's meta.json with ``"tick_size": 0.01`` then
``"tick_size": 1.0`` replayed at tick 1.0, every money figure 100 times larger (breaker24). One reader
(``mmsim._json.loads_unique``) reads a store's meta.json (``mmsim.load``, ``mmsim report``'s store, the sweep's
look-ups), a run's result.json, a sweep's results.jsonl and an ``.npz``'s mmsim_meta; its message names the file,
the key and the line of each occurrence.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import mmsim

TWICE = "is given twice (first on line {first}); a JSON reader keeps the last value silently, mmsim refuses the file: keep one"


def _twice(key, first):
    return f"key {key!r} " + TWICE.format(first=first)


def _store_with_line(store, tmp_path, after, extra):
    """A copy of ``store`` whose meta.json (2-space indented, one key a line) has the line ``extra`` inserted after
    the first line starting with ``after``; returns (the copy, the inserted line's number, the number of the line
    it follows)."""
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    lines = json.dumps(json.loads((bad / "meta.json").read_text()), indent=2, sort_keys=True).splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(after))
    lines.insert(i + 1, extra)
    (bad / "meta.json").write_text("\n".join(lines) + "\n")
    return bad, i + 2, i + 1


def test_a_store_meta_json_with_tick_size_twice_is_refused(store, tmp_path):
    """The breaker's meta_dup_key: the top-level tick_size twice (a synthetic store's meta.json also holds
    ``synth.tick_size``, one level down: not a repeat)."""
    bad, second, first = _store_with_line(store, tmp_path, '  "tick_size"', '  "tick_size": 1.0,')
    assert '    "tick_size"' in (bad / "meta.json").read_text()  # synth's own, in its object
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(bad)
    assert str(info.value) == f"{bad / 'meta.json'}: line {second}: {_twice('tick_size', first)}"


def test_a_key_twice_inside_a_nested_object_of_meta_json_is_refused(store, tmp_path):
    """The same kind, one level down: ``quirks`` ({} in a synthetic store) given a key twice."""
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    lines = json.dumps(json.loads((bad / "meta.json").read_text()), indent=2, sort_keys=True).splitlines()
    i = lines.index('  "quirks": {},')
    lines[i:i + 1] = ['  "quirks": {', '    "local_clock_offset_ns": 0,', '    "local_clock_offset_ns": 5', '  },']
    (bad / "meta.json").write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(bad)
    assert str(info.value) == f"{bad / 'meta.json'}: line {i + 3}: {_twice('local_clock_offset_ns', i + 2)}"


def test_mmsim_report_refuses_a_store_meta_json_with_a_key_twice(store, tmp_path, capsys):
    from mmsim.cli import main

    st = mmsim.load(store)
    run = tmp_path / "run"
    q = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    mmsim.run(st, q, mmsim.Config()).save(run)
    bad, second, first = _store_with_line(store, tmp_path, '  "levels"', '  "levels": "L2",')
    assert main(["report", str(run), "--events", str(bad), "-o", str(tmp_path / "rep")]) == 1
    assert capsys.readouterr().err == (f"mmsim: error: {bad / 'meta.json'}: line {second}: "
                                       f"{_twice('levels', first)}\n")


def test_a_result_json_with_a_key_twice_is_refused(store, tmp_path):
    st = mmsim.load(store)
    run = tmp_path / "run"
    q = mmsim.load_strategy("fixed_spread", {"half_spread": 1, "size": 1})
    mmsim.run(st.events[:2000], q, mmsim.Config()).save(run)
    text = (run / "result.json").read_text()
    assert text.startswith("{\n")
    lines = text.splitlines()
    config_line = next(n for n, line in enumerate(lines, 1) if line.startswith('  "config"'))
    (run / "result.json").write_text('{\n  "config": null,\n' + text[2:])  # the key's first occurrence on line 2
    with pytest.raises(mmsim.DataError) as info:
        mmsim.Result.load(run)
    assert str(info.value) == f"{run / 'result.json'}: line {config_line + 1}: {_twice('config', 2)}"


def test_a_sweep_results_line_with_a_key_twice_is_refused(tmp_path):
    from mmsim.sweep.results import read_results

    p = tmp_path / "results.jsonl"
    p.write_text('{"id": "0123456789abcdef", "status": "ok", "metrics": {}}\n'
                 '{"id": "0123456789abcdef", "status": "error", "status": "ok", "metrics": {}}\n')
    with pytest.raises(mmsim.MmsimError) as info:
        read_results(p)
    assert str(info.value) == (f"{p} line 2: its key 'status' is given twice (a JSON reader keeps the last value "
                               "silently); the sweep writes only its own records there: remove that line (or give the "
                               "sweep another -o)")


def test_an_npz_mmsim_meta_with_a_key_twice_is_refused(tmp_path):
    from test_hftbacktest_preopen import BUY, npz

    from mmsim import Kind
    from mmsim.data import hftbacktest as hbt

    f = npz(tmp_path / "a.npz", [(0, Kind.DEPTH, BUY, 100.0, 1, 0)])
    np.savez_compressed(f, data=np.load(f)["data"], mmsim_meta=np.array('{"lot_size": 1e-08,\n"lot_size": 1}'))
    with pytest.raises(mmsim.DataError) as info:
        hbt.convert([f], tmp_path / "s")
    assert str(info.value) == f"{f}: its mmsim_meta: {_twice('lot_size', 1)}"


@pytest.mark.parametrize(("text", "key", "line", "first"), [
    ('{"a": {"b": 1, "c": [{"b": 2}], "b": 3}}', "b", 1, 1),  # not the "b" of the list's object
    ('{"a\\"": 1,\n "a\\u0022": 2}', 'a"', 2, 1),  # the same key, escaped two ways
    ('[{"x": 1},\n {"x": 2,\n  "x": 3}]', "x", 3, 2),
])
def test_the_reader_names_the_key_and_both_lines(text, key, line, first):
    from mmsim._json import DuplicateKeyError, loads_unique

    with pytest.raises(DuplicateKeyError) as info:
        loads_unique(text)
    assert (info.value.key, info.value.lineno, info.value.first_lineno) == (key, line, first)


def test_the_same_key_in_two_objects_is_no_repeat():
    from mmsim._json import loads_unique

    assert loads_unique('{"a": {"k": 1}, "b": {"k": 2}, "k": [{"k": 3}], "s": "k"}') == {
        "a": {"k": 1}, "b": {"k": 2}, "k": [{"k": 3}], "s": "k"}
