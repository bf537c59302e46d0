"""What a compiled rule's source says, read once when the rule is declared (``numba_strategy``): its writes of its
parameters into the integer fields of ``out``, checked before it runs (:func:`rule_int_writes`); the line and
nearest field of a field it reads that does not exist (:func:`misspelt_field`); and the target levels per side its
writes decide with a strategy's parameters, its derived ``ladder_levels_used`` (:func:`levels_used`,
``derived_levels``).

The integer-field check: ``out``'s level and order counts (``n_bid_levels``, ``n_ask_levels``, ``n_orders``) and
``order_type``, ``order_side``, ``order_tag`` are int64 (``mmsim.records.QUOTE_DTYPE``), and every parameter is a
float64: numba casts ``out.n_bid_levels = params.levels`` with ``levels: 2.5`` to 2, before the engine sees it, so
the rule quoted 2 levels a side without a word (stratbreak18). The plain Python path refuses the write when it happens
(``_numba_support._check_whole``); the machine code cannot tell.

What can be known before the run is checked here: the rule's source is read once, when it is declared, for each
assignment to an integer field of ``out`` (or step of one, ``+=``/``-=``) whose value is computed from the
parameters and numbers alone (``params.levels``, ``params.levels * 2``, ``int(params.x) + 1``, or a local assigned
once from such an expression), outside any ``if`` whose condition the parameters decide otherwise (one the view or
the state decides may be reached, so its writes are checked; ``params.on > 0 and view.x > 0`` is false with ``on:
0``), and after no ``if`` one branch of which ended the rule (``if params.enabled == 0: return 0``) unless through
the other. A tuple assignment is read pairwise, a loop's ``else`` and a ``try``'s every block alike, ``p = params``
/ ``o = out`` as the names they alias, and each branch of ``a if view.x > 0 else b`` as a value it may write. Each
such write is evaluated with a strategy's parameter values when it is made (and by ``check_params``, a sweep's
pre-flight), and a value that is not a whole number is a :class:`mmsim.ConfigError` naming the field, the expression,
its value, the parameters and the rule's file and line. A write that also reads the view or the state
(``view.position / params.size``) is not decidable before the run and is not checked (documented in
docs/strategies.md).
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
import re
import textwrap
import types as pytypes
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from .errors import StrategyError
from .records import QUOTE_DTYPE

#: The integer fields of ``out``: scalars (``out.n_orders = ...``) and arrays (``out.order_side[0] = ...``).
INT_FIELDS: frozenset[str] = frozenset(
    name for name, f in (QUOTE_DTYPE.fields or {}).items() if (f[0].base if f[0].subdtype else f[0]).kind == "i")

#: Refusals naming the rule's line, not the config's (an integer field's fraction; a missing field): ``mmsim run``
#: and ``mmsim sweep`` add the config's or grid's line of the parameters they name (:func:`refused_params`).
REFUSAL = re.compile(r"is not a whole number: it (?:is|steps) an integer field|in the view, params or out record")


def refused_params(msg: str) -> list[str]:
    """The parameters a :data:`REFUSAL` names, in order, once each: as the rule reads them (``params.levels``) or
    after it (``; parameters levels=2.5, size=1``)."""
    names = re.findall(r"\bparams\.([A-Za-z_]\w*)", msg) + re.findall(r"(?:; parameters |, )([A-Za-z_]\w*)=", msg)
    return list(dict.fromkeys(names))


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
#: Calls whose value the parameters decide: builtins, and ``math.``/``np.`` rounding.
_CALLS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "abs": abs, "min": min, "max": max, "round": round,
    "math.floor": math.floor, "math.ceil": math.ceil, "math.trunc": math.trunc,
    "np.floor": math.floor, "np.ceil": math.ceil, "np.trunc": math.trunc,
    "numpy.floor": math.floor, "numpy.ceil": math.ceil, "numpy.trunc": math.trunc,
}

#: How deep an expression is read through locals (``b = a + 1; c = b + 1 ...``: two levels a local) before it is left
#: unchecked; a local read in its own expression stops here. (It was 50: 25 locals in a chain went unchecked.)
_DEPTH = 200


class _Unknown(Exception):
    """The expression reads something the parameters do not decide (the view, the state, a loop variable)."""


class _Fork(Exception):
    """A conditional expression (``a if test else b``) whose test the parameters do not decide: each branch may be
    the value, so each is evaluated (:meth:`IntWrite.problem`)."""

    def __init__(self, node: ast.IfExp) -> None:
        super().__init__()
        self.node = node


class IntWrite:
    """One assignment ``target = expr`` of the rule into an integer field of ``out`` that the parameters decide.

    ``problem(values)`` is the refusal's text when ``expr`` is not a whole number for those parameter values, else
    None (the :class:`~mmsim._strategy_params._Constraint` interface, so ``_resolve_params`` checks both alike)."""

    __slots__ = ("target", "op", "source", "line", "_expr", "_env", "_params", "_guards")

    def __init__(self, target: str, expr: ast.expr, line: str, env: Mapping[str, ast.expr], params: frozenset[str],
                 guards: tuple[tuple[ast.expr, bool], ...], op: str = "=") -> None:
        # op "+=" or "-=": an integer field stepped by expr, a fraction whatever the field held
        self.target, self.op, self.source, self.line = target, op, ast.unparse(expr), line
        self._expr, self._env, self._params, self._guards = expr, env, params, guards

    def __repr__(self) -> str:
        return f"{self.target} {self.op} {self.source} ({self.line})"

    def problem(self, values: Mapping[str, float], given: Any = None) -> str | None:
        for ev, x in self.outcomes(values):
            if why := self._whole(ev, x, values):
                return why
        return None

    def outcomes(self, values: Mapping[str, float]) -> Iterator[tuple["_Evaluator", Any]]:
        """Each value the write may take with these parameter values (with its evaluator): none when the parameters
        decide it is not reached, or it cannot be evaluated; one per choice of the conditional expressions the
        parameters do not decide (``a if view.x > 0 else b``)."""
        try:
            for test, want in self._guards:
                try:
                    if _Evaluator(values, self._env, self._params).truth(test) != want:
                        return  # not reached with these parameters
                except (_Unknown, _Fork):
                    pass  # the view or the state decides: it may be reached
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            return  # it fails in the rule too: its own error there
        pending: list[dict[int, bool]] = [{}]
        while pending:
            ev = _Evaluator(values, self._env, self._params, pending.pop(0))
            try:
                x = ev.eval(self._expr)
            except _Fork as fork:
                if len(ev.choices) < 6:
                    pending += [{**ev.choices, id(fork.node): True}, {**ev.choices, id(fork.node): False}]
                continue
            except (_Unknown, ArithmeticError, ValueError, TypeError, RecursionError):
                continue  # not decidable here (or it fails in the rule too: its own error there)
            yield ev, x

    def _whole(self, ev: "_Evaluator", x: Any, values: Mapping[str, float]) -> str | None:
        from ._numba_support import _check_whole

        if isinstance(x, complex):
            x = math.nan  # a negative number to a fractional power: nan in the compiled rule
        try:
            _check_whole(f"{self.target} {self.op} {self.source}", float(x))
        except ValueError as exc:
            used = ", ".join(f"{n}={values[n]!r}" for n in ev.read)
            bare = isinstance(self._expr, ast.Attribute) and len(ev.read) == 1
            why = str(exc) if self.op == "=" else (f"{self.target} {self.op} {self.source} = {float(x)!r} is not a "
                                                   "whole number: it steps an integer field, which the compiled "
                                                   "rule would cut silently")
            return f"{why} ({self.line}" + ("" if bare or not used else f"; parameters {used}") + ")"
        return None


class _Evaluator:
    """Evaluates an expression of ``params.NAME``, numbers, arithmetic, comparisons, ``and``/``or``/``not``, the
    calls of ``_CALLS`` and locals assigned once (``env``); anything else is :class:`_Unknown`."""

    def __init__(self, values: Mapping[str, float], env: Mapping[str, ast.expr], params: frozenset[str],
                 choices: Mapping[int, bool] | None = None) -> None:
        self.values, self.env, self.params = values, env, params
        self.choices = dict(choices or {})  # id of an IfExp the parameters do not decide -> the branch taken
        self.read: list[str] = []
        self._depth = 0
        self._memo: dict[str, tuple[bool, Any]] = {}  # a local's value, or what it raised

    def eval(self, node: ast.expr) -> Any:
        self._depth += 1
        try:
            if self._depth > _DEPTH:
                raise _Unknown
            return self._eval(node)
        finally:
            self._depth -= 1

    def _eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.params:
            if node.attr not in self.values:
                raise _Unknown
            if node.attr not in self.read:
                self.read.append(node.attr)
            return float(self.values[node.attr])
        if isinstance(node, ast.Name) and node.id in self.env:
            # each local once (a chain of locals each read twice, b = a + a; c = b + b ..., was evaluated 2**n times)
            if node.id not in self._memo:
                try:
                    self._memo[node.id] = (True, self.eval(self.env[node.id]))
                except (_Unknown, _Fork, ArithmeticError, ValueError, TypeError, RecursionError) as exc:
                    self._memo[node.id] = (False, exc)
            ok, got = self._memo[node.id]
            if not ok:
                raise got
            return got
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.eval(node.operand))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self.truth(node.operand)
        if isinstance(node, ast.NamedExpr):
            return self.eval(node.value)
        if isinstance(node, ast.BoolOp):
            vals = [self.eval(v) for v in node.values]
            return all(vals) if isinstance(node.op, ast.And) else any(vals)
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            left = self.eval(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.eval(right_node)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            try:
                test = self.truth(node.test)
            except (_Unknown, _Fork):
                if id(node) not in self.choices:
                    raise _Fork(node) from None
                test = self.choices[id(node)]
            return self.eval(node.body) if test else self.eval(node.orelse)
        if isinstance(node, ast.Call) and not node.keywords and (fn := _CALLS.get(ast.unparse(node.func))):
            return fn(*(self.eval(a) for a in node.args))
        raise _Unknown

    def truth(self, node: ast.expr) -> bool:
        """Whether condition ``node`` holds, as far as the parameters decide it: ``a and b`` is false when either is
        (``params.ladder > 0 and view.bid_qty > 0`` with ``ladder: 0``), ``a or b`` true when either is, whatever
        the other reads; else :class:`_Unknown`."""
        if isinstance(node, ast.BoolOp):
            unknown = False
            for v in node.values:
                try:
                    t = self.truth(v)
                except (_Unknown, _Fork):
                    unknown = True
                    continue
                if t != isinstance(node.op, ast.And):
                    return t  # a false operand of an and, a true one of an or, decides it
            if unknown:
                raise _Unknown
            return isinstance(node.op, ast.And)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self.truth(node.operand)
        return bool(self.eval(node))


def _function(py: pytypes.FunctionType) -> tuple[ast.FunctionDef, int] | None:
    """The rule's ``def`` node and the file line of its source's first line, or None when there is no source."""
    try:
        lines, first = inspect.getsourcelines(py)
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == py.__name__:
            return node, max(first, 1)
    return None


def _assigned_once(fn: ast.FunctionDef, args: set[str]) -> dict[str, ast.expr]:
    """Locals bound exactly once in the rule, by ``name = expr``, ``name: T = expr`` or ``(name := expr)``: their
    expression (an argument, a loop variable, a name bound twice or by ``+=``, ``with`` or unpacking is not)."""
    stores: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            stores[node.target.id] = stores.get(node.target.id, 0) + 1
    env: dict[str, ast.expr] = {}
    for node in ast.walk(fn):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and stores.get(node.targets[0].id) == 1 and node.targets[0].id not in args):
            env[node.targets[0].id] = node.value
        elif (isinstance(node, ast.NamedExpr) and stores.get(node.target.id) == 1
              and node.target.id not in args):
            env[node.target.id] = node.value
        elif (isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name)
              and stores.get(node.target.id) == 1 and node.target.id not in args):  # n: float = params.levels
            env[node.target.id] = node.value
    return env


def _int_field(t: ast.expr, out: frozenset[str]) -> bool:
    """Whether assignment target ``t`` is an integer field of ``out`` (one of the names ``out``), or an element of
    one: ``out.n_orders``, ``out.order_side[k]``, and numpy's spelling of the same, ``out["n_orders"]``,
    ``out["order_side"][k]`` (which numba compiles alike)."""
    def field(x: ast.expr) -> str | None:
        if isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name) and x.value.id in out:
            return x.attr
        if (isinstance(x, ast.Subscript) and isinstance(x.value, ast.Name) and x.value.id in out
                and isinstance(x.slice, ast.Constant) and isinstance(x.slice.value, str)):
            return x.slice.value
        return None

    name = field(t) or (field(t.value) if isinstance(t, ast.Subscript) else None)
    return name in INT_FIELDS


def _aliases(name: str, env: Mapping[str, ast.expr]) -> frozenset[str]:
    """``name`` and the locals assigned once to it (``p = params``)."""
    return frozenset({name} | {k for k, v in env.items() if isinstance(v, ast.Name) and v.id == name})


def _pairs(st: ast.Assign) -> list[tuple[ast.expr, ast.expr]]:
    """``(target, value)`` of each name an assignment binds: ``a = b = v`` both to ``v``, ``a, b = x, y`` pairwise
    (an unpacking of anything else is left out: its parts are not expressions of the source)."""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for t in st.targets:
        if (isinstance(t, (ast.Tuple, ast.List)) and isinstance(st.value, (ast.Tuple, ast.List))
                and len(t.elts) == len(st.value.elts)):
            pairs += zip(t.elts, st.value.elts)
        else:
            pairs.append((t, st.value))
    return pairs


def integer_writes(py: pytypes.FunctionType) -> tuple[IntWrite, ...]:
    """The assignments of rule ``py`` (``rule(view, params, state, out)``, any names) into an integer field of
    ``out`` whose value reads the parameters (:class:`IntWrite`), in source order; none when its source cannot be
    read (a rule made by ``exec``). A write of a number alone (``out.n_orders = 1``) reads none and is left to
    :func:`constant_fractions`."""
    found = _function(py)
    if found is None:
        return ()
    fn, first = found
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if len(names) != 4:
        return ()
    env = _assigned_once(fn, set(names))
    params, out = _aliases(names[1], env), _aliases(names[3], env)
    file = Path(py.__code__.co_filename).name
    writes: list[IntWrite] = []

    def target_of(t: ast.expr) -> str | None:
        return ast.unparse(t) if _int_field(t, out) else None

    Guards = tuple[tuple[ast.expr, bool], ...]

    def visit(stmts: list[ast.stmt], guards: Guards) -> Guards | None:
        """Collect the writes of ``stmts``; the conditions under which their end is reached, or None when they
        always end the rule (a ``return`` or ``raise``, or an ``if`` each of whose branches does; in a loop's body,
        a ``continue`` or ``break`` ends the body). A statement after an ``if`` one branch of which ends the rule is
        reached only through the other branch (``if params.enabled == 0: return 0``; an ``elif`` chain alike)."""
        for st in stmts:
            if isinstance(st, (ast.Return, ast.Raise, ast.Continue, ast.Break)):  # (the last two: the loop body)
                return None
            if isinstance(st, ast.Assign):
                for t, value in _pairs(st):
                    if (target := target_of(t)) is not None:
                        writes.append(IntWrite(target, value, f"{file} line {first + st.lineno - 1}", env,
                                               params, guards))
            elif isinstance(st, ast.AnnAssign) and st.value is not None and (target := target_of(st.target)):
                writes.append(IntWrite(target, st.value, f"{file} line {first + st.lineno - 1}", env, params, guards))
            elif (isinstance(st, ast.AugAssign) and isinstance(st.op, (ast.Add, ast.Sub))
                  and (target := target_of(st.target)) is not None):
                writes.append(IntWrite(target, st.value, f"{file} line {first + st.lineno - 1}", env, params,
                                       guards, "+=" if isinstance(st.op, ast.Add) else "-="))
            elif isinstance(st, ast.If):
                after = visit(st.body, guards + ((st.test, True),))
                after_else = visit(st.orelse, guards + ((st.test, False),))
                if after is None and after_else is None:
                    return None
                if after is None or after_else is None:
                    guards = after_else if after is None else after  # type: ignore[assignment]
            elif isinstance(st, (ast.For, ast.AsyncFor, ast.While)):
                visit(st.body, guards)  # a loop's body may run (its condition is left unevaluated: not a guard)
                visit(st.orelse, guards)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                visit(st.body, guards)
            elif isinstance(st, ast.Try):
                for block in [st.body, st.orelse, st.finalbody] + [h.body for h in st.handlers]:
                    visit(block, guards)
            elif isinstance(st, ast.Match):
                for case in st.cases:
                    visit(case.body, guards)
        return guards

    visit(fn.body, ())
    return tuple(w for w in writes if _mentions(w._expr, env, params, 0))


def _mentions(node: ast.expr, env: Mapping[str, ast.expr], params: frozenset[str], depth: int,
              memo: dict[str, bool] | None = None) -> bool:
    """Whether ``node`` reads a parameter, directly or through locals assigned once (whether the rest is decidable
    is :meth:`IntWrite.problem`'s question: a write it cannot evaluate is not checked); ``memo``: each local's answer,
    so each is looked at once."""
    memo = {} if memo is None else memo
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in params:
            return True
        if isinstance(n, ast.Name) and n.id in env and depth < _DEPTH:
            if n.id not in memo:
                memo[n.id] = False  # (a local read in its own expression)
                memo[n.id] = _mentions(env[n.id], env, params, depth + 1, memo)
            if memo[n.id]:
                return True
    return False


def constant_fractions(py: pytypes.FunctionType) -> list[str]:
    """The refusals of writes of a number alone that is not whole into an integer field of ``out``
    (``out.n_bid_levels = 2.5``), whatever the parameters: each cut by numba to its integer part."""
    found = _function(py)
    if found is None:
        return []
    fn, first = found
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if len(names) != 4:
        return []
    out = _aliases(names[3], _assigned_once(fn, set(names)))
    file = Path(py.__code__.co_filename).name
    from ._numba_support import _check_whole

    bad: list[str] = []
    for st in ast.walk(fn):
        if not isinstance(st, ast.Assign):
            continue
        for t, v in _pairs(st):
            if not _int_field(t, out):
                continue
            neg = isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub)
            c = v.operand if neg and isinstance(v, ast.UnaryOp) else v
            if isinstance(c, ast.Constant) and isinstance(c.value, float):
                try:
                    _check_whole(ast.unparse(t), -c.value if neg else c.value)
                except ValueError as exc:
                    bad.append(f"{exc} ({file} line {first + st.lineno - 1})")
    return bad


def rule_int_writes(py: pytypes.FunctionType, spec: Mapping[str, float | None], where: str) -> tuple[IntWrite, ...]:
    """:func:`integer_writes` of a rule being declared (``numba_strategy``), after refusing a number that is not
    whole written into an integer field (:func:`constant_fractions`) and a default parameter value that makes one
    (``params={"levels": 2.5}``): :class:`mmsim.StrategyError` naming ``where``, the write and its line."""
    if bad := constant_fractions(py):
        raise StrategyError(f"{where}: {bad[0]}")
    writes = integer_writes(py)
    defaults = {k: v for k, v in spec.items() if v is not None}
    for w in writes:
        if (why := w.problem(defaults)) is not None:
            raise StrategyError(f"{where}: with the default parameters, {why}")
    return writes


def misspelt_field(py: Any, name: str, params: tuple[str, ...]) -> str:
    """Why a rule does not compile when numba's typer finds no field ``name`` (a bare KeyError): ``no field
    'bid_qtty' in the view, params or out record (rule.py line 6); did you mean 'bid_qty'?``, the line the rule's
    source first reads it (``x.bid_qtty`` or ``x["bid_qtty"]``; none when the source cannot be read) and the
    nearest field of the view, ``out`` or the parameters (``difflib``; none when nothing is near)."""
    import difflib

    from .records import VIEW_DTYPE

    why = f"no field {name!r} in the view, params or out record"
    found = _function(py)
    if found is not None:
        fn, first = found
        lines = [n.lineno for n in ast.walk(fn)
                 if (isinstance(n, ast.Attribute) and n.attr == name)
                 or (isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and n.slice.value == name)]
        if lines:
            why += f" ({Path(py.__code__.co_filename).name} line {first + min(lines) - 1})"
    known = [*(VIEW_DTYPE.names or ()), *(QUOTE_DTYPE.names or ()), *params]
    near = difflib.get_close_matches(name, known, n=1) if isinstance(name, str) else []
    return why + (f"; did you mean {near[0]!r}?" if near else "")


def levels_used(writes: tuple[IntWrite, ...], values: Mapping[str, float]) -> int | None:
    """The most target levels per side the rule's writes of ``out.n_bid_levels`` / ``out.n_ask_levels`` that the
    parameters decide may set with ``values`` (``out.n_bid_levels = params.levels`` with ``levels: 5``: 5), for
    :func:`mmsim.engine.strategy_config_conflict`'s check against ``ladder_levels`` before the run (it stopped the
    run at the first quote: newcomer19); None when no such write is decided (the run-time guard holds it)."""
    import re

    got = [x for w in writes if w.op == "=" and re.search(r"(\.|\[['\"])n_(bid|ask)_levels(['\"]\])?$", w.target)
           for _ev, x in w.outcomes(values)
           if isinstance(x, (int, float)) and math.isfinite(x) and x == int(x) and x >= 1]
    return int(max(got)) if got else None


def _derived_levels(strategy: Any) -> int | None:
    kind = getattr(strategy, "kind", None) or type(strategy).native
    if getattr(kind, "ladder_levels_used", None) is not None:
        return None  # the rule's own declaration (mmsim.engine._declared reads it next)
    return levels_used(kind.int_writes, strategy.params)


class _DerivedLevels:
    """``ladder_levels_used`` of a numba strategy and of its Python twin (:func:`mmsim.engine.strategy_config_conflict`):
    None when the rule type declares it (read there next), else :func:`levels_used` with the strategy's parameters;
    on a class, its rule type's declaration (a class is checked before it has parameters)."""

    def __get__(self, obj: Any, owner: Any = None) -> int | None:
        if obj is None:
            return getattr(getattr(owner, "native", None), "ladder_levels_used", None)
        return _derived_levels(obj)


derived_levels = _DerivedLevels()


class CheckedRule:
    """A numba rule type with its checked parameter values, not compiled: what a sweep's pre-flight checks a point's
    ``ladder_levels`` and ``max_orders`` against (:func:`mmsim.plugins.checked_strategy`), as ``mmsim run`` checks
    the built strategy: its ``ladder_levels_used`` is the rule type's declaration, else the levels its writes of the
    parameters set (:func:`levels_used`)."""

    ladder_levels_used = derived_levels

    def __init__(self, kind: Any, params: Mapping[str, float]) -> None:
        self.kind, self.params = kind, dict(params)

    @property
    def label(self) -> str:
        """The rule's name, as the built strategy's label."""
        return str(self.kind.name)
