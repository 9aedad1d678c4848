"""What every email action module declares: its contract (ActionSpec) and its handler.

Each action module exposes ``ACTION: EmailAction``; ``sluice_helpdesk.plugin``
registers them all. Schema helpers live here so the eleven contracts read alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_engine import ActionCall, ActionFailedError, ActionFn
from workflow_core.definitions import RetryPolicy
from workflow_core.registry import ActionSpec, UiMetadata

from sluice_helpdesk.tickets import Ticket, TicketRepository

CATEGORY = "Help desk: email"
STRING: dict[str, Any] = {"type": "string"}
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
ID: dict[str, Any] = {"type": "string", "minLength": 1}
NULLABLE_ID: dict[str, Any] = {"type": ["string", "null"]}


@dataclass(frozen=True)
class EmailAction:
    spec: ActionSpec
    handler: ActionFn
    transactional: bool


def obj(required: list[str], properties: dict[str, Any], *, closed: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


def spec(
    action_id: str,
    *,
    label: str,
    description: str,
    input_schema: Mapping[str, Any],
    output_schema: Mapping[str, Any],
    side_effectful: bool,
    icon: str = "mail",
    examples: list[dict[str, JsonValue]] | None = None,
    retry_hint: RetryPolicy | None = None,
) -> ActionSpec:
    return ActionSpec(
        action_id=action_id,
        version=1,
        input_schema=input_schema,
        output_schema=output_schema,
        side_effectful=side_effectful,
        ui=UiMetadata(
            label=label,
            category=CATEGORY,
            description=description,
            icon=icon,
            examples=examples or [],
        ),
        retry_hint=retry_hint,
    )


def conn_of(call: ActionCall) -> asyncpg.Connection:
    """The transaction's connection (transactional handlers only)."""
    if call.conn is None:
        raise ActionFailedError(
            f"action {call.action_id!r} needs the engine's transaction", name="NO_TRANSACTION"
        )
    return call.conn


def text_arg(args: Mapping[str, JsonValue], name: str) -> str | None:
    """A string argument, None when absent, null or blank."""
    value = args.get(name)
    return value if isinstance(value, str) and value.strip() else None


def required_text(call: ActionCall, name: str) -> str:
    value = text_arg(call.args, name)
    if value is None:
        raise ActionFailedError(
            f"{call.action_id}: argument {name!r} is required", name="MISSING_ARGUMENT"
        )
    return value


def not_found(what: str, name: str) -> ActionFailedError:
    """A permanent failure: the record the args name does not exist in this tenant."""
    return ActionFailedError(what, name=name, retryable=False)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def ticket_arg(call: ActionCall) -> Ticket:
    """The ticket ``args.ticketId`` names in the run's tenant; a permanent failure if none."""
    ticket_id = required_text(call, "ticketId")
    ticket = None
    if is_uuid(ticket_id):
        ticket = await TicketRepository(conn_of(call), call.tenant_id).get(ticket_id)
    if ticket is None:
        raise not_found(f"ticket {ticket_id!r} does not exist", "TICKET_NOT_FOUND")
    return ticket
