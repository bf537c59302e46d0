"""Strategy plugins: the numba fast path, plugin loading, and the reference strategies against the engine.

The compiled callback is called through ctypes exactly as the engine calls it;
engine-level tests run the reference strategies on real data and compare the
fast path with the Python path fill for fill.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT
from mmsim.errors import ConfigError, StrategyError
from mmsim.numba_strategy import NATIVE_ERRORS, NumbaStrategyType, RuleStrategy, native_error_message, numba_strategy
from mmsim.plugins import available_strategies, load_strategy, resolve_strategy
from mmsim.records import QUOTE_DTYPE, VIEW_DTYPE
from mmsim.strategy import Quote, Strategy

CFUNC_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def call_native(strategy, view: np.ndarray, state: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    """Call the compiled callback once, as the engine does: (code, out record)."""
    addr, params, fresh = strategy._mmsim_native_()
    state = fresh if state is None else state
    out = np.zeros(1, dtype=QUOTE_DTYPE)
    rec = np.ascontiguousarray(view.reshape(1))
    code = CFUNC_TYPE(addr)(rec.ctypes.data, params.ctypes.data, state.ctypes.data, out.ctypes.data)
    return code, out[0]


def book_view(bid=100, ask=104, bid_qty=5, ask_qty=5, position=0, ts=1_000) -> np.ndarray:
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["position"], v["ts"] = bid, ask, bid_qty, ask_qty, position, ts
    return v


# -- rules used below (module level, so numba can cache them) ----------------------------------


@numba_strategy(state_size=3)
def past_state_rule(view, params, state, out):
    state[5] = 1.0  # past state_size: never run compiled (undefined behaviour)
    return 0


@numba_strategy
def writes_view_rule(view, params, state, out):
    view.position = 7  # the view is read-only: never run compiled (what it leaves is undefined)
    return 0


@numba_strategy(params={"half_spread": 2.0, "size": 1.0}, state_size=3)
def spread_rule(view, params, state, out):
    state[0] += 1.0
    mid = 0.5 * (view.best_bid + view.best_ask)
    out.bid_px = mid - params.half_spread
    out.ask_px = mid + params.half_spread
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


@numba_strategy(params=("limit",))
def raising_rule(view, params, state, out):
    if view.position > params.limit:
        raise ValueError("position over the limit")
    return 0


@numba_strategy
def bad_code_rule(view, params, state, out):
    return 7


@numba_strategy
def engine_code_rule(view, params, state, out):
    return -2  # the engine's own code for an invalid quote: still the rule's bad return value


@numba_strategy
def huge_code_rule(view, params, state, out):
    return 1 << 50


@numba_strategy(name="Floaty")
def float_return_rule(view, params, state, out):
    return 1.5


@numba_strategy(name="Booly")
def bool_return_rule(view, params, state, out):
    return view.bid_qty > 0


@numba_strategy(name="Typo")
def typo_rule(view, params, state, out):
    out.bid_px = view.best_bidd
    return 1


@numba_strategy(state_size=1)
def divide_rule(view, params, state, out):
    out.bid_px = view.best_bid / state[0]  # state starts at 0: ZeroDivisionError
    return 1


# -- the numba fast path -------------------------------------------------------------------------


def test_callback_writes_the_quote_and_keeps_state_across_calls():
    s = spread_rule(half_spread=1.5)
    assert s.params == {"half_spread": 1.5, "size": 1.0}
    addr, params, state = s._mmsim_native_()
    assert isinstance(addr, int) and addr != 0
    assert params.dtype == np.float64 and list(params) == [1.5, 1.0]
    assert state.dtype == np.float64 and list(state) == [0.0, 0.0, 0.0]
    code, out = call_native(s, book_view(), state)
    assert code == 1
    assert tuple(out[["bid_px", "bid_qty", "ask_px", "ask_qty"]].item()) == (100.5, 1.0, 103.5, 1.0)
    # The rest of the record (ladder, explicit orders) is left as the engine handed it: zero.
    rest = [n for n in QUOTE_DTYPE.names if n not in ("bid_px", "bid_qty", "ask_px", "ask_qty")]
    assert all(not np.any(out[n]) for n in rest)
    call_native(s, book_view(), state)
    assert state[0] == 2.0  # the engine's array is the rule's state
    assert list(s._mmsim_native_()[2]) == [0.0, 0.0, 0.0]  # each run starts from zero


def test_exception_in_the_rule_is_an_error_code_not_a_crash():
    s = raising_rule(limit=3)
    assert call_native(s, book_view(position=3))[0] == 0
    assert call_native(s, book_view(position=4))[0] == 2
    assert "raised an exception" in native_error_message(2)
    assert call_native(divide_rule(), book_view())[0] == 2  # numba raises ZeroDivisionError like Python


def test_return_value_other_than_0_or_1_is_an_error_code():
    from mmsim.numba_strategy import CODE_BAD_RETURN_BASE

    # The value comes back on top of a base far from every other code, so the message names it.
    assert call_native(bad_code_rule(), book_view())[0] == CODE_BAD_RETURN_BASE + 7
    assert call_native(engine_code_rule(), book_view())[0] == CODE_BAD_RETURN_BASE - 2
    assert call_native(huge_code_rule(), book_view())[0] == 3  # too large to carry: the bare code
    assert native_error_message(3) == NATIVE_ERRORS[3]
    assert native_error_message(CODE_BAD_RETURN_BASE + 7) == NATIVE_ERRORS[3] + " (it returned 7)"
    assert native_error_message(99) == "the strategy callback returned the unknown code 99"


def test_non_integer_return_fails_at_construction():
    with pytest.raises(StrategyError, match=r"strategy Floaty: .*must return an integer.*float64"):
        float_return_rule()


def test_bool_return_fails_at_construction_as_on_the_python_path():
    with pytest.raises(StrategyError, match=r"strategy Booly: .*must return an integer.*it returns bool"):
        bool_return_rule()
    with pytest.raises(StrategyError, match=r"strategy Booly at local time 5 ns: the rule must return an integer "
                                            r"\(0 = no change, 1 = out holds the quote\), it returned True"):
        bool_return_rule.python().quote(book_view(ts=5))


def test_the_compile_cache_key_covers_mmsims_own_compile_time_code(monkeypatch):
    """A cached callback built by other wrapper or return-check code (same version string) is not reused."""
    from mmsim import _numba_support as ns

    before = ns._fingerprint(float_return_rule.rule, ("x",), 0)
    assert ns._fingerprint(float_return_rule.rule, ("x",), 0) == before
    monkeypatch.setattr(ns, "_own_digest", "an edited numba_strategy.py")
    assert ns._fingerprint(float_return_rule.rule, ("x",), 0) != before


def test_unknown_view_field_fails_at_construction():
    with pytest.raises(StrategyError, match=r"strategy Typo: the rule typo_rule\(view, params, state, out\) does not "
                                            r"compile.*best_bidd"):
        typo_rule()


@pytest.mark.parametrize(
    "source",
    ["def rule(view, params, state):\n    return 0",
     "def rule(view, params, state, out, extra):\n    return 0",
     "def rule(view, params, state, out, *, flag=1):\n    return 0"],
    ids=["three-args", "five-args", "keyword-only"],
)
def test_wrong_signature_fails_at_decoration(source):
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(StrategyError, match=r"strategy rule: the rule must have the signature "
                                            r"rule\(view, params, state, out\) -> int"):
        numba_strategy(namespace["rule"])


def test_parameters_are_validated_by_name():
    with pytest.raises(ConfigError, match=r"strategy spread_rule: unknown parameter 'half_sprad' "
                                          r"\(it takes: half_spread, size\)"):
        spread_rule(half_sprad=1.0)
    with pytest.raises(ConfigError, match=r"strategy raising_rule: missing parameter 'limit'"):
        raising_rule()
    with pytest.raises(ConfigError, match=r"strategy spread_rule: parameter 'size': expected a number, got 'big'"):
        spread_rule.from_params({"size": "big"})
    with pytest.raises(ConfigError, match=r"parameter 'size': expected a number, got True"):
        spread_rule.python(size=True)
    with pytest.raises(StrategyError, match=r"parameter name '_x' must be a Python identifier"):
        numba_strategy(params=("_x",))(lambda view, params, state, out: 0)


def test_python_path_is_an_mmsim_strategy_running_the_same_rule():
    cls = spread_rule.python_class
    assert issubclass(cls, Strategy) and issubclass(cls, RuleStrategy)
    assert cls.__name__ == "spread_rulePython" and cls.name == "spread_rule"
    for pure in (False, True):
        s = spread_rule.python(half_spread=1.5, pure=pure)
        assert s.quote(book_view()) == Quote(100.5, 1.0, 103.5, 1.0)
        s.quote(book_view())
        assert s._state[0] == 2.0
        s.reset()
        assert s._state[0] == 0.0


def test_state_past_state_size_is_caught_on_the_plain_python_path():
    """docs/strategies.md: compiled code does not check indexes; pure=True does (the advice there)."""
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        past_state_rule.python(pure=True).quote(book_view())


def test_writing_into_the_view_is_caught_on_the_plain_python_path():
    """docs/strategies.md: the view is read-only; the plain Python path says so (compiled code cannot)."""
    with pytest.raises(AttributeError, match=r"^the view and params are read-only$"):
        writes_view_rule.python(pure=True).quote(book_view())


def test_python_strategy_view_is_read_only():
    from mmsim.strategy import View

    v = View(book_view(position=3))
    with pytest.raises(AttributeError, match=r"^the view is read-only$"):
        v.position = 0
    assert v.position == 3


def test_python_path_raises_the_rules_exception_and_names_bad_codes():
    with pytest.raises(ValueError, match="position over the limit"):
        raising_rule.python(limit=1, pure=True).quote(book_view(position=2))
    with pytest.raises(ValueError):
        raising_rule.python(limit=1).quote(book_view(position=2))
    with pytest.raises(StrategyError, match=r"strategy bad_code_rule at local time 777 ns: the strategy returned a "
                                            r"value other than 0 \(no change\) or 1 \(quote in out\) \(it returned 7\)"):
        bad_code_rule.python().quote(book_view(ts=777))


CACHE_DRIVER = """
import sys, time
t0 = time.perf_counter()
from mmsim.plugins import load_strategy
s = load_strategy(sys.argv[1], {"half_spread": 1.0})
import numpy as np
from mmsim.records import VIEW_DTYPE
v = np.zeros((), VIEW_DTYPE); v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"] = 100, 104, 1, 1
print(s.kind.cache_hits, s.python().quote(v).bid_px)
"""


def test_compile_cache_is_used_by_a_new_process_and_invalidated_by_an_edit(tmp_path):
    rule_file = tmp_path / "my_rule.py"
    rule_text = textwrap.dedent("""
        import math
        from mmsim.numba_strategy import numba_strategy
        OFFSET = 0.0

        @numba_strategy(params={"half_spread": 1.0})
        def my_rule(view, params, state, out):
            mid = 0.5 * (view.best_bid + view.best_ask)
            out.bid_px = math.floor(mid - params.half_spread - OFFSET)
            out.ask_px = math.ceil(mid + params.half_spread)
            out.bid_qty = 1.0
            out.ask_qty = 1.0
            return 1
    """)
    rule_file.write_text(rule_text)
    env = dict(os.environ, MMSIM_CACHE_DIR=str(tmp_path / "cache"))

    def run() -> str:
        proc = subprocess.run([sys.executable, "-c", CACHE_DRIVER, f"{rule_file}:my_rule"], env=env,
                              capture_output=True, text=True, check=True)
        return proc.stdout.split()

    assert run() == ["0", "101.0"]  # first process compiles
    assert run() == ["1", "101.0"]  # a new process loads the machine code
    # A constant beside the rule is frozen into the machine code: editing it must recompile.
    rule_file.write_text(rule_text.replace("OFFSET = 0.0", "OFFSET = 5.0"))
    assert run() == ["0", "96.0"]


TWO_NAMES_DRIVER = """
import sys
sys.path.insert(0, sys.argv[1])
from mmsim.plugins import load_strategy
import numpy as np
from mmsim.records import VIEW_DTYPE
v = np.zeros((), VIEW_DTYPE); v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"] = 100, 104, 1, 1
for spec in sys.argv[2:]:
    s = load_strategy(spec, {})
    print(s.python().quote(v).bid_px)
"""


def test_one_rule_file_under_two_module_names_compiles_in_every_process(tmp_path):
    """numba's cached code re-imports a module by the name it was saved under: a file loaded by
    path (``_mmsim_plugin_...``) and as a module (``two_names``) in one process leaves a compiled
    strategy whose cache names the path's module; the next process, loading it as a module only,
    must compile afresh instead of failing with ModuleNotFoundError."""
    (tmp_path / "two_names.py").write_text(textwrap.dedent("""
        from numba import njit
        from mmsim.numba_strategy import numba_strategy

        @njit(cache=True)
        def two_rule(view, params, state, out):
            out.bid_px = view.best_bid - 1.0
            out.ask_px = view.best_ask + 1.0
            out.bid_qty = 1.0
            out.ask_qty = 1.0
            return 1

        TwoNames = numba_strategy(two_rule, params={}, name="TwoNames")
    """))
    env = dict(os.environ, MMSIM_CACHE_DIR=str(tmp_path / "cache"))

    def run(*specs: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", TWO_NAMES_DRIVER, str(tmp_path), *specs], env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout.split()

    assert run(f"{tmp_path / 'two_names.py'}:TwoNames", "two_names:TwoNames") == ["99.0", "99.0"]
    assert run("two_names:TwoNames") == ["99.0"]


# -- plugins -------------------------------------------------------------------------------------


def test_load_reference_strategy_by_path_from_the_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    s = load_strategy("strategies/glft.py:GLFT", {"gamma": 0.1, "sigma": 2.0})
    assert s.name == "GLFT" and s.params["gamma"] == 0.1 and s.params["A"] == 1.0
    p = load_strategy("strategies/glft.py:GLFTPython", {"gamma": 0.1})
    assert isinstance(p, Strategy) and p.label == "GLFT"
    assert resolve_strategy("strategies/glft.py:GLFT") is resolve_strategy(str(ROOT / "strategies/glft.py") + ":GLFT")


def test_load_by_module_and_python_class(tmp_path, monkeypatch):
    (tmp_path / "my_mm.py").write_text(textwrap.dedent("""
        import mmsim.strategy as st

        class Joiner(st.Strategy):
            name = "Joiner"
            def __init__(self, size, offset=0):
                self.size, self.offset = size, offset
            def quote(self, view):
                return st.Quote(view.best_bid - self.offset, self.size, view.best_ask + self.offset, self.size)

        class Abstract(st.Strategy):
            pass

        NOT_A_STRATEGY = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    s = load_strategy("my_mm:Joiner", {"size": 2})
    assert (s.size, s.offset) == (2, 0)
    s = load_strategy(str(tmp_path / "my_mm.py") + ":Joiner", {"size": 2, "offset": 1})
    assert s.offset == 1
    with pytest.raises(ConfigError, match=r"strategy Joiner: unknown parameter 'sise' \(it takes: offset, size\)"):
        load_strategy("my_mm:Joiner", {"sise": 2})
    with pytest.raises(ConfigError, match=r"strategy Joiner: missing parameter 'size'"):
        load_strategy("my_mm:Joiner", {})
    with pytest.raises(StrategyError, match=r"strategy Abstract \(my_mm:Abstract\) is abstract: it does not implement quote"):
        load_strategy("my_mm:Abstract")
    with pytest.raises(StrategyError, match=r"my_mm:NOT_A_STRATEGY names a int, not a strategy"):
        load_strategy("my_mm:NOT_A_STRATEGY")


def test_load_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match=r"strategy file not found: nowhere/x.py"):
        load_strategy("nowhere/x.py:X")
    with pytest.raises(ConfigError, match=r"strategy file strategies/glft.py has no strategy named 'GLTF'"):
        load_strategy("strategies/glft.py:GLTF", base_dir=ROOT)
    with pytest.raises(ConfigError, match=r"strategy 'strategies/glft.py': name the strategy inside the file"):
        load_strategy("strategies/glft.py")
    with pytest.raises(ConfigError, match=r"unknown strategy 'no_such_mm': not a file.py:Name, module:Name or an "
                                          r"entry point in group 'mmsim.strategies'"):
        load_strategy("no_such_mm")
    with pytest.raises(ConfigError, match=r"strategy module 'no_such_module' not found"):
        load_strategy("no_such_module:X")
    broken = tmp_path / "broken.py"
    broken.write_text("x = 1 / 0\n")
    with pytest.raises(StrategyError, match=r"broken.py failed to import: ZeroDivisionError: division by zero"):
        load_strategy(f"{broken}:X")
    with pytest.raises(ConfigError, match=r"strategy GLFT: unknown parameter 'gama'"):
        load_strategy("strategies/glft.py:GLFT", {"gama": 1}, base_dir=ROOT)


def test_a_python_strategy_refusing_its_parameters_is_a_config_error_naming_the_line(tmp_path, capsys):
    # A class strategy has no declared domains; it checks its parameters in __init__. Its
    # ValueError was a StrategyError (exit 1, no config line), and a class that did not check
    # ran with `size: abc` until its first quote.
    from mmsim.cli import main
    from mmsim.synth import SynthConfig, write_store

    (tmp_path / "lean.py").write_text(textwrap.dedent("""
        import mmsim

        class Lean(mmsim.Strategy):
            def __init__(self, size=1, offset=0):
                if not (isinstance(size, int) and size > 0):
                    raise ValueError(f"parameter 'size' must be a positive whole number of lots, got {size!r}")
                self.size, self.offset = size, 0 + offset  # a TypeError for offset: '1'

            def quote(self, view):
                return None

        class Broken(mmsim.Strategy):
            def __init__(self, size=1):
                raise RuntimeError("no licence file")

            def quote(self, view):
                return None
    """))
    with pytest.raises(ConfigError) as ei:
        load_strategy(f"{tmp_path / 'lean.py'}:Lean", {"size": "abc"})
    assert str(ei.value) == ("strategy Lean: building it failed: ValueError: parameter 'size' must be a positive "
                             "whole number of lots, got 'abc'")
    # The same kind: a TypeError the constructor meets on a wrong type; other errors stay the plugin's.
    with pytest.raises(ConfigError, match=r"^strategy Lean: building it failed: TypeError: unsupported operand"):
        load_strategy(f"{tmp_path / 'lean.py'}:Lean", {"offset": "1"})
    with pytest.raises(StrategyError, match=r"^strategy Broken: building it failed: RuntimeError: no licence file$"):
        load_strategy(f"{tmp_path / 'lean.py'}:Broken")
    store = write_store(SynthConfig(seed=3, duration=5 * 1_000_000_000), tmp_path / "store")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"data: {store}\nstrategy:\n  path: '{tmp_path / 'lean.py'}:Lean'\n  params:\n    size: abc\n")
    assert main(["run", str(cfg), "-q", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "mmsim: config error: strategy Lean: building it failed: ValueError: parameter 'size' must be a positive "
        f"whole number of lots, got 'abc' ({cfg} line 5)\n")
    assert not (tmp_path / "out").exists()


def test_a_plugin_calling_sys_exit_is_a_strategy_error_not_an_exit(tmp_path, monkeypatch):
    # SystemExit is not an Exception: a plugin's sys.exit() at import or in its constructor
    # ended `mmsim run` with that status and no message.
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(4)\n")
    with pytest.raises(StrategyError) as ei:
        load_strategy(f"{tmp_path / 'exits.py'}:X")
    # ... and where, in the plugin (the newcomer's: an import failure named no line of the file)
    assert str(ei.value) == f"strategy file {tmp_path / 'exits.py'} failed to import: SystemExit: 4 (exits.py line 2)"
    (tmp_path / "ctor_exits.py").write_text(textwrap.dedent("""
        import sys
        import mmsim

        class Quitter(mmsim.Strategy):
            def __init__(self, size=1):
                sys.exit(5)

            def quote(self, view):
                return None
    """))
    with pytest.raises(StrategyError) as ei:
        load_strategy(f"{tmp_path / 'ctor_exits.py'}:Quitter")
    assert str(ei.value) == "strategy Quitter: building it failed: SystemExit: 5"
    (tmp_path / "mod_exits.py").write_text("raise SystemExit('bye')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(StrategyError) as ei:
        load_strategy("mod_exits:X")
    assert str(ei.value) == "strategy module 'mod_exits' failed to import: SystemExit: bye"


def test_load_by_entry_point(tmp_path, monkeypatch):
    """A distribution registering in group mmsim.strategies is found by name."""
    (tmp_path / "ep_mm.py").write_text(textwrap.dedent("""
        from mmsim.numba_strategy import numba_strategy

        @numba_strategy(params={"size": 1.0}, name="EpMM")
        def ep_rule(view, params, state, out):
            return 0
    """))
    dist = tmp_path / "ep_mm-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-mm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mmsim.strategies]\nep_mm = ep_mm:ep_rule\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert available_strategies()["ep_mm"] == "ep_mm:ep_rule"
    s = load_strategy("ep_mm", {"size": 3})
    assert s.name == "EpMM" and s.params == {"size": 3.0}
    with pytest.raises(ConfigError, match=r"strategy EpMM: unknown parameter 'sz'"):
        load_strategy("ep_mm", {"sz": 3})


# -- GLFT calibration ----------------------------------------------------------------------------


def test_fit_intensity_recovers_a_known_exponential():
    """Market orders at rate R reaching depth D = floor(Exp(k)) give lambda(delta) = R exp(-k delta)."""
    import mmsim

    fit_intensity = resolve_strategy("strategies/glft.py:fit_intensity", base_dir=ROOT)
    rng = np.random.default_rng(7)
    n, k_true, seconds = 20_000, 0.4, 2_000.0
    depth = np.floor(rng.exponential(1 / k_true, n)).astype(np.int64)
    side = rng.choice([1, -1], n)
    ev = np.zeros(n + 1, dtype=mmsim.EVENT_DTYPE)
    ev["kind"][0], ev["side"][0], ev["price"][0], ev["qty"][0] = int(mmsim.Kind.DEPTH), 1, 1000, 1
    ev["exch_ts"][1:] = np.sort(rng.choice(np.arange(1, int(seconds * 1e3)), n, replace=False)) * 1_000_000
    ev["exch_ts"][-1] = int(seconds * 1e9)
    ev["kind"][1:] = int(mmsim.Kind.TRADE)
    ev["side"][1:] = side
    ev["price"][1:] = 1001 + side * depth  # mid is 1001: a buyer lifts mid + D, a seller hits mid - D
    ev["qty"][1:] = 1
    best_bid = np.full(n + 1, 1000, dtype=np.int64)
    best_ask = np.full(n + 1, 1002, dtype=np.int64)
    fit = fit_intensity(ev, best_bid, best_ask, depth_step=1.0, min_depth=0.0, min_orders=20)
    assert fit.n_orders == n
    assert fit.duration_s == seconds
    assert fit.A == pytest.approx(n / seconds, rel=0.03)
    assert fit.k == pytest.approx(k_true, rel=0.03)
    assert fit.r2 > 0.99
    assert fit.sigma == 0.0  # the mid never moved
    assert fit.params() == {"A": fit.A, "k": fit.k, "sigma": 0.0}
    text = fit.report()
    assert text.splitlines()[0] == f"fill intensity lambda(delta) = A exp(-k delta), fitted on {n} market orders over 2000.0 s"
    assert "(not fitted)" in text  # the sparse tail is shown but not fitted


def test_fit_intensity_takes_an_event_store_as_run_does(tmp_path):
    """Issue 15 item 9: fit_intensity(mmsim.load(store)) failed; it takes what mmsim.run takes."""
    import mmsim
    from mmsim.synth import SynthConfig, write_store

    fit_intensity = resolve_strategy("strategies/glft.py:fit_intensity", base_dir=ROOT)
    store = mmsim.load(write_store(SynthConfig(seed=5, duration=600 * 1_000_000_000), tmp_path / "s"))
    a, b = fit_intensity(store), fit_intensity(np.asarray(store.events))
    assert (a.A, a.k, a.r2, a.sigma, a.n_orders) == (b.A, b.k, b.r2, b.sigma, b.n_orders)
    assert a.n_orders > 100


def test_fit_intensity_needs_trades():
    import mmsim

    fit_intensity = resolve_strategy("strategies/glft.py:fit_intensity", base_dir=ROOT)
    ev = np.zeros(5, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = np.arange(5) * 1_000_000_000
    ev["kind"] = int(mmsim.Kind.DEPTH)
    top = np.full(5, 100, dtype=np.int64)
    with pytest.raises(mmsim.DataError, match=r"fit_intensity: 0 market orders in 4 s is too few to fit"):
        fit_intensity(ev, top, top + 2)


# -- packaging -----------------------------------------------------------------------------------


def test_every_reference_strategy_is_an_installed_entry_point():
    """pyproject registers each strategies/*.py type under mmsim.strategies and ships the folder as mmsim.strategies."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["scikit-build"]["wheel"]["packages"]
    # (_mmsim_main: the console script's entry point, outside the package: lead session 18)
    assert packages == {"mmsim": "src/mmsim", "_mmsim_main": "src/_mmsim_main", "mmsim/strategies": "strategies"}
    expected = {}
    for path in sorted((ROOT / "strategies").glob("[!_]*.py")):
        names = resolve_strategy(f"strategies/{path.name}:__all__", base_dir=ROOT)
        types = [n for n in names
                 if isinstance(resolve_strategy(f"strategies/{path.name}:{n}", base_dir=ROOT), NumbaStrategyType)]
        assert len(types) == 1, (path.name, types)
        expected[path.stem] = f"mmsim.strategies.{path.stem}:{types[0]}"
    assert len(expected) == 8  # seven 1-level quoters and the ladder (ladder_flatten)
    assert project["project"].get("entry-points", {}).get("mmsim.strategies") == expected


def test_strategies_pickle_for_worker_processes(tmp_path):
    """Sweeps send strategies to other processes: both paths survive pickling, also from a plugin file."""
    import pickle

    s = spread_rule(half_spread=2.5)
    back = pickle.loads(pickle.dumps(s))
    assert back.kind is spread_rule and back.params == s.params
    p = pickle.loads(pickle.dumps(spread_rule.python(half_spread=2.5, pure=True)))
    assert isinstance(p, spread_rule.python_class) and p.params == s.params and p.pure
    glft = load_strategy("strategies/glft.py:GLFT", {"gamma": 0.2}, base_dir=ROOT)
    blob = pickle.dumps([glft, glft.python()])
    code = ("import pickle, sys; s, p = pickle.loads(sys.stdin.buffer.read()); "
            "print(s.name, s.params['gamma'], type(p).__name__)")
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True, cwd=tmp_path)
    assert out.stdout.decode().split() == ["GLFT", "0.2", "GLFTPython"]


@numba_strategy
def half_written_rule(view, params, state, out):
    out.bid_px = view.best_bid
    return 1


def test_python_path_starts_each_call_from_a_zeroed_quote_like_the_engine():
    p = half_written_rule.python()
    first = p.quote(book_view())
    assert first == Quote(100.0, 0.0, 0.0, 0.0)
    assert p.quote(book_view(bid=90)) == Quote(90.0, 0.0, 0.0, 0.0)


def test_one_file_under_two_module_names_in_two_processes(tmp_path):
    """numba's njit cache of a rule saved under one module name must not break a process using another."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mm.py").write_text(textwrap.dedent("""
        from numba import njit
        from mmsim.numba_strategy import numba_strategy

        @njit(cache=True)
        def mm_rule(view, params, state, out):
            out.bid_px = view.best_bid
            return 1

        MM = numba_strategy(mm_rule, name="MM")
    """))
    env = dict(os.environ, MMSIM_CACHE_DIR=str(tmp_path / "cache"))
    by_path = ("from mmsim.plugins import load_strategy; s = load_strategy('pkg/mm.py:MM'); s.python(); print('ok')")
    by_import = "import pkg.mm; s = pkg.mm.MM(); s.python(); print('ok')"
    # Both names in one process: the callback compiled for one links the rule cached under
    # the other, and is cached so; a process with one name only must still load or recompile.
    both = ("from mmsim.plugins import load_strategy; load_strategy('pkg/mm.py:MM'); import pkg.mm; pkg.mm.MM(); "
            "print('ok')")
    for code in (by_path, by_import, by_path, both, by_import, both, by_path):
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


# -- against the engine: both paths, real data ---------------------------------------------------

AMZN_MSG = "AMZN_2012-06-21_34200000_57600000_message_1.csv"
AMZN_BOOK = "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"

#: Parameters that make each reference strategy trade often on AMZN (tick 1 cent, spread ~10-15 ticks).
ENGINE_CASES = [
    ("fixed_spread.py:FixedSpread", {"half_spread": 4.0, "size": 100.0}),
    ("inventory_skew.py:InventorySkew", {"half_spread": 3.0, "skew": 0.02, "size": 100.0, "max_position": 500.0}),
    ("avellaneda_stoikov.py:AvellanedaStoikov", {"gamma": 0.01, "k": 0.3, "sigma": 3.0, "horizon_s": 10.0,
                                                  "size": 100.0, "max_position": 500.0}),
    ("glft.py:GLFT", {"gamma": 0.01, "A": 0.5, "k": 0.3, "sigma": 0.0, "size": 100.0, "max_position": 500.0}),
    ("signal_skew.py:SignalSkew", {"half_spread": 3.0, "imbalance_ticks": 2.0, "ofi_ticks": 2.0, "ofi_scale": 500.0,
                                   "skew": 0.01, "size": 100.0, "max_position": 500.0}),
    ("toxicity_pull.py:ToxicityPull", {"half_spread": 3.0, "skew": 0.01, "size": 100.0, "max_position": 500.0,
                                       "trade_flow_threshold": 300.0, "hawkes_threshold": 3.0, "cooldown_ms": 200.0}),
]


def latency_config(**changes):
    import mmsim

    ms = mmsim.LatencyModel(ns=1_000_000)
    return mmsim.Config(tick_size=0.01, latency=mmsim.LatencyConfig(feed=ms, entry=ms, response=ms), **changes)


@pytest.fixture(scope="module")
def amzn_events():
    """The AMZN day as an L2 top-of-book feed with trades (the tests' LOBSTER helper)."""
    from _lobster import lobster_l2_events

    from conftest import shared_data

    return lobster_l2_events(shared_data("lobster", AMZN_MSG), shared_data("lobster", AMZN_BOOK))


def assert_same_run(fast, slow):
    assert fast.n_calls == slow.n_calls
    assert len(fast.fills) == len(slow.fills)
    for field in fast.fills.dtype.names:  # count, times, prices, sizes, sides...
        np.testing.assert_array_equal(fast.fills[field], slow.fills[field], err_msg=field)
    assert len(fast.orders) == len(slow.orders) and (fast.orders == slow.orders).all()
    assert (fast.position, fast.cash_ticks) == (slow.position, slow.cash_ticks)


@pytest.mark.parametrize(("spec", "params"), ENGINE_CASES, ids=[c[0].split(":")[1] for c in ENGINE_CASES])
def test_fast_and_python_paths_fill_identically_on_amzn(amzn_events, spec, params):
    import mmsim

    native = load_strategy(f"strategies/{spec}", params, base_dir=ROOT)
    config = latency_config()
    fast = mmsim.run(amzn_events, native, config)
    slow = mmsim.run(amzn_events, native.python(), config)
    assert len(fast.fills) >= 10, "too few fills to compare the paths meaningfully"
    assert set(np.unique(fast.fills["side"])) == {-1, 1}
    assert_same_run(fast, slow)


#: The same rules with parameters for the synthetic market (1-2 tick spread, 5-lot quotes).
SYNTH_CASES = [
    ("fixed_spread.py:FixedSpread", {"half_spread": 1.0, "size": 5.0}),
    ("inventory_skew.py:InventorySkew", {"half_spread": 1.0, "skew": 0.05, "size": 5.0, "max_position": 40.0}),
    ("avellaneda_stoikov.py:AvellanedaStoikov", {"gamma": 0.05, "k": 1.0, "sigma": 1.0, "horizon_s": 1.0,
                                                  "size": 5.0, "max_position": 40.0}),
    ("glft.py:GLFT", {"gamma": 0.05, "A": 1.0, "k": 1.0, "sigma": 0.0, "size": 5.0, "max_position": 40.0}),
    ("signal_skew.py:SignalSkew", {"half_spread": 1.0, "imbalance_ticks": 1.0, "ofi_ticks": 1.0, "ofi_scale": 50.0,
                                   "skew": 0.05, "size": 5.0, "max_position": 40.0}),
    ("toxicity_pull.py:ToxicityPull", {"half_spread": 1.0, "skew": 0.05, "size": 5.0, "max_position": 40.0,
                                       "trade_flow_threshold": 15.0, "cooldown_ms": 100.0}),
]


@pytest.mark.parametrize(("spec", "params"), SYNTH_CASES, ids=[c[0].split(":")[1] for c in SYNTH_CASES])
def test_fast_and_python_paths_fill_identically_on_the_synthetic_market(spec, params):
    """The same invariant on the seeded synthetic market (L3, exact FIFO): runs in a fresh clone too."""
    import mmsim
    from conftest import synth_day

    events = synth_day("l3").events
    native = load_strategy(f"strategies/{spec}", params, base_dir=ROOT)
    config = latency_config()
    fast = mmsim.run(events, native, config)
    slow = mmsim.run(events, native.python(), config)
    assert len(fast.fills) >= 10, "too few fills to compare the paths meaningfully"
    assert set(np.unique(fast.fills["side"])) == {-1, 1}
    assert_same_run(fast, slow)


@pytest.mark.parametrize("spec", ["glft.py:GLFT", "toxicity_pull.py:ToxicityPull"], ids=["GLFT", "ToxicityPull"])
def test_fast_and_python_paths_agree_on_a_10ms_timer(amzn_events, spec):
    import mmsim

    params = dict(next(p for s, p in ENGINE_CASES if s == spec))
    native = load_strategy(f"strategies/{spec}", params, base_dir=ROOT)
    config = latency_config(decide_every=10_000_000)
    whole_day = mmsim.run(amzn_events, native, config)
    assert len(whole_day.fills) >= 5
    # A 10 ms timer over the whole day is 2.3 million Python calls: compare the paths
    # from the open up to one second after the fifth fill.
    events = amzn_events[amzn_events["exch_ts"] <= whole_day.fills["exch_ts"][4] + 1_000_000_000]
    fast = mmsim.run(events, native, config)
    slow = mmsim.run(events, native.python(), config)
    assert fast.n_calls >= (events["exch_ts"][-1] - events["exch_ts"][0]) // 10_000_000  # the timer fired every 10 ms
    assert len(fast.fills) >= 5
    assert_same_run(fast, slow)


BTC = ("binance", "usdm", "btcusdt_20240808.gz")


def test_fast_and_python_paths_fill_identically_on_binance(real_store):
    import mmsim

    pytest.importorskip("mmsim.data.binance", reason="the Binance loader (mmsim.data) is not merged yet")
    store = real_store("binance", *BTC)
    events = np.asarray(store.events)
    ms = mmsim.LatencyModel(ns=1_000_000)
    config = mmsim.Config(tick_size=store.meta["tick_size"], lot_size=store.meta["lot_size"],
                          latency=mmsim.LatencyConfig(feed=ms, entry=ms, response=ms),
                          signals=mmsim.SignalConfig(vpin_bucket_volume="100 lots"))  # its default, no warning
    for spec, params in (("glft.py:GLFT", {"gamma": 0.05, "A": 1.0, "k": 0.1, "size": 1.0, "max_position": 20.0}),
                         ("toxicity_pull.py:ToxicityPull", {"half_spread": 5.0, "skew": 0.2, "size": 1.0,
                                                            "max_position": 20.0, "trade_flow_threshold": 50.0})):
        native = load_strategy(f"strategies/{spec}", params, base_dir=ROOT)
        fast = mmsim.run(events, native, config)
        slow = mmsim.run(events, native.python(), config)
        assert len(fast.fills) >= 10, spec
        assert_same_run(fast, slow)


# -- faulty strategies stop the run with a StrategyError, on both paths --------------------------


def tiny_market():
    """A book 100 x 104, then trades; local time of the first strategy call is 1000 ns."""
    import mmsim

    B, A = int(mmsim.Side.BID), int(mmsim.Side.ASK)
    rows = [(1_000, mmsim.Kind.DEPTH, B, 100, 10), (1_000, mmsim.Kind.DEPTH, A, 104, 10),
            (2_000, mmsim.Kind.TRADE, A, 100, 1), (3_000, mmsim.Kind.TRADE, B, 104, 1)]
    ev = np.zeros(len(rows), dtype=mmsim.EVENT_DTYPE)
    for i, (ts, kind, side, px, qty) in enumerate(rows):
        ev[i] = (ts, ts, px, qty, 0, int(kind), side)
    return ev


@numba_strategy(params={"bid_px": None, "bid_qty": None, "scale": 1.0}, name="Faulty")
def faulty_rule(view, params, state, out):
    out.bid_px = params.bid_px * params.scale  # inf * 0 makes the NaN (a NaN parameter is refused)
    out.bid_qty = params.bid_qty
    out.ask_px = 110.0
    out.ask_qty = 1.0
    return 1


@pytest.mark.parametrize(
    ("quote", "message"),
    [((float("inf"), 1.0, 0.0), r"bid_px = nan"), ((float("inf"), 1.0, 1.0), r"bid_px = inf"),
     ((99.0, -1.0, 1.0), r"bid_qty = -1"), ((99.5, 1.0, 1.0), r"bid_px = 99.5"), ((99.0, 0.25, 1.0), r"bid_qty = 0.25")],
    ids=["nan", "inf", "negative-size", "off-grid-price", "off-grid-size"],
)
@pytest.mark.parametrize("path", ["numba", "python", "pure"])
def test_invalid_quote_is_a_strategy_error_naming_strategy_and_time(path, quote, message):
    import mmsim

    bid_px, bid_qty, scale = quote
    native = faulty_rule(bid_px=bid_px, bid_qty=bid_qty, scale=scale)
    strategy = {"numba": native, "python": native.python(), "pure": native.python(pure=True)}[path]
    with pytest.raises(StrategyError, match=r"strategy Faulty returned an invalid quote at local time 1000 ns.*" + message):
        mmsim.run(tiny_market(), strategy, mmsim.Config())


@pytest.mark.parametrize("path", ["numba", "python", "pure"])
def test_a_rule_that_raises_stops_the_run_with_a_strategy_error(path):
    import mmsim

    native = raising_rule(limit=-1)  # position 0 > -1: raises on the first call
    strategy = {"numba": native, "python": native.python(), "pure": native.python(pure=True)}[path]
    if path == "numba":
        match = r"strategy raising_rule failed at local time 1000 ns.*the strategy raised an exception"
    else:
        match = r"strategy raising_rule raised ValueError in quote\(\) at local time 1000 ns.*position over the limit"
    with pytest.raises(StrategyError, match=match):
        mmsim.run(tiny_market(), strategy, mmsim.Config())


@pytest.mark.parametrize("path", ["numba", "python"])
def test_a_bad_return_code_stops_the_run_with_a_strategy_error(path):
    import mmsim

    strategy = bad_code_rule() if path == "numba" else bad_code_rule.python()
    with pytest.raises(StrategyError, match=r"strategy bad_code_rule .*at local time 1000 ns.*other than 0 \(no change\) "
                                            r"or 1 \(quote in out\)"):
        mmsim.run(tiny_market(), strategy, mmsim.Config())


@pytest.mark.parametrize("rule, said", [
    (bad_code_rule, " (it returned 7)"),
    (engine_code_rule, " (it returned -2)"),
    (huge_code_rule, ""),  # beyond 2^31: not carried back, the sentence alone
])
def test_a_compiled_rules_bad_return_value_is_named(rule, said):
    import mmsim

    with pytest.raises(StrategyError) as info:
        mmsim.run(tiny_market(), rule(), mmsim.Config())
    assert str(info.value) == (f"strategy {rule.name} failed at local time 1000 ns (1970-01-01T00:00:00.000001000Z): "
                               f"the strategy returned a value other than 0 (no change) or 1 (quote in out){said}")


def test_python_strategy_with_wrong_quote_signature_is_a_strategy_error():
    import mmsim

    class NoView(Strategy):
        name = "NoView"

        def quote(self):  # forgot the view
            return None

    with pytest.raises(StrategyError, match=r"strategy NoView raised TypeError in quote\(\) at local time 1000 ns"):
        mmsim.run(tiny_market(), NoView(), mmsim.Config())


def test_readme_example_runs_as_written(tmp_path):
    """The complete example in docs/strategies.md's "Write your own strategy", run as a script in a fresh process."""
    import re

    text = (ROOT / "docs" / "strategies.md").read_text()
    section = text[text.index("# Write your own strategy"):]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "mmsim.numba_strategy" in example and "mmsim.run" in example
    script = tmp_path / "example.py"
    script.write_text(example)
    env = dict(os.environ, MMSIM_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()  # it prints the fills


def test_fit_intensity_on_the_amzn_day(amzn_events):
    """Real data: the AMZN day's market orders thin out exponentially beyond the touch."""
    fit_intensity = resolve_strategy("strategies/glft.py:fit_intensity", base_dir=ROOT)
    fit = fit_intensity(amzn_events)
    assert fit.n_orders > 5_000
    assert 23_000 < fit.duration_s < 23_400  # 09:30 to 16:00 less the quiet ends
    assert fit.r2 > 0.95
    assert 0.2 < fit.k < 0.6 and 0.3 < fit.A < 3.0  # per tick, per second
    assert 0.5 < fit.sigma < 5.0  # ticks per sqrt(second): a $220 stock moving cents


def test_quoting_helpers_by_hand_in_python_and_inside_a_jitted_rule():
    """mmsim.quoting: one definition of the post-only clamp and the position cap, for both paths."""
    from numba import njit

    from mmsim.quoting import capped_sizes, post_only_prices

    # A bid at the best ask is clamped one tick under it; an ask at the best bid one tick over it.
    assert post_only_prices(105, 99, 100, 105) == (104, 101)
    # Prices already inside the spread are kept.
    assert post_only_prices(101, 103, 100, 105) == (101, 103)
    # Long 8 of max 10: buy at most 2 more, sell the full size; at the limit the bid is pulled.
    assert capped_sizes(5.0, 10.0, 8) == (2.0, 5.0)
    assert capped_sizes(5.0, 10.0, -10) == (5.0, 0.0)

    @njit
    def both(bid, ask, bb, ba, size, limit, pos):
        b, a = post_only_prices(bid, ask, bb, ba)
        q1, q2 = capped_sizes(size, limit, pos)
        return b, a, q1, q2

    assert both(105, 99, 100, 105, 5.0, 10.0, 8) == (104, 101, 2.0, 5.0)
    assert both(101, 103, 100, 105, 5.0, 10.0, -10) == (101, 103, 5.0, 0.0)


# ----------------------------------------------------------------------------- max_orders against each strategy's bound

#: ladder_flatten reaching its 9 live orders: our inner bid (104, alone there) fills at 2000; the
#: call at 2100 sends an IOC sell at the local best bid 100, which has left the book when it
#: arrives (2200) and expires (heard at 2300); the book moves at 2150 (bid 100 gone, an ask at 109:
#: mid 104), so the call at 2250 replaces all four levels (sizes 1 and 2: no old order matches a
#: new level) with the IOC still live: 4 being cancelled + 4 new + 1 IOC.
_LADDER_EVENTS = [(1000, 1, 1, 100, 10), (1000, 1, 1, 99, 10), (1000, 1, -1, 110, 10), (1000, 1, -1, 111, 10),
                  (2000, 2, -1, 104, 1), (2150, 1, 1, 100, 0), (2150, 1, -1, 109, 10), (5000, 1, 1, 98, 5)]
_LADDER_PARAMS = {"size": 1, "outer_size": 2, "max_position": 100, "flatten_at": 0.5, "skew": 0, "slippage": 0}


def _ladder_cfg(max_orders: int):
    import mmsim

    lat = mmsim.LatencyConfig(feed=100, entry=100, response=100)
    return mmsim.Config(latency=lat, ladder_levels=2, max_orders=max_orders)


def test_ladder_flatten_below_its_live_order_bound_is_refused_before_the_run(monkeypatch):
    """max_orders 4 passed the load check (2 x ladder_levels) and the run stopped at 2100 (the IOC and the re-sent
    inner bid make 5 live orders). Its bound is 9: max_orders 8 is refused too, naming the key; without the check
    the guard stops the same events at 2250, where 9 are live; 9 runs to the end."""
    import mmsim
    from conftest import make_events

    ev = make_events(_LADDER_EVENTS)
    strategy = load_strategy("ladder_flatten", _LADDER_PARAMS)
    for n in (4, 8):
        with pytest.raises(ConfigError) as info:
            mmsim.run(ev, strategy, _ladder_cfg(n))
        assert str(info.value) == (
            f"max_orders: {n} is less than the 9 live orders strategy LadderFlatten can hold at once (its "
            "max_live_orders: working and replacement orders, those waiting for a cancel confirmation, explicit "
            "orders); raise max_orders to at least 9")
    res = mmsim.run(ev, strategy, _ladder_cfg(9))
    assert not res.partial and res.position == 0  # the second IOC (sell 1 at 99) flattened the inner bid's lot
    monkeypatch.setattr(mmsim.engine, "strategy_config_conflict", lambda s, c: None)
    with pytest.raises(StrategyError, match=r"^strategy LadderFlatten stopped at local time 2250 ns \(.*\): "
                                            r"more than max_orders=8 live orders "):
        mmsim.run(ev, strategy, _ladder_cfg(8))
    with pytest.raises(StrategyError, match=r"^strategy LadderFlatten stopped at local time 2100 ns \(.*\): "
                                            r"more than max_orders=4 live orders "):
        mmsim.run(ev, strategy, _ladder_cfg(4))


def test_ladder_flatten_under_one_level_and_single_level_quoters_under_four_orders_are_refused():
    """The other keys and strategies of the kind: ladder_flatten quotes 2 levels a side (ladder_levels 1 stopped
    the run at its first quote); the single-level built-ins hold at most 4 live orders (2 being cancelled, 2 new),
    so max_orders 3 is refused, 4 accepted; toxicity_pull declares no bound (it depends on the latencies)."""
    import mmsim
    from conftest import make_events
    from mmsim.engine import strategy_config_conflict

    ev = make_events(_LADDER_EVENTS)
    with pytest.raises(ConfigError, match=r"^ladder_levels: 1 is less than the 2 target levels per side strategy "
                                          r"LadderFlatten quotes; set ladder_levels to at least 2$"):
        mmsim.run(ev, load_strategy("ladder_flatten", _LADDER_PARAMS), mmsim.Config())
    for name in ("fixed_spread", "join_best", "inventory_skew", "avellaneda_stoikov", "signal_skew"):
        s = load_strategy(name, {})
        assert strategy_config_conflict(s, mmsim.Config(max_orders=4)) is None
        msg = strategy_config_conflict(s, mmsim.Config(max_orders=3))
        assert msg is not None and msg.startswith("max_orders: 3 is less than the 4 live orders strategy ")
    py = load_strategy("fixed_spread", {}).kind.python_class()  # the Python path of the same rule
    assert strategy_config_conflict(py, mmsim.Config(max_orders=3)).startswith("max_orders: 3 is less than the 4")
    assert strategy_config_conflict(load_strategy("toxicity_pull", {}), mmsim.Config(max_orders=1)) is None
    with pytest.raises(ConfigError, match=r"^run 1 \(FixedSpread\): max_orders: 2 is less than the 4 live orders strategy "):
        mmsim.run_many(ev, [(load_strategy("fixed_spread", {}), mmsim.Config()),
                            (load_strategy("fixed_spread", {}), mmsim.Config(max_orders=2))])


def test_an_unusable_declaration_is_refused_by_run():
    """A max_live_orders or ladder_levels_used that is not an integer within its key's bound
    (True, 0, 1.5, 5000) was ignored, so the run went on unchecked; it is a ConfigError naming it."""
    import mmsim
    from conftest import make_events

    ev = make_events(_LADDER_EVENTS)
    for name, value, high, key in (("max_live_orders", True, 4096, "max_orders"),
                                   ("max_live_orders", 1.5, 4096, "max_orders"),
                                   ("max_live_orders", 5000, 4096, "max_orders"),
                                   ("ladder_levels_used", 0, 16, "ladder_levels")):
        s = load_strategy("fixed_spread", {}).kind.python_class()
        setattr(s, name, value)
        with pytest.raises(ConfigError, match=rf"^strategy .* declares {name} = {value!r}; it must be an integer "
                                              rf"from 1 to {high} \(the most {key} allows\), so the config cannot "
                                              r"be checked against it$"):
            mmsim.run(ev, s, mmsim.Config())


def test_check_strategy_returns_what_the_spec_names_and_conflicts_name_it():
    """check_strategy returns the object resolve_strategy gives (the sweep reads its
    declarations from it, resolving once); strategy_config_conflict names a numba type by
    its rule, a class or a factory function by its own name (not 'property' or 'function')."""
    import mmsim
    from mmsim.engine import strategy_config_conflict
    from mmsim.plugins import check_strategy

    obj = check_strategy("ladder_flatten", {})
    assert obj is resolve_strategy("ladder_flatten")
    assert strategy_config_conflict(obj, mmsim.Config(max_orders=8, ladder_levels=2)).startswith(
        "max_orders: 8 is less than the 9 live orders strategy LadderFlatten can hold at once")

    class Holder(Strategy):
        max_live_orders = 6

        def quote(self, view):
            return None

    def make_holder():
        return Holder()

    make_holder.max_live_orders = 7
    assert strategy_config_conflict(Holder, mmsim.Config(max_orders=5)).startswith(
        "max_orders: 5 is less than the 6 live orders strategy Holder can hold at once")
    assert strategy_config_conflict(make_holder, mmsim.Config(max_orders=5)).startswith(
        "max_orders: 5 is less than the 7 live orders strategy make_holder can hold at once")
    assert strategy_config_conflict(Holder(), mmsim.Config(max_orders=5)).startswith(
        "max_orders: 5 is less than the 6 live orders strategy Holder can hold at once")


def test_a_plugin_helper_beside_it_needs_the_module_path_and_the_error_says_so(tmp_path, monkeypatch):
    """docs/strategies.md ("Helper files"): a helper file beside the plugin is imported as a module,
    so its folder must be on the module path. Without it the error was a bare "No module named";
    it now names the file and the PYTHONPATH to set. mmsim does not add the folder itself (two
    plugins' helpers.py would share one module). With the folder on the path it works, including
    a helper reached as a module attribute."""
    import uuid

    name = f"plugin_helpers_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "plug"
    folder.mkdir()
    (folder / f"{name}.py").write_text("SIZE = 3.0\n\ndef offset():\n    return 2\n")
    (folder / "quoter.py").write_text(textwrap.dedent(f"""
        import mmsim
        from {name} import offset
        import {name} as h

        class Q(mmsim.Strategy):
            def quote(self, view):
                return mmsim.Quote(view.best_bid - offset(), h.SIZE, view.best_ask + offset(), h.SIZE)
    """))
    monkeypatch.chdir(tmp_path)  # not the plugin's folder
    monkeypatch.setattr(sys, "path", list(sys.path))
    path = folder.resolve()
    with pytest.raises(StrategyError) as exc:
        load_strategy(str(folder / "quoter.py") + ":Q", {})
    assert str(exc.value) == (f"strategy file {path / 'quoter.py'} failed to import: ModuleNotFoundError: No module "
                              f"named '{name}' (quoter.py line 3); {name}.py beside it is imported as a module, so its folder must be on "
                              f"the module path: PYTHONPATH={path} (docs/strategies.md, \"Helper files\")")
    assert str(path) not in sys.path
    # A module missing everywhere (not a file beside the plugin) gets no such hint.
    (folder / "other.py").write_text("import no_such_module_anywhere_xyz\n")
    with pytest.raises(StrategyError) as exc:
        load_strategy(str(folder / "other.py") + ":Q", {})
    assert str(exc.value).endswith("ModuleNotFoundError: No module named 'no_such_module_anywhere_xyz' (other.py line 1)")
    sys.path.insert(0, str(path))
    try:
        strat = load_strategy(str(folder / "quoter.py") + ":Q", {})
        from mmsim.strategy import View

        q = strat.quote(View(book_view(bid=100, ask=101)))
        assert (q.bid_px, q.bid_qty, q.ask_px, q.ask_qty) == (98, 3.0, 103, 3.0)
    finally:
        sys.modules.pop(name, None)


SLOW_IMPORT = """import time

import mmsim

with open({log!r}, "a") as f:
    f.write("x")
time.sleep(0.3)  # a heavy import (pandas, sklearn...)
{tail}

class Q(mmsim.Strategy):
    def quote(self, view):
        return None
"""


@pytest.mark.parametrize("tail", ["", "raise RuntimeError('no licence')"], ids=["imports", "fails"])
def test_two_threads_loading_one_strategy_file_wait_for_one_import(tmp_path, tail):
    # Two sweep tasks on one Dask worker (two threads) load the same file: the second took the module
    # from sys.modules half-executed, "strategy file ... has no strategy named 'Q'".
    import threading

    log = tmp_path / "imports.log"
    path = tmp_path / "slow_import.py"
    path.write_text(SLOW_IMPORT.format(log=str(log), tail=tail))
    outcomes: list[str] = []

    def load() -> None:
        try:
            outcomes.append(type(load_strategy(f"{path}:Q", {})).__name__)
        except StrategyError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if tail:  # each thread imports it in turn (a failed import is not kept) and says why it failed
        line = SLOW_IMPORT.format(log=str(log), tail=tail).splitlines().index(tail) + 1
        assert outcomes == [f"strategy file {path} failed to import: RuntimeError: no licence (slow_import.py line {line})"] * 2
        assert log.read_text() == "xx"
    else:  # executed once, both get the strategy
        assert outcomes == ["Q", "Q"]
        assert log.read_text() == "x"
