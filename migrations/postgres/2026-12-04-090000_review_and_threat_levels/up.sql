-- Operations: the periodic review of measures in effect, a mission's threat level as PST records
-- it, and the police calendar's index.
--
-- The day the police next review a request in effect (none when its measures need no review),
-- and the review day the portal has announced as due (so that it tells the police once).
ALTER TABLE requests ADD COLUMN next_review_on DATE;
ALTER TABLE requests ADD COLUMN review_announced_for DATE;
-- The Review due queue and the portal's daily look for reviews falling due.
CREATE INDEX requests_review_idx ON requests (next_review_on, id) WHERE state = 'in_effect';

-- Each threat level PST records for a mission, with its classified note; the newest is current.
CREATE TABLE mission_threat_levels (
    id              TEXT PRIMARY KEY NOT NULL,
    mission_id      TEXT NOT NULL REFERENCES missions (id),
    level           TEXT NOT NULL CHECK (level IN ('very_low', 'low', 'moderate', 'high', 'very_high')),
    note            TEXT NOT NULL,
    classification  TEXT NOT NULL CHECK (classification IN ('unclassified', 'restricted', 'confidential', 'secret', 'top_secret')),
    declassify_on   DATE NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES users (id),
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX mission_threat_levels_mission_idx ON mission_threat_levels (mission_id, recorded_at DESC, id);

-- The calendar reads approved measures by the last day they run (open-ended ones last), so that
-- a week or a month reads only the measures still running then, not the whole history.
ALTER TABLE measures ADD COLUMN calendar_until DATE;
CREATE INDEX measures_calendar_idx ON measures (calendar_until, starts_on) WHERE calendar_until IS NOT NULL;
UPDATE measures SET calendar_until = COALESCE(ended_on, ends_on, '9999-12-31')
WHERE outcome IN ('approved', 'approved_with_conditions')
  AND request_id IN (SELECT id FROM requests WHERE state IN ('approved', 'in_effect', 'ended'));

-- A token is for the API, or only for the calendar feed a calendar program subscribes to (which
-- carries it in its address, so it may do nothing else).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api' CHECK (scope IN ('api', 'calendar'));
