-- Webhook triggers. webhooks is a global routing table (like mailbox_routes):
-- POST /hooks/{hookId} finds the tenant and workflow from the hook id alone.
-- Written by DefinitionRepository.publish for a definition whose latest version
-- has a webhook trigger (the hook id and the signing secret survive later
-- versions; a version without the trigger removes the row).
CREATE TABLE webhooks (
    hook_id      text PRIMARY KEY,
    tenant_id    text NOT NULL,
    workflow_id  uuid NOT NULL,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (tenant_id, workflow_id)
);

-- One row per accepted delivery: idempotency by delivery id, and replay
-- protection by signature (a captured request sent again, even under another
-- delivery id, is refused).
CREATE TABLE webhook_deliveries (
    tenant_id    text NOT NULL,
    hook_id      text NOT NULL,
    delivery_id  text NOT NULL,
    signature    text NOT NULL,
    event_id     uuid NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, hook_id, delivery_id),
    UNIQUE (tenant_id, hook_id, signature)
);
