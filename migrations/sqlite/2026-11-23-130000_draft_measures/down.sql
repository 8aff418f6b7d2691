CREATE TABLE measures_rebuilt (
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
INSERT INTO measures_rebuilt SELECT id, request_id, position, kind, location, address, starts_on, ends_on, description, outcome, conditions, implemented_on, ended_on FROM measures WHERE kind IS NOT NULL AND location IS NOT NULL AND starts_on IS NOT NULL;
DROP TABLE measures;
ALTER TABLE measures_rebuilt RENAME TO measures;
CREATE UNIQUE INDEX measures_request_position_key ON measures (request_id, position);
CREATE INDEX measures_ends_idx ON measures (ends_on);
