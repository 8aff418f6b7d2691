//! Queries on `portal_jobs`: the last run of each of the portal's own jobs. (The batches those
//! jobs take are queried where their rows live: `requests`, `sessions`, `idempotency`.)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::portal_jobs;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = portal_jobs)]
pub struct JobRow {
    pub job: String,
    pub last_started_at: NaiveDateTime,
    pub last_finished_at: NaiveDateTime,
    pub last_done: i32,
    pub last_failed: i32,
    /// When a step last failed, and its first error; kept until the next failure.
    pub last_failed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_instance: String,
    pub total_done: i64,
}

/// One batch's record.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub job: &'a str,
    pub started_at: NaiveDateTime,
    pub finished_at: NaiveDateTime,
    pub done: i32,
    pub failed: i32,
    pub error: Option<&'a str>,
    pub instance: &'a str,
}

/// Records a batch as the job's last run (adding its count to the total; a failure also as the
/// last failure), in the caller's transaction.
pub fn record(conn: &mut DbConnection, run: &Run<'_>) -> DbResult<()> {
    // The row exists from the job's first run on; two instances may make it at the same moment,
    // so the insert runs in a savepoint of its own and a duplicate is simply ignored.
    let exists: Option<String> = portal_jobs::table
        .find(run.job)
        .select(portal_jobs::job)
        .first(conn)
        .optional()?;
    if exists.is_none() {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(portal_jobs::table)
                .values((
                    portal_jobs::job.eq(run.job),
                    portal_jobs::last_started_at.eq(run.started_at),
                    portal_jobs::last_finished_at.eq(run.finished_at),
                    portal_jobs::last_done.eq(0),
                    portal_jobs::last_failed.eq(0),
                    portal_jobs::last_instance.eq(run.instance),
                    portal_jobs::total_done.eq(0_i64),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_)
            | Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(DbError::from(e)),
        }
    }
    diesel::update(portal_jobs::table.find(run.job))
        .set((
            portal_jobs::last_started_at.eq(run.started_at),
            portal_jobs::last_finished_at.eq(run.finished_at),
            portal_jobs::last_done.eq(run.done),
            portal_jobs::last_failed.eq(run.failed),
            portal_jobs::last_instance.eq(run.instance),
            portal_jobs::total_done.eq(portal_jobs::total_done + i64::from(run.done)),
        ))
        .execute(conn)?;
    if run.failed > 0 {
        diesel::update(portal_jobs::table.find(run.job))
            .set((
                portal_jobs::last_failed_at.eq(Some(run.finished_at)),
                portal_jobs::last_error.eq(run.error),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn all(conn: &mut DbConnection) -> DbResult<Vec<JobRow>> {
    portal_jobs::table
        .order(portal_jobs::job.asc())
        .select(JobRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}
