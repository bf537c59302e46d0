"""A whole number a config file writes in digits is echoed as written, not as the float it was read as (breaker27).

fix26c quoted exponent forms as the file writes them (``got '1e6'``), but a whole number came back as a float:
``fees: {maker_bps: -10001}`` said ``got -10001.0``, ``contract_size: 0`` said ``got 0.0``. Digits are now echoed
unquoted as written (``got -10001``, as ``got 0`` always read), any other form quoted (docs/config.md).
"""

from __future__ import annotations

import pytest

from mmsim.cli import main

BPS = ("must be a number of basis points from -10000 to 10000 (10000 is 100% of the notional; negative is a "
       "rebate)")


@pytest.mark.parametrize(("yaml", "msg"), [
    ("fees: {maker_bps: -10001}", f"fees.maker_bps {BPS}, got -10001"),
    ("queue: {model: power, power: -1}", "queue.power must be a positive number, got -1"),
    ("contract_size: 0", "contract_size must be a positive number from 1e-12 to 1e12, got 0"),
    # other forms: an exponent quoted, a decimal point as written
    ("fees: {maker_bps: -1e5}", f"fees.maker_bps {BPS}, got '-1e5'"),
    ("queue: {model: power, power: -1.0}", "queue.power must be a positive number, got -1.0"),
], ids=["bps-digits", "power-digits", "contract-zero", "bps-exponent", "power-decimal"])
def test_a_run_config_number_is_echoed_as_the_file_writes_it(tmp_path, capsys, store, yaml, msg):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy: {{path: join_best, params: {{size: 1}}}}\n{yaml}\n")
    assert main(["run", str(cfg), "-o", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == f"mmsim: config error: {msg} ({cfg} line 3)\n"


@pytest.mark.parametrize(("value", "shown"), [("-1", "-1"), ("-2e0", "'-2e0'")])
def test_a_sweep_point_number_is_echoed_as_the_grid_writes_it(tmp_path, capsys, store, value, shown):
    # The second case of the kind: a value checked when the point's whole config is built (queue.power beside the
    # base's model), not on its axis; it said `got -1.0`.
    grid = tmp_path / "g.yaml"
    grid.write_text(f"base:\n  data: {store}\n  strategy: {{path: join_best, params: {{size: 1}}}}\n"
                    f"  queue: {{model: power}}\naxes:\n  queue.power: [2, {value}]\n")
    assert main(["sweep", str(grid), "-o", str(tmp_path / "sw")]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f": queue.power must be a positive number, got {shown} ({grid} line 6)\n"), err
