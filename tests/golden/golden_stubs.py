"""Registries for interpreter tests: stub actions and compute node types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_core.definitions import RetryPolicy
from workflow_core.errors import ErrorCategory
from workflow_core.registry import (
    ActionSpec,
    NodeContext,
    NodeTypeSpec,
    Registry,
    StepFailedError,
    UiMetadata,
    create_registry,
)

UI = UiMetadata(label="Stub", category="Test", description="A stub for interpreter tests.")
OBJECT: dict[str, Any] = {"type": "object"}


def stub_action(
    action_id: str,
    *,
    input_schema: Mapping[str, Any] | None = None,
    output_schema: Mapping[str, Any] | None = None,
    side_effectful: bool = True,
    retry_hint: RetryPolicy | None = None,
) -> ActionSpec:
    return ActionSpec(
        action_id=action_id,
        version=1,
        input_schema=input_schema or OBJECT,
        output_schema=output_schema or {},
        side_effectful=side_effectful,
        ui=UI,
        retry_hint=retry_hint,
    )


def _echo(config: Mapping[str, Any], context: NodeContext) -> Any:
    return {
        "value": config.get("value"),
        "step": context.step_id,
        "loop": list(context.loop_indexes),
    }


def _failing(config: Mapping[str, Any], context: NodeContext) -> Any:
    if config.get("fail"):
        raise StepFailedError(
            str(config.get("message", "compute failed")),
            category=ErrorCategory(config.get("category", "ActionError")),
            name="STUB_FAILED",
            retryable=bool(config.get("retryable", False)),
            data={"step": context.step_id},
        )
    return config.get("value")


def _crashing(config: Mapping[str, Any], context: NodeContext) -> Any:
    raise RuntimeError("handler bug")


def compute_node(name: str, handler: Any, default_retry: RetryPolicy | None = None) -> NodeTypeSpec:
    return NodeTypeSpec(
        type_name=name, config_schema=OBJECT, ui=UI, handler=handler, default_retry=default_retry
    )


def stub_registry(*actions: ActionSpec) -> Registry:
    """The core registry plus ``test.echo``, ``test.maybeFail``, ``test.crash`` and actions."""
    registry = create_registry()
    registry.node_types.register(compute_node("test.echo", _echo))
    registry.node_types.register(compute_node("test.maybeFail", _failing))
    registry.node_types.register(compute_node("test.crash", _crashing))
    for spec in actions:
        registry.actions.register(spec)
    return registry.freeze()
