"""Inbound events on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field
from sluice_messaging.events import EventSubmission

from sluice_api.schemas.common import WireModel


class EventCreate(EventSubmission):
    """``POST /workflow/events`` body: the shared event submission form."""


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
    expires_at: datetime | None = Field(
        default=None,
        description="an unmatched event: until when a wait registered later takes it with "
        "the default acceptEarlierEventsMs (10 min; a wait may accept older events); null "
        "once matched",
    )
    matched: bool
    started_run_ids: list[uuid.UUID]
    resumed_run_id: uuid.UUID | None = None
    errors: Any = None
