-- What happened in a run: step attempts, redacted snapshots, logs and the
-- runtime-event timeline. Lists are oldest first, paged on the identity id.

CREATE TABLE run_steps (
    tenant_id    text NOT NULL,
    run_id       uuid NOT NULL,
    -- deterministic identity from the core (run, step, loop indexes, attempt),
    -- so a redelivered command records the same attempt once (ON CONFLICT).
    attempt_id   text NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    step_id      text NOT NULL,
    node_path    text NOT NULL,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    status       text NOT NULL CHECK (status IN
                   ('STARTED', 'SUCCEEDED', 'FAILED', 'RETRY_SCHEDULED', 'CANCELED')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    duration_ms  bigint,
    error        jsonb,
    PRIMARY KEY (tenant_id, run_id, attempt_id)
);
CREATE INDEX run_steps_list ON run_steps (tenant_id, run_id, id);

CREATE TABLE run_snapshots (
    tenant_id  text NOT NULL,
    run_id     uuid NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    node_path  text NOT NULL,
    step_id    text,
    at         timestamptz NOT NULL,
    envelope   jsonb NOT NULL,
    PRIMARY KEY (tenant_id, run_id, id)
);

CREATE TABLE run_logs (
    tenant_id  text NOT NULL,
    run_id     uuid NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL,
    level      text NOT NULL DEFAULT 'INFO',
    message    text NOT NULL,
    step_id    text,
    node_path  text,
    data       jsonb,
    PRIMARY KEY (tenant_id, run_id, id)
);

CREATE TABLE run_events (
    tenant_id  text NOT NULL,
    run_id     uuid NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL,
    type       text NOT NULL,
    step_id    text,
    node_path  text,
    data       jsonb,
    PRIMARY KEY (tenant_id, run_id, id)
);
