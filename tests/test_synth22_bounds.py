"""synth22: synth config values that crashed the generator (a segfault: numba checks no array bounds), hung it, or
wrote a store with wrong prices are refused before it runs, naming the key, the limit and the file line; a session
that outgrows the generator's book while it runs stops with a ConfigError naming the key and line, never a crash."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mmsim.errors import ConfigError


@pytest.fixture(autouse=True)
def _here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _load(tmp_path, text):
    from mmsim.synth import load_synth_config

    (tmp_path / "s.yaml").write_text(text)
    return load_synth_config("s.yaml")  # (the tests run in tmp_path: the message names the file as given)


def _refused(tmp_path, text):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    return str(e.value)


MOVE = ("synth config key 'fv_vol': one diffusion step would move the fair value by {} ticks (a standard deviation: "
        "fv_vol x sqrt(fv_step in s)), more than the 256 (1/64 of the generator's 16384-tick book window) one move "
        "may; lower fv_vol or fv_step, got {} (s.yaml line 2)")


@pytest.mark.parametrize(("text", "expected"), [
    # a value is quoted as the file writes it ('1e6', not 1000000.0: breaker26)
    # fv_vol: 1e6 was a segfault: 1e6 x sqrt(0.01 s) = 100,000 ticks a step left the bids behind beyond the window
    ("duration: 2s\nfv_vol: 1e6\n", MOVE.format("100,000", "'1e6'")),
    ("duration: 2s\nfv_vol: 1e300\n", MOVE.format("1e+299", "'1e300'")),
    # the same kind through the step: 300 ticks/sqrt s over 1 s steps
    ("duration: 2s\nfv_vol: 300\nfv_step: 1s\n", MOVE.format("300", "300").replace(
        "(s.yaml line 2)", "with fv_step: '1s' (fv_vol at s.yaml line 2, fv_step at s.yaml line 3)")),  # fix25b
])
def test_a_fair_value_step_past_the_book_window_is_refused_naming_key_and_line(tmp_path, text, expected):
    assert _refused(tmp_path, text) == expected


@pytest.mark.parametrize(("value", "shown"), [("1e6", "'1e6'"), ("257", "257"), ("1e17", "'1e17'")])
def test_a_jump_mean_past_the_move_limit_is_refused(tmp_path, value, shown):
    # jump_mean: 1e6 never ended (a jump of 1e6 ticks leaves the book's other side behind)
    assert _refused(tmp_path, f"duration: 2s\njump_mean: {value}\n") == (
        f"synth config key 'jump_mean': must be at most 256 ticks (one fair-value move: 1/64 of the generator's "
        f"16384-tick book window), got {shown} (s.yaml line 2)")


HALF = ("synth config key 'lp_half_spread': must be at most 4000 ticks (the quotes, 2 x lp_half_spread + 2 x lp_levels "
        "ticks wide, must fit in half the generator's 16384-tick book window), got {} (s.yaml line 2)")


@pytest.mark.parametrize(("value", "shown"), [("100000", "100000"), ("1e300", "'1e300'"), ("4000.5", "4000.5")])
def test_a_half_spread_wider_than_the_book_window_is_refused(tmp_path, value, shown):
    # 100000 wrote bids at -90,010 ticks; 1e300 never ended
    assert _refused(tmp_path, f"duration: 2s\nlp_half_spread: {value}\n") == HALF.format(shown)


def test_the_initial_price_floor_grows_with_the_half_spread(tmp_path):
    # 2 x (2 x 10 + 4.5 + 3000) = 6049: below it the fair value's floor would put bids at or below 0
    assert _refused(tmp_path, "lp_half_spread: 3000\ninitial_price: 6048\n") == (
        "synth config key 'initial_price': must be at least 6049 ticks (twice the fair value's floor, 2 x lp_levels + "
        "4.5 + lp_half_spread: the quotes below it stay above 0), got 6048 (initial_price at s.yaml line 2, "
        "lp_half_spread at s.yaml line 1)")
    # the default half spread keeps the old floor: 4 x lp_levels + 10 (3 levels: 22)
    assert _refused(tmp_path, "lp_levels: 3\ninitial_price: 21\n").startswith(
        "synth config key 'initial_price': must be at least 22 ticks (")


def test_the_widest_half_spread_makes_a_session_with_positive_prices(tmp_path):
    from mmsim.synth import generate

    ev = generate(_load(tmp_path, "duration: 1s\nlp_half_spread: 4000\ninitial_price: 8049\n"))
    # the opening book starts at the best bid, floor(8049 - 4000) = 4049; the fair value's floor, 2 x 10 + 4.5 + 4000,
    # keeps every bid at floor(4024.5 - 4000) - 9 = 15 ticks or more
    assert int(ev["price"][0]) == 4049 and int(ev["side"][0]) == 1
    assert int(ev["price"].min()) >= 15


@pytest.mark.parametrize(("text", "expected"), [
    ("tick_size: 1e300\n", "synth config key 'tick_size': must be at most 1e12 (a price times the tick, lot and "
                           "contract sizes must stay a finite number), got '1e300' (s.yaml line 1)"),
    ("lot_size: 1e13\n", "synth config key 'lot_size': must be at most 1e12 (a price times the tick, lot and "
                         "contract sizes must stay a finite number), got '1e13' (s.yaml line 1)"),
    ("tick_size: 1e-300\n", "synth config key 'tick_size': must be a positive number from 1e-12 to 1e12, "
                            "got 1e-300 (s.yaml line 1)"),
    ("contract_size: 1e-13\n", "synth config key 'contract_size': must be a positive number from 1e-12 to 1e12, "
                               "got 1e-13 (s.yaml line 1)"),
])
def test_tick_lot_and_contract_sizes_are_bounded(tmp_path, text, expected):
    assert _refused(tmp_path, text) == expected


@pytest.mark.parametrize(("value", "shown"), [("1e300", "'1e300'"), ("16385", "16385")])
def test_an_informed_edge_no_quote_can_meet_is_refused(tmp_path, value, shown):
    # 1e300 ran with informed traders who could never trade: informed: false in disguise
    assert _refused(tmp_path, f"informed_edge: {value}\n") == (
        "synth config key 'informed_edge': must be at most 16384 ticks (the generator's book window: no quote is "
        "further from the fair value, so a larger edge is never met; informed: false switches informed traders off), "
        f"got {shown} (s.yaml line 1)")


@pytest.mark.parametrize("rate", ["0", "1e-300"])
def test_no_jumps_makes_a_session(tmp_path, rate):
    # jump_rate: 0 was a ZeroDivisionError (a jump time drawn once the diffusion passed the end); 1e-300 hung (a gap
    # of inf ns made an int64 out of range). Without diffusion either, the fair value stays at initial_price.
    from mmsim.synth import simulate

    day = simulate(_load(tmp_path, f"duration: 2s\nfv_vol: 0\njump_rate: {rate}\n"))
    assert len(day.events) > 100 and set(day.fair_value.tolist()) == {10000.0}


_FORCED = """
import sys
from mmsim.errors import ConfigError
from mmsim.synth import SynthConfig, simulate
cfg = SynthConfig(duration="2s")
object.__setattr__(cfg, sys.argv[1], float(sys.argv[2]))  # past SynthConfig's checks: the kernel's own guard
try:
    simulate(cfg)
except ConfigError as e:
    print(e)
"""


@pytest.mark.parametrize(("key", "value", "expected"), [
    # past the window the scan for the next best bid gave up and left the best bid on an empty level: a segfault
    ("fv_vol", "1e6", "synth config key 'fv_vol': the fair value moved the book's orders over more than the "
                      "generator's 16384-tick window (resting orders are left behind until cancelled or pulled); lower "
                      "fv_vol, jump_rate or jump_mean, or raise lp_cancel_rate, got 1000000.0"),
    ("jump_mean", "1e6", "synth config key 'jump_mean': the fair value moved the book's orders over more than the "
                         "generator's 16384-tick window (resting orders are left behind until cancelled or pulled); "
                         "lower fv_vol, jump_rate or jump_mean, or raise lp_cancel_rate, got 1000000.0"),
    # a bid below 1 tick: the kernel refuses to rest it. initial_price is the default: the key set names it
    # (msgs24: it named initial_price alone, a key the config never set)
    ("lp_half_spread", "100000", "synth config key 'lp_half_spread': a quote would be priced below 1 tick (from the "
                                 "fair value's floor, 2 x lp_levels + 4.5 + lp_half_spread); raise initial_price or "
                                 "lower lp_half_spread; initial_price is the default 10000, got 100000.0"),
])
def test_the_kernel_stops_rather_than_write_out_of_its_arrays(key, value, expected):
    r = subprocess.run([sys.executable, "-c", _FORCED, key, value], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout.strip()) == (0, expected)


def test_a_book_outgrowing_the_window_while_it_runs_names_the_key_and_line(tmp_path):
    # 2,500 ticks/sqrt s (250 a step, allowed) over 5 min: the fair value wanders 40,000 ticks, the book's orders
    # left behind span more than 16,384; it said "synth config: the book spread over ...", naming no line
    from mmsim.synth import simulate

    cfg = _load(tmp_path, "duration: 300s\nfv_vol: 2500\ninitial_price: 1000000\n")
    with pytest.raises(ConfigError) as e:
        simulate(cfg)
    assert str(e.value) == (
        "synth config key 'fv_vol': the fair value moved the book's orders over more than the generator's "
        "16384-tick window (resting orders are left behind until cancelled or pulled); lower fv_vol, jump_rate or "
        "jump_mean, or raise lp_cancel_rate, got 2500 with initial_price: 1000000 (fv_vol at s.yaml line 2, "
        "initial_price at s.yaml line 3)")  # the limit's other key written: its line too (fix25b)


PAST = ("synth config key 'initial_price': the fair value moved past 2**42 ticks (4398046511104, the most the generator "
        "keeps exact) from initial_price {0}; lower initial_price, fv_vol, jump_rate or jump_mean, got {0} "
        "(s.yaml line 1)")


@pytest.mark.parametrize(("text", "also"), [
    ("initial_price: 4398046511104\nfv_vol: 100\nduration: 2s\n",  # exactly 2**42, the diffusion moves it up
     "with fv_vol: 100.0 (initial_price at s.yaml line 1, fv_vol at s.yaml line 2)"),
    ("initial_price: 4398046511000\njump_mean: 200\njump_rate: 50\nduration: 2s\n",  # 104 below, the jumps
     "with jump_rate: 50.0, jump_mean: 200.0 (initial_price at s.yaml line 1, jump_rate at s.yaml line 3, jump_mean at "
     "s.yaml line 2)"),
])
def test_a_fair_value_past_2_to_the_42_names_initial_price_and_its_line(tmp_path, text, also):
    from mmsim.synth import simulate

    cfg = _load(tmp_path, text)
    for c in (cfg, cfg.replace(seed=1)):  # mmsim synth --seed keeps the file's lines
        with pytest.raises(ConfigError) as e:
            simulate(c)
        # the limit's other keys the file wrote, with their lines (fix25b)
        assert str(e.value) == PAST.format(cfg.initial_price).replace("(s.yaml line 1)", also)


def test_a_config_built_in_python_has_no_line_to_name():
    from mmsim.synth import SynthConfig, simulate

    with pytest.raises(ConfigError) as e:
        simulate(SynthConfig(initial_price=2**42, fv_vol=100, duration="2s"))
    assert str(e.value) == PAST.format(2**42).removesuffix(" (s.yaml line 1)")


def test_the_cli_exits_2_with_the_kernels_message(tmp_path):
    (tmp_path / "s.yaml").write_text("duration: 2s\ninitial_price: 4398046511104\nfv_vol: 100\n")
    r = subprocess.run([sys.executable, "-m", "mmsim", "synth", "s.yaml", "-o", "out", "-q"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == "mmsim: config error: " + PAST.format(2**42).replace(
        "(s.yaml line 1)", "with fv_vol: 100.0 (initial_price at s.yaml line 2, fv_vol at s.yaml line 3)")
    assert not (tmp_path / "out").exists()
