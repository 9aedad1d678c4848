"""The shape of an expression's result, from the shapes of what it reads.

Typed: literals, plain paths rooted at the context (``vars.ticket.ticketId``),
operators, conditionals, array and object constructors, blocks, and the
helpers and built-ins whose result kind is fixed (``$string`` gives a string,
``$count`` a number...). Anything else (filters, variables, lambdas' results,
transforms) is unknown, and unknown is never a reason to warn.

Two more things are collected on the way:

- ``unguarded``: plain paths read *as values* that exist on some paths only.
  A read is guarded where absence is handled: in a test (a comparison,
  ``and``/``or``, a conditional's condition, ``$not``, ``$exists``,
  ``$boolean``) or a fallback (``coalesce``, ``toString``, ``len``,
  ``$count``, ``append``'s list).
- ``comparisons``: operands of ``=``, ``!=``, ``<``... whose kinds can never
  be equal (a string compared with a number), for TYPE_MISMATCH.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow_core.typeflow.lookup import Miss, present, read
from workflow_core.typeflow.shapes import (
    ANY,
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    Shape,
    array_of,
    closed_object,
    describe,
    join,
    join_all,
    literal_values,
    of_value,
    open_map,
    without_null,
)

Path = tuple[str, ...]
_LITERALS = ("string", "number", "value")
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_TESTS = frozenset({"not", "exists", "boolean"})
_FALLBACKS = frozenset({"coalesce", "toString", "len", "count", "append"})
_RESULTS: dict[str, Shape] = {
    **dict.fromkeys(
        [
            "string",
            "toString",
            "nowIso",
            "substring",
            "substringBefore",
            "substringAfter",
            "lowercase",
            "uppercase",
            "trim",
            "pad",
            "join",
            "replace",
            "formatNumber",
            "formatBase",
            "formatInteger",
            "base64encode",
            "base64decode",
            "encodeUrl",
            "encodeUrlComponent",
            "decodeUrl",
            "decodeUrlComponent",
            "type",
        ],
        STRING,
    ),
    **dict.fromkeys(
        [
            "len",
            "length",
            "count",
            "sum",
            "max",
            "min",
            "average",
            "number",
            "abs",
            "floor",
            "ceil",
            "round",
            "power",
            "sqrt",
            "parseInteger",
            "toMillis",
        ],
        NUMBER,
    ),
    **dict.fromkeys(["not", "exists", "boolean", "contains"], BOOLEAN),
    **dict.fromkeys(["keys", "split"], array_of(STRING)),
}


@dataclass(frozen=True)
class Comparison:
    operator: str
    left: str
    right: str
    left_shape: Shape
    right_shape: Shape
    by_values: bool = False  # same kinds, but no value in common (an enum, literals)
    right_literal: bool = False

    def message(self) -> str:
        verdict = "is always false" if self.operator == "=" else "is always true"
        if self.operator not in ("=", "!="):
            verdict = "fails when the expression runs"
        if self.by_values:
            others = "" if self.right_literal else f", {self.right} {_listed(self.right_shape)}"
            return (
                f"{self.left} {self.operator} {self.right}: {self.left} can only be "
                f"{_listed(self.left_shape)} here{others}; it {verdict}"
            )
        return (
            f"{self.left} {self.operator} {self.right} compares "
            f"{describe(self.left_shape)} with {describe(self.right_shape)}; it {verdict}"
        )


@dataclass
class Inference:
    """What one expression gives and what was noticed on the way."""

    unguarded: dict[Path, tuple[Path, tuple[str, ...]]] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)


def infer(ast: Any, context: Shape, found: Inference | None = None) -> Shape:
    """The result's shape of the expression ``ast`` evaluated against ``context``."""
    return _Infer(context, found or Inference()).value(ast, guarded=False)


class _Infer:
    def __init__(self, context: Shape, found: Inference) -> None:
        self.context = context
        self.found = found

    def value(self, node: Any, *, guarded: bool) -> Shape:
        kind = getattr(node, "type", None)
        if kind == "path":
            return self._path(node, guarded)
        if kind in ("string", "number", "value"):
            return of_value(node.value)
        if kind == "binary":
            return self._binary(node, guarded)
        if kind == "condition":
            return self._condition(node, guarded)
        if kind == "function":
            return self._function(node, guarded)
        if kind == "unary":
            return self._unary(node, guarded)
        if kind == "block":
            result = ANY
            for expression in node.expressions:
                result = self.value(expression, guarded=guarded)
            return result
        return ANY

    def _condition(self, node: Any, guarded: bool) -> Shape:
        """``c ? a : b``: each side sees what ``c`` proves (``vars.t ? vars.t.id : ''``)."""
        self.value(node.condition, guarded=True)
        when_true, when_false = narrowings(node.condition)
        then = self._narrowed(when_true).value(node.then, guarded=guarded)
        otherwise = getattr(node, "_else", None)
        if otherwise is None:
            return then
        return join(then, self._narrowed(when_false).value(otherwise, guarded=guarded))

    def _narrowed(self, paths: list[list[str]]) -> _Infer:
        context = self.context
        for names in paths:
            context = present(context, names)
        return _Infer(context, self.found) if paths else self

    def _path(self, node: Any, guarded: bool) -> Shape:
        names = _plain_names(node)
        if names is None:
            return ANY
        found = read(self.context, names)
        if isinstance(found, Miss):
            return ANY  # reported by the read checks, with the reason
        if found.some_paths is not None and not guarded:
            self.found.unguarded.setdefault(tuple(names), (found.some_paths, found.writers))
        return found.shape

    def _binary(self, node: Any, guarded: bool) -> Shape:
        operator = node.value
        if operator in _COMPARISONS or operator == "in":
            left = self.value(node.lhs, guarded=True)
            right = self.value(node.rhs, guarded=True)
            if operator in _COMPARISONS:
                self._compare(node, operator, left, right)
            return BOOLEAN
        if operator in ("and", "or"):
            self.value(node.lhs, guarded=True)
            self.value(node.rhs, guarded=True)
            return BOOLEAN
        left = self.value(node.lhs, guarded=guarded)
        right = self.value(node.rhs, guarded=guarded)
        if operator == "&":
            return STRING
        if operator in _ARITHMETIC:
            return NUMBER
        if operator == "..":
            return array_of(INTEGER)
        return ANY

    def _compare(self, node: Any, operator: str, left: Shape, right: Shape) -> None:
        a, b = _comparable_kinds(left), _comparable_kinds(right)
        if a and b and not a & b:
            self.found.comparisons.append(
                Comparison(operator, _label(node.lhs), _label(node.rhs), left, right)
            )
            return
        mine, theirs = _non_null_values(left), _non_null_values(right)
        if operator in ("=", "!=") and mine and theirs and not set(mine) & set(theirs):
            self.found.comparisons.append(
                Comparison(
                    operator,
                    _label(node.lhs),
                    _label(node.rhs),
                    left,
                    right,
                    by_values=True,
                    right_literal=getattr(node.rhs, "type", None) in _LITERALS,
                )
            )

    def _function(self, node: Any, guarded: bool) -> Shape:
        procedure = getattr(node, "procedure", None)
        name = str(getattr(procedure, "value", "")) if procedure is not None else ""
        arguments: Sequence[Any] = getattr(node, "arguments", None) or []
        protect = name in _TESTS or name in _FALLBACKS
        shapes = [
            self.value(arg, guarded=guarded or (protect and (name != "append" or i == 0)))
            for i, arg in enumerate(arguments)
        ]
        if name == "coalesce" and shapes:
            return join(join_all(without_null(s) for s in shapes[:-1]), shapes[-1])
        if name == "append":
            items = [s.items if s.items is not None else s for s in shapes]
            return array_of(join_all(items)) if items else array_of(ANY)
        return _RESULTS.get(name, ANY)

    def _unary(self, node: Any, guarded: bool) -> Shape:
        if node.value == "-":
            self.value(node.expression, guarded=guarded)
            return NUMBER
        if node.value == "[":
            elements = [self.value(e, guarded=guarded) for e in node.expressions]
            if any(e.unknown or e.items is not None for e in elements):
                return array_of(ANY)  # nested arrays flatten or not: JSONata decides
            return array_of(join_all(elements))
        if node.value == "{":
            fields: dict[str, Shape] = {}
            for key, value in getattr(node, "lhs_object", None) or []:
                shape = self.value(value, guarded=guarded)
                if getattr(key, "type", None) != "string":
                    return open_map()
                fields[str(key.value)] = shape
            return closed_object(fields)
        return ANY


def _plain_names(node: Any) -> list[str] | None:
    """The names of a path made only of plain name steps (no filters, no variables)."""
    steps = getattr(node, "steps", None) or []
    if not steps or any(
        getattr(node, attr, None) for attr in ("group", "keep_singleton_array", "tuple")
    ):
        return None
    names: list[str] = []
    for step in steps:
        if getattr(step, "type", None) != "name" or _decorated(step):
            return None
        names.append(str(step.value))
    return names


def _decorated(step: Any) -> bool:
    return any(
        getattr(step, attr, None)
        for attr in ("stages", "predicate", "group", "focus", "index", "keep_array", "tuple")
    )


def _non_null_values(shape: Shape) -> list[str]:
    values = literal_values(shape)
    return [json.dumps(v) for v in values if v is not None] if values is not None else []


def _listed(shape: Shape) -> str:
    values = [json.dumps(v) for v in literal_values(shape) or []]
    return values[0] if len(values) == 1 else f"one of {', '.join(values)}"


def _comparable_kinds(shape: Shape) -> frozenset[str]:
    """Kinds that decide a comparison; empty when anything could be there."""
    if shape.unknown or shape.items is not None or shape.obj is not None:
        return frozenset()
    kinds = set(shape.kinds()) - {"null"}
    if "integer" in kinds:
        kinds.discard("integer")
        kinds.add("number")
    return frozenset(kinds)


def _label(node: Any) -> str:
    names = _plain_names(node) if getattr(node, "type", None) == "path" else None
    if names is not None:
        return ".".join(names)
    kind = getattr(node, "type", None)
    if kind == "string":
        return repr(str(node.value))
    if kind in ("number", "value"):
        value = node.value
        return (
            "null"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    return "an expression"


Narrowing = tuple[list[list[str]], list[list[str]]]


def narrowings(ast: Any) -> Narrowing:
    """Paths a condition proves there (and truthy) when it is true, and when it is false.

    Understood: a plain path, ``path = <literal>``, ``path != null``,
    ``$exists(path)``, ``$boolean(path)``, ``$not(...)``, ``and``, ``or``.
    """
    kind = getattr(ast, "type", None)
    if kind == "path":
        names = _plain_names(ast)
        return ([names], []) if names else ([], [])
    if kind == "block" and len(ast.expressions) == 1:
        return narrowings(ast.expressions[0])
    if kind == "binary":
        return _binary_narrowings(ast)
    if kind == "function":
        name = str(getattr(getattr(ast, "procedure", None), "value", ""))
        arguments = getattr(ast, "arguments", None) or []
        if len(arguments) == 1 and name == "not":
            when_true, when_false = narrowings(arguments[0])
            return when_false, when_true
        if len(arguments) == 1 and name in ("exists", "boolean"):
            return narrowings(arguments[0])[0], []
    return [], []


def _binary_narrowings(ast: Any) -> Narrowing:
    operator = ast.value
    if operator == "and":
        return narrowings(ast.lhs)[0] + narrowings(ast.rhs)[0], []
    if operator == "or":
        return [], narrowings(ast.lhs)[1] + narrowings(ast.rhs)[1]
    if operator in ("=", "!="):
        for path, literal in ((ast.lhs, ast.rhs), (ast.rhs, ast.lhs)):
            names = _plain_names(path) if getattr(path, "type", None) == "path" else None
            kind = getattr(literal, "type", None)
            is_null = kind == "value" and literal.value is None
            if names and operator == "=" and kind in ("string", "number", "value") and not is_null:
                return [names], []
            if names and operator == "!=" and is_null:
                return [names], []
    return [], []
