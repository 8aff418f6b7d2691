DROP TRIGGER IF EXISTS security_log_no_truncate ON security_log;
DROP TRIGGER IF EXISTS security_log_append_only ON security_log;
DROP FUNCTION IF EXISTS security_log_append_only();
