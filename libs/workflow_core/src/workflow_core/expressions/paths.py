"""``read_paths``: the field paths an expression reads, for publish-time checks.

Paths are tuples of field names rooted at the input document, e.g.
``("payload", "emailData", "subject")``. What is covered:

- plain paths, including quoted names (``payload.`first name```);
- filters and sort terms, relative to the items they filter:
  ``payload.items[price>5].name`` reads ``payload.items.price`` and
  ``payload.items.name``; group-by objects (``payload.items{name: price}``);
- steps that are blocks, array constructors or function calls, whose
  contents are relative to the step's input (``payload.(subject & body)``);
- ``$`` (the context item) and ``$$`` (the document), anywhere;
- variables bound with ``:=`` to a path, within their block
  (``($i := payload.items; $i.name)``), and ``@$v`` focus variables.

Everything reported is read when the expression runs (prefixes included: a
path read through a variable also reports the variable's own path). Where the
analysis cannot tell what a step yields - after a wildcard or ``**`` (the
prefix up to it is reported), a parent ``%`` step, a focus ``@`` step, a
function result, a transform, or a variable bound to something other than a
path - it reports nothing further rather than guess, so a missing path is
possible, a false one is not. Array indexes are not part of paths.
"""

from __future__ import annotations

from typing import Any

from workflow_core.expressions.allowlist import walk

Path = tuple[str, ...]
Scope = dict[str, Path | None]

_LEAVES = frozenset({"string", "number", "value", "regex", "wildcard", "descendant", "parent"})


def paths_of_ast(ast: Any) -> frozenset[Path]:
    reader = _Reader()
    reader.visit(ast, (), {})
    return frozenset(reader.found)


class _Reader:
    def __init__(self) -> None:
        self.found: set[Path] = set()

    def record(self, path: Path | None) -> None:
        if path:
            self.found.add(path)

    # -- dispatch -----------------------------------------------------------------
    def visit(self, node: Any, context: Path | None, scope: Scope) -> Path | None:
        """Record what ``node`` reads; return the path it evaluates to, if static."""
        kind = getattr(node, "type", None)
        if kind == "path":
            return self._path(node, context, scope)
        result = self._node(node, kind, context, scope)
        self._filters(node, result, scope)
        group = getattr(node, "group", None)
        if group is not None:
            self._pairs(group, None, scope)
        return result

    def _node(self, node: Any, kind: Any, context: Path | None, scope: Scope) -> Path | None:
        if kind == "variable":
            return _variable(node, context, scope)
        if kind == "block":
            inner = dict(scope)
            result = None
            for expression in node.expressions:
                result = self.visit(expression, context, inner)
            return result
        if kind == "bind":
            value = self.visit(node.rhs, context, scope)
            scope[str(node.lhs.value)] = value
            return value
        if kind in ("function", "partial"):
            for argument in node.arguments:
                self.visit(argument, context, scope)
            return None
        if kind in _LEAVES:
            return None
        self._children(node, kind, context, scope)
        return None

    def _children(self, node: Any, kind: Any, context: Path | None, scope: Scope) -> None:
        if kind in ("binary", "apply"):
            self.visit(node.lhs, context, scope)
            self.visit(node.rhs, context, scope)
        elif kind == "condition":
            for part in (node.condition, node.then, getattr(node, "_else", None)):
                if part is not None:
                    self.visit(part, context, scope)
        elif kind == "unary" and node.value == "[":
            for expression in node.expressions:
                self.visit(expression, context, scope)
        elif kind == "unary" and node.value == "{":
            self._pairs(node, context, scope)
        elif kind == "unary":
            self.visit(node.expression, context, scope)
        else:  # transform and anything unknown: relative to an input we cannot name
            for child in list(walk(node))[1:]:
                if getattr(child, "type", None) == "path":
                    self._path(child, None, dict(scope))

    def _pairs(self, node: Any, context: Path | None, scope: Scope) -> None:
        for key, value in getattr(node, "lhs_object", None) or []:
            self.visit(key, context, scope)
            self.visit(value, context, scope)

    def _filters(self, node: Any, items: Path | None, scope: Scope) -> None:
        for stage in (getattr(node, "predicate", None) or []) + (
            getattr(node, "stages", None) or []
        ):
            if getattr(stage, "type", None) == "filter":
                self.visit(stage.expr, items, scope)

    # -- paths ----------------------------------------------------------------------
    def _path(self, node: Any, context: Path | None, scope: Scope) -> Path | None:
        scope = dict(scope)  # focus/index variables live for the rest of the path
        current = context
        for step in node.steps:
            current = self._step(step, current, scope)
        self.record(current)
        group = getattr(node, "group", None)
        if group is not None:
            self._pairs(group, current, scope)
        return current

    def _step(self, step: Any, current: Path | None, scope: Scope) -> Path | None:
        kind = step.type
        if kind == "name":
            result = (*current, str(step.value)) if current is not None else None
        elif kind == "variable":
            result = _variable(step, current, scope)
        elif kind in ("wildcard", "descendant"):
            self.record(current)
            result = None
        elif kind == "sort":
            for term in step.terms:
                self.visit(term.expression, current, scope)
            result = current
        else:
            # a block yields its last expression; calls, constructors etc. unknown
            result = self.visit(step, current, scope)
            return result if kind == "block" else None
        self._filters(step, result, scope)
        return self._tuple_bindings(step, result, scope)

    def _tuple_bindings(self, step: Any, result: Path | None, scope: Scope) -> Path | None:
        index = getattr(step, "index", None)
        if isinstance(index, str):
            scope[index] = None
        focus = getattr(step, "focus", None)
        if isinstance(focus, str):
            # ``@$v`` binds each item but keeps the previous context: stop here.
            scope[focus] = result
            self.record(result)
            return None
        return result


def _variable(node: Any, context: Path | None, scope: Scope) -> Path | None:
    """``$`` is the context item, ``$$`` the document, ``$name`` what it was bound to."""
    name = str(node.value)
    if name == "":
        return context
    if name == "$":
        return ()
    return scope.get(name)
