"""A message found after the config was read, ended with the config file's line it is about (``(run.yaml line 3)``):
:func:`strategy_located` around building the strategy (``mmsim run``, ``queue-score``), :func:`located` for one
message (:func:`mmsim.cli.main`'s ``data:``). Re-exported by :mod:`mmsim.cli._common`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["located", "strategy_located"]


@contextlib.contextmanager
def strategy_located(config_path: Path | None, *, strategy: bool = True) -> Iterator[None]:
    """Add the config file's line to a :class:`~mmsim.ConfigError` found after the config was read, or to a
    :class:`~mmsim.StrategyError` raised building the strategy (the same object, its message located; one
    raised in the replay names its time instead).

    The strategy is built, and checked against the config, after the config is read
    (``strategy FixedSpread: unknown parameter 'bogus'``, ``strategy file not found: x.py``,
    ``max_orders: 4 is less than the 9 live orders strategy LadderFlatten can hold``), when
    the file's lines are gone; this reads them again and ends the message with the line of:

    - a message about the strategy: ``strategy.params.<name>`` (the first parameter the message
      names that the file sets: a broken constraint names two), else ``strategy.path`` or
      ``strategy`` (only with ``strategy``: False when the strategy came from a flag, not the file);
    - a message that starts with a config key (``max_orders:``, ``tick_size:``,
      ``latency.feed is ...``): that key's line; when the file does not set the key (its
      default is too small for the strategy), the strategy's line, saying the key is not set.

    A message that already has a line, or a config not read from a file (None), is left as it is.

    Raises
    ------
    ConfigError
        The same error, located.
    """
    from ..errors import ConfigError, StrategyError

    try:
        yield
    except ConfigError as e:
        msg = located(str(e), config_path, strategy=strategy)
        if msg == str(e):
            raise
        raise ConfigError(msg) from None
    except StrategyError as e:  # a rule that does not compile, a plugin that does not import: the same object
        if " at local time " in str(e):  # (its cause kept), located; one raised in the replay names its time
            raise
        msg = located(str(e), config_path, strategy=strategy)
        if msg != str(e) and len(e.args) == 1:
            e.args = (msg,)
        raise


def located(msg: str, config_path: str | os.PathLike[str] | None, *, strategy: bool = True) -> str:
    """``msg`` ended with the config file's line it is about (``(run.yaml line 3)``), else as it is.

    The one place that reads a config file's lines again for a message found after the config
    was read: :func:`strategy_located` (the strategy, ``max_orders:``) and
    :func:`mmsim.cli.main` (``data: PATH: ...`` from :func:`mmsim.runner.load_events`), with the
    rules of :func:`strategy_located`. A message that already has a line, no config file (None,
    or not a file), or a file that no longer reads, leaves ``msg`` as it is.
    """
    from .._rule_source import REFUSAL  # names the rule's line, not the config's that set the value
    from ..errors import ConfigError

    if config_path is None or (" line " in msg and not REFUSAL.search(msg)) or not os.path.isfile(config_path):
        return msg
    from ..config.yaml_file import read_yaml_mapping

    try:
        _, where = read_yaml_mapping(Path(config_path), what="config", keys="run config keys")
    except ConfigError:
        return msg
    loc = _location(msg, where, strategy)
    if loc is None:
        return msg
    from ..config._written import quote_from_file

    # the value as the file writes it (size: 1 and 30 zeros said got 1e+30: breaker26), from the keys on that line
    for key in (k for k, v in where.items() if v == loc):
        if (quoted := quote_from_file(msg, where, key)) != msg:
            msg = quoted
            break
    return f"{msg} ({loc})"


def _location(msg: str, where: Mapping[str, str], strategy: bool) -> str | None:
    """The ``FILE line N`` :func:`located` adds to ``msg``, or None."""
    if msg.startswith(("strategy", "unknown strategy")):
        if not strategy:
            return None
        # A constraint names two parameters: the first the file sets gives the line. An integer-field refusal
        # names them as the rule reads them, params.NAME, or after it: "; parameters NAME=VALUE, ...".
        from .._rule_source import REFUSAL, refused_params

        names = re.findall(r"parameter '([^']+)'", msg) + (refused_params(msg) if REFUSAL.search(msg) else [])
        keys = [f"strategy.params.{n}" for n in names] + (
            ["strategy.params"] if names else ["strategy.path"]) + ["strategy"]
        return next((where[k] for k in keys if k in where), None)
    m = re.match(r"([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)(?=[: ])", msg)
    if m is None:
        return None
    if m.group(1) in where:
        return where[m.group(1)]
    if strategy and " strategy " in msg and "strategy" in where:
        return f"{where['strategy']}, the strategy; {m.group(1)} is not set in the file"
    return None
