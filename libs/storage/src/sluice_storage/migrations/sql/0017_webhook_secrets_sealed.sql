-- Webhook signing secrets encrypted at rest (issue 18). A hook made while the
-- server has WF_SECRETS_KEY keeps only secret_sealed (a Fernet token under that key,
-- bound to "webhook:<hookId>" of its tenant, sluice_secrets.cipher); hooks made
-- before (or without a key) keep the plain secret and go on working: the API seals
-- them at start-up once a key is set (sluice_storage.webhooks.seal_plaintext_hooks).
ALTER TABLE webhooks ADD COLUMN secret_sealed bytea;
ALTER TABLE webhooks ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_one_secret
    CHECK ((secret IS NULL) <> (secret_sealed IS NULL));
