"""Following a field path through a shape (reads) and writing one (assign, saveAs).

Reads follow JSONata: a name step over an array maps over its items (so
``to.email`` reads every recipient's address) and a name on a scalar or null
yields nothing. A path ``cannot exist`` only when no part of the union can
hold it; then ``Miss`` says where and why. Writes follow the interpreter
(``envelope.write_all``): missing or null objects on the way are created, a
numeric segment indexes an array, ``-`` appends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from workflow_core.typeflow.shapes import (
    ANY,
    NEVER,
    Field,
    ObjShape,
    Presence,
    Shape,
    array_of,
    join,
    join_all,
    without_null,
)

# Nested arrays deeper than this are not followed (the value becomes unknown).
MAX_ARRAY_NESTING = 8

MissKind = Literal["closed", "undeclared", "scalar"]


@dataclass(frozen=True)
class Miss:
    """``names[depth]`` cannot be there: its parent is closed, does not declare
    it, or holds only scalars."""

    depth: int
    kind: MissKind
    parent: Shape
    declared: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """What the path may hold, and the first prefix written on some paths only."""

    shape: Shape
    some_paths: tuple[str, ...] | None = None
    writers: tuple[str, ...] = ()


def read(shape: Shape, names: Sequence[str]) -> Found | Miss:
    """Follow ``names`` from ``shape`` (the context object)."""
    current = shape
    some_paths: tuple[str, ...] | None = None
    writers: tuple[str, ...] = ()
    for depth, name in enumerate(names):
        step = _step(current, name)
        if isinstance(step, _StepMiss):
            return Miss(depth, step.kind, current, step.declared)
        current, presence, found_writers = step
        if presence is Presence.SOME_PATHS and some_paths is None:
            some_paths, writers = tuple(names[: depth + 1]), found_writers
    return Found(current, some_paths, writers)


@dataclass(frozen=True)
class _StepMiss:
    kind: MissKind
    declared: tuple[str, ...]


def _step(shape: Shape, name: str) -> tuple[Shape, Presence, tuple[str, ...]] | _StepMiss:
    if shape.unknown:
        return ANY, Presence.ALWAYS, ()
    parts: list[Shape] = []
    presence = Presence.ALWAYS
    writers: tuple[str, ...] = ()
    miss: _StepMiss | None = None
    for container in _containers(shape):
        if container.unknown:
            return ANY, Presence.ALWAYS, ()
        if container.obj is None:
            continue
        found = _field(container.obj, name)
        if isinstance(found, _StepMiss):
            miss = miss or found
            continue
        parts.append(found.shape)
        presence = max(presence, found.presence)
        writers = writers or found.writers
    if parts:
        result = join_all(parts)
        return (array_or_item(result) if shape.items is not None else result), presence, writers
    if miss is not None:
        return miss
    if shape.scalars and not _containers_hold_objects(shape):
        return _StepMiss("scalar", ())
    return NEVER, Presence.ALWAYS, ()


def array_or_item(shape: Shape) -> Shape:
    """A path mapped over an array gives one value or an array of them (JSONata)."""
    if shape.unknown or shape.is_never:
        return shape
    flat = shape.items if shape.items is not None else shape
    return join(shape, array_of(flat))


def _containers(shape: Shape) -> list[Shape]:
    """The shape itself and the items of its (nested) arrays: what a name step reads."""
    found = [shape]
    current = shape.items
    for _ in range(MAX_ARRAY_NESTING):
        if current is None:
            break
        found.append(current)
        current = current.items
    else:
        found.append(ANY)
    return found


def _containers_hold_objects(shape: Shape) -> bool:
    return any(c.obj is not None or c.unknown for c in _containers(shape))


def _field(obj: ObjShape, name: str) -> Field | _StepMiss:
    found = obj.get(name)
    if found is not None:
        return found
    matching = [shape for pattern, shape in obj.patterns if _matches(pattern, name)]
    if matching:
        return Field(join_all(matching), Presence.OPTIONAL)
    if obj.extra is not None and not obj.checked:
        return Field(obj.extra, Presence.OPTIONAL)
    if not obj.checked:
        return Field(ANY, Presence.OPTIONAL)
    kind: MissKind = "closed" if obj.extra is None else "undeclared"
    return _StepMiss(kind, tuple(obj.names()))


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return True  # a pattern we cannot read may match: claim nothing


# -- writes -----------------------------------------------------------------------


class WriteIntoScalarError(Exception):
    """A write path goes through a value that is certainly not an object or array."""

    def __init__(self, depth: int, parent: Shape) -> None:
        super().__init__(depth)
        self.depth = depth
        self.parent = parent


def write(
    shape: Shape, segments: Sequence[str], value: Shape, writer: str, depth: int = 0
) -> Shape:
    """``shape`` after writing ``value`` at ``segments`` (relative to it)."""
    if not segments or shape.unknown:
        return value if not segments else shape
    head, rest = segments[0], segments[1:]
    if shape.obj is None and shape.items is None:
        if shape.scalars - {"null"}:
            raise WriteIntoScalarError(depth, shape)
        shape = replace(shape, obj=ObjShape(), scalars=frozenset(), values=None)
    result = shape
    if shape.obj is not None:
        result = replace(result, obj=_write_field(shape.obj, head, rest, value, writer, depth))
    if shape.items is not None and (head == "-" or head.isdigit()):
        items = shape.items if not rest else write(shape.items, rest, value, writer, depth + 1)
        result = replace(result, items=join(items, value) if not rest else items)
    return result


def _write_field(
    obj: ObjShape, name: str, rest: Sequence[str], value: Shape, writer: str, depth: int
) -> ObjShape:
    current = obj.get(name)
    if not rest:
        return obj.with_field(name, Field(value, Presence.ALWAYS, (writer,)))
    inner = current.shape if current is not None else _absent(obj, name)
    if "null" in inner.scalars and inner.obj is None and inner.items is None:
        inner = replace(inner, scalars=inner.scalars - {"null"}, obj=ObjShape(), values=None)
    written = write(inner, rest, value, writer, depth + 1)
    writers = tuple(sorted({*(current.writers if current else ()), writer}))
    return obj.with_field(name, Field(written, Presence.ALWAYS, writers))


def _absent(obj: ObjShape, name: str) -> Shape:
    """What a name not in ``fields`` holds before a write creates it: an empty object."""
    found = _field(obj, name)
    if isinstance(found, Field) and found.presence is not Presence.SOME_PATHS:
        return join(found.shape, Shape(obj=ObjShape()))
    return Shape(obj=ObjShape())


def present(shape: Shape, names: Sequence[str]) -> Shape:
    """``shape`` where ``names`` is known to be there and truthy (a narrowed branch)."""
    if not names or shape.unknown or shape.obj is None:
        return shape
    found = shape.obj.get(names[0])
    if found is None:
        return shape
    inner = present(found.shape, names[1:]) if len(names) > 1 else without_null(found.shape)
    narrowed = Field(inner, Presence.ALWAYS, found.writers)
    return replace(shape, obj=shape.obj.with_field(names[0], narrowed))
