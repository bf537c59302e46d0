"""How grid values read in tables, plots and messages, and their canonical form (for ids and matching)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError

__all__ = ["display_label", "latency_positions", "one_spelling"]

#: The latency models a run config has (``latency.<name>``).
_LATENCY_MODELS = ("feed", "entry", "response")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default, separators=(",", ":"))


def _json_default(obj: Any) -> Any:
    """A numpy scalar as its Python value (``np.int64(1)`` is ``1``, not the string ``"1"``: a grid built with
    numpy numbers is the same point as the one its results.csv cell types back); anything else its ``str``."""
    import numpy as np

    return obj.item() if isinstance(obj, np.generic) else str(obj)


def plain_value(value: Any) -> Any:
    """``value`` as a grid file would hold it: a numpy scalar as its Python number or bool (``np.float64(0.5)``
    0.5, ``np.bool_`` a bool), a path as its text, a tuple as a list, a mapping's keys as text, any other object
    its ``str``; a ``str``/``int``/``float``/``bool`` subclass as the plain type (YAML writes only those)."""
    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return str(value)


def _describe(overrides: Mapping[str, Any]) -> str:
    """``key=value, ...`` of a point's overrides, as messages name a point (:func:`_value_text` per value)."""
    if not overrides:
        return "(base)"
    return ", ".join(f"{k}={_value_text(v, k)}" for k, v in overrides.items())


def _value_text(value: Any, key: str) -> str:
    """A value in a ``key=value, ...`` list: a plain mapping (strategy parameters given whole) in braces,
    ``strategy.params={half_spread=1, size=100}``, so its keys do not read as the point's own keys."""
    label = display_label(value, key)
    # A strategy section reads Class(...) and a latency model lognormal(...): no braces needed.
    if isinstance(value, Mapping) and not isinstance(value.get("path"), str) and "=" in label:
        return "{" + label + "}"
    return label


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("path"), str):
        # A strategy section: its class name and parameters say which arm it is.
        params = value.get("params") or {}
        args = ", ".join(f"{k}={_label(v)}" for k, v in params.items()) if isinstance(params, Mapping) else ""
        return f"{_short(value['path'], 10_000)}({args})"
    if isinstance(value, (dict, list)):
        return _canonical(value)
    return repr(value)


def is_duration_key(key: str) -> bool:
    """A grid key whose value is a duration in ns when written as a bare number (a latency too)."""
    last = key.rpartition(".")[2]
    return ((key.startswith("latency.") and last in _LATENCY_MODELS)
            or key in ("decide_every", "sample_every", "max_idle", "report.toxic_horizon")
            or (key.startswith("signals.") and last.endswith("_half_life")))


def _is_latency_key(key: str) -> bool:
    """``latency.feed``, ``latency.entry`` or ``latency.response``: a key whose value is a latency model."""
    return key.startswith("latency.") and key.rpartition(".")[2] in _LATENCY_MODELS


def _latency_at(value: Any, key: str) -> bool:
    """Whether ``value`` under ``key`` is a latency model: the value of ``latency.feed``/``entry``/``response``
    (also inside a swept ``latency`` section, whose keys are read as ``latency.feed``, ...). A strategy
    parameter ``{constant: 5}`` is no latency (it was written ``5ns``, which the grid refuses back as its
    parameters). With no key at all, a one-key ``{lognormal: ...}``/``{constant: ...}``/``{recorded: ...}``."""
    if key:
        return _is_latency_key(key)
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("lognormal", "constant",
                                                                                   "recorded")


def display_label(value: Any, key: str = "") -> str:
    """How a grid value reads in tables, plots and messages.

    A latency (the value of ``latency.feed`` ..., also in a ``latency`` section; with no key, a
    ``{lognormal: ...}``/``{constant: ...}`` mapping) reads as :meth:`mmsim.LatencyModel.describe` does (``5ms``,
    ``recorded``, ``recorded + 5ms``, ``lognormal(1ms, 0.5)``, ``lognormal(1ms, 0.5, min 100us)``
    with a floor); a strategy section as
    ``Class(param=value, ...)``; any other mapping as ``key=value, ...``;
    a string as written; a duration written as a bare number (ns) with its unit
    (``decide_every: 100`` reads ``100ns``); any other number as Python prints it. A value built in Python
    reads as its plain value (:func:`plain_value`: ``0.5``, not ``np.float64(0.5)``; a path as its text).
    """
    from ..config import LatencyModel

    value = plain_value(value)
    if _latency_at(value, key) and not isinstance(value, bool):
        try:
            model = LatencyModel.parse(value, key or "latency")
        except ConfigError:
            pass
        else:
            # A duration keeps the text it was written with ("0ms", "250us").
            if isinstance(value, str) and model.kind == "constant":
                return value
            return model.describe()  # with its floor: two floors must not read alike
    if is_duration_key(key) and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        from ..config import format_ns

        return format_ns(value)  # a bare number is ns: `decide_every: 100` reads 100ns, not 100
    if isinstance(value, Mapping) and isinstance(value.get("path"), str):
        return _label(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={display_label(v, f'{key}.{k}' if key else str(k))}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(display_label(v, key) for v in value) + "]"
    return _label(value)


def typed_form(value: Any, key: str = "") -> Any:
    """A grid value as a user types it back into the grid (results.csv's cell).

    A latency mapping reads as its label (``{recorded: 50ms}`` -> ``recorded + 50ms``, a lognormal
    ``lognormal(1ms, 0.5)``: :meth:`mmsim.LatencyModel.describe`, which the config reads back to the same
    model); any other mapping or list as YAML flow in its own key order (``{path: ..., params: {size: 1}}``,
    ``[100ms, 1s]``), a latency inside it by its label. A string stays as written (``recorded+5ms``), quoted
    when the grid reader would read it as another value or not at all (``'off'``, ``'5'``, ``'1e-3'``, ``'null'``,
    ``'a: b'``); a number or bool unchanged.
    A value built in Python is written as its plain value (:func:`plain_value`: ``np.float64(0.5)`` as ``0.5``,
    a ``Path`` as its text)."""
    if isinstance(value, (Mapping, list, tuple)):
        # by its JSON in its own key order (1, 1.0 and true apart): a sweep's rows repeat its grid values
        return _typed_text(json.dumps(plain_value(value), separators=(",", ":")), key)
    if isinstance(value, str):
        return _typed_text(json.dumps(str(value)), "")
    return value


@functools.lru_cache(maxsize=4096)
def _typed_text(value_json: str, key: str) -> str:
    """:func:`typed_form` of a plain value given as its JSON (cached: a dump and a read back each take ~0.3 ms)."""
    return _yaml_text(_typed(json.loads(value_json), key))


@functools.lru_cache(maxsize=1)
def _dumper() -> Any:
    """PyYAML's ``SafeDumper`` resolving plain scalars as the grid reader does (its YAML 1.2 numbers:
    :func:`mmsim.config.yaml_file.loader_class`), so it quotes ``'1e-3'``, ``'0o10'`` and ``'1e999'``, which
    PyYAML's YAML 1.1 dumper wrote bare and the grid reads as numbers."""
    import yaml

    from ..config.yaml_file import loader_class

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.yaml_implicit_resolvers = {first: list(resolvers)
                                      for first, resolvers in loader_class().yaml_implicit_resolvers.items()}
    return Dumper


def _yaml_text(plain: Any) -> str:
    """``plain`` as one line of YAML flow that the grid reader, after a key (``key: TEXT``), reads back as
    ``plain``; JSON (a double-quoted string, valid YAML) if the flow text would not (a line break)."""
    import yaml

    from ..config.yaml_file import loader_class

    text = yaml.dump(plain, Dumper=_dumper(), default_flow_style=True, sort_keys=False, allow_unicode=True,
                     width=float("inf"))
    text = text[: -len("...\n")].strip() if text.endswith("...\n") else text.strip()
    try:
        back = yaml.load(f"v: {text}\n", Loader=loader_class())["v"]
    except yaml.YAMLError:
        back = _DIFFERENT
    if "\n" in text or _canonical(back) != _canonical(plain):
        return json.dumps(plain, ensure_ascii=False)
    return text


_DIFFERENT = object()


def _typed(value: Any, key: str) -> Any:
    from ..config import LatencyModel

    if _latency_at(value, key) and isinstance(value, Mapping):
        try:
            return LatencyModel.parse(value, key or "latency").describe()
        except ConfigError:
            pass
    if isinstance(value, Mapping):
        return {str(k): _typed(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, key) for v in value]
    return value


def _meaning(value: Any, key: str) -> str:
    """What a grid value means once read, for telling two spellings of one value: a latency as its model
    (``1ms`` and ``1000us`` are one constant, ``{lognormal: {median: 1ms, ...}}`` and ``median: 1000us``
    one model), a duration by its ns; anything else as written (canonical JSON)."""
    from ..config import LatencyModel, parse_duration

    if isinstance(value, bool):
        return _canonical(value)
    try:
        if _is_latency_key(key):
            model = LatencyModel.parse(value, key)
            return f"latency:{model!r}"  # every field of the model (a frozen dataclass)
        if is_duration_key(key) and isinstance(value, (str, int)):
            return f"duration:{parse_duration(value, key)}"
    except (ConfigError, AttributeError, TypeError, ValueError):
        pass
    return _canonical(value)


def one_spelling(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """``rows`` with each of ``keys`` spelled one way across the sweep: a value that reads the same as an
    earlier row's (``1000us`` after ``1ms``, on another strategy's explicit points) takes that row's spelling,
    so the table prints one label and a plot puts one tick where the two would sit on one spot. Only for
    display: results.csv and results.jsonl keep each point's value as written (its id does not change)."""
    first: dict[tuple[str, str], Any] = {}
    out = []
    for r in rows:
        row = dict(r)
        for k in keys:
            if k in row and row[k] is not None:
                row[k] = first.setdefault((k, _meaning(row[k], k)), row[k])
        out.append(row)
    return out


def _latency_models(values: Sequence[Any], key: str) -> list[Any] | None:
    """``values`` of a latency key (``latency.feed``...) read as :class:`mmsim.LatencyModel`; None for another key
    or a value that is not a latency."""
    from ..config import LatencyModel

    if not _is_latency_key(key):
        return None
    try:
        return [LatencyModel.parse(v, key) for v in values]
    except ConfigError:
        return None


def latency_positions(values: Sequence[Any], key: str) -> list[float] | None:
    """Category positions of a latency axis that holds a recorded feed, one per value: the constant
    latencies by their ns, then ``recorded``, ``recorded + 1ms``, ... by their offset, then any other
    (lognormal) as written. None for any other key or values (they keep the order they are written in).

    ``recorded + 5ms`` is not ``5ms``: it is placed among the recorded points, never on a duration axis.
    """
    models = _latency_models(values, key)
    if models is None:
        return None
    if not any(m.kind == "recorded" for m in models):
        return None
    rank = {"constant": 0, "recorded": 1}
    order = sorted(range(len(models)), key=lambda i: (rank.get(models[i].kind, 2),
                                                      models[i].ns + models[i].offset_ns if models[i].kind in rank else i))
    positions = [0.0] * len(models)
    for place, i in enumerate(order):
        positions[i] = float(place)
    return positions


#: The line of a plot that holds the recorded feed's points when a latency axis mixes them with constants.
RECORDED_LINE = "recorded + X"


def recorded_axis(values: Sequence[Any], key: str) -> tuple[list[float], list[str], str, list[str]] | None:
    """A latency axis whose values are all constants or the recorded feed (``recorded``, ``recorded + X``),
    a recorded one among them, as a duration axis of X: x (ns), tick labels, axis title and each value's line
    (``constant`` or :data:`RECORDED_LINE`). None for any other axis (a lognormal model among them: categorical).

    Every value recorded: x is the added latency X, ticked ``0`` (``recorded``), ``5ms``..., titled
    ``latency.feed = recorded + X``. Constants and recorded: x is the constant's latency or the recorded
    feed's X, two lines (``latency.feed = X, or recorded + X``)."""
    models = _latency_models(values, key)
    if models is None:
        return None
    kinds = {m.kind for m in models}
    if "recorded" not in kinds or not kinds <= {"constant", "recorded"}:
        return None
    xs = [float(m.offset_ns if m.kind == "recorded" else m.ns) for m in models]
    ticks = [("0" if m.offset_ns == 0 else display_label(v, key)[len("recorded + "):]) if m.kind == "recorded"
             else display_label(v, key) for v, m in zip(values, models)]
    lines = [RECORDED_LINE if m.kind == "recorded" else "constant" for m in models]
    title = f"{key} = recorded + X" if kinds == {"recorded"} else f"{key} = X, or recorded + X"
    return xs, ticks, title, lines


def _short(text: str, width: int = 28) -> str:
    # Strategy specs are long (absolute) file paths; the name after ':' tells rows apart.
    target, sep, name = text.rpartition(":")
    if sep and target.endswith(".py") and name:
        text = name
    return text if len(text) <= width else text[: width - 1] + "…"


def _unmatched(p: Any, chosen: Mapping[str, Any], points: Sequence[Any]) -> str:
    """``: its ladder_levels=2 (every point with strategy=FixedSpread(...) has ladder_levels at the base config's
    value)``: the settings
    of ``p`` that no point with the baseline's ``chosen`` values shares, each with the values those points have
    (breaker35 F9: the note made the reader work out which setting had no match). Empty when each is shared by
    some such point (only their combination is missing): then it names the point's other settings whole."""
    want = _canonical({k: chosen[k] for k in sorted(chosen)})
    like = [q for q in points if _canonical({k: q.overrides.get(k) for k in sorted(chosen)}) == want]
    keys = [k for k in dict.fromkeys([*p.overrides, *(k for q in like for k in q.overrides)]) if k not in chosen]

    def said(key: str, value: Any) -> str:
        return "at the base config's value" if value is None else _value_text(value, key)

    parts = []
    for key in keys:
        theirs = {_canonical(q.overrides.get(key)): q.overrides.get(key) for q in like}
        if _canonical(p.overrides.get(key)) not in theirs:
            mine = (f"{key}={_value_text(p.overrides[key], key)}" if key in p.overrides
                    else f"{key} at the base config's value")
            parts.append(f"{mine} (every point with {_describe(chosen)} has {key} "
                         f"{' or '.join(said(key, v) for v in theirs.values())})")
    if not like:
        return ""
    if parts:
        return ": its " + "; its ".join(parts)
    others = {k: v for k, v in p.overrides.items() if k not in chosen}
    return f": no such point has {_describe(others)} together" if others else ""
