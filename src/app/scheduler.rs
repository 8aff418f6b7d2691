//! The portal's own work: one scheduler for every step the portal takes by itself.
//!
//! Each job finds at most a batch of items that are due, and takes each item's step in a
//! transaction of its own — a request's through the same life-cycle pipeline as a person's step
//! — so that a crash mid-batch loses nothing and repeats nothing that was committed: what was
//! committed is no longer due, and what was not is found again. Each step first gives way to
//! people's requests (`db::priority`) and is followed by a pause, so that people's requests come
//! first however large the backlog. On PostgreSQL a step locks its item with `SKIP LOCKED`:
//! several instances share a burst, each moving past what another holds, and an item that
//! another instance finished is no longer due. Each batch is recorded in `portal_jobs` (its
//! counts, times and instance) and in the operator log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use rand::seq::SliceRandom;

use crate::app::requests::{self, Context};
use crate::app::{self, AppError};
use crate::db::portal_jobs::{self, JobRow, Run};
use crate::db::{self, DbConnection, Pool};
use crate::db::{idempotency, sessions};
use crate::settings::{SchedulerSettings, Settings};

/// The portal's own jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Ends the measures of requests in effect once every approved measure's end date has
    /// passed (the automatic end), one request per step.
    EndMeasures,
    /// Deletes expired sign-in sessions, a batch per step.
    PurgeSessions,
    /// Deletes stored Idempotency-Key answers 24 hours after their call, a batch per step.
    PurgeIdempotencyKeys,
    /// Counts again the due dates of requests counted with other deadline rules (after an
    /// upgrade, or a change of `[deadlines]`), one request per step.
    RecountDeadlines,
    /// Escalates each stage the first time it is past its due date (product.md § 11), one
    /// request per step.
    EscalateOverdue,
    /// Tells the police the day a review of measures in effect falls due (product.md § 13),
    /// once for each review day, one request per step.
    AnnounceReviews,
    /// Writes the search document of each request stored before the search index existed
    /// (product.md § 14), one request per step.
    IndexForSearch,
    /// Records the stages of each request stored before statistics existed (product.md § 14),
    /// one request per step.
    RecordStages,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::IndexForSearch,
        Job::RecordStages,
        Job::RecountDeadlines,
        Job::EscalateOverdue,
        Job::AnnounceReviews,
        Job::EndMeasures,
        Job::PurgeSessions,
        Job::PurgeIdempotencyKeys,
    ];

    /// The job's name in `portal_jobs` and in the operator log.
    pub fn code(self) -> &'static str {
        match self {
            Job::EndMeasures => "end_measures",
            Job::PurgeSessions => "purge_sessions",
            Job::PurgeIdempotencyKeys => "purge_idempotency_keys",
            Job::RecountDeadlines => "recount_deadlines",
            Job::EscalateOverdue => "escalate_overdue",
            Job::AnnounceReviews => "announce_reviews",
            Job::IndexForSearch => "index_for_search",
            Job::RecordStages => "record_stages",
        }
    }

    /// What the job does, for the administrators' page (an English message key).
    pub fn label(self) -> &'static str {
        match self {
            Job::EndMeasures => "Ending measures whose end dates have passed",
            Job::PurgeSessions => "Deleting expired sign-in sessions",
            Job::PurgeIdempotencyKeys => "Deleting stored answers to repeated API calls",
            Job::RecountDeadlines => "Counting due dates again under the current deadline rules",
            Job::EscalateOverdue => "Escalating stages past their due dates",
            Job::AnnounceReviews => "Telling the police of reviews falling due",
            Job::IndexForSearch => "Adding requests stored earlier to the search index",
            Job::RecordStages => "Recording the stages of requests stored before statistics",
        }
    }

    /// How many items are due now, counting no further than `cap`.
    pub fn backlog(
        self,
        conn: &mut DbConnection,
        ctx: &Context,
        cap: i64,
    ) -> Result<i64, AppError> {
        Ok(match self {
            Job::EndMeasures => requests::count_due_to_end(conn, ctx, cap)?,
            Job::PurgeSessions => sessions::count_expired(conn, ctx.now, cap)?,
            Job::PurgeIdempotencyKeys => idempotency::count_expired(conn, ctx.now, cap)?,
            Job::RecountDeadlines => requests::to_recount(conn, ctx, cap)?.len() as i64,
            Job::EscalateOverdue => requests::count_overdue(conn, ctx, cap)?,
            Job::AnnounceReviews => requests::count_reviews_to_announce(conn, ctx, cap)?,
            Job::IndexForSearch => requests::count_unindexed(conn, cap)?,
            Job::RecordStages => requests::stages_to_record(conn, cap)?.len() as i64,
        })
    }
}

/// How the scheduler paces itself (`[scheduler]` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub batch_size: i64,
    pub pause: Duration,
    pub yield_for: Duration,
}

impl Pace {
    pub fn from_settings(s: &SchedulerSettings) -> Pace {
        Pace {
            batch_size: i64::from(s.batch_size),
            pause: Duration::from_millis(s.pause_ms),
            yield_for: Duration::from_millis(s.yield_ms),
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Steps taken (requests ended, rows deleted).
    pub done: usize,
    /// Items another instance took, or that were no longer due.
    pub skipped: usize,
    /// Steps that failed (each is tried again in a later batch).
    pub failed: usize,
    /// The first failure, for the operator.
    pub error: Option<String>,
    /// The batch was full: more may be waiting.
    pub full: bool,
    /// The last item the batch found (where the job's next batch starts, after a full one).
    pub last_item: Option<String>,
}

/// Runs one batch of `job`: finds at most `pace.batch_size` due items (after `after`, in the
/// job's order) and takes each step in its own transaction, giving way to people before each and
/// pausing after it.
pub async fn run_batch(
    pool: &Pool,
    job: Job,
    pace: Pace,
    base: Context,
    after: Option<String>,
) -> Batch {
    let ctx = Context {
        now: app::now(),
        ..base
    };
    let mut batch = Batch::default();
    let fail = |batch: &mut Batch, e: AppError| {
        batch.failed += 1;
        if batch.error.is_none() {
            batch.error = Some(e.to_string());
        }
    };
    let limit = pace.batch_size;
    match job {
        Job::EndMeasures
        | Job::RecountDeadlines
        | Job::EscalateOverdue
        | Job::AnnounceReviews
        | Job::IndexForSearch
        | Job::RecordStages => {
            let found = db::run(pool, move |conn| match job {
                Job::RecountDeadlines => requests::to_recount(conn, &ctx, limit),
                Job::IndexForSearch => requests::unindexed(conn, limit),
                Job::RecordStages => requests::stages_to_record(conn, limit),
                Job::EscalateOverdue => requests::overdue(conn, &ctx, after.as_deref(), limit),
                Job::AnnounceReviews => {
                    requests::reviews_to_announce(conn, &ctx, after.as_deref(), limit)
                }
                _ => requests::due_to_end(conn, &ctx, after.as_deref(), limit),
            })
            .await;
            let mut due = match found {
                Ok(due) => due,
                Err(e) => {
                    fail(&mut batch, e);
                    return batch;
                }
            };
            batch.full = due.len() as i64 == limit;
            batch.last_item = due.last().cloned();
            // Instances that found the same batch work through it in different orders, so that
            // they seldom reach for the same request at the same moment.
            due.shuffle(&mut rand::rng());
            for id in due {
                let ctx = Context {
                    now: app::now(),
                    ..base
                };
                let step = db::run_background(pool, pace.yield_for, move |conn| match job {
                    Job::RecountDeadlines => requests::recount_one(conn, &id, &ctx),
                    Job::EscalateOverdue => requests::escalate_one(conn, &id, &ctx),
                    Job::AnnounceReviews => requests::announce_review_one(conn, &id, &ctx),
                    Job::IndexForSearch => requests::index_one(conn, &id),
                    Job::RecordStages => requests::record_stages_one(conn, &id, &ctx),
                    _ => requests::end_one(conn, &id, &ctx),
                })
                .await;
                match step {
                    Ok(true) => batch.done += 1,
                    Ok(false) => batch.skipped += 1,
                    Err(e) => fail(&mut batch, e),
                }
                tokio::time::sleep(pace.pause).await;
            }
        }
        Job::PurgeSessions | Job::PurgeIdempotencyKeys => {
            let now = ctx.now;
            let purged = db::run_background(pool, pace.yield_for, move |conn| {
                db::write(conn, |conn| purge(conn, job, now, limit))
            })
            .await;
            match purged {
                Ok((found, deleted)) => {
                    batch.done = deleted;
                    batch.skipped = found - deleted;
                    batch.full = found as i64 == limit;
                }
                Err(e) => fail(&mut batch, e),
            }
            tokio::time::sleep(pace.pause).await;
        }
    }
    batch
}

/// One purge step: up to `limit` expired rows (on PostgreSQL, skipping rows another instance is
/// deleting), deleted in the caller's transaction. Answers (found, deleted).
fn purge(
    conn: &mut DbConnection,
    job: Job,
    now: NaiveDateTime,
    limit: i64,
) -> Result<(usize, usize), AppError> {
    Ok(match job {
        Job::PurgeSessions => {
            let ids = sessions::expired(conn, now, limit)?;
            (ids.len(), sessions::delete_expired(conn, &ids, now)?)
        }
        Job::PurgeIdempotencyKeys => {
            let keys = idempotency::expired(conn, now, limit)?;
            let mut deleted = 0;
            for (user, key) in &keys {
                deleted += idempotency::delete_expired(conn, user, key, now)?;
            }
            (keys.len(), deleted)
        }
        Job::EndMeasures
        | Job::RecountDeadlines
        | Job::EscalateOverdue
        | Job::AnnounceReviews
        | Job::IndexForSearch
        | Job::RecordStages => (0, 0),
    })
}

/// Each job's backlog and last run, for the administrators' page.
#[derive(Debug, Clone)]
pub struct JobStatus {
    pub job: Job,
    /// Items due now, counted up to `BACKLOG_CAP`.
    pub backlog: i64,
    pub last: Option<JobRow>,
}

/// Backlogs are counted no further than this (the page says "more than").
pub const BACKLOG_CAP: i64 = 10_000;

pub fn status(conn: &mut DbConnection, ctx: &Context) -> Result<Vec<JobStatus>, AppError> {
    let rows = portal_jobs::all(conn)?;
    Job::ALL
        .into_iter()
        .map(|job| {
            Ok(JobStatus {
                job,
                backlog: job.backlog(conn, ctx, BACKLOG_CAP + 1)?,
                last: rows.iter().find(|r| r.job == job.code()).cloned(),
            })
        })
        .collect()
}

/// Runs every job for as long as the process runs: a batch of each in turn; a job whose batch
/// was full goes on at the next turn, and when no job found a full batch the scheduler sleeps
/// `interval_seconds`.
pub async fn run(pool: Pool, settings: Arc<Settings>) {
    let base = Context::now_under(&settings);
    let pace = Pace::from_settings(&settings.scheduler);
    let interval = Duration::from_secs(settings.scheduler.interval_seconds);
    let instance = format!("scheduler-{}", uuid::Uuid::new_v4().simple());
    let mut next_due = [Instant::now(); Job::ALL.len()];
    // Per job: where its next batch starts. A full batch moves it on, so that items whose steps
    // keep failing do not hold back the ones behind them; a batch that was not full starts the
    // next pass from the beginning.
    let mut cursors: [Option<String>; Job::ALL.len()] = Default::default();
    // Per job: since when it has been working off a backlog, and how many steps so far.
    let mut bursts: [Option<(Instant, usize)>; Job::ALL.len()] = [None; Job::ALL.len()];
    loop {
        let mut soonest = Instant::now() + interval;
        for (i, job) in Job::ALL.into_iter().enumerate() {
            if Instant::now() < next_due[i] {
                soonest = soonest.min(next_due[i]);
                continue;
            }
            let started = app::now();
            let batch = run_batch(&pool, job, pace, base, cursors[i].take()).await;
            if batch.full {
                cursors[i] = batch.last_item.clone();
            }
            let finished = app::now();
            report(&pool, job, &batch, started, finished, &instance, pace).await;
            bursts[i] = follow_burst(&pool, job, &batch, bursts[i], pace, base).await;
            // A full batch goes on at once (from where it stopped); one in which nothing could be
            // done goes on after a short pause, so that the scheduler never spins.
            next_due[i] = if batch.full && batch.done > 0 {
                Instant::now()
            } else if batch.full {
                Instant::now() + Duration::from_secs(1).min(interval)
            } else {
                Instant::now() + interval
            };
            soonest = soonest.min(next_due[i]);
        }
        tokio::time::sleep_until(soonest.into()).await;
    }
}

/// Tells the operator log when a job meets a backlog (how many items wait) and when it has
/// worked it off (how many steps, how long); answers the burst's state after `batch`.
async fn follow_burst(
    pool: &Pool,
    job: Job,
    batch: &Batch,
    burst: Option<(Instant, usize)>,
    pace: Pace,
    base: Context,
) -> Option<(Instant, usize)> {
    match (burst, batch.full) {
        (None, false) => None,
        (None, true) => {
            let ctx = Context {
                now: app::now(),
                ..base
            };
            let waiting = db::run_background(pool, pace.yield_for, move |conn| {
                job.backlog(conn, &ctx, BACKLOG_CAP + 1)
            })
            .await;
            match waiting {
                Ok(n) if n > BACKLOG_CAP => tracing::info!(
                    job = job.code(),
                    waiting = n,
                    "portal job: a backlog of more than {BACKLOG_CAP} to work off"
                ),
                Ok(n) => tracing::info!(
                    job = job.code(),
                    waiting = n,
                    "portal job: a backlog to work off"
                ),
                Err(e) => {
                    tracing::warn!(job = job.code(), error = %e, "counting a portal job's backlog failed")
                }
            }
            Some((Instant::now(), batch.done))
        }
        (Some((since, done)), true) => Some((since, done + batch.done)),
        (Some((since, done)), false) => {
            tracing::info!(
                job = job.code(),
                done = done + batch.done,
                seconds = since.elapsed().as_secs(),
                "portal job caught up"
            );
            None
        }
    }
}

/// Writes a batch to `portal_jobs` (every run, so that administrators see the scheduler is alive)
/// and, when it did something, to the operator log.
async fn report(
    pool: &Pool,
    job: Job,
    batch: &Batch,
    started: NaiveDateTime,
    finished: NaiveDateTime,
    instance: &str,
    pace: Pace,
) {
    if batch.failed > 0 {
        tracing::warn!(
            job = job.code(),
            done = batch.done,
            skipped = batch.skipped,
            failed = batch.failed,
            error = batch.error.as_deref().unwrap_or(""),
            "portal job: some steps failed; they are tried again in a later batch"
        );
    } else if batch.done + batch.skipped > 0 {
        tracing::info!(
            job = job.code(),
            done = batch.done,
            skipped = batch.skipped,
            more = batch.full,
            "portal job batch"
        );
    }
    let (job_code, error, instance) = (job.code(), batch.error.clone(), instance.to_owned());
    let (done, failed) = (batch.done as i32, batch.failed as i32);
    let recorded = db::run_background(pool, pace.yield_for, move |conn| {
        db::write(conn, |conn| {
            portal_jobs::record(
                conn,
                &Run {
                    job: job_code,
                    started_at: started,
                    finished_at: finished,
                    done,
                    failed,
                    error: error.as_deref(),
                    instance: &instance,
                },
            )
        })
    })
    .await;
    if let Err(e) = recorded {
        tracing::warn!(job = job.code(), error = %e, "recording a portal job's run failed");
    }
}
