"""The one config loader: field kinds declared on the dataclass fields, coercion, YAML locations.

Every configuration class of mmsim (:class:`~mmsim.Config` and its sections,
:class:`~mmsim.RunConfig`, :class:`~mmsim.synth.SynthConfig`) is a frozen,
keyword-only dataclass deriving from :class:`ConfigBase`, whose fields declare
what they hold with :func:`setting` (a :class:`Kind`: a duration, a latency
model, a bounded number, a choice, a nested section...). One code path reads
every value, whether it comes from YAML (:meth:`ConfigBase.from_dict`), a sweep
grid's dotted override or a direct construction: **constructors coerce**, so
``SignalConfig(ofi_half_life="500ms")`` holds ``500_000_000`` and
``LatencyConfig(feed=1000)`` a constant 1000 ns latency, and a bad value is a
:class:`~mmsim.ConfigError` naming the key.

Units: durations are int nanoseconds, or a number with a unit (``ns``, ``us``,
``ms``, ``s``, ``min``/``m``, ``h``) or a :class:`datetime.timedelta`. Every
duration is bounded (:data:`MAX_LATENCY_NS` for latencies,
:data:`MAX_DURATION_NS` for the rest), so that no time arithmetic on int64
nanosecond timestamps can wrap.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

from ..errors import ConfigError
from ._units import (
    MAX_DURATION_NS,
    REALS,
    not_integer,
    parse_duration,
    parse_event_horizon,
    parse_markout_horizon,
    whole_integer,
)

__all__ = [
    "ConfigBase",
    "Duration",
    "DurationTuple",
    "EventHorizonTuple",
    "Flag",
    "IntTuple",
    "Integer",
    "Kind",
    "MarkoutHorizon",
    "Number",
    "Params",
    "Section",
    "Text",
    "Timestamp",
    "setting",
]


# --------------------------------------------------------------------------- kinds


class Kind:
    """What a field holds: how a value is read (:meth:`read`) and written back as plain data (:meth:`plain`).

    ``read(value, label, must)`` returns the field's value or raises a
    :class:`~mmsim.ConfigError`; ``label`` names the key in messages and
    ``must`` is how the owning class joins a label to ``"must be ..."``
    (``"key must be"`` or ``"key: must be"``).
    """

    #: The field may be None (``null`` in YAML).
    optional: bool = False

    def read(self, value: Any, label: str, must: str) -> Any:  # pragma: no cover - overridden
        return value

    def plain(self, value: Any) -> Any:
        """The value as YAML/JSON data that :meth:`read` reads back to an equal value."""
        return value


def _is_number(v: Any) -> bool:
    return isinstance(v, REALS) and not isinstance(v, bool)


class Number(Kind):
    """A float, finite unless ``finite=False``, optionally bounded.

    Parameters
    ----------
    gt, ge, le : float, optional
        Exclusive lower, inclusive lower and inclusive upper bounds.
    why : str, optional
        What the message says the value must be (default from the bounds).
    why_high : str, optional
        The same, for a finite value over ``le`` only (default ``why``).
    optional : bool
        None is allowed.
    """

    def __init__(self, *, gt: float | None = None, ge: float | None = None, le: float | None = None,
                 why: str | None = None, why_high: str | None = None, optional: bool = False) -> None:
        self.gt, self.ge, self.le, self.optional = gt, ge, le, optional
        self.why_high = why_high
        if why is None:
            if gt == 0 and le is None:
                why = "a positive number"
            elif ge is not None and le is not None:
                why = f"a number in [{ge:g}, {le:g}]"
            elif gt is not None:
                why = f"a finite number > {gt:g}"
            elif ge is not None:
                why = f"a finite number >= {ge:g}"
            elif le is not None:
                why = f"a finite number <= {le:g}"
            else:
                why = "a finite number"
        self.why = why

    def read(self, value: Any, label: str, must: str) -> Any:
        if value is None and self.optional:
            return None
        if not _is_number(value):
            raise ConfigError(f"{label}: expected a number, got {value!r}")
        # a Fraction or Decimal is quoted as given (Decimal('1E+400'), not the inf it reads as)
        given = repr(value) if isinstance(value, (Fraction, Decimal)) else None
        try:
            v = float(value)
        except ValueError:  # Decimal('sNaN') reads as no float
            raise ConfigError(f"{label}{must}{self.why}, got {value!r}") from None
        except OverflowError:  # an int (or Fraction) too large for a float: 1 and 400 zeros (fix25b)
            from .._scales import shown

            big = value > 0 and self.le is not None
            raise ConfigError(f"{label}{must}{(self.why_high or self.why) if big else self.why}, got "
                              f"{shown(value) if isinstance(value, int) else 'a number too large for a float'}"
                              ) from None
        ok = math.isfinite(v)
        ok = ok and (self.gt is None or v > self.gt) and (self.ge is None or v >= self.ge)
        if ok and self.le is not None and v > self.le and self.why_high is not None:
            raise ConfigError(f"{label}{must}{self.why_high}, got {given or repr(v)}")
        ok = ok and (self.le is None or v <= self.le)
        if not ok:
            raise ConfigError(f"{label}{must}{self.why}, got {given or repr(v)}")
        return v


class Integer(Kind):
    """An int in ``ge .. le`` (a bool is not an int here).

    Parameters
    ----------
    ge, le : int, optional
        Inclusive bounds.
    why : str, optional
        What the message says the value must be (default ``in ge..le``).
    why_low, why_high : str, optional
        The same, for a value under ``ge`` or over ``le`` only.
    """

    def __init__(self, *, ge: int | None = None, le: int | None = None, why: str | None = None,
                 why_low: str | None = None, why_high: str | None = None, optional: bool = False) -> None:
        self.ge, self.le, self.optional = ge, le, optional
        if why is None:
            if ge is not None and le is not None:
                why = f"in {ge}..{le}"
            elif ge is not None:
                why = f">= {ge}"
            else:
                why = f"at most {le}"
        self.why_low, self.why_high = why_low or why, why_high or why

    def read(self, value: Any, label: str, must: str) -> Any:
        if value is None and self.optional:
            return None
        v = whole_integer(value)  # an int, or a whole float (2.0): one rule for every integer key
        if v is None:
            raise ConfigError(not_integer(label, value))
        if self.ge is not None and v < self.ge:
            raise ConfigError(f"{label}{must}{self.why_low}, got {v!r}")
        if self.le is not None and v > self.le:
            raise ConfigError(f"{label}{must}{self.why_high}, got {v!r}")
        return v


class Flag(Kind):
    """True or false."""

    def read(self, value: Any, label: str, must: str) -> Any:
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise ConfigError(f"{label}: expected true or false, got {value!r}")
        return bool(value)


class Text(Kind):
    """A string, optionally one of ``choices`` or non-empty.

    Parameters
    ----------
    choices : sequence of str, optional
        The accepted values.
    nonempty : bool
        The empty string is refused.
    why : str, optional
        What the message says the value must be.
    """

    def __init__(self, *, choices: Sequence[str] | None = None, nonempty: bool = False,
                 why: str | None = None) -> None:
        self.choices = tuple(choices) if choices is not None else None
        self.nonempty = nonempty
        if why is None and self.choices is not None:
            c = list(self.choices)
            why = ", ".join(c[:-1]) + f" or {c[-1]}" if len(c) > 1 else c[0]
        self.why = why or "not empty"

    def read(self, value: Any, label: str, must: str) -> Any:
        if not isinstance(value, str):
            raise ConfigError(f"{label}: expected a string, got {value!r}")
        if (self.choices is not None and value not in self.choices) or (self.nonempty and not value):
            raise ConfigError(f"{label}{must}{self.why}, got {value!r}")
        return value


class Duration(Kind):
    """A duration, int ns (see :func:`parse_duration`), at most ``max_ns``.

    Parameters
    ----------
    positive : bool
        Zero is refused.
    max_ns : int
        Upper bound, ns.
    optional : bool
        None is allowed (e.g. ``decide_every: null``).
    """

    def __init__(self, *, positive: bool = False, max_ns: int = MAX_DURATION_NS, optional: bool = False) -> None:
        self.positive, self.max_ns, self.optional = positive, max_ns, optional

    def read(self, value: Any, label: str, must: str) -> Any:
        if value is None and self.optional:
            return None
        ns = parse_duration(value, label, max_ns=self.max_ns)
        if self.positive and ns == 0:
            raise ConfigError(f"{label}{must}a positive duration, got {value!r}")
        return ns


class MarkoutHorizon(Kind):
    """A markout horizon: a duration (held as int ns) or a count of market events ``"<k>ev"`` (held as ``"<k>ev"``)."""

    def read(self, value: Any, label: str, must: str) -> Any:
        return parse_markout_horizon(value, label)


class EventHorizonTuple(Kind):
    """A list of event-count horizons (positive ints or ``"<k>ev"``), held as a tuple of int."""

    def read(self, value: Any, label: str, must: str) -> Any:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(f"{label}: expected a list of positive numbers of market events, got {value!r}")
        return tuple(parse_event_horizon(v, f"{label}[{i}]") for i, v in enumerate(value))

    def plain(self, value: Any) -> Any:
        return list(value)


class DurationTuple(Kind):
    """A non-empty list of durations, held as a tuple of int ns."""

    def __init__(self, *, max_ns: int = MAX_DURATION_NS) -> None:
        self.max_ns = max_ns

    def read(self, value: Any, label: str, must: str) -> Any:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
            raise ConfigError(f"{label}: expected a list of durations, got {value!r}")
        return tuple(parse_duration(v, f"{label}[{i}]", max_ns=self.max_ns) for i, v in enumerate(value))

    def plain(self, value: Any) -> Any:
        return list(value)


class IntTuple(Kind):
    """A list of positive integers, held as a tuple."""

    def read(self, value: Any, label: str, must: str) -> Any:
        if (isinstance(value, (str, bytes)) or not isinstance(value, Sequence)
                or not all((k := whole_integer(v)) is not None and k > 0 for v in value)):
            raise ConfigError(f"{label}: expected a list of positive integers, got {value!r}")
        return tuple(int(whole_integer(v) or 0) for v in value)

    def plain(self, value: Any) -> Any:
        return list(value)


class Params(Kind):
    """A mapping of named parameters (None reads as empty), held as a dict."""

    def read(self, value: Any, label: str, must: str) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{label}: expected a mapping of parameters, got {value!r}")
        return dict(value)

    def plain(self, value: Any) -> Any:
        return dict(value)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class Timestamp(Kind):
    """A point in time: int ns since the UTC epoch, an ISO 8601 string, a date or a datetime (naive = UTC)."""

    def __init__(self, *, why: str = "in 0 .. 2**63 - 1") -> None:
        self.why = why

    def read(self, value: Any, label: str, must: str) -> Any:
        if isinstance(value, str):
            try:
                value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(f"{label}: cannot read {value!r} as an ISO 8601 time") from None
        elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            value = _dt.datetime(value.year, value.month, value.day)  # YAML reads 2024-01-02 as a date
        if isinstance(value, _dt.datetime):
            ts = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
            value = (ts - _EPOCH) // _dt.timedelta(microseconds=1) * 1000
        ns = whole_integer(value)
        if ns is None:
            raise ConfigError(not_integer(label, value))
        if not 0 <= ns < 2**63:
            raise ConfigError(f"{label}{must}{self.why}, got {value!r}")
        return ns


class Section(Kind):
    """A nested config section: an instance of ``cls``, or a mapping of its keys."""

    def __init__(self, cls: Callable[[], Any]) -> None:
        self._cls = cls

    @property
    def cls(self) -> type[ConfigBase]:
        """The section's class (given lazily, so a section may be declared before its class)."""
        c = self._cls
        return c if isinstance(c, type) else c()  # type: ignore[return-value]

    def read(self, value: Any, label: str, must: str) -> Any:
        cls = self.cls
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        raise ConfigError(f"{label}: expected a mapping, got {type(value).__name__}")

    def plain(self, value: Any) -> Any:
        return value.to_dict()


class Custom(Kind):
    """A kind given by two functions, ``read(value, label)`` and ``plain(value)``."""

    def __init__(self, read: Callable[[Any, str], Any], plain: Callable[[Any], Any] | None = None) -> None:
        self._read, self._plain = read, plain

    def read(self, value: Any, label: str, must: str) -> Any:
        return self._read(value, label)

    def plain(self, value: Any) -> Any:
        return self._plain(value) if self._plain is not None else value


_KIND = "mmsim.kind"


def setting(kind: Kind, default: Any = dataclasses.MISSING, *,
            default_factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field holding ``kind`` (``x: int = setting(Duration(), 5_000_000)``)."""
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata={_KIND: kind})
    return dataclasses.field(default=default, metadata={_KIND: kind})


def kind_of(f: dataclasses.Field[Any]) -> Kind | None:
    """The :class:`Kind` a field was declared with (None for a plain field)."""
    return f.metadata.get(_KIND)


def setting_bound(cls: type, name: str) -> int:
    """The largest value the integer setting ``name`` of config class ``cls`` takes (its ``le``)."""
    kind = kind_of(next(f for f in dataclasses.fields(cls) if f.name == name))
    return int(kind.le)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the base class

C = TypeVar("C", bound="ConfigBase")


class ConfigBase:
    """Mixin of every mmsim config dataclass: coercing constructor, ``from_dict``, ``to_dict``, ``replace``.

    Subclasses are ``@dataclass(frozen=True, kw_only=True)`` with fields declared
    by :func:`setting`. Class attributes shape the messages: ``_prefix`` (the
    dotted key of the section in a run config, e.g. ``"latency."``),
    ``_label_format`` (how a key is named) and ``_must`` (how a key joins
    ``must be``). :meth:`_validate` holds checks that involve several fields.
    """

    _prefix: ClassVar[str] = ""
    _label_format: ClassVar[str] = "{key}"
    _must: ClassVar[str] = " must be "
    _unknown: ClassVar[str] = "unknown config key {key!r}"

    @classmethod
    def _label(cls, name: str) -> str:
        return cls._label_format.format(key=cls._prefix + name)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            kind = kind_of(f)
            if kind is not None:
                object.__setattr__(self, f.name, kind.read(getattr(self, f.name), self._label(f.name), self._must))
        self._validate()

    def _validate(self) -> None:
        """Checks across fields (each field is already read)."""

    @classmethod
    def from_dict(cls: type[C], data: Mapping[str, Any], *, where: Mapping[str, str] | None = None) -> C:
        """Build from plain mappings, as parsed from YAML.

        Parameters
        ----------
        data : mapping
            Keys are field names; sections are nested mappings.
        where : mapping, optional
            Dotted key -> location text (``"run.yaml line 7"``) added to errors.

        Raises
        ------
        ConfigError
            Naming the key (and its line), for an unknown key, a wrong type or a bad value.
        """
        return _build(cls, data, where or {})

    def replace(self: C, **changes: Any) -> C:
        """Copy with fields changed (values are read as in the constructor)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping that :meth:`from_dict` reads back to an equal config."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            kind = kind_of(f)
            v = getattr(self, f.name)
            out[f.name] = kind.plain(v) if kind is not None and v is not None else v
        return out


def _at(where: Mapping[str, str], key: str) -> str:
    loc = where.get(key)
    return f" ({loc})" if loc else ""


def _build(cls: type[C], data: Any, where: Mapping[str, str]) -> C:
    if isinstance(data, cls):
        return data
    section = cls._prefix.rstrip(".")
    if not isinstance(data, Mapping):
        key = section or "config"
        raise ConfigError(f"{key}: expected a mapping, got {type(data).__name__}{_at(where, key)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{cls._prefix}{key}"
        if key not in fields:
            split = next((k for k, v in data.items() if isinstance(v, str) and "(" in v and ")" not in v), None)
            hint = (f"; {dotted[:len(dotted) - len(str(key))]}{split}: {data[split]!r} is cut at a comma: inside "
                    "{...} YAML splits at commas, so quote a value that holds one "
                    "('lognormal(1ms, 0.5)') or write the key on its own line"
                    if split is not None and str(key).endswith(")") else "")
            raise ConfigError(cls._unknown.format(key=dotted) + hint + _at(where, dotted))
        kind = kind_of(fields[key])
        if isinstance(kind, Section) and isinstance(value, Mapping):
            value = _build(kind.cls, value, where)  # nested: its own keys are located
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise locate(e, where, cls, fallback=section or "config") from None


def locate(e: ConfigError, where: Mapping[str, str], cls: type[ConfigBase] | None = None,
           fallback: str = "config") -> ConfigError:
    """Add the file line of the key the message names (else of ``fallback``), once.

    A message about several keys (``max_orders: 3 is less than twice ladder_levels: 2``,
    ``queue.power: 3 is read by queue.model: power only``) gets the line of each key it
    names as ``key:`` that has one, in one parenthesis at the end: ``(max_orders at
    run.yaml line 4, ladder_levels at run.yaml line 3)``; each location is given once.
    """
    msg = str(e)
    if any(loc in msg for loc in where.values()):
        return e
    fmt = cls._label_format if cls is not None else "{key}"
    named = []
    for k in where:
        label = fmt.format(key=k)
        if msg.startswith(label) and msg[len(label):len(label) + 1] in (":", " ", "", "["):
            named.append(k)
    key = max(named, key=len) if named else fallback
    loc = _at(where, key)
    if loc:  # the value as the file writes it (seed: 1e400 said got inf: breaker26)
        from ._written import quote_from_file

        msg = quote_from_file(msg, where, key)
    # The other keys the message names as `key: value`, in the order it names them.
    others = sorted(((m.start(), k) for k in where if k != key and where.get(k) and where.get(k) != where.get(key)
                     for m in [re.search(r"(?<![\w.])" + re.escape(k) + r":", msg[len(key):])] if m),
                    key=lambda t: t[0])
    if others:
        parts = ([f"{key} at {where[key]}"] if where.get(key) else []) + [f"{k} at {where[k]}" for _, k in others]
        return ConfigError(f"{msg} ({', '.join(parts)})")
    return ConfigError(f"{msg}{loc}") if loc else e
