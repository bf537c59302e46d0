"""synth21 (breaker20 C/E/D): synth config values the generator cannot represent or hold are refused before it runs,
naming the key, the limit and the file line (they crashed the engine on the generated store, hung, or raised
MemoryError / ValueError / numba's OverflowError tracebacks)."""

from __future__ import annotations

import pytest

from mmsim.errors import ConfigError


@pytest.fixture(autouse=True)
def _here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

PRICE = ("synth config key 'initial_price': must be at most 2**42 = 4398046511104 ticks (the fair value, a float64 "
         "in ticks, must keep 2**-10 tick), got {} (s.yaml line 2)")


def _load(tmp_path, text):
    from mmsim.synth import load_synth_config

    (tmp_path / "s.yaml").write_text(text)
    return load_synth_config("s.yaml")  # (the tests run in tmp_path: the message names the file as given)


@pytest.mark.parametrize("value", ["5000000000000000", "9223372036854775807", "4398046511105"])
def test_initial_price_above_2_to_the_42_is_refused_naming_key_and_line(tmp_path, value):
    # 5e15 crossed the book (an engine EXECUTE error on the store), 2**63 - 1 never ended; 2**42 + 1 is the first
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, f"duration: 60s\ninitial_price: {value}\n")
    assert str(e.value) == PRICE.format(value)


def test_initial_price_at_2_to_the_40_makes_a_session(tmp_path):
    from mmsim.synth import generate

    cfg = _load(tmp_path, "duration: 2s\ninitial_price: 1099511627776\n")
    ev = generate(cfg)
    assert abs(int(ev["price"][0]) - 2**40) <= 10 + 2  # the opening book: within levels and half spread of it


def test_a_deep_opening_book_is_refused_before_the_kernel_naming_key_line_and_limit(tmp_path):
    # lp_depth: 1e15 was a MemoryError traceback: 2 sides x (10 levels x 1e15 + 5 x 45) lots / 5 lots an order
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "duration: 20s\nlp_depth: 1e15\n")
    assert str(e.value) == ("synth config key 'lp_depth': the opening book would hold about 4e+15 orders (2 sides of "
                            "10,000,000,000,000,225 lots over lp_levels, lp_order_size_mean lots an order), more than "
                            "the 33,554,432 (2**25) the generator keeps in memory; lower lp_depth or lp_depth_step, or "
                            "raise lp_order_size_mean, got 1000000000000000 (s.yaml line 2)")
    # The same kind: the step dominates (ValueError: array is too big): 20 x 10 + 4e15 x 45 lots, x 2 / 5
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "duration: 20s\nlp_depth_step: 4e15\n")
    assert str(e.value).startswith("synth config key 'lp_depth_step': the opening book would hold about 7.2e+16 orders "
                                   "(2 sides of 180,000,000,000,000,200 lots over")
    assert str(e.value).endswith("got 4000000000000000 (s.yaml line 2)")
    # a deep book of large orders fits: 1e6 lots at the best level in orders of 1000 lots
    assert _load(tmp_path, "lp_depth: 1000000\nlp_order_size_mean: 1000\n").lp_depth == 10**6


def test_a_session_that_would_hang_or_overflow_is_refused_naming_the_key(tmp_path):
    # fv_step: 1ns over 20 s: 2e10 diffusion steps (it ran past 40 s); jump_rate: 1e300 was an OverflowError
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "duration: 20s\nfv_step: 1\n")
    assert str(e.value) == ("synth config key 'fv_step': the session would make 20,000,000,000 diffusion steps "
                            "(duration / fv_step), more than the 1,073,741,824 (2**30) the generator can step through; "
                            "raise fv_step, lower jump_rate or shorten duration, got 1 with duration: '20s' (fv_step at "
                            "s.yaml line 2, duration at s.yaml line 1)")  # both keys written: both lines (fix25b)
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "duration: 20s\nnoise_rate: 1e9\n")  # 3e9 events a second (+ 2.5 x 0.2 x 170 orders + 50)
    assert str(e.value).startswith("synth config key 'noise_rate': the session would make about 90,000,008,826 events "
                                   "(3,000,000,135 a second")
    with pytest.raises(ConfigError) as e:  # a geometric mean past 2**53 divided by zero in the kernel
        _load(tmp_path, "duration: 20s\nnoise_size_mean: 1e17\n")
    assert str(e.value) == ("synth config key 'noise_size_mean': must be at most 2**40 (a geometric mean; its draws "
                            "must stay exact), got '1e17' (s.yaml line 2)")
