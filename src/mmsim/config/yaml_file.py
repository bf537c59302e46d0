"""mmsim's one reader of YAML files (run configs, sweep grids, synthetic markets): :func:`read_yaml_mapping`.

Every problem with the file itself is a :class:`~mmsim.ConfigError` naming the
file (and the line when there is one): a file that cannot be opened, bytes that
are not UTF-8, a YAML syntax error, a tag safe YAML does not build, a document
that is not a mapping. What the keys mean is the caller's business; the reader
returns where each was written so the caller's errors can name the line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["loader_class", "parse_yaml", "read_yaml_mapping"]

#: Numbers in exponent notation that YAML 1.1 (PyYAML's safe loader) reads as strings:
#: no dot in the mantissa (``1e-3``) or no sign in the exponent (``1.5e3``). YAML 1.2,
#: and every other YAML or JSON reader a user knows, reads them as floats.
_EXPONENT_FLOAT = r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"
_LOADER: Any = None


def loader_class() -> Any:
    """PyYAML's ``SafeLoader`` that also reads ``1e-3`` and ``1.5e3`` as floats (as YAML 1.2 does).

    PyYAML follows YAML 1.1, whose float needs a dot and a signed exponent: ``fees:
    {maker_bps: 1e-3}`` was the string ``'1e-3'`` and failed as "expected a number",
    and a Python strategy's parameter would have received the string.
    """
    global _LOADER
    if _LOADER is None:
        import re

        import yaml

        class Loader(yaml.SafeLoader):
            pass

        Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_EXPONENT_FLOAT), list("-+0123456789."))
        _LOADER = Loader
    return _LOADER


def _yaml_error(exc: Exception, filename: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    line = f" line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"{filename}{line}: invalid YAML: {problem}")


def parse_yaml(text: str, filename: str = "<config>") -> tuple[Any, dict[str, str]]:
    """Parse YAML keeping where each key was written.

    Parameters
    ----------
    text : str
        The YAML document.
    filename : str
        Named in errors and in the locations returned.

    Returns
    -------
    data : object
        The parsed document (plain dicts, lists and scalars; ``{}`` for an empty one).
    where : dict
        Dotted key (``latency.feed``, ``axes.latency.feed``) -> ``"FILE line N"``.

    Numbers in exponent notation read as floats whether or not the mantissa has a
    dot and the exponent a sign (``1e-3``, ``1.5e3``), as in YAML 1.2
    (:func:`loader_class`).

    Raises
    ------
    ConfigError
        ``FILE line N: invalid YAML: PROBLEM`` on a syntax error, on what
        safe YAML does not build (a ``!!python/...`` tag, a list as a key), or
        on a key written twice in one mapping (``duplicate key 'latency.feed'
        (first at line M)``: YAML would keep the last one silently).
    """
    import yaml

    loader = loader_class()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, filename) from None
    finally:
        loader.dispose()
    where: dict[str, str] = {}

    def walk(n: Any, prefix: str) -> None:
        if isinstance(n, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in n.value:
                key = f"{prefix}{k.value}"
                line = k.start_mark.line + 1
                # YAML itself lets a later duplicate replace an earlier one: a silent misconfiguration.
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if key in first:
                        raise ConfigError(f"{filename} line {line}: invalid YAML: duplicate key {key!r} "
                                          f"(first at line {first[key]})")
                    first[key] = line
                where.setdefault(key, f"{filename} line {line}")
                walk(v, key + ".")

    if node is not None:
        walk(node, "")
    return ({} if data is None else data), where


def read_yaml_mapping(path: str | os.PathLike[str], *, what: str, keys: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a YAML file whose document is a mapping of keys (empty file: ``{}``).

    Parameters
    ----------
    path : path-like
        The file, read as UTF-8.
    what : str
        What the file is, in ``cannot read WHAT`` (``"config"``, ``"grid"``).
    keys : str
        What the mapping holds, in ``expected a mapping of KEYS`` (``"run config keys"``).

    Returns
    -------
    data : dict
        The document.
    where : dict
        Dotted key -> ``"FILE line N"`` (:func:`parse_yaml`).

    Raises
    ------
    ConfigError
        One line naming the file: ``FILE: cannot read WHAT: REASON`` (missing,
        a directory, no permission); ``FILE line N: cannot read WHAT: not UTF-8
        text (REASON at byte B)``; ``FILE line N: invalid YAML: PROBLEM``;
        ``FILE line N: expected a mapping of KEYS, got TYPE``.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{p} line {line}: cannot read {what}: not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start})") from None
    data, where = parse_yaml(text, str(p))
    if not isinstance(data, dict):
        raise ConfigError(f"{p} line {_first_line(text)}: expected a mapping of {keys}, got {type(data).__name__}")
    return data, where


def _first_line(text: str) -> int:
    """The line of the document's first content (past comments, blank lines and ``---``)."""
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#") and s != "---":
            return i
    return 1
