"""Message-IDs linked to tickets, sent and received: threading by headers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sluice_helpdesk.scope import TenantScoped, normalise_message_id

Direction = Literal["sent", "received"]


class ThreadRepository(TenantScoped):
    async def link(self, message_id: str, ticket_id: str, direction: Direction) -> bool:
        """Record that ``message_id`` belongs to the ticket; True if new."""
        done = await self.conn.fetchval(
            "INSERT INTO helpdesk_email_threads (tenant_id, message_id, ticket_id, direction)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            self.tenant_id,
            normalise_message_id(message_id),
            uuid.UUID(ticket_id),
            direction,
        )
        return bool(done)

    async def find_ticket(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the latest matching id (``References`` lists oldest first)."""
        ids = [normalise_message_id(m) for m in message_ids if m and m.strip()]
        for message_id in reversed(ids):
            ticket = await self.conn.fetchval(
                "SELECT ticket_id FROM helpdesk_email_threads WHERE tenant_id = $1"
                " AND message_id = $2 ORDER BY created_at LIMIT 1",
                self.tenant_id,
                message_id,
            )
            if ticket is not None:
                return str(ticket)
        return None
