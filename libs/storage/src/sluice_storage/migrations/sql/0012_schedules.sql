-- Schedule triggers. One row per definition whose latest published version
-- has a schedule trigger (written by DefinitionRepository.publish, removed when
-- a later version has none). The scheduler claims due rows with FOR UPDATE SKIP
-- LOCKED, starts a run per tick and moves the cursor, in one transaction.
CREATE TABLE workflow_schedules (
    tenant_id         text NOT NULL,
    workflow_id       uuid NOT NULL,
    workflow_version  integer NOT NULL,
    cron              text NOT NULL,
    timezone          text NOT NULL,
    catch_up          text NOT NULL CHECK (catch_up IN ('none', 'latest', 'all')),
    -- Every tick at or before cursor_at has been handled (fired or skipped).
    cursor_at         timestamptz NOT NULL,
    -- When the scheduler looks next: the first tick after cursor_at.
    next_due_at       timestamptz,
    last_fired_at     timestamptz,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id)
);
CREATE INDEX workflow_schedules_due ON workflow_schedules (next_due_at)
    WHERE next_due_at IS NOT NULL;

-- One row per fired tick: the unique key (tenant, workflow, tick instant) is
-- what makes a tick start one run, whatever number of schedulers and restarts.
CREATE TABLE schedule_ticks (
    tenant_id    text NOT NULL,
    workflow_id  uuid NOT NULL,
    tick_at      timestamptz NOT NULL,
    run_id       uuid,
    outcome      text NOT NULL CHECK (outcome IN ('STARTED', 'FAILED')),
    late         boolean NOT NULL,
    reason       text,
    fired_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, tick_at)
);
-- Retention deletes a purged run's tick with it (the cursor never goes back
-- 30 days, so a purged tick is never planned again).
CREATE INDEX schedule_ticks_by_run ON schedule_ticks (tenant_id, run_id) WHERE run_id IS NOT NULL;
