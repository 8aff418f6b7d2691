-- The security log is append-only (product.md § 10): the database itself refuses to change or remove
-- an entry. Someone with the right to drop triggers can still do both; the keyed chain and the
-- checkpoints in the operator log find that (SECURITY.md, "The security log").
CREATE TRIGGER security_log_no_update BEFORE UPDATE ON security_log
BEGIN
    SELECT RAISE(ABORT, 'security_log is append-only');
END;

CREATE TRIGGER security_log_no_delete BEFORE DELETE ON security_log
BEGIN
    SELECT RAISE(ABORT, 'security_log is append-only');
END;
