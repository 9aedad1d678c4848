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


EMAIL_ACTIONS = (
    "parse_email_reply",
    "find_ticket_by_reply_token",
    "find_ticket_by_email_thread",
    "convert_html_to_blocks",
    "create_comment_from_email",
    "process_email_attachment",
    "find_contact_by_email",
    "resolve_inbound_ticket_defaults",
    "create_ticket_from_email",
    "create_human_task_for_email_processing_failure",
    "send_ticket_acknowledgement_email",
)
READ_ONLY = {
    "parse_email_reply",
    "find_ticket_by_reply_token",
    "find_ticket_by_email_thread",
    "convert_html_to_blocks",
    "find_contact_by_email",
    "resolve_inbound_ticket_defaults",
}
TICKET_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["ticketId"],
    "properties": {
        "ticketId": {"type": "string"},
        "ticketNumber": {"type": "string"},
        "replyToken": {"type": "string", "x-sensitive": True},
    },
}


def _parse_body(config: Mapping[str, Any], context: NodeContext) -> Any:
    """Stub of ``email.parseBody``: a ``[#token]`` marker in the text is the reply token."""
    text = str(config.get("text") or "")
    token = text.split("[#", 1)[1].split("]", 1)[0] if "[#" in text else None
    return {
        "sanitizedText": text.split("\n>", 1)[0].strip(),
        "sanitizedHtml": config.get("html"),
        "confidence": "high" if text else "low",
        "metadata": {"strategy": "stub", "warnings": [], "tokens": {"conversationToken": token}},
    }


def _render_blocks(config: Mapping[str, Any], context: NodeContext) -> Any:
    text = config.get("html") or config.get("text") or ""
    return [{"type": "paragraph", "text": str(text)}]


def email_registry() -> Registry:
    """Stub node types and actions with the shape of SPEC section 12 (real ones come later)."""
    registry = create_registry()
    registry.node_types.register(compute_node("stub.parseBody", _parse_body))
    registry.node_types.register(compute_node("stub.renderCommentBlocks", _render_blocks))
    for action_id in EMAIL_ACTIONS:
        output = TICKET_OUTPUT if action_id == "create_ticket_from_email" else OBJECT
        registry.actions.register(
            stub_action(action_id, output_schema=output, side_effectful=action_id not in READ_ONLY)
        )
    return registry.freeze()
