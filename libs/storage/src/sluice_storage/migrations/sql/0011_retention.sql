-- Retention (SPEC 10: final runs, their history, events and dead letters are
-- deleted after a number of days, 30 by default; open runs never; audit entries
-- are not touched, see 0010). A policy row per tenant ('*') or per workflow
-- (its id) overrides the default; a legal hold keeps one run past any policy.
CREATE TABLE retention_policies (
    tenant_id          text NOT NULL,
    scope              text NOT NULL,  -- '*' (the tenant's default) or a workflow id
    runs_days          integer NOT NULL CHECK (runs_days BETWEEN 1 AND 36500),
    events_days        integer NOT NULL CHECK (events_days BETWEEN 1 AND 36500),
    dead_letters_days  integer NOT NULL CHECK (dead_letters_days BETWEEN 1 AND 36500),
    updated_at         timestamptz NOT NULL,
    updated_by         text NOT NULL,
    PRIMARY KEY (tenant_id, scope)
);

CREATE TABLE legal_holds (
    tenant_id  text NOT NULL,
    run_id     uuid NOT NULL,
    placed_at  timestamptz NOT NULL,
    placed_by  text NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
);

-- The purge walks a tenant's final runs oldest first, and deletes by run.
CREATE INDEX workflow_runs_completed ON workflow_runs (tenant_id, completed_at, run_id)
    WHERE completed_at IS NOT NULL;
CREATE INDEX action_jobs_by_run ON action_jobs (tenant_id, run_id);
CREATE INDEX dead_letters_by_age ON dead_letters (tenant_id, created_at);
