"""``create_human_task_for_email_processing_failure`` v1 (side-effectful, transactional).

Puts an "Email Processing Failure" task in the tenant's human-task inbox with
the email's subject, sender and the error, then the workflow ends in
``AWAITING_MANUAL_RESOLUTION``. The run does not wait on the task (it is an
inbox item for a person, not a wait), so it has no ``wait_id``. The task id is
derived from the step's idempotency key (``providerId:messageId:failure``):
the same email failing twice yields one task.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue
from sluice_config.clock import utc_now
from sluice_engine import ActionCall
from sluice_storage.human_tasks import HumanTaskRepository, NewHumanTask

from sluice_helpdesk.actions.contract import NULLABLE_STRING, EmailAction, conn_of, obj, spec

TASK_TYPE = "email_processing_failure"
DEFAULT_TITLE = "Email Processing Failure"
_TASK_NAMESPACE = uuid.UUID("5d0e6a51-7c4e-4f0b-9a51-0e3a1c2b7f10")  # fixed: ids stay stable
RESOLUTION_FORM: dict[str, Any] = obj(
    ["resolution"],
    {
        "resolution": {"enum": ["resolved", "ignored"], "title": "Resolution"},
        "ticketId": {"type": "string", "title": "Ticket created or updated by hand"},
        "note": {"type": "string", "title": "Note"},
    },
)


def task_id_for(tenant_id: str, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(_TASK_NAMESPACE, f"{tenant_id}\x00{idempotency_key}")


def describe(args: Mapping[str, JsonValue]) -> str:
    error = args.get("error")
    summary = (
        error
        if not isinstance(error, dict)
        else {k: error.get(k) for k in ("name", "category", "message", "stepId") if k in error}
    )
    lines = [
        f"Subject: {args.get('subject') or '(no subject)'}",
        f"Sender: {args.get('sender') or '(unknown)'}",
        f"Message-ID: {args.get('messageId') or '(unknown)'}",
        f"Error: {json.dumps(summary, ensure_ascii=False, default=str)}",
    ]
    return "\n".join(lines)


async def handle(call: ActionCall) -> JsonValue:
    title = call.args.get("title")
    task = NewHumanTask(
        task_id=task_id_for(call.tenant_id, call.idempotency_key),
        run_id=uuid.UUID(call.run_id),
        task_type=TASK_TYPE,
        title=title if isinstance(title, str) and title.strip() else DEFAULT_TITLE,
        form_schema=RESOLUTION_FORM,
        created_at=utc_now(),
        description=describe(call.args),
    )
    stored = await HumanTaskRepository(conn_of(call), call.tenant_id).create(task)
    return {"taskId": str(stored.task_id), "status": stored.status}


ACTION = EmailAction(
    spec=spec(
        "create_human_task_for_email_processing_failure",
        label="Create email failure task",
        description=(
            "Creates an 'Email Processing Failure' task in the human-task inbox with the email's "
            "subject, sender and error, for a person to resolve by hand."
        ),
        input_schema=obj(
            [],
            {
                "title": NULLABLE_STRING,
                "subject": NULLABLE_STRING,
                "sender": NULLABLE_STRING,
                "messageId": NULLABLE_STRING,
                "error": {"type": ["object", "null"]},
            },
        ),
        output_schema=obj(["taskId"], {"taskId": {"type": "string"}, "status": {"type": "string"}}),
        side_effectful=True,
        icon="alert-triangle",
    ),
    handler=handle,
    transactional=True,
)
