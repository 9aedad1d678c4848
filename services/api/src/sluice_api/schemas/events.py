"""Inbound events on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from sluice_api.schemas.common import WireModel


class EventCreate(WireModel):
    event_name: str = Field(min_length=1, max_length=200)
    correlation_key: str = Field(
        max_length=1000, description="a string or a number (used as a string)"
    )
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("correlation_key", mode="before")
    @classmethod
    def _number_as_string(cls, value: Any) -> Any:
        # SPEC 6: a correlation key may be a number, used as a string; a bool is neither.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value


class EventRouted(WireModel):
    """What routing did, before the response: runs started and the one run resumed."""

    event_id: uuid.UUID
    started_run_ids: list[uuid.UUID]
    resumed_run_id: uuid.UUID | None = None
    duplicate: bool = Field(default=False, description="the idempotency key was seen before")
    errors: list[dict[str, Any]] = Field(
        default_factory=list,
        description="triggered definitions whose payload check failed (the others still ran)",
    )


class EventPublic(WireModel):
    event_id: uuid.UUID
    event_name: str
    correlation_key: str
    payload: Any
    idempotency_key: str | None = None
    source: str
    received_at: datetime
    matched: bool
    started_run_ids: list[uuid.UUID]
    resumed_run_id: uuid.UUID | None = None
    errors: Any = None
