-- The whole domain schema of the protection portal (product.md §§ 2–10).
-- Portable on purpose: ids are text (UUIDs), instants are UTC TIMESTAMP, dates are DATE,
-- and only TEXT, INTEGER, BIGINT, BOOLEAN, TIMESTAMP and DATE are used, so the SQLite and
-- PostgreSQL folders hold the same statements. Codes (roles, states, levels) are checked
-- here only as far as their spelling goes; the rules about them live in src/domain/.

CREATE TABLE missions (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('embassy', 'consulate', 'international_organisation')),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX missions_name_key ON missions (name);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('mission_staff', 'mfa_officer', 'police_liaison', 'pst_analyst', 'admin')),
    mission_id          TEXT REFERENCES missions (id),
    clearance           TEXT NOT NULL DEFAULT 'none' CHECK (clearance IN ('none', 'restricted', 'confidential', 'secret', 'top_secret')),
    -- Argon2id PHC string; NULL until the person has set a password through an invitation.
    password_hash       TEXT,
    password_changed_at TIMESTAMP,
    -- TOTP secret (base32); confirmed once the person has entered a valid code at enrolment.
    totp_secret         TEXT,
    totp_confirmed_at   TIMESTAMP,
    -- The last TOTP time step accepted, so that a code is accepted only once.
    totp_last_step      BIGINT,
    locale              TEXT NOT NULL DEFAULT 'en',
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    last_sign_in_at     TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    -- Mission staff belong to a mission; nobody else does (product.md § 2).
    CHECK ((role = 'mission_staff') = (mission_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_mission_idx ON users (mission_id);
CREATE INDEX users_role_idx ON users (role, active);

CREATE TABLE recovery_codes (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- Single-use links: first administrator, invitations, password resets. Only a hash is kept.
CREATE TABLE account_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN ('first_admin', 'invitation', 'password_reset')),
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_tokens_hash_key ON account_tokens (token_hash);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id);

-- Server-side sessions. The key is a hash of the cookie value, never the value itself.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    client_addr   TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Personal access tokens for the API. The prefix names a token in logs without revealing it.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE UNIQUE INDEX api_tokens_prefix_key ON api_tokens (prefix);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Sign-in throttling, per account and per client address ("account:<hash>", "addr:<ip>").
CREATE TABLE sign_in_throttle (
    throttle_key     TEXT PRIMARY KEY NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    first_failure_at TIMESTAMP NOT NULL,
    last_failure_at  TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP
);

-- Per-year sequence behind request references (YYYY/NNNNN); a row is locked while a number is taken.
CREATE TABLE reference_counters (
    year      INTEGER PRIMARY KEY NOT NULL,
    last_seq  INTEGER NOT NULL
);

CREATE TABLE requests (
    id                   TEXT PRIMARY KEY NOT NULL,
    mission_id           TEXT NOT NULL REFERENCES missions (id),
    reference            TEXT,
    state                TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'in_triage', 'awaiting_mission', 'police_review', 'pst_review', 'decided', 'approved', 'declined', 'rejected', 'withdrawn', 'in_effect', 'ended')),
    version              INTEGER NOT NULL DEFAULT 1,
    title                TEXT NOT NULL,
    justification        TEXT NOT NULL,
    urgency              TEXT NOT NULL CHECK (urgency IN ('routine', 'urgent')),
    contact_name         TEXT NOT NULL,
    contact_phone        TEXT NOT NULL,
    contact_email        TEXT NOT NULL,
    created_by           TEXT NOT NULL REFERENCES users (id),
    assigned_officer_id  TEXT REFERENCES users (id),
    -- Need to know (product.md § 6): set once the request has ever reached police / been referred to PST.
    reached_police       BOOLEAN NOT NULL DEFAULT FALSE,
    referred_to_pst      BOOLEAN NOT NULL DEFAULT FALSE,
    -- The police liaison who referred it, told when the assessment arrives.
    referred_by          TEXT REFERENCES users (id),
    -- The MFA's formal reply to the mission (communicate_decision, reject).
    reply                TEXT,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    submitted_at         TIMESTAMP,
    decided_at           TIMESTAMP,
    closed_at            TIMESTAMP
);
CREATE UNIQUE INDEX requests_reference_key ON requests (reference);
CREATE INDEX requests_state_idx ON requests (state, urgency, submitted_at);
CREATE INDEX requests_mission_idx ON requests (mission_id, updated_at);
CREATE INDEX requests_assigned_idx ON requests (assigned_officer_id, state);
CREATE INDEX requests_updated_idx ON requests (updated_at);
CREATE INDEX requests_police_idx ON requests (reached_police, state, updated_at);
CREATE INDEX requests_pst_idx ON requests (referred_to_pst, state, updated_at);

CREATE TABLE measures (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('increased_patrols', 'static_guard', 'personal_protection', 'event_security', 'traffic_restriction', 'physical_barriers', 'cctv_public_area', 'private_guards_outside_premises', 'other')),
    location        TEXT NOT NULL CHECK (location IN ('chancery', 'residence', 'other')),
    address         TEXT,
    starts_on       DATE NOT NULL,
    ends_on         DATE,
    description     TEXT NOT NULL,
    outcome         TEXT CHECK (outcome IN ('approved', 'approved_with_conditions', 'declined')),
    conditions      TEXT,
    implemented_on  DATE,
    ended_on        DATE
);
CREATE UNIQUE INDEX measures_request_position_key ON measures (request_id, position);
CREATE INDEX measures_ends_idx ON measures (ends_on);

CREATE TABLE timeline_events (
    id               TEXT PRIMARY KEY NOT NULL,
    request_id       TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at               TIMESTAMP NOT NULL,
    actor_id         TEXT REFERENCES users (id),
    action           TEXT NOT NULL,
    from_state       TEXT,
    to_state         TEXT NOT NULL,
    -- Whether the step is one the mission sees (product.md § 5: mission-facing steps only).
    mission_visible  BOOLEAN NOT NULL
);
CREATE INDEX timeline_events_request_idx ON timeline_events (request_id, at);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author_id       TEXT NOT NULL REFERENCES users (id),
    visibility      TEXT NOT NULL CHECK (visibility IN ('external', 'internal')),
    classification  TEXT NOT NULL CHECK (classification IN ('unclassified', 'restricted', 'confidential', 'secret', 'top_secret')),
    declassify_on   DATE,
    body            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    -- External messages are never classified.
    CHECK (visibility = 'internal' OR classification = 'unclassified')
);
CREATE INDEX messages_request_idx ON messages (request_id, created_at);

CREATE TABLE assessments (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author_id       TEXT NOT NULL REFERENCES users (id),
    threat_level    TEXT NOT NULL CHECK (threat_level IN ('very_low', 'low', 'moderate', 'high', 'very_high')),
    summary         TEXT NOT NULL,
    classification  TEXT NOT NULL CHECK (classification IN ('unclassified', 'restricted', 'confidential', 'secret', 'top_secret')),
    declassify_on   DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX assessments_request_idx ON assessments (request_id, created_at);

-- E-mail outbox, written in the transaction that causes the mail; drained by the worker.
-- `payload` holds only what a template may show (reference, status codes), never case content.
CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY NOT NULL,
    kind               TEXT NOT NULL,
    recipient_user_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    recipient_email    TEXT NOT NULL,
    request_id         TEXT REFERENCES requests (id) ON DELETE SET NULL,
    payload            TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TIMESTAMP NOT NULL,
    lease_until        TIMESTAMP,
    leased_by          TEXT,
    last_error         TEXT,
    created_at         TIMESTAMP NOT NULL,
    sent_at            TIMESTAMP
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created_idx ON outbox (created_at);

-- In-portal notifications (the unread badge and the notifications page).
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_id  TEXT REFERENCES requests (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);

CREATE TABLE notification_preferences (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    email    BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The security log: append-only and hash-chained (each row hashes the previous row's hash and
-- its own canonical content). `seq` is assigned by the writer under a lock, without gaps.
CREATE TABLE security_log (
    seq            BIGINT PRIMARY KEY NOT NULL,
    at             TIMESTAMP NOT NULL,
    event          TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    actor_user_id  TEXT,
    actor_org      TEXT,
    client_addr    TEXT,
    target_type    TEXT,
    target_id      TEXT,
    detail         TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX security_log_at_idx ON security_log (at);
CREATE INDEX security_log_event_idx ON security_log (event, at);
CREATE INDEX security_log_actor_idx ON security_log (actor_user_id, at);
