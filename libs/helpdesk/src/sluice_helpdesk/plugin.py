"""The ``helpdesk`` plugin (entry point in group ``sluice.plugins``).

Registers the email node types and the eleven email actions with their
handlers. The engine loads it in every service by default
(``sluice_engine.plugins.BUILTIN_PLUGINS``), so the reference workflow works
out of the box; ``WF_PLUGINS`` adds further plugins.
"""

from __future__ import annotations

from sluice_engine import ActionHandlers
from workflow_core.registry import Registry

from sluice_helpdesk.actions import EMAIL_ACTIONS
from sluice_helpdesk.nodes import EMAIL_NODE_TYPES


def register(registry: Registry, handlers: ActionHandlers) -> None:
    for node_type in EMAIL_NODE_TYPES:
        registry.node_types.register(node_type)
    for action in EMAIL_ACTIONS:
        registry.actions.register(action.spec)
        handlers.register(
            action.spec.action_id,
            action.spec.version,
            action.handler,
            transactional=action.transactional,
        )
