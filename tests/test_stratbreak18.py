"""Breaker 18: the strategy API as a plugin author meets it (docs/strategies.md).

Each finding has a test pinning the right behaviour and a second case of the same kind;
those that needed the C++ engine were strict xfails; finding 9 (a fraction in an integer field of out) is
refused before the run since 19 (tests/test_int_writes19.py).
"""

from __future__ import annotations

import copy
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from numba import njit

import mmsim
from mmsim.errors import StrategyError
from mmsim.numba_strategy import numba_strategy
from mmsim.records import VIEW_DTYPE
from mmsim.strategy import Quote, View
from test_compare_digest import NS0, l2_events

# l2_events: bid 200 x 5 / ask 202 x 4 ticks at NS0, sizes moving every half second; with the default zero
# feed latency the local side learns each event at its exchange time, NS0 first.
T0 = "1700000000000000000 ns (2023-11-14T22:13:20.000000000Z)"


def book_view(bid=200, ask=202, qty=5, ts=NS0) -> View:
    v = np.zeros((), dtype=VIEW_DTYPE)
    v["best_bid"], v["best_ask"], v["bid_qty"], v["ask_qty"], v["ts"] = bid, ask, qty, qty, ts
    return View(v)


def prices(result) -> set[int]:
    return {int(p) for p in result.orders["price"]}


# -- rules (module level, so numba can cache them) ---------------------------------------------


@numba_strategy(params={"size": 1.0, "half_spread": 1.0}, state_size=1)
def widens_params_once(view, params, state, out):
    """Quotes mid -/+ (half_spread + 1): the first call of a run adds 1 to params.half_spread (a stray write)."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if state[0] == 0.0:
        params.half_spread += 1.0
        state[0] = 1.0
    mid = 0.5 * (view.best_bid + view.best_ask)
    out.bid_px = mid - params.half_spread
    out.ask_px = mid + params.half_spread
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


@numba_strategy(params={"size": 1.0})
def zeroes_a_depth_price(view, params, state, out):
    view.bid_depth_px[0] = 0.0  # a stray write into an array field of the view
    return 0


@numba_strategy(params={"size": 1.0})
def sorts_depth_in_place(view, params, state, out):
    view.ask_depth_qty.sort()  # in place: a write into the view
    return 0


@numba_strategy(params={"size": 1.0})
def marks_position(view, params, state, out):
    """Quotes the touch and writes 100 into view.position (a stray write); pulls both sides when it reads 100."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    if view.position == 100.0:
        out.bid_qty = 0.0
        out.ask_qty = 0.0
        return 1
    view.position = 100.0
    out.bid_px = view.best_bid
    out.ask_px = view.best_ask
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


@numba_strategy(params={"size": 1.0})
def pushes_depth(view, params, state, out):
    """Moves the view's best depth level out one tick a call (a stray write) and quotes there: on a fresh view each
    call, one tick outside the touch (199 / 203); on a view that keeps the write, one more tick out at every call."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    view.bid_depth_px[0] -= 1.0
    view.ask_depth_px[0] += 1.0
    out.bid_px = view.bid_depth_px[0]
    out.ask_px = view.ask_depth_px[0]
    out.bid_qty = params.size
    out.ask_qty = params.size
    return 1


# -- finding 1: a compiled rule's write into params outlived its run on the Python path ----------


def test_a_params_write_lasts_one_run_on_the_python_path_as_on_the_fast_path():
    """The rule writes params.half_spread once a run (1 -> 2): every run quotes 201 -/+ 2 = 199 / 203, on both
    paths. The Python path (``.python()``, the compiled rule called from Python) kept the write into its next
    run: 1 -> 2 -> 3, its second run quoted 198 / 204 where the fast path's quoted 199 / 203."""
    ev = l2_events(20)
    fast = widens_params_once()
    slow = widens_params_once.python()
    runs = [mmsim.run(ev, s) for s in (fast, fast, slow, slow)]
    assert [prices(r) for r in runs] == [{199, 203}] * 4
    assert runs[3].orders.tobytes() == runs[0].orders.tobytes()
    assert slow.params == {"size": 1.0, "half_spread": 1.0}


def test_a_python_path_rule_called_by_hand_before_its_run_starts_the_run_from_its_parameters():
    """A unit test calling ``quote()`` by hand (the rule writes params then) and then a run: the run starts from
    the parameters given, 199 / 203 (before, 198 / 204: the hand call's write and the run's own)."""
    slow = widens_params_once.python()
    assert slow.quote(book_view()) == Quote(199.0, 1.0, 203.0, 1.0)
    assert prices(mmsim.run(l2_events(20), slow)) == {199, 203}


# -- finding 2: pure=True did not catch a write into an array field of the view ------------------


def test_pure_python_path_refuses_a_write_into_an_array_field_of_the_view():
    """docs/strategies.md: ``pure=True`` catches a stray write. ``view.bid_depth_px[0] = 0.0`` went through (the
    arrays were writable numpy views of the engine's record), so the rule ran on a view it had changed."""
    s = zeroes_a_depth_price.python(pure=True)
    with pytest.raises(ValueError, match=r"^assignment destination is read-only$"):
        s.quote(book_view())
    line = zeroes_a_depth_price.py_rule.__code__.co_firstlineno + 2  # (the decorator's line, then the def)
    with pytest.raises(StrategyError) as info:
        mmsim.run(l2_events(4), zeroes_a_depth_price.python(pure=True))
    assert str(info.value) == (f"strategy zeroes_a_depth_price raised ValueError in quote() at local time {T0}: "
                               f"assignment destination is read-only (test_stratbreak18.py line {line})")
    assert info.value.partial.partial is True


def test_pure_python_path_refuses_an_in_place_sort_of_a_view_field_and_out_stays_writable():
    s = sorts_depth_in_place.python(pure=True)
    with pytest.raises(ValueError, match=r"^sort array is read-only$"):
        s.quote(book_view())
    # out's arrays are the rule's to write: a ladder on the pure path still works
    from mmsim.numba_strategy import _RecordWriter

    out = np.zeros((), dtype=mmsim.records.QUOTE_DTYPE)
    w = _RecordWriter(out)
    w.bid_ladder_px[1] = 7.0
    assert out["bid_ladder_px"][1] == 7.0


# -- finding 3: copy.copy / deepcopy / pickle of a view recursed without end ----------------------


class KeepsCopies(mmsim.Strategy):
    """Keeps a copy of every view by ``how`` (and the ts it read at the call)."""

    def __init__(self, how):
        self.how = how

    def reset(self):
        self.kept, self.seen = [], []

    def quote(self, view):
        self.seen.append((view.ts, view.bid_qty))
        self.kept.append(self.how(view))
        return None


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_a_copied_view_is_a_snapshot(how):
    """docs/strategies.md: the record is reused between calls, copy what you keep. ``copy.copy(view)`` raised
    RecursionError (``__getattr__`` looked up the unset ``_rec`` of the new object through itself); each copy
    is now the view as it was at its call, as ``view.copy()`` is."""
    s = KeepsCopies(how)
    mmsim.run(l2_events(6), s)
    assert len(s.kept) == 6
    assert [(v.ts, v.bid_qty) for v in s.kept] == s.seen
    assert s.seen[0] == (NS0, 5)
    assert s.seen[1] == (NS0 + 500_000_000, 6)


def test_a_pickled_view_is_a_snapshot():
    v = book_view(bid=199, ask=203)
    back = pickle.loads(pickle.dumps(v))
    assert (back.best_bid, back.best_ask, back.ts) == (199, 203, NS0)
    assert back._rec is not v._rec


# -- finding 4: an exception in reset() escaped bare, naming no strategy --------------------------


class ResetDivides(mmsim.Strategy):
    def reset(self):
        self.n = 1 / 0

    def quote(self, view):
        return None


class ResetExits(mmsim.Strategy):
    def reset(self):
        sys.exit(3)

    def quote(self, view):
        return None


def test_an_exception_in_reset_is_a_strategy_error_naming_the_strategy():
    """``mmsim.run`` raised the bare ZeroDivisionError: no strategy named, not a StrategyError (``mmsim run``
    printed a traceback)."""
    line = ResetDivides.reset.__code__.co_firstlineno + 1
    with pytest.raises(StrategyError) as info:
        mmsim.run(l2_events(4), ResetDivides())
    assert str(info.value) == ("strategy ResetDivides raised ZeroDivisionError in reset() before the run: "
                               f"division by zero (test_stratbreak18.py line {line})")
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_sys_exit_in_reset_in_a_pass_of_several_names_the_run():
    """A ``sys.exit(3)`` in reset() ended the caller (SystemExit) with no word."""
    line = ResetExits.reset.__code__.co_firstlineno + 1
    with pytest.raises(StrategyError) as info:
        mmsim.run_many(l2_events(4), [(KeepsCopies(copy.copy), None), (ResetExits(), None)])
    assert str(info.value) == ("run 1 (ResetExits): strategy ResetExits raised SystemExit in reset() before the run: 3 "
                               f"(test_stratbreak18.py line {line})")


# -- finding 5 (C++): a compiled rule that never returns cannot be stopped by Ctrl-C ---------------

SPIN = textwrap.dedent('''
    import sys
    import numpy as np
    import mmsim

    @mmsim.numba_strategy(state_size=1)
    def spins(view, params, state, out):
        while state[0] >= 0.0:   # never returns (2^53 + 1 == 2^53)
            state[0] += 1.0
        return 0

    ev = np.zeros(2, dtype=mmsim.EVENT_DTYPE)
    for i, side in enumerate((1, -1)):
        ev[i] = (1000, 1000, 200 if side == 1 else 202, 5, 0, int(mmsim.Kind.DEPTH), side)
    class Swallows(mmsim.Strategy):
        """Never returns, and swallows every Ctrl-C that reaches it."""

        def quote(self, view):
            while True:
                try:
                    sum(range(10_000))
                except BaseException:
                    pass

    s = Swallows() if sys.argv[1] == "python" else spins()
    progress = (lambda done, total: None) if sys.argv[1] == "progress" else None
    print("running", flush=True)
    try:
        if sys.argv[1] == "run_many":
            mmsim.run_many(ev, [(s, None), (None, None)])
        else:
            mmsim.run(ev, s, progress=progress)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
''')


LAST_ERR = [""]  # what the last spin_then_ctrl_c's process wrote to stderr


def spin_then_ctrl_c(tmp_path, mode: str) -> int | None:
    """Run SPIN in a new process, press Ctrl-C twice once it runs; its exit status, or None if it still runs 5 s on."""
    script = tmp_path / "spin.py"
    script.write_text(SPIN)
    p = subprocess.Popen([sys.executable, str(script), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert p.stdout is not None and p.stdout.readline() == "running\n"
        time.sleep(1.0)
        for _ in range(2):  # a second Ctrl-C too
            p.send_signal(signal.SIGINT)
            time.sleep(0.5)
        LAST_ERR[0] = p.communicate(timeout=5)[1].strip()
        return p.returncode
    except subprocess.TimeoutExpired:
        return None
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def test_two_ctrl_c_leave_a_compiled_rule_that_never_returns_when_the_pass_runs_on_a_thread(tmp_path):
    """With a progress callback the pass runs on a worker thread: the first Ctrl-C asks it to stop (the rule never
    gives the loop back), the second leaves (KeyboardInterrupt in the caller), as docs/engine.md says."""
    assert spin_then_ctrl_c(tmp_path, "progress") == 130


@pytest.mark.parametrize("mode", ["run", "run_many", "python"])
def test_ctrl_c_stops_a_compiled_rule_that_never_returns_on_the_calling_thread(tmp_path, mode):
    """Without a progress callback the pass runs on the calling thread, where Python's handler only sets a flag the
    loop reads every 4,096 events: Ctrl-C (twice) did nothing, the process spun until it was killed (stratbreak18).
    The pass's own SIGINT handler (cpp/python/bind_engine.cpp ``SecondSigintExits``) leaves the first Ctrl-C to
    Python and ends the process at the second, status 130, with one line (lead session 18). The second case
    (``python``): a Python strategy that never returns and swallows each KeyboardInterrupt its call gets."""
    assert spin_then_ctrl_c(tmp_path, mode) == 130
    assert LAST_ERR[0] == ("mmsim: interrupted: a second Ctrl-C while the strategy had not given the engine back its "
                           "loop since the first (a call that does not return); exiting with status 130")


# -- finding 6 (C++): a compiled rule writing into the view runs differently on the two paths -----


def outcome(strategy, events):
    try:
        r = mmsim.run(events, strategy)
    except StrategyError as exc:
        return str(exc)
    return (len(r.orders), r.orders.tobytes(), r.fills.tobytes())


@pytest.mark.parametrize("rule", [marks_position, pushes_depth], ids=["position", "depth"])
def test_a_rule_writing_into_the_view_runs_alike_on_both_paths(rule):
    """NativeStrategy::quote hands the compiled rule the engine's own View, rewritten only in the parts that change,
    so a stray write may still be there at later calls; the Python twin's adapter copied the whole View into its
    record before every call and never saw it: marks_position logged 472 order rows on the fast path and 4 on the
    Python path, silently (stratbreak18). The Python adapter now copies its record back into the engine's View
    after the call (lead session 18: a copy on the fast path would cost each call a 1,624-byte memcpy), so both
    paths run the same compiled code on the same View."""
    ev = l2_events(60)
    assert outcome(rule(), ev) == outcome(rule.python(), ev)


@pytest.mark.parametrize("rule", [marks_position, pushes_depth], ids=["position", "depth"])
def test_a_rule_writing_into_the_view_runs_alike_alone_and_in_a_pass_of_several(rule):
    """The second case: each run of a pass has its own View, so a stray write stays in its run (run_many's results
    are run's, bit for bit, beside another strategy and on the Python path)."""
    from mmsim.strategies.fixed_spread import FixedSpread

    ev = l2_events(60)
    cfg = mmsim.Config()
    many = mmsim.run_many(ev, [(rule(), cfg), (FixedSpread(half_spread=1, size=1), cfg), (rule.python(), cfg)],
                          return_exceptions=True)
    for i, got, alone in ((0, many[0], rule()), (2, many[2], rule.python())):
        want = outcome(alone, ev)
        if isinstance(got, BaseException):  # the same stop, its message prefixed by the run it stopped
            assert isinstance(want, str) and str(got) == f"run {i} ({got.partial.strategy}): {want}"
        else:
            assert (len(got.orders), got.orders.tobytes(), got.fills.tobytes()) == want


# -- finding 7: a Python strategy from a plugin file could not be pickled into another process ----

PLUGIN = textwrap.dedent('''
    import mmsim


    class Lean(mmsim.Strategy):
        """Quotes 201 -/+ half_spread (the mid of l2_events' book), 1 lot a side."""

        def __init__(self, half_spread=2):
            self.half_spread = half_spread

        def quote(self, view):
            if view.bid_qty <= 0 or view.ask_qty <= 0:
                return None
            mid = 0.5 * (view.best_bid + view.best_ask)
            return mmsim.Quote(mid - self.half_spread, 1, mid + self.half_spread, 1)


    def make_lean(half_spread):
        return Lean(half_spread=half_spread)
''')

UNPICKLE = textwrap.dedent('''
    import pickle, sys
    import mmsim
    from test_compare_digest import l2_events

    s = pickle.loads(sys.stdin.buffer.read())
    r = mmsim.run(l2_events(20), s)
    print(type(s).__name__, sorted({int(p) for p in r.orders["price"]}))
''')


@pytest.mark.parametrize("spec, params, half", [("plug.py:Lean", {}, 2), ("plug.py:make_lean", {"half_spread": 3}, 3)],
                         ids=["class", "factory"])
def test_a_plugin_files_python_strategy_pickles_into_a_new_process(tmp_path, spec, params, half):
    """A class from a plugin file lives in the module ``_mmsim_plugin_<stem>_<hash>``, which a new process
    cannot import: unpickling it (multiprocessing, joblib, Dask) raised ModuleNotFoundError. It is pickled by its
    file now, as a numba strategy type is, and the new process runs it: 201 -/+ half."""
    (tmp_path / "plug.py").write_text(PLUGIN)
    s = mmsim.load_strategy(str(tmp_path / spec), params)
    p = subprocess.run([sys.executable, "-c", UNPICKLE], input=pickle.dumps(s), capture_output=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert p.stderr.decode()[-400:] == "" and p.returncode == 0
    assert p.stdout.decode() == f"Lean [{201 - half}, {201 + half}]\n"
    assert copy.deepcopy(s).half_spread == half


# -- finding 8: a rule's parameter named pure was swallowed by .python(pure=...) ------------------


def rule_body(view, params, state, out):
    return 0


@pytest.mark.parametrize("name, why", [
    ("pure", "my_rule.python(pure=...) chooses the plain Python path, so the parameter would never be set"),
    ("self", "my_rule(self=...) cannot pass it (Python gives self the strategy type)"),
], ids=["pure", "self"])
def test_a_parameter_name_the_strategy_api_takes_is_refused_when_declared(name, why):
    """``@numba_strategy(params={"size": 1.0, "pure": 2.0})``: ``rule.python(pure=5.0)`` ran the plain Python path
    with pure = 2 (the default), where the fast path ``rule(pure=5.0)`` quoted with 5, silently (198 / 204 against
    195 / 207 on l2_events); ``rule(pure=5.0).python()`` raised TypeError. ``self`` could not be passed at all."""
    with pytest.raises(StrategyError) as info:
        numba_strategy(params={"size": 1.0, name: 2.0})(rule_body)
    assert str(info.value) == f"strategy rule_body: parameter name {name!r} is taken: {why}; name it otherwise"


# -- finding 9: a fraction written into an integer field of out was cut, silently -----------------


@njit
def ladder(view, size, n, out):
    """A rule's ladder: ``n`` levels a side from the touch out, one tick apart, ``size`` lots each (the level counts
    are the rule's own writes)."""
    for k in range(n):
        out.bid_ladder_px[k] = view.best_bid - k
        out.bid_ladder_qty[k] = size
        out.ask_ladder_px[k] = view.best_ask + k
        out.ask_ladder_qty[k] = size


@numba_strategy(params={"size": 1.0, "levels": 2.0})
def levels_from_params(view, params, state, out):
    """Quotes ``levels`` levels a side from the touch out, one tick apart (``levels`` is a float64, as every param)."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out.n_bid_levels = params.levels
    out.n_ask_levels = params.levels
    ladder(view, params.size, 3, out)
    return 1


@numba_strategy(params={"direction": 1.0}, state_size=1)
def ioc_from_params(view, params, state, out):
    """One IOC of 1 lot at the touch, on the side ``direction`` says (+1 buy, -1 sell), at the first call."""
    if view.bid_qty <= 0 or view.ask_qty <= 0 or state[0] > 0:
        return 0
    state[0] = 1.0
    out.n_orders = 1
    out.order_type[0] = 2  # IOC
    out.order_side[0] = params.direction
    out.order_px[0] = view.best_ask if params.direction > 0 else view.best_bid
    out.order_qty[0] = 1.0
    return 0


@numba_strategy(params={"size": 1.0}, state_size=1)
def levels_from_view(view, params, state, out):
    """Quotes ``bid_qty / 2`` levels a side: a count the view decides, so no check before the run can see it."""
    if view.bid_qty <= 0 or view.ask_qty <= 0:
        return 0
    out.n_bid_levels = view.bid_qty / 2
    out.n_ask_levels = 1
    out.bid_ladder_px[0] = view.best_bid
    out.bid_ladder_qty[0] = params.size
    out.ask_ladder_px[0] = view.best_ask
    out.ask_ladder_qty[0] = params.size
    return 1


@numba_strategy(params={"size": 1.0}, state_size=1)
def ioc_side_from_view(view, params, state, out):
    """One IOC whose side is ``bid_qty / 10`` (0.5 on the book below): decided by the view, as above."""
    if state[0] > 0:
        return 0
    state[0] = 1.0
    out.n_orders = 1
    out.order_type[0] = 2  # IOC
    out.order_side[0] = view.bid_qty / 10
    out.order_px[0] = view.best_ask
    out.order_qty[0] = params.size
    return 0


def test_pure_python_path_refuses_a_fraction_in_an_integer_field_of_out():
    """``out.n_bid_levels = view.bid_qty / 2`` with 5 lots bid: 2.5, which numba's cast cuts to 2 levels,
    silently. The plain Python path refuses it when it is written. (A fraction from the parameters,
    ``out.n_bid_levels = params.levels``, is refused before the run on every path: tests/test_int_writes19.py.)"""
    line = levels_from_view.py_rule.__code__.co_firstlineno + 5  # the decorator, def, docstring, if, return, here
    with pytest.raises(StrategyError) as info:
        mmsim.run(l2_events(20), levels_from_view.python(pure=True), mmsim.Config(ladder_levels=3))
    assert str(info.value) == (
        f"strategy levels_from_view raised ValueError in quote() at local time {T0}: out.n_bid_levels = 2.5 is "
        f"not a whole number: it is an integer field, which the compiled rule would set to 2 silently "
        f"(test_stratbreak18.py line {line})")


def test_pure_python_path_refuses_a_fraction_in_an_integer_array_field_of_out():
    """``out.order_side[0] = view.bid_qty / 10`` with 5 lots bid: 0.5, cut to side 0 (the engine refuses it, but
    as ``order_side = 0``, a value the rule never wrote); with 10 lots bid, 1.0 is a whole number and goes
    through."""
    assert ioc_side_from_view.python(pure=True).quote(book_view(qty=10)).orders == (
        mmsim.Order(2, 1, 202.0, 1.0, 0),)
    with pytest.raises(ValueError) as info:
        ioc_side_from_view.python(pure=True).quote(book_view())
    assert str(info.value) == ("out.order_side[0] = 0.5 is not a whole number: it is an integer field, which the "
                               "compiled rule would set to 0 silently")


# -- finding 10: a pickled or copied Python twin forgot which parameters were defaults -------------


@pytest.mark.parametrize("how, fast", [("pickle", False), ("deepcopy", False), ("pickle", True)],
                         ids=["pickle", "deepcopy", "pickle-of-fast.python()"])
def test_a_copied_python_twin_still_warns_of_its_default_quantities(how, fast):
    """docs/strategies.md: on a lot of 1e-08, ``FixedSpread.python(half_spread=1)`` (or ``FixedSpread(half_spread=1)
    .python()``) warns that ``size`` is left at its default, 1 lot. Its pickle (a worker process) and its deepcopy
    rebuilt it with every parameter given, and the warning was gone: the run quoted 1e-08 BTC without a word."""
    from mmsim.errors import LotUnitWarning
    from mmsim.strategies.fixed_spread import FixedSpread

    made = FixedSpread(half_spread=1).python() if fast else FixedSpread.python(half_spread=1)
    twin = pickle.loads(pickle.dumps(made)) if how == "pickle" else copy.deepcopy(made)
    assert twin.params == {"half_spread": 1.0, "size": 1.0}
    with pytest.warns(LotUnitWarning) as got:
        mmsim.run(l2_events(4), twin, mmsim.Config(lot_size=1e-8))
    lines = [ln for w in got for ln in str(w.message).splitlines()]
    assert ("  size: 1 lot (the default) = 0.00000001 base units; in base units pass "
            "`size=mmsim.base(0.00000001, store)`") in lines


# -- finding 11: plugin import errors that named the wrong thing ----------------------------------


def test_a_module_plugin_whose_own_import_is_missing_is_not_reported_as_not_found(tmp_path, monkeypatch):
    """``strategy: {path: "mmx_strats:MM"}`` whose module imports a missing ``mmx``: "mmx_strats".startswith("mmx")
    made it ``strategy module 'mmx_strats' not found`` (a ConfigError: check the spelling), where the module is
    there and its dependency is missing. A missing package of the module's own path is still "not found"."""
    from mmsim.errors import ConfigError

    (tmp_path / "mmx_strats.py").write_text("import mmx\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(StrategyError) as info:
        mmsim.load_strategy("mmx_strats:MM")
    assert str(info.value) == "strategy module 'mmx_strats' failed to import: No module named 'mmx'"
    with pytest.raises(ConfigError) as missing:
        mmsim.load_strategy("mmx_nowhere.strats:MM")
    assert str(missing.value) == "strategy module 'mmx_nowhere.strats' not found"


def test_a_plugin_file_with_a_syntax_error_names_its_line_once(tmp_path):
    """``... failed to import: SyntaxError: expected ':' (syn.py, line 3) (syn.py line 3)``: the location twice."""
    (tmp_path / "syn.py").write_text("import mmsim\nclass S(mmsim.Strategy):\n    def quote(self, view)\n        return None\n")
    with pytest.raises(StrategyError) as info:
        mmsim.load_strategy(f"{tmp_path / 'syn.py'}:S")
    assert str(info.value) == (f"strategy file {tmp_path / 'syn.py'} failed to import: SyntaxError: expected ':' "
                               "(syn.py line 3)")


# -- finding 12: an integer price beyond 2**53 was refused under another number -------------------


class QuotesHuge(mmsim.Strategy):
    def quote(self, view):
        return Quote(2**53 + 1, 1, 2**53 + 3, 1)


def test_an_integer_price_beyond_2_53_is_refused_under_its_own_value():
    """``Quote(2**53 + 1, ...)`` stopped with ``quote bid_px = 9007199254740992 is out of range``: the float it
    became, a number the strategy never returned."""
    with pytest.raises(StrategyError) as info:
        mmsim.run(l2_events(4), QuotesHuge())
    assert str(info.value) == (f"strategy QuotesHuge returned an invalid quote at local time {T0}: quote bid_px = "
                               "9007199254740993 is out of range")


def test_an_integer_ladder_size_beyond_2_53_is_refused_under_its_own_value():
    with pytest.raises(TypeError) as info:
        Quote.ladder(bids=[(199, np.uint64(2**64 - 1))], asks=[])
    assert str(info.value) == "Quote.ladder: bids[0] size = 18446744073709551615 is out of range"


def test_a_syntax_error_in_a_plugins_helper_names_the_helpers_line_once(tmp_path, monkeypatch):
    (tmp_path / "lean_plug.py").write_text("import mmx_helper\n")
    (tmp_path / "mmx_helper.py").write_text("x = 1\ndef f(:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(StrategyError) as info:
        mmsim.load_strategy(f"{tmp_path / 'lean_plug.py'}:S")
    assert str(info.value) == (f"strategy file {tmp_path / 'lean_plug.py'} failed to import: SyntaxError: invalid "
                               "syntax (mmx_helper.py line 2)")
