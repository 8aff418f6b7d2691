-- Statistics (product.md § 14) read from sums the portal keeps, not counted over every request:
-- each step moves its request's share from the sums it fell under to those it falls under now,
-- in the step's transaction (domain::statistics::Tally). A period's figures are a few thousand
-- rows, whatever the number of requests.
--
-- Submitted requests by the Oslo month they were submitted, state, partial approval and whether
-- they reached the police; and the same by mission (for the figures by country).
CREATE TABLE statistics_requests (
    month            DATE NOT NULL,
    state            TEXT NOT NULL,
    partly_approved  BOOLEAN NOT NULL,
    reached_police   BOOLEAN NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (month, state, partly_approved, reached_police)
) WITHOUT ROWID;
CREATE TABLE statistics_missions (
    month            DATE NOT NULL,
    mission_id       TEXT NOT NULL,
    state            TEXT NOT NULL,
    partly_approved  BOOLEAN NOT NULL,
    reached_police   BOOLEAN NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (month, mission_id, state, partly_approved, reached_police)
) WITHOUT ROWID;
-- Their measures by kind and decision ('' while undecided).
CREATE TABLE statistics_measures (
    month           DATE NOT NULL,
    kind            TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    reached_police  BOOLEAN NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (month, kind, outcome, reached_police)
) WITHOUT ROWID;
-- Ended stages by the month they ended, working days and whether they met their due date.
CREATE TABLE statistics_stages (
    month           DATE NOT NULL,
    stage           TEXT NOT NULL,
    working_days    INTEGER NOT NULL,
    met             BOOLEAN NOT NULL,
    reached_police  BOOLEAN NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (month, stage, working_days, met, reached_police)
) WITHOUT ROWID;
-- Stages not ended, by their due date (past due once it has passed).
CREATE TABLE statistics_open (
    due_on          DATE NOT NULL,
    stage           TEXT NOT NULL,
    reached_police  BOOLEAN NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (due_on, stage, reached_police)
) WITHOUT ROWID;
-- The sums are first made by the portal once the migrations have run (an instant's Oslo month
-- is the portal's to tell); a row here asks for it.
CREATE TABLE statistics_recount (
    asked  BOOLEAN PRIMARY KEY NOT NULL
);
INSERT INTO statistics_recount (asked) VALUES (TRUE);

-- The indexes the figures were counted over are no longer read.
DROP INDEX requests_statistics_idx;
DROP INDEX measures_statistics_idx;
DROP INDEX request_stages_ended_idx;
DROP INDEX request_stages_due_idx;
