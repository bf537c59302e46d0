"""mmsim's one reader of YAML files (run configs, sweep grids, synthetic markets): :func:`read_yaml_mapping`.

Every problem with the file itself is a :class:`~mmsim.ConfigError` naming the
file (and the line when there is one): a file that cannot be opened, bytes that
are not UTF-8, a YAML syntax error, a tag safe YAML does not build, a document
that is not a mapping. What the keys mean is the caller's business; the reader
returns where each was written so the caller's errors can name the line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["loader_class", "parse_yaml", "read_yaml_mapping"]

#: Numbers in exponent notation that YAML 1.1 (PyYAML's safe loader) reads as strings:
#: no dot in the mantissa (``1e-3``) or no sign in the exponent (``1.5e3``). YAML 1.2,
#: and every other YAML or JSON reader a user knows, reads them as floats.
_EXPONENT_FLOAT = r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$"
#: Integers as YAML 1.2 writes them (and ``_`` separators, ``0b``): a leading zero is decimal
#: (``010`` is 10, ``0o10`` is 8), and ``1:30`` is no number. YAML 1.1 (PyYAML) read ``010`` as
#: octal 8 and ``1:30`` as the base-60 number 90, so ``max_idle: 1:00:00`` was 3600 ns. A prefix needs a
#: digit after it: ``0x_`` is a string (it raised a traceback from int(); a breaker's find).
_INT = r"^(?:[-+]?0b_*[0-1][0-1_]*|[-+]?0o_*[0-7][0-7_]*|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*|[-+]?[0-9][0-9_]*)$"
#: YAML 1.1's floats without its base-60 form (``1:30.5``, which YAML 1.2 reads as a string).
_FLOAT = (r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
          r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
#: Nesting deeper than this is refused before PyYAML's recursive reader overflows the stack.
MAX_DEPTH = 200
_LOADER: Any = None


def _construct_int(loader: Any, node: Any) -> int:
    """An integer as YAML 1.2 reads it: ``0b``/``0o``/``0x`` prefixes, anything else decimal. One of more than
    Python's 4300 digits (``sys.get_int_max_str_digits``) is refused at its line (it was a ValueError traceback)."""
    text = loader.construct_scalar(node)
    try:
        return _int_text(text)
    except ValueError:
        import yaml

        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {len(text.lstrip('+-'))} characters is more digits than Python reads "
            f"({sys.get_int_max_str_digits()}); no setting needs one", node.start_mark) from None


def read_number(text: str) -> int | float | None:
    """``text`` as the number a run config's YAML would read it as (``1e6`` 1000000.0, ``1_000`` 1000,
    ``0x10`` 16, ``.inf``), or None when YAML would read a string (``5ms``, ``²``, a full-width ``５``).

    For numbers written inside a string value (``recorded + 1e6``), so they read as the same
    number written alone would (``feed: 1e6``).
    """
    import re

    t = text.strip()
    if re.match(_INT, t):
        return _int_text(t)
    if re.match(_FLOAT, t) or re.match(_EXPONENT_FLOAT, t):
        body = t.lstrip("+-").lower()
        if body in (".inf", ".nan"):
            return float(("-" if t.startswith("-") else "") + body[1:])
        return float(t.replace("_", ""))
    return None


def _int_text(text: str) -> int:
    text = text.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    text = text.lstrip("+-")
    base = {"0b": 2, "0o": 8, "0x": 16}.get(text[:2].lower())
    return sign * (int(text[2:], base) if base else int(text, 10))


def loader_class() -> Any:
    """PyYAML's ``SafeLoader`` with YAML 1.2's numbers.

    It reads ``1e-3`` and ``1.5e3`` as floats, ``010`` as 10 and ``0o10`` as 8, and
    ``1:30`` as a string, as YAML 1.2 does. PyYAML follows YAML 1.1, whose float needs a
    dot and a signed exponent (``fees: {maker_bps: 1e-3}`` was the string ``'1e-3'`` and
    failed as "expected a number", and a Python strategy's parameter would have received
    the string), whose ``010`` is octal 8 and whose ``1:00:00`` is the base-60 integer
    3600 (``max_idle: 1:00:00`` was 3600 ns, silently). Booleans stay YAML 1.1's
    (``yes``/``no``/``on``/``off`` are true and false, as their writer means).
    """
    global _LOADER
    if _LOADER is None:
        import re

        import yaml

        class Loader(yaml.SafeLoader):
            pass

        numbers = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        Loader.yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag not in numbers]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(_INT), list("-+0123456789"))
        Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_FLOAT), list("-+0123456789."))
        Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_EXPONENT_FLOAT), list("-+0123456789."))
        Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
        _LOADER = Loader
    return _LOADER


def _yaml_error(exc: Exception, filename: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    line = f" line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"{filename}{line}: invalid YAML: {problem}")


def parse_yaml(text: str, filename: str = "<config>", *, items: bool = False) -> tuple[Any, dict[str, str]]:
    """Parse YAML keeping where each key was written.

    Parameters
    ----------
    text : str
        The YAML document.
    filename : str
        Named in errors and in the locations returned.
    items : bool
        Also record where each item of a list was written, as ``key[i]`` (``points[1]``,
        ``axes.latency.feed[2]``), and the keys of a mapping in a list (``points[1].latency.feed``):
        a sweep grid's messages about one item name the item's own line.

    Returns
    -------
    data : object
        The parsed document (plain dicts, lists and scalars; ``{}`` for an empty one).
    where : dict
        Dotted key (``latency.feed``, ``axes.latency.feed``) -> ``"FILE line N"``.

    Numbers read as YAML 1.2 reads them (:func:`loader_class`): ``1e-3`` and ``1.5e3``
    are floats, ``010`` is 10, ``1:30`` is a string.

    Raises
    ------
    ConfigError
        ``FILE line N: invalid YAML: PROBLEM`` on a syntax error, on what
        safe YAML does not build (a ``!!python/...`` tag, a list as a key), or
        on a key written twice in one mapping (``duplicate key 'latency.feed'
        (first at line M)``: YAML would keep the last one silently; in a list,
        ``duplicate key 'points[0].latency.feed'``), on an alias used inside its own
        anchor (``recursive alias``). A key that a merge (``<<: *anchor``) brings in is
        no duplicate: the mapping's own key overrides it, as YAML says. ``FILE:
        invalid YAML: nested too deeply`` past :data:`MAX_DEPTH` levels.
    """
    import yaml

    loader = loader_class()(text)
    where: dict[str, str] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            # Before constructing: PyYAML's constructor rewrites merge keys (``<<``) in place.
            _check_nodes(node, "", where, filename, items)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, filename) from None
    except RecursionError:
        raise ConfigError(f"{filename}: invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()
    return ({} if data is None else data), where


def _key_text(k: Any) -> str:
    """A mapping key as ``str()`` of the value it is read as, so that messages naming the key find its line.

    A null key (``~:``, ``null:``) reads as None and a bool key (``true:``, ``yes:``)
    as True/False; any other scalar's text is what ``str()`` of its value gives.
    """
    tag = getattr(k, "tag", "")
    if tag == "tag:yaml.org,2002:null":
        return "None"
    if tag == "tag:yaml.org,2002:bool":
        return str(str(k.value).lower() in ("true", "yes", "on"))
    return str(k.value)


def _check_nodes(root: Any, prefix: str, where: dict[str, str], filename: str, items: bool = False) -> None:
    """Record where each mapping key was written; refuse duplicate keys, recursive aliases, deep nesting.

    A key written twice in one mapping is an error (YAML would keep the last one
    silently), also inside a list (``points[0].latency.feed``). Keys that a merge
    (``<<: *anchor``) brings in are not duplicates of the mapping's own keys: its own
    keys override them, as YAML says; two merged mappings that set one key are refused
    (YAML says the first wins, PyYAML keeps the last). An
    alias inside the node it names (``&a {x: *a}``) is an error, not an endless walk.
    """
    import yaml

    merge_tag = "tag:yaml.org,2002:merge"

    def walk(n: Any, prefix: str, record: bool, line: int, stack: list[int]) -> None:
        if not isinstance(n, (yaml.MappingNode, yaml.SequenceNode)):
            return
        if id(n) in stack:
            raise ConfigError(f"{filename} line {line}: invalid YAML: recursive alias (the anchor at line "
                              f"{n.start_mark.line + 1} is used inside itself)")
        if len(stack) >= MAX_DEPTH:
            raise RecursionError
        stack.append(id(n))
        if isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                if record and items:  # `key[i]`: the item's own line (a block list writes one a line)
                    where.setdefault(f"{prefix[:-1]}[{i}]", f"{filename} line {item.start_mark.line + 1}")
                walk(item, f"{prefix[:-1]}[{i}].", record and items, item.start_mark.line + 1, stack)
        else:
            first: dict[str, int] = {}
            merged: list[tuple[Any, int]] = []
            for k, v in n.value:
                key_line = k.start_mark.line + 1
                if k.tag == merge_tag:
                    merged.extend((m, key_line) for m in (v.value if isinstance(v, yaml.SequenceNode) else [v]))
                    continue
                key = f"{prefix}{_key_text(k)}"
                if isinstance(k, yaml.ScalarNode):
                    if key in first:
                        raise ConfigError(f"{filename} line {key_line}: invalid YAML: duplicate key {key!r} "
                                          f"(first at line {first[key]})")
                    first[key] = key_line
                if record:
                    where.setdefault(key, f"{filename} line {key_line}")
                walk(v, key + ".", record, key_line, stack)
            # Two merged mappings that both set a key: YAML says the first wins, PyYAML keeps the
            # last; refused, as a key written twice. The mapping's own keys override merged ones.
            from_merge: dict[str, int] = {}
            for m, key_line in merged:
                for k, _ in m.value if isinstance(m, yaml.MappingNode) else ():
                    key = f"{prefix}{_key_text(k)}"
                    if isinstance(k, yaml.ScalarNode) and k.tag != merge_tag and key not in first:
                        if key in from_merge:
                            raise ConfigError(f"{filename} line {key_line}: invalid YAML: duplicate key {key!r} in "
                                              f"the merged mappings (first at line {from_merge[key]})")
                        from_merge[key] = k.start_mark.line + 1
            # A merged key is where its anchor wrote it; the mapping's own keys, recorded first, win.
            for m, key_line in merged:
                walk(m, prefix, record, key_line, stack)
        stack.pop()

    walk(root, prefix, True, root.start_mark.line + 1, [])


def read_yaml_mapping(path: str | os.PathLike[str], *, what: str, keys: str,
                      items: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
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
        Dotted key -> ``"FILE line N"`` (:func:`parse_yaml`; with ``items``, list items too).

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
    data, where = parse_yaml(text, str(p), items=items)
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
