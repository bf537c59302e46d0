"""breaker29 12, two small items: a verdict on too few bootstrap blocks, and synth's informed label."""

from __future__ import annotations

import numpy as np

from mmsim.analysis._bootstrap import MIN_BLOCKS, PairedInterval, paired_mean_interval
from mmsim.analysis.comparison import verdict


def _interval(block: float, n: int = 390) -> PairedInterval:
    return PairedInterval(estimate=20_000.0, ci_low=2_080.0, ci_high=38_004.0, confidence=0.95, block=block,
                          n_buckets=n, n_boot=2000, n_valid=2000)


def test_an_interval_on_fewer_than_ten_blocks_is_shown_but_not_called_real():
    # breaker29: `mmsim compare --block 100000` on 390 buckets, clamped to 60 (min(3 sqrt(n), n/3)): 6.5 blocks a
    # resample, and the PnL row turned from "not distinguishable" to "real" ([2,080, 38,004]).
    assert MIN_BLOCKS == 10
    d = _interval(60.0)
    assert (d.blocks, d.few_blocks, d.significant) == (6.5, True, False)
    assert verdict("A", "B", "PnL per day", "", d, money=True) == (
        "B's PnL per day is 20,000.00 higher than A's (95% CI 2,080.00 to 38,004.00): not tested (the interval rests on 6.5 "
        "blocks of 60.0 buckets, at least 10 needed: use a shorter block or bucket)")
    assert d.to_dict()["significant"] is False
    # 10 blocks exactly (39 buckets of 390) are enough; 9.75 (40) are not.
    assert _interval(39.0).significant and not _interval(39.0).few_blocks
    assert not _interval(40.0).significant and _interval(40.0).few_blocks
    assert verdict("A", "B", "PnL per day", "", _interval(39.0), money=True).endswith("(95% CI 2,080.00 to 38,004.00): real")


def test_a_clamped_block_on_a_clear_difference_is_not_called_real_the_automatic_one_is():
    # The same kind through the bootstrap itself: a difference of +1 with unit noise over 390 buckets is real at
    # the automatic block (about 1: hundreds of blocks); --block 100000 is clamped to 60 and rests on 6.5 blocks.
    d = 1.0 + np.random.default_rng(7).standard_normal(390)
    auto = paired_mean_interval(d, seed=1)
    assert auto.significant and auto.blocks >= MIN_BLOCKS
    capped = paired_mean_interval(d, block=100_000, seed=1)
    assert capped.block == 60.0 and capped.ci_low is not None and capped.ci_low > 0  # the interval excludes 0 ...
    assert capped.few_blocks and not capped.significant                             # ... and is not called real


def test_synth_says_informed_off_for_a_zero_informed_rate(tmp_path, capsys):
    # breaker29: `informed: true, informed_rate: 0` said "informed on"; no informed trader ever arrives, and the
    # market is event for event the one `informed: false` makes.
    from mmsim.cli import main
    from mmsim.synth import SynthConfig, simulate
    from mmsim.synth.config import informed_label

    on0 = SynthConfig(seed=3, duration=5_000_000_000, informed=True, informed_rate=0.0)
    off = SynthConfig(seed=3, duration=5_000_000_000, informed=False)
    assert np.array_equal(simulate(on0).events, simulate(off).events)
    assert informed_label(on0) == "informed off (informed_rate 0)"
    assert informed_label(off) == "informed off"
    assert informed_label(SynthConfig(informed_rate=0.5)) == "informed on"
    cfg = tmp_path / "s.yaml"
    cfg.write_text("seed: 3\nduration: 5s\ninformed: true\ninformed_rate: 0\n")
    assert main(["synth", str(cfg), "-o", str(tmp_path / "s")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "(5 s of SYNTH, informed off (informed_rate 0), seed 3) to " in err
