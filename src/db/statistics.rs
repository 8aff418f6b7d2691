//! Statistics' queries (product.md § 14). The figures are read from sums the portal keeps
//! (`statistics_requests`, `statistics_missions`, `statistics_measures`, `statistics_stages`,
//! `statistics_open`: a few thousand rows for a period, whatever the number of requests), which
//! every step moves in its own transaction (`domain::statistics::Tally`) and `recount` makes
//! again from the requests. Here too: the stage records every step writes, and the backlog of
//! requests stored before them.
//!
//! The period's bounds and months are written into the SQL as literals: they are instants and
//! dates the portal made itself (never text a person typed), and month buckets written with
//! binds would differ between the select list and `GROUP BY` on PostgreSQL.

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text};

use super::schema::{request_stages, statistics_backlog};
use super::{DbConnection, DbResult};
use crate::domain::deadlines::Stage;
use crate::domain::statistics::{
    Counted, StageRecord, Tally, changes, first_of_month, stage_tally,
};
use crate::domain::time::{oslo_date, oslo_midnight_utc};

/// The SQL condition on a table of sums for the requests counted.
fn on_sums(counted: Counted) -> &'static str {
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

/// A stage as recorded.
#[derive(Debug, Clone, Queryable)]
struct StoredStage {
    stage: String,
    due_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    working_days: Option<i32>,
    reached_police: bool,
}

/// Replaces the stage records of a request with `records`, and moves the sums of ended stages
/// with them (inside the step's transaction).
pub fn record_stages(
    conn: &mut DbConnection,
    request_id: &str,
    records: &[StageRecord],
    reached_police: bool,
) -> DbResult<()> {
    let of_request = request_stages::request_id.eq(request_id);
    let stored: Vec<StoredStage> = request_stages::table
        .filter(of_request)
        .select((
            request_stages::stage,
            request_stages::due_on,
            request_stages::ended_on,
            request_stages::working_days,
            request_stages::reached_police,
        ))
        .load(conn)?;
    let before = stored
        .iter()
        .filter_map(|s| {
            stage_tally(
                Stage::parse(&s.stage)?,
                s.due_on,
                s.ended_on,
                s.working_days.map(|d| d.max(0) as u32),
                s.reached_police,
            )
        })
        .collect();
    let after = records
        .iter()
        .filter_map(|r| {
            stage_tally(
                r.stage,
                r.due_on,
                r.ended_on,
                r.working_days,
                reached_police,
            )
        })
        .collect();
    diesel::delete(request_stages::table.filter(of_request)).execute(conn)?;
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
    add(conn, &changes(before, after))
}

/// Runs `$sql` with its binds (`$1`, `$2`… in the order bound) on either engine.
macro_rules! bound {
    ($conn:expr, $sql:expr $(, $ty:ty => $value:expr)* $(,)?) => {
        match $conn {
            // SQLite reads `?1` where PostgreSQL reads `$1`.
            DbConnection::Sqlite(c) => diesel::sql_query($sql.replace('$', "?"))
                $(.bind::<$ty, _>($value))*
                .execute(c),
            DbConnection::Postgres(c) => diesel::sql_query($sql)
                $(.bind::<$ty, _>($value))*
                .execute(c),
        }
    };
}

/// `INSERT` of one sum of `table` keyed by `key` (bound in that order, then its change `n`),
/// or adding the change to the sum already there.
fn upsert(table: &str, key: &[&str]) -> String {
    let places: Vec<String> = (1..=key.len() + 1).map(|i| format!("${i}")).collect();
    let key = key.join(", ");
    format!(
        "INSERT INTO {table} ({key}, n) VALUES ({}) ON CONFLICT ({key}) \
         DO UPDATE SET n = {table}.n + excluded.n",
        places.join(", ")
    )
}

/// Moves the sums by `changes` (inside the step's transaction).
pub fn add(conn: &mut DbConnection, changes: &[(Tally, i64)]) -> DbResult<()> {
    for (tally, n) in changes {
        match tally {
            Tally::Request {
                month,
                state,
                partly_approved,
                reached_police,
            } => bound!(
                conn,
                upsert("statistics_requests", &["month", "state", "partly_approved", "reached_police"]),
                Date => month,
                Text => state.code(),
                Bool => partly_approved,
                Bool => reached_police,
                BigInt => n,
            ),
            Tally::Mission {
                month,
                mission_id,
                state,
                partly_approved,
                reached_police,
            } => bound!(
                conn,
                upsert("statistics_missions", &["month", "mission_id", "state", "partly_approved", "reached_police"]),
                Date => month,
                Text => mission_id,
                Text => state.code(),
                Bool => partly_approved,
                Bool => reached_police,
                BigInt => n,
            ),
            Tally::Open {
                due_on,
                stage,
                reached_police,
            } => bound!(
                conn,
                upsert("statistics_open", &["due_on", "stage", "reached_police"]),
                Date => due_on,
                Text => stage.code(),
                Bool => reached_police,
                BigInt => n,
            ),
            Tally::Measure {
                month,
                kind,
                outcome,
                reached_police,
            } => bound!(
                conn,
                upsert("statistics_measures", &["month", "kind", "outcome", "reached_police"]),
                Date => month,
                Text => kind,
                Text => outcome.unwrap_or(""),
                Bool => reached_police,
                BigInt => n,
            ),
            Tally::Stage {
                month,
                stage,
                working_days,
                met,
                reached_police,
            } => bound!(
                conn,
                upsert("statistics_stages", &["month", "stage", "working_days", "met", "reached_police"]),
                Date => month,
                Text => stage.code(),
                Integer => *working_days as i32,
                Bool => met,
                Bool => reached_police,
                BigInt => n,
            ),
        }?;
    }
    Ok(())
}

/// A date as each engine reads it in SQL: a literal of type date on PostgreSQL (a `CASE` of
/// text would not go into a date column), text on SQLite (where dates are text).
fn date_literal(conn: &DbConnection, on: NaiveDate) -> String {
    match conn {
        DbConnection::Postgres(_) => format!("DATE {}", day(on)),
        DbConnection::Sqlite(_) => day(on),
    }
}

/// Makes every sum again from the requests, their measures and their stage records (after the
/// migration that made the sums, after a bulk load, or when figures were changed by hand),
/// inside the caller's transaction. The Oslo month of each submission is told by the instants
/// the months begin, as the portal counts them.
pub fn recount(conn: &mut DbConnection) -> DbResult<()> {
    use super::schema::{
        requests, statistics_measures, statistics_missions, statistics_open, statistics_requests,
        statistics_stages,
    };
    use diesel::dsl::{max, min};
    if let DbConnection::Postgres(pg) = conn {
        // Steps wait while the sums are made again (they would add to rows about to be made).
        // The tables are locked one by one in the order a step writes them (its stages'
        // sums in `record_stages`, then its request's in `move_shares`, each in `Tally`'s
        // order), so that a step half-way through its writes never waits for a recount that
        // waits for it.
        diesel::sql_query(
            "LOCK TABLE statistics_open, statistics_stages, statistics_requests, \
             statistics_missions, statistics_measures IN EXCLUSIVE MODE",
        )
        .execute(pg)?;
    }
    diesel::delete(statistics_requests::table).execute(conn)?;
    diesel::delete(statistics_missions::table).execute(conn)?;
    diesel::delete(statistics_open::table).execute(conn)?;
    diesel::delete(statistics_measures::table).execute(conn)?;
    diesel::delete(statistics_stages::table).execute(conn)?;
    let (first, last): (Option<NaiveDateTime>, Option<NaiveDateTime>) = requests::table
        .filter(requests::submitted_at.is_not_null())
        .select((min(requests::submitted_at), max(requests::submitted_at)))
        .first(conn)?;
    if let (Some(first), Some(last)) = (first, last) {
        let (first, last) = (
            first_of_month(oslo_date(first)),
            first_of_month(oslo_date(last)),
        );
        let mut month = first;
        let mut whens = String::new();
        while month < last {
            let next = month + Months::new(1);
            whens.push_str(&format!(
                " WHEN r.submitted_at < {} THEN {}",
                instant(oslo_midnight_utc(next)),
                date_literal(conn, month)
            ));
            month = next;
        }
        let case = if whens.is_empty() {
            date_literal(conn, last)
        } else {
            format!("CASE{whens} ELSE {} END", date_literal(conn, last))
        };
        diesel::sql_query(format!(
            "INSERT INTO statistics_missions \
             (month, mission_id, state, partly_approved, reached_police, n) \
             SELECT {case}, r.mission_id, r.state, r.partly_approved, r.reached_police, COUNT(*) \
             FROM requests r WHERE r.submitted_at IS NOT NULL AND r.state <> 'draft' \
             GROUP BY 1, 2, 3, 4, 5"
        ))
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO statistics_requests (month, state, partly_approved, reached_police, n) \
             SELECT month, state, partly_approved, reached_police, SUM(n) \
             FROM statistics_missions GROUP BY 1, 2, 3, 4",
        )
        .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO statistics_measures (month, kind, outcome, reached_police, n) \
             SELECT {case}, ms.kind, COALESCE(ms.outcome, ''), r.reached_police, COUNT(*) \
             FROM requests r JOIN measures ms ON ms.request_id = r.id \
             WHERE r.submitted_at IS NOT NULL AND r.state <> 'draft' AND ms.kind IS NOT NULL \
             GROUP BY 1, 2, 3, 4"
        ))
        .execute(conn)?;
    }
    let month_ended = match conn {
        DbConnection::Postgres(_) => "CAST(date_trunc('month', ended_on) AS DATE)",
        DbConnection::Sqlite(_) => "substr(ended_on, 1, 8) || '01'",
    };
    diesel::sql_query(format!(
        "INSERT INTO statistics_stages (month, stage, working_days, met, reached_police, n) \
         SELECT {month_ended}, stage, working_days, \
         CASE WHEN ended_on <= due_on THEN TRUE ELSE FALSE END, reached_police, COUNT(*) \
         FROM request_stages WHERE ended_on IS NOT NULL AND working_days IS NOT NULL \
         GROUP BY 1, 2, 3, 4, 5"
    ))
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO statistics_open (due_on, stage, reached_police, n) \
         SELECT due_on, stage, reached_police, COUNT(*) FROM request_stages \
         WHERE ended_on IS NULL GROUP BY 1, 2, 3",
    )
    .execute(conn)?;
    Ok(())
}

/// Makes the sums again when a migration asked for it (once, whichever instance starts first).
/// True when it did.
pub fn recount_if_asked(conn: &mut DbConnection) -> DbResult<bool> {
    use super::schema::statistics_recount;
    super::write(conn, |conn| {
        if diesel::delete(statistics_recount::table).execute(conn)? == 0 {
            return Ok(false);
        }
        recount(conn)?;
        Ok(true)
    })
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

/// Requests of a month in a state (with or without partial approval).
#[derive(Debug, Clone, QueryableByName)]
pub struct MonthCount {
    /// The month's first day.
    #[diesel(sql_type = Date)]
    pub month: NaiveDate,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Bool)]
    pub partly_approved: bool,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The requests submitted in the months from `first` up to `end` (first days), by month, state
/// and partial approval.
pub fn by_month(
    conn: &mut DbConnection,
    counted: Counted,
    (first, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<MonthCount>> {
    let sql = format!(
        "SELECT month, state, partly_approved, CAST(SUM(n) AS BIGINT) AS n \
         FROM statistics_requests WHERE month >= {} AND month < {} AND {} GROUP BY 1, 2, 3",
        day(first),
        day(end),
        on_sums(counted)
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

/// The requests submitted in the months from `first` up to `end`, by their mission's country
/// (as it is now), state and partial approval.
pub fn by_country(
    conn: &mut DbConnection,
    counted: Counted,
    (first, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<CountryCount>> {
    let sql = format!(
        "SELECT m.country AS country, x.state AS state, x.partly_approved AS partly_approved, \
         CAST(SUM(x.n) AS BIGINT) AS n FROM statistics_missions x \
         JOIN missions m ON m.id = x.mission_id \
         WHERE x.month >= {} AND x.month < {} AND {} GROUP BY 1, 2, 3",
        day(first),
        day(end),
        on_sums(counted)
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Measures of one kind with one outcome.
#[derive(Debug, Clone, QueryableByName)]
pub struct KindCount {
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The stored decision; `None` while undecided.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The measures asked for in requests submitted in the months from `first` up to `end`, by
/// kind and outcome.
pub fn by_kind(
    conn: &mut DbConnection,
    counted: Counted,
    (first, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<KindCount>> {
    let sql = format!(
        "SELECT kind, NULLIF(outcome, '') AS outcome, CAST(SUM(n) AS BIGINT) AS n \
         FROM statistics_measures WHERE month >= {} AND month < {} AND {} GROUP BY 1, 2",
        day(first),
        day(end),
        on_sums(counted)
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

/// The stages that ended in the months from `first` up to `end`, by stage, working days and
/// whether they met their due date.
pub fn ended(
    conn: &mut DbConnection,
    counted: Counted,
    (first, end): (NaiveDate, NaiveDate),
) -> DbResult<Vec<EndedCount>> {
    let sql = format!(
        "SELECT stage, working_days, met, CAST(SUM(n) AS BIGINT) AS n FROM statistics_stages \
         WHERE month >= {} AND month < {} AND {} GROUP BY 1, 2, 3",
        day(first),
        day(end),
        on_sums(counted)
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
        "SELECT stage, CAST(SUM(n) AS BIGINT) AS n FROM statistics_open \
         WHERE due_on >= {} AND due_on < {} AND {} GROUP BY 1",
        day(from),
        day(end),
        on_sums(counted)
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// After a bulk load (the seeder): refreshes PostgreSQL's planner statistics of every table, as
/// autovacuum would in time (without them, a request's timeline read by its index was planned
/// as a parallel scan of thousands of rows), and the visibility map of the largest tables, so
/// that what is counted over their indexes (a list's bounded count) is read from the indexes
/// alone.
pub fn analyze(conn: &mut DbConnection) -> DbResult<()> {
    // SQLite plans these queries well without statistics; gathering them would change the plans
    // of every other query.
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("ANALYZE").execute(pg)?;
        diesel::sql_query("VACUUM requests, measures, request_stages").execute(pg)?;
    }
    Ok(())
}
