-- The security log is append-only (product.md § 10): the database itself refuses to change or remove
-- an entry. Someone with the right to drop triggers can still do both; the keyed chain and the
-- checkpoints in the operator log find that (SECURITY.md, "The security log").
CREATE FUNCTION security_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'security_log is append-only';
END;
$$;

CREATE TRIGGER security_log_append_only BEFORE UPDATE OR DELETE ON security_log
    FOR EACH ROW EXECUTE FUNCTION security_log_append_only();

CREATE TRIGGER security_log_no_truncate BEFORE TRUNCATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION security_log_append_only();
