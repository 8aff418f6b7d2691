DROP TRIGGER IF EXISTS security_log_no_delete;
DROP TRIGGER IF EXISTS security_log_no_update;
