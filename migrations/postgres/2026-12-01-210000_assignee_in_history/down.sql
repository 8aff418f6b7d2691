ALTER TABLE timeline_events DROP COLUMN assignee_id;
