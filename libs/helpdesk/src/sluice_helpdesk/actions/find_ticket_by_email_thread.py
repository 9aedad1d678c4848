"""``find_ticket_by_email_thread`` v1 (read-only): threading by Message-IDs.

Candidates, most specific first: ``In-Reply-To``, then ``References`` (newest
first), then the thread id, then the message's own id (a redelivered mail
already linked to its ticket joins that ticket: same idempotency keys, so no
duplicate). Each is matched against the Message-IDs the help desk sent or
received on a ticket.
"""

from __future__ import annotations

from pydantic import JsonValue
from sluice_engine import ActionCall

from sluice_helpdesk.actions.contract import NULLABLE_STRING, EmailAction, conn_of, obj, spec
from sluice_helpdesk.actions.find_ticket_by_reply_token import TICKET_MATCH_SCHEMA, ticket_match
from sluice_helpdesk.threads import ThreadRepository

MAX_REFERENCES = 100  # a References header can be long; the newest ids are the useful ones


def candidate_ids(args: dict[str, JsonValue]) -> list[str]:
    """Oldest-priority first: ThreadRepository.find_ticket tries the list from its end."""
    references = args.get("references")
    refs = [r for r in references if isinstance(r, str)] if isinstance(references, list) else []
    ordered = [
        args.get("messageId"),
        args.get("threadId"),
        *refs[-MAX_REFERENCES:],
        args.get("inReplyTo"),
    ]
    return [value for value in ordered if isinstance(value, str) and value.strip()]


async def handle(call: ActionCall) -> JsonValue:
    ids = candidate_ids(dict(call.args))
    ticket_id = None
    if ids:
        ticket_id = await ThreadRepository(conn_of(call), call.tenant_id).find_ticket(ids)
    return await ticket_match(call, ticket_id)


ACTION = EmailAction(
    spec=spec(
        "find_ticket_by_email_thread",
        label="Find ticket by email thread",
        description=(
            "Finds the ticket an email belongs to from its In-Reply-To, References and thread "
            "id, matched against Message-IDs the help desk sent or received on tickets."
        ),
        input_schema=obj(
            [],
            {
                "messageId": NULLABLE_STRING,
                "inReplyTo": NULLABLE_STRING,
                "references": {"type": ["array", "null"], "items": {"type": "string"}},
                "threadId": NULLABLE_STRING,
            },
        ),
        output_schema=TICKET_MATCH_SCHEMA,
        side_effectful=False,
        icon="git-branch",
        examples=[
            {
                "inReplyTo": {"$expr": "payload.emailData.inReplyTo"},
                "references": {"$expr": "payload.emailData.references"},
            }
        ],
    ),
    handler=handle,
    transactional=True,
)
