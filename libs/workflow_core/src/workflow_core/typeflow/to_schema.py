"""A shape as JSON Schema again: what the designer's field picker reads.

Unknown is ``{}`` (anything). A field present on some paths only is left out
of ``required`` and marked ``"x-presence": "somePaths"``; ``x-writtenBy``
lists the step paths that write a variable; ``description`` names where a
shape came from (``the output of find_contact_by_email v1``).
"""

from __future__ import annotations

from typing import Any

from workflow_core.typeflow.envelope import Env
from workflow_core.typeflow.shapes import (
    SCALARS,
    Field,
    ObjShape,
    Presence,
    Shape,
    literal_values,
)

PRESENCE_KEY = "x-presence"
WRITERS_KEY = "x-writtenBy"


def to_schema(shape: Shape) -> dict[str, Any]:
    if shape.unknown:
        return {}
    if shape.is_never:
        return {"not": {}}
    kinds = [kind for kind in SCALARS if kind in shape.scalars]
    if "integer" in kinds and "number" in kinds:
        kinds.remove("integer")
    schema: dict[str, Any] = {}
    if shape.items is not None:
        kinds.append("array")
        schema["items"] = to_schema(shape.items)
    if shape.obj is not None:
        kinds.append("object")
        schema.update(_object(shape.obj))
    schema = {"type": kinds[0] if len(kinds) == 1 else kinds, **schema}
    values = literal_values(shape)
    if values is not None:
        schema["enum"] = values
    if shape.origin and shape.origin not in ("vars", "meta", "the expression context"):
        schema["description"] = shape.origin
    return schema


def _object(obj: ObjShape) -> dict[str, Any]:
    schema: dict[str, Any] = {"properties": {name: _field(f) for name, f in obj.fields}}
    required = [name for name, f in obj.fields if f.presence is Presence.ALWAYS]
    if required:
        schema["required"] = required
    if obj.patterns:
        schema["patternProperties"] = {p: to_schema(s) for p, s in obj.patterns}
    if obj.extra is None:
        schema["additionalProperties"] = False
    elif not obj.extra.unknown:
        schema["additionalProperties"] = to_schema(obj.extra)
    return schema


def _field(found: Field) -> dict[str, Any]:
    schema = to_schema(found.shape)
    if found.presence is Presence.SOME_PATHS:
        schema[PRESENCE_KEY] = "somePaths"
    if found.writers:
        schema[WRITERS_KEY] = list(found.writers)
    return schema


def env_schema(env: Env, *, with_error: bool) -> dict[str, Any]:
    """``{payload, vars, meta, error?}``: ``error`` only where it may be set (a catch)."""
    names = ["payload", "vars", "meta", *(["error"] if with_error else [])]
    return {
        "type": "object",
        "properties": {name: to_schema(env.root(name)) for name in names},
        "required": names,
        "additionalProperties": False,
    }
