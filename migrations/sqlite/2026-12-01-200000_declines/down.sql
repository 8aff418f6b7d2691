UPDATE measures SET conditions = decline_reason WHERE outcome = 'declined' AND decline_reason IS NOT NULL;
ALTER TABLE measures DROP COLUMN decline_reason;
ALTER TABLE requests DROP COLUMN partly_approved;
