-- Action invocations (idempotent side effects), the executor's leased jobs,
-- and human tasks.

CREATE TABLE action_invocations (
    tenant_id         text NOT NULL,
    invocation_id     uuid NOT NULL,
    action_id         text NOT NULL,
    action_version    integer NOT NULL,
    idempotency_key   text NOT NULL,
    run_id            uuid,
    step_id           text,
    status            text NOT NULL CHECK (status IN ('STARTED', 'SUCCEEDED', 'FAILED')),
    attempt           integer NOT NULL DEFAULT 1,
    lease_owner       text,
    lease_expires_at  timestamptz,
    input             jsonb,
    output            jsonb,
    error             jsonb,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    duration_ms       bigint,
    PRIMARY KEY (tenant_id, invocation_id),
    UNIQUE (tenant_id, action_id, action_version, idempotency_key)
);
CREATE INDEX action_invocations_by_run
    ON action_invocations (tenant_id, run_id, started_at, invocation_id);
CREATE INDEX action_invocations_lease ON action_invocations (lease_expires_at)
    WHERE status = 'STARTED';

CREATE TABLE action_jobs (
    tenant_id         text NOT NULL,
    job_id            uuid NOT NULL,
    run_id            uuid NOT NULL,
    request           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'PENDING' CHECK (status IN
                        ('PENDING', 'RUNNING', 'DONE', 'FAILED')),
    lease_owner       text,
    lease_expires_at  timestamptz,
    attempts          integer NOT NULL DEFAULT 0,
    available_at      timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id)
);
CREATE INDEX action_jobs_ready ON action_jobs (available_at) WHERE status = 'PENDING';
CREATE INDEX action_jobs_lease ON action_jobs (lease_expires_at) WHERE status = 'RUNNING';

CREATE TABLE human_tasks (
    tenant_id     text NOT NULL,
    task_id       uuid NOT NULL,
    run_id        uuid NOT NULL,
    wait_id       uuid,
    task_type     text NOT NULL,
    title         text NOT NULL,
    description   text,
    form_schema   jsonb NOT NULL DEFAULT '{}'::jsonb,
    assignee      text,
    status        text NOT NULL DEFAULT 'OPEN' CHECK (status IN
                    ('OPEN', 'CLAIMED', 'COMPLETED', 'CANCELED')),
    claimed_by    text,
    output        jsonb,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, task_id)
);
CREATE INDEX human_tasks_by_status ON human_tasks (tenant_id, status, created_at, task_id);
CREATE INDEX human_tasks_by_run ON human_tasks (tenant_id, run_id, created_at, task_id);
CREATE INDEX human_tasks_list ON human_tasks (tenant_id, created_at, task_id);
