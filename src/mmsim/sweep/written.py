"""Values as the grid file writes them, for messages: ``timeout: 1e999`` is quoted ``'1e999'``, not ``inf``.

YAML reads ``1e999`` as the float ``inf`` and ``1.0e3`` as ``1000.0``; a message that echoes the
value as read names something the user never wrote. :func:`scalar_texts` keeps the text of
every number in the grid file, by dotted key (``timeout``, ``axes.strategy.params.size[1]``,
``points[0].strategy.params.size``), and :func:`quote_written` puts it back into a message, as
the command line does for its flags (:func:`mmsim.cli._common.as_written`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..config._written import quote_written, scalar_texts

__all__ = ["describe_written", "line_of", "quote_as_written", "quote_at", "quote_written", "scalar_texts", "written_text"]

def line_of(where: Mapping[str, str], key: str) -> str:
    """``" (FILE line N)"`` for the dotted ``key`` (``axes.a.b[1]``, ``points[0].x``), or its nearest written parent
    (a list item's own line when the grid's reader recorded it: ``parse_yaml(..., items=True)``)."""
    k = key
    while k:
        if k in where:
            return f" ({where[k]})"
        if k.endswith("]"):
            parent = re.sub(r"\[\d+\]$", "", k)
        else:
            parent = k.rpartition(".")[0] if "." in k else re.sub(r"\[\d+\].*$", "", k)
        if parent == k:
            break
        k = parent
    return ""


def _numbers(value: Any, path: str) -> list[tuple[Any, str]]:
    """(number, its dotted path) for ``value`` and, in a mapping, each number inside it."""
    if isinstance(value, Mapping):
        return [pair for k, v in value.items() for pair in _numbers(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _numbers(v, f"{path}[{i}]")]
    return [(value, path)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def quote_as_written(message: str, overrides: Mapping[str, Any], label: str, written: Mapping[str, str]) -> str:
    """``message`` about the overrides at ``label`` (``axes.k[1]``: one value; ``points[0]``: a mapping) with
    the first number it echoes quoted as the grid writes it (:func:`quote_written`)."""
    if label.startswith("axes.") and len(overrides) == 1:
        return quote_at(message, {label: next(iter(overrides.values()))}, written)
    return quote_at(message, {f"{label}.{k}": v for k, v in overrides.items()}, written)


def quote_at(message: str, values: Mapping[str, Any], written: Mapping[str, str]) -> str:
    """``message`` with the first number it echoes of ``values`` (the grid's dotted key, ``axes.k[1]`` or
    ``points[0].k`` -> the value there, a number or a mapping or list of them) quoted as the grid writes it."""
    pairs = [pair for path, v in values.items() for pair in _numbers(v, path)]
    for value, path in pairs:
        quoted = quote_written(message, value, written.get(path))
        if quoted != message:
            return quoted
    return message



class _AsWritten:
    """A number that prints as the grid file writes it (``0x10``, ``1e999``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def _with_written(value: Any, path: str, written: Mapping[str, str]) -> Any:
    """``value`` with each number the grid writes otherwise than Python prints it replaced by its text."""
    if isinstance(value, Mapping):
        return {k: _with_written(v, f"{path}.{k}", written) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_written(v, f"{path}[{i}]", written) for i, v in enumerate(value)]
    text = written_text(value, path, written)
    return value if text is None else _AsWritten(text)


def written_text(value: Any, path: str, written: Mapping[str, str]) -> str | None:
    """The text the grid writes the number ``value`` at ``path`` with, when Python prints it otherwise
    (``0x10`` for 16, ``-1e0`` for -1.0), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    text = (written.get(path) or "").strip()
    return text if text and text != repr(value) else None


def describe_written(overrides: Mapping[str, Any], sources: Mapping[str, str], written: Mapping[str, str]) -> str:
    """``key=value, ...`` of a point's overrides as messages name a point, each number as the grid writes it
    (``strategy.params.size=0x10``; ``sources``: where the grid writes each key). A latency reads as its model
    (``lognormal(1ms, 0.5)``), as the sweep table shows it."""
    from .labels import _describe

    return _describe({k: v if k.startswith("latency") or not sources.get(k) else _with_written(v, sources[k], written)
                      for k, v in overrides.items()})
