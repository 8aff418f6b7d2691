//! Deadlines as the portal keeps them (product.md § 11): a request's history read from its timeline,
//! its due dates counted by `domain::deadlines`, the current stage's due date kept on the request
//! by every step (so that queues sort by it), and the portal's own steps on them: counting again
//! what was counted with other rules, and escalating a stage the first time it is overdue.

use chrono::{NaiveDate, NaiveDateTime};

use super::Context;
use super::portal::escalate_by_the_portal;
use crate::app::AppError;
use crate::db::details::Details;
use crate::db::requests::{self as store, EventRow, MeasureRow, RequestRow};
use crate::db::{self, DbConnection, details, escalations, statistics};
use crate::domain::deadlines::{self, Deadline, History};
use crate::domain::ids::RequestId;
use crate::domain::time::oslo_date;
use crate::domain::workflow::{Action, State};

/// When protection is needed: the earliest start of a measure or of the event.
pub(super) fn needed_by(measures: &[MeasureRow], details: &Details) -> Option<NaiveDate> {
    needed_from(measures, details.event.as_ref().and_then(|e| e.starts_at))
}

fn needed_from(measures: &[MeasureRow], event_starts: Option<NaiveDateTime>) -> Option<NaiveDate> {
    deadlines::needed_by(
        measures
            .iter()
            .map(|m| m.starts_on)
            .chain([event_starts.map(|at| at.date())]),
    )
}

/// The history the deadlines are counted from, read from the timeline; `None` for a request not
/// submitted, or with nothing to protect on a date.
pub(super) fn history(
    row: &RequestRow,
    needed_by: Option<NaiveDate>,
    events: &[EventRow],
) -> Option<History> {
    let needed_by = needed_by?;
    let submitted_on = oslo_date(row.submitted_at?);
    let on = |e: &EventRow| oslo_date(e.at);
    let is = |e: &EventRow, actions: &[Action]| actions.iter().any(|a| a.code() == e.action);
    let first = |actions: &[Action]| events.iter().find(|e| is(e, actions)).map(on);
    let last = |actions: &[Action]| events.iter().rev().find(|e| is(e, actions)).map(on);
    let last_referral = events.iter().rev().find(|e| is(e, &[Action::ReferToPst]));
    let referred_on = last_referral.map(on);
    // The assessment that answers the latest referral (compared as instants: a referral on the
    // day of an earlier assessment is not answered by it).
    let assessed_on = events
        .iter()
        .rev()
        .find(|e| is(e, &[Action::SubmitAssessment]))
        .filter(|a| last_referral.is_some_and(|r| a.at > r.at))
        .map(on);
    let mut waits = Vec::new();
    for e in events {
        let into = e.to_state == State::AwaitingMission;
        let from = e.from_state == Some(State::AwaitingMission);
        if into && !from {
            waits.push((on(e), None));
        } else if from
            && !into
            && let Some(open) = waits.last_mut().filter(|w| w.1.is_none())
        {
            open.1 = Some(on(e));
        }
    }
    Some(History {
        needed_by,
        urgent: row.urgency == crate::domain::request::Urgency::Urgent,
        submitted_on,
        triaged_on: first(&[
            Action::ForwardToPolice,
            Action::RequestInformation,
            Action::Reject,
        ]),
        forwarded_on: first(&[Action::ForwardToPolice]),
        referred_on,
        pst_due_on: row.pst_due_on,
        assessed_on,
        decided_on: last(&[Action::Decide]),
        replied_on: first(&[Action::CommunicateDecision]),
        waits,
    })
}

/// The day `actor` may expect the reply, while it is pending (counted from the history they may
/// know: `disclosure::reply_date_history`).
pub(super) fn reply_expected_by(
    actor: &crate::domain::access::Actor,
    row: &RequestRow,
    needed_by: Option<NaiveDate>,
    events: &[EventRow],
    ctx: &Context,
) -> Option<NaiveDate> {
    if !deadlines::reply_pending(row.state) {
        return None;
    }
    let h = crate::domain::disclosure::reply_date_history(actor, &history(row, needed_by, events)?);
    deadlines::deadlines(&h, &ctx.rules, ctx.today())
        .into_iter()
        .find(|d| d.stage == deadlines::Stage::Reply)
        .map(|d| d.due_on)
}

/// A request's deadlines as they stand today (empty for a draft or a request without dates).
pub(super) fn deadlines_of(
    row: &RequestRow,
    needed_by: Option<NaiveDate>,
    events: &[EventRow],
    ctx: &Context,
) -> Vec<Deadline> {
    history(row, needed_by, events)
        .map(|h| deadlines::deadlines(&h, &ctx.rules, ctx.today()))
        .unwrap_or_default()
}

/// Counts the current due date of `row` (as it stands after a step; its measures' start dates are
/// `measures'`) again and keeps it on the request, inside the caller's transaction: every step
/// does, so that queues and escalation read it from the row. Answers the row as now stored.
pub(super) fn refresh(
    conn: &mut DbConnection,
    mut row: RequestRow,
    measures: &[MeasureRow],
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    let id = row.id.to_string();
    let needed = needed_from(measures, details::event_start(conn, &id)?);
    let events = store::events_of(conn, &id)?;
    let list = record_stages(conn, &row, needed, &events, ctx)?;
    let current = deadlines::current(row.state, &list);
    let rules = ctx.rules.fingerprint();
    escalations::set_due(
        conn,
        &id,
        current.map(|d| (d.stage.code(), d.due_on)),
        &rules,
    )?;
    row.due_on = current.map_or(crate::db::requests::NO_DUE_DATE, |d| d.due_on);
    row.due_stage = current.map(|d| d.stage.code().to_owned());
    row.due_rules = Some(rules);
    Ok(row)
}

/// Counts the deadlines of `row` and records how each stage stands for the statistics
/// (`domain::statistics::stage_records`), replacing what was recorded; answers the deadlines.
fn record_stages(
    conn: &mut DbConnection,
    row: &RequestRow,
    needed_by: Option<NaiveDate>,
    events: &[EventRow],
    ctx: &Context,
) -> Result<Vec<Deadline>, AppError> {
    let Some(h) = history(row, needed_by, events) else {
        if row.state != State::Draft {
            statistics::record_stages(conn, row.id.as_str(), &[], row.reached_police)?;
        }
        return Ok(Vec::new());
    };
    let list = deadlines::deadlines(&h, &ctx.rules, ctx.today());
    let records = crate::domain::statistics::stage_records(&h, &list, row.state);
    statistics::record_stages(conn, row.id.as_str(), &records, row.reached_police)?;
    Ok(list)
}

/// Up to `limit` requests stored before stage records existed.
pub fn stages_to_record(conn: &mut DbConnection, limit: i64) -> Result<Vec<String>, AppError> {
    Ok(statistics::backlog(conn, limit)?)
}

/// Records the stages of one request stored before stage records existed, in a transaction of
/// its own. False when a step holds the request at this moment (the next round takes it).
pub fn record_stages_one(
    conn: &mut DbConnection,
    id: &str,
    ctx: &Context,
) -> Result<bool, AppError> {
    db::write(conn, |conn| {
        if !store::lock_unless_taken(conn, id)? {
            return Ok(false);
        }
        if let Some(row) = store::find(conn, id)? {
            let measures = store::measures_of(conn, id)?;
            let needed = needed_from(&measures, details::event_start(conn, id)?);
            let events = store::events_of(conn, id)?;
            record_stages(conn, &row, needed, &events, ctx)?;
        }
        statistics::done_with(conn, id)?;
        Ok(true)
    })
}

/// `refresh` for a request known by its id.
pub(super) fn refresh_by_id(
    conn: &mut DbConnection,
    id: &str,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    let measures = store::measures_of(conn, id)?;
    refresh(conn, row, &measures, ctx)
}

/// Up to `limit` requests whose current stage is overdue and not yet escalated, after `after`.
pub fn overdue(
    conn: &mut DbConnection,
    ctx: &Context,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, AppError> {
    Ok(escalations::overdue(conn, ctx.today(), after, limit)?)
}

/// How many requests wait for an escalation, counting no further than `cap`.
pub fn count_overdue(conn: &mut DbConnection, ctx: &Context, cap: i64) -> Result<i64, AppError> {
    Ok(overdue(conn, ctx, None, cap)?.len() as i64)
}

/// Escalates one request's overdue stage through the life-cycle pipeline, with the portal as the
/// actor, in a transaction of its own. False when there was nothing to do: not overdue (any
/// more), already escalated, or being escalated by another instance at this moment.
pub fn escalate_one(conn: &mut DbConnection, id: &str, ctx: &Context) -> Result<bool, AppError> {
    escalate_by_the_portal(conn, &RequestId::from(id), ctx)
}

/// Escalates every overdue stage at once, unpaced: for tests of the rule itself (`serve` and
/// `worker` take these steps through the scheduler). Each stage is escalated once, however many
/// callers run this at the same time.
pub fn escalate_overdue(conn: &mut DbConnection, ctx: &Context) -> Result<usize, AppError> {
    let mut done = 0;
    for id in overdue(conn, ctx, None, 10_000)? {
        if escalate_one(conn, &id, ctx)? {
            done += 1;
        }
    }
    Ok(done)
}

/// Up to `limit` requests whose due date was counted with other rules (or not yet counted).
pub fn to_recount(
    conn: &mut DbConnection,
    ctx: &Context,
    limit: i64,
) -> Result<Vec<String>, AppError> {
    Ok(escalations::to_recount(
        conn,
        &ctx.rules.fingerprint(),
        limit,
    )?)
}

/// Counts one request's due date again under the current rules, in a transaction of its own.
pub fn recount_one(conn: &mut DbConnection, id: &str, ctx: &Context) -> Result<bool, AppError> {
    db::write(conn, |conn| {
        if !store::lock_unless_taken(conn, id)? {
            return Ok(false);
        }
        refresh_by_id(conn, id, ctx)?;
        Ok(true)
    })
}
