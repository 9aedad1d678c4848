"""Calling help-desk actions as the executor does (in its transaction), and playing the intake."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_engine import ActionCall, ActionHandlers
from sluice_helpdesk import InboundAttachment, InboundEmailRepository
from sluice_helpdesk.plugin import register
from sluice_storage import transaction
from workflow_core.registry import create_registry

CallAction = Callable[..., Awaitable[JsonValue]]

_REGISTRY = create_registry()
HANDLERS = ActionHandlers()
register(_REGISTRY, HANDLERS)


def action_caller(pool: asyncpg.Pool, tenant_id: str) -> CallAction:
    """``await call_action(action_id, args, key=...)``: the handler in a committed transaction."""

    async def run(action_id: str, args: dict[str, Any], *, key: str | None = None) -> JsonValue:
        entry = HANDLERS.get(action_id, 1)
        assert entry is not None
        async with transaction(pool) as conn:
            call = ActionCall(
                tenant_id=tenant_id,
                run_id=str(uuid.uuid4()),
                step_id="s",
                action_id=action_id,
                version=1,
                idempotency_key=key or uuid.uuid4().hex,
                attempt=1,
                args=args,
                conn=conn if entry.transactional else None,
            )
            return await entry.fn(call)

    return run


async def store_inbound(
    pool: asyncpg.Pool, tenant_id: str, message_id: str, files: dict[str, bytes]
) -> list[dict[str, Any]]:
    """Play the intake: store the raw mail and its attachments; returns payload references."""
    refs = []
    async with transaction(pool) as conn:
        repo = InboundEmailRepository(conn, tenant_id)
        email, _ = await repo.record("prov", message_id, b"raw", status="accepted")
        for position, (name, data) in enumerate(files.items(), start=2):
            part = InboundAttachment(str(position), name, "application/octet-stream", data)
            attachment_id = await repo.store_attachment(email.inbound_email_id, part)
            refs.append(
                {
                    "id": attachment_id,
                    "name": name,
                    "contentType": "application/octet-stream",
                    "size": len(data),
                }
            )
    return refs
