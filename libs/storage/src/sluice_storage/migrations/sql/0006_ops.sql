-- Operations: audit log, transactional outbox, dead letters, HTTP idempotency keys.

CREATE TABLE audit_log (
    tenant_id  text NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL,
    subject    text NOT NULL,
    action     text NOT NULL,
    target     text,
    reason     text,
    details    jsonb,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_list ON audit_log (tenant_id, at DESC, id DESC);

-- Messages committed with the state change that implies them; the relay
-- publishes them in id order and stamps sent_at.
CREATE TABLE outbox (
    id          bigserial NOT NULL,
    tenant_id   text NOT NULL,
    topic       text NOT NULL,
    key         text,
    headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- The relay's claim: the oldest unsent rows. Stays tiny however large the table.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
-- Retention of sent rows.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE TABLE dead_letters (
    tenant_id     text NOT NULL,
    id            uuid NOT NULL,
    topic         text NOT NULL,
    "partition"   integer NOT NULL,
    "offset"      bigint NOT NULL,
    key           bytea,
    value         bytea,
    payload       jsonb,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    requeued_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    -- a redelivered poison message is mirrored once
    UNIQUE (tenant_id, topic, "partition", "offset")
);
CREATE INDEX dead_letters_list ON dead_letters (tenant_id, created_at DESC, id DESC);

CREATE TABLE http_idempotency_keys (
    tenant_id     text NOT NULL,
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status_code   integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX http_idempotency_keys_expiry ON http_idempotency_keys (expires_at);
