-- A draft may hold a measure that is not filled in yet: kind, location and start date become
-- optional in storage (submission still requires them). SQLite cannot drop NOT NULL, so the
-- table is rebuilt; nothing references measures, so this is safe with foreign keys on.
CREATE TABLE measures_rebuilt (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT  CHECK (kind IN ('increased_patrols', 'static_guard', 'personal_protection', 'event_security', 'traffic_restriction', 'physical_barriers', 'cctv_public_area', 'private_guards_outside_premises', 'other')),
    location        TEXT  CHECK (location IN ('chancery', 'residence', 'other')),
    address         TEXT,
    starts_on       DATE ,
    ends_on         DATE,
    description     TEXT NOT NULL,
    outcome         TEXT CHECK (outcome IN ('approved', 'approved_with_conditions', 'declined')),
    conditions      TEXT,
    implemented_on  DATE,
    ended_on        DATE
);
INSERT INTO measures_rebuilt SELECT id, request_id, position, kind, location, address, starts_on, ends_on, description, outcome, conditions, implemented_on, ended_on FROM measures;
DROP TABLE measures;
ALTER TABLE measures_rebuilt RENAME TO measures;
CREATE UNIQUE INDEX measures_request_position_key ON measures (request_id, position);
CREATE INDEX measures_ends_idx ON measures (ends_on);
