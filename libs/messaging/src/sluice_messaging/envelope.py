"""The common message envelope of every Sluice topic.

Wire form (JSON, camelCase): ``{v, id, type, tenantId, runId?, occurredAt,
body}``. ``id`` is a uuid every consumer uses to drop duplicates; ``occurredAt``
is when the producer decided to send it (for commands, the ``now`` the core
sees).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from workflow_core.json_rules import JsonRuleError, loads_checked

from sluice_messaging.errors import EnvelopeError

ENVELOPE_VERSION: Literal[1] = 1
TENANT_PATTERN = r"^[a-z0-9-]{1,63}$"


class Envelope(BaseModel):
    """One message. Immutable; build a new one with ``model_copy``."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )

    v: Literal[1] = ENVELOPE_VERSION
    id: uuid.UUID
    type: str = Field(min_length=1, max_length=200)
    tenant_id: str = Field(pattern=TENANT_PATTERN)
    run_id: uuid.UUID | None = None
    occurred_at: AwareDatetime
    body: dict[str, Any] = Field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict (``to_wire``): what the outbox stores and Kafka carries."""
        return to_wire(self)


def new_envelope(
    type_: str,
    tenant_id: str,
    body: dict[str, Any],
    *,
    occurred_at: datetime,
    run_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
) -> Envelope:
    """An envelope with a fresh id unless one is given (derived ids make resends idempotent)."""
    return Envelope(
        id=message_id or uuid.uuid4(),
        type=type_,
        tenant_id=tenant_id,
        run_id=run_id,
        occurred_at=occurred_at,
        body=body,
    )


def to_wire(envelope: Envelope) -> dict[str, Any]:
    """The JSON-ready dict (camelCase, no null ``runId``)."""
    return envelope.model_dump(mode="json", by_alias=True, exclude_none=True)


def encode(envelope: Envelope) -> bytes:
    """Compact UTF-8 JSON bytes for Kafka."""
    return json.dumps(to_wire(envelope), separators=(",", ":"), ensure_ascii=False).encode()


def parse_json_object(raw: bytes | str | None, what: str = "message") -> dict[str, Any]:
    """Bytes -> JSON object, or an ``EnvelopeError`` saying which layer failed.

    Values the JSON input rule refuses (``workflow_core.json_rules``: NaN,
    Infinity, ``1e400``, U+0000, lone surrogates, nesting past 64 levels) are
    refused here, naming their place, so the consumer dead-letters the message
    with that reason (SPEC 14) before anything is written, instead of failing
    later in PostgreSQL, whose jsonb and text refuse them (or storing null where
    pydantic dumps NaN).
    """
    if raw is None:
        raise EnvelopeError(f"{what} is empty (null value)", problems=("value: null",))
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"{what} is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        data = loads_checked(text)
    except JsonRuleError as exc:
        where = exc.violation.describe()
        raise EnvelopeError(f"{what} breaks the JSON input rule: {where}",
                            problems=(where,)) from exc  # fmt: skip
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise EnvelopeError(f"{what} is not JSON: {detail}") from exc
    if not isinstance(data, dict):
        raise EnvelopeError(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


def describe_validation(exc: ValidationError) -> tuple[str, ...]:
    """``field.path: what is wrong`` for each pydantic error, with wire names."""
    problems = []
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "(root)"
        problems.append(f"{path}: {err['msg']}")
    return tuple(problems)


def from_wire(data: dict[str, Any], what: str = "envelope") -> Envelope:
    """A parsed JSON object -> ``Envelope`` or a clear ``EnvelopeError``."""
    try:
        return Envelope.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        problems = describe_validation(exc)
        raise EnvelopeError(f"invalid {what}: " + "; ".join(problems), problems=problems) from exc


def decode(raw: bytes | str | None) -> Envelope:
    """Kafka bytes -> ``Envelope``; raises ``EnvelopeError`` naming the fault."""
    return from_wire(parse_json_object(raw))
