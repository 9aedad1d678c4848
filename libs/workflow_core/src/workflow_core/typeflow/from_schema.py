"""JSON Schema (Draft 2020-12) to ``Shape``.

Followed: ``type``, ``properties``/``required``, ``additionalProperties``,
``patternProperties``, ``items``/``prefixItems``, ``enum``/``const``, local
``$ref`` (a recursive schema is unfolded ``MAX_REF_DEPTH`` times, then
unknown), ``anyOf``/``oneOf`` and ``if``/``then``/``else`` (their
alternatives, fields only some have being optional), ``allOf`` (its parts'
fields together). Anything else says nothing about the shape and leaves it
unknown: unknown is never a reason to warn.

Decision (kept from the payload-path check): a name not declared in
``properties`` is reported even when ``additionalProperties`` is absent
(JSON Schema's default allows it), because a typo is far likelier than an
undeclared field; a schema that declares no names at all, or bounds the
values of an open map (``additionalProperties: {...}``), checks no names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from workflow_core.redaction.pointers import parse_pointer, resolve
from workflow_core.typeflow.shapes import (
    ANY,
    NEVER,
    Field,
    ObjShape,
    Presence,
    Shape,
    join,
    join_all,
    of_value,
)

# A recursive schema (a tree node holding nodes) is unfolded this deep, then unknown.
MAX_REF_DEPTH = 4
_SHAPING = frozenset(
    {
        "type",
        "properties",
        "patternProperties",
        "additionalProperties",
        "items",
        "prefixItems",
        "$ref",
        "enum",
        "const",
        "allOf",
        "anyOf",
        "oneOf",
        "if",
    }
)


def shape_of_schema(schema: Any, origin: str | None = None) -> Shape:
    """The shape of the values ``schema`` accepts (cached by content)."""
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return ANY
    return _cached(key, origin)


@lru_cache(maxsize=1024)
def _cached(key: str, origin: str | None) -> Shape:
    schema = json.loads(key)
    shape = _Converter(schema).convert(schema, ())
    return _with_origin(shape, origin) if origin else shape


def _with_origin(shape: Shape, origin: str) -> Shape:
    return replace(shape, origin=origin)


class _Converter:
    def __init__(self, root: Any) -> None:
        self.root = root

    def convert(self, schema: Any, refs: tuple[str, ...]) -> Shape:
        if schema is True or schema is None:
            return ANY
        if schema is False:
            return NEVER
        if not isinstance(schema, Mapping) or not (_SHAPING & set(schema)):
            return ANY
        base = self._own(schema, refs)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            base = self._meet(base, self._ref(ref, refs), schema)
        for keyword in ("allOf",):
            for part in schema.get(keyword) or []:
                base = self._meet(base, self.convert(part, refs), schema)
        alternatives = [
            self.convert(part, refs)
            for keyword in ("anyOf", "oneOf")
            for part in (schema.get(keyword) or [])
        ]
        if "if" in schema:
            alternatives += [self.convert(schema.get(k, True), refs) for k in ("then", "else")]
        if alternatives:
            base = self._meet(base, join_all(alternatives, Presence.OPTIONAL), schema)
        return base

    def _own(self, schema: Mapping[str, Any], refs: tuple[str, ...]) -> Shape:
        """What the schema's own keywords say (unknown when they say nothing)."""
        values = _enum_values(schema)
        if values is not None:
            return join_all((of_value(v) for v in values), Presence.OPTIONAL)
        kinds = _types(schema)
        if not kinds:
            if "properties" in schema or "patternProperties" in schema:
                kinds = {"object"}
            elif "items" in schema or "prefixItems" in schema:
                kinds = {"array"}
            elif "additionalProperties" in schema:
                kinds = {"object"}
            else:
                return ANY
        scalars = frozenset(k for k in kinds if k not in ("array", "object"))
        items = self._items(schema, refs) if "array" in kinds else None
        obj = self._object(schema, refs) if "object" in kinds else None
        return Shape(scalars=scalars, items=items, obj=obj)

    def _items(self, schema: Mapping[str, Any], refs: tuple[str, ...]) -> Shape:
        parts = [self.convert(s, refs) for s in schema.get("prefixItems") or []]
        items = schema.get("items", True)
        if items is not False:
            parts.append(self.convert(items, refs))
        return join_all(parts, Presence.OPTIONAL) if parts else ANY

    def _object(self, schema: Mapping[str, Any], refs: tuple[str, ...]) -> ObjShape:
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        fields = tuple(
            (
                str(name),
                Field(
                    self.convert(child, refs),
                    Presence.ALWAYS if name in required else Presence.OPTIONAL,
                ),
            )
            for name, child in sorted(properties.items())
        )
        patterns = tuple(
            (str(p), self.convert(child, refs))
            for p, child in sorted((schema.get("patternProperties") or {}).items())
        )
        additional = schema.get("additionalProperties", True)
        if additional is False:
            return ObjShape(fields=fields, extra=None, checked=True, patterns=patterns)
        if additional is True or additional == {}:
            return ObjShape(
                fields=fields, extra=ANY, checked=bool(fields or patterns), patterns=patterns
            )
        return ObjShape(
            fields=fields, extra=self.convert(additional, refs), checked=False, patterns=patterns
        )

    def _ref(self, ref: str, refs: tuple[str, ...]) -> Shape:
        if not ref.startswith("#") or refs.count(ref) >= MAX_REF_DEPTH:
            return ANY  # remote refs are never fetched; deep recursion stops here
        path = parse_pointer(ref[1:])
        if path is None:
            return ANY
        found, target = resolve(self.root, path)
        return self.convert(target, (*refs, ref)) if found else ANY

    def _meet(self, base: Shape, other: Shape, schema: Mapping[str, Any]) -> Shape:
        """Both must hold: keep what is known, fields of both (an approximation)."""
        if base.unknown:
            return other
        if other.unknown:
            return base
        if base.obj is not None and other.obj is not None:
            merged = base.obj
            for name, value in other.obj.fields:
                mine = merged.get(name)
                if mine is None:
                    merged = merged.with_field(name, value)
                else:
                    presence = min(mine.presence, value.presence)
                    merged = merged.with_field(name, Field(mine.shape, presence))
            extra = None if base.obj.extra is None or other.obj.extra is None else base.obj.extra
            checked = base.obj.checked or other.obj.checked
            merged = replace(merged, extra=extra, checked=checked)
            return replace(base, obj=merged)
        if "type" in schema:
            return base
        return join(base, other, Presence.OPTIONAL) if base.is_never else other


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    return set()


def _enum_values(schema: Mapping[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None
