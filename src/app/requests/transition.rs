//! The one pipeline every step of the life cycle goes through, a person's or the portal's own:
//! load and lock the request, ask the table (`workflow::decide`), check what the action carries
//! and turn it into an `Effect`, apply the effect, then write the state change, the timeline
//! event, the security-log entry and the notices of the table's row — in one transaction.

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::audience::tell;
use super::decisions::{Decided, implemented, outcomes};
use super::details::stored_input;
use super::draft::event;
use super::messages::{insert_message, marking, optional_text, required_text};
use super::payload::{Payload, TransitionInput};
use super::{Context, RequestView, facts, invalid, seen_by, seen_version, stale, visible};
use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::db::requests::{self as store, MeasureRow, NewAssessment, RequestRow, StateChange};
use crate::db::{self, DbConnection, escalations, users};
use crate::domain::actor::{Actor, Performer};
use crate::domain::deadlines::Stage;
use crate::domain::disclosure;
use crate::domain::ids::{MeasureId, RequestId};
use crate::domain::request::{self, Strictness, ThreatLevel};
use crate::domain::review;
use crate::domain::workflow::{self, Action, Change, Refusal, State};
use crate::domain::{Classification, FieldError, Role};

/// What a step does besides moving the state, checked and ready to write.
pub(super) enum Effect {
    Submit,
    Take {
        assignee: String,
    },
    /// `request_information`, `provide_information`: a message between mission and Ministry.
    Message {
        body: String,
    },
    Reject {
        reason: String,
    },
    ForwardToPolice,
    ReturnToMfa {
        body: String,
        level: Classification,
        until: NaiveDate,
    },
    /// With the day PST's assessment is due, when the police set one.
    ReferToPst(Option<NaiveDate>),
    SubmitAssessment {
        level: ThreatLevel,
        summary: String,
        classification: Classification,
        until: NaiveDate,
    },
    Decide(Vec<Decided>),
    CommunicateDecision {
        reply: String,
        /// Some measures approved, some declined.
        partly_approved: bool,
    },
    /// With whether the measures need a periodic review (product.md § 13).
    ConfirmImplementation(Vec<(MeasureId, NaiveDate)>, bool),
    /// The police keep the measures after a review, with an internal note, until the next.
    Review {
        body: String,
        level: Classification,
        until: NaiveDate,
        next: NaiveDate,
    },
    /// By the portal: the review set for this day is due.
    ReviewDue(NaiveDate),
    /// By a person, today, with an optional internal reason.
    EndMeasures {
        reason: Option<String>,
    },
    /// By the portal: each measure ends on its own end date.
    EndOnTheirDates,
    Withdraw {
        reason: Option<String>,
    },
    /// By the portal: a stage passed its due date.
    Escalate {
        stage: Stage,
        due_on: NaiveDate,
    },
}

/// Checks what a person's action carries, before anything is written.
fn prepare(
    conn: &mut DbConnection,
    payload: &Payload,
    actor: &Actor,
    row: &RequestRow,
    measures: &[MeasureRow],
    ctx: &Context,
) -> Result<Effect, AppError> {
    let one = |e: FieldError| invalid(vec![e]);
    Ok(match payload {
        Payload::Submit => {
            request::validate(
                &stored_input(row, measures, &db::details::of(conn, row.id.as_str())?),
                Strictness::Submission,
                ctx.today(),
            )
            .map_err(invalid)?;
            Effect::Submit
        }
        Payload::Take { assignee_id } => {
            let assignee = match assignee_id.as_deref().filter(|a| !a.is_empty()) {
                None => actor.user_id.clone(),
                Some(other) => match users::find(conn, other)? {
                    Some(u) if u.active && u.role == Role::MfaOfficer.code() => u.id,
                    _ => {
                        return Err(one(FieldError::new(
                            "assignee_id",
                            "must be an active MFA officer",
                        )));
                    }
                },
            };
            Effect::Take { assignee }
        }
        Payload::RequestInformation { message } | Payload::ProvideInformation { message } => {
            Effect::Message {
                body: required_text("message", message.as_deref(), 10_000).map_err(one)?,
            }
        }
        Payload::Reject { reason } => Effect::Reject {
            reason: required_text("reason", reason.as_deref(), 10_000).map_err(one)?,
        },
        Payload::ForwardToPolice => Effect::ForwardToPolice,
        // The table lets only the portal escalate and announce reviews; this is never reached
        // for a person.
        Payload::Escalate | Payload::ReviewDue => return Err(AppError::Forbidden),
        Payload::ReturnToMfa { note } => {
            let body = required_text("note.body", Some(&note.body), 10_000);
            let mark = marking(
                actor,
                "note",
                &note.classification,
                note.declassify_on.as_deref(),
                Classification::Unclassified,
                ctx,
            );
            match (body, mark) {
                (Ok(body), Ok((level, until))) => Effect::ReturnToMfa { body, level, until },
                (b, m) => {
                    let mut errors: Vec<FieldError> = b.err().into_iter().collect();
                    errors.extend(m.err().unwrap_or_default());
                    return Err(invalid(errors));
                }
            }
        }
        Payload::ReferToPst { pst_due_on } => Effect::ReferToPst(
            super::decisions::pst_due_on(pst_due_on.as_deref(), ctx.today()).map_err(one)?,
        ),
        Payload::SubmitAssessment { assessment: a } => {
            let level = a
                .threat_level
                .parse::<ThreatLevel>()
                .map_err(|e| FieldError::new("assessment.threat_level", e));
            let summary = required_text("assessment.summary", Some(&a.summary), 10_000);
            let mark = marking(
                actor,
                "assessment",
                &a.classification,
                a.declassify_on.as_deref(),
                Classification::Restricted,
                ctx,
            );
            match (level, summary, mark) {
                (Ok(level), Ok(summary), Ok((classification, until))) => Effect::SubmitAssessment {
                    level,
                    summary,
                    classification,
                    until,
                },
                (l, s, m) => {
                    let mut errors: Vec<FieldError> = l.err().into_iter().collect();
                    errors.extend(s.err());
                    errors.extend(m.err().unwrap_or_default());
                    return Err(invalid(errors));
                }
            }
        }
        Payload::Decide { outcomes: given } => {
            Effect::Decide(outcomes(given, measures).map_err(invalid)?)
        }
        Payload::CommunicateDecision { reply } => Effect::CommunicateDecision {
            reply: required_text("reply", reply.as_deref(), 10_000).map_err(one)?,
            partly_approved: crate::domain::request::partly_approved(
                measures.iter().map(|m| m.outcome),
            ),
        },
        Payload::ConfirmImplementation { implemented: given } => Effect::ConfirmImplementation(
            implemented(
                given,
                measures,
                row.decided_at.map(crate::domain::time::oslo_date),
                ctx.today(),
            )
            .map_err(invalid)?,
            review::needs_review(
                measures
                    .iter()
                    .filter(|m| super::is_approved(m))
                    .map(|m| (m.starts_on, m.ends_on)),
                ctx.rules.review_interval_days,
            ),
        ),
        Payload::Review {
            note,
            next_review_on,
        } => {
            let body = required_text("note.body", Some(&note.body), 10_000);
            let mark = marking(
                actor,
                "note",
                &note.classification,
                note.declassify_on.as_deref(),
                Classification::Unclassified,
                ctx,
            );
            let next = review::next_review(
                next_review_on.as_deref(),
                ctx.today(),
                ctx.rules.review_interval_days,
            );
            match (body, mark, next) {
                (Ok(body), Ok((level, until)), Ok(next)) => Effect::Review {
                    body,
                    level,
                    until,
                    next,
                },
                (b, m, n) => {
                    let mut errors: Vec<FieldError> = b.err().into_iter().collect();
                    errors.extend(m.err().unwrap_or_default());
                    errors.extend(n.err());
                    return Err(invalid(errors));
                }
            }
        }
        Payload::EndMeasures { reason } => Effect::EndMeasures {
            reason: optional_text("reason", reason.as_deref(), 10_000).map_err(one)?,
        },
        Payload::Withdraw { reason } => Effect::Withdraw {
            reason: optional_text("reason", reason.as_deref(), 10_000).map_err(one)?,
        },
    })
}

/// Writes an effect's own records; returns the fields the state change sets and what the
/// security log records of it.
fn apply(
    conn: &mut DbConnection,
    effect: Effect,
    by: Performer<'_>,
    row: &RequestRow,
    change: &Change,
    ctx: &Context,
) -> Result<(StateChange, Value, Option<&'static str>), AppError> {
    let id = row.id.as_str();
    let mut step_detail = None;
    let now = ctx.now;
    let mut extra = StateChange::default();
    let mut detail = json!({});
    let author = match by {
        Performer::Person(actor) => Some(actor),
        Performer::Portal => None,
    };
    // Messages and notes are written by the person acting; the portal writes none.
    let say = |conn: &mut DbConnection, internal: bool, level, body: &str| match author {
        Some(actor) => insert_message(conn, id, actor, internal, level, body, now),
        None => Ok(()),
    };
    let unclassified = (Classification::Unclassified, None);
    match effect {
        Effect::Submit => {
            let year = ctx.today().year();
            let n = store::next_reference_number(conn, year)?;
            extra.reference = Some(format!("{year}/{n:05}"));
            extra.submitted_at = Some(now);
        }
        Effect::Take { assignee } => {
            detail = json!({ "assignee_id": assignee });
            extra.assigned_officer_id = Some(assignee);
        }
        Effect::Message { body } => say(conn, false, unclassified, &body)?,
        Effect::Reject { reason } => {
            say(conn, false, unclassified, &reason)?;
            extra.reply = Some(reason);
        }
        Effect::ForwardToPolice => extra.reached_police = Some(true),
        Effect::ReturnToMfa { body, level, until } => say(conn, true, (level, Some(until)), &body)?,
        Effect::ReferToPst(due) => {
            extra.referred_to_pst = Some(true);
            // Each referral states its own due date, or none (the rule then counts it).
            extra.pst_due_on = Some(due);
            extra.referred_by = author.map(|a| a.user_id.clone());
        }
        Effect::SubmitAssessment {
            level,
            summary,
            classification,
            until,
        } => {
            let author_id = by.user_id().unwrap_or_default().to_owned();
            store::insert_assessment(
                conn,
                &NewAssessment {
                    id: &db::new_id(),
                    request_id: id,
                    author_id: &author_id,
                    threat_level: level.code(),
                    summary: &summary,
                    classification: classification.code(),
                    declassify_on: until,
                    created_at: now,
                },
            )?;
        }
        Effect::Decide(decided) => {
            for (measure_id, outcome, conditions, reason) in &decided {
                store::set_outcome(
                    conn,
                    measure_id.as_str(),
                    outcome.code(),
                    conditions.as_deref(),
                    reason.as_deref(),
                )?;
            }
            extra.decided_at = Some(now);
        }
        Effect::CommunicateDecision {
            reply,
            partly_approved,
        } => {
            extra.reply = Some(reply);
            extra.partly_approved = Some(partly_approved);
            if change.to == State::Approved {
                store::open_in_calendar(conn, id)?;
            }
        }
        Effect::ConfirmImplementation(dates, reviewed) => {
            for (measure_id, d) in &dates {
                store::set_implemented(conn, measure_id.as_str(), *d)?;
            }
            extra.in_place_from = dates.iter().map(|(_, d)| *d).min();
            if reviewed {
                let next = review::first_review(ctx.today(), ctx.rules.review_interval_days);
                extra.next_review_on = Some(Some(next));
                detail = json!({ "next_review_on": next });
            }
        }
        Effect::Review {
            body,
            level,
            until,
            next,
        } => {
            say(conn, true, (level, Some(until)), &body)?;
            extra.next_review_on = Some(Some(next));
            detail = json!({ "next_review_on": next });
        }
        Effect::ReviewDue(on) => {
            extra.review_announced_for = Some(Some(on));
            detail = json!({ "review_on": on });
        }
        Effect::EndMeasures { reason } => {
            if let Some(r) = &reason {
                say(conn, true, unclassified, r)?;
            }
            store::end_measures(conn, id, ctx.today())?;
            extra.next_review_on = Some(None);
        }
        Effect::EndOnTheirDates => {
            store::end_measures_on_their_dates(conn, id)?;
            extra.next_review_on = Some(None);
        }
        Effect::Withdraw { reason } => {
            if let Some(r) = &reason {
                say(conn, false, unclassified, r)?;
            }
        }
        Effect::Escalate { stage, due_on } => {
            escalations::record(conn, id, stage.code(), due_on, now)?;
            detail = json!({ "stage": stage.code(), "due_on": due_on });
            step_detail = Some(stage.code());
        }
    }
    // A request that can go no further is closed.
    if change.to.is_final() {
        extra.closed_at = Some(now);
    }
    Ok((extra, detail, step_detail))
}

/// The refusal as the actor is told it. The state is named as the actor sees states, so a
/// mission never learns an internal one (such as a PST review) from a refusal.
fn refusal(r: Refusal, by: Performer<'_>, action: Action, state: State) -> AppError {
    match r {
        Refusal::NotVisible => AppError::NotFound,
        Refusal::WrongRole => AppError::Forbidden,
        Refusal::StaleVersion => stale(),
        Refusal::WrongState => {
            let role = match by {
                Performer::Person(actor) => actor.role,
                Performer::Portal => Role::Admin,
            };
            AppError::NotNow(format!(
                "\u{201c}{}\u{201d} is not possible while the request is {}.",
                action.label(),
                disclosure::status(role, state, false).label.to_lowercase()
            ))
        }
    }
}

/// The pipeline inside its transaction: `prepare` gives the effect once the table allowed the
/// step (a person's payload is checked there; the portal's steps carry nothing to check).
pub(super) fn run(
    conn: &mut DbConnection,
    by: Performer<'_>,
    id: &RequestId,
    action: Action,
    seen: Option<i32>,
    prepare: impl FnOnce(&mut DbConnection, &RequestRow, &[MeasureRow]) -> Result<Effect, AppError>,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    let row = store::find_for_update(conn, id.as_str())?.ok_or(AppError::NotFound)?;
    let measures = store::measures_of(conn, id.as_str())?;
    let shares = crate::app::statistics::shares(&row, &measures);
    let version = match by {
        Performer::Person(actor) => seen_version(conn, actor, &row)?,
        Performer::Portal => row.version,
    };
    let change = workflow::decide(
        &facts(&row, &measures, version),
        by,
        action,
        seen.unwrap_or(version),
    )
    .map_err(|r| refusal(r, by, action, row.state))?;
    let effect = prepare(conn, &row, &measures)?;
    let (extra, detail, step_detail) = apply(conn, effect, by, &row, &change, ctx)?;
    if !store::change_state(
        conn,
        id.as_str(),
        row.version,
        change.to.code(),
        &extra,
        ctx.now,
    )? {
        return Err(stale());
    }
    let assignee = extra
        .assigned_officer_id
        .as_deref()
        .filter(|_| action == Action::Take);
    event(
        conn,
        id.as_str(),
        (by.user_id(), assignee),
        (action.code(), step_detail),
        (Some(change.from), change.to),
        disclosure::step_visible_to_mission(action, change.from, change.to),
        ctx.now,
    )?;
    audit::record(
        conn,
        &Entry {
            event: "request_transition",
            outcome: "success",
            actor_user_id: by.user_id().map(str::to_owned),
            actor_org: Some(by.organisation().to_owned()),
            target_type: Some("request"),
            target_id: Some(id.to_string()),
            detail: match by {
                Performer::Person(_) => json!({
                    "action": action.code(),
                    "from": change.from.code(),
                    "to": change.to.code(),
                    "version": change.new_version,
                    "extra": detail,
                }),
                Performer::Portal => json!({
                    "action": action.code(),
                    "from": change.from.code(),
                    "to": change.to.code(),
                    "automatic": true,
                    "extra": detail,
                }),
            },
            ..Entry::default()
        },
        ctx.now,
    )?;
    let after = store::find(conn, id.as_str())?.ok_or(AppError::NotFound)?;
    let after = super::due::refresh(conn, after, &measures, ctx)?;
    crate::app::statistics::move_shares(conn, shares, &after)?;
    tell(conn, change.rule.notices, &after, change.to, by, ctx.now)?;
    Ok(after)
}

/// Carries out one life-cycle action (product.md § 5) for `actor`.
pub fn perform(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    input: &TransitionInput,
    ctx: &Context,
) -> Result<RequestId, AppError> {
    perform_with(conn, actor, id, input, ctx, |_, row| Ok(row.id))
}

/// Carries out the action as `perform` does, then hands `finish` the request as the actor sees
/// it after the step, inside the same transaction: what `finish` answers needs no database work
/// once the commit succeeds, and what it writes (a stored answer) is kept with the step or not at
/// all. (An actor who took a step always still sees the request: visibility only widens.)
pub fn perform_viewed<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    input: &TransitionInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestView) -> Result<T, AppError>,
) -> Result<T, AppError> {
    perform_with(conn, actor, id, input, ctx, seen_by(actor, ctx, finish))
}

fn perform_with<T>(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    input: &TransitionInput,
    ctx: &Context,
    finish: impl FnOnce(&mut DbConnection, RequestRow) -> Result<T, AppError>,
) -> Result<T, AppError> {
    // Visibility first, outside the write lock, so a refused look-up leaves its trace even when
    // the transaction below would roll back.
    let found = store::find(conn, id.as_str())?;
    visible(conn, actor, found, ctx.now)?;
    db::write(conn, |conn| {
        let row = run(
            conn,
            Performer::Person(actor),
            id,
            input.action(),
            Some(input.version),
            |conn, row, measures| prepare(conn, &input.payload, actor, row, measures, ctx),
            ctx,
        )?;
        finish(conn, row)
    })
}
