"""``resolve_inbound_ticket_defaults`` v1 (read-only): the provider's inbound ticket defaults.

``found`` is false when the provider is unknown in this tenant or has no
defaults configured; the workflow then ends in ``ERROR_NO_TICKET_DEFAULTS``.
"""

from __future__ import annotations

from pydantic import JsonValue
from sluice_engine import ActionCall

from sluice_helpdesk.actions.contract import (
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    obj,
    spec,
    text_arg,
)
from sluice_helpdesk.providers import DEFAULT_KEYS, ProviderRepository


async def handle(call: ActionCall) -> JsonValue:
    provider_id = text_arg(call.args, "providerId")
    provider = None
    if provider_id is not None:
        provider = await ProviderRepository(conn_of(call), call.tenant_id).get(provider_id)
    defaults = provider.defaults if provider is not None else None
    result: dict[str, JsonValue] = {key: None for key in DEFAULT_KEYS}
    if not defaults:
        return {**result, "found": False}
    for key in DEFAULT_KEYS:
        value = defaults.get(key)
        result[key] = str(value) if value is not None else None
    return {**result, "found": True}


ACTION = EmailAction(
    spec=spec(
        "resolve_inbound_ticket_defaults",
        label="Resolve inbound ticket defaults",
        description=(
            "Reads the inbound defaults of an email provider (board, status, priority, client, "
            "entered by, category, subcategory, location); found is false when none are set."
        ),
        input_schema=obj(["providerId"], {"providerId": NULLABLE_STRING}),
        output_schema=obj(
            ["found"],
            {"found": {"type": "boolean"}, **{key: NULLABLE_STRING for key in DEFAULT_KEYS}},
        ),
        side_effectful=False,
        icon="sliders",
        examples=[{"providerId": {"$expr": "payload.providerId"}}],
    ),
    handler=handle,
    transactional=True,
)
