"""Pure intake decisions: refusals, verdicts, recipients, the JSON form, the event."""

from __future__ import annotations

import datetime as dt

import pytest
from sluice_ingest.classify import classify
from sluice_ingest.email_event import EVENT_NAME, email_event, email_payload, event_key
from sluice_ingest.email_json import read_email_json
from sluice_ingest.errors import EmailTooLargeError, InvalidEmailPayloadError, NotRfc822Error
from sluice_ingest.recipients import explicit_recipient, header_recipients
from sluice_mail import ParsedEmail

NOW = dt.datetime(2025, 6, 3, 12, 0, tzinfo=dt.UTC)
GOOD = b"From: Jane <jane@x.example>\nTo: help@acme.example\nMessage-ID: <m1@x>\n\nhi\n"


def test_classify_over_limit_refused_too_large() -> None:
    with pytest.raises(EmailTooLargeError, match="over the limit of 10"):
        classify(GOOD, 10)


@pytest.mark.parametrize(
    "raw", [b"", b"  \n", b"plain words\nno header\n", b"<html><body>hi</body></html>"]
)
def test_classify_without_header_section_refused_not_rfc822(raw: bytes) -> None:
    with pytest.raises(NotRfc822Error):
        classify(raw, 10_000)


def test_classify_no_sender_failed_with_reason_and_synthetic_id() -> None:
    verdict = classify(b"Subject: hello\n\nbody\n", 10_000)
    assert verdict.status == "failed"
    assert "sender" in (verdict.reason or "")
    assert verdict.message_id.endswith("@sluice.invalid")
    assert verdict.parsed is None


def test_classify_good_mail_accepted_with_normalised_id() -> None:
    verdict = classify(GOOD, 10_000)
    assert (verdict.status, verdict.message_id, verdict.from_address) == (
        "accepted", "m1@x", "jane@x.example",
    )  # fmt: skip
    assert isinstance(verdict.parsed, ParsedEmail)


def test_recipients_explicit_wins_then_headers_in_order() -> None:
    raw = (
        b"To: A <Help@Acme.example>, b@x.example\nDelivered-To: d@acme.example\n"
        b"Cc: help@acme.example\n\n"
    )
    assert explicit_recipient(None, " h@x ") == "h@x"
    assert explicit_recipient("", None) is None
    assert header_recipients(raw) == ["d@acme.example", "help@acme.example", "b@x.example"]


def test_email_event_carries_reference_payload_and_keys() -> None:
    verdict = classify(GOOD, 10_000)
    assert verdict.parsed is not None
    payload = email_payload(verdict.parsed, "t1", "prov", [], now=NOW)
    event = email_event("t1", "prov", "m1@x", payload, inbound_email_id="e1", now=NOW)
    again = email_event("t1", "prov", "m1@x", payload, inbound_email_id="e1", now=NOW)
    assert event.id == again.id  # a resend of the same stored email is the same message
    assert event.body["eventName"] == EVENT_NAME
    assert event.body["idempotencyKey"] == "prov:m1@x"
    assert event.body["payload"]["emailData"]["receivedAt"] == NOW.isoformat()
    assert event_key("t1", "m1@x") == "t1:INBOUND_EMAIL_RECEIVED:m1@x"


def test_email_json_normalises_and_defaults() -> None:
    body = (
        b'{"emailData": {"id": " <a@b> ", "from": {"email": "j@x"}, "body": {}}, "providerId": "p"}'
    )
    payload = read_email_json(body, "t1", now=NOW)
    assert payload["emailData"]["id"] == "a@b"
    assert payload["emailData"]["autoSubmitted"] is False
    assert payload["tenantId"] == "t1"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"not json", ""),
        (b'{"providerId": "p"}', ""),
        (b'{"emailData": {"id": "a", "from": {}, "body": {}}, "providerId": "p"}',
         "/emailData/from"),
        (b'{"emailData": {"id": "a", "from": {"email": "j"}, "body": {}}, "providerId": "p",'
         b' "tenantId": "other"}', "/tenantId"),
    ],
)  # fmt: skip
def test_email_json_invalid_names_the_pointer(body: bytes, pointer: str) -> None:
    with pytest.raises(InvalidEmailPayloadError) as failed:
        read_email_json(body, "t1", now=NOW)
    assert pointer in [p for p, _ in failed.value.problems]
