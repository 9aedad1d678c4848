"""The outbound SMTP sender against the real database and an aiosmtpd sink."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from sluice_devstack.ports import free_port
from sluice_helpdesk import NewOutboundEmail, OutboundEmailRepository
from sluice_helpdesk.sender import MAX_ATTEMPTS, retry_at, send_due, smtp_delivery
from sluice_storage import transaction

pytestmark = pytest.mark.integration


class Sink:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.raw.append(envelope.content)
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def _enqueue(pool: asyncpg.Pool, tenant: str, key: str) -> str:
    new = NewOutboundEmail(
        to_address="jane@acme.test",
        subject="[TIC-000001] Re: hi",
        body_text="Reference: [SLU-X]",
        message_id=f"{key}@{tenant}.test",
        headers={"From": "in@acme.test", "Auto-Submitted": "auto-replied"},
    )
    async with transaction(pool) as conn:
        row, _ = await OutboundEmailRepository(conn, tenant).enqueue(new, idempotency_key=key)
    return row.message_id


def test_retry_backoff_doubles_then_gives_up() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_at(0, now) == now + timedelta(seconds=30)
    assert retry_at(2, now) == now + timedelta(seconds=120)
    assert retry_at(MAX_ATTEMPTS - 1, now) is None


async def test_sender_delivers_once_with_stable_message_id(
    pool: asyncpg.Pool, tenant_id: str, sink: tuple[Sink, int]
) -> None:
    message_id = await _enqueue(pool, tenant_id, "ack1")
    deliver = smtp_delivery("127.0.0.1", sink[1])
    first = await send_due(pool, deliver, lambda: datetime.now(UTC))
    await send_due(pool, deliver, lambda: datetime.now(UTC))  # nothing left: no second copy
    mine = [
        email.message_from_bytes(raw, policy=email.policy.default)
        for raw in sink[0].raw
        if message_id.encode() in raw
    ]
    assert first[0] >= 1
    assert len(mine) == 1
    assert mine[0]["Message-ID"] == f"<{message_id}>"
    assert mine[0]["Auto-Submitted"] == "auto-replied"
    async with pool.acquire() as conn:
        [row] = await OutboundEmailRepository(conn, tenant_id).list()
    assert (row.status, row.attempts) == ("sent", 1)


async def test_failed_delivery_keeps_row_pending_for_a_later_retry(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    await _enqueue(pool, tenant_id, "ack2")
    closed_port = free_port()  # nothing listens there: connection refused
    await send_due(pool, smtp_delivery("127.0.0.1", closed_port), lambda: datetime.now(UTC))
    async with pool.acquire() as conn:
        [row] = await OutboundEmailRepository(conn, tenant_id).list()
        due = await conn.fetchval(
            "SELECT next_attempt_at FROM helpdesk_outbound_emails WHERE tenant_id = $1", tenant_id
        )
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error
    assert due > datetime.now(UTC) + timedelta(seconds=20)


async def test_unsendable_row_fails_alone_and_others_still_go(
    pool: asyncpg.Pool, tenant_id: str, sink: tuple[Sink, int]
) -> None:
    broken = NewOutboundEmail(
        to_address="jane@acme.test",
        subject="no sender",
        body_text="x",
        message_id=f"nofrom@{tenant_id}.test",
        headers={},
    )
    async with transaction(pool) as conn:
        await OutboundEmailRepository(conn, tenant_id).enqueue(broken, idempotency_key="nofrom")
    good_id = await _enqueue(pool, tenant_id, "good")
    await send_due(pool, smtp_delivery("127.0.0.1", sink[1]), lambda: datetime.now(UTC))
    assert any(good_id.encode() in raw for raw in sink[0].raw)
    async with pool.acquire() as conn:
        rows = {
            row.message_id: row for row in await OutboundEmailRepository(conn, tenant_id).list()
        }
    assert rows[f"nofrom@{tenant_id}.test"].status == "failed"
    assert "From" in (rows[f"nofrom@{tenant_id}.test"].last_error or "")
    assert rows[good_id].status == "sent"
