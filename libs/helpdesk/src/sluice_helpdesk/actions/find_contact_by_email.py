"""``find_contact_by_email`` v1 (read-only): the contact with this address (case-insensitive)."""

from __future__ import annotations

from pydantic import JsonValue
from sluice_engine import ActionCall

from sluice_helpdesk.actions.contract import (
    NULLABLE_ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    obj,
    spec,
    text_arg,
)
from sluice_helpdesk.contacts import ContactRepository

_NONE: dict[str, JsonValue] = {
    "found": False,
    "contactId": None,
    "clientId": None,
    "email": None,
    "name": None,
}


async def handle(call: ActionCall) -> JsonValue:
    email = text_arg(call.args, "email")
    if email is None:
        return dict(_NONE)
    contact = await ContactRepository(conn_of(call), call.tenant_id).find_by_email(email)
    if contact is None:
        return dict(_NONE)
    return {
        "found": True,
        "contactId": contact.contact_id,
        "clientId": contact.client_id,
        "email": contact.email,
        "name": contact.name,
    }


ACTION = EmailAction(
    spec=spec(
        "find_contact_by_email",
        label="Find contact by email",
        description=(
            "Looks up the contact with this email address (compared case-insensitively) and "
            "its client; found is false for an unknown sender."
        ),
        input_schema=obj(["email"], {"email": NULLABLE_STRING}),
        output_schema=obj(
            ["found", "contactId", "clientId"],
            {
                "found": {"type": "boolean"},
                "contactId": NULLABLE_ID,
                "clientId": NULLABLE_ID,
                "email": NULLABLE_STRING,
                "name": NULLABLE_STRING,
            },
        ),
        side_effectful=False,
        icon="user",
        examples=[{"email": {"$expr": "payload.emailData.from.email"}}],
    ),
    handler=handle,
    transactional=True,
)
