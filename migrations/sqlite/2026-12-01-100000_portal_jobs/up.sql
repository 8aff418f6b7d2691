-- The portal's own jobs (README, "The portal's own work"): automatic ends, purges. One row per
-- job, written after each of its batches by whichever instance ran it, so that administrators see
-- every job's last run whichever instance they ask. Errors are stored as plain descriptions,
-- never with request content.
CREATE TABLE portal_jobs (
    job               TEXT PRIMARY KEY,
    last_started_at   TIMESTAMP NOT NULL,
    last_finished_at  TIMESTAMP NOT NULL,
    last_done         INTEGER NOT NULL,
    last_failed       INTEGER NOT NULL,
    last_error        TEXT,
    last_instance     TEXT NOT NULL,
    total_done        INTEGER NOT NULL
);
