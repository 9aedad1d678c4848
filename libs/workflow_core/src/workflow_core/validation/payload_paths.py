"""Is a field path declared in the payload JSON Schema? (UNKNOWN_PAYLOAD_PATH)

A path such as ``payload.emailData.to.email`` is followed through the schema:
``properties`` and ``patternProperties``; arrays are stepped through
transparently, because JSONata maps a path over an array (``to.email`` reads
every recipient's email) and a numeric segment indexes one; ``$ref`` (local),
``allOf``/``anyOf``/``oneOf`` and ``if``/``then``/``else`` count as
alternatives, and a name declared by any of them is declared.

Decision: a name not declared in ``properties`` is reported even when the
schema allows additional properties (the email payload does, yet
``payload.emialData`` is a typo worth a warning), worded "not declared".
Where the schema says nothing (no type, no properties: an open value) or only
bounds the values of an open map (``additionalProperties: {...}``), nothing
below is checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from workflow_core.redaction.pointers import parse_pointer, resolve
from workflow_core.validation.report import did_you_mean

_COMBINATORS = ("allOf", "anyOf", "oneOf")
_SCALARS = {"string", "number", "integer", "boolean", "null"}
_OPEN = None  # marker: the schema stops saying anything at this point


def undeclared_reason(schema: Mapping[str, Any], ref: str, path: Sequence[str]) -> str | None:
    """Why ``path`` (rooted at ``payload``) is not in ``schema``, or None when it may exist."""
    current: list[Mapping[str, Any]] = [schema]
    for depth, segment in enumerate(path[1:], start=1):
        options = _expand(current, schema)
        if options is _OPEN or segment == "*" or segment == "**":
            return None
        options = _through_arrays(options, schema, segment)
        if options is _OPEN:
            return None
        if segment.isdigit() and _any_array(current, schema):
            current = options
            continue
        found = _lookup(options, segment)
        if found is _OPEN:
            return None
        if found:
            current = found
            continue
        return _explain(options, ref, path, depth)
    return None


def _expand(schemas: list[Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """Every alternative, with refs and combinators unfolded; None if any is open."""
    found: list[Mapping[str, Any]] = []
    pending: list[Any] = list(schemas)
    seen: set[int] = set()
    while pending:
        schema = pending.pop(0)
        if schema is True or schema == {}:
            return _OPEN
        if not isinstance(schema, Mapping) or id(schema) in seen:
            continue
        seen.add(id(schema))
        found.append(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            pending.append(_resolve_ref(root, ref))
        for keyword in _COMBINATORS:
            pending.extend(schema.get(keyword) or [])
        pending.extend(schema[k] for k in ("then", "else") if isinstance(schema.get(k), Mapping))
    if found and all(_is_open(schema) for schema in found):
        return _OPEN
    return found


def _is_open(schema: Mapping[str, Any]) -> bool:
    """Says nothing about the shape: no type, no properties, no items, no composition."""
    shaping = {
        "type",
        "properties",
        "patternProperties",
        "additionalProperties",
        "items",
        "prefixItems",
        "$ref",
        "enum",
        "const",
        *_COMBINATORS,
    }
    return not shaping & set(schema)


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    return set(declared) if isinstance(declared, list) else set()


def _is_array(schema: Mapping[str, Any]) -> bool:
    return "array" in _types(schema) or "items" in schema or "prefixItems" in schema


def _any_array(schemas: list[Mapping[str, Any]], root: Mapping[str, Any]) -> bool:
    options = _expand(schemas, root)
    return bool(options) and any(_is_array(s) for s in options or [])


def _through_arrays(
    options: list[Mapping[str, Any]], root: Mapping[str, Any], segment: str
) -> list[Mapping[str, Any]] | None:
    """Replace array schemas by their item schemas (repeatedly, for nested arrays)."""
    for _ in range(8):  # nested arrays deeper than this are not worth following
        arrays = [s for s in options if _is_array(s)]
        if not arrays:
            return options
        items: list[Any] = []
        for schema in arrays:
            items.extend(schema.get("prefixItems") or [])
            items.append(schema.get("items", True))
        expanded = _expand([s for s in options if not _is_array(s)] + items, root)
        if expanded is _OPEN:
            return _OPEN
        options = expanded
    return options


def _lookup(options: list[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]] | None:
    """Child schemas for ``name``; [] when undeclared; None when nothing can be said."""
    children: list[Any] = []
    for schema in options:
        properties = schema.get("properties") or {}
        if name in properties:
            children.append(properties[name])
        for pattern, child in (schema.get("patternProperties") or {}).items():
            if _matches(pattern, name):
                children.append(child)
    if children:
        return children
    if not any(_declares_names(schema) for schema in options):
        if any(_is_map(schema) for schema in options):
            return _OPEN
        if not all(_types(s) and _types(s) <= _SCALARS for s in options):
            return _OPEN
    return []


def _declares_names(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("properties") or schema.get("patternProperties"))


def _is_map(schema: Mapping[str, Any]) -> bool:
    additional = schema.get("additionalProperties")
    return isinstance(additional, Mapping) or additional is True or "object" in _types(schema)


def _explain(options: list[Mapping[str, Any]], ref: str, path: Sequence[str], depth: int) -> str:
    name, dotted, parent = path[depth], ".".join(path), ".".join(path[:depth])
    declared = sorted({n for s in options for n in (s.get("properties") or {})})
    if not declared and all(_types(s) and _types(s) <= _SCALARS for s in options):
        kinds = " or ".join(sorted({t for s in options for t in _types(s)}))
        return f"{dotted}: {parent} holds {kinds} values, so it has no field {name!r}"
    where = f" under {parent}" if depth > 1 else ""
    return f"{dotted}: {name!r} is not declared in {ref}{where}{did_you_mean(name, declared)}"


def _resolve_ref(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return True  # remote refs are never fetched: treat as open
    path = parse_pointer(ref[1:])
    return resolve(root, path)[1] if path is not None else True


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False
