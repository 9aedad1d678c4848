"""``POST /emails``: raw ``message/rfc822`` (no token) or the SPEC 12 JSON payload (token).

Answers ``202 {emailId, status: accepted|duplicate|failed, reason?}`` for
every parseable message; refuses an unknown mailbox or provider (404), an
oversized body (413), a body that is not RFC 822 (400), an invalid JSON
payload (422), any other media type (415). Recipient rules: ``recipients``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sluice_helpdesk import MailboxRoute
from sluice_http import ProblemError, ProblemItem, problem_response, sluice_router

from sluice_ingest.auth import require_manager
from sluice_ingest.context import IngestContext, get_context
from sluice_ingest.email_json import read_email_json
from sluice_ingest.errors import (
    EmailTooLargeError,
    IntakeError,
    InvalidEmailPayloadError,
    UnknownMailboxError,
)
from sluice_ingest.intake import EmailIntake, IntakeResult
from sluice_ingest.recipients import explicit_recipient, header_recipients

router = sluice_router(tags=["email intake"])
ContextDep = Annotated[IngestContext, Depends(get_context)]
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "title": "EmailWorkflowPayload v1"}},
        },
    }
}
_ANSWER = "{emailId, status: accepted|duplicate|failed, reason?}"
_ANSWER_DOC: dict[int | str, dict[str, Any]] = {
    202: {"description": _ANSWER},
    400: {"description": "not RFC 822 at all: no header section (NOT_RFC822)"},
    401: {"description": "JSON form: no bearer token, or an unknown, expired or revoked one"},
    403: {"description": "JSON form: the token's role is below workflow.manage"},
    404: {
        "description": "no provider receives mail for the recipient (UNKNOWN_MAILBOX), "
        "or the JSON form names another tenant's provider (UNKNOWN_PROVIDER)"
    },
    413: {"description": "over WF_MAX_EMAIL_BYTES (EMAIL_TOO_LARGE)"},
    415: {"description": "neither message/rfc822 nor application/json"},
    422: {
        "description": "JSON form: not the email payload schema, or it breaks the input "
        "rule (INVALID_PAYLOAD, errors[] name each place)"
    },
}


@router.post(
    "/emails", status_code=202, summary="Submit one inbound email",
    openapi_extra=_BODY_DOC, responses=_ANSWER_DOC,
)  # fmt: skip
async def post_email(
    request: Request,
    ctx: ContextDep,
    to: Annotated[str | None, Query(description="the envelope recipient (raw form)")] = None,
    recipient: Annotated[str | None, Header(alias="X-Sluice-Recipient")] = None,
) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("message/rfc822", "application/json"):
        detail = f"Content-Type {media or '(none)'!r}: send message/rfc822 or application/json"
        raise ProblemError(415, "UNSUPPORTED_MEDIA_TYPE", detail)
    try:
        body = await read_capped(request, ctx.settings.max_email_bytes)
        if media == "application/json":
            result = await _accept_json(request, ctx, body)
        else:
            result = await _accept_raw(ctx.intake, body, explicit_recipient(to, recipient))
    except IntakeError as refused:
        ctx.metrics.emails.labels("http", refused.code).inc()
        return refusal(refused)
    ctx.metrics.emails.labels("http", result.status).inc()
    return JSONResponse(result.wire(), status_code=202)


def refusal(refused: IntakeError) -> JSONResponse:
    """The problem document of a refused message (404, 413, 400, 422)."""
    items = refused.problems if isinstance(refused, InvalidEmailPayloadError) else []
    errors = [ProblemItem(pointer=pointer, message=message) for pointer, message in items]
    return problem_response(refused.http_status, refused.code, refused.message, errors)


async def read_capped(
    request: Request, max_bytes: int, too_large: type[Exception] = EmailTooLargeError
) -> bytes:
    """The body, refused as soon as it passes ``max_bytes`` (never buffered beyond it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(f"the message is {declared} bytes, over the limit of {max_bytes}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large(f"the message is over the limit of {max_bytes} bytes")
    return bytes(body)


async def _accept_raw(intake: EmailIntake, raw: bytes, recipient: str | None) -> IntakeResult:
    route = await intake.route(recipient) if recipient else await _route_by_headers(intake, raw)
    return await intake.accept_raw(route, raw)


async def _route_by_headers(intake: EmailIntake, raw: bytes) -> MailboxRoute:
    intake.check(raw)  # not RFC 822 (400) before "no recipient" (404): the clearer reason
    candidates = header_recipients(raw)
    for address in candidates:
        try:
            return await intake.route(address)
        except UnknownMailboxError:
            continue
    tried = ", ".join(candidates) or "none found in Delivered-To, X-Original-To, To or Cc"
    raise UnknownMailboxError(
        f"no email provider receives mail for the message's recipients ({tried});"
        " name the mailbox with ?to= or X-Sluice-Recipient"
    )


async def _accept_json(request: Request, ctx: IngestContext, body: bytes) -> IntakeResult:
    tenant_id = await require_manager(ctx, request.headers.get("authorization"))
    payload = read_email_json(body, tenant_id, now=ctx.clock())
    intake = ctx.intake
    route = await intake.provider_route(tenant_id, payload["providerId"])
    return await intake.accept_payload(route, payload, body)
