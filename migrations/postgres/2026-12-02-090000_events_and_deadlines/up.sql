-- What a request is about (product.md § 4): the event, the people to protect, the note verbale that
-- accompanies it, and daily hours for a measure. Event and arrival times are wall-clock times in
-- Oslo as the mission plans them (`YYYY-MM-DD HH:MM`, Europe/Oslo), not instants.
CREATE TABLE request_events (
    request_id           TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    venue                TEXT NOT NULL,
    address              TEXT NOT NULL,
    starts_at            TIMESTAMP,
    ends_at              TIMESTAMP,
    expected_attendance  INTEGER CHECK (expected_attendance BETWEEN 1 AND 1000000)
);
CREATE TABLE protected_persons (
    id          TEXT PRIMARY KEY NOT NULL,
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT NOT NULL,
    arrives_at  TIMESTAMP,
    leaves_at   TIMESTAMP
);
CREATE UNIQUE INDEX protected_persons_request_ordinal_key ON protected_persons (request_id, ordinal);
ALTER TABLE requests ADD COLUMN note_verbale_number TEXT;
ALTER TABLE requests ADD COLUMN note_verbale_dated_on DATE;
ALTER TABLE measures ADD COLUMN from_time TEXT;
ALTER TABLE measures ADD COLUMN until_time TEXT;

-- The due date of the stage a request is in now (product.md § 11), kept by every step so that queues
-- sort by it and the portal finds overdue stages with an index. `9999-12-31` stands for "no
-- stage due" (a draft, a request waiting for its mission, a closed one), so that the column
-- sorts the same on both engines. `due_rules` names the rules the date was counted with; the
-- portal recounts requests counted with other rules (and, after this migration, all of them).
ALTER TABLE requests ADD COLUMN due_on DATE NOT NULL DEFAULT '9999-12-31';
ALTER TABLE requests ADD COLUMN due_stage TEXT;
ALTER TABLE requests ADD COLUMN due_rules TEXT;
-- The day PST's assessment is due when the police set it on referring (otherwise the rule counts it).
ALTER TABLE requests ADD COLUMN pst_due_on DATE;
DROP INDEX requests_state_queue_idx;
DROP INDEX requests_submitted_queue_idx;
DROP INDEX requests_police_queue_idx;
DROP INDEX requests_pst_queue_idx;
CREATE INDEX requests_state_queue_idx ON requests (state, urgency DESC, due_on, submitted_at, id);
CREATE INDEX requests_submitted_queue_idx ON requests (urgency DESC, due_on, submitted_at, id) WHERE state <> 'draft';
CREATE INDEX requests_police_queue_idx ON requests (urgency DESC, due_on, submitted_at, id) WHERE reached_police;
CREATE INDEX requests_pst_queue_idx ON requests (urgency DESC, due_on, submitted_at, id) WHERE referred_to_pst;
CREATE INDEX requests_due_idx ON requests (due_on) WHERE due_stage IS NOT NULL;

-- The first day an approved measure is (or will be) in place: the police may confirm a date ahead,
-- and until it comes the mission reads "Measures scheduled". Existing requests in effect took
-- effect on their earliest confirmed date.
ALTER TABLE requests ADD COLUMN in_place_from DATE;
UPDATE requests SET in_place_from = (SELECT MIN(m.implemented_on) FROM measures m WHERE m.request_id = requests.id)
 WHERE state IN ('in_effect', 'ended');

-- Each stage is escalated once (product.md § 11): the key makes a second escalation of the same stage,
-- by this instance or another, fail instead of repeating it.
CREATE TABLE escalations (
    request_id    TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    stage         TEXT NOT NULL,
    due_on        DATE NOT NULL,
    escalated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, stage)
);
-- What a step was about, where its action alone does not say (the stage an escalation is for).
ALTER TABLE timeline_events ADD COLUMN detail TEXT;
