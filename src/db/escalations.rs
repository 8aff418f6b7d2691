//! Queries on deadlines: each request's current due date (kept on the request by every step),
//! the requests whose stage is overdue and not yet escalated, the requests counted with other
//! rules, and the one escalation of each stage.

use super::fixed::code;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::requests::NO_DUE_DATE;
use super::schema::{escalations, requests};
use super::{DbConnection, DbError};
use crate::domain::deadlines;
use crate::domain::workflow::State;

type DbResult<T> = Result<T, DbError>;

/// Stores the stage due now and its date (`None`: no stage is due), counted with `rules`. Not a
/// change of the request's content: the version stays.
pub fn set_due(
    conn: &mut DbConnection,
    request_id: &str,
    due: Option<(&str, NaiveDate)>,
    rules: &str,
) -> DbResult<()> {
    diesel::update(requests::table.find(request_id))
        .set((
            requests::due_on.eq(due.map_or(NO_DUE_DATE, |d| d.1)),
            requests::due_stage.eq(due.map(|d| d.0)),
            requests::due_rules.eq(rules),
        ))
        .execute(conn)?;
    Ok(())
}

/// Requests whose stage was due before `today` and has not been escalated, in (due date, id)
/// order after `after`, at most `limit`.
pub fn overdue(
    conn: &mut DbConnection,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<String>> {
    let escalated = escalations::table
        .filter(escalations::request_id.eq(requests::id))
        .filter(escalations::stage.nullable().eq(requests::due_stage));
    requests::table
        .filter(requests::due_stage.is_not_null())
        .filter(requests::due_on.lt(today))
        // The police's decision is escalated once the police hold the request
        // (`domain::deadlines::escalates`).
        .filter(
            requests::due_stage
                .ne("police_decision")
                .or(requests::state.eq(code("police_review"))),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(escalated)))
        .filter(requests::id.gt(after.unwrap_or("")))
        .order(requests::id.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)
        .map_err(DbError::from)
}

/// The states in which a stage may be due: those in which the reply is still pending
/// (`domain::deadlines::reply_pending`).
fn states_with_stages() -> Vec<&'static str> {
    State::ALL
        .into_iter()
        .filter(|s| deadlines::reply_pending(*s))
        .map(State::code)
        .collect()
}

/// Requests with a stage that may be due whose due date was counted with other rules than
/// `rules` (or never), at most `limit`.
pub fn to_recount(conn: &mut DbConnection, rules: &str, limit: i64) -> DbResult<Vec<String>> {
    requests::table
        .filter(requests::state.eq_any(states_with_stages()))
        .filter(
            requests::due_rules
                .is_null()
                .or(requests::due_rules.ne(rules)),
        )
        .order(requests::id.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)
        .map_err(DbError::from)
}

/// Whether `stage` of the request was escalated.
pub fn was_escalated(conn: &mut DbConnection, request_id: &str, stage: &str) -> DbResult<bool> {
    let found: Option<String> = escalations::table
        .find((request_id, stage))
        .select(escalations::stage)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Records the escalation of a stage (the key refuses a second one).
pub fn record(
    conn: &mut DbConnection,
    request_id: &str,
    stage: &str,
    due_on: NaiveDate,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::insert_into(escalations::table)
        .values((
            escalations::request_id.eq(request_id),
            escalations::stage.eq(stage),
            escalations::due_on.eq(due_on),
            escalations::escalated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
