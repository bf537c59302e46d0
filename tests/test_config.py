"""Configs: a run YAML maps onto mmsim.RunConfig (engine keys onto its mmsim.Config); every error names the key and line."""

from __future__ import annotations

import pytest

import mmsim
from mmsim.config import load_yaml, parse_duration


def write(tmp_path, text):
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


def test_yaml_maps_onto_config(tmp_path):
    p = write(tmp_path, """\
data: store
latency:
  feed: 5ms
  entry: 250us
  response: {lognormal: {median: 1ms, sigma: 0.5}}
  seed: 7
queue: {model: power, power: 3}
fees: {maker_bps: -0.5, taker_bps: 7}
decide_every: 10ms
strategy:
  path: strategies/glft.py:GLFT
  params: {gamma: 0.1}
report: {horizons: [100ms, 1s]}
""")
    rc = load_yaml(p)
    assert isinstance(rc, mmsim.RunConfig)
    c = rc.engine
    assert rc.data == str((tmp_path / "store").resolve())
    assert c.latency.feed == mmsim.LatencyModel(ns=5_000_000)
    assert c.latency.entry.ns == 250_000
    assert c.latency.response == mmsim.LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=0.5)
    assert c.latency.seed == 7
    assert c.queue == mmsim.QueueConfig(model="power", power=3.0)
    assert c.fees.maker_bps == -0.5 and c.fees.taker_bps == 7.0
    assert c.decide_every == 10_000_000
    assert rc.strategy.params == {"gamma": 0.1}
    assert rc.report.horizons == (100_000_000, 1_000_000_000)
    assert mmsim.Config.from_dict(c.to_dict()) == c
    assert mmsim.RunConfig.from_dict(rc.to_dict()) == rc
    # The file is flat: the engine's keys sit beside the job's, in to_dict as in YAML.
    assert set(rc.to_dict()) == set(mmsim.config.ENGINE_KEYS) | {"data", "strategy", "report", "output"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("latency:\n  feed: 5ms\n  fed: 3\n", "unknown config key 'latency.fed' (FILE line 3)"),
        ("latencies: {}\n", "unknown config key 'latencies' (FILE line 1)"),
        ("latency:\n  feed: 5 parsecs\n",
         "latency.feed: cannot read '5 parsecs' as a duration; use a number with a unit "
         "(ns, us, ms, s, min, h), e.g. 250us (FILE line 2)"),
        ("latency:\n  entry: -5\n", "latency.entry: a duration cannot be negative, got -5 (FILE line 2)"),
        ("queue:\n  model: fifo\n", "queue.model must be risk_averse, power or log, got 'fifo' (FILE line 2)"),
        ("post_only: yes please\n", "post_only: expected true or false, got 'yes please' (FILE line 1)"),
        ("fees:\n  maker_bps: lots\n", "fees.maker_bps: expected a number, got 'lots' (FILE line 2)"),
        ("tick_size: 0\n", "tick_size must be a positive number, got 0.0 (FILE line 1)"),
        ("latency:\n  entry: recorded\n", "latency.entry: 'recorded' applies to the feed only (FILE line 2)"),
        ("signals:\n  depth_levels: 99\n", "signals.depth_levels must be in 1..32, got 99 (FILE line 2)"),
        ("report:\n  horizons: 1s\n", "report.horizons: expected a list of durations, got '1s' (FILE line 2)"),
        ("latency: [1, 2]\n", "latency: expected a mapping, got list (FILE line 1)"),
        ("latency:\n  feed: {lognormal: {sigma: 1}}\n", "latency.feed.lognormal: missing key 'median' (FILE line 2)"),
        ("queue: {model: power\n", "FILE line 2: invalid YAML: expected ',' or '}', but got '<stream end>'"),
    ],
    ids=["unknown-nested", "unknown-top", "bad-unit", "negative", "bad-queue", "bad-bool", "bad-number",
         "zero-tick", "recorded-entry", "levels-range", "horizons-type", "section-type", "lognormal-median",
         "yaml-syntax"],
)
def test_config_errors_name_key_and_line(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(mmsim.ConfigError, match="cannot read config: No such file or directory"):
        load_yaml(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text, ns", [("250us", 250_000), ("1.5ms", 1_500_000), ("2s", 2_000_000_000),
                                      ("10 ns", 10), (42, 42), ("1min", 60_000_000_000)])
def test_durations_with_units(text, ns):
    assert parse_duration(text) == ns


def test_sub_nanosecond_duration_is_rejected():
    with pytest.raises(mmsim.ConfigError, match=r"'1\.5ns' is not a whole number of nanoseconds"):
        parse_duration("1.5ns", "latency.feed")
