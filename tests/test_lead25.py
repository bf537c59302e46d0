"""Integers of more digits than Python turns into numbers (``sys.get_int_max_str_digits``, 4300) in any input.

A run config's ``contract_size: 1`` followed by 5000 zeros, the same in a store's meta.json, and
``mmsim.Config(tick_size=10**5000)`` were ValueError tracebacks ("Exceeds the limit (4300 digits) for integer string
conversion"): PyYAML's and json's integer readers, and the message quoting the value, raised it (the lead's probe
after breaker25's 401-digit case).
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest

import mmsim
from mmsim.config import load_yaml

LIMIT = sys.get_int_max_str_digits()
BIG = "1" + "0" * 5000


@pytest.mark.parametrize("line", ["contract_size: {big}", "fees: {{maker_bps: -{big}}}"], ids=["top", "nested"])
def test_a_yaml_integer_past_pythons_digit_limit_is_refused_at_its_line(tmp_path, line):
    p = tmp_path / "run.yaml"
    p.write_text("data: store\nstrategy: {path: fixed_spread, params: {half_spread: 1, size: 1}}\n"
                 + line.format(big=BIG) + "\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == (f"{p} line 3: invalid YAML: an integer of 5001 characters is more digits than Python "
                               f"reads ({LIMIT}); no setting needs one")


def test_a_grid_integer_past_the_digit_limit_is_refused_at_its_line(tmp_path):
    from mmsim.sweep import load_grid

    g = tmp_path / "grid.yaml"
    g.write_text(f"base: {{data: store, strategy: {{path: fixed_spread}}}}\naxes: {{max_orders: [2, {BIG}]}}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(g)
    assert str(info.value) == (f"{g} line 2: invalid YAML: an integer of 5001 characters is more digits than Python "
                               f"reads ({LIMIT}); no setting needs one")


def test_a_meta_json_number_past_the_digit_limit_is_refused_naming_its_line(store, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(store, bad)
    meta = json.loads((bad / "meta.json").read_text())
    lines = json.dumps(meta, indent=2, sort_keys=True).splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith('  "lot_size"'))
    lines[i] = f'  "lot_size": {BIG},'
    (bad / "meta.json").write_text("\n".join(lines) + "\n")
    with pytest.raises(mmsim.DataError) as info:
        mmsim.load(bad)
    assert str(info.value) == (f"{bad / 'meta.json'}: line {i + 1}: not valid JSON (a number of more digits than "
                               f"Python reads ({LIMIT}))")


@pytest.mark.parametrize("sign, words", [(1, "an integer of about 5001 digits"),
                                         (-1, "a negative integer of about 5001 digits")], ids=["positive", "negative"])
def test_a_python_integer_past_the_digit_limit_is_quoted_by_its_size(sign, words):
    value = sign * 10**5000
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.Config(tick_size=value)
    rule = ("must be at most 1e12 (a price times the tick, lot and contract sizes must stay a finite number)"
            if value > 0 else "must be a positive number from 1e-12 to 1e12")
    assert str(info.value) == f"tick_size {rule}, got {words}"
