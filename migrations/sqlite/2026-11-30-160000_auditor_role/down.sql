-- Auditors cannot be kept under the old constraint: their accounts go first.
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM users WHERE role = 'auditor';
CREATE TABLE users_rebuilt (
    id                  TEXT PRIMARY KEY NOT NULL,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('mission_staff', 'mfa_officer', 'police_liaison', 'pst_analyst', 'admin')),
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
