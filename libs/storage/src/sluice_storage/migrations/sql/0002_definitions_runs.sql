-- Definitions (mutable draft), immutable published versions, runs and the
-- per-run processed-command ids that make consumers idempotent.

CREATE TABLE workflow_definitions (
    tenant_id             text NOT NULL,
    workflow_id           uuid NOT NULL,
    name                  text NOT NULL DEFAULT '',
    draft                 jsonb NOT NULL,
    latest_version        integer,
    -- trigger event of latest_version, kept here so "latest published version
    -- of every definition whose trigger names this event" is one index probe.
    latest_trigger_event  text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, workflow_id)
);
CREATE INDEX workflow_definitions_list
    ON workflow_definitions (tenant_id, updated_at DESC, workflow_id DESC);
CREATE INDEX workflow_definitions_trigger
    ON workflow_definitions (tenant_id, latest_trigger_event)
    WHERE latest_trigger_event IS NOT NULL;

CREATE TABLE workflow_definition_versions (
    tenant_id       text NOT NULL,
    workflow_id     uuid NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL DEFAULT '',
    definition      jsonb NOT NULL,
    payload_schema  jsonb,
    trigger_event   text,
    published_at    timestamptz NOT NULL,
    published_by    text NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, version)
);

CREATE TABLE workflow_runs (
    tenant_id         text NOT NULL,
    run_id            uuid NOT NULL,
    workflow_id       uuid NOT NULL,
    workflow_version  integer NOT NULL,
    status            text NOT NULL CHECK (status IN
                        ('RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'CANCELED')),
    node_path         text NOT NULL DEFAULT 'root',
    state             text,
    run_state         jsonb NOT NULL DEFAULT '{}'::jsonb,
    seq               bigint NOT NULL DEFAULT 0,
    parent_run_id     uuid,
    root_run_id       uuid,
    call_depth        integer NOT NULL DEFAULT 0,
    payload           jsonb NOT NULL DEFAULT '{}'::jsonb,
    error             jsonb,
    trigger_event_id  uuid,
    event_name        text,
    correlation_key   text,
    started_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    completed_at      timestamptz,
    last_progress_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
);
CREATE INDEX workflow_runs_by_start ON workflow_runs (tenant_id, started_at DESC, run_id DESC);
CREATE INDEX workflow_runs_by_status
    ON workflow_runs (tenant_id, status, started_at DESC, run_id DESC);
CREATE INDEX workflow_runs_by_workflow
    ON workflow_runs (tenant_id, workflow_id, workflow_version, started_at DESC, run_id DESC);
CREATE INDEX workflow_runs_children ON workflow_runs (tenant_id, parent_run_id)
    WHERE parent_run_id IS NOT NULL;
-- The scheduler's re-drive scan: RUNNING runs with no progress since T (all tenants).
CREATE INDEX workflow_runs_stale ON workflow_runs (last_progress_at)
    WHERE status = 'RUNNING';

CREATE TABLE applied_commands (
    tenant_id   text NOT NULL,
    run_id      uuid NOT NULL,
    command_id  uuid NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, run_id, command_id)
);
