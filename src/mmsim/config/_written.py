"""Numbers as a YAML file writes them, for messages: ``seed: 1e400`` is quoted ``'1e400'``, not ``inf``.

YAML reads ``1e400`` as the float ``inf`` and ``1.0e3`` as ``1000.0``; a message that echoes the value as read
names something the user never wrote. :func:`scalar_texts` keeps the text of every number in a file, by dotted key
(``timeout``, ``report.event_horizons[0]``, ``strategy.params.size``), :func:`quote_written` puts it back into a
message, and :func:`quote_from_file` does both for a message located at a key of a config file (a run config, a
synth config: :func:`mmsim.config._fields.locate`, :func:`mmsim.cli._located.located`), as a grid
(:mod:`mmsim.sweep.written`) and the command line (:func:`mmsim.cli._common.as_written`) do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["quote_from_file", "quote_written", "scalar_texts", "shown_written"]

_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def scalar_texts(text: str) -> dict[str, str]:
    """Dotted key -> the text of each number the YAML document writes (in lists, ``key[i]``).

    Empty when the document does not parse (its reader says why, with the line).
    """
    import yaml

    from .yaml_file import loader_class

    loader = loader_class()(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()
    out: dict[str, str] = {}

    def walk(node: Any, key: str, depth: int) -> None:
        if depth > 64:
            return
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _NUMBER_TAGS and key:
                out.setdefault(key, str(node.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{key}[{i}]", depth + 1)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    walk(v, f"{key}.{k.value}" if key else str(k.value), depth + 1)

    if root is not None:
        walk(root, "", 0)
    return out


def shown_written(text: str) -> str:
    """How a message echoes a value's text as the user wrote it (a config file's, a grid's, a flag's): a whole
    number written in digits bare, as written (``got 60``, ``got -1``, ``got -0``), any other text quoted (``got
    '1e6'``, ``got '2.5'``, ``got 'BTC'``)."""
    t = text.strip()
    return t if re.fullmatch(r"[+-]?[0-9]+", t) else repr(text)


def _renderings(value: Any) -> list[str]:
    forms = [repr(value), str(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        # a whole number a message read as a float (a strategy parameter's size 1 and 30 zeros said 1e+30; a synth
        # key's 257 said 257.0)
        try:
            forms += [repr(float(value)), f"{float(value):g}"]
        except OverflowError:
            pass
    if isinstance(value, float):
        forms.append(f"{value:g}")
        if value != value:  # a strategy parameter's message says NaN (as JSON writes it) where the grid wrote .nan
            forms.append("NaN")
    return sorted(set(forms), key=len, reverse=True)


def quote_written(message: str, value: Any, text: str | None) -> str:
    """``message`` with its first ``got <value as read>`` quoting ``text`` (the value as written) instead.

    Unchanged when there is no ``text`` (a value not written as a number in the grid file),
    when the message does not echo the value, or when it echoes it as written (``got 0``,
    ``got -1``: the run config's messages read so too). A whole number written in digits and echoed in another
    form is put back unquoted (``got 257.0`` -> ``got 257``), any other text quoted (``got '1e6'``).
    """
    if text is None or isinstance(value, bool):
        return message
    for form in _renderings(value):
        m = re.search(r"\bgot (" + re.escape(form) + r")(?=$|[\s;,)])", message)
        if m:
            if form == text.strip():
                return message
            # A whole number written in digits is echoed as such (got 257, as `got 0` reads), any other form quoted.
            return message[:m.start(1)] + shown_written(text) + message[m.end(1):]
    return message


def quote_from_file(msg: str, where: Mapping[str, str], key: str) -> str:
    """``msg``, located at ``key`` of a config file (``where[key]``: ``"FILE line N"``), with its first ``got
    <value as read>`` quoting the text the file writes there instead (``got inf`` -> ``got '1e400'``).

    The numbers the file writes at ``key`` or inside it (``key[0]``, ``key.size``) are tried, those the message
    names first. Unchanged when ``key`` has no line, the file no longer reads, or no number matches.
    """
    from .yaml_file import read_number

    loc = where.get(key)
    if not loc or " line " not in loc:
        return msg
    try:
        texts = scalar_texts(Path(loc.rpartition(" line ")[0]).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return msg
    inside = [p for p in texts if p == key or p.startswith((key + "[", key + "."))]
    for p in sorted(inside, key=lambda p: p not in msg):
        text = texts[p]
        try:
            value = read_number(text)
        except ValueError:
            continue
        quoted = quote_written(msg, value, text)
        if quoted != msg:
            return quoted
    return msg
