//! The police calendar's query: approved measures running on some day of a period, within a
//! viewer's need-to-know scope, read by the index in the calendar's order (`calendar_until`, the
//! last day each runs, then its start).

use super::fixed::code;
use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::requests::{NO_DUE_DATE, Scope};
use super::schema::{measures, missions, request_events, requests};
use super::{DbConnection, DbError, DbResult};
use crate::domain::request::{Location, MeasureKind};
use crate::domain::workflow::State;

/// One approved measure as the calendar reads it.
#[derive(Debug, Clone, Queryable)]
pub struct CalendarRow {
    pub measure_id: String,
    pub request_id: String,
    pub position: i32,
    pub kind: Option<MeasureKind>,
    pub location: Option<Location>,
    pub address: Option<String>,
    pub starts_on: Option<NaiveDate>,
    /// The last day it runs (`NO_DUE_DATE`: until further notice).
    pub until: Option<NaiveDate>,
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    pub implemented_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub reference: Option<String>,
    pub state: State,
    pub mission_id: String,
    pub mission_name: String,
    pub venue: Option<String>,
    pub venue_address: Option<String>,
}

impl CalendarRow {
    /// The last day it runs; `None` until further notice.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.until.filter(|u| *u < NO_DUE_DATE)
    }
}

/// What a calendar is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct CalendarFilter {
    pub kind: Option<String>,
    pub mission_id: Option<String>,
}

/// The approved measures running on a day from `from` to `to` within `scope`, in order of start,
/// request and position; at most `limit`.
///
/// Every measure in the calendar belongs to a request that reached the police (only approved
/// ones are in it), so for the MFA and the police, when no mission is chosen, the measures are
/// picked from their own index alone, and only the `limit` picked are joined to their requests:
/// the cost follows the page, not how many measures run in the period.
pub fn running(
    conn: &mut DbConnection,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    filter: &CalendarFilter,
    limit: i64,
) -> DbResult<Vec<CalendarRow>> {
    let sees_every_measure = matches!(scope, Scope::Submitted | Scope::ReachedPolice);
    let picked: Option<Vec<String>> = if sees_every_measure && filter.mission_id.is_none() {
        let mut ids = measures::table
            .filter(measures::calendar_until.ge(from))
            .filter(measures::starts_on.le(to))
            .into_boxed::<super::MultiBackend>();
        if let Some(kind) = &filter.kind {
            ids = ids.filter(measures::kind.eq(kind.clone()));
        }
        Some(
            ids.order((
                measures::starts_on.asc(),
                measures::request_id.asc(),
                measures::position.asc(),
            ))
            .limit(limit)
            .select(measures::id)
            .load(conn)?,
        )
    } else {
        None
    };
    let mut q = measures::table
        .inner_join(requests::table.inner_join(missions::table))
        .left_join(request_events::table.on(request_events::request_id.eq(measures::request_id)))
        .filter(measures::calendar_until.ge(from))
        .filter(measures::starts_on.le(to))
        .into_boxed::<super::MultiBackend>();
    q = match scope {
        Scope::Mission(id) => q.filter(requests::mission_id.eq(id.clone())),
        Scope::Submitted => q.filter(requests::state.ne(code("draft"))),
        Scope::ReachedPolice => q.filter(requests::reached_police),
        Scope::ReferredToPst => q.filter(requests::referred_to_pst),
        Scope::Nothing => q.filter(sql::<Bool>("1 = 0")),
    };
    if let Some(kind) = &filter.kind {
        q = q.filter(measures::kind.eq(kind.clone()));
    }
    if let Some(m) = &filter.mission_id {
        q = q.filter(requests::mission_id.eq(m.clone()));
    }
    if let Some(ids) = picked {
        q = q.filter(measures::id.eq_any(ids));
    }
    q.order((
        measures::starts_on.asc(),
        measures::request_id.asc(),
        measures::position.asc(),
    ))
    .limit(limit)
    .select((
        measures::id,
        measures::request_id,
        measures::position,
        measures::kind,
        measures::location,
        measures::address,
        measures::starts_on,
        measures::calendar_until,
        measures::from_time,
        measures::until_time,
        measures::implemented_on,
        measures::ended_on,
        requests::reference,
        requests::state,
        requests::mission_id,
        missions::name,
        request_events::venue.nullable(),
        request_events::address.nullable(),
    ))
    .load::<CalendarRow>(conn)
    .map_err(DbError::from)
}
