"""``POST /hooks/{hookId}``: a signed webhook delivery starts a run of its workflow.

In order, each refusal storing nothing: unknown hook 404 ``UNKNOWN_HOOK``; a
body over ``WF_MAX_WEBHOOK_BYTES`` 413; a missing, malformed, stale or wrong
signature 401 (``signatures``); a body that is not a JSON object, or not
valid against the trigger's ``schema`` (else the definition's payload
schema), 422 with pointers. Accepted: one transaction records the delivery
(``webhook_deliveries``) and puts the event ``webhook:<workflowId>`` (payload
= the body, correlation key and idempotency key from the delivery id) in the
outbox for ``wf.events``; the interpreter's router starts the run, as for any
event trigger. Answer ``202 {deliveryId, eventId, status}``.

The delivery id is the ``Sluice-Delivery`` header (GitHub's
``X-GitHub-Delivery``), else derived from the signature. The same delivery
again answers ``duplicate`` with the first event id and starts nothing (a
sender's retry, even re-signed); the same signature under another delivery id
is a replay: 401 ``SIGNATURE_REPLAYED``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sluice_http import ProblemError, ProblemItem, problem_response, sluice_router
from sluice_messaging import EVENT_TYPE, new_envelope
from sluice_secrets import optional_cipher
from sluice_storage import DefinitionRepository, enqueue
from sluice_storage.webhooks import HookRecord, WebhookRepository, find_hook, webhook_event_name
from sluice_telemetry import trace_headers
from workflow_core.json_rules import JsonRuleError, loads_checked
from workflow_core.json_schema import violations

from sluice_ingest.context import IngestContext, get_context
from sluice_ingest.emails import read_capped
from sluice_ingest.signatures import DELIVERY_HEADER, SIGNATURE_HEADER, SignatureError, verify

router = sluice_router(tags=["webhooks"])
_EVENT_ID_NAMESPACE = uuid.UUID("5d0f3f4e-6b1c-4c8e-9a57-2f1e7c3b9d10")
MAX_DELIVERY_ID = 200


class HookAccepted(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)

    delivery_id: str
    event_id: uuid.UUID
    status: Literal["accepted", "duplicate"]


class _TooLargeError(Exception):
    pass


@router.post(
    "/hooks/{hookId}", status_code=202, summary="A signed webhook delivery (no token)",
    responses={
        401: {"description": "the signature is missing, wrong or outside the tolerance window"},
        404: {"description": "no webhook has this hookId"},
        413: {"description": "the body is over the webhook size limit"},
        422: {"description": "the body is not a JSON object matching the trigger's schema"},
    },
)  # fmt: skip
async def deliver(
    request: Request,
    ctx: Annotated[IngestContext, Depends(get_context)],
    hook_id: Annotated[str, Path(alias="hookId", max_length=100)],
) -> Any:
    async with ctx.tx() as conn:
        hook = await find_hook(conn, hook_id, optional_cipher(ctx.settings))
    if hook is None:
        raise ProblemError(404, "UNKNOWN_HOOK", f"no webhook {hook_id!r}")
    try:
        body = await read_capped(request, ctx.settings.max_webhook_bytes, _TooLargeError)
    except _TooLargeError as error:
        raise ProblemError(413, "PAYLOAD_TOO_LARGE", str(error)) from None
    now = ctx.clock()
    header = request.headers.get(SIGNATURE_HEADER)
    try:
        signature = verify(hook.secret, header, body, now, ctx.settings.webhook_tolerance_s)
    except SignatureError as error:
        raise ProblemError(401, error.code, str(error)) from None
    payload, refused = await _payload(ctx, hook, body)
    if refused is not None:
        return refused
    delivery_id = _delivery_id(request, signature)
    return await _accept(ctx, hook, delivery_id, signature, payload)


def _delivery_id(request: Request, signature: str) -> str:
    given = request.headers.get(DELIVERY_HEADER, "").strip()
    if len(given) > MAX_DELIVERY_ID:
        raise ProblemError(422, "INVALID_DELIVERY_ID", f"{DELIVERY_HEADER} is over 200 characters")
    return given or "sig-" + hashlib.sha256(signature.encode()).hexdigest()[:32]


async def _payload(
    ctx: IngestContext, hook: HookRecord, body: bytes
) -> tuple[dict[str, Any], JSONResponse | None]:
    try:
        payload = loads_checked(body)
    except JsonRuleError as error:
        item = ProblemItem(pointer=error.violation.pointer, message=error.violation.reason)
        return {}, problem_response(422, "INVALID_PAYLOAD", str(error), [item])
    except ValueError:
        return {}, problem_response(422, "INVALID_PAYLOAD", "the body is not JSON")
    if not isinstance(payload, dict):
        return {}, problem_response(422, "INVALID_PAYLOAD", "the body must be a JSON object")
    schema = await _schema(ctx, hook)
    found = violations(schema, payload) if schema is not None else []
    if found:
        errors = [ProblemItem(pointer=v.pointer, message=v.message) for v in found[:50]]
        detail = f"the delivery does not match the webhook's schema ({len(found)} errors)"
        return {}, problem_response(422, "INVALID_PAYLOAD", detail, errors)
    return payload, None


async def _schema(ctx: IngestContext, hook: HookRecord) -> dict[str, Any] | None:
    """The trigger's ``schema``, else the payload schema stored at publish."""
    async with ctx.tx() as conn:
        version = await DefinitionRepository(conn, hook.tenant_id).get_version(hook.workflow_id)
    if version is None:
        return None
    trigger = version.definition.get("trigger")
    inline = trigger.get("schema") if isinstance(trigger, dict) else None
    return inline if isinstance(inline, dict) else version.payload_schema


async def _accept(
    ctx: IngestContext, hook: HookRecord, delivery_id: str, signature: str,
    payload: dict[str, Any],
) -> HookAccepted:  # fmt: skip
    tenant_id, now = hook.tenant_id, ctx.clock()
    key = f"webhook:{hook.hook_id}:{delivery_id}"
    event_id = uuid.uuid5(_EVENT_ID_NAMESPACE, f"{tenant_id}\x00{key}")
    async with ctx.tx() as conn:
        outcome, first = await WebhookRepository(conn, tenant_id).record_delivery(
            hook.hook_id, delivery_id, signature, event_id, now
        )
        if outcome == "replayed":
            detail = "this signature was already used by another delivery (a replay)"
            raise ProblemError(401, "SIGNATURE_REPLAYED", detail)
        if outcome == "duplicate":
            assert first is not None
            return HookAccepted(delivery_id=delivery_id, event_id=first, status="duplicate")
        name = webhook_event_name(hook.workflow_id)
        body = {"eventName": name, "correlationKey": delivery_id, "payload": payload,
                "idempotencyKey": key}  # fmt: skip
        envelope = new_envelope(EVENT_TYPE, tenant_id, body, occurred_at=now, message_id=event_id)
        await enqueue(conn, tenant_id, ctx.topics.events, f"{tenant_id}:{name}:{delivery_id}",
                      envelope, trace_headers())  # fmt: skip
    return HookAccepted(delivery_id=delivery_id, event_id=event_id, status="accepted")
