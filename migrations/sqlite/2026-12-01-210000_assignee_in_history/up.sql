-- Whom a `take` step assigned the request to, so that the history reads "Assigned to …" (the
-- actor is who did the assigning). Earlier steps keep it empty and read "Assigned by …".
ALTER TABLE timeline_events ADD COLUMN assignee_id TEXT;
