"""Reply tokens bound to tickets: one per ticket, looked up when a reply quotes it.

Tokens are stored in canonical form (``SLU-...``, upper case, no brackets).
"""

from __future__ import annotations

import uuid

from sluice_helpdesk.scope import TenantScoped


class ReplyTokenRepository(TenantScoped):
    async def token_for_ticket(self, ticket_id: str, candidate: str) -> str:
        """The ticket's token; ``candidate`` becomes it on first use.

        The caller makes the candidate (``sluice_mail.new_reply_token(secrets.token_bytes(10))``),
        so this module holds no token format; concurrent callers all get the one stored.
        """
        await self.conn.execute(
            "INSERT INTO helpdesk_reply_tokens (tenant_id, token, ticket_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (tenant_id, ticket_id) DO NOTHING",
            self.tenant_id,
            candidate,
            uuid.UUID(ticket_id),
        )
        token = await self.conn.fetchval(
            "SELECT token FROM helpdesk_reply_tokens WHERE tenant_id = $1 AND ticket_id = $2",
            self.tenant_id,
            uuid.UUID(ticket_id),
        )
        return str(token)

    async def find_ticket(self, token: str) -> str | None:
        ticket = await self.conn.fetchval(
            "SELECT ticket_id FROM helpdesk_reply_tokens WHERE tenant_id = $1 AND token = $2",
            self.tenant_id,
            token.strip().strip("[]").upper(),
        )
        return str(ticket) if ticket is not None else None
