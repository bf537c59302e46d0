"""fix34s: small pinned behaviours from breaker35's findings (F7)."""

from __future__ import annotations

import pytest

from mmsim.report.setup import setup_rows


def _strategy_row(params):
    return dict(setup_rows({"data": {"start_ts": 0, "end_ts": 10**9, "n_events": 3, "store": None},
                            "strategy": {"path": "strategies/toxicity_pull.py:ToxicityPull", "label": "ToxicityPull",
                                         "params": params},
                            "latency": {"feed": "0", "entry": "0", "response": "0"}, "queue": "q", "fees": "none",
                            "post_only": True, "max_orders": 1, "decide_every": None, "mmsim_version": "v",
                            "config_digest": "d", "digest_of": "run config"}))["strategy"]


@pytest.mark.parametrize("params", [
    # breaker35 F7: `mmsim run` printed the config's order, `mmsim report` of its folder result.json's (sorted)
    {"half_spread": 1, "size": 100, "max_position": 1000, "trade_flow_threshold": 500},
    {"half_spread": 1, "max_position": 1000, "size": 100, "trade_flow_threshold": 500},
    {"trade_flow_threshold": 500, "size": 100, "max_position": 1000, "half_spread": 1},
])
def test_the_header_names_a_strategy_s_parameters_in_one_order_however_they_were_given(params):
    assert _strategy_row(params) == ("ToxicityPull(half_spread=1, max_position=1000, size=100, trade_flow_threshold=500)"
                                     " from strategies/toxicity_pull.py:ToxicityPull")


def test_a_mapping_parameter_is_written_with_its_keys_in_order_too():
    assert _strategy_row({"z": {"b": 1, "a": 2.5}, "a": 2.0}) == (
        'ToxicityPull(a=2, z={"a": 2.5, "b": 1}) from strategies/toxicity_pull.py:ToxicityPull')


# --------------------------------------------------------------------------- F3: a full disk names the file


def test_a_run_on_a_full_disk_names_the_file_numpy_could_not_write(tmp_path, monkeypatch, capsys):
    """numpy's short write (``np.save`` on a full disk) has no errno and no file: ``mmsim run`` said
    ``mmsim: error: 75033 requested and 2156 written`` (breaker35 F3)."""
    import numpy as np
    from test_outdir18 import _config

    from mmsim.cli import main

    real = np.save

    def save(path, arr, *args, **kwargs):
        if str(path).endswith("fills.npy"):
            raise OSError("75033 requested and 2156 written")
        return real(path, arr, *args, **kwargs)

    cfg = _config(tmp_path)
    monkeypatch.setattr(np, "save", save)
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(tmp_path / "r"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 'r' / 'fills.npy'}: no space left on device\n"
    assert not (tmp_path / "r").exists()  # staged: nothing left


def test_a_store_writer_on_a_full_disk_names_the_output(tmp_path, monkeypatch, capsys):
    """``mmsim synth -o S`` (its store not staged by the command): ``[Errno 28] No space left on device`` named
    nothing; the writer names no file, so the line names the command's output."""
    import errno

    import mmsim.synth
    from mmsim.cli import main

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    cfg = tmp_path / "synth.yaml"
    cfg.write_text("duration: 2s\n")
    monkeypatch.setattr(mmsim.synth, "write_store", full)
    capsys.readouterr()
    assert main(["synth", str(cfg), "-o", str(tmp_path / "s"), "-q"]) == 1
    assert capsys.readouterr().err == f"mmsim: error: {tmp_path / 's'}: no space left on device\n"


# --------------------------------------------------------------------------- breaker34: the timer's first tick


@pytest.mark.parametrize(("every", "dt"), [("1ms", 1_000_000), ("250us", 250_000)])
def test_the_timer_s_first_tick_is_one_interval_after_the_first_market_data(every, dt):
    """docs/engine.md: the grid ``first market data + k·decide_every`` starts at k = 1: no call at the first
    delivery itself (breaker34: the docs did not say which k came first)."""
    from conftest import make_events
    from test_engine_guards import ASK, BID, MS, T0, D, Fixed, cfg

    import mmsim
    from mmsim import Quote

    ev = make_events([(T0, D, BID, 100, 10), (T0, D, ASK, 101, 10), (T0 + 3 * MS, D, BID, 100, 9)])
    s = Fixed(Quote(99, 1, 102, 1))
    mmsim.run(ev, s, cfg(decide_every=every, max_idle="10ms"))
    assert [c[0] - T0 for c in s.calls[:3]] == [dt, 2 * dt, 3 * dt]
