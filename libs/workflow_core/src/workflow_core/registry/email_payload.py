"""``payload.EmailWorkflowPayload.v1``: the inbound-email payload of SPEC section 12.

Registered by the core itself since every workflow may use it. Additional
properties are allowed and kept everywhere.
"""

from __future__ import annotations

from typing import Any

EMAIL_PAYLOAD_REF = "payload.EmailWorkflowPayload.v1"

_ADDRESS: dict[str, Any] = {
    "type": "object",
    "required": ["email"],
    "properties": {"email": {"type": "string"}, "name": {"type": "string"}},
}

_ATTACHMENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "contentType", "size"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "contentType": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "contentId": {"type": "string"},
    },
}

EMAIL_PAYLOAD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "EmailWorkflowPayload v1",
    "type": "object",
    "required": ["emailData", "providerId"],
    "properties": {
        "emailData": {
            "type": "object",
            "required": ["id", "from", "body"],
            "properties": {
                "id": {"type": "string", "description": "Message-ID, angle brackets stripped"},
                "threadId": {"type": "string"},
                "from": _ADDRESS,
                "to": {"type": "array", "items": _ADDRESS, "default": []},
                "cc": {"type": "array", "items": _ADDRESS, "default": []},
                "subject": {"type": "string", "default": ""},
                "body": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "html": {"type": "string"}},
                },
                "inReplyTo": {"type": "string"},
                "references": {"type": "array", "items": {"type": "string"}, "default": []},
                "attachments": {"type": "array", "items": _ATTACHMENT, "default": []},
                "receivedAt": {"type": "string", "format": "date-time"},
                "autoSubmitted": {"type": "boolean", "default": False},
            },
        },
        "providerId": {"type": "string"},
        "tenantId": {"type": "string"},
    },
}
