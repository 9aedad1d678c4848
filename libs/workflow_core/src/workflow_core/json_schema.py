"""JSON Schema checks (Draft 2020-12) shared by registries, actions and tasks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator


@dataclass(frozen=True)
class SchemaViolation:
    """One problem with an instance: where (a JSON pointer) and what."""

    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or None when it is."""
    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as error:
        return f"invalid JSON Schema at {_pointer(error.absolute_path)}: {error.message}"
    return None


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=jsonschema.FormatChecker())


def violations(
    schema: Mapping[str, Any], instance: Any, *, limit: int = 20
) -> list[SchemaViolation]:
    """Every way ``instance`` breaks ``schema`` (at most ``limit``), sorted by pointer."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [SchemaViolation(_pointer(e.absolute_path), e.message) for e in found[:limit]]


def _pointer(path: Any) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "/" + "/".join(parts) if parts else ""
