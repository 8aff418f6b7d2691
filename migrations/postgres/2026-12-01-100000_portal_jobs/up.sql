-- The portal's own jobs (README, "The portal's own work"): automatic ends, purges. One row per
-- job, written after each of its batches by whichever instance ran it, so that administrators see
-- every job's last run whichever instance they ask. The last failure (its time and first error,
-- a plain description, never request content) stays until the next failure.
CREATE TABLE portal_jobs (
    job               TEXT PRIMARY KEY,
    last_started_at   TIMESTAMP NOT NULL,
    last_finished_at  TIMESTAMP NOT NULL,
    last_done         INTEGER NOT NULL,
    last_failed       INTEGER NOT NULL,
    last_failed_at    TIMESTAMP,
    last_error        TEXT,
    last_instance     TEXT NOT NULL,
    total_done        BIGINT NOT NULL
);
