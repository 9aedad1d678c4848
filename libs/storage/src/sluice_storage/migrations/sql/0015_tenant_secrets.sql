-- Per-tenant secrets (SPEC 15, sluice_secrets.table): the "table" provider of
-- {"secretRef": ...}. Values are Fernet tokens under WF_SECRETS_KEY, bound to
-- (tenant, name); the plaintext never reaches the database. The API writes them
-- (admin only, write-only: no statement reads a value back to a client) and audits
-- every change; sluice_secrets.table is the only module with SQL on this table.
CREATE TABLE tenant_secrets (
    tenant_id    text NOT NULL,
    name         text NOT NULL,
    ciphertext   bytea NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    updated_at   timestamptz NOT NULL,
    updated_by   text NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
