-- Indexes in the order the queues are read (issue 9), so that a page of a list reads its rows
-- from an index instead of sorting the whole scope. Authorities' lists: urgent first, then
-- oldest submission, then id; one partial index per need-to-know scope, one per state. A
-- mission's list: needing its action first, then newest, then id.
DROP INDEX requests_state_idx;
DROP INDEX requests_mission_idx;
DROP INDEX requests_updated_idx;
DROP INDEX requests_police_idx;
DROP INDEX requests_pst_idx;
CREATE INDEX requests_state_queue_idx ON requests (state, urgency DESC, submitted_at, id);
CREATE INDEX requests_submitted_queue_idx ON requests (urgency DESC, submitted_at, id) WHERE state <> 'draft';
CREATE INDEX requests_police_queue_idx ON requests (urgency DESC, submitted_at, id) WHERE reached_police;
CREATE INDEX requests_pst_queue_idx ON requests (urgency DESC, submitted_at, id) WHERE referred_to_pst;
CREATE INDEX requests_mission_queue_idx ON requests (mission_id, (CASE WHEN state = 'awaiting_mission' THEN 0 ELSE 1 END), created_at DESC, id);
