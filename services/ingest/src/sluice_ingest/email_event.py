"""The ``INBOUND_EMAIL_RECEIVED`` event intake writes to the outbox (pure).

Body of an ``event`` envelope on ``wf.events`` (ARCHITECTURE "Kafka topics"):
``{eventName, correlationKey: <Message-ID>, payload, idempotencyKey:
"<providerId>:<Message-ID>"}``. The payload is ``payload.EmailWorkflowPayload.v1``
with attachments by reference (ids of ``helpdesk_inbound_attachments`` rows):
bytes never travel on Kafka. The envelope id is derived from the stored
inbound email, so a resend of the same outbox row is dropped by the router.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sluice_helpdesk import keys
from sluice_mail import ParsedEmail, to_payload
from sluice_messaging import EVENT_TYPE, Envelope, new_envelope

EVENT_NAME = "INBOUND_EMAIL_RECEIVED"
_EVENT_ID_NAMESPACE = uuid.UUID("5b0c1c52-7d0e-4f53-9a57-2f6b1c3e9d11")


def email_payload(
    parsed: ParsedEmail,
    tenant_id: str,
    provider_id: str,
    attachment_ids: Sequence[str],
    *,
    now: datetime,
) -> dict[str, Any]:
    """SPEC 12 payload; ``receivedAt`` falls back to intake's clock when Date is missing."""
    payload = to_payload(parsed, provider_id, attachment_ids, tenant_id=tenant_id)
    payload["emailData"].setdefault("receivedAt", now.isoformat())
    return payload


def event_key(tenant_id: str, correlation_key: str) -> str:
    """Kafka key ``tenantId:eventName:correlationKey``: one key's events stay in order."""
    return f"{tenant_id}:{EVENT_NAME}:{correlation_key}"


def email_event(
    tenant_id: str,
    provider_id: str,
    message_id: str,
    payload: dict[str, Any],
    *,
    inbound_email_id: str,
    now: datetime,
) -> Envelope:
    body = {
        "eventName": EVENT_NAME,
        "correlationKey": message_id,
        "payload": payload,
        "idempotencyKey": keys.ticket_key(provider_id, message_id),
    }
    event_id = uuid.uuid5(_EVENT_ID_NAMESPACE, f"{tenant_id}:{inbound_email_id}")
    return new_envelope(EVENT_TYPE, tenant_id, body, occurred_at=now, message_id=event_id)
