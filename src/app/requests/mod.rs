//! Requests: drafting, every life-cycle action, messages and notes, lists and queues, and
//! reading a request as one person may see it. Each change is one transaction: the policy and
//! the workflow table are asked, the version is checked, and the change, its timeline event, its
//! security-log entry and its notifications are written together or not at all. What a viewer
//! may see is decided in `domain::disclosure`; the views handed out here are already redacted.

mod attachments;
mod audience;
mod decisions;
mod details;
mod draft;
mod due;
mod expiry;
mod list;
mod messages;
mod payload;
mod portal;
mod queues;
mod review;
mod search;
mod transition;
mod view;

pub use attachments::{
    AttachmentView, Download, Limits as AttachmentLimits, Upload, UploadChoices, add_attachment,
    attachment_chunk, attachments, may_attach, open_attachment, remove_attachment,
};
pub use details::{EventView, PersonView};
pub use draft::{
    create_draft, create_draft_viewed, discard, file_again, missing_for_submission,
    storable_as_draft, update, update_viewed,
};
pub use due::{
    count_overdue, escalate_one, escalate_overdue, overdue, record_stages_one, recount_one,
    stages_to_record, to_recount,
};
pub use expiry::{count_due_to_end, due_to_end, end_expired, end_one};
pub use list::{
    Besides, COUNT_CAP, ListPage, OFFSET_MAX, PageAt, RequestSummary, TAB_COUNT_CAP, list,
    list_with, mission_names, queue_filters,
};
pub use messages::{MessageInput, add_message};
pub(crate) use messages::{marking, required_text};
pub use payload::{
    AssessmentInput, ImplementedInput, NoteInput, OutcomeInput, Payload, TransitionFields,
    TransitionInput, carries,
};
pub use queues::{Queue, queue_filter, queues, with_status};
pub use review::{announce_review_one, count_reviews_to_announce, reviews_to_announce};
pub use search::{CANDIDATES, Found, FoundIn, count_unindexed, index_one, unindexed};
pub use transition::{perform, perform_viewed};
pub use view::{
    AssessmentItem, Contact, Decision, MeasureView, MessageItem, Name, RequestView, TimelineItem,
    view,
};

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::db::requests::{self as store, RequestRow};
use crate::db::{self, DbConnection};
use crate::domain::access::Actor;
use crate::domain::disclosure::{self, RequestScope};
use crate::domain::request::MeasureKind;
use crate::domain::workflow::Facts;
use crate::domain::{Classification, FieldError, deadlines, time};

/// What every change needs to know besides its input.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now: NaiveDateTime,
    /// The highest classification this installation may hold.
    pub ceiling: Classification,
    /// How many working days each stage gets (`[deadlines]`).
    pub rules: deadlines::Rules,
}

impl Context {
    /// The context of a change made now under these settings.
    pub fn now_under(settings: &crate::settings::Settings) -> Context {
        Context {
            now: crate::app::now(),
            ceiling: settings.ceiling(),
            rules: crate::domain::deadlines::Rules {
                review_interval_days: settings.review.interval_days,
                ..settings.deadlines.rules()
            },
        }
    }

    pub fn today(&self) -> NaiveDate {
        time::oslo_date(self.now)
    }
}

/// Adapts `finish`, which wants the request as `actor` sees it, to the hook of a change's
/// transaction, which hands over the stored row: the one place the `*_viewed` functions build
/// that view, inside the change's own transaction.
fn seen_by<'a, T>(
    actor: &'a Actor,
    ctx: &'a Context,
    finish: impl FnOnce(&mut DbConnection, RequestView) -> Result<T, AppError> + 'a,
) -> impl FnOnce(&mut DbConnection, RequestRow) -> Result<T, AppError> + 'a {
    move |conn, row| {
        let seen = view(conn, actor, &row.id, ctx)?;
        finish(conn, seen)
    }
}

/// The measure kinds offered in forms, in order.
pub fn measure_kinds() -> &'static [MeasureKind] {
    &MeasureKind::ALL
}

fn scope_of(row: &RequestRow) -> RequestScope<'_> {
    RequestScope {
        mission_id: &row.mission_id,
        state: row.state,
        reached_police: row.reached_police,
        referred_to_pst: row.referred_to_pst,
    }
}

/// The request if `actor` may know it exists; otherwise `NotFound`, exactly as for an unused id
/// (the refusal of an existing request is written to the security log).
fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    row: Option<RequestRow>,
    now: NaiveDateTime,
) -> Result<RequestRow, AppError> {
    let row = row.ok_or(AppError::NotFound)?;
    if disclosure::may_see_request(actor, &scope_of(&row)) {
        return Ok(row);
    }
    refused(
        conn,
        actor,
        ("request", row.id.to_string()),
        json!({ "answered": 404 }),
        now,
    )
}

/// Writes to the security log that `actor` was refused `target` (its type and id), and answers
/// `NotFound`, as for something that does not exist.
fn refused<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    (target_type, target_id): (&'static str, String),
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<T, AppError> {
    db::write(conn, |conn| {
        audit::record(
            conn,
            &Entry {
                event: "access_denied",
                outcome: "denied",
                actor_user_id: Some(actor.user_id.clone()),
                actor_org: Some(actor.role.organisation().to_owned()),
                target_type: Some(target_type),
                target_id: Some(target_id),
                detail,
                ..Entry::default()
            },
            now,
        )
        .map_err(AppError::from)
    })?;
    Err(AppError::NotFound)
}

/// The version `actor` states: the request's own, or for mission staff the number of steps they
/// see, which moves only with changes visible to them.
fn seen_version(conn: &mut DbConnection, actor: &Actor, row: &RequestRow) -> Result<i32, AppError> {
    if disclosure::counts_visible_steps(actor) {
        Ok(store::mission_visible_events(conn, row.id.as_str())? as i32)
    } else {
        Ok(row.version)
    }
}

fn facts(row: &RequestRow, measures: &[store::MeasureRow], version: i32) -> Facts {
    Facts {
        state: row.state,
        version,
        mission_id: row.mission_id.clone(),
        any_measure_approved: measures.iter().any(is_approved),
    }
}

/// Whether the police approved a measure (with or without conditions).
pub(super) fn is_approved(m: &store::MeasureRow) -> bool {
    m.outcome.is_some_and(|o| o.is_approval())
}

fn invalid(errors: Vec<FieldError>) -> AppError {
    AppError::Invalid(errors)
}

fn stale() -> AppError {
    AppError::Conflict("The request has changed since you opened it. Reload it to see the changes, then try again.".into())
}
