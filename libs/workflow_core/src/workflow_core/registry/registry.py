"""The combined registry: schemas, node types and actions, frozen after start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow_core.registry.actions import ActionRegistry
from workflow_core.registry.builtin_nodes import BUILTIN_NODE_TYPES
from workflow_core.registry.email_payload import EMAIL_PAYLOAD_REF, EMAIL_PAYLOAD_SCHEMA
from workflow_core.registry.node_types import NodeTypeRegistry
from workflow_core.registry.schedule_payload import SCHEDULE_PAYLOAD_REF, SCHEDULE_PAYLOAD_SCHEMA
from workflow_core.registry.schemas import SchemaRegistry


@dataclass
class Registry:
    schemas: SchemaRegistry = field(default_factory=SchemaRegistry)
    node_types: NodeTypeRegistry = field(default_factory=NodeTypeRegistry)
    actions: ActionRegistry = field(default_factory=ActionRegistry)
    frozen: bool = False

    def freeze(self) -> Registry:
        """No registration after this: every service freezes at the end of start-up."""
        self.schemas.freeze()
        self.node_types.freeze()
        self.actions.freeze()
        self.frozen = True
        return self


def create_registry() -> Registry:
    """A fresh, unfrozen registry holding what the core registers itself."""
    registry = Registry()
    registry.schemas.register(EMAIL_PAYLOAD_REF, EMAIL_PAYLOAD_SCHEMA)
    registry.schemas.register(SCHEDULE_PAYLOAD_REF, SCHEDULE_PAYLOAD_SCHEMA)
    for spec in BUILTIN_NODE_TYPES:
        registry.node_types.register(spec)
    return registry
