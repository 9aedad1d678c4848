-- Tenants and API tokens. Every table carries tenant_id and every primary key
-- and unique constraint leads with it (Citus-ready); token_routes is the one
-- global lookup (token hash -> tenant), a reference table under Citus.

CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9-]{1,63}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    tenant_id   text NOT NULL,
    token_id    uuid NOT NULL,
    subject     text NOT NULL,
    role        text NOT NULL CHECK (role IN
                  ('workflow.view', 'workflow.manage', 'workflow.publish', 'workflow.admin')),
    token_hash  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, token_id),
    UNIQUE (tenant_id, token_hash)
);
CREATE INDEX api_tokens_list ON api_tokens (tenant_id, created_at DESC, token_id DESC);

CREATE TABLE token_routes (
    token_hash  text PRIMARY KEY,
    tenant_id   text NOT NULL,
    token_id    uuid NOT NULL
);
