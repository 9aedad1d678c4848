"""Direct evaluation of small compound expressions, compiled once per source.

The email workflow's expressions beyond plain paths are mostly of a few
shapes: concatenations (``payload.providerId & ':' & payload.emailData.id``),
comparisons and boolean tests (``$not(vars.found = true)``,
``vars.a and vars.a != vars.b ? null : vars.c``), ``coalesce(...)`` and
``nowIso()``. ``direct_form`` compiles such an AST into Python closures when
every node is one of these (with the attributes a bare node has), and
``DirectForm.lookup`` answers only when the answer is certainly the engine's:

- every value met is a string, a number, a boolean, undefined or, where only
  passed through (a result, a ``coalesce`` argument, a branch), an object;
  anything else - an array, a JSON null read from the input, a path stepping
  through a non-object, a number to concatenate, values of different types to
  compare - is ``MISS`` and the engine runs, so its results and errors stand;
- every sub-expression is evaluated (also the branch not taken and the right
  side of ``and``/``or``), so a ``MISS`` anywhere leaves the whole
  expression to the engine, whatever the engine's evaluation order;
- the engine's budget could not have stopped it: its work units, depth and
  array items are bounded by the size of the AST, its string characters by
  twice the AST's size times the characters of every string a node yields,
  and the limits must cover those bounds (they do by far with the defaults).

Plain paths keep ``SimplePath``, whose cost model is exact.
``test_expression_direct`` compares both answers on generated expressions and
documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from workflow_core.expressions.allowlist import RESERVED_PREFIX
from workflow_core.expressions.json_result import ResultError, to_json
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import ExpressionLimits
from workflow_core.expressions.simple_path import MISS, Miss


class _Absent(Enum):
    UNDEFINED = "undefined"  # a path that found nothing, coalesce of nothing
    NULL = "null"  # the ``null`` literal
    INPUT_NULL = "input null"  # a JSON null read from the input: absent to coalesce


UNDEFINED: Final = _Absent.UNDEFINED
NULL: Final = _Absent.NULL
INPUT_NULL: Final = _Absent.INPUT_NULL


class _UncertainError(Exception):
    """Not certain: the engine decides."""


class _Tally:
    """What the engine would charge, over-estimated: string characters yielded."""

    __slots__ = ("chars", "longest")

    def __init__(self) -> None:
        self.chars = 0
        self.longest = 0

    def text(self, value: str) -> str:
        self.chars += len(value)
        self.longest = max(self.longest, len(value))
        return value


Node = Callable[[Any, _Tally, datetime], Any]

_BARE = frozenset({"_outer_instance", "type", "position", "id"})
_ALLOWED = {
    "path": _BARE | {"steps"},
    "name": _BARE | {"value"},
    "string": _BARE | {"value"},
    "number": _BARE | {"value"},
    "value": _BARE | {"value"},
    "binary": _BARE | {"value", "lhs", "rhs"},
    "condition": _BARE | {"condition", "then", "_else"},
    "function": _BARE | {"value", "procedure", "arguments"},
    "variable": _BARE | {"value"},
    "block": _BARE | {"expressions"},
}
_SCALARS = (str, int, float, bool)
_FUNCTIONS = frozenset({"not", "coalesce", "nowIso"})


class DirectForm:
    """A compiled compound expression; ``lookup`` answers when the engine would agree."""

    __slots__ = ("_depth", "_functions", "_nodes", "_root")

    def __init__(self, root: Node, nodes: int, depth: int, functions: frozenset[str]) -> None:
        self._root = root
        self._nodes = nodes
        self._depth = depth
        self._functions = functions

    def lookup(
        self,
        context: object,
        *,
        now: datetime,
        limits: ExpressionLimits,
        bindings: Mapping[str, JsonValue] | None,
    ) -> JsonValue | Miss:
        if now.tzinfo is None or type(context) is not dict:
            return MISS
        if bindings and (
            any(name.startswith(RESERVED_PREFIX) for name in bindings)
            or not self._functions.isdisjoint(bindings)
        ):
            return MISS
        if (
            limits.max_work_units < 2 * self._nodes + 2
            or limits.max_depth < 2 * self._depth + 2
            or limits.max_items < 2 * self._nodes
        ):
            return MISS
        tally = _Tally()
        try:
            value = self._root(context, tally, now)
        except _UncertainError:
            return MISS
        # a string is counted at most twice per node it passes (a node's exit, a call)
        if (
            tally.longest > limits.max_string_chars
            or 2 * self._nodes * tally.chars > limits.max_total_string_chars
        ):
            return MISS
        if isinstance(value, _Absent):
            return None
        try:
            return to_json(value, limits.max_output_bytes)
        except (ResultError, ValueError):
            return MISS

    def __repr__(self) -> str:
        return f"DirectForm(nodes={self._nodes})"


def direct_form(ast: Any) -> DirectForm | None:
    """A ``DirectForm`` for ``ast`` when every node is of a supported shape, else None."""
    builder = _Builder()
    try:
        root = builder.node(ast, 1)
    except _UncertainError:
        return None
    return DirectForm(root, builder.nodes, builder.depth, frozenset(builder.functions))


class _Builder:
    def __init__(self) -> None:
        self.nodes = 0
        self.depth = 0
        self.functions: set[str] = set()

    def node(self, node: Any, level: int) -> Node:
        kind = getattr(node, "type", None)
        if kind not in _ALLOWED or not _only_set(node, _ALLOWED[kind]):
            raise _UncertainError
        self.nodes += 1
        self.depth = max(self.depth, level)
        if kind == "path":
            return self._path(node, level)
        if kind in ("string", "number", "value"):
            return _literal(node.value)
        if kind == "binary":
            return self._binary(node, level)
        if kind == "condition":
            return self._condition(node, level)
        if kind == "function":
            return self._function(node, level)
        if kind == "block" and isinstance(node.expressions, list) and len(node.expressions) == 1:
            return self.node(node.expressions[0], level + 1)  # parentheses
        raise _UncertainError

    def _path(self, node: Any, level: int) -> Node:
        steps = node.steps
        if not isinstance(steps, list) or not steps:
            raise _UncertainError
        names: list[str] = []
        for step in steps:
            if getattr(step, "type", None) != "name" or not _only_set(step, _ALLOWED["name"]):
                raise _UncertainError
            if not isinstance(step.value, str):
                raise _UncertainError
            names.append(step.value)
        self.nodes += len(names)
        self.depth = max(self.depth, level + 1)
        return _path(tuple(names))

    def _binary(self, node: Any, level: int) -> Node:
        operator = node.value
        if operator not in _OPERATORS:
            raise _UncertainError
        lhs = self.node(node.lhs, level + 1)
        rhs = self.node(node.rhs, level + 1)
        return _OPERATORS[operator](lhs, rhs)

    def _condition(self, node: Any, level: int) -> Node:
        test = self.node(node.condition, level + 1)
        then = self.node(node.then, level + 1)
        otherwise = self.node(node._else, level + 1) if node._else is not None else None
        return _condition(test, then, otherwise)

    def _function(self, node: Any, level: int) -> Node:
        procedure = node.procedure
        if getattr(procedure, "type", None) != "variable" or not _only_set(
            procedure, _ALLOWED["variable"]
        ):
            raise _UncertainError
        name = procedure.value
        arguments = node.arguments or []
        if name not in _FUNCTIONS or not isinstance(arguments, list):
            raise _UncertainError
        self.functions.add(name)
        self.nodes += 1  # the procedure node
        compiled = [self.node(argument, level + 1) for argument in arguments]
        if name == "not" and len(compiled) == 1:
            return _not(compiled[0])
        if name == "coalesce" and compiled:
            return _coalesce(compiled)
        if name == "nowIso" and not compiled:
            return _now_iso
        raise _UncertainError


def _only_set(node: Any, allowed: frozenset[str]) -> bool:
    attributes = getattr(node, "__dict__", None)
    if attributes is None:
        return False
    return all(not value for key, value in attributes.items() if key not in allowed)


# -- values ------------------------------------------------------------------------


def _literal(value: Any) -> Node:
    if value is None:
        constant: Any = NULL
    elif type(value) in _SCALARS:
        constant = value
    else:
        raise _UncertainError
    if type(constant) is str:
        text = constant

        def string(_context: Any, tally: _Tally, _now: datetime) -> Any:
            return tally.text(text)

        return string

    def literal(_context: Any, _tally: _Tally, _now: datetime) -> Any:
        return constant

    return literal


def _path(names: tuple[str, ...]) -> Node:
    def path(context: Any, tally: _Tally, _now: datetime) -> Any:
        value = context
        for name in names:
            if type(value) is not dict:
                raise _UncertainError  # a list maps, a scalar or null is undefined
            if name not in value:
                return UNDEFINED
            value = value[name]
        kind = type(value)
        if kind is str:
            return tally.text(value)
        if kind in _SCALARS or kind is dict:
            return value
        if value is None:
            return INPUT_NULL
        raise _UncertainError  # arrays: sequences flatten

    return path


def _scalar(value: Any) -> Any:
    """An operand of an operator: a string, number, boolean or undefined."""
    if value is UNDEFINED or type(value) in _SCALARS:
        return value
    raise _UncertainError


def _truth(value: Any) -> bool:
    """JSONata's boolean cast of a scalar or undefined."""
    value = _scalar(value)
    if value is UNDEFINED:
        return False
    if type(value) is str:
        return value != ""
    if type(value) is bool:
        return value
    return bool(value != 0)


def _concat(lhs: Node, rhs: Node) -> Node:
    def concat(context: Any, tally: _Tally, now: datetime) -> Any:
        left, right = lhs(context, tally, now), rhs(context, tally, now)
        if left is UNDEFINED:
            left = ""
        if right is UNDEFINED:
            right = ""
        if type(left) is not str or type(right) is not str:
            raise _UncertainError  # numbers, booleans and objects are rendered by $string
        return tally.text(left + right)

    return concat


def _same_kind(left: Any, right: Any) -> bool:
    kinds = {type(left), type(right)}
    return len(kinds) == 1 or kinds == {int, float}


def _equality(negate: bool) -> Callable[[Node, Node], Node]:
    def build(lhs: Node, rhs: Node) -> Node:
        def equal(context: Any, tally: _Tally, now: datetime) -> Any:
            left = _scalar(lhs(context, tally, now))
            right = _scalar(rhs(context, tally, now))
            if left is UNDEFINED or right is UNDEFINED:
                return False
            if not _same_kind(left, right):
                raise _UncertainError
            return (left != right) if negate else (left == right)

        return equal

    return build


def _logic(conjunction: bool) -> Callable[[Node, Node], Node]:
    def build(lhs: Node, rhs: Node) -> Node:
        def logic(context: Any, tally: _Tally, now: datetime) -> Any:
            left = _truth(lhs(context, tally, now))
            right = _truth(rhs(context, tally, now))
            return (left and right) if conjunction else (left or right)

        return logic

    return build


_OPERATORS: dict[str, Callable[[Node, Node], Node]] = {
    "&": _concat,
    "=": _equality(negate=False),
    "!=": _equality(negate=True),
    "and": _logic(conjunction=True),
    "or": _logic(conjunction=False),
}


def _condition(test: Node, then: Node, otherwise: Node | None) -> Node:
    def condition(context: Any, tally: _Tally, now: datetime) -> Any:
        chosen = _truth(test(context, tally, now))
        yes = then(context, tally, now)
        no = otherwise(context, tally, now) if otherwise is not None else UNDEFINED
        return yes if chosen else no

    return condition


def _not(argument: Node) -> Node:
    def negation(context: Any, tally: _Tally, now: datetime) -> Any:
        value = argument(context, tally, now)
        return UNDEFINED if value is UNDEFINED else not _truth(value)

    return negation


def _coalesce(arguments: list[Node]) -> Node:
    def coalesce(context: Any, tally: _Tally, now: datetime) -> Any:
        values = [argument(context, tally, now) for argument in arguments]
        if any(value is NULL for value in values):
            raise _UncertainError  # the engine's null object: let it decide
        present = (value for value in values if value not in (UNDEFINED, INPUT_NULL))
        return next(present, UNDEFINED)

    return coalesce


def _now_iso(_context: Any, tally: _Tally, now: datetime) -> Any:
    moment = now.astimezone(UTC)
    return tally.text(moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z")
