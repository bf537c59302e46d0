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
        # With a unit it is the same mistake, not a unit problem.
        ("latency:\n  feed: -1ms\n", "latency.feed: a duration cannot be negative, got '-1ms' (FILE line 2)"),
        ("queue:\n  model: fifo\n", "queue.model must be risk_averse, power or log, got 'fifo' (FILE line 2)"),
        ("post_only: yes please\n", "post_only: expected true or false, got 'yes please' (FILE line 1)"),
        ("fees:\n  maker_bps: lots\n", "fees.maker_bps: expected a number, got 'lots' (FILE line 2)"),
        ("tick_size: 0\n", "tick_size must be a positive number from 1e-12 to 1e12, got 0 (FILE line 1)"),  # as written (lead, 23: was 0.0)
        ("latency:\n  entry: recorded\n", "latency.entry: 'recorded' applies to the feed only (FILE line 2)"),
        ("signals:\n  depth_levels: 99\n", "signals.depth_levels must be in 1..32, got 99 (FILE line 2)"),
        ("report:\n  horizons: 1s\n", "report.horizons: expected a list of durations, got '1s' (FILE line 2)"),
        ("latency: [1, 2]\n", "latency: expected a mapping, got list (FILE line 1)"),
        ("latency:\n  feed: {lognormal: {sigma: 1}}\n", "latency.feed.lognormal: missing key 'median' (FILE line 2)"),
        ("queue: {model: power\n", "FILE line 2: invalid YAML: expected ',' or '}', but got '<stream end>'"),
        # Keys that YAML reads as None or a bool name their line too (it was looked up by their text).
        ("latency: {feed: 1ms}\n~: 3\n", "unknown config key None (FILE line 2)"),
        ("latency:\n  feed: 1ms\n  null: 3\n", "unknown config key 'latency.None' (FILE line 3)"),
        ("yes: 3\n", "unknown config key True (FILE line 1)"),
    ],
    ids=["unknown-nested", "unknown-top", "bad-unit", "negative", "negative-unit", "bad-queue", "bad-bool", "bad-number",
         "zero-tick", "recorded-entry", "levels-range", "horizons-type", "section-type", "lognormal-median",
         "yaml-syntax", "null-key", "nested-null-key", "bool-key"],
)
def test_config_errors_name_key_and_line(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(mmsim.ConfigError, match="cannot read config: No such file or directory"):
        load_yaml(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- one YAML file reader


def _readers():
    from mmsim.sweep import load_grid
    from mmsim.synth import load_synth_config

    return {"config": load_yaml, "grid": load_grid, "synth config": load_synth_config}


_KEYS = {"config": "run config keys", "grid": "grid keys (base, axes, points, repeats)",
         "synth config": "synth config keys"}


@pytest.mark.parametrize("what", ["config", "grid", "synth config"])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # "base: {}\n" is 9 bytes, "# caf" 5 more: the lone 0xe9 (Latin-1 e-acute) is byte 14, on line 2.
        (b"base: {}\n# caf\xe9\n", "FILE line 2: cannot read WHAT: not UTF-8 text (invalid continuation byte at byte 14)"),
        (b"\xff\xfeb\x00a\x00", "FILE line 1: cannot read WHAT: not UTF-8 text (invalid start byte at byte 0)"),
        (b"# a list\n- 1\n- 2\n", "FILE line 2: expected a mapping of KEYS, got list"),
        (b"just words\n", "FILE line 1: expected a mapping of KEYS, got str"),
        (b"a: !!python/name:os.system\n",
         "FILE line 1: invalid YAML: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/name:os.system'"),
        (b"? [1, 2]\n: 3\n", "FILE line 1: invalid YAML: found unhashable key"),
        # YAML keeps the last of two equal keys silently; a config that says a thing twice is an error.
        (b"base:\n  decide_every: 1ms\nbase: {}\n", "FILE line 3: invalid YAML: duplicate key 'base' (first at line 1)"),
        (b"a:\n  feed: 1ms\n  x: 2\n  feed: 2ms\n",
         "FILE line 4: invalid YAML: duplicate key 'a.feed' (first at line 2)"),
    ],
    ids=["latin-1", "utf-16", "list", "scalar", "python-tag", "list-key", "duplicate-top", "duplicate-nested"],
)
def test_every_yaml_file_is_read_by_one_reader_with_one_message(tmp_path, what, raw, message):
    p = tmp_path / "file.yaml"
    p.write_bytes(raw)
    with pytest.raises(mmsim.ConfigError) as info:
        _readers()[what](p)
    assert str(info.value) == message.replace("FILE", str(p)).replace("WHAT", what).replace("KEYS", _KEYS[what])


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-3", 0.001), ("1.5e3", 1500.0), ("-2E+3", -2000.0), (".5e1", 5.0), ("1.0e+3", 1000.0)],
)
def test_exponent_notation_is_a_number_in_every_yaml_file(tmp_path, text, value):
    # YAML 1.1 (PyYAML) reads 1e-3 and 1.5e3 as strings: `maker_bps: 1e-3` failed as
    # "expected a number, got '1e-3'", and a Python strategy got the string.
    from mmsim.sweep import load_grid
    from mmsim.synth import load_synth_config

    p = write(tmp_path, f"data: store\nfees: {{maker_bps: {text}}}\n"
                        f"strategy: {{path: glft, params: {{gamma: {text}}}}}\n")
    rc = load_yaml(p)
    assert rc.engine.fees.maker_bps == value and rc.strategy.params["gamma"] == value
    assert isinstance(rc.strategy.params["gamma"], float)
    g = tmp_path / "grid.yaml"
    g.write_text(f"base: {{data: store, strategy: {{path: glft, params: {{gamma: 1}}}}}}\n"
                 f"axes: {{fees.taker_bps: [{text}, 2]}}\n")
    assert [pt.config.engine.fees.taker_bps for pt in load_grid(g).points] == [value, 2.0]
    s = tmp_path / "synth.yaml"
    s.write_text(f"fv_vol: {text.lstrip('-')}\n")
    assert load_synth_config(s).fv_vol == abs(value)
    # The command line's YAML values too (`mmsim queue-score --params gamma=1e-3`).
    from mmsim.cli.queue_score import _params

    assert _params(f"gamma={text},size=2") == {"gamma": value, "size": 2}
    # Quoted, it stays a string (and is still not a number).
    q = write(tmp_path, f"data: store\nfees: {{maker_bps: '{text}'}}\nstrategy: {{path: glft}}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(q)
    assert str(info.value) == f"fees.maker_bps: expected a number, got '{text}' ({q} line 2)"


def test_a_merge_keys_own_keys_override_what_it_merges(tmp_path):
    # YAML's merge key: `<<: *defaults` then the keys that differ. PyYAML's constructor puts the
    # merged keys beside the mapping's own, and the duplicate-key check refused the override as
    # "duplicate key 'latency.entry'"; the mapping's own key wins, as YAML says.
    p = write(tmp_path, "data: store\nstrategy: {path: glft}\n"
                        "latency:\n  <<: {feed: 1ms, entry: 2ms}\n  entry: 5ms\n")
    lat = load_yaml(p).engine.latency
    assert (lat.feed.ns, lat.entry.ns) == (1_000_000, 5_000_000)
    # The same through an anchor, in a grid's base and in its points.
    from mmsim.sweep import load_grid

    g = tmp_path / "grid.yaml"
    g.write_text("base:\n  data: store\n  strategy: &s {path: glft, params: {gamma: 0.1, delta: 1}}\n"
                 "  fees: &f {maker_bps: -0.5, taker_bps: 5}\n"
                 "  report: {horizons: [1s]}\n"
                 "points:\n  - {strategy: *s}\n"
                 "  - strategy: {<<: *s, params: {gamma: 0.2}}\n    fees: {<<: *f, taker_bps: 7}\n")
    pts = load_grid(g).points
    assert [p.config.strategy.params for p in pts] == [{"gamma": 0.1, "delta": 1}, {"gamma": 0.2}]
    assert [(p.config.engine.fees.maker_bps, p.config.engine.fees.taker_bps) for p in pts] == [(-0.5, 5.0),
                                                                                               (-0.5, 7.0)]


def test_two_merged_mappings_that_set_one_key_are_refused(tmp_path):
    # YAML says the first of `<<: [a, b]` wins, PyYAML keeps the last: which one a config meant is
    # not knowable, so it is a key written twice.
    p = write(tmp_path, "data: store\nstrategy: {path: glft}\nlatency:\n  <<: [{feed: 1ms}, {feed: 2ms}]\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == (f"{p} line 4: invalid YAML: duplicate key 'latency.feed' in the merged "
                               "mappings (first at line 4)")


@pytest.mark.parametrize("what", ["config", "grid", "synth config"])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # A key twice inside a list item was kept silently (the check walked mappings only).
        (b"points:\n  - latency.feed: 1ms\n    latency.feed: 2ms\n",
         "FILE line 3: invalid YAML: duplicate key 'points[0].latency.feed' (first at line 2)"),
        (b"axes:\n  latency.feed:\n    - 0ms\n    - lognormal: {median: 1ms, sigma: 1, median: 2ms}\n",
         "FILE line 4: invalid YAML: duplicate key 'axes.latency.feed[1].lognormal.median' (first at line 4)"),
        # An alias inside its own anchor was an endless walk: a RecursionError traceback.
        (b"latency: &a {feed: 1ms, x: *a}\n",
         "FILE line 1: invalid YAML: recursive alias (the anchor at line 1 is used inside itself)"),
        (b"base:\n  strategy: {path: glft, params: &p {a: [1, *p]}}\n",
         "FILE line 2: invalid YAML: recursive alias (the anchor at line 2 is used inside itself)"),
        # Nesting deep enough to overflow PyYAML's recursive reader: a RecursionError traceback.
        (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", "FILE: invalid YAML: nested too deeply (more than 200 levels)"),
        (b"a: " + b"{b: " * 300 + b"1" + b"}" * 300 + b"\n",
         "FILE: invalid YAML: nested too deeply (more than 200 levels)"),
    ],
    ids=["duplicate-in-list", "duplicate-in-list-item-mapping", "recursive-alias", "recursive-alias-in-list",
         "deep-lists", "deep-mappings"],
)
def test_duplicates_in_lists_recursive_aliases_and_deep_nesting_are_one_line(tmp_path, what, raw, message):
    p = tmp_path / "file.yaml"
    p.write_bytes(raw)
    with pytest.raises(mmsim.ConfigError) as info:
        _readers()[what](p)
    assert str(info.value) == message.replace("FILE", str(p))


@pytest.mark.parametrize(
    ("text", "value"),
    [("010", 10), ("-007", -7), ("0o17", 15), ("0x1f", 31), ("1_000", 1000), ("0", 0), ("0b101", 5)],
)
def test_integers_read_as_yaml_1_2_writes_them(tmp_path, text, value):
    # YAML 1.1 (PyYAML) read a leading zero as octal: `max_orders: 010` was 8.
    p = write(tmp_path, f"data: store\nstrategy: {{path: glft, params: {{n: {text}}}}}\n")
    got = load_yaml(p).strategy.params["n"]
    assert got == value and type(got) is int


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        # YAML 1.1 (PyYAML) read 1:00:00 as the base-60 integer 3600: `max_idle: 1:00:00` was 3600 ns.
        ("max_idle", "1:00:00", "max_idle: cannot read '1:00:00' as a duration; use a number with a unit "
                                "(ns, us, ms, s, min, h), e.g. 250us"),
        ("max_orders", "1:30", "max_orders: expected an integer, got '1:30'"),
        ("fees", "{maker_bps: 1:30.5}", "fees.maker_bps: expected a number, got '1:30.5'"),
    ],
)
def test_base_60_numbers_are_not_numbers(tmp_path, key, text, message):
    p = write(tmp_path, f"data: store\nstrategy: {{path: glft}}\n{key}: {text}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == f"{message} ({p} line 3)"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        # A breaker's find: `0x_` matched the integer pattern and int('', 16) raised a traceback; `._e5` matched
        # the exponent-float pattern and float('.e5') did. A prefix or a dot needs a digit: they are strings.
        ("latency", "{feed: 0x_}", "latency.feed: cannot read '0x_' as a duration; use a number with a unit "
                                   "(ns, us, ms, s, min, h), e.g. 250us"),
        ("latency", "{entry: ._e5}", "latency.entry: cannot read '._e5' as a duration; use a number with a unit "
                                     "(ns, us, ms, s, min, h), e.g. 250us"),
        ("max_orders", "0b_", "max_orders: expected an integer, got '0b_'"),
        ("max_orders", "-0o__", "max_orders: expected an integer, got '-0o__'"),
    ],
)
def test_a_number_prefix_without_a_digit_is_a_string_not_a_traceback(tmp_path, key, text, message):
    p = write(tmp_path, f"data: store\nstrategy: {{path: glft}}\n{key}: {text}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == f"{message} ({p} line 3)"
    from mmsim.config.yaml_file import read_number

    assert read_number(text.split(": ")[-1].rstrip("}")) is None


@pytest.mark.parametrize("what", ["config", "grid", "synth config"])
def test_a_missing_file_or_a_directory_names_the_file(tmp_path, what):
    with pytest.raises(mmsim.ConfigError) as info:
        _readers()[what](tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: cannot read {what}: No such file or directory"
    with pytest.raises(mmsim.ConfigError) as info:
        _readers()[what](tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read {what}: Is a directory"


def test_a_grids_base_config_that_is_not_utf8_names_both_files(tmp_path):
    from mmsim.sweep import load_grid

    base = tmp_path / "base.yaml"
    base.write_bytes(b"data: store\nstrategy: {path: x.py:X, params: {note: \xe9t\xe9}}\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text("axes:\n  latency.feed: [0ms, 1ms]\nbase_config: base.yaml\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(grid)
    # "data: store\n" is 12 bytes, "strategy: {path: x.py:X, params: {note: " 40: the first 0xe9 is byte 52.
    assert str(info.value) == (f"base_config: {base} line 2: cannot read config: not UTF-8 text (invalid "
                               f"continuation byte at byte 52) ({grid} line 3)")
    (tmp_path / "base.yaml").unlink()
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(grid)
    assert str(info.value) == (f"base_config: {base}: cannot read config: No such file or directory "
                               f"({grid} line 3)")


@pytest.mark.parametrize("text, ns", [("250us", 250_000), ("1.5ms", 1_500_000), ("2s", 2_000_000_000),
                                      ("10 ns", 10), (42, 42), ("1min", 60_000_000_000)])
def test_durations_with_units(text, ns):
    assert parse_duration(text) == ns


def test_sub_nanosecond_duration_is_rejected():
    with pytest.raises(mmsim.ConfigError, match=r"'1\.5ns' is not a whole number of nanoseconds"):
        parse_duration("1.5ns", "latency.feed")


# --------------------------------------------------------------------------- one loader, coercing constructors


def test_constructors_coerce_durations_and_latencies():
    """Durations take units everywhere a duration is, direct construction included (issue 15 item 9)."""
    assert mmsim.SignalConfig(ofi_half_life="500ms").ofi_half_life == 500_000_000
    assert mmsim.SignalConfig(vol_half_life="1min").vol_half_life == 60_000_000_000
    # An int is ns; a string has a unit; a mapping reads as in YAML.
    assert mmsim.LatencyConfig(feed=1000).feed == mmsim.LatencyModel(kind="constant", ns=1000)
    assert mmsim.LatencyConfig(entry="250us").entry.ns == 250_000
    assert mmsim.LatencyConfig(feed={"lognormal": {"median": "1ms", "sigma": 0.5}}).feed.median_ns == 1_000_000
    assert mmsim.Config(decide_every="10ms", sample_every="2s").decide_every == 10_000_000
    assert mmsim.Config(latency={"feed": "5ms"}).latency.feed.ns == 5_000_000
    assert mmsim.ReportConfig(horizons=["100ms", "1s"]).horizons == (100_000_000, 1_000_000_000)
    # The same value read from YAML and given to the constructor gives equal configs.
    assert mmsim.Config.from_dict({"signals": {"ofi_half_life": "500ms"}}) == mmsim.Config(
        signals=mmsim.SignalConfig(ofi_half_life=500_000_000))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: mmsim.SignalConfig(ofi_half_life="soon"),
         "signals.ofi_half_life: cannot read 'soon' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
         "e.g. 250us"),
        (lambda: mmsim.LatencyConfig(feed=2**63),
         "latency.feed: a duration must be at most 1 day (86400000000000 ns), got 9223372036854775808"),
        (lambda: mmsim.LatencyConfig(entry="25h"),
         "latency.entry: a duration must be at most 1 day (86400000000000 ns), got '25h'"),
        (lambda: mmsim.Config(decide_every=2**63),
         "decide_every: a duration must be at most 366 days (31622400000000000 ns), got 9223372036854775808"),
        (lambda: mmsim.ReportConfig(horizons=["1s", "1e30h"]),
         "report.horizons[1]: a duration must be at most 366 days (31622400000000000 ns), got '1e30h'"),
        (lambda: mmsim.FeeConfig(maker_bps=float("nan")), "fees.maker_bps must be a number of basis points from "
         "-10000 to 10000 (10000 is 100% of the notional; negative is a rebate), got nan"),
        (lambda: mmsim.FeeConfig(taker_per_lot=float("inf")), "fees.taker_per_lot must be a number of quote currency "
         "per lot from -1e12 to 1e12 (negative is a rebate), got inf"),
        (lambda: mmsim.Config(tick_size=True), "tick_size: expected a number, got True"),
        (lambda: mmsim.Config(tick_size=float("inf")), "tick_size must be a positive number from 1e-12 to 1e12, got inf"),
        (lambda: mmsim.LatencyConfig(feed="fast"),
         "latency.feed: cannot read 'fast' as a duration; use a number with a unit (ns, us, ms, s, min, h), "
         "e.g. 250us"),
        (lambda: mmsim.LatencyModel(kind="lognormal", median_ns=1_000_000, sigma=11.0),
         "latency.sigma must be a finite number in [0, 10], got 11.0"),
        # A seed is a uint64: -1 and 2**64 + 5 used to run as 2**64 - 1 and 5 (two point ids, one run).
        (lambda: mmsim.LatencyConfig(seed=-1), "latency.seed must be an integer in 0..2**64-1 (a uint64), got -1"),
        (lambda: mmsim.Config.from_dict({"latency": {"seed": 2**64 + 5}}),
         "latency.seed must be an integer in 0..2**64-1 (a uint64), got 18446744073709551621"),
    ],
    ids=["bad-unit", "latency-2^63", "latency-over-a-day", "duration-2^63", "horizon-huge", "nan-fee", "inf-fee",
         "bool-tick", "inf-tick", "bad-latency", "sigma-range", "seed-negative", "seed-2^64+5"],
)
def test_bad_values_are_config_errors_naming_the_key(build, message):
    with pytest.raises(mmsim.ConfigError) as info:
        build()
    assert str(info.value) == message


def test_bounds_are_inclusive_and_the_same_from_yaml(tmp_path):
    """One day is the largest latency (kept), one nanosecond more is refused, with the file line from YAML."""
    assert mmsim.LatencyConfig(feed="24h").feed.ns == 86_400_000_000_000
    p = write(tmp_path, "strategy: {path: x.py:X}\nlatency:\n  response: 86400000000001\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == (f"latency.response: a duration must be at most 1 day (86400000000000 ns), "
                               f"got 86400000000001 ({p} line 3)")


def test_duration_fields_accept_numpy_integers_and_timedeltas():
    import datetime

    import numpy as np

    assert mmsim.Config(max_orders=np.int64(8), decide_every=np.int64(5)).max_orders == 8
    assert mmsim.Config(decide_every=datetime.timedelta(milliseconds=3)).decide_every == 3_000_000


# --------------------------------------------------------------------------- the run description


def test_run_config_without_strategy_is_an_error_naming_the_key(tmp_path):
    p = write(tmp_path, "data: store\nlatency: {feed: 1ms}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == (f"{p}: missing config key 'strategy': a run config names the strategy to run, e.g. "
                               "strategy: {path: strategies/fixed_spread.py:FixedSpread, params: {size: 1}}")
    # A strategy section without its path is the same kind of fault, at that key's line.
    p = write(tmp_path, "data: store\nstrategy:\n  params: {size: 1}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == ("missing config key 'strategy.path': name the strategy to load (file.py:Class or "
                               f"an entry-point name) ({p} line 2)")


def test_engine_config_refuses_the_job_keys():
    """Config is the engine's alone: the job's keys belong to RunConfig."""
    with pytest.raises(mmsim.ConfigError, match=r"^unknown config key 'data'$"):
        mmsim.Config.from_dict({"data": "store"})
    with pytest.raises(TypeError):
        mmsim.Config(strategy=mmsim.StrategyConfig(path="x.py:X"))  # type: ignore[call-arg]


def test_run_config_digest_depends_on_what_runs_not_where_it_is_written():
    a = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path="x.py:X"), data="/s", output="runs/a")
    assert a.digest() == a.replace(output="runs/b").digest()
    assert a.digest() != a.replace(engine=mmsim.Config(decide_every="1ms")).digest()
    assert a.digest() != a.replace(data="/t").digest()
    assert len(a.digest()) == 12


def test_result_json_keeps_the_run_description_and_reads_the_old_flat_layout(tmp_path):
    import json

    import numpy as np

    from conftest import make_events

    ev = make_events([(1_000, mmsim.Kind.DEPTH, 1, 100, 5), (1_000, mmsim.Kind.DEPTH, -1, 101, 5)])
    res = mmsim.run(ev, None, mmsim.Config(decide_every="1ms"))
    res.run_config = mmsim.RunConfig(strategy=mmsim.StrategyConfig(path="x.py:X", params={"max_position": 3}),
                                     engine=res.config, data="/store")
    res.save(tmp_path / "new")
    doc = json.loads((tmp_path / "new" / "result.json").read_text())
    assert set(doc["config"]) == set(mmsim.config.ENGINE_KEYS)
    assert set(doc["run"]) == {"data", "strategy", "report", "output"}
    back = mmsim.Result.load(tmp_path / "new")
    assert back.config == res.config and back.run_config == res.run_config
    # A result.json written before the split holds one flat config with both.
    flat = {**doc["config"], **doc["run"]}
    old = {k: v for k, v in doc.items() if k != "run"} | {"config": flat}
    (tmp_path / "new" / "result.json").write_text(json.dumps(old))
    back = mmsim.Result.load(tmp_path / "new")
    assert back.config == res.config and back.run_config == res.run_config
    assert np.array_equal(back.fills, res.fills)


def test_the_largest_seed_is_a_seed():
    assert mmsim.LatencyConfig(seed=2**64 - 1).seed == 2**64 - 1


# --------------------------------------------------------------------------- event-count horizons: one spelling rule


@pytest.mark.parametrize("value, message", [
    # polish5 item 1: the capitals got the duration hint, which does not name <k>ev.
    ("100EV", "report.toxic_horizon: cannot read '100EV'; a number of market events is written '<k>ev' with the "
              "unit in lower case, e.g. 100ev (FILE line 1)"),
    ("7 Ev", "report.toxic_horizon: cannot read '7 Ev'; a number of market events is written '<k>ev' with the "
             "unit in lower case, e.g. 7ev (FILE line 1)"),
    ("1.5EV", "report.toxic_horizon: cannot read '1.5EV'; a number of market events is written '<k>ev' with the "
             "unit in lower case, e.g. 100ev (FILE line 1)"),
    # Neither form: the hint names both.
    ("100 events", "report.toxic_horizon: cannot read '100 events'; use a duration, a number with a unit (ns, us, "
                   "ms, s, min, h) such as 1s, or a positive number of market events '<k>ev', e.g. 100ev "
                   "(FILE line 1)"),
], ids=["EV", "Ev-spaced", "EV-not-whole", "neither"])
def test_an_event_unit_in_capitals_is_refused_naming_the_kev_form(tmp_path, value, message):
    p = write(tmp_path, f"report: {{toxic_horizon: {value}}}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_event_horizons_are_read_alike_in_both_keys_with_a_space_allowed():
    """``100 ev`` is 100ev (as ``100 ms`` is 100ms); event_horizons take ``<k>ev`` as well as k: one config each."""
    spaced = mmsim.ReportConfig(toxic_horizon="100 ev", event_horizons=["10ev", " 100 ev ", 5])
    plain = mmsim.ReportConfig(toxic_horizon="100ev", event_horizons=[10, 100, 5])
    assert spaced == plain and spaced.toxic_horizon == "100ev" and spaced.event_horizons == (10, 100, 5)
    rc = dict(strategy={"path": "fixed_spread"})
    assert (mmsim.RunConfig.from_dict({**rc, "report": {"toxic_horizon": "100 ev", "event_horizons": ["10ev"]}}).digest()
            == mmsim.RunConfig.from_dict({**rc, "report": {"toxic_horizon": "100ev", "event_horizons": [10]}}).digest())
    for value in ("100EV", "0ev", 0, -3, True, "1s", 1.5):
        with pytest.raises(mmsim.ConfigError, match=r"^report.event_horizons\[1\]: "):
            mmsim.ReportConfig(event_horizons=[10, value])
    with pytest.raises(mmsim.ConfigError) as info:
        mmsim.ReportConfig(event_horizons=[10, "1s"])
    assert str(info.value) == ("report.event_horizons[1]: expected a positive number of market events (an integer, "
                               "or '<k>ev'), got '1s'")


@pytest.mark.parametrize("text, message", [
    # The same kind for durations: a unit in capitals names the lower-case spelling.
    ("latency:\n  feed: 5MS\n", "latency.feed: cannot read '5MS' as a duration; units are lower case (ns, us, ms, s, "
                                "min, h): write '5ms' (FILE line 2)"),
    ("decide_every: 1 S\n", "decide_every: cannot read '1 S' as a duration; units are lower case (ns, us, ms, s, min, "
                            "h): write '1 s' (FILE line 1)"),
    # An event count where only a duration is read says so.
    ("report: {horizons: [1s, 100ev]}\n", "report.horizons[1]: '100ev' is a count of market events; a duration is "
                                          "needed here, a number with a unit (ns, us, ms, s, min, h), e.g. 250us "
                                          "(FILE line 1)"),
], ids=["MS", "S-spaced", "ev-as-duration"])
def test_a_duration_in_capitals_or_in_events_names_what_to_write(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


# --------------------------------------------------------------------------- max_orders and ladder_levels


def test_max_orders_below_a_full_ladder_is_refused_at_load_naming_both_keys(tmp_path):
    """polish5 item 5: max_orders 3 under ladder_levels 2 stopped the run only once the strategy filled its ladder."""
    p = write(tmp_path, "data: store\nstrategy: {path: x.py:X}\nladder_levels: 2\nmax_orders: 3\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    # polish6 item 6: both keys' lines (it gave max_orders' only).
    assert str(info.value) == (f"max_orders: 3 is less than twice ladder_levels: 2 (a full ladder on both sides is 4 "
                               f"live orders); raise max_orders to at least 4, or lower ladder_levels (max_orders at "
                               f"{p} line 4, ladder_levels at {p} line 3)")
    # The other way in: a replace that raises ladder_levels past what max_orders holds; the boundary is allowed.
    with pytest.raises(mmsim.ConfigError, match=r"^max_orders: 31 is less than twice ladder_levels: 16 \(a full "
                                                r"ladder on both sides is 32 live orders\); raise max_orders to at "
                                                r"least 32, or lower ladder_levels$"):
        mmsim.Config(max_orders=31).replace(ladder_levels=16)
    assert mmsim.Config(max_orders=32, ladder_levels=16).max_orders == 32
    # One level (the default): max_orders 1 stays a valid config (a one-sided quoter); the run's guard covers it.
    assert mmsim.Config(max_orders=1).max_orders == 1



@pytest.mark.parametrize("base, axis, label, lines", [
    # polish6 item 6: the base's max_orders and an axis over ladder_levels gave two parentheses, "(g line 5) (g line 7)".
    ("max_orders: 4", "ladder_levels: [1, 4]", "axes.ladder_levels[1]", "max_orders at {g} line 5, ladder_levels at "
                                                                        "{g} line 7"),
    # The other way round: the base's ladder_levels and an axis over max_orders.
    ("ladder_levels: 4", "max_orders: [16, 4]", "axes.max_orders[1]", "max_orders at {g} line 7, ladder_levels at "
                                                                      "{g} line 5"),
], ids=["axis-ladder-levels", "axis-max-orders"])
def test_a_grid_error_across_the_base_and_an_axis_names_both_keys_and_lines_once(tmp_path, base, axis, label, lines):
    from mmsim.sweep import load_grid

    g = tmp_path / "grid.yaml"
    g.write_text(f"base:\n  data: store\n  strategy: {{path: x.py:X}}\n\n  {base}\naxes:\n  {axis}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(g)
    assert str(info.value) == (f"{label}: max_orders: 4 is less than twice ladder_levels: 4 (a full ladder on both "
                               f"sides is 8 live orders); raise max_orders to at least 8, or lower ladder_levels "
                               f"({lines.format(g=g)})")


# --------------------------------------------------------------------------- keys the chosen model does not read


@pytest.mark.parametrize("text, message", [
    # polish5 item 4: queue.power was silently ignored unless model: power.
    ("queue:\n  model: log\n  power: 3\n", "queue.power: 3 is read by queue.model: power only, and queue.model is "
                                           "'log'; set queue.model: power, or drop queue.power (queue.power at FILE "
                                           "line 5, queue.model at FILE line 4)"),
    # The model left at its default (risk_averse) reads no exponent either.
    ("queue: {power: 0.5}\n", "queue.power: 0.5 is read by queue.model: power only, and queue.model is "
                              "'risk_averse'; set queue.model: power, or drop queue.power (FILE line 3)"),
], ids=["log", "default-model"])
def test_a_key_the_chosen_model_does_not_read_is_refused_naming_the_model_that_reads_it(tmp_path, text, message):
    p = write(tmp_path, "data: store\nstrategy: {path: x.py:X}\n" + text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_the_exponents_default_written_beside_another_model_keeps_the_config_and_its_digest():
    """``power: 2`` (the default) is what leaving it out means: allowed with any model, the same digest."""
    rc = {"data": "store", "strategy": {"path": "fixed_spread"}}
    spelled = mmsim.RunConfig.from_dict({**rc, "queue": {"model": "log", "power": 2}})
    assert spelled == mmsim.RunConfig.from_dict({**rc, "queue": {"model": "log"}})
    assert spelled.digest() == mmsim.RunConfig.from_dict({**rc, "queue": {"model": "log"}}).digest()
    assert mmsim.QueueConfig(model="power", power=3).power == 3.0


@pytest.mark.parametrize("make, message", [
    # The same kind in the latency models: a field the kind does not read must stay 0.
    (lambda: mmsim.LatencyModel(kind="constant", ns=5_000, sigma=0.5),
     "latency.sigma: 0.5 is read by a lognormal latency only (kind 'lognormal'), and this latency's kind is "
     "'constant'; drop sigma, or set kind 'lognormal'"),
    (lambda: mmsim.LatencyModel(kind="lognormal", median_ns=1_000, ns=5_000),
     "latency.ns: 5000 is read by a constant latency only (kind 'constant'), and this latency's kind is "
     "'lognormal'; drop ns, or set kind 'constant'"),
    (lambda: mmsim.LatencyConfig(feed=mmsim.LatencyModel(kind="recorded", min_ns=10)),
     "latency.min_ns: 10 is read by a lognormal latency only (kind 'lognormal'), and this latency's kind is "
     "'recorded'; drop min_ns, or set kind 'lognormal'"),
], ids=["sigma-of-constant", "ns-of-lognormal", "min-of-recorded"])
def test_a_latency_field_its_kind_does_not_read_is_refused(make, message):
    with pytest.raises(mmsim.ConfigError) as info:
        make()
    assert str(info.value) == message


@pytest.mark.parametrize("text, message", [
    # polish6 item 7: a latency model name in another case said only "expected a duration, 'recorded' or ...".
    ("latency: {feed: {LogNormal: {median: 1ms, sigma: 0.5}}}\n",
     "latency.feed: unknown latency model 'LogNormal'; model names are lower case: write 'lognormal' (FILE line 3)"),
    ("latency: {feed: Recorded}\n",
     "latency.feed: cannot read 'Recorded'; the recorded latency is written in lower case: write 'recorded' "
     "(FILE line 3)"),
], ids=["lognormal", "recorded"])
def test_a_latency_model_name_in_capitals_names_what_to_write(tmp_path, text, message):
    p = write(tmp_path, "data: store\nstrategy: {path: x.py:X}\n" + text)
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == message.replace("FILE", str(p))


def test_every_integer_key_takes_a_whole_float(tmp_path):
    """``ladder_levels: 2.0`` was refused (``expected an integer, got 2.0``) where a strategy's ``size: 2.0`` is
    taken: a float that is a whole number is that integer, for every integer key (one rule: config._units)."""
    p = write(tmp_path, "data: store\nstrategy: {path: glft}\nladder_levels: 2.0\nmax_orders: 8.0\n"
                        "latency: {seed: 7.0}\nsignals: {depth_levels: 3.0, vpin_buckets: 1.0e+1}\n"
                        "report: {event_horizons: [10.0, 100]}\n")
    rc = load_yaml(p)
    got = [rc.engine.ladder_levels, rc.engine.max_orders, rc.engine.latency.seed, rc.engine.signals.depth_levels,
           rc.engine.signals.vpin_buckets, *rc.report.event_horizons]
    assert got == [2, 8, 7, 3, 10, 10, 100] and {type(v) for v in got} == {int}
    # The same in Python, and 2**53 (exact as a float) is still a whole number.
    assert mmsim.Config(ladder_levels=16.0).ladder_levels == 16
    assert mmsim.LatencyConfig(seed=9007199254740992.0).seed == 9007199254740992


@pytest.mark.parametrize(("text", "message"), [
    ("ladder_levels: 2.5", "ladder_levels: expected an integer, got 2.5"),
    ("ladder_levels: true", "ladder_levels: expected an integer, got True"),
    ("max_orders: -0.0e+0", "max_orders must be in 1..4096, got 0"),
    ("latency: {seed: 9007199254740994.0}", "latency.seed: expected an integer, got 9007199254740994.0 (a float "
                                            "beyond 2**53 is not exact: write the integer's digits, without a "
                                            "decimal point)"),
    ("report: {event_horizons: [10, 2.5]}", "report.event_horizons[1]: expected a positive number of market "
                                            "events (an integer, or '<k>ev'), got 2.5"),
])
def test_an_integer_key_still_refuses_a_fraction_a_bool_and_an_inexact_float(tmp_path, text, message):
    p = write(tmp_path, f"data: store\nstrategy: {{path: glft}}\n{text}\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_yaml(p)
    assert str(info.value) == f"{message} ({p} line 3)"


def test_a_synth_config_and_a_grid_take_a_whole_float_for_their_integer_keys(tmp_path):
    """The same rule outside the run config: a synth config's ``lp_levels: 3.0`` and ``seed: 7.0``, a grid's
    ``workers: 2.0`` (it was ``workers: expected a non-negative integer, got 2.0``) and ``compare.n_boot``."""
    from mmsim.sweep import load_grid
    from mmsim.synth import SynthConfig

    syn = SynthConfig.from_dict({"lp_levels": 3.0, "seed": 7.0})
    assert (syn.lp_levels, syn.seed) == (3, 7) and type(syn.lp_levels) is int
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: {data: s, strategy: {path: glft}}\naxes:\n  latency.feed: [0ms, 1ms]\nworkers: 2.0\n"
                    "baseline: {latency.feed: 0ms}\ncompare: {n_boot: 2000.0, seed: 5.0}\n")
    g = load_grid(grid)
    assert (g.workers, g.baseline.settings.n_boot, g.baseline.settings.seed) == (2, 2000, 5)
    grid.write_text("base: {data: s, strategy: {path: glft}}\naxes:\n  latency.feed: [0ms, 1ms]\nworkers: 2.5\n")
    with pytest.raises(mmsim.ConfigError) as info:
        load_grid(grid)
    assert str(info.value) == f"workers: expected a non-negative integer, got 2.5 ({grid} line 4)"
