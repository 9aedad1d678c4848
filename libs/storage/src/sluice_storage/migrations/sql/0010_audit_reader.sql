-- The audit log as an auditor reads it: the actor's role on every entry, the
-- reader's filters (action, target, actor) on indexes, and append-only by rule
-- of the database, not only of the code: UPDATE, DELETE and TRUNCATE are refused,
-- so no purge, retention job or mistaken script can rewrite history.
ALTER TABLE audit_log ADD COLUMN role text;

CREATE INDEX audit_log_by_action ON audit_log (tenant_id, action, at DESC, id DESC);
CREATE INDEX audit_log_by_target ON audit_log (tenant_id, target, at DESC, id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (tenant_id, subject, at DESC, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
