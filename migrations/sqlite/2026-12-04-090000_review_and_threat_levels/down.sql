ALTER TABLE api_tokens DROP COLUMN scope;
DROP INDEX measures_calendar_idx;
ALTER TABLE measures DROP COLUMN calendar_until;
DROP TABLE mission_threat_levels;
DROP INDEX requests_review_idx;
ALTER TABLE requests DROP COLUMN review_announced_for;
ALTER TABLE requests DROP COLUMN next_review_on;
