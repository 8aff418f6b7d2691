//! Reading one request as one person may see it: what `domain::disclosure` withholds from the
//! reader (outcomes, the reply, notes, assessments, names, steps of the history) is not in the
//! view at all. The request's own content, its mission and its assigned officer are seen by
//! everyone who may see the request.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::attachments::AttachmentView;
use super::details::{self, EventView, PersonView};
use super::{Context, facts, seen_version, visible};
use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::db::requests::{self as store, AssessmentRow};
use crate::db::{self, DbConnection, missions};
use crate::domain::access::Actor;
use crate::domain::deadlines::Deadline;
use crate::domain::disclosure::{
    self, AssessmentView, AttachmentRights, MessageRights, Named, Status,
};
use crate::domain::ids::{MeasureId, RequestId};
use crate::domain::request::{
    self, Location, MeasureKind, Outcome, RequestInput, Strictness, ThreatLevel, Urgency,
};
use crate::domain::review::{self, ReviewStatus};
use crate::domain::workflow::{self, Action, State};
use crate::domain::{Classification, FieldError, Role, deadlines};

/// Who did or wrote something, as the viewer may know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// A person's name, as they wrote it.
    Person(String),
    /// An organisation (in English; pages translate it), where the name is not the viewer's to
    /// see, or the portal itself.
    Organisation(&'static str),
}

impl Name {
    /// The name, or the organisation's English name.
    pub fn text(&self) -> &str {
        match self {
            Name::Person(name) => name,
            Name::Organisation(org) => org,
        }
    }
}

/// A timeline step as the viewer may see it.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub at: NaiveDateTime,
    pub by: Name,
    /// For an assignment: to whom.
    pub to: Option<Name>,
    /// What was done, in English.
    pub action: String,
    /// The status after the step, as the viewer sees statuses (English label).
    pub status: &'static str,
    /// Its code (for the tag's colour).
    pub status_code: &'static str,
}

#[derive(Debug, Clone)]
pub struct MessageItem {
    pub id: String,
    pub at: NaiveDateTime,
    pub by: Name,
    pub internal: bool,
    pub classification: Classification,
    pub declassify_on: Option<NaiveDate>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct AssessmentItem {
    pub id: String,
    pub at: NaiveDateTime,
    pub view: AssessmentView,
    pub threat_level: Option<ThreatLevel>,
    pub summary: Option<String>,
    pub by: Option<Name>,
    /// Shown with the level or the content; withheld with the bare existence.
    pub classification: Option<Classification>,
    pub declassify_on: Option<NaiveDate>,
}

/// The police's decision on a measure, when the viewer may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub conditions: Option<String>,
    /// Why the measure was declined, when the police said.
    pub decline_reason: Option<String>,
}

/// One measure as the viewer may see it.
#[derive(Debug, Clone)]
pub struct MeasureView {
    pub id: MeasureId,
    pub kind: Option<MeasureKind>,
    pub location: Option<Location>,
    pub address: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// Daily hours, `HH:MM` in Oslo.
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    pub description: String,
    /// The decision, once the viewer may read it.
    pub decision: Option<Decision>,
    pub implemented_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
}

impl MeasureView {
    /// Whether the police approved it (with or without conditions), as far as the viewer knows.
    pub fn is_approved(&self) -> bool {
        self.decision
            .as_ref()
            .is_some_and(|d| d.outcome.is_approval())
    }
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// A request as one person may see it, already redacted: presenters render it and decide
/// nothing about what it shows.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub id: RequestId,
    pub reference: Option<String>,
    pub mission_id: String,
    pub mission_name: String,
    pub title: String,
    pub justification: String,
    pub urgency: Urgency,
    pub contact: Contact,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub is_draft: bool,
    /// The status for this viewer (mission-facing for mission staff).
    pub status: Status,
    /// The version this viewer states when changing the request.
    pub version: i32,
    /// The assigned MFA officer: (id, name).
    pub assigned_officer: Option<(String, String)>,
    /// The formal reply (or the reasons for a rejection), once the viewer may read it.
    pub reply: Option<String>,
    /// Whether the measures carry the police's decisions for this viewer.
    pub outcomes_visible: bool,
    pub measures: Vec<MeasureView>,
    /// Threat assessments; `None` when the viewer is not told of assessments at all.
    pub assessments: Option<Vec<AssessmentItem>>,
    pub messages: Vec<MessageItem>,
    pub timeline: Vec<TimelineItem>,
    /// The highest classification shown, with the latest declassification date among those items.
    pub marking: Option<(Classification, Option<NaiveDate>)>,
    /// The actions the viewer can take now.
    pub actions: Vec<Action>,
    pub editable: bool,
    pub discardable: bool,
    /// MFA officers the request can be assigned to, when the viewer may take it: (id, name).
    pub assignable: Vec<(String, String)>,
    /// Which messages the viewer may write here.
    pub message_rights: MessageRights,
    /// The classifications the viewer may give a note or an assessment.
    pub classification_choices: Vec<Classification>,
    /// Whether the viewer is the mission (for wording only).
    pub addressed_as_mission: bool,
    /// For a draft: what submission still needs, each naming its field.
    pub missing_for_submission: Vec<FieldError>,
    /// When protection is needed: the earliest start of a measure.
    pub needed_by: Option<NaiveDate>,
    /// While the reply is pending: the day by which the mission may expect it.
    pub reply_expected_by: Option<NaiveDate>,
    /// Fewer working days of notice than the Ministry asks for (counted from submission, or from
    /// today for a draft).
    pub late_notice: bool,
    /// While the Ministry waits for the mission: the question it asked (its latest message to
    /// the mission).
    pub question: Option<String>,
    /// What the request is about besides its measures (seen by everyone who sees the request).
    pub event: Option<EventView>,
    pub protected_persons: Vec<PersonView>,
    pub note_verbale: Option<(String, Option<NaiveDate>)>,
    /// Every stage's due date, for the authorities (empty for missions and drafts).
    pub deadlines: Vec<Deadline>,
    /// The stage due now and whether it is overdue, for the authorities.
    pub due: Option<Deadline>,
    /// The files the viewer may know of, oldest first.
    pub attachments: Vec<AttachmentView>,
    /// Which files the viewer may add now.
    pub attachment_rights: AttachmentRights,
    /// Whether the request has its receipt (once submitted) and the Ministry's formal reply as
    /// a note verbale (once communicated).
    pub receipt_available: bool,
    pub formal_reply_available: bool,
    /// For the authorities, while the request is in effect: the day of the next periodic review
    /// and where it stands.
    pub review: Option<(NaiveDate, ReviewStatus)>,
    /// The longest interval between two reviews, in days (`[review]`).
    pub review_interval_days: u32,
    /// Whether the mission's name leads to its page for the authorities (threat level).
    pub mission_page_linked: bool,
}

impl RequestView {
    /// The content as typed input again (for the edit form).
    pub fn as_input(&self) -> RequestInput {
        RequestInput {
            title: self.title.clone(),
            justification: self.justification.clone(),
            urgency: self.urgency.code().to_owned(),
            contact_name: self.contact.name.clone(),
            contact_phone: self.contact.phone.clone(),
            contact_email: self.contact.email.clone(),
            measures: self
                .measures
                .iter()
                .map(|m| {
                    details::measure_input(
                        (m.kind, m.location, m.address.as_deref()),
                        (m.starts_on, m.ends_on),
                        (m.from_time.as_deref(), m.until_time.as_deref()),
                        &m.description,
                    )
                })
                .collect(),
            ..details::details_input(
                self.event.as_ref(),
                &self.protected_persons,
                self.note_verbale
                    .as_ref()
                    .map_or((None, None), |(n, d)| (Some(n.as_str()), *d)),
            )
        }
    }
}

fn timeline_label(action: &str) -> String {
    Action::parse(action)
        .map(|a| a.past().to_owned())
        .unwrap_or_else(|| match action {
            "create" => "Draft created".to_owned(),
            "edit" => "Request changed".to_owned(),
            other => other.replace('_', " "),
        })
}

/// Reads one request as `actor` may see it. Reading a classified note or assessment is written
/// to the security log.
pub fn view(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    ctx: &Context,
) -> Result<RequestView, AppError> {
    let now = ctx.now;
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, now)?;
    let state = row.state;
    let measures = store::measures_of(conn, id.as_str())?;
    let details = crate::db::details::of(conn, id.as_str())?;
    let mission_name = missions::find(conn, &row.mission_id)?
        .map(|m| m.name)
        .unwrap_or_default();
    let events = store::events_of(conn, id.as_str())?;
    let messages = store::messages_of(conn, id.as_str())?;
    let assessments = store::assessments_of(conn, id.as_str())?;
    let attachment_rows = crate::db::attachments::of_request(conn, id.as_str())?;

    let mut ids: Vec<String> = events
        .iter()
        .flat_map(|e| e.actor_id.iter().chain(e.assignee_id.iter()).cloned())
        .collect();
    ids.extend(messages.iter().map(|m| m.author_id.clone()));
    ids.extend(assessments.iter().map(|a| a.author_id.clone()));
    ids.extend(attachment_rows.iter().map(|a| a.uploaded_by.clone()));
    ids.extend(row.assigned_officer_id.clone());
    ids.sort();
    ids.dedup();
    let people: HashMap<String, (String, Option<Role>)> = store::names(conn, &ids)?
        .into_iter()
        .map(|(id, name, role)| (id, (name, role.parse().ok())))
        .collect();
    let levels: Vec<Classification> = assessments.iter().map(|a| a.classification).collect();
    let pst_names = disclosure::pst_names_visible(actor, &levels);
    let assigned = row.assigned_officer_id.as_deref();
    let name_for = |id: Option<&str>| -> Name {
        match id.and_then(|i| people.get(i).map(|p| (i, p))) {
            None => Name::Organisation(disclosure::PORTAL_LABEL),
            Some((i, (name, role))) => {
                let role = role.unwrap_or(Role::Admin);
                let person = Named { user_id: i, role };
                if disclosure::name_visible(actor, person, assigned, pst_names) {
                    Name::Person(name.clone())
                } else {
                    Name::Organisation(disclosure::organisation_label(role))
                }
            }
        }
    };

    // The n-th step that submitted an assessment submitted the n-th assessment.
    let mut submitted = levels.iter().copied();
    let timeline = events
        .iter()
        .filter_map(|e| {
            let by = if e.action == Action::SubmitAssessment.code() {
                match disclosure::assessment_step_view(actor, submitted.next()) {
                    AssessmentView::Absent => return None,
                    AssessmentView::Full => name_for(e.actor_id.as_deref()),
                    AssessmentView::LevelOnly | AssessmentView::ExistenceOnly => {
                        Name::Organisation(disclosure::organisation_label(Role::PstAnalyst))
                    }
                }
            } else {
                name_for(e.actor_id.as_deref())
            };
            let status = disclosure::status_on(
                actor.role,
                e.to_state,
                row.partly_approved,
                disclosure::scheduled(row.in_place_from, crate::domain::time::oslo_date(e.at)),
            );
            disclosure::step_visible(actor, e.mission_visible).then(|| TimelineItem {
                at: e.at,
                by,
                to: e.assignee_id.as_deref().map(|a| name_for(Some(a))),
                action: match e
                    .detail
                    .as_deref()
                    .and_then(|d| d.parse::<deadlines::Stage>().ok())
                {
                    Some(stage) if e.action == Action::Escalate.code() => {
                        stage.overdue_label().to_owned()
                    }
                    _ => timeline_label(&e.action),
                },
                status: status.label,
                status_code: status.code,
            })
        })
        .collect();

    let mut marking: Option<(Classification, Option<NaiveDate>)> = None;
    let mut mark = |c: Classification, until: Option<NaiveDate>| {
        if c == Classification::Unclassified {
            return;
        }
        marking = Some(match marking {
            Some((m, u)) if m > c => (m, u),
            Some((m, u)) if m == c => (m, u.max(until)),
            _ => (c, until),
        });
    };
    let attachments = super::attachments::seen(actor, &row, attachment_rows, name_for);
    for a in &attachments {
        mark(a.classification, a.declassify_on);
    }
    let question = if state == State::AwaitingMission {
        messages
            .iter()
            .rev()
            .find(|m| {
                disclosure::is_question_to_mission(
                    m.visibility == "internal",
                    people.get(&m.author_id).and_then(|p| p.1),
                )
            })
            .map(|m| m.body.clone())
    } else {
        None
    };
    let mut classified_reads: Vec<(&'static str, String, Classification)> = Vec::new();
    let messages: Vec<MessageItem> = messages
        .into_iter()
        .filter_map(|m| {
            let internal = m.visibility == "internal";
            let classification = m.classification;
            if internal && !disclosure::may_read_note(actor, classification) {
                return None;
            }
            mark(classification, m.declassify_on);
            if classification > Classification::Unclassified {
                classified_reads.push(("message", m.id.clone(), classification));
            }
            Some(MessageItem {
                by: name_for(Some(&m.author_id)),
                id: m.id,
                at: m.created_at,
                internal,
                classification,
                declassify_on: m.declassify_on,
                body: m.body,
            })
        })
        .collect();
    let assessments: Option<Vec<AssessmentItem>> =
        disclosure::assessments_listed(actor).then(|| {
            assessments
                .into_iter()
                .filter_map(|a: AssessmentRow| {
                    let classification = a.classification;
                    let view = disclosure::assessment_view(actor, classification);
                    match view {
                        AssessmentView::Absent => return None,
                        AssessmentView::Full | AssessmentView::LevelOnly => {
                            mark(classification, Some(a.declassify_on));
                            if classification > Classification::Unclassified {
                                classified_reads.push(("assessment", a.id.clone(), classification));
                            }
                        }
                        AssessmentView::ExistenceOnly => {}
                    }
                    let full = view == AssessmentView::Full;
                    let shown = view != AssessmentView::ExistenceOnly;
                    Some(AssessmentItem {
                        threat_level: shown.then_some(a.threat_level),
                        summary: full.then(|| a.summary.clone()),
                        by: full.then(|| name_for(Some(&a.author_id))),
                        id: a.id,
                        at: a.created_at,
                        view,
                        classification: shown.then_some(classification),
                        declassify_on: shown.then_some(a.declassify_on),
                    })
                })
                .collect()
        });
    if !classified_reads.is_empty() {
        db::write(conn, |conn| {
            for (kind, item, level) in &classified_reads {
                audit::record(
                    conn,
                    &Entry {
                        event: "classified_read",
                        outcome: "success",
                        actor_user_id: Some(actor.user_id.clone()),
                        actor_org: Some(actor.role.organisation().to_owned()),
                        target_type: Some(kind),
                        target_id: Some(item.clone()),
                        detail: json!({ "request_id": row.id.as_str(), "classification": level.code() }),
                        ..Entry::default()
                    },
                    now,
                )?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    let version = seen_version(conn, actor, &row)?;
    let actions = workflow::available(&facts(&row, &measures, version), actor);
    let assignable = if actions.contains(&Action::Take) {
        let officers: Vec<String> = store::recipients(conn, Role::MfaOfficer.code(), None)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut named: Vec<(String, String)> = store::names(conn, &officers)?
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect();
        named.sort_by(|a, b| a.1.cmp(&b.1));
        named
    } else {
        Vec::new()
    };
    let own = disclosure::is_own_mission(actor, &row.mission_id);
    let outcomes_visible = disclosure::outcomes_visible(actor, state);
    let missing_for_submission = if state == State::Draft {
        request::validate(
            &details::stored_input(&row, &measures, &details),
            Strictness::Submission,
            ctx.today(),
        )
        .err()
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    let needed_by = super::due::needed_by(&measures, &details);
    let all_deadlines = super::due::deadlines_of(&row, needed_by, &events, ctx);
    let reply_expected_by = super::due::reply_expected_by(actor, &row, needed_by, &events, ctx);
    let notice_from = row
        .submitted_at
        .map(crate::domain::time::oslo_date)
        .unwrap_or_else(|| ctx.today());
    let late_notice =
        needed_by.is_some_and(|needed| deadlines::late_notice(notice_from, needed, &ctx.rules));
    let (shown_deadlines, due) = if disclosure::deadlines_visible(actor) {
        let due = deadlines::current(state, &all_deadlines);
        (all_deadlines, due)
    } else {
        (Vec::new(), None)
    };
    let review = row
        .next_review_on
        .filter(|_| state == State::InEffect && disclosure::review_visible(actor))
        .map(|on| (on, review::status(on, ctx.today())));
    Ok(RequestView {
        review,
        review_interval_days: ctx.rules.review_interval_days,
        mission_page_linked: disclosure::may_see_mission_operations(actor),
        attachment_rights: disclosure::attachment_rights(actor, state, &row.mission_id),
        receipt_available: disclosure::receipt_available(state),
        formal_reply_available: disclosure::formal_reply_available(state),
        attachments,
        deadlines: shown_deadlines,
        due,
        event: details.event.as_ref().map(details::event_view),
        protected_persons: details.persons.iter().map(details::person_view).collect(),
        note_verbale: match (&row.note_verbale_number, row.note_verbale_dated_on) {
            (None, None) => None,
            (number, dated) => Some((number.clone().unwrap_or_default(), dated)),
        },
        needed_by,
        reply_expected_by,
        late_notice,
        version,
        status: disclosure::status_on(
            actor.role,
            state,
            row.partly_approved,
            disclosure::scheduled(row.in_place_from, ctx.today()),
        ),
        assigned_officer: row
            .assigned_officer_id
            .as_ref()
            .and_then(|i| people.get(i).map(|p| (i.clone(), p.0.clone()))),
        reply: row
            .reply
            .clone()
            .filter(|_| disclosure::reply_visible(actor, state)),
        outcomes_visible,
        measures: measures
            .into_iter()
            .map(|m| MeasureView {
                decision: m
                    .outcome
                    .filter(|_| outcomes_visible)
                    .map(|outcome| Decision {
                        outcome,
                        conditions: m.conditions.clone(),
                        decline_reason: m.decline_reason.clone(),
                    }),
                implemented_on: m.implemented_on.filter(|_| outcomes_visible),
                ended_on: m.ended_on.filter(|_| outcomes_visible),
                id: m.id,
                kind: m.kind,
                location: m.location,
                address: m.address,
                starts_on: m.starts_on,
                ends_on: m.ends_on,
                from_time: m.from_time,
                until_time: m.until_time,
                description: m.description,
            })
            .collect(),
        assessments,
        messages,
        timeline,
        marking,
        editable: own && workflow::editable(state),
        discardable: own && workflow::discardable(state),
        assignable,
        message_rights: disclosure::message_rights(actor, state),
        classification_choices: disclosure::classification_choices(actor, ctx.ceiling),
        addressed_as_mission: disclosure::addressed_as_mission(actor),
        missing_for_submission,
        question,
        actions,
        is_draft: state == State::Draft,
        mission_name,
        id: row.id,
        reference: row.reference,
        mission_id: row.mission_id,
        title: row.title,
        justification: row.justification,
        urgency: row.urgency,
        contact: Contact {
            name: row.contact_name,
            phone: row.contact_phone,
            email: row.contact_email,
        },
        created_at: row.created_at,
        submitted_at: row.submitted_at,
    })
}
