"""Run by tests/test_ctrl_c.py in a subprocess: the interpreter exits while a replay runs in a daemon thread.

``python _exit_daemon.py STORE MODE``; MODE is ``python`` (a Python strategy), ``numba+progress``
(a numba one, with a progress callback: the pass in its own thread), ``many`` (a numba run
and a Python one), ``bbo`` or ``signals`` (``mmsim.replay_bbo`` or ``mmsim.signals.compute``
called again and again): the main thread prints ``started`` once the pass is inside the engine, and
ends. An ``atexit`` callback registered before mmsim is imported (so it runs after mmsim's
own) prints what the replay's call raised, once its thread has it. ``late``: no daemon
thread; an atexit callback that runs after mmsim's replays a few events on the main thread,
which must not be stopped.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time

RAISED: list[BaseException] = []
DONE = threading.Event()


def report() -> None:
    DONE.wait(10)
    for exc in RAISED:
        parts = getattr(exc, "partials", [])
        print(f"{type(exc).__name__}: {len(parts)} partial result(s)")
        for r in parts:
            print(f"partial={r.partial} reason={r.stop_reason!r}")
    sys.stdout.flush()


atexit.register(report)


def late() -> None:
    """``late``: a replay in an atexit callback that runs after mmsim's (on the main thread)."""
    import numpy as np

    import mmsim

    ev = np.zeros(3, dtype=mmsim.EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = [1000, 1000, 2000]
    ev["kind"] = int(mmsim.Kind.DEPTH)
    ev["side"] = [1, -1, 1]
    ev["price"] = [100, 101, 100]
    ev["qty"] = [10, 10, 11]

    class Quiet(mmsim.Strategy):
        def quote(self, view):
            return None

    r = mmsim.run(ev, Quiet())
    print(f"late run: partial={r.partial} calls={r.n_calls}", flush=True)


if sys.argv[2:] == ["late"]:
    atexit.register(late)

import mmsim  # noqa: E402  (after the callback above: atexit runs the last registered first)
from _ctrl_c import Sleeper, spinner  # noqa: E402  (tests/_ctrl_c.py's strategies)


def in_pass() -> bool:
    """A thread is in the lambda that calls the compiled pass (engine._pass)."""
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_name == "<lambda>" and frame.f_code.co_filename.endswith(
                    ("engine.py", "replay.py", "signals.py")):
                return True
            frame = frame.f_back
    return False


def main() -> int:
    store, mode = sys.argv[1], sys.argv[2]
    if mode == "late":
        return 0
    events = mmsim.load(store)
    fast = mmsim.Config(decide_every=100, decision_log=False)
    slow = mmsim.Config(decide_every=100_000)
    spinner(spin=200.0)._mmsim_native_()

    def replay() -> None:
        try:
            if mode in ("bbo", "signals"):
                for _ in range(10**6):
                    mmsim.replay_bbo(events) if mode == "bbo" else mmsim.signals.compute(events)
            elif mode == "python":
                mmsim.run(events, Sleeper(), slow)
            elif mode == "numba+progress":
                mmsim.run(events, spinner(spin=200.0), fast, progress=lambda done, total: None)
            else:
                mmsim.run_many(events, [(spinner(spin=200.0), fast), (Sleeper(), slow)])
            print("completed", flush=True)
        except BaseException as exc:
            RAISED.append(exc)
        finally:
            DONE.set()

    threading.Thread(target=replay, name="replay", daemon=True).start()
    while not in_pass():
        time.sleep(0.01)
    print("started", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
