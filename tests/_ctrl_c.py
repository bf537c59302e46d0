"""Run by tests/test_ctrl_c.py in a subprocess: a long replay that the test stops with SIGINT.

``python _ctrl_c.py STORE MODE``; MODE is ``run-numba``, ``run-python`` or ``many`` (two
numba runs and a Python one), ``run-swallow`` or ``many-swallow`` (a Python strategy that
catches KeyboardInterrupt itself, alone or two in a pass), with
``+progress`` for a progress callback. Prints ``started``
once a thread is inside the compiled pass, then what the KeyboardInterrupt carried, the
threads left, and exits 0; ``completed`` and exit 1 if the replay ended on its own.
"""

from __future__ import annotations

import sys
import threading
import time

import mmsim
from mmsim.numba_strategy import numba_strategy


@numba_strategy(params={"spin": 200.0})
def spinner(view, params, state, out):
    x = 0.0
    for k in range(int(params.spin)):
        x += k * 1e-9
    out.bid_px = view.best_bid - 5 + (x > 1e300)
    out.bid_qty = 1.0
    out.ask_px = view.best_ask + 5
    out.ask_qty = 1.0
    return 1


class Sleeper(mmsim.Strategy):
    def quote(self, view):
        time.sleep(0.001)
        return None


class Swallower(mmsim.Strategy):
    """Catches everything, KeyboardInterrupt too (a bare ``except:``)."""

    def quote(self, view):
        try:
            time.sleep(0.001)
        except BaseException:
            pass
        return None


def in_pass() -> bool:
    """A thread is in the lambda that calls the compiled pass (engine._pass)."""
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_name == "<lambda>" and frame.f_code.co_filename.endswith("engine.py"):
                return True
            frame = frame.f_back
    return False


def watch() -> None:
    while not in_pass():
        time.sleep(0.01)
    print("started", flush=True)


def progress_raises(store: str, mode: str) -> int:
    """``raises-numba`` / ``raises-python``: the progress callback raises on its third call (no SIGINT)."""
    events = mmsim.load(store)
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise RuntimeError("the progress bar broke")

    try:
        if mode == "raises-numba":
            mmsim.run(events, spinner(spin=200.0), mmsim.Config(decide_every=100, decision_log=False), progress=progress)
        else:
            mmsim.run(events, Sleeper(), mmsim.Config(decide_every=100_000), progress=progress)
    except RuntimeError as exc:
        print(f"RuntimeError: {exc}")
        print("threads:", sorted(t.name for t in threading.enumerate()))
        return 0
    print("completed")
    return 1


def main() -> int:
    store, mode = sys.argv[1], sys.argv[2]
    if mode.startswith("raises-"):
        return progress_raises(store, mode)
    events = mmsim.load(store)
    # A call every 100 ns: 2e8 calls over 20 s, whose decision log (over 10 GiB)
    # would not fit in memory, so it is off (mmsim refuses such a run before it starts).
    fast = mmsim.Config(decide_every=100, decision_log=False)
    slow = mmsim.Config(decide_every=100_000)     # 2e5 calls of 1 ms
    spinner(spin=200.0)._mmsim_native_()          # compiled before the watch starts
    progress = (lambda done, total: None) if mode.endswith("+progress") else None
    threading.Thread(target=watch, name="watch", daemon=True).start()
    try:
        if mode.startswith("run-numba"):
            mmsim.run(events, spinner(spin=200.0), fast, progress=progress)
        elif mode.startswith("run-python"):
            mmsim.run(events, Sleeper(), slow, progress=progress)
        elif mode.startswith("run-swallow"):
            mmsim.run(events, Swallower(), slow, progress=progress)
        elif mode.startswith("many-swallow"):
            mmsim.run_many(events, [(Swallower(), slow), (Swallower(), slow)], progress=progress,
                           return_exceptions=True)
        else:
            mmsim.run_many(events, [(spinner(spin=200.0), fast), (Sleeper(), slow), (spinner(spin=100.0), fast)],
                           progress=progress, return_exceptions=True)
    except KeyboardInterrupt as exc:
        parts = exc.partials
        print(f"KeyboardInterrupt: {len(parts)} partial result(s)")
        last = int(events.events["exch_ts"][-1])
        for r in parts:
            print(f"partial={r.partial} reason={r.stop_reason!r} before_end={r.stop_ts < last}")
        if mode.startswith("run"):
            print(f"exc.partial is partials[0]: {exc.partial is parts[0]}")
        print("threads:", sorted(t.name for t in threading.enumerate() if t.name != "watch"))
        return 0
    print("completed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
