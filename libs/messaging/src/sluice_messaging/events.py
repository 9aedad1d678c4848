"""Parsing ``wf.events``: the full envelope or the bare event form.

External producers may publish either
``{v, id, type: "event", tenantId, occurredAt, body: {eventName, correlationKey, payload, ...}}``
or just ``{eventName, correlationKey, payload, tenantId, idempotencyKey?}``.
Both become one ``InboundEvent``; anything else is an ``EnvelopeError`` naming
the fault, so the router can dead-letter it with that reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from sluice_messaging.envelope import (
    TENANT_PATTERN,
    Envelope,
    describe_validation,
    from_wire,
    parse_json_object,
)
from sluice_messaging.errors import EnvelopeError

EVENT_TYPE = "event"
M = TypeVar("M", bound=BaseModel)


def _string_or_number(schema: dict[str, Any]) -> None:
    """The correlation key's schema says what ``_key_as_string`` accepts."""
    longest = schema.pop("maxLength")
    del schema["type"]
    schema["anyOf"] = [{"type": "string", "maxLength": longest}, {"type": "number"}]


class EventBody(BaseModel):
    """The event itself; also the body of an ``event`` envelope."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    event_name: str = Field(min_length=1, max_length=200)
    correlation_key: str = Field(
        max_length=1000,
        description="a string or a number (used as a string)",
        json_schema_extra=_string_or_number,
    )
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("correlation_key", mode="before")
    @classmethod
    def _key_as_string(cls, value: Any) -> Any:
        # SPEC 6: a correlation key may be a string or a number, used as a string.
        if isinstance(value, bool):
            return value  # a bool is not a number here; let str validation reject it
        if isinstance(value, int | float):
            return str(value)
        return value


class EventSubmission(EventBody):
    """An event submitted over HTTP (API or ingest): unknown fields are refused,
    so a typo such as ``corelationKey`` is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class BareEvent(EventBody):
    tenant_id: str = Field(pattern=TENANT_PATTERN)


class InboundEvent(BaseModel):
    """A parsed event, whatever form it came in."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    event_name: str
    correlation_key: str
    payload: dict[str, Any]
    idempotency_key: str | None = None
    message_id: uuid.UUID | None = None  # set when it came in an envelope
    occurred_at: datetime | None = None


def _validate(model: type[M], data: dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        problems = describe_validation(exc)
        raise EnvelopeError(f"invalid {what}: " + "; ".join(problems), problems=problems) from exc


def event_from_envelope(envelope: Envelope) -> InboundEvent:
    if envelope.type != EVENT_TYPE:
        raise EnvelopeError(
            f"envelope type {envelope.type!r} is not an event (expected {EVENT_TYPE!r})"
        )
    body = _validate(EventBody, envelope.body, "event envelope body")
    return InboundEvent(
        tenant_id=envelope.tenant_id,
        event_name=body.event_name,
        correlation_key=body.correlation_key,
        payload=body.payload,
        idempotency_key=body.idempotency_key,
        message_id=envelope.id,
        occurred_at=envelope.occurred_at,
    )


def parse_event_message(raw: bytes | str | None) -> InboundEvent:
    """Bytes from ``wf.events`` -> ``InboundEvent`` (either form)."""
    data = parse_json_object(raw, "event message")
    if "v" in data or "body" in data:
        return event_from_envelope(from_wire(data, "event envelope"))
    bare = _validate(BareEvent, data, "bare event")
    return InboundEvent(
        tenant_id=bare.tenant_id,
        event_name=bare.event_name,
        correlation_key=bare.correlation_key,
        payload=bare.payload,
        idempotency_key=bare.idempotency_key,
    )
