-- A security auditor reads the security log in full, case events included; administrators read
-- those entries as their kind and organisation only (SECURITY.md, "The security log's two
-- readers"). SQLite cannot change a CHECK constraint, so the users table is rebuilt by SQLite's
-- own procedure (https://sqlite.org/lang_altertable.html#otheralter): foreign keys off outside
-- a transaction (hence `run_in_transaction = false`), new table, copy, drop, rename; the other
-- tables' references to `users` then name the new table.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id                  TEXT PRIMARY KEY NOT NULL,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('mission_staff', 'mfa_officer', 'police_liaison', 'pst_analyst', 'admin', 'auditor')),
    mission_id          TEXT REFERENCES missions (id),
    clearance           TEXT NOT NULL DEFAULT 'none' CHECK (clearance IN ('none', 'restricted', 'confidential', 'secret', 'top_secret')),
    password_hash       TEXT,
    password_changed_at TIMESTAMP,
    totp_secret         TEXT,
    totp_confirmed_at   TIMESTAMP,
    totp_last_step      BIGINT,
    locale              TEXT NOT NULL DEFAULT 'en',
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    last_sign_in_at     TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK ((role = 'mission_staff') = (mission_id IS NOT NULL))
);
INSERT INTO users_rebuilt (id, email, name, role, mission_id, clearance, password_hash, password_changed_at, totp_secret, totp_confirmed_at, totp_last_step, locale, active, last_sign_in_at, created_at, updated_at) SELECT id, email, name, role, mission_id, clearance, password_hash, password_changed_at, totp_secret, totp_confirmed_at, totp_last_step, locale, active, last_sign_in_at, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_mission_idx ON users (mission_id);
CREATE INDEX users_role_idx ON users (role, active);
COMMIT;
PRAGMA foreign_keys = ON;
