"""The function allowlist, enforced on the parsed AST at compile time.

Rejected with ``DISALLOWED_FUNCTION``:

- user-defined functions (``function(...)`` / ``λ``): the only way to loop or
  recurse in JSONata, and the way around every other check;
- any *reference* to a built-in outside the allowlist: a call, a ``~>``
  chain, passing it to a higher-order function, or binding it (``$e := $eval``);
- a call of ``$name(...)`` where ``name`` is neither allowlisted nor a variable
  the expression binds itself (``:=``, ``@$x``, ``#$i``); the bound value can
  only be a function if its own right-hand side passed these checks;
- variables named ``$__...``: the engine keeps its evaluation callbacks under
  such names, so binding or reading them would switch the budget off.

``$``, ``$$`` and variables bound to values stay usable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonata import Jsonata, Parser

from workflow_core.expressions.rewrite import HELPER_NAMES

# Pure, deterministic JSONata built-ins, by category. Excluded on purpose:
# $eval (code from data), $now/$millis (clock: use nowIso()), $random/$shuffle
# (randomness), $clone (not JSONata, only jsonata-python).
_STRINGS = {
    "string", "length", "substring", "substringBefore", "substringAfter", "uppercase",
    "lowercase", "trim", "pad", "contains", "split", "join", "match", "replace",
    "base64encode", "base64decode", "encodeUrlComponent", "encodeUrl",
    "decodeUrlComponent", "decodeUrl",
}  # fmt: skip
_NUMBERS = {
    "number", "abs", "floor", "ceil", "round", "power", "sqrt", "sum", "max", "min",
    "average", "count", "formatNumber", "formatBase", "formatInteger", "parseInteger",
    "fromMillis", "toMillis",
}  # fmt: skip
_BOOLEANS = {"boolean", "not", "exists"}
_ARRAYS = {"append", "sort", "reverse", "distinct", "zip"}
_OBJECTS = {"keys", "lookup", "spread", "merge", "sift", "each", "error", "assert", "type"}
_HIGHER_ORDER = {"map", "filter", "single", "reduce"}

BUILTIN_ALLOWLIST = frozenset(_STRINGS | _NUMBERS | _BOOLEANS | _ARRAYS | _OBJECTS | _HIGHER_ORDER)
ALLOWED_FUNCTIONS = frozenset(BUILTIN_ALLOWLIST | HELPER_NAMES)

# Every name jsonata-python binds at start-up that is not allowlisted.
FORBIDDEN_BUILTINS = frozenset(set(Jsonata.static_frame.bindings) - ALLOWED_FUNCTIONS)

RESERVED_PREFIX = "__"


def find_violation(ast: Any) -> tuple[str, int] | None:
    """The first allowlist violation ``(message, rewritten position)``, or None."""
    nodes = list(walk(ast))
    bound = bound_names(nodes)
    violations = [v for node in nodes if (v := _violation(node, bound)) is not None]
    return min(violations, key=lambda v: v[1]) if violations else None


def _violation(node: Any, bound: frozenset[str]) -> tuple[str, int] | None:
    kind, position = node.type, node.position
    if kind == "lambda":
        return "user-defined functions (function/λ) are not allowed", position
    if kind == "variable":
        name = str(node.value)
        if name.startswith(RESERVED_PREFIX):
            return f"variable names starting with ${RESERVED_PREFIX} are reserved", position
        if name in FORBIDDEN_BUILTINS:
            return f"${name} is not an allowed function", position
    if kind in ("function", "partial"):
        procedure = node.procedure
        if getattr(procedure, "type", None) == "variable":
            name = str(procedure.value)
            if name not in ALLOWED_FUNCTIONS and name not in bound and name not in ("", "$"):
                return f"${name} is not an allowed function", procedure.position
    return None


def bound_names(nodes: list[Any]) -> frozenset[str]:
    """Variables the expression binds itself: ``$x := ...``, ``@$x``, ``#$i``."""
    names: set[str] = set()
    for node in nodes:
        if node.type == "bind":
            names.add(str(node.lhs.value))
        elif node.type == "index":
            names.add(str(node.value))
        for attribute in ("focus", "index"):
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                names.add(value)
    return frozenset(names)


def walk(ast: Any) -> Iterator[Any]:
    """Every AST node once, whatever attribute holds it (future-proof, cycle-safe)."""
    seen: set[int] = set()
    stack = [ast]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(_children(node))


def _children(node: Any) -> Iterator[Any]:
    for name, value in vars(node).items():
        if name.startswith("_"):
            continue
        if isinstance(value, Parser.Symbol):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Parser.Symbol):
                    yield item
                elif isinstance(item, list):
                    yield from (x for x in item if isinstance(x, Parser.Symbol))
