"""A registry with the inbound-email actions and nodes, and small document builders."""

from __future__ import annotations

from typing import Any

from workflow_core.registry import (
    ActionSpec,
    NodeKind,
    NodeTypeSpec,
    Registry,
    UiMetadata,
    create_registry,
)

UI = UiMetadata(label="x", category="Test", description="test entry")
STRING = {"type": "string"}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


EMAIL_ACTIONS: dict[str, dict[str, Any]] = {
    "find_ticket_by_reply_token": _object(["token"], token=STRING),
    "find_ticket_by_email_thread": _object(
        ["messageIds"], messageIds={"type": "array", "items": STRING}, threadId=STRING
    ),
    "convert_html_to_blocks": _object([], html=STRING, text=STRING),
    "create_comment_from_email": _object(
        ["ticketId", "content"],
        ticketId=STRING,
        content=STRING,
        authorType={"enum": ["contact", "internal"]},
        contactId={"type": ["string", "null"]},
        senderEmail=STRING,
    ),
    "process_email_attachment": _object(
        ["ticketId", "attachment"], ticketId=STRING, attachment={"type": "object"}
    ),
    "find_contact_by_email": _object(["email"], email={"type": "string", "format": "email"}),
    "resolve_inbound_ticket_defaults": _object(["providerId"], providerId=STRING),
    "create_ticket_from_email": _object(
        ["title", "description", "defaults"],
        title=STRING,
        description=STRING,
        defaults={"type": "object"},
        contactId={"type": ["string", "null"]},
        clientId={"type": ["string", "null"]},
    ),
    "create_human_task_for_email_processing_failure": _object(
        ["subject", "sender"], subject=STRING, sender=STRING, error={}
    ),
    "send_ticket_acknowledgement_email": _object(["ticketId", "to"], ticketId=STRING, to=STRING),
    "parse_email_reply": _object([], text=STRING, html=STRING),
}


def _noop(config: Any, context: Any) -> Any:
    return None


def email_registry() -> Registry:
    registry = create_registry()
    for action_id, schema in EMAIL_ACTIONS.items():
        registry.actions.register(
            ActionSpec(action_id, 1, schema, {"type": "object"}, side_effectful=True, ui=UI)
        )
    registry.actions.register(
        ActionSpec(
            "find_contact_by_email",
            2,
            EMAIL_ACTIONS["find_contact_by_email"],
            {},
            side_effectful=False,
            ui=UI,
        )
    )
    for node in ("email.parseBody", "email.renderCommentBlocks"):
        config = {
            "type": "object",
            "required": ["saveAs"],
            "properties": {"text": {}, "html": {}, "saveAs": STRING},
            "additionalProperties": False,
        }
        registry.node_types.register(
            NodeTypeSpec(node, config, UI, kind=NodeKind.COMPUTE, handler=_noop)
        )
    return registry.freeze()


def definition(*steps: dict[str, Any], **root: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "wf-self",
        "name": "Test",
        "payloadSchemaRef": "payload.EmailWorkflowPayload.v1",
        "steps": list(steps),
    }
    document.update(root)
    return document


def expr(source: str) -> dict[str, str]:
    return {"$expr": source}


def assign(step_id: str, **paths: Any) -> dict[str, Any]:
    """A transform.assign step; keyword names use '__' for '.' (vars__x -> vars.x)."""
    mapping = {key.replace("__", "."): value for key, value in paths.items()}
    return {"id": step_id, "type": "transform.assign", "config": {"assign": mapping}}


def call(step_id: str, action_id: str, args: dict[str, Any], **config: Any) -> dict[str, Any]:
    body = {"actionId": action_id, "version": 1, "args": args, **config}
    return {"id": step_id, "type": "action.call", "config": body}


def found(report: Any) -> list[tuple[str, str, str]]:
    """``(severity, code, stepPath)`` of every finding, in report order."""
    return [(e.severity, e.code.value, e.step_path) for e in report.errors]
