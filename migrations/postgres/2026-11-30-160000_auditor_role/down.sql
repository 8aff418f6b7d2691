DELETE FROM users WHERE role = 'auditor';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('mission_staff', 'mfa_officer', 'police_liaison', 'pst_analyst', 'admin'));
