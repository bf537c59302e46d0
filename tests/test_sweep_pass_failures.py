"""One point's failure in a sweep pass is that point's alone (breaker20, sweep21).

A grid with one bad point failed every point of its pass, each blamed with the bad point's error: the sweep's
pre-flight did not check the level counts a numba rule's parameters decide against ``ladder_levels``,
``mmsim.run_many(..., return_exceptions=True)`` raised for the whole pass when one run was refused before it
(its ``reset()`` raising), and the sweep handed that one exception to every point of the pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsim.errors import ConfigError
from mmsim.sweep import run_sweep

S = 1_000_000_000

LADDER_RULE = (
    "import mmsim\n"
    "\n"
    "\n"
    "@mmsim.numba_strategy(params={'levels': 2.0, 'size': 1.0})\n"
    "def my_ladder(view, params, state, out):\n"
    "    if view.bid_qty <= 0 or view.ask_qty <= 0:\n"
    "        return 0\n"
    "    out.n_bid_levels = params.levels\n"
    "    out.n_ask_levels = params.levels\n"
    "    for k in range(out.n_bid_levels):\n"
    "        out.bid_ladder_px[k] = view.best_bid - k\n"
    "        out.bid_ladder_qty[k] = params.size\n"
    "        out.ask_ladder_px[k] = view.best_ask + k\n"
    "        out.ask_ladder_qty[k] = params.size\n"
    "    return 1\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmsim.synth import SynthConfig, write_store

    d = tmp_path_factory.mktemp("passfail")
    write_store(SynthConfig(seed=1, duration=2 * S), d / "store")
    return d / "store"


def _ladder_grid(tmp_path: Path, store: Path, body: str) -> Path:
    (tmp_path / "my_ladder.py").write_text(LADDER_RULE)
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base:\n  data: {store}\n{body}")
    return grid


LEVELS = "is less than the 5 target levels per side strategy my_ladder quotes; set ladder_levels to at least 5"


@pytest.mark.parametrize("body, message", [
    # The breaker's grid: ladder_levels in the base, the parameter on an axis.
    ("  ladder_levels: 4\n  strategy: {path: my_ladder.py:my_ladder, params: {levels: 2, size: 1}}\n"
     "axes:\n  strategy.params.levels: [2, 5]\n",
     f"base.ladder_levels: ladder_levels: 4 {LEVELS} ({{g}} line 3) — in 1 of 2 points (strategy.params.levels=5); "
     "no point ran"),
    # The same kind: ladder_levels on an axis, the parameter a point's, written as a float.
    ("  strategy: {path: my_ladder.py:my_ladder, params: {size: 1}}\n"
     "axes:\n  ladder_levels: [5, 3]\n  strategy.params.levels: [5.0]\n",
     f"axes.ladder_levels[1]: ladder_levels: 3 {LEVELS} ({{g}} line 5) — in 1 of 2 points (ladder_levels=3, "
     "strategy.params.levels=5.0); no point ran"),
])
def test_the_levels_the_parameters_set_are_checked_against_ladder_levels_before_any_point(tmp_path, store, body,
                                                                                          message):
    """As ``mmsim run`` refuses ``ladder_levels: 4`` for ``levels: 5`` (exit 2), the sweep refuses the point before
    any runs, naming the key that sets ladder_levels first and its line last; nothing is written."""
    grid = _ladder_grid(tmp_path, store, body)
    with pytest.raises(ConfigError) as exc:
        run_sweep(grid, tmp_path / "out", workers=0)
    assert str(exc.value) == message.replace("{g}", str(grid))
    assert not (tmp_path / "out").exists()
