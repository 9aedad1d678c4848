"""``/workflow-webhooks``: a webhook trigger's hook id, URL path and signing secret.

Made at the first publish of a version with ``{"type": "webhook"}`` and kept
by later versions (``sluice_storage.webhooks``). The secret is shown to
admins only: whoever holds it can start runs. Deliveries go to ingest's
``POST /hooks/{hookId}`` (``services/ingest/README.md``).
"""

from __future__ import annotations

import uuid

from pydantic import Field
from sluice_http import not_found, sluice_router
from sluice_storage.webhooks import WebhookRepository

from sluice_api.deps import Admin, ContextDep, DefinitionIdPath
from sluice_api.schemas.common import WireModel

router = sluice_router(prefix="/workflow-webhooks", tags=["webhooks"])


class WebhookPublic(WireModel):
    workflow_id: uuid.UUID
    hook_id: str
    path: str = Field(description="POST here on ingest (port 8001 locally)")
    secret: str = Field(description="the HMAC-SHA256 key; sign t.<body> with it")
    signature_header: str = Field(description="t=<unix seconds>,v1=<hex hmac>")
    delivery_header: str = Field(description="a unique id per delivery (idempotency)")


@router.get("/{id}", summary="A webhook trigger's hook id and signing secret (admin)")
async def get_webhook(ctx: ContextDep, who: Admin, workflow_id: DefinitionIdPath) -> WebhookPublic:
    async with ctx.tx() as conn:
        hook = await WebhookRepository(conn, who.tenant_id, ctx.webhook_sealer).get(workflow_id)
    if hook is None:
        raise not_found("webhook of definition", workflow_id)
    return WebhookPublic(
        workflow_id=hook.workflow_id, hook_id=hook.hook_id, path=f"/hooks/{hook.hook_id}",
        secret=hook.secret, signature_header="Sluice-Signature",
        delivery_header="Sluice-Delivery",
    )  # fmt: skip
