"""numba's disk cache must not hand back a rule compiled against an old version of a helper in another file.

numba stamps an ``@njit(cache=True)`` function's cache with its own file's modification time and
size only; the reference strategies call ``mmsim.quoting``'s helpers, and a plugin author's rule
calls their own helpers module. After an edit to the helper, a new process used to load the rule's
old machine code, with the old helper compiled into it, on both paths (docs/strategies.md,
"Compile once").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HELPER = '''\
from numba import njit


@njit(cache=True)
def offset():
    return {offset}
'''
SCALED = '''\
from numba.extending import register_jitable


@register_jitable
def size(x):
    return x * {factor}
'''
STRATEGY = '''\
from numba import njit

import mmsim
import scaled                      # reached as a module attribute: scaled.size(...)
from helper import offset          # reached as a global name


@njit(cache=True)
def rule(view, params, state, out):
    out.bid_px = view.best_bid - offset()
    out.ask_px = view.best_ask + offset()
    out.bid_qty = scaled.size(params.size)
    out.ask_qty = scaled.size(params.size)
    return 1


Probe = mmsim.numba_strategy(rule, params={"size": 1.0}, name="Probe")
'''
PROBE = '''\
import json
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
from strategy import Probe  # noqa: E402

from mmsim.records import QUOTE_DTYPE, VIEW_DTYPE  # noqa: E402

view = np.zeros(1, VIEW_DTYPE)
view["best_bid"], view["best_ask"], view["bid_qty"], view["ask_qty"] = 100, 104, 5, 5
python = Probe.python().quote(view)
fast = Probe()
out = np.zeros(1, QUOTE_DTYPE)
params, state = np.array([1.0]), np.zeros(1)
code = fast.kind.compile().ctypes(view.ctypes.data, params.ctypes.data, state.ctypes.data, out.ctypes.data)
print(json.dumps({"python": [python.bid_px, python.bid_qty], "fast": [float(out["bid_px"][0]),
                  float(out["bid_qty"][0])], "code": int(code), "cfunc_cache_hits": fast.kind.cache_hits}))
'''


def _probe(folder, env) -> dict:
    done = subprocess.run([sys.executable, str(folder / "probe.py"), str(folder)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_edited_helper_in_another_file_is_compiled_into_the_rule_in_a_new_process(tmp_path):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "strategy.py").write_text(STRATEGY)
    (plugin / "probe.py").write_text(PROBE)
    (plugin / "helper.py").write_text(HELPER.format(offset="1.0"))
    (plugin / "scaled.py").write_text(SCALED.format(factor="2.0"))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # numba's cache next to the files
    env["MMSIM_CACHE_DIR"] = str(tmp_path / "cache")
    first = _probe(plugin, env)
    # bid = 100 - offset(), size = 1 * factor
    assert first == {"python": [99.0, 2.0], "fast": [99.0, 2.0], "code": 1, "cfunc_cache_hits": 0}
    assert list((plugin / "__pycache__").glob("strategy.rule-*.nbi"))  # the rule's numba cache was written

    # The same file sizes: numba's own stamp differs only by the time stamp of the helpers' files.
    (plugin / "helper.py").write_text(HELPER.format(offset="3.0"))
    (plugin / "scaled.py").write_text(SCALED.format(factor="5.0"))
    second = _probe(plugin, env)
    assert second == {"python": [97.0, 5.0], "fast": [97.0, 5.0], "code": 1, "cfunc_cache_hits": 0}
    # Nothing changed since: the next process loads the compiled callback from the cache.
    assert _probe(plugin, env) == {**second, "cfunc_cache_hits": 1}


def test_every_reference_rule_s_cache_stamp_covers_mmsim_quoting():
    """The reference strategies' case of the same kind: their rules inline mmsim.quoting's helpers,
    so each disk-cached function's stamp must cover quoting.py (and the cache must be the tracking one)."""
    import hashlib
    import importlib
    from pathlib import Path

    import mmsim.quoting
    from mmsim._numba_support import _dependency_cache_classes, _dispatchers, _fingerprint_into
    from mmsim.numba_strategy import NumbaStrategyType

    quoting = str(Path(mmsim.quoting.__file__))
    tracked = _dependency_cache_classes()[0]
    for module in ("fixed_spread", "join_best", "inventory_skew", "avellaneda_stoikov", "glft", "signal_skew",
                   "toxicity_pull", "ladder_flatten"):
        mod = importlib.import_module(f"strategies.{module}")
        (kind,) = [v for v in vars(mod).values() if isinstance(v, NumbaStrategyType)]
        files: set[str] = set()
        _fingerprint_into(hashlib.sha256(), kind.rule, set(), files)
        uses_quoting = "mmsim.quoting import" in Path(mod.__file__).read_text()
        assert (quoting in files) == uses_quoting, module
        assert all(isinstance(d._cache, tracked) for d in _dispatchers(kind.rule)), module


def _fallback_rule(view, params, state, out):
    return 0


def test_without_numba_s_caching_internals_the_rule_is_not_disk_cached(monkeypatch):
    """If a numba release moves the internals the tracking cache builds on, a rule compiles afresh
    each process (slower) rather than risk stale code."""
    import numba
    from numba.core.caching import FunctionCache, NullCache

    import mmsim
    from mmsim import _numba_support

    def moved():
        raise ImportError("cannot import name '_CacheLocator'")

    monkeypatch.setattr(_numba_support, "_dependency_cache_classes", moved)
    rule = numba.njit(cache=True)(_fallback_rule)
    assert isinstance(rule._cache, FunctionCache)
    mmsim.numba_strategy(rule, name="Fallback")
    assert isinstance(rule._cache, NullCache)
