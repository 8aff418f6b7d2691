//! Statistics' queries (product.md § 14): each figure a sum the database makes with `GROUP BY`
//! over an index (`requests_statistics_idx`, `measures_statistics_idx`, the two indexes of
//! `request_stages`), never rows loaded to be counted here; and the stage records every step
//! writes, with the backlog of requests stored before them.
//!
//! The period's bounds are written into the SQL as literals: they are instants and dates the
//! portal made itself (never text a person typed), and month buckets written with binds would
//! differ between the select list and `GROUP BY` on PostgreSQL.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use super::schema::{request_stages, statistics_backlog};
use super::{DbConnection, DbResult};
use crate::domain::statistics::{Counted, StageRecord};

/// The SQL condition on `requests` (aliased `alias`) for the requests counted.
fn on_requests(counted: Counted, alias: &str) -> String {
    match counted {
        Counted::Submitted => format!("{alias}state <> 'draft'"),
        Counted::ReachedPolice => format!("{alias}reached_police = TRUE"),
    }
}

/// The SQL condition on `request_stages` for the requests counted.
fn on_stages(counted: Counted) -> &'static str {
    match counted {
        Counted::Submitted => "1 = 1",
        Counted::ReachedPolice => "reached_police = TRUE",
    }
}

fn instant(at: NaiveDateTime) -> String {
    format!("'{}'", at.format("%Y-%m-%d %H:%M:%S"))
}

fn day(on: NaiveDate) -> String {
    format!("'{}'", on.format("%Y-%m-%d"))
}

/// Replaces the stage records of a request with `records` (inside the step's transaction).
pub fn record_stages(
    conn: &mut DbConnection,
    request_id: &str,
    records: &[StageRecord],
    reached_police: bool,
) -> DbResult<()> {
    diesel::delete(request_stages::table.filter(request_stages::request_id.eq(request_id)))
        .execute(conn)?;
    // One row at a time: a request has at most four stages (the seeder's bulk insert goes
    // through each engine's own connection instead).
    for r in records {
        diesel::insert_into(request_stages::table)
            .values((
                request_stages::request_id.eq(request_id),
                request_stages::stage.eq(r.stage.code()),
                request_stages::began_on.eq(r.began_on),
                request_stages::due_on.eq(r.due_on),
                request_stages::ended_on.eq(r.ended_on),
                request_stages::working_days.eq(r.working_days.map(|d| d as i32)),
                request_stages::reached_police.eq(reached_police),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Requests stored before stage records existed, up to `limit`, in id order.
pub fn backlog(conn: &mut DbConnection, limit: i64) -> DbResult<Vec<String>> {
    Ok(statistics_backlog::table
        .order(statistics_backlog::request_id.asc())
        .limit(limit)
        .select(statistics_backlog::request_id)
        .load(conn)?)
}

/// Takes a request off the backlog (its stages are recorded).
pub fn done_with(conn: &mut DbConnection, request_id: &str) -> DbResult<()> {
    diesel::delete(statistics_backlog::table.find(request_id)).execute(conn)?;
    Ok(())
}

/// Requests by the month (0-based within the boundaries) they were submitted, state and partial
/// approval.
#[derive(Debug, Clone, QueryableByName)]
pub struct MonthCount {
    #[diesel(sql_type = Integer)]
    pub month: i32,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Bool)]
    pub partly_approved: bool,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Requests submitted from `starts[0]` up to `end`, by the month they fall in (`starts` are the
/// months' first instants, in order), state and partial approval.
pub fn by_month(
    conn: &mut DbConnection,
    counted: Counted,
    starts: &[NaiveDateTime],
    end: NaiveDateTime,
) -> DbResult<Vec<MonthCount>> {
    let Some(first) = starts.first() else {
        return Ok(Vec::new());
    };
    let bucket = if starts.len() == 1 {
        "0".to_owned()
    } else {
        let mut case = String::from("CASE");
        for (n, next) in starts.iter().skip(1).enumerate() {
            case.push_str(&format!(" WHEN submitted_at < {} THEN {n}", instant(*next)));
        }
        case + &format!(" ELSE {} END", starts.len() - 1)
    };
    let sql = format!(
        "SELECT {bucket} AS month, state, partly_approved, COUNT(*) AS n FROM requests \
         WHERE submitted_at >= {} AND submitted_at < {} AND {} GROUP BY 1, 2, 3",
        instant(*first),
        instant(end),
        on_requests(counted, "")
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Requests of one country in a state.
#[derive(Debug, Clone, QueryableByName)]
pub struct CountryCount {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Bool)]
    pub partly_approved: bool,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Requests submitted from `from` up to `end`, by their mission's country, state and partial
/// approval: counted by mission from the index, then the missions' countries joined.
pub fn by_country(
    conn: &mut DbConnection,
    counted: Counted,
    (from, end): (NaiveDateTime, NaiveDateTime),
) -> DbResult<Vec<CountryCount>> {
    let sql = format!(
        "SELECT m.country AS country, x.state AS state, x.partly_approved AS partly_approved, \
         CAST(SUM(x.n) AS BIGINT) AS n FROM (SELECT mission_id, state, partly_approved, \
         COUNT(*) AS n FROM requests WHERE submitted_at >= {} AND submitted_at < {} AND {} \
         GROUP BY 1, 2, 3) x JOIN missions m ON m.id = x.mission_id GROUP BY 1, 2, 3",
        instant(from),
        instant(end),
        on_requests(counted, "")
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Measures of one kind with one outcome.
#[derive(Debug, Clone, QueryableByName)]
pub struct KindCount {
    #[diesel(sql_type = Nullable<Text>)]
    pub kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The measures asked for in requests submitted from `from` up to `end`, by kind and outcome.
pub fn by_kind(
    conn: &mut DbConnection,
    counted: Counted,
    (from, end): (NaiveDateTime, NaiveDateTime),
) -> DbResult<Vec<KindCount>> {
    let sql = format!(
        "SELECT ms.kind AS kind, ms.outcome AS outcome, COUNT(*) AS n FROM requests r \
         JOIN measures ms ON ms.request_id = r.id WHERE r.submitted_at >= {} \
         AND r.submitted_at < {} AND {} GROUP BY 1, 2",
        instant(from),
        instant(end),
        on_requests(counted, "r.")
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Stages that ended after so many working days, on or after their due date.
#[derive(Debug, Clone, QueryableByName)]
pub struct EndedCount {
    #[diesel(sql_type = Text)]
    pub stage: String,
    #[diesel(sql_type = Integer)]
    pub working_days: i32,
    /// Ended on or before its due date.
    #[diesel(sql_type = Bool)]
    pub met: bool,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The stages that ended from `from` up to `end`, by stage, working days and whether they met
/// their due date.
pub fn ended(
    conn: &mut DbConnection,
    counted: Counted,
    (from, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<EndedCount>> {
    let sql = format!(
        "SELECT stage, working_days, CASE WHEN ended_on <= due_on THEN TRUE ELSE FALSE END AS met, \
         COUNT(*) AS n FROM request_stages \
         WHERE ended_on >= {} AND ended_on < {} AND working_days IS NOT NULL AND {} \
         GROUP BY 1, 2, 3",
        day(from),
        day(end),
        on_stages(counted)
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Stages not ended past their due date.
#[derive(Debug, Clone, QueryableByName)]
pub struct OverdueCount {
    #[diesel(sql_type = Text)]
    pub stage: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The stages not ended whose due date lies from `from` up to `end` (before today: `end` is at
/// most today), by stage.
pub fn overdue(
    conn: &mut DbConnection,
    counted: Counted,
    (from, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<OverdueCount>> {
    let sql = format!(
        "SELECT stage, COUNT(*) AS n FROM request_stages \
         WHERE due_on >= {} AND due_on < {} AND ended_on IS NULL AND {} GROUP BY 1",
        day(from),
        day(end),
        on_stages(counted)
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// After a bulk load (the seeder): refreshes PostgreSQL's planner statistics of every table, as
/// autovacuum would in time (without them, a request's timeline read by its index was planned
/// as a parallel scan of thousands of rows), and the visibility map of the tables the figures
/// are read from, so that they are read from their indexes alone.
pub fn analyze(conn: &mut DbConnection) -> DbResult<()> {
    // SQLite plans these queries well without statistics; gathering them would change the plans
    // of every other query.
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("ANALYZE").execute(pg)?;
        diesel::sql_query("VACUUM requests, measures, request_stages").execute(pg)?;
    }
    Ok(())
}
