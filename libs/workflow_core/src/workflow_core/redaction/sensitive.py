"""Fields marked ``"x-sensitive": true`` in a JSON Schema, located in one instance.

The schema is walked *against the instance*, so the result names concrete
locations (``/emailData/to/0/email``), never schema shapes. Combinators are
read conservatively: a field that any branch of ``allOf``/``anyOf``/``oneOf``
(or ``if``/``then``/``else``) marks sensitive is masked, whichever branch the
instance actually matches, because a missed secret costs more than an extra
``***``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workflow_core.redaction.pointers import Path, format_pointer, parse_pointer, resolve

SENSITIVE_KEY = "x-sensitive"
_COMBINATORS = ("allOf", "anyOf", "oneOf")
_CONDITIONALS = ("if", "then", "else")


def sensitive_pointers_from_schema(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """JSON pointers (sorted) of every value in ``instance`` the schema marks sensitive."""
    found: set[Path] = set()
    _Walker(schema, found).visit(schema, instance, ())
    return sorted(format_pointer(path) for path in found)


class _Walker:
    def __init__(self, root: Mapping[str, Any], found: set[Path]) -> None:
        self._root = root
        self._found = found
        # $ref cycles that consume no instance (A -> allOf[$ref A]) would recurse forever.
        self._seen: set[tuple[int, Path]] = set()

    def visit(self, schema: Any, instance: Any, path: Path) -> None:
        if not isinstance(schema, Mapping) or (id(schema), path) in self._seen:
            return
        self._seen.add((id(schema), path))
        if schema.get(SENSITIVE_KEY) is True:
            self._found.add(path)
            return
        ref = schema.get("$ref")
        if isinstance(ref, str):
            self.visit(self._lookup(ref), instance, path)
        for keyword in _COMBINATORS:
            for branch in schema.get(keyword) or []:
                self.visit(branch, instance, path)
        for keyword in _CONDITIONALS:
            self.visit(schema.get(keyword), instance, path)
        if isinstance(instance, dict):
            self._visit_object(schema, instance, path)
        elif isinstance(instance, list):
            self._visit_array(schema, instance, path)

    def _visit_object(
        self, schema: Mapping[str, Any], instance: dict[str, Any], path: Path
    ) -> None:
        properties = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        additional = schema.get("additionalProperties")
        for key, value in instance.items():
            matched = False
            if key in properties:
                matched = True
                self.visit(properties[key], value, (*path, key))
            for pattern, subschema in patterns.items():
                if _matches(pattern, key):
                    matched = True
                    self.visit(subschema, value, (*path, key))
            if not matched:
                self.visit(additional, value, (*path, key))

    def _visit_array(self, schema: Mapping[str, Any], instance: list[Any], path: Path) -> None:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):  # draft-07 tuple form
            prefix, items = items, schema.get("additionalItems")
        prefix = prefix if isinstance(prefix, list) else []
        for index, value in enumerate(instance):
            subschema = prefix[index] if index < len(prefix) else items
            self.visit(subschema, value, (*path, str(index)))

    def _lookup(self, ref: str) -> Any:
        """Local refs only (``#``, ``#/$defs/X``); the core never fetches remote schemas."""
        if not ref.startswith("#"):
            return None
        path = parse_pointer(ref[1:])
        if path is None:
            return None
        return resolve(self._root, path)[1]


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False
