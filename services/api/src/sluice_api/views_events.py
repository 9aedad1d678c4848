"""Inbound event records -> wire."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sluice_storage import EventRecord
from workflow_core.interpreter.nodes.event_wait import DEFAULT_ACCEPT_EARLIER_MS

from sluice_api.schemas.events import EventPublic


def buffer_expiry(event: EventRecord) -> datetime | None:
    """When an unmatched event stops being taken by a new wait (SPEC 8: a wait takes
    events younger than its acceptEarlierEventsMs): its own expiry if it has one,
    else the default window after it arrived."""
    if event.matched:
        return None
    window = timedelta(milliseconds=DEFAULT_ACCEPT_EARLIER_MS)
    return event.expires_at or event.received_at + window


def event_public(event: EventRecord, redact: Callable[[Any], Any] | None = None) -> EventPublic:
    show = redact or (lambda value: value)
    return EventPublic(
        event_id=event.event_id, event_name=event.event_name,
        correlation_key=event.correlation_key, payload=show(event.payload),
        idempotency_key=event.idempotency_key, source=event.source,
        received_at=event.received_at, expires_at=buffer_expiry(event), matched=event.matched,
        started_run_ids=event.started_run_ids, resumed_run_id=event.resumed_run_id,
        errors=event.errors,
    )  # fmt: skip
