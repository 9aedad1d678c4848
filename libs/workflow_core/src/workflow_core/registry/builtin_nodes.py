"""Config schemas and UI metadata of the built-in node types (SPEC section 6).

Their behaviour lives in the interpreter; here is only their contract.
An ``Expr`` is ``{"$expr": "..."}``; fields that accept one say so.
"""

from __future__ import annotations

from typing import Any

from workflow_core.registry.metadata import UiMetadata
from workflow_core.registry.node_types import NodeKind, NodeTypeSpec

EXPR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["$expr"],
    "properties": {"$expr": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}
PATH_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1}
ASSIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"anyOf": [EXPR_SCHEMA, {}]},
}


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


STATE_SET = NodeTypeSpec(
    type_name="state.set",
    kind=NodeKind.BUILTIN,
    config_schema=_schema(["state"], {"state": {"type": "string", "minLength": 1}}),
    ui=UiMetadata(
        label="Set state",
        category="Data",
        description="Sets meta.state, the run's business state shown to operators.",
        icon="flag",
        examples=[{"state": "CREATING_TICKET"}],
    ),
)

TRANSFORM_ASSIGN = NodeTypeSpec(
    type_name="transform.assign",
    kind=NodeKind.BUILTIN,
    config_schema=_schema(["assign"], {"assign": ASSIGN_SCHEMA}),
    ui=UiMetadata(
        label="Assign",
        category="Data",
        description=(
            "Evaluates every expression, then writes all results (all or nothing) at dot "
            "paths or JSON pointers under payload, vars or meta."
        ),
        icon="pencil",
        examples=[{"assign": {"vars.processedAt": {"$expr": "nowIso()"}}}],
    ),
)

ACTION_CALL = NodeTypeSpec(
    type_name="action.call",
    kind=NodeKind.BUILTIN,
    config_schema=_schema(
        ["actionId", "version"],
        {
            "actionId": {"type": "string", "minLength": 1},
            "version": {"type": "integer", "minimum": 1},
            "args": {"type": "object"},
            "saveAs": PATH_SCHEMA,
            "idempotencyKey": EXPR_SCHEMA,
            "onError": {
                "type": "object",
                "properties": {"policy": {"enum": ["fail", "continue"]}},
                "additionalProperties": False,
            },
        },
    ),
    ui=UiMetadata(
        label="Call action",
        category="Actions",
        description=(
            "Calls a registered action with resolved args, validated against its input and "
            "output schemas; side-effectful actions run at most once per idempotency key."
        ),
        icon="zap",
        examples=[
            {
                "actionId": "find_contact_by_email",
                "version": 1,
                "args": {"email": {"$expr": "payload.emailData.from.email"}},
                "saveAs": "vars.contact",
            }
        ],
    ),
)

EVENT_WAIT = NodeTypeSpec(
    type_name="event.wait",
    kind=NodeKind.BUILTIN,
    config_schema=_schema(
        ["eventName", "correlationKey"],
        {
            "eventName": {"type": "string", "minLength": 1},
            "correlationKey": EXPR_SCHEMA,
            "timeoutMs": {"type": "integer", "minimum": 1},
            "acceptEarlierEventsMs": {"type": "integer", "minimum": 0},
            "assign": ASSIGN_SCHEMA,
        },
    ),
    ui=UiMetadata(
        label="Wait for event",
        category="Waits",
        description=(
            "Parks the run until an event with this name and correlation key arrives; "
            "raises TimeoutError when timeoutMs passes first."
        ),
        icon="clock",
        examples=[
            {
                "eventName": "APPROVAL_GIVEN",
                "correlationKey": {"$expr": "payload.requestId"},
                "timeoutMs": 86400000,
                "assign": {"vars.approval": {"$expr": "event.payload"}},
            }
        ],
    ),
)

HUMAN_TASK = NodeTypeSpec(
    type_name="human.task",
    kind=NodeKind.BUILTIN,
    config_schema={
        **_schema(
            ["taskType", "title"],
            {
                "taskType": {"type": "string", "minLength": 1},
                "title": {"anyOf": [EXPR_SCHEMA, {"type": "string"}]},
                "description": {"anyOf": [EXPR_SCHEMA, {"type": "string"}]},
                "formSchema": {"type": "object"},
                "formSchemaRef": {"type": "string", "minLength": 1},
                "assignee": {"type": "string"},
                "saveAs": PATH_SCHEMA,
                "timeoutMs": {"type": "integer", "minimum": 1},
            },
        ),
        "oneOf": [{"required": ["formSchema"]}, {"required": ["formSchemaRef"]}],
    },
    ui=UiMetadata(
        label="Human task",
        category="Waits",
        description=(
            "Creates a task in the human-task inbox and parks the run until someone completes "
            "it with output valid against the form schema."
        ),
        icon="user",
        examples=[
            {
                "taskType": "approval",
                "title": "Approve the request",
                "formSchema": {"type": "object", "properties": {"approved": {"type": "boolean"}}},
                "saveAs": "vars.decision",
            }
        ],
    ),
)

# The longest delay, 366 days in ms: about Step Functions' limit for a Wait state
# (one year, its longest execution). Anything longer belongs in a schedule trigger.
MAX_DELAY_MS = 366 * 24 * 3600 * 1000

DELAY = NodeTypeSpec(
    type_name="timer.delay",
    kind=NodeKind.BUILTIN,
    config_schema={
        **_schema(
            [],
            {
                "durationMs": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY_MS},
                "until": {"type": "string", "format": "date-time"},
            },
        ),
        "oneOf": [{"required": ["durationMs"]}, {"required": ["until"]}],
    },
    ui=UiMetadata(
        label="Delay",
        category="Waits",
        description=(
            "Parks the run on a timer for durationMs milliseconds, or until an ISO 8601 "
            "date-time with an offset (an expression may compute either); shown as a timer "
            "wait in the run's history. A time already past continues at once."
        ),
        icon="hourglass",
        examples=[
            {"durationMs": 3600000},
            {"until": {"$expr": "payload.followUpAt"}},
        ],
    ),
)

BUILTIN_NODE_TYPES = (STATE_SET, TRANSFORM_ASSIGN, ACTION_CALL, EVENT_WAIT, HUMAN_TASK, DELAY)
