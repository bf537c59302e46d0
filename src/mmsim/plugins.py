"""Find and build strategy plugins: ``path/to/file.py:Name``, ``package.module:Name`` or an entry point.

Third-party packages register strategies under the entry-point group
``mmsim.strategies``::

    [project.entry-points."mmsim.strategies"]
    my_mm = "my_package.mm:MyMarketMaker"

and a config names them as ``strategy: {path: my_mm, params: {...}}``. The
object a spec names may be a numba strategy type (:func:`mmsim.numba_strategy`),
an :class:`mmsim.Strategy` subclass, or a factory function; its parameters are
checked before anything runs (unknown or missing: :class:`~mmsim.ConfigError`
naming the parameter).
"""

from __future__ import annotations

import copyreg
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
from pathlib import Path
from typing import Any, Mapping

from ._qty_units import resolve_units
from .errors import ConfigError, StrategyError, raised_at
from .strategy import Strategy

__all__ = ["ENTRY_POINT_GROUP", "available_strategies", "check_strategy", "checked_strategy", "load_reference_strategy", "load_strategy",
           "resolve_strategy"]

#: Entry-point group third-party strategies register under.
ENTRY_POINT_GROUP = "mmsim.strategies"

# Our own errors pass through untouched; anything else a plugin raises is wrapped.
MmsimErrorTypes = (ConfigError, StrategyError)


def available_strategies() -> dict[str, str]:
    """Entry-point strategies installed in this environment: name -> ``module:attr``."""
    import importlib.metadata  # ~30 ms (it imports email): only when a plugin is looked up

    return {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


#: The package the reference strategies ship in (the wheel's copy of the repository's strategies/).
SHIPPED_PACKAGE = "mmsim.strategies"
#: The repository's strategies/ (a source checkout only; an installed mmsim has none beside it).
CHECKOUT_STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


def load_reference_strategy(name: str, attr: str, params: Mapping[str, Any]) -> Any:
    """mmsim's own strategy ``name`` (class ``attr``) built with ``params``: its entry point, else the shipped
    module ``mmsim.strategies.<name>``, else a source checkout's ``strategies/<name>.py``.

    The entry points can be momentarily unreadable (a pip install rewriting the environment's metadata); the
    module ships with mmsim whatever its metadata says. When none is found, a
    :class:`~mmsim.ConfigError` says mmsim's entry points are not visible and to reinstall it.
    """
    if name in available_strategies():
        return load_strategy(name, params)
    module = f"{SHIPPED_PACKAGE}.{name}"
    try:
        shipped = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        shipped = False
    if shipped:
        return load_strategy(f"{module}:{attr}", params)
    path = CHECKOUT_STRATEGIES / f"{name}.py"
    if path.is_file():
        return load_strategy(f"{path}:{attr}", params)
    raise ConfigError(f"mmsim's strategy {name!r} cannot be found: mmsim's entry points (group {ENTRY_POINT_GROUP!r}) "
                      f"are not visible and neither the module {module} nor {path} exists; mmsim's installation "
                      "is incomplete or being changed (a pip install running at the same time?): reinstall mmsim "
                      "(pip install --force-reinstall --no-deps mmsim, or pip install . in its repository)")


def _is_path_spec(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def search_file(path_text: str, base_dir: Path | None, base_label: str = "base_dir") -> Path:
    """The strategy file ``path_text`` names: absolute, else ``base_dir / path`` then the working directory's.

    Raises
    ------
    ConfigError
        ``strategy file not found: PATH; looked in LABEL, A, then in the working directory, B``: every
        location searched, in search order (one the two share is named once, with both labels).
    """
    path = Path(path_text).expanduser()
    if path.is_absolute():
        if path.is_file():
            return path
        raise ConfigError(f"strategy file not found: {path_text} (looked at {path})")
    searched: list[tuple[list[str], Path]] = []
    for label, folder in ((base_label, base_dir), ("the working directory", Path.cwd())):
        if folder is None:
            continue
        cand = Path(os.path.abspath(Path(folder) / path))  # named absolute, "../" resolved
        if cand.is_file():
            return cand
        same = next((s for s in searched if s[1] == cand), None)
        if same is not None:
            same[0].append(label)
        else:
            searched.append(([label], cand))
    where = ", then ".join(f"in {' and '.join(labels)}, {cand}" for labels, cand in searched)
    raise ConfigError(f"strategy file not found: {path_text}; looked {where}")


def _load_file(path_text: str, base_dir: Path | None, base_label: str) -> Any:
    found = search_file(path_text, base_dir, base_label)
    found = found.resolve()
    # One module per file (keyed by the absolute path), reused on a second load so a
    # sweep that builds many strategies from one file executes it once.
    tag = hashlib.sha1(str(found).encode()).hexdigest()[:10]
    modname = f"_mmsim_plugin_{found.stem}_{tag}"
    # The module is in sys.modules while it executes (dataclasses and pickling look it up there): a
    # second thread (two sweep tasks on one Dask worker) must wait for it, not take it half-loaded.
    with _LOAD_LOCK:
        if modname in sys.modules:
            return sys.modules[modname]
        return _exec_file(found, modname)


_LOAD_LOCK = threading.RLock()  # re-entrant: a strategy file may load another at import


def _exec_file(found: Path, modname: str) -> Any:
    spec = importlib.util.spec_from_file_location(modname, found)
    if spec is None or spec.loader is None:
        raise ConfigError(f"strategy file {found} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except MmsimErrorTypes:
        del sys.modules[modname]
        raise
    except (Exception, SystemExit) as exc:  # a sys.exit() in the plugin must not end the run silently
        del sys.modules[modname]
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and exc.name and (found.parent / f"{exc.name.split('.')[0]}.py").is_file():
            # Its own helper file: mmsim does not put the plugin's folder on sys.path (two plugins'
            # helpers.py would be one module, and a helper named like a standard module would
            # replace it for mmsim too); the user says where helpers live.
            hint = (f"; {exc.name.split('.')[0]}.py beside it is imported as a module, so its folder must be on "
                    f"the module path: PYTHONPATH={found.parent} (docs/strategies.md, \"Helper files\")")
        at = raised_at(exc, str(found))
        text = exc.msg if isinstance(exc, SyntaxError) else exc  # its str() names the file and line as `at` does
        raise StrategyError(f"strategy file {found} failed to import: {type(exc).__name__}: {text}{at}{hint}") from exc
    for obj in list(vars(module).values()):
        if isinstance(obj, type) and obj.__module__ == modname:
            copyreg.pickle(obj, _reduce_plugin_object)
    return module


def _reduce_plugin_object(obj: Any) -> Any:
    """How pickle (and copy) reduce an instance of a class of a plugin file: by the file, not the module name.

    The module is named after the file's path hash (``_mmsim_plugin_<stem>_<hash>``), which no other process
    can import by name: unpickling elsewhere (multiprocessing, joblib, Dask) raised ModuleNotFoundError. The
    new process loads the file by its path (:func:`_plugin_object`), as a numba strategy type is rebuilt; the
    instance's state is restored as pickle always does. A class with its own ``__reduce__`` keeps it.
    """
    reduced = obj.__reduce_ex__(4)
    file = getattr(sys.modules.get(type(obj).__module__), "__file__", None)
    if file is None or not isinstance(reduced, tuple) or reduced[0] is not copyreg.__newobj__:  # type: ignore[attr-defined]
        return reduced
    return (_plugin_object, (file, type(obj).__qualname__, *reduced[1][1:]), *reduced[2:])


def _plugin_object(file: str, qualname: str, *args: Any) -> Any:
    """An empty instance of class ``qualname`` of the plugin file ``file`` (loaded once per process), for pickle."""
    cls = resolve_strategy(f"{file}:{qualname}")
    return cls.__new__(cls, *args)


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):  # it, or a package of its path
            raise ConfigError(f"strategy module {name!r} not found") from exc
        raise StrategyError(f"strategy module {name!r} failed to import: {exc}") from exc
    except MmsimErrorTypes:
        raise
    except (Exception, SystemExit) as exc:
        raise StrategyError(f"strategy module {name!r} failed to import: {type(exc).__name__}: {exc}") from exc


def _get_attr(module: Any, attr: str, where: str) -> Any:
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{where} has no strategy named {attr!r}") from None
    return obj


def resolve_strategy(spec: str, *, base_dir: str | Path | None = None, base_label: str = "base_dir") -> Any:
    """Return the object a strategy spec names, without building it.

    Parameters
    ----------
    spec : str
        ``path/to/file.py:Name`` (relative paths are tried against ``base_dir``
        then the working directory), ``package.module:Name``, or the name of an
        entry point in the ``mmsim.strategies`` group.
    base_dir : path, optional
        Directory relative file paths are read from first (e.g. the config file's).
    base_label : str
        What ``base_dir`` is, in the message for a file found nowhere (``"the config's
        folder"``): ``strategy file not found: x.py; looked in base_dir, BASE/x.py, then in
        the working directory, CWD/x.py``.

    Raises
    ------
    ConfigError
        If the file, module, attribute or entry point does not exist (a file: every
        place looked at, in order).
    StrategyError
        If the plugin's code raises while it is imported.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"strategy: expected 'file.py:Name', 'module:Name' or an entry-point name, got {spec!r}")
    spec = spec.strip()
    base = Path(base_dir) if base_dir is not None else None
    target, sep, attr = spec.rpartition(":")
    if sep and target and attr and not attr.startswith(("\\", "/")):
        if _is_path_spec(target):
            return _get_attr(_load_file(target, base, base_label), attr, f"strategy file {target}")
        return _get_attr(_import_module(target), attr, f"strategy module {target}")
    if spec.endswith(".py"):
        raise ConfigError(f"strategy {spec!r}: name the strategy inside the file, as {spec}:ClassName")
    import importlib.metadata

    eps = [ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
    if not eps:
        known = ", ".join(sorted(available_strategies())) or "none installed"
        raise ConfigError(f"unknown strategy {spec!r}: not a file.py:Name, module:Name or an entry point in "
                          f"group {ENTRY_POINT_GROUP!r} (installed: {known})")
    try:
        return eps[0].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"entry point {spec!r} ({eps[0].value}) cannot be loaded: {exc}") from exc


def _check_call(fn: Any, params: Mapping[str, Any], label: str) -> None:
    """ConfigError naming the first unknown or missing keyword for ``fn(**params)``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    ps = list(sig.parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in ps):
        accepted = None
    else:
        accepted = {p.name for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if accepted is not None:
        for key in params:
            if key not in accepted:
                known = ", ".join(sorted(accepted)) or "none"
                raise ConfigError(f"strategy {label}: unknown parameter {key!r} (it takes: {known})")
    for p in ps:
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in params:
            raise ConfigError(f"strategy {label}: missing parameter {p.name!r}")
        if p.kind is p.POSITIONAL_ONLY and p.default is p.empty:
            raise StrategyError(f"strategy {label}: its constructor needs positional argument {p.name!r}, "
                                "which a config cannot give; take keyword parameters")


def _is_strategy(obj: Any) -> bool:
    return isinstance(obj, Strategy) or hasattr(obj, "_mmsim_native_")


def load_strategy(spec: str, params: Mapping[str, Any] | None = None, *, base_dir: str | Path | None = None,
                  base_label: str = "base_dir", lot_size: float | None = None) -> Any:
    """Load a strategy plugin and build it with validated parameters.

    Parameters
    ----------
    spec : str
        ``path/to/file.py:Name``, ``package.module:Name`` or an entry-point name in
        the ``mmsim.strategies`` group (see :func:`resolve_strategy`).
    params : mapping, optional
        Parameters, e.g. a config's ``strategy.params``.
    base_dir : path, optional
        Directory relative file paths are read from first.
    base_label : str
        What ``base_dir`` is, in a file-not-found message (:func:`resolve_strategy`).
    lot_size : float, optional
        The event store's lot size: a quantity the strategy declares may be written ``0.01 base``
        (converted to lots with it) or ``20 lots`` (docs/strategies.md, "Units of strategy parameters").

    Returns
    -------
    Strategy or numba strategy
        Something :func:`mmsim.run` accepts.

    Raises
    ------
    ConfigError
        Unknown spec, or an unknown or missing parameter (named), or the constructor
        refused its parameters (raised ValueError or TypeError).
    StrategyError
        The plugin is not a strategy, or its code fails while loading or building
        (any other exception).

    Examples
    --------
    >>> s = load_strategy("strategies/glft.py:GLFT", {"gamma": 0.01})   # doctest: +SKIP
    """
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise ConfigError(f"strategy {spec}: parameters must be a mapping, got {type(params).__name__}")
    params = dict(params)
    for key in params:
        if not isinstance(key, str):
            raise ConfigError(f"strategy {spec}: parameter names must be strings, got {key!r}")
    obj = resolve_strategy(spec, base_dir=base_dir, base_label=base_label)
    label = getattr(obj, "name", None) or getattr(obj, "__name__", None) or spec
    params = resolve_units(obj, params, lot_size, label)
    if _is_strategy(obj) and not isinstance(obj, type):
        if params:
            raise ConfigError(f"strategy {spec} is an already-built strategy; it takes no parameters "
                              f"(got {', '.join(sorted(params))})")
        return obj
    if hasattr(obj, "from_params"):
        built = obj.from_params(params)
    elif isinstance(obj, type) and issubclass(obj, Strategy):
        if inspect.isabstract(obj):
            missing = ", ".join(sorted(obj.__abstractmethods__))
            raise StrategyError(f"strategy {label} ({spec}) is abstract: it does not implement {missing}")
        _check_call(obj, params, label)
        built = _build(obj, params, label)
    elif callable(obj):
        _check_call(obj, params, label)
        built = _build(obj, params, label)
    else:
        raise StrategyError(f"{spec} names a {type(obj).__name__}, not a strategy class, numba strategy or factory")
    if not _is_strategy(built):
        raise StrategyError(f"{spec} built a {type(built).__name__}, not an mmsim.Strategy or numba strategy")
    return built


def check_strategy(spec: str, params: Mapping[str, Any] | None = None, *, base_dir: str | Path | None = None,
                   base_label: str = "base_dir", lot_size: float | None = None) -> Any:
    """Check that :func:`load_strategy` would succeed, as cheaply as possible.

    A numba strategy's parameters are checked against its declaration without
    compiling the rule (``check_params``); any other plugin is built (building
    a Python strategy is cheap and runs its own checks). What ``mmsim sweep``
    runs on every distinct strategy of a grid before any point starts.

    Returns
    -------
    object
        What ``spec`` names (:func:`resolve_strategy`): a strategy class, numba
        strategy type or factory, whose declarations (``max_live_orders``,
        ``ladder_levels_used``) :func:`mmsim.engine.strategy_config_conflict` reads.

    Raises
    ------
    ConfigError
        Unknown spec, or an unknown, missing or bad parameter (named; a constructor's
        ValueError or TypeError is a bad parameter).
    StrategyError
        The plugin is not a strategy, or its code fails while loading or building
        (any other exception).
    """
    return checked_strategy(spec, params, base_dir=base_dir, base_label=base_label, lot_size=lot_size)[0]


def checked_strategy(spec: str, params: Mapping[str, Any] | None = None, *, base_dir: str | Path | None = None,
                     base_label: str = "base_dir", lot_size: float | None = None) -> tuple[Any, Any]:
    """:func:`check_strategy`, and the strategy a config is checked against with these parameters.

    Returns
    -------
    (object, object)
        What ``spec`` names (as :func:`check_strategy` returns it), and the strategy whose declarations
        (``max_live_orders``, ``ladder_levels_used``) :func:`mmsim.engine.strategy_config_conflict` reads, as
        ``mmsim run`` would build it: a class's or factory's built instance; a numba rule with its checked
        parameters, not compiled (:class:`mmsim._rule_source.CheckedRule`: the levels per side its writes of
        ``params`` set, ``out.n_bid_levels = params.levels`` with ``levels: 5`` is 5).

    Raises
    ------
    ConfigError, StrategyError
        As :func:`check_strategy`.
    """
    from ._rule_source import CheckedRule

    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise ConfigError(f"strategy {spec}: parameters must be a mapping, got {type(params).__name__}")
    obj = resolve_strategy(spec, base_dir=base_dir, base_label=base_label)
    check = getattr(obj, "check_params", None)
    if isinstance(obj, type) or not callable(check):
        return obj, load_strategy(spec, params, base_dir=base_dir, base_label=base_label, lot_size=lot_size)
    values = check(resolve_units(obj, params, lot_size, getattr(obj, "name", None) or spec))
    return obj, (CheckedRule(obj, values) if hasattr(obj, "int_writes") else obj)


def _build(factory: Any, params: Mapping[str, Any], label: str) -> Any:
    """``factory(**params)``; a ValueError or TypeError it raises is the strategy refusing its
    parameters (a ConfigError: ``mmsim run`` names the config line of a parameter the message
    names as ``parameter 'size'``), anything else a StrategyError (docs/strategies.md)."""
    try:
        return factory(**params)
    except MmsimErrorTypes:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"strategy {label}: building it failed: {type(exc).__name__}: {exc}") from exc
    except (Exception, SystemExit) as exc:
        raise StrategyError(f"strategy {label}: building it failed: {type(exc).__name__}: {exc}") from exc

