-- Statistics (product.md § 14) are sums the database makes over indexes, never rows the portal loads.
--
-- Each stage of each request, as every step records it: when it began, was due and ended, and how
-- many working days it took (the portal counts working days; SQL has no Norwegian calendar).
-- `reached_police` keeps the police's figures to the requests they had.
CREATE TABLE request_stages (
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    stage           TEXT NOT NULL,
    began_on        DATE NOT NULL,
    due_on          DATE NOT NULL,
    ended_on        DATE,
    working_days    INTEGER CHECK (working_days >= 0),
    reached_police  BOOLEAN NOT NULL,
    PRIMARY KEY (request_id, stage)
);
-- How long stages took (by the day they ended) and whether they met their date (by the day due).
CREATE INDEX request_stages_ended_idx ON request_stages (ended_on, stage, working_days, due_on, reached_police);
CREATE INDEX request_stages_due_idx ON request_stages (due_on, stage, ended_on, reached_police);

-- Requests stored before this migration, whose stages the portal's own job records once.
CREATE TABLE statistics_backlog (
    request_id  TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE
);
INSERT INTO statistics_backlog (request_id) SELECT id FROM requests WHERE state <> 'draft';

-- Requests by the month they were submitted, read from the index alone; measures by kind and
-- outcome for those requests, likewise.
CREATE INDEX requests_statistics_idx ON requests (submitted_at, state, partly_approved, reached_police, mission_id, id)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX measures_statistics_idx ON measures (request_id, kind, outcome);
