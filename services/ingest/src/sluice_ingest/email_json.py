"""The JSON form of ``POST /emails``: a SPEC 12 payload, checked and normalised (pure).

Validated against ``payload.EmailWorkflowPayload.v1`` (additional properties
kept). The Message-ID is normalised as everywhere (spaces and angle brackets
trimmed); ``tenantId`` is the token's tenant (a different one is refused, never
trusted); ``receivedAt`` defaults to intake's clock, ``autoSubmitted`` to false.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from jsonschema.validators import Draft202012Validator
from sluice_mail import normalise_message_id
from workflow_core.json_rules import JsonRuleError, loads_checked
from workflow_core.registry.email_payload import EMAIL_PAYLOAD_SCHEMA

from sluice_ingest.errors import InvalidEmailPayloadError

_VALIDATOR = Draft202012Validator(EMAIL_PAYLOAD_SCHEMA)


def read_email_json(body: bytes, tenant_id: str, *, now: datetime) -> dict[str, Any]:
    """The normalised payload, or ``InvalidEmailPayloadError`` listing every problem."""
    try:
        document = loads_checked(body)  # NaN, NUL, ... would fail later in jsonb
    except JsonRuleError as exc:
        found = exc.violation
        detail = f"invalid email payload: {found.pointer}: {found.reason}"
        raise InvalidEmailPayloadError(detail, [(found.pointer, found.reason)]) from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise InvalidEmailPayloadError(f"the body is not JSON: {exc}", [("", str(exc))]) from exc
    problems = [
        ("".join(f"/{part}" for part in error.absolute_path), error.message)
        for error in _VALIDATOR.iter_errors(document)
    ]
    problems += _semantic_problems(document, tenant_id) if not problems else []
    if problems:
        detail = "; ".join(f"{pointer or '/'}: {message}" for pointer, message in problems)
        raise InvalidEmailPayloadError(f"invalid email payload: {detail}", problems)
    return _normalised(document, tenant_id, now)


def _semantic_problems(document: dict[str, Any], tenant_id: str) -> list[tuple[str, str]]:
    problems = []
    if normalise_message_id(document["emailData"]["id"]) is None:
        problems.append(("/emailData/id", "the Message-ID is empty"))
    if not document["providerId"].strip():
        problems.append(("/providerId", "the provider id is empty"))
    claimed = document.get("tenantId")
    if claimed is not None and claimed != tenant_id:
        problems.append(("/tenantId", f"{claimed!r} is not the token's tenant"))
    return problems


def _normalised(document: dict[str, Any], tenant_id: str, now: datetime) -> dict[str, Any]:
    payload = copy.deepcopy(document)
    data = payload["emailData"]
    data["id"] = normalise_message_id(data["id"])
    data.setdefault("receivedAt", now.isoformat())
    data.setdefault("autoSubmitted", False)
    payload["tenantId"] = tenant_id
    return payload
