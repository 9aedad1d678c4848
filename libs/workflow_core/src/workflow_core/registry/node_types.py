"""Node-type registry: config schema, handler and UI metadata per node type.

Built-in node types whose behaviour is part of the interpreter (waits, action
calls, assignments) carry ``kind`` BUILTIN and no handler; every other node
type is COMPUTE: a pure handler turning its resolved config into a JSON
result, which the interpreter writes at ``config.saveAs`` when present.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import JsonValue

from workflow_core.definitions.policies import RetryPolicy
from workflow_core.definitions.steps import CONTROL_TYPES
from workflow_core.errors import ErrorCategory, RegistryError, SluiceError
from workflow_core.json_schema import schema_problem
from workflow_core.registry.metadata import UiMetadata

NODE_TYPE_NAME = re.compile(r"^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")


class NodeKind(StrEnum):
    BUILTIN = "builtin"
    COMPUTE = "compute"


@dataclass(frozen=True)
class NodeContext:
    """What a compute handler may know besides its config: never the clock."""

    tenant_id: str
    run_id: str
    step_id: str
    node_path: str
    now: datetime
    loop_indexes: tuple[int, ...] = ()


class StepFailedError(SluiceError):
    """Raised by a compute handler to fail its step with a categorised error."""

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory = ErrorCategory.ACTION,
        name: str = "StepFailedError",
        retryable: bool = False,
        data: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(message, code=name)
        self.category = category
        self.name = name
        self.retryable = retryable
        self.data = dict(data or {})


NodeHandler = Callable[[Mapping[str, JsonValue], NodeContext], JsonValue]


@dataclass(frozen=True)
class NodeTypeSpec:
    type_name: str
    config_schema: Mapping[str, Any]
    ui: UiMetadata
    kind: NodeKind = NodeKind.COMPUTE
    handler: NodeHandler | None = None
    default_retry: RetryPolicy | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # JSON Schema of what a compute node writes at ``config.saveAs`` (None: unknown);
    # the type analysis types ``vars`` with it.
    output_schema: Mapping[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """The discovery form served by the registry endpoint."""
        return {
            "type": self.type_name,
            "kind": self.kind.value,
            "configSchema": copy.deepcopy(dict(self.config_schema)),
            "ui": self.ui.public(),
            "defaultRetry": self.default_retry.dump() if self.default_retry else None,
        }


class NodeTypeRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, NodeTypeSpec] = {}
        self._frozen = False

    def register(self, spec: NodeTypeSpec) -> None:
        if self._frozen:
            raise RegistryError(f"node-type registry is frozen; cannot register {spec.type_name!r}")
        _check_node_type(spec)
        if spec.type_name in self._specs:
            raise RegistryError(f"node type {spec.type_name!r} is already registered")
        self._specs[spec.type_name] = spec

    def freeze(self) -> None:
        self._frozen = True

    def get(self, type_name: str) -> NodeTypeSpec | None:
        return self._specs.get(type_name)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._specs

    def all(self) -> list[NodeTypeSpec]:
        return [self._specs[name] for name in sorted(self._specs)]


def _check_node_type(spec: NodeTypeSpec) -> None:
    name = spec.type_name
    if name in CONTROL_TYPES or name.startswith("control."):
        raise RegistryError(f"node type {name!r}: the control.* names are reserved for blocks")
    if not NODE_TYPE_NAME.match(name):
        raise RegistryError(f"node type {name!r} must look like 'namespace.name'")
    problem = schema_problem(spec.config_schema)
    if problem:
        raise RegistryError(f"node type {name!r} config schema: {problem}")
    problem = schema_problem(spec.output_schema) if spec.output_schema is not None else None
    if problem:
        raise RegistryError(f"node type {name!r} output schema: {problem}")
    if spec.kind is NodeKind.COMPUTE and spec.handler is None:
        raise RegistryError(f"node type {name!r} is a compute node and needs a handler")
    if spec.kind is NodeKind.BUILTIN and spec.handler is not None:
        raise RegistryError(f"node type {name!r} is built in; its behaviour is the interpreter's")
