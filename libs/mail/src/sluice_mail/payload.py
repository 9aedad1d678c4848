"""``to_payload``: a parsed email in the ``payload.EmailWorkflowPayload.v1`` shape (SPEC 12).

Attachments travel by reference: the payload names them (id, name, type,
size, content id), the bytes stay in storage and never go on Kafka.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sluice_mail.model import Address, ParsedAttachment, ParsedEmail


def to_payload(
    parsed: ParsedEmail,
    provider_id: str,
    attachment_ids: Sequence[str] | None = None,
    *,
    tenant_id: str | None = None,
) -> dict[str, Any]:
    """The workflow payload; ``attachment_ids[i]`` is the stored id of ``parsed.attachments[i]``.

    Without ``attachment_ids`` the MIME part positions serve as ids.
    """
    ids = list(attachment_ids) if attachment_ids is not None else None
    if ids is not None and len(ids) != len(parsed.attachments):
        raise ValueError(f"{len(ids)} attachment ids for {len(parsed.attachments)} attachments")
    payload: dict[str, Any] = {"emailData": _email_data(parsed, ids), "providerId": provider_id}
    if tenant_id is not None:
        payload["tenantId"] = tenant_id
    return payload


def _email_data(parsed: ParsedEmail, ids: list[str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": parsed.message_id,
        "from": _address(parsed.from_address),
        "to": [_address(a) for a in parsed.to],
        "cc": [_address(a) for a in parsed.cc],
        "subject": parsed.subject,
        "body": _body(parsed),
        "references": list(parsed.references),
        "attachments": [
            _attachment(a, ids[i] if ids is not None else a.part_id)
            for i, a in enumerate(parsed.attachments)
        ],
        "autoSubmitted": parsed.auto_submitted,
    }
    optional = {
        "threadId": parsed.thread_id,
        "inReplyTo": parsed.in_reply_to,
        "receivedAt": parsed.received_at.isoformat() if parsed.received_at else None,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def _address(address: Address) -> dict[str, str]:
    result = {"email": address.email}
    if address.name:
        result["name"] = address.name
    return result


def _body(parsed: ParsedEmail) -> dict[str, str]:
    body: dict[str, str] = {}
    if parsed.text is not None:
        body["text"] = parsed.text
    if parsed.html is not None:
        body["html"] = parsed.html
    return body


def _attachment(attachment: ParsedAttachment, attachment_id: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": attachment_id,
        "name": attachment.filename,
        "contentType": attachment.content_type,
        "size": attachment.size,
    }
    if attachment.content_id:
        result["contentId"] = attachment.content_id
    return result
