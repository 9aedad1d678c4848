-- Pausing a workflow (issue 19): while paused_at is set its triggers start no runs.
-- An event that would have started one is held (held_starts) and starts it on
-- unpause; a schedule is not planned, so its catchUp policy decides the missed ticks.
ALTER TABLE workflow_definitions
    ADD COLUMN paused_at timestamptz,
    ADD COLUMN paused_reason text,
    ADD COLUMN paused_by text;

CREATE TABLE held_starts (
    tenant_id    text NOT NULL,
    workflow_id  uuid NOT NULL,
    event_id     uuid NOT NULL,
    held_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, event_id)
);
CREATE INDEX held_starts_in_order ON held_starts (tenant_id, workflow_id, held_at, event_id);
