"""A :class:`~mmsim.RunConfig` given to :func:`mmsim.run` / :func:`mmsim.run_many` with a strategy and events: it
must describe them.

A RunConfig is attached to the result (``result.run_config``), and the report, ``result.json`` and the config
digest read the strategy and the data from it. ``mmsim.run(store, JoinBest(size=1), load_yaml("run.yaml"))`` with
run.yaml naming ``toxicity_pull`` ran JoinBest and reported ToxicityPull's path, parameters and position limit
under the config digest of a ToxicityPull run (newcomer19): a user who meant ``load_yaml(...).engine``. The strategy
the config names is built (as :func:`mmsim.runner.run_config` would) and compared with the one given: the same class (or
numba rule), by its name and file, and the same parameters. A store given as the events must be the store its
``data`` names (a bare array cannot be told apart: it is replayed as given).
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Mapping

import numpy as np

__all__ = ["check_run", "run_config_conflict"]

_MISSING = object()


def _where_defined(obj: Any) -> tuple[str, str]:
    """``(qualified name, real path of its file)`` of a strategy's class, or of a numba strategy's rule: a plugin
    file loaded by mmsim and imported by the user are two module objects of one class."""
    kind = getattr(obj, "kind", None) or getattr(type(obj), "native", None)
    if kind is not None and hasattr(kind, "py_rule"):  # NumbaStrategy (its kind), or a RuleStrategy twin (native)
        fn = kind.py_rule
        return (f"numba:{fn.__qualname__}", os.path.realpath(fn.__code__.co_filename))
    cls = type(obj)
    try:
        file = os.path.realpath(inspect.getfile(cls))
    except (TypeError, OSError):
        file = cls.__module__
    return (cls.__qualname__, file)


def _params_of(obj: Any) -> dict[str, Any]:
    """The parameters a strategy holds: a numba strategy's ``params`` (and its path, ``pure``), else the attributes
    named like its constructor's parameters (``self.size = size``, as the reference strategies keep them)."""
    if isinstance(getattr(obj, "params", None), Mapping) and hasattr(getattr(obj, "kind", None) or
                                                                      getattr(type(obj), "native", None), "py_rule"):
        return {**obj.params, "pure": getattr(obj, "pure", None)}
    try:
        names = [p for p in inspect.signature(type(obj)).parameters if p not in ("self", "args", "kwargs")]
    except (TypeError, ValueError):
        return {}
    return {n: getattr(obj, n, _MISSING) for n in names}


def _plain(v: Any) -> bool:
    """A value a config can hold (a number, string, bool, None, an array, or a list/tuple/dict of them)."""
    if v is None or isinstance(v, (bool, int, float, str, np.number, np.ndarray)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_plain(x) for x in v)
    if isinstance(v, dict):
        return all(_plain(x) for x in v.values())
    return False


def _same(a: Any, b: Any) -> bool:
    """``a == b`` for a parameter's two values: arrays element-wise, a NaN the same as a NaN. A value that is not
    plain (:func:`_plain`: an object a constructor made of its parameter, ``self.model = Model(model)``) cannot be
    compared across two constructions and counts as the same (a sweep's point is built from its config: it must
    never be refused)."""
    if a is b or not (_plain(a) and _plain(b)):
        return True
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        eq = a == b
        return bool(eq) if not isinstance(eq, np.ndarray) else bool(np.array_equal(a, b))
    except Exception:  # an object whose == raises: not the same as far as this check can tell
        return False


def run_config_conflict(rc: Any, strategy: Any, events: Any, meta: Mapping[str, Any]) -> str | None:
    """Why ``rc`` (a :class:`~mmsim.RunConfig`) does not describe a run of ``strategy`` on ``events``, or None.

    Its strategy (``rc.strategy.path`` with its ``params``, built as :func:`mmsim.runner.run_config` builds it, on the
    store's lot) must be ``strategy``: the same class or numba rule (name and file) with the same parameters; and a
    store given as ``events`` (an object with a ``path``) must be the one ``rc.data`` names (both paths resolved). A
    config naming no strategy, or no data, is not compared on it.

    Raises
    ------
    ConfigError, StrategyError
        As :func:`mmsim.runner.run_config` when the strategy the config names does not load.
    """
    path = getattr(getattr(rc, "strategy", None), "path", "") or ""
    if path:
        from .plugins import load_strategy  # as mmsim.runner.load_run_strategy builds it

        lot = meta.get("lot_size")
        want = load_strategy(path, rc.strategy.params,
                             lot_size=float(lot) if isinstance(lot, (int, float)) and lot else None)
        given = "none (a market-only replay)" if strategy is None else _label(strategy)
        if strategy is None or _where_defined(want) != _where_defined(strategy):
            return (f"config: its strategy is {path} ({_label(want)}), the strategy given is {given}: a RunConfig "
                    "describes the run it is attached to (its report and result.json read the strategy from it); "
                    "pass config.engine to run another strategy with its settings, or mmsim.runner.run_config(config) to "
                    "run the one it names")
        mine, theirs = _params_of(want), _params_of(strategy)
        diff = [n for n in mine if not _same(mine[n], theirs.get(n, _MISSING))]
        if diff:
            shown = ", ".join(f"{n}: {_show(mine[n])} in the config, {_show(theirs.get(n, _MISSING))} given"
                              for n in diff)
            return (f"config: its strategy {path} has other parameters than the strategy given ({shown}): a "
                    "RunConfig describes the run it is attached to; pass config.engine to run the strategy given "
                    "with its settings")
    data = getattr(rc, "data", "") or ""
    store = getattr(events, "path", None)
    if data and store is not None and os.path.realpath(data) != os.path.realpath(store):
        return (f"config: data is {data}, the events given are the store at {store}: a RunConfig describes the run "
                "it is attached to; pass config.engine to replay other events with its settings")
    return None


def check_run(one: Any, strategy: Any, events: Any, meta: Mapping[str, Any]) -> None:
    """Refuse a run (``mmsim.engine._Run``) whose config is a RunConfig that does not describe it: a ConfigError
    with :func:`run_config_conflict`'s reason, after the run's prefix (``run k (label): `` in :func:`mmsim.run_many`)."""
    if one.run_config is not None and (why := run_config_conflict(one.run_config, strategy, events, meta)):
        from .errors import ConfigError

        raise ConfigError(f"{one.where}{why}")


def _label(obj: Any) -> str:
    """A strategy's name in messages (``mmsim.engine._label``'s rule for instances)."""
    label = getattr(obj, "label", None) or getattr(obj, "name", None)
    return str(label) if label else type(obj).__name__


def _show(v: Any) -> str:
    return "not set" if v is _MISSING else repr(v)
