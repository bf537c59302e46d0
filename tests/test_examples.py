"""`mmsim run` on the example config of each real data set produces the full report (end to end)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, shared_data

from mmsim.data import converter

CASES = {
    "amzn_lobster": ("lobster", ("lobster", "AMZN_2012-06-21_34200000_57600000_message_1.csv")),
    "aapl_lobster10": ("lobster", ("lobster", "AAPL_2012-06-21_34200000_57600000_message_10.csv")),
    "btcusdt_usdm": ("binance", ("binance", "usdm", "btcusdt_20240808.gz")),
    "ethusdt_usdm": ("binance", ("binance", "usdm", "ethusdt_20240808.gz")),
    "btcusdt_spot": ("binance", ("binance", "spot", "btcusdt_20240808.gz")),
    "btcusdt_usdm_2023": ("binance", ("binance", "usdm_2023", "btcusdt_20230404.dat.gz")),
    "esh4_mbo": ("databento", ("databento", "esh4-glbx-mdp3-20231225.mbo.dbn.zst")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_mmsim_run_on_each_real_data_set(name, tmp_path):
    fmt, parts = CASES[name]
    store = converter(fmt)([shared_data(*parts)], tmp_path / "store")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "mmsim", "run", str(ROOT / "examples" / f"{name}.yaml"),
         "--data", str(tmp_path / "store"), "-o", str(out), "-q"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The Binance examples write their quantities in base units; the lot-1 stores have nothing to say.
    assert "warning" not in proc.stderr
    assert f"{len(store):,} events" in proc.stdout
    doc = json.loads((out / "report.json").read_text())
    assert doc["pnl"]["reconciled"] is True
    p = doc["pnl"]
    assert p["total"] == pytest.approx(p["spread_capture"] + p["inventory"] - p["fees"], abs=1e-6)
    assert doc["fills"]["count"] > 0
    for f in ("fills.csv", "report.html", "pnl.png", "markouts.png", "result.json", "fills.npy"):
        assert (out / f).stat().st_size > 0, f
