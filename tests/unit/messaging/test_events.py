"""``wf.events`` parser: both accepted forms, and clear refusals."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sluice_messaging import EVENT_TYPE, EnvelopeError, encode, new_envelope, parse_event_message

NOW = datetime(2025, 1, 2, tzinfo=UTC)


def test_parse_bare_event_form() -> None:
    raw = json.dumps(
        {
            "eventName": "ORDER_SHIPPED",
            "correlationKey": "o-1",
            "payload": {"n": 1},
            "tenantId": "acme",
            "idempotencyKey": "k1",
        }
    ).encode()
    event = parse_event_message(raw)
    assert (event.tenant_id, event.event_name, event.correlation_key) == (
        "acme",
        "ORDER_SHIPPED",
        "o-1",
    )
    assert event.payload == {"n": 1}
    assert event.idempotency_key == "k1"
    assert event.message_id is None


def test_parse_enveloped_event_takes_tenant_and_id_from_envelope() -> None:
    body = {"eventName": "E", "correlationKey": 42, "payload": {}}
    env = new_envelope(EVENT_TYPE, "acme", body, occurred_at=NOW, message_id=uuid.uuid4())
    event = parse_event_message(encode(env))
    assert event.tenant_id == "acme"
    assert event.correlation_key == "42"  # numbers are used as strings
    assert event.message_id == env.id
    assert event.occurred_at == NOW


def test_parse_rejects_envelope_of_other_type() -> None:
    env = new_envelope("run.command", "acme", {}, occurred_at=NOW)
    with pytest.raises(EnvelopeError, match=r"'run\.command' is not an event"):
        parse_event_message(encode(env))


def test_parse_rejects_bare_event_without_tenant() -> None:
    raw = json.dumps({"eventName": "E", "correlationKey": "k", "payload": {}}).encode()
    with pytest.raises(EnvelopeError, match="invalid bare event: tenantId: Field required"):
        parse_event_message(raw)


def test_parse_rejects_boolean_correlation_key() -> None:
    raw = json.dumps({"eventName": "E", "correlationKey": True, "tenantId": "a"}).encode()
    with pytest.raises(EnvelopeError, match="correlationKey"):
        parse_event_message(raw)


def test_parse_rejects_envelope_body_missing_event_name() -> None:
    env = new_envelope(EVENT_TYPE, "acme", {"correlationKey": "k"}, occurred_at=NOW)
    with pytest.raises(EnvelopeError, match="event envelope body: eventName: Field required"):
        parse_event_message(encode(env))


def test_parse_rejects_non_object_payload() -> None:
    raw = json.dumps({"eventName": "E", "correlationKey": "k", "payload": [1], "tenantId": "a"})
    with pytest.raises(EnvelopeError, match="payload"):
        parse_event_message(raw.encode())
