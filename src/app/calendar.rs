//! The police calendar (product.md § 13): approved measures by day for a period, within the viewer's
//! need-to-know scope, for the page, the JSON API and the iCalendar feed. Missions are answered
//! 404. The feed's entries carry only what may leave the portal for a phone: the reference, the
//! measure's kind and its times.

use chrono::{NaiveDate, NaiveDateTime};

use crate::app::AppError;
use crate::db::DbConnection;
use crate::db::calendar::{self as store, CalendarFilter, CalendarRow};
use crate::domain::access::{self, Actor, Capability};
use crate::domain::calendar::{self, Period, Status};
use crate::domain::disclosure;
use crate::domain::ids::RequestId;
use crate::domain::request::{Location, MeasureKind};

/// The most measures one calendar reads (each shows on every day it runs): beyond it the page
/// asks for a narrower filter. Oslo's missions rarely have more than a few dozen at once.
pub const ENTRY_CAP: i64 = 250;

/// The most entries (a measure on a day) one calendar shows; beyond it the page asks for a
/// narrower filter, so that no page grows past a reader or the server's memory.
pub const DAY_ENTRY_CAP: usize = 1_500;

/// An approved measure on one day.
#[derive(Debug, Clone)]
pub struct Entry {
    pub request_id: RequestId,
    pub reference: String,
    pub mission_id: String,
    pub mission_name: String,
    pub measure_id: String,
    pub kind: Option<MeasureKind>,
    /// The place: the event's venue for event security, else the measure's location.
    pub location: Option<Location>,
    pub place: Option<String>,
    /// Daily hours (`HH:MM`, Oslo), when the measure has them.
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    /// The local start and end on this day (the end the next day past midnight).
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub status: Status,
}

/// One day of the calendar.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub entries: Vec<Entry>,
}

/// The calendar of a period.
#[derive(Debug, Clone)]
pub struct CalendarView {
    pub period: Period,
    pub days: Vec<Day>,
    /// More measures run in the period than the calendar reads (`ENTRY_CAP`).
    pub truncated: bool,
}

/// A measure over the days of a period it runs, for the iCalendar feed: one event per measure and
/// run of days with the same hours.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub measure_id: String,
    pub reference: String,
    pub kind: Option<MeasureKind>,
    pub first_day: NaiveDate,
    /// The last day within the period.
    pub last_day: NaiveDate,
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    pub status: Status,
}

fn check(actor: &Actor) -> Result<(), AppError> {
    access::authorise(actor, Capability::ViewCalendar).map_err(|_| AppError::NotFound)
}

fn rows(
    conn: &mut DbConnection,
    actor: &Actor,
    period: Period,
    filter: &CalendarFilter,
) -> Result<(Vec<CalendarRow>, bool), AppError> {
    check(actor)?;
    let scope = disclosure::list_scope(actor);
    let mut rows = store::running(
        conn,
        &scope,
        (period.from, period.to),
        filter,
        ENTRY_CAP + 1,
    )?;
    let truncated = rows.len() as i64 > ENTRY_CAP;
    rows.truncate(ENTRY_CAP as usize);
    Ok((rows, truncated))
}

fn place(r: &CalendarRow) -> Option<String> {
    let venue = r.venue.as_deref().filter(|v| !v.trim().is_empty());
    match (r.kind, venue, r.location) {
        (Some(MeasureKind::EventSecurity), Some(v), _) => Some(match r.venue_address.as_deref() {
            Some(a) if !a.trim().is_empty() => format!("{v}, {a}"),
            _ => v.to_owned(),
        }),
        (_, _, Some(Location::Other)) => r.address.clone(),
        _ => None,
    }
}

/// The calendar of `period` for `actor`, narrowed by `filter`, on `today`.
pub fn calendar(
    conn: &mut DbConnection,
    actor: &Actor,
    period: Period,
    filter: &CalendarFilter,
    today: NaiveDate,
) -> Result<CalendarView, AppError> {
    let (rows, mut truncated) = rows(conn, actor, period, filter)?;
    let mut shown = 0usize;
    let mut days: Vec<Day> = period
        .days()
        .map(|date| Day {
            date,
            entries: Vec::new(),
        })
        .collect();
    for r in &rows {
        let Some(starts_on) = r.starts_on else {
            continue;
        };
        let status = calendar::status(r.state, r.implemented_on, r.ended_on, today);
        for date in calendar::days_within(starts_on, r.last_day(), period) {
            if shown == DAY_ENTRY_CAP {
                truncated = true;
                break;
            }
            shown += 1;
            let (starts_at, ends_at) =
                calendar::hours_on(date, r.from_time.as_deref(), r.until_time.as_deref());
            let index = (date - period.from).num_days() as usize;
            days[index].entries.push(Entry {
                request_id: RequestId::from(r.request_id.as_str()),
                reference: r.reference.clone().unwrap_or_default(),
                mission_id: r.mission_id.clone(),
                mission_name: r.mission_name.clone(),
                measure_id: r.measure_id.clone(),
                kind: r.kind,
                location: r.location,
                place: place(r),
                from_time: r.from_time.clone(),
                until_time: r.until_time.clone(),
                starts_at,
                ends_at,
                status,
            });
        }
    }
    // Within a day, by the hour each begins, then by reference.
    for day in &mut days {
        day.entries
            .sort_by(|a, b| (a.starts_at, &a.reference).cmp(&(b.starts_at, &b.reference)));
    }
    Ok(CalendarView {
        period,
        days,
        truncated,
    })
}

/// The feed of `period` for `actor`: each approved measure once, over the days of the period it
/// runs. Only the reference, the kind and the times leave with it.
pub fn feed(
    conn: &mut DbConnection,
    actor: &Actor,
    period: Period,
    today: NaiveDate,
) -> Result<Vec<FeedItem>, AppError> {
    let (rows, _) = rows(conn, actor, period, &CalendarFilter::default())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let starts_on = r.starts_on?;
            let mut days = calendar::days_within(starts_on, r.last_day(), period);
            let first_day = days.next()?;
            let last_day = days.last().unwrap_or(first_day);
            Some(FeedItem {
                status: calendar::status(r.state, r.implemented_on, r.ended_on, today),
                measure_id: r.measure_id,
                reference: r.reference.unwrap_or_default(),
                kind: r.kind,
                first_day,
                last_day,
                from_time: r.from_time,
                until_time: r.until_time,
            })
        })
        .collect())
}
