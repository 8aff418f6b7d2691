//! Drafting: a mission starts a request, changes it while it is a draft or while the MFA waits
//! for more information, and discards a draft.

use chrono::NaiveDateTime;

use super::{Context, RequestView, invalid, seen_by, stale, visible};
use crate::app::AppError;
use crate::db::requests::{
    self as store, NewEvent, NewMeasure, NewRequest, RequestContent, RequestRow,
};
use crate::db::{self, DbConnection};
use crate::domain::FieldError;
use crate::domain::Role;
use crate::domain::access::Actor;
use crate::domain::event::format_clock;
use crate::domain::ids::RequestId;
use crate::domain::request::{self, RequestInput, Strictness, ValidRequest};
use crate::domain::workflow::{self, State};

fn new_measures<'a>(
    request_id: &'a str,
    valid: &'a ValidRequest,
    ids: &'a [String],
) -> Vec<NewMeasure<'a>> {
    valid
        .measures
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(i, (m, id))| NewMeasure {
            id,
            request_id,
            position: i as i32,
            kind: m.kind.map(|k| k.code()),
            location: m.location.map(|l| l.code()),
            address: m.address.as_deref(),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            description: &m.description,
            from_time: m.from_time.map(format_clock),
            until_time: m.until_time.map(format_clock),
        })
        .collect()
}

/// Appends a step to the request's history: who took it (and, for `take`, whom it assigned),
/// the action and what it was about where the action does not say (an escalation's stage);
/// `(from, to)` are the states around it.
pub(super) fn event(
    conn: &mut DbConnection,
    request_id: &str,
    (actor_id, assignee_id): (Option<&str>, Option<&str>),
    (action, detail): (&str, Option<&str>),
    (from, to): (Option<State>, State),
    mission_visible: bool,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    store::insert_event(
        conn,
        &NewEvent {
            id: &db::new_id(),
            request_id,
            at: now,
            actor_id,
            action,
            from_state: from.map(State::code),
            to_state: to.code(),
            mission_visible,
            assignee_id,
            detail,
        },
    )?;
    Ok(())
}

/// Starts a new draft from a request the actor's mission filed before ("File again", for a
/// yearly event): its content and measures, every date a year later. Another mission's request
/// does not exist for the actor (404, as everywhere).
pub fn file_again(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    if actor.role != Role::MissionStaff {
        return Err(AppError::Forbidden);
    }
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, ctx.now)?;
    let measures = store::measures_of(conn, id.as_str())?;
    let details = db::details::of(conn, id.as_str())?;
    let again = request::filed_again(&super::details::stored_input(&row, &measures, &details));
    create_draft(conn, actor, &again, ctx)
}

/// Every rule submission checks, at once: "Continue" shows all that is still missing or wrong
/// in one pass, never a second set after the first is fixed.
pub fn missing_for_submission(input: &RequestInput, ctx: &Context) -> Vec<FieldError> {
    request::validate(input, Strictness::Submission, ctx.today())
        .err()
        .unwrap_or_default()
}

/// Whether the typed request may be kept as a draft (well-formed, if incomplete).
pub fn storable_as_draft(input: &RequestInput, ctx: &Context) -> bool {
    request::validate(input, Strictness::Draft, ctx.today()).is_ok()
}

/// Starts a draft for the actor's own mission (the mission comes from the actor, never the input).
pub fn create_draft(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RequestInput,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    create_draft_with(conn, actor, input, ctx, |_, row| Ok(row))
}

/// Starts a draft as `create_draft` does, then hands `finish` the new request as the actor sees
/// it, inside the same transaction: what `finish` answers needs no database work once the
/// commit succeeds, and what it writes (a stored answer) is kept with the draft or not at all.
pub fn create_draft_viewed<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RequestInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestView) -> Result<T, AppError>,
) -> Result<T, AppError> {
    create_draft_with(conn, actor, input, ctx, seen_by(actor, ctx, finish))
}

fn create_draft_with<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RequestInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestRow) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if actor.role != Role::MissionStaff {
        return Err(AppError::Forbidden);
    }
    let mission_id = actor.mission_id.clone().ok_or(AppError::Forbidden)?;
    let valid = request::validate(input, Strictness::Draft, ctx.today()).map_err(invalid)?;
    let id = db::new_id();
    let measure_ids: Vec<String> = valid.measures.iter().map(|_| db::new_id()).collect();
    db::write(conn, |conn| {
        store::insert(
            conn,
            &NewRequest {
                id: &id,
                mission_id: &mission_id,
                state: State::Draft.code(),
                version: 1,
                title: &valid.title,
                justification: &valid.justification,
                urgency: valid.urgency.code(),
                contact_name: &valid.contact_name,
                contact_phone: &valid.contact_phone,
                contact_email: &valid.contact_email,
                note_verbale_number: valid.note_verbale.number.as_deref(),
                note_verbale_dated_on: valid.note_verbale.dated_on,
                created_by: &actor.user_id,
                created_at: ctx.now,
                updated_at: ctx.now,
            },
        )?;
        store::replace_measures(conn, &id, &new_measures(&id, &valid, &measure_ids))?;
        super::details::store_details(conn, (&id, true), &valid)?;
        db::search::refresh(conn, &id)?;
        event(
            conn,
            &id,
            (Some(actor.user_id.as_str()), None),
            ("create", None),
            (None, State::Draft),
            true,
            ctx.now,
        )?;
        let row = store::find(conn, &id)?.ok_or(AppError::NotFound)?;
        finish(conn, row)
    })
}

/// Changes a request's content: a draft (loosely checked), or one the MFA asked for more
/// information on (fully checked, since it has been submitted).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    seen_version: i32,
    input: &RequestInput,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    update_with(conn, actor, id, seen_version, input, ctx, |_, row| Ok(row))
}

/// Changes a request's content as `update` does, then hands `finish` the request as the actor
/// sees it, inside the same transaction (as `create_draft_viewed`).
pub fn update_viewed<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, seen_version): (&RequestId, i32),
    input: &RequestInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestView) -> Result<T, AppError>,
) -> Result<T, AppError> {
    update_with(
        conn,
        actor,
        id,
        seen_version,
        input,
        ctx,
        seen_by(actor, ctx, finish),
    )
}

fn update_with<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    seen_version: i32,
    input: &RequestInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestRow) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let found = store::find(conn, id.as_str())?;
    let state = visible(conn, actor, found, ctx.now)?.state;
    if actor.role != Role::MissionStaff {
        return Err(AppError::Forbidden);
    }
    if !workflow::editable(state) {
        return Err(AppError::NotNow(format!(
            "A request that is {} cannot be changed.",
            state.mission_status().label().to_lowercase()
        )));
    }
    let strictness = if state == State::Draft {
        Strictness::Draft
    } else {
        Strictness::Submission
    };
    let valid = request::validate(input, strictness, ctx.today()).map_err(invalid)?;
    let measure_ids: Vec<String> = valid.measures.iter().map(|_| db::new_id()).collect();
    db::write(conn, |conn| {
        let current = store::find_for_update(conn, id.as_str())?.ok_or(AppError::NotFound)?;
        if super::seen_version(conn, actor, &current)? != seen_version {
            return Err(stale());
        }
        let content = RequestContent {
            title: &valid.title,
            justification: &valid.justification,
            urgency: valid.urgency.code(),
            contact_name: &valid.contact_name,
            contact_phone: &valid.contact_phone,
            contact_email: &valid.contact_email,
            note_verbale_number: valid.note_verbale.number.as_deref(),
            note_verbale_dated_on: valid.note_verbale.dated_on,
        };
        // A submitted request sent back to its mission counts its measures as now edited.
        let shares = if current.state == State::Draft {
            Vec::new()
        } else {
            crate::app::statistics::shares(&current, &store::measures_of(conn, id.as_str())?)
        };
        if !store::update_content(conn, id.as_str(), current.version, &content, ctx.now)? {
            return Err(stale());
        }
        store::replace_measures(
            conn,
            id.as_str(),
            &new_measures(id.as_str(), &valid, &measure_ids),
        )?;
        super::details::store_details(conn, (id.as_str(), false), &valid)?;
        db::search::refresh(conn, id.as_str())?;
        event(
            conn,
            id.as_str(),
            (Some(actor.user_id.as_str()), None),
            ("edit", None),
            (Some(state), state),
            true,
            ctx.now,
        )?;
        let row = store::find(conn, id.as_str())?.ok_or(AppError::NotFound)?;
        crate::app::statistics::move_shares(conn, shares, &row)?;
        finish(conn, row)
    })
}

/// Deletes a draft.
pub fn discard(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    seen_version: i32,
    ctx: &Context,
) -> Result<(), AppError> {
    let found = store::find(conn, id.as_str())?;
    let state = visible(conn, actor, found, ctx.now)?.state;
    if actor.role != Role::MissionStaff {
        return Err(AppError::Forbidden);
    }
    if !workflow::discardable(state) {
        return Err(AppError::NotNow(
            "Only a draft can be discarded; a submitted request can be withdrawn.".into(),
        ));
    }
    db::write(conn, |conn| {
        let current = store::find_for_update(conn, id.as_str())?.ok_or(AppError::NotFound)?;
        if super::seen_version(conn, actor, &current)? != seen_version {
            return Err(stale());
        }
        store::delete(conn, id.as_str())?;
        Ok(())
    })
}
