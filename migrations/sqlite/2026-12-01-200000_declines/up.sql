-- Declines get their own reason (it was written into `conditions`), and a request approved with
-- some measures declined is marked, so that its mission reads "Partly approved" in lists and
-- filters without each list looking at every measure.
ALTER TABLE measures ADD COLUMN decline_reason TEXT;
UPDATE measures SET decline_reason = conditions, conditions = NULL
 WHERE outcome = 'declined' AND conditions IS NOT NULL;
ALTER TABLE requests ADD COLUMN partly_approved BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE requests SET partly_approved = TRUE
 WHERE state IN ('approved', 'in_effect', 'ended')
   AND EXISTS (SELECT 1 FROM measures m WHERE m.request_id = requests.id AND m.outcome = 'declined')
   AND EXISTS (SELECT 1 FROM measures m WHERE m.request_id = requests.id
               AND m.outcome IN ('approved', 'approved_with_conditions'));
