"""Registries of schemas, node types and actions (SPEC sections 2, 6, 15)."""

from workflow_core.registry.actions import ActionRegistry, ActionSpec, IdempotencyMode
from workflow_core.registry.builtin_nodes import BUILTIN_NODE_TYPES, EXPR_SCHEMA
from workflow_core.registry.email_payload import EMAIL_PAYLOAD_REF, EMAIL_PAYLOAD_SCHEMA
from workflow_core.registry.metadata import UiMetadata
from workflow_core.registry.node_types import (
    NodeContext,
    NodeHandler,
    NodeKind,
    NodeTypeRegistry,
    NodeTypeSpec,
    StepFailedError,
)
from workflow_core.registry.registry import Registry, create_registry
from workflow_core.registry.schemas import SchemaRegistry

__all__ = [
    "BUILTIN_NODE_TYPES",
    "EMAIL_PAYLOAD_REF",
    "EMAIL_PAYLOAD_SCHEMA",
    "EXPR_SCHEMA",
    "ActionRegistry",
    "ActionSpec",
    "IdempotencyMode",
    "NodeContext",
    "NodeHandler",
    "NodeKind",
    "NodeTypeRegistry",
    "NodeTypeSpec",
    "Registry",
    "SchemaRegistry",
    "StepFailedError",
    "UiMetadata",
    "create_registry",
]
