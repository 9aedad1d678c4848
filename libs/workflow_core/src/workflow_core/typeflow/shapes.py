"""Shapes: what a JSON value can be at some step, as the type analysis sees it.

A ``Shape`` is a union, kept in one canonical form: ``unknown`` (anything:
nothing is checked below it), a set of scalar kinds, at most one array part
(its items' shape) and at most one object part. Merging two shapes (``join``)
is what happens where control flow meets: after an ``if``, after a loop,
after a ``tryCatch``. An object's fields carry their ``Presence``: always
there, optional in a schema, or written on some paths only (the flow-made
"maybe" that publish warns about).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

SCALARS = ("null", "boolean", "integer", "number", "string")


class Presence(IntEnum):
    """Whether a field is there; the larger value wins when branches meet."""

    ALWAYS = 0
    OPTIONAL = 1  # a schema does not require it
    SOME_PATHS = 2  # written on some paths to this step only


@dataclass(frozen=True)
class Field:
    shape: Shape
    presence: Presence = Presence.ALWAYS
    writers: tuple[str, ...] = ()  # step paths that write it (vars), for messages


@dataclass(frozen=True)
class ObjShape:
    """An object's declared fields, and what its other names may hold.

    ``extra`` None: no other name can exist (closed). ``checked``: a name
    neither declared nor matching a pattern is reported (closed objects, and
    schemas that declare properties without closing: the payload's decision).
    """

    fields: tuple[tuple[str, Field], ...] = ()
    extra: Shape | None = None
    checked: bool = True
    patterns: tuple[tuple[str, Shape], ...] = ()

    def get(self, name: str) -> Field | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    def names(self) -> list[str]:
        return [key for key, _ in self.fields]

    def with_field(self, name: str, value: Field) -> ObjShape:
        kept = {key: found for key, found in self.fields if key != name}
        kept[name] = value
        return replace(self, fields=tuple(sorted(kept.items())))

    def without(self, name: str) -> ObjShape:
        return replace(self, fields=tuple((k, v) for k, v in self.fields if k != name))


@dataclass(frozen=True)
class Shape:
    unknown: bool = False
    scalars: frozenset[str] = frozenset()
    items: Shape | None = None  # set when the value may be an array
    obj: ObjShape | None = None  # set when the value may be an object
    # The only values a purely scalar shape can take, as JSON texts (an enum, a
    # literal written); None: any value of its kinds.
    values: frozenset[str] | None = None
    origin: str | None = field(default=None, compare=False)  # for messages

    @property
    def is_never(self) -> bool:
        return not self.unknown and not self.scalars and self.items is None and self.obj is None

    def kinds(self) -> frozenset[str]:
        """JSON kinds it may have (``integer`` also counts as ``number``)."""
        found = set(self.scalars)
        if "integer" in found:
            found.add("number")
        if self.items is not None:
            found.add("array")
        if self.obj is not None:
            found.add("object")
        return frozenset(found)


ANY = Shape(unknown=True)
NEVER = Shape()
NULL = Shape(scalars=frozenset({"null"}))
BOOLEAN = Shape(scalars=frozenset({"boolean"}))
NUMBER = Shape(scalars=frozenset({"number"}))
INTEGER = Shape(scalars=frozenset({"integer"}))
STRING = Shape(scalars=frozenset({"string"}))


def scalar(*kinds: str) -> Shape:
    return Shape(scalars=frozenset(kinds))


def array_of(items: Shape) -> Shape:
    return Shape(items=items)


def closed_object(fields: Mapping[str, Shape | Field], origin: str | None = None) -> Shape:
    entries = {k: v if isinstance(v, Field) else Field(v) for k, v in fields.items()}
    return Shape(obj=ObjShape(fields=tuple(sorted(entries.items()))), origin=origin)


def open_map(values: Shape = ANY) -> Shape:
    """An object whose names are data (``additionalProperties: {...}``)."""
    return Shape(obj=ObjShape(extra=values, checked=False))


def of_value(value: Any) -> Shape:
    """The shape of a literal JSON value."""
    kind = _scalar_kind(value)
    if kind is not None:
        return Shape(scalars=frozenset({kind}), values=frozenset({json.dumps(value)}))
    if isinstance(value, list):
        return array_of(join_all(of_value(item) for item in value))
    if isinstance(value, dict):
        return closed_object({str(k): of_value(v) for k, v in value.items()})
    return ANY


def _scalar_kind(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else None


def join(a: Shape, b: Shape, missing: Presence = Presence.SOME_PATHS) -> Shape:
    """The shape of a value that is either ``a`` or ``b``.

    A field only one side has gets presence ``missing``: SOME_PATHS where
    branches meet, OPTIONAL for a schema's alternatives.
    """
    if a.unknown or b.unknown:
        return ANY
    if a is b or a == b:
        return a
    items = _join_optional(a.items, b.items, missing)
    obj = join_objects(a.obj, b.obj, missing) if a.obj and b.obj else (a.obj or b.obj)
    origin = a.origin if a.origin == b.origin else (a.origin or b.origin)
    values = None
    if a.is_never or b.is_never:
        values = a.values if b.is_never else b.values
    elif a.values is not None and b.values is not None:
        values = a.values | b.values
    return Shape(scalars=a.scalars | b.scalars, items=items, obj=obj, values=values, origin=origin)


def join_all(shapes: Iterable[Shape], missing: Presence = Presence.SOME_PATHS) -> Shape:
    result = NEVER
    for shape in shapes:
        result = join(result, shape, missing)
    return result


def _join_optional(a: Shape | None, b: Shape | None, missing: Presence) -> Shape | None:
    if a is None:
        return b
    if b is None:
        return a
    return join(a, b, missing)


def join_objects(a: ObjShape, b: ObjShape, missing: Presence = Presence.SOME_PATHS) -> ObjShape:
    """Fields of either; one missing on a side is there on some paths only."""
    merged: dict[str, Field] = {}
    for name in sorted(set(a.names()) | set(b.names())):
        left, right = a.get(name), b.get(name)
        if left is None or right is None:
            only = left or right
            assert only is not None
            other = b if left is not None else a
            extra = other.extra
            if extra is not None and not other.checked:  # a map holds any name
                shape = join(only.shape, extra, missing)
                merged[name] = Field(shape, max(only.presence, Presence.OPTIONAL), only.writers)
            else:
                merged[name] = Field(only.shape, max(only.presence, missing), only.writers)
            continue
        writers = tuple(sorted(set(left.writers) | set(right.writers)))
        presence = max(left.presence, right.presence)
        merged[name] = Field(join(left.shape, right.shape, missing), presence, writers)
    extra = _join_optional(a.extra, b.extra, missing)
    return ObjShape(
        fields=tuple(merged.items()),
        extra=extra,
        checked=a.checked and b.checked,
        patterns=a.patterns + tuple(p for p in b.patterns if p not in a.patterns),
    )


def without_null(shape: Shape) -> Shape:
    """``shape`` minus null (unchanged when null is all it can be)."""
    if shape.unknown or "null" not in shape.scalars or shape.scalars == {"null"}:
        if shape.scalars == {"null"} and (shape.items is not None or shape.obj is not None):
            return replace(shape, scalars=frozenset(), values=None)
        return shape
    values = shape.values - {"null"} if shape.values is not None else None
    return replace(shape, scalars=shape.scalars - {"null"}, values=values)


def literal_values(shape: Shape) -> list[Any] | None:
    """The values a purely scalar shape can only take, or None."""
    if shape.values is None or shape.items is not None or shape.obj is not None:
        return None
    return [json.loads(text) for text in sorted(shape.values)]


def describe(shape: Shape) -> str:
    """``string``, ``string or null``, ``array of object``, ``anything``."""
    if shape.unknown:
        return "anything"
    if shape.is_never:
        return "nothing"
    parts = [kind for kind in SCALARS if kind in shape.scalars]
    if shape.items is not None:
        inner = describe(shape.items)
        parts.append("array" if inner in ("anything", "nothing") else f"array of {inner}")
    if shape.obj is not None:
        parts.append("object")
    return " or ".join(parts)
