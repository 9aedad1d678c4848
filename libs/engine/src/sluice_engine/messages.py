"""Commands and action requests as Kafka envelopes (outbox rows), and back.

Each carries the current trace context (W3C ``traceparent``, ``sluice_telemetry``) as
Kafka headers when there is one, so the consumer's span continues the trace.

A command's envelope id IS its command id, so the outbox relay's at-least-once
resends are dropped by ``applied_commands``. Ids of commands that answer
something (a wait, a request, a child) derive from what they answer, so two
writers of "the same" answer produce one command id and the second is skipped.
"""

from __future__ import annotations

import uuid
from typing import Any

from sluice_messaging.envelope import Envelope, new_envelope
from sluice_messaging.topics import Topics
from sluice_storage import OutboxMessage
from sluice_telemetry import trace_headers
from workflow_core.interpreter.commands import COMMAND_ADAPTER, Command
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.ids import derived_id

COMMAND_TYPE = "run.command"
ACTION_REQUEST_TYPE = "action.request"
RUN_UPDATE_TYPE = "run.update"


def answer_id(kind: str, subject: str) -> str:
    """The command id of the one answer of kind ``kind`` to ``subject`` (wait, request...)."""
    return derived_id("command", kind, subject)


def new_command_id() -> str:
    return str(uuid.uuid4())


def command_body(command: Command) -> dict[str, Any]:
    body: dict[str, Any] = COMMAND_ADAPTER.dump_python(command, mode="json", by_alias=True)
    return body


def parse_command(body: dict[str, Any]) -> Command:
    command: Command = COMMAND_ADAPTER.validate_python(body)
    return command


def command_message(topics: Topics, tenant_id: str, run_id: str, command: Command) -> OutboxMessage:
    envelope = new_envelope(
        COMMAND_TYPE,
        tenant_id,
        command_body(command),
        occurred_at=command.now,
        run_id=uuid.UUID(run_id),
        message_id=uuid.UUID(command.command_id),
    )
    return OutboxMessage(topics.run_commands, run_id, envelope, trace_headers())


def action_request_message(
    topics: Topics, tenant_id: str, run_id: str, request: RequestAction, now: Any
) -> OutboxMessage:
    envelope = new_envelope(
        ACTION_REQUEST_TYPE,
        tenant_id,
        request.model_dump(mode="json", by_alias=True),
        occurred_at=now,
        run_id=uuid.UUID(run_id),
        # A re-sent request (Continue) reuses the id: the executor's job row dedups it.
        message_id=uuid.UUID(derived_id("request-message", request.request_id, str(now))),
    )
    return OutboxMessage(topics.action_requests, run_id, envelope, trace_headers())


def run_update_message(
    topics: Topics, tenant_id: str, run_id: str, body: dict[str, Any], now: Any
) -> OutboxMessage:
    envelope = new_envelope(
        RUN_UPDATE_TYPE, tenant_id, body, occurred_at=now, run_id=uuid.UUID(run_id)
    )
    return OutboxMessage(topics.run_updates, run_id, envelope, trace_headers())


def command_of(envelope: Envelope) -> Command:
    """The command carried by a ``run.command`` envelope (raises on anything else)."""
    if envelope.type != COMMAND_TYPE:
        raise ValueError(f"envelope type {envelope.type!r} is not {COMMAND_TYPE!r}")
    return parse_command(envelope.body)


def request_of(envelope: Envelope) -> RequestAction:
    if envelope.type != ACTION_REQUEST_TYPE:
        raise ValueError(f"envelope type {envelope.type!r} is not {ACTION_REQUEST_TYPE!r}")
    return RequestAction.model_validate(envelope.body)
