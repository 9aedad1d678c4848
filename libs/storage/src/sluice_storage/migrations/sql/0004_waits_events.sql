-- Waits and inbound events: the two sides of the event routing protocol.

CREATE TABLE run_waits (
    tenant_id          text NOT NULL,
    wait_id            uuid NOT NULL,
    run_id             uuid NOT NULL,
    kind               text NOT NULL CHECK (kind IN
                         ('event', 'human_task', 'child_run', 'retry', 'timer')),
    step_id            text,
    node_path          text,
    event_name         text,
    correlation_key    text,
    due_at             timestamptz,
    status             text NOT NULL DEFAULT 'OPEN' CHECK (status IN
                         ('OPEN', 'RESOLVED', 'FIRED', 'CANCELED')),
    resolution         jsonb,
    resolved_by        text,
    accept_earlier_ms  bigint,
    created_at         timestamptz NOT NULL,
    resolved_at        timestamptz,
    PRIMARY KEY (tenant_id, wait_id)
);
CREATE INDEX run_waits_by_run ON run_waits (tenant_id, run_id, created_at, wait_id);
-- Routing: the oldest open wait on (tenant, eventName, correlationKey).
CREATE INDEX run_waits_open_by_key
    ON run_waits (tenant_id, event_name, correlation_key, created_at)
    WHERE status = 'OPEN';
-- The scheduler's due-wait claim (FOR UPDATE SKIP LOCKED), across tenants.
CREATE INDEX run_waits_open_due ON run_waits (due_at)
    WHERE status = 'OPEN' AND due_at IS NOT NULL;

CREATE TABLE events (
    tenant_id        text NOT NULL,
    event_id         uuid NOT NULL,
    event_name       text NOT NULL,
    correlation_key  text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key  text,
    source           text NOT NULL DEFAULT 'api',
    kafka_topic      text,
    kafka_partition  integer,
    kafka_offset     bigint,
    received_at      timestamptz NOT NULL,
    expires_at       timestamptz,
    matched          boolean NOT NULL DEFAULT false,
    started_run_ids  uuid[] NOT NULL DEFAULT '{}',
    resumed_run_id   uuid,
    errors           jsonb,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Without an idempotency key an event is deduplicated by its Kafka position.
CREATE UNIQUE INDEX events_kafka_position
    ON events (tenant_id, kafka_topic, kafka_partition, kafka_offset)
    WHERE kafka_topic IS NOT NULL;
CREATE INDEX events_list ON events (tenant_id, received_at DESC, event_id DESC);
CREATE INDEX events_unmatched_by_key
    ON events (tenant_id, event_name, correlation_key, received_at)
    WHERE NOT matched;
