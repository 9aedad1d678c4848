"""Schema registry: named, versioned JSON Schemas such as
``payload.EmailWorkflowPayload.v1`` referenced by definitions."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from workflow_core.errors import RegistryError
from workflow_core.json_schema import schema_problem

SCHEMA_REF = re.compile(r"^[a-z][a-zA-Z0-9]*(\.[A-Za-z][A-Za-z0-9_]*)+\.v[0-9]+$")


class SchemaRegistry:
    def __init__(self) -> None:
        self._schemas: dict[str, dict[str, Any]] = {}
        self._frozen = False

    def register(self, ref: str, schema: Mapping[str, Any]) -> None:
        if self._frozen:
            raise RegistryError(f"schema registry is frozen; cannot register {ref!r}")
        if not SCHEMA_REF.match(ref):
            raise RegistryError(f"schema ref {ref!r} must look like 'payload.Name.v1'")
        if ref in self._schemas:
            raise RegistryError(f"schema {ref!r} is already registered")
        problem = schema_problem(schema)
        if problem:
            raise RegistryError(f"schema {ref!r}: {problem}")
        self._schemas[ref] = copy.deepcopy(dict(schema))

    def freeze(self) -> None:
        self._frozen = True

    def get(self, ref: str) -> dict[str, Any] | None:
        """A copy of the schema, or None when ``ref`` is unknown."""
        schema = self._schemas.get(ref)
        return copy.deepcopy(schema) if schema is not None else None

    def __contains__(self, ref: object) -> bool:
        return ref in self._schemas

    def refs(self) -> list[str]:
        return sorted(self._schemas)
