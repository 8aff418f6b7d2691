//! Queries of the police's operations: reviews falling due, a mission's threat levels, and the
//! requests a changed threat level puts up for review.

use super::fixed::code;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{mission_threat_levels, requests};
use super::{DbConnection, DbError};
use crate::domain::Classification;
use crate::domain::request::ThreatLevel;

type DbResult<T> = Result<T, DbError>;

/// Requests in effect whose review day has come and that the portal has not announced for that
/// day, in id order after `after`, at most `limit`.
pub fn reviews_to_announce(
    conn: &mut DbConnection,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<String>> {
    requests::table
        .filter(requests::state.eq(code("in_effect")))
        .filter(requests::next_review_on.le(today))
        .filter(
            requests::review_announced_for
                .is_null()
                .or(requests::review_announced_for.ne(requests::next_review_on)),
        )
        .filter(requests::id.gt(after.unwrap_or("")))
        .order(requests::id.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)
        .map_err(DbError::from)
}

/// Makes the review of every request of `mission_id` in effect due on `today` (a changed threat
/// level): the portal then announces each as due. Not a change of the request's content: the
/// version stays. Answers how many requests it put up for review.
pub fn review_now(conn: &mut DbConnection, mission_id: &str, today: NaiveDate) -> DbResult<usize> {
    diesel::update(
        requests::table
            .filter(requests::mission_id.eq(mission_id))
            .filter(requests::state.eq(code("in_effect"))),
    )
    .set((
        requests::next_review_on.eq(Some(today)),
        requests::review_announced_for.eq(None::<NaiveDate>),
    ))
    .execute(conn)
    .map_err(DbError::from)
}

/// A threat level as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mission_threat_levels)]
pub struct ThreatLevelRow {
    pub id: String,
    pub mission_id: String,
    pub level: ThreatLevel,
    pub note: String,
    pub classification: Classification,
    pub declassify_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = mission_threat_levels)]
pub struct NewThreatLevel<'a> {
    pub id: &'a str,
    pub mission_id: &'a str,
    pub level: &'a str,
    pub note: &'a str,
    pub classification: &'a str,
    pub declassify_on: NaiveDate,
    pub recorded_by: &'a str,
    pub recorded_at: NaiveDateTime,
}

pub fn insert_threat_level(conn: &mut DbConnection, row: &NewThreatLevel<'_>) -> DbResult<()> {
    diesel::insert_into(mission_threat_levels::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// A mission's threat levels, newest first, at most `limit`.
pub fn threat_levels_of(
    conn: &mut DbConnection,
    mission_id: &str,
    limit: i64,
) -> DbResult<Vec<ThreatLevelRow>> {
    mission_threat_levels::table
        .filter(mission_threat_levels::mission_id.eq(mission_id))
        .order((
            mission_threat_levels::recorded_at.desc(),
            mission_threat_levels::id.desc(),
        ))
        .limit(limit)
        .select(ThreatLevelRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}
