"""Inbound event records -> wire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice_storage import EventRecord

from sluice_api.schemas.events import EventPublic


def event_public(event: EventRecord, redact: Callable[[Any], Any] | None = None) -> EventPublic:
    show = redact or (lambda value: value)
    return EventPublic(
        event_id=event.event_id, event_name=event.event_name,
        correlation_key=event.correlation_key, payload=show(event.payload),
        idempotency_key=event.idempotency_key, source=event.source,
        received_at=event.received_at, matched=event.matched,
        started_run_ids=event.started_run_ids, resumed_run_id=event.resumed_run_id,
        errors=event.errors,
    )  # fmt: skip
