-- Operations (issue 19): long work over many runs done in the background, in
-- bounded batches, resumable after a crash. One mechanism, two kinds: 'bulk' (an
-- operator control on many runs: cancel, resume, retry, replay) and 'export'
-- (runs with their redacted history as JSONL). The runs an operation touches are
-- fixed when it is created (one item row each, in order); an item is done in the
-- same transaction as what it does to its run, so a crash leaves every item
-- either done once or still PENDING.
CREATE TABLE operations (
    tenant_id         text NOT NULL,
    operation_id      uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('bulk', 'export')),
    action            text NOT NULL,  -- cancel | resume | retry | replay | export
    status            text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED')),
    subject           text NOT NULL,  -- who asked (every per-run audit entry's actor)
    role              text NOT NULL,
    reason            text,
    params            jsonb NOT NULL,  -- the request: filter or run ids, edits
    total             integer NOT NULL,
    done              integer NOT NULL DEFAULT 0,
    succeeded         integer NOT NULL DEFAULT 0,
    failed            integer NOT NULL DEFAULT 0,
    lease_owner       text,
    lease_expires_at  timestamptz,
    created_at        timestamptz NOT NULL,
    started_at        timestamptz,
    finished_at       timestamptz,
    PRIMARY KEY (tenant_id, operation_id)
);
-- The workers' to-do list (all tenants), oldest first.
CREATE INDEX operations_unfinished ON operations (created_at)
    WHERE status <> 'COMPLETED';
CREATE INDEX operations_list ON operations (tenant_id, kind, created_at DESC, operation_id DESC);

CREATE TABLE operation_items (
    tenant_id      text NOT NULL,
    operation_id   uuid NOT NULL,
    seq            integer NOT NULL,
    run_id         uuid NOT NULL,
    done           boolean NOT NULL DEFAULT false,
    ok             boolean,
    code           text,  -- the problem's code when not ok
    detail         text,
    run_status     text,  -- the run's status afterwards
    result_run_id  uuid,  -- a replay's new run
    document       jsonb,  -- an export's line: the run with its redacted history
    done_at        timestamptz,
    PRIMARY KEY (tenant_id, operation_id, seq),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations ON DELETE CASCADE
);
CREATE INDEX operation_items_pending ON operation_items (tenant_id, operation_id, seq)
    WHERE NOT done;
