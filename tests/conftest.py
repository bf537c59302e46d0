"""Shared fixtures: where the real data lives, and small event builders."""

from __future__ import annotations

import functools
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import mmsim

# A suite started as a background job of a non-interactive shell (`python -m pytest &` in a script, nohup) inherits
# SIGINT ignored, and so does every child it starts: the Ctrl-C tests' children (tests/_ctrl_c.py, the CLI) then
# never see the SIGINT they are sent and wait for the replay's end, or for ever for a marker (a hang, seen here).
# Ignored is inherited through exec, a handler is not: installing Python's own makes each child start with the
# default, as from a terminal. A suite started from a terminal is unchanged.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parents[1]
#: Real tick data lives in ../shared/data beside the checkout (CI lays it there).
SHARED_DATA = Path(os.environ.get("MMSIM_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_data(*parts: str) -> Path:
    """Path of a real data file, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (a fresh clone has no ../shared/data)")
    return path


def rewrite_meta(store: Path, **changes) -> dict:
    """Set ``changes`` in the store's meta.json and write its ``meta_digest`` for them, as a store written with these
    keys has it (fix34c): a test that makes another store of the same events (another venue, contract size, zone,
    levels) by editing meta.json, to test something else than the refusal of a hand edit. Returns the meta."""
    import json

    from mmsim.data._meta_digest import meta_digest

    path = Path(store) / "meta.json"
    meta = {**json.loads(path.read_text()), **changes}
    meta["meta_digest"] = meta_digest(meta)
    path.write_text(json.dumps(meta))
    return meta


def make_events(rows) -> np.ndarray:
    """Build an event array from (exch_ts, kind, side, price, qty[, order_id[, local_ts]]) tuples."""
    ev = np.zeros(len(rows), dtype=mmsim.EVENT_DTYPE)
    for i, row in enumerate(rows):
        exch_ts, kind, side, price, qty, *rest = row
        ev[i]["exch_ts"] = exch_ts
        ev[i]["kind"] = int(kind)
        ev[i]["side"] = int(side)
        ev[i]["price"] = price
        ev[i]["qty"] = qty
        ev[i]["order_id"] = rest[0] if len(rest) > 0 else 0
        ev[i]["local_ts"] = rest[1] if len(rest) > 1 else exch_ts
    return ev


@functools.lru_cache(maxsize=2)
def synth_day(fmt: str = "l3"):
    """Five minutes of the seeded synthetic market (mmsim.synth): the invariants' data in a fresh clone.

    Tests that check an invariant on real data (numba and Python paths agree, PnL
    reconciles exactly) run it on this market too, so they run everywhere, with or
    without ../shared/data.
    """
    from mmsim.synth import SynthConfig, simulate

    return simulate(SynthConfig(seed=20240102, duration=300 * 1_000_000_000, format=fmt))


@pytest.fixture(scope="session")
def real_store(tmp_path_factory):
    """``real_store(fmt, *parts, **kwargs)``: the store of one real data file, converted once per session.

    The same conversion (format, file, its size and time stamp, keyword arguments) gives the same store, so
    tests that only read a real day share one conversion instead of each making its own. Each call opens
    the store afresh (``mmsim.data.load``); a test that writes into it, or a file changed under it, fails
    the next call by name. A test of the conversion itself (errors, options, the CLI) converts its own.

    Under pytest-xdist (``-n``) the workers of one session share the conversions too: the first worker to
    need a store converts it into the session's common temporary folder while holding a lock on it, and the
    others wait for it and open the same files.
    """
    import fcntl
    import hashlib

    from mmsim.data import converter, load

    made: dict[tuple, tuple[Path, dict[str, tuple[int, int]]]] = {}
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # xdist gives each worker its own base folder inside the session's: the parent is common to the workers.
    shared_root = tmp_path_factory.getbasetemp().parent / "real_stores" if worker else None

    def stamp(path: Path) -> dict[str, tuple[int, int]]:
        return {f.name: (f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(path.iterdir())}

    def convert_shared(fmt: str, src: Path, key: tuple, kwargs: dict) -> Path:
        assert shared_root is not None
        shared_root.mkdir(exist_ok=True)
        folder = shared_root / hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        out = folder / src.name.split(".")[0]
        with open(shared_root / f"{folder.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (folder / "done").exists():
                if folder.exists():  # a worker that died half-way: start over
                    import shutil

                    shutil.rmtree(folder)
                folder.mkdir()
                converter(fmt)([src], out, **kwargs)
                (folder / "done").touch()
        return out

    def get(fmt: str, *parts: str, **kwargs):
        src = shared_data(*parts)
        st = src.stat()
        key = (fmt, str(src.resolve()), st.st_size, st.st_mtime_ns, tuple(sorted(kwargs.items())))
        if key not in made:
            if shared_root is not None:
                out = convert_shared(fmt, src, key, kwargs)
            else:
                out = tmp_path_factory.mktemp(f"store_{fmt}") / src.name.split(".")[0]
                converter(fmt)([src], out, **kwargs)
            made[key] = (out, stamp(out))
        out, files = made[key]
        assert stamp(out) == files, f"the shared store {out} of {src.name} changed since it was converted"
        return load(out)

    return get


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of the seeded synthetic market (seed 3) as an event store, written once per test module: the CLI tests'
    input (test_cli*, test_breaker18b, test_outpath19, test_ctrl_c). A module that needs another defines its own."""
    from mmsim.synth import SynthConfig, write_store

    path = tmp_path_factory.mktemp("synth") / "store"
    write_store(SynthConfig(seed=3, duration=20 * 1_000_000_000), path)
    return path
