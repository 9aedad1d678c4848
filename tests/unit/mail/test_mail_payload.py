"""to_payload produces exactly payload.EmailWorkflowPayload.v1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sluice_mail import ParsedEmail, parse_message, to_payload
from workflow_core.json_schema import violations
from workflow_core.registry import EMAIL_PAYLOAD_SCHEMA

RawEmail = Callable[..., bytes]


def _with_attachment(raw_email: RawEmail) -> ParsedEmail:
    body = (
        "--b\nContent-Type: text/plain\n\nsee file\n"
        "--b\nContent-Type: image/png\nContent-ID: <img@x>\nContent-Transfer-Encoding: base64\n"
        "\naGVsbG8=\n--b--\n"
    )
    headers = {"In-Reply-To": "<ack@acme>", "References": "<a@x> <ack@acme>", "Cc": "c@x.example"}
    parsed = parse_message(
        raw_email(body=body, headers=headers, content_type='multipart/mixed; boundary="b"'),
        max_bytes=100_000,
    )
    assert isinstance(parsed, ParsedEmail)
    return parsed


def test_payload_has_every_field_and_validates(raw_email: RawEmail) -> None:
    payload = to_payload(_with_attachment(raw_email), "prov-1", ["att-9"], tenant_id="t-1")
    assert violations(EMAIL_PAYLOAD_SCHEMA, payload) == []
    data = payload["emailData"]
    assert payload["providerId"] == "prov-1"
    assert payload["tenantId"] == "t-1"
    assert data["id"] == "abc.123@mail.example.com"
    assert data["from"] == {"email": "jane@customer.example", "name": "Jane Customer"}
    assert data["cc"] == [{"email": "c@x.example"}]
    assert data["body"] == {"text": "see file"}
    assert data["inReplyTo"] == "ack@acme"
    assert data["references"] == ["a@x", "ack@acme"]
    assert data["attachments"] == [
        {
            "id": "att-9",
            "name": "part-1.2.png",
            "contentType": "image/png",
            "size": 5,
            "contentId": "img@x",
        }
    ]
    assert data["receivedAt"] == "2025-03-03T10:15:00+01:00"
    assert data["autoSubmitted"] is False


def test_payload_without_ids_uses_part_positions(raw_email: RawEmail) -> None:
    payload = to_payload(_with_attachment(raw_email), "prov-1")
    assert payload["emailData"]["attachments"][0]["id"] == "1.2"
    assert "tenantId" not in payload


def test_payload_wrong_number_of_ids_is_refused(raw_email: RawEmail) -> None:
    with pytest.raises(ValueError, match="1 attachments"):
        to_payload(_with_attachment(raw_email), "prov-1", [])


def test_payload_omits_absent_optional_fields(raw_email: RawEmail) -> None:
    parsed = parse_message(raw_email(headers={"Date": ""}), max_bytes=100_000)
    assert isinstance(parsed, ParsedEmail)
    data = to_payload(parsed, "p")["emailData"]
    assert "inReplyTo" not in data
    assert "threadId" not in data
    assert "receivedAt" not in data
    assert violations(EMAIL_PAYLOAD_SCHEMA, to_payload(parsed, "p")) == []
