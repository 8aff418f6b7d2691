CREATE INDEX request_stages_ended_idx ON request_stages (ended_on, stage, working_days, due_on, reached_police);
CREATE INDEX request_stages_due_idx ON request_stages (due_on, stage, ended_on, reached_police);
CREATE INDEX requests_statistics_idx ON requests (submitted_at, state, partly_approved, reached_police, mission_id, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX measures_statistics_idx ON measures (request_id, kind, outcome);
DROP TABLE statistics_recount;
DROP TABLE statistics_open;
DROP TABLE statistics_stages;
DROP TABLE statistics_measures;
DROP TABLE statistics_missions;
DROP TABLE statistics_requests;
