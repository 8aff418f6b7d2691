//! Requests: drafting, every life-cycle action, messages and notes, and reading a request as
//! one person may see it. Each change is one transaction: the policy and the workflow table are
//! asked, the version is checked, and the change, its timeline event, its security-log entry and
//! its notifications are written together or not at all.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde_json::json;

use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::db::requests::{
    self as store, AssessmentRow, EventRow, ListFilter, MeasureRow, NewAssessment, NewEvent,
    NewMeasure, NewMessage, NewRequest, RequestContent, RequestRow, Scope, StateChange,
};
use crate::db::{self, DbConnection, missions, users};
use crate::domain::access::{self, Actor, AssessmentView, MarkingRefusal, RequestScope};
use crate::domain::request::{
    self, MeasureInput, MeasureKind, Outcome, RequestInput, Strictness, ThreatLevel, ValidRequest,
};
use crate::domain::text::check_text;
use crate::domain::workflow::{self, Action, Facts, Refusal, State};
use crate::domain::{Classification, FieldError, Role, time};
use crate::notify::{self, Recipient};

/// What every change needs to know besides its input.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now: NaiveDateTime,
    /// The highest classification this installation may hold.
    pub ceiling: Classification,
}

impl Context {
    pub fn today(&self) -> NaiveDate {
        time::oslo_date(self.now)
    }
}

const MAX_DECLASSIFY_YEARS: i32 = 30;
const PAGE_MAX: i64 = 100;
/// The longest search text: a reference or words of a title (titles are at most 200).
const SEARCH_MAX: usize = 200;

// ---- reading ---------------------------------------------------------------------------------

fn state_of(row: &RequestRow) -> Result<State, AppError> {
    row.state
        .parse()
        .map_err(|e: String| AppError::Db(db::DbError::Corrupt(e)))
}

fn scope_of(row: &RequestRow, state: State) -> RequestScope<'_> {
    RequestScope {
        mission_id: &row.mission_id,
        state,
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
) -> Result<(RequestRow, State), AppError> {
    let row = row.ok_or(AppError::NotFound)?;
    let state = state_of(&row)?;
    if access::may_see_request(actor, &scope_of(&row, state)) {
        return Ok((row, state));
    }
    db::write(conn, |conn| {
        audit::record(
            conn,
            &Entry {
                event: "access_denied",
                outcome: "denied",
                actor_user_id: Some(actor.user_id.clone()),
                actor_org: Some(actor.role.organisation().to_owned()),
                target_type: Some("request"),
                target_id: Some(row.id.clone()),
                detail: json!({ "answered": 404 }),
                ..Entry::default()
            },
            now,
        )
        .map_err(AppError::from)
    })?;
    Err(AppError::NotFound)
}

/// A timeline step as the viewer may see it.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub at: NaiveDateTime,
    /// Who did it: a name, or for missions an organisation when the name is not theirs to see.
    pub by: String,
    pub action: String,
    /// The status after the step, as the viewer sees statuses.
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct MessageItem {
    pub id: String,
    pub at: NaiveDateTime,
    pub by: String,
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
    pub by: Option<String>,
    pub classification: Classification,
    pub declassify_on: NaiveDate,
}

/// A request as one person may see it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub row: RequestRow,
    /// The version this viewer states when changing the request (see `seen_version`).
    pub version: i32,
    pub state: State,
    pub measures: Vec<MeasureRow>,
    pub mission_name: String,
    /// The status code and label for this viewer (mission-facing for mission staff).
    pub status: (&'static str, &'static str),
    pub assigned_name: Option<String>,
    pub timeline: Vec<TimelineItem>,
    pub messages: Vec<MessageItem>,
    pub assessments: Vec<AssessmentItem>,
    pub available: Vec<Action>,
    pub editable: bool,
    pub discardable: bool,
    /// The highest classification shown, with the latest declassification date among those items.
    pub marking: Option<(Classification, Option<NaiveDate>)>,
    /// MFA officers the request can be assigned to, when the viewer may take it: (id, name).
    pub assignable: Vec<(String, String)>,
}

pub fn status_for(actor: &Actor, state: State) -> (&'static str, &'static str) {
    if actor.role == Role::MissionStaff {
        let s = state.mission_status();
        (s.code(), s.label())
    } else {
        (state.code(), state.label())
    }
}

/// The organisations shown instead of a person's name where the name is not the viewer's to see.
pub const ORG_LABELS: [&str; 5] = [
    "The mission",
    "Ministry of Foreign Affairs",
    "Oslo Police District",
    "PST",
    "The portal",
];

fn org_label(role: &str) -> &'static str {
    match role {
        "mission_staff" => "The mission",
        "mfa_officer" => "Ministry of Foreign Affairs",
        "police_liaison" => "Oslo Police District",
        "pst_analyst" => "PST",
        _ => "The portal",
    }
}

/// The version `actor` sees: the request's own, or for mission staff the number of steps they
/// see, which moves only with changes visible to them.
pub fn seen_version(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &RequestRow,
) -> Result<i32, AppError> {
    if actor.role == Role::MissionStaff {
        Ok(store::mission_visible_events(conn, &row.id)? as i32)
    } else {
        Ok(row.version)
    }
}

/// Whether the police approved a measure (with or without conditions).
pub fn is_approved(m: &MeasureRow) -> bool {
    m.outcome
        .as_deref()
        .and_then(|o| o.parse::<Outcome>().ok())
        .is_some_and(Outcome::is_approval)
}

/// The one entry of `given` for a measure, or the message for a missing or repeated one.
fn entry_for<'g, G>(
    given: &'g [G],
    measure_id: &str,
    id_of: impl Fn(&G) -> &str,
    missing: &str,
) -> Result<&'g G, String> {
    let mut found = given.iter().filter(|g| id_of(g) == measure_id);
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(missing.to_owned()),
        (Some(_), Some(_)) => Err("was given more than once".to_owned()),
    }
}

/// Whether `given` names a measure outside `measures`.
fn names_other<G>(given: &[G], measures: &[&MeasureRow], id_of: impl Fn(&G) -> &str) -> bool {
    given
        .iter()
        .any(|g| !measures.iter().any(|m| m.id == id_of(g)))
}

fn facts(row: &RequestRow, state: State, measures: &[MeasureRow], version: i32) -> Facts {
    Facts {
        state,
        version,
        mission_id: row.mission_id.clone(),
        any_measure_approved: measures.iter().any(is_approved),
    }
}

/// Reads one request as `actor` may see it. Reading a classified note or assessment is written
/// to the security log.
pub fn view(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> Result<RequestView, AppError> {
    let found = store::find(conn, id)?;
    let (row, state) = visible(conn, actor, found, now)?;
    let measures = store::measures_of(conn, id)?;
    let mission_name = missions::find(conn, &row.mission_id)?
        .map(|m| m.name)
        .unwrap_or_default();
    let events = store::events_of(conn, id)?;
    let messages = store::messages_of(conn, id)?;
    let assessments = store::assessments_of(conn, id)?;

    let mut ids: Vec<String> = events.iter().filter_map(|e| e.actor_id.clone()).collect();
    ids.extend(messages.iter().map(|m| m.author_id.clone()));
    ids.extend(assessments.iter().map(|a| a.author_id.clone()));
    ids.extend(row.assigned_officer_id.clone());
    ids.sort();
    ids.dedup();
    let people: std::collections::HashMap<String, (String, String)> = store::names(conn, &ids)?
        .into_iter()
        .map(|(id, name, role)| (id, (name, role)))
        .collect();
    let is_mission = actor.role == Role::MissionStaff;
    // Who wrote an assessment is part of it: PST analysts are named only to PST, and to those
    // who may read an assessment of this request in full.
    let pst_names_visible = actor.role == Role::PstAnalyst
        || assessments.iter().any(|a| {
            a.classification
                .parse::<Classification>()
                .is_ok_and(|c| access::assessment_view(actor, c) == AssessmentView::Full)
        });
    // Missions see the names of their own staff and of the assigned MFA officer only.
    let name_for = |id: &Option<String>| -> String {
        match id.as_ref().and_then(|i| people.get(i).map(|p| (i, p))) {
            None => "The portal".to_owned(),
            Some((i, (name, role))) => {
                let visible = if is_mission {
                    role == "mission_staff" || row.assigned_officer_id.as_ref() == Some(i)
                } else {
                    role != "pst_analyst" || pst_names_visible
                };
                if visible {
                    name.clone()
                } else {
                    org_label(role).to_owned()
                }
            }
        }
    };

    let timeline = events
        .iter()
        .filter(|e: &&EventRow| !is_mission || e.mission_visible)
        .map(|e| {
            let to = e.to_state.parse::<State>().unwrap_or(State::Draft);
            TimelineItem {
                at: e.at,
                by: name_for(&e.actor_id),
                action: Action::parse(&e.action)
                    .map(|a| a.label().to_owned())
                    .unwrap_or_else(|| match e.action.as_str() {
                        "create" => "Draft created".to_owned(),
                        "edit" => "Request changed".to_owned(),
                        other => other.replace('_', " "),
                    }),
                status: status_for(actor, to).1.to_owned(),
            }
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
    let mut classified_reads: Vec<(&'static str, String, Classification)> = Vec::new();
    let messages: Vec<MessageItem> = messages
        .into_iter()
        .filter_map(|m| {
            let internal = m.visibility == "internal";
            let classification = m.classification.parse::<Classification>().ok()?;
            if internal && !access::may_read_note(actor, classification) {
                return None;
            }
            mark(classification, m.declassify_on);
            if classification > Classification::Unclassified {
                classified_reads.push(("message", m.id.clone(), classification));
            }
            Some(MessageItem {
                by: name_for(&Some(m.author_id.clone())),
                id: m.id,
                at: m.created_at,
                internal,
                classification,
                declassify_on: m.declassify_on,
                body: m.body,
            })
        })
        .collect();
    let assessments: Vec<AssessmentItem> = assessments
        .into_iter()
        .filter_map(|a: AssessmentRow| {
            let classification = a.classification.parse::<Classification>().ok()?;
            let view = access::assessment_view(actor, classification);
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
            Some(AssessmentItem {
                threat_level: (view != AssessmentView::ExistenceOnly)
                    .then(|| a.threat_level.parse().ok())
                    .flatten(),
                summary: full.then(|| a.summary.clone()),
                by: full.then(|| name_for(&Some(a.author_id.clone()))),
                id: a.id,
                at: a.created_at,
                view,
                classification,
                declassify_on: a.declassify_on,
            })
        })
        .collect();
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
                        detail: json!({ "request_id": row.id, "classification": level.code() }),
                        ..Entry::default()
                    },
                    now,
                )?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    let version = seen_version(conn, actor, &row)?;
    let f = facts(&row, state, &measures, version);
    let available = workflow::available(&f, actor);
    let assignable = if available.contains(&Action::Take) {
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
    let own_mission = is_mission && actor.mission_id.as_deref() == Some(row.mission_id.as_str());
    Ok(RequestView {
        version,
        status: status_for(actor, state),
        assigned_name: row
            .assigned_officer_id
            .as_ref()
            .and_then(|i| people.get(i))
            .map(|p| p.0.clone()),
        available,
        assignable,
        editable: own_mission && workflow::editable(state),
        discardable: own_mission && workflow::discardable(state),
        row,
        state,
        measures,
        mission_name,
        timeline,
        messages,
        assessments,
        marking,
    })
}

/// A page of a list, with the total that the viewer may know of.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<RequestRow>,
    /// How many requests the list holds, counted up to `COUNT_CAP`.
    pub total: i64,
    /// The list holds more than `total` requests (the count stopped at `COUNT_CAP`).
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    /// Reads the page after this one (`PageAt::After`), when there is one.
    pub next: Option<String>,
    /// Reads the page before this one (`PageAt::Before`), when there is one.
    pub previous: Option<String>,
}

/// Which page of a list to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageAt {
    /// By number, within the first `OFFSET_MAX` requests.
    Number(i64),
    /// The page after a cursor from `ListPage::next`; `page` is the number to show.
    After { cursor: String, page: i64 },
    /// The page before a cursor from `ListPage::previous`.
    Before { cursor: String, page: i64 },
}

/// Lists count no further than this: "more than 1,000" is all a reader needs to know, and a page
/// view never counts through the whole table.
pub const COUNT_CAP: i64 = 1_000;
/// Pages by number reach this far into a list; beyond, a list is read on from a cursor.
pub const OFFSET_MAX: i64 = 10_000;
/// The largest page number shown (cursor pages carry theirs for display only); keeps the
/// arithmetic on a number from the address bar from overflowing.
const PAGE_NUMBER_MAX: i64 = 1_000_000_000;

/// A cursor names a row's place in the list's order: `q.<1 urgent|0 routine>.<ns>.<id>` for the
/// authorities' lists, `m.<1 needs the mission|0>.<ns>.<id>` for a mission's.
fn cursor_of(position: &store::Position) -> Option<String> {
    let (kind, flag, at, id) = match position {
        store::Position::Queue {
            urgent,
            submitted_at,
            id,
        } => ("q", *urgent, submitted_at, id),
        store::Position::Mission {
            needs_action,
            created_at,
            id,
        } => ("m", *needs_action, created_at, id),
    };
    let nanos = at.and_utc().timestamp_nanos_opt()?;
    Some(format!("{kind}.{}.{nanos}.{id}", u8::from(flag)))
}

fn position_of(field: &'static str, cursor: &str) -> Result<store::Position, AppError> {
    let bad = || AppError::from(FieldError::new(field, "is not a cursor this list gave out"));
    let mut parts = cursor.splitn(4, '.');
    let (Some(kind), Some(flag), Some(nanos), Some(id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let flag = match flag {
        "1" => true,
        "0" => false,
        _ => return Err(bad()),
    };
    let at = nanos
        .parse::<i64>()
        .map(|n| chrono::DateTime::from_timestamp_nanos(n).naive_utc())
        .map_err(|_| bad())?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(bad());
    }
    let id = id.to_owned();
    match kind {
        "q" => Ok(store::Position::Queue {
            urgent: flag,
            submitted_at: at,
            id,
        }),
        "m" => Ok(store::Position::Mission {
            needs_action: flag,
            created_at: at,
            id,
        }),
        _ => Err(bad()),
    }
}

/// What the viewer's need to know lets a list contain at all.
pub fn scope_for(actor: &Actor) -> Scope {
    match actor.role {
        Role::MissionStaff => Scope::Mission(actor.mission_id.clone().unwrap_or_default()),
        Role::MfaOfficer => Scope::Submitted,
        Role::PoliceLiaison => Scope::ReachedPolice,
        Role::PstAnalyst => Scope::ReferredToPst,
        Role::Admin => Scope::Nothing,
    }
}

/// A list of requests as `actor` may see it; filters narrow it, never widen it.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ListFilter,
    at: &PageAt,
    per_page: i64,
) -> Result<ListPage, AppError> {
    if let Some(q) = filter.query.as_deref() {
        check_text("q", q, 0, SEARCH_MAX, false)?;
    }
    let per_page = per_page.clamp(1, PAGE_MAX);
    let scope = scope_for(actor);
    let (start, page) = match at {
        PageAt::Number(page) => {
            let page = (*page).clamp(1, PAGE_NUMBER_MAX);
            let offset = (page - 1) * per_page;
            if offset >= OFFSET_MAX {
                return Err(FieldError::new(
                    "page",
                    format!("reaches only the first {OFFSET_MAX} requests; read on from a cursor"),
                )
                .into());
            }
            (store::Start::Offset(offset), page)
        }
        PageAt::After { cursor, page } => (
            store::Start::After(position_of("after", cursor)?),
            (*page).clamp(2, PAGE_NUMBER_MAX),
        ),
        PageAt::Before { cursor, page } => (
            store::Start::Before(position_of("before", cursor)?),
            (*page).clamp(1, PAGE_NUMBER_MAX),
        ),
    };
    // One row more than the page shows whether the list goes on in the direction of reading.
    let mut items = store::list(conn, &scope, filter, per_page + 1, &start)?;
    let beyond = items.len() as i64 > per_page;
    let (more_after, more_before) = match &start {
        store::Start::Before(_) => {
            if beyond {
                items.remove(0);
            }
            (true, beyond)
        }
        store::Start::Offset(offset) => {
            items.truncate(per_page as usize);
            (beyond, *offset > 0)
        }
        store::Start::After(_) => {
            items.truncate(per_page as usize);
            (beyond, true)
        }
    };
    // Coming back to the first page by cursor shows it as the first page.
    let page = if more_before { page.max(2) } else { 1 };
    let cursor_at = |row: Option<&RequestRow>| {
        row.and_then(|r| store::Position::of(&scope, r))
            .and_then(|p| cursor_of(&p))
    };
    let next = more_after.then(|| cursor_at(items.last())).flatten();
    let previous = more_before.then(|| cursor_at(items.first())).flatten();
    let counted = store::count_up_to(conn, &scope, filter, COUNT_CAP)?;
    Ok(ListPage {
        total: counted.min(COUNT_CAP),
        total_capped: counted > COUNT_CAP,
        items,
        page,
        per_page,
        next,
        previous,
    })
}

/// When the measures of each request end: the latest end date, or `None` when one runs until
/// further notice.
pub fn end_dates(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Option<NaiveDate>>, AppError> {
    let mut ends = std::collections::HashMap::new();
    for (request_id, ends_on) in store::end_dates(conn, ids)? {
        let entry = ends.entry(request_id).or_insert(Some(NaiveDate::MIN));
        *entry = match (*entry, ends_on) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    Ok(ends)
}

/// Names of missions by id (for lists).
pub fn mission_names(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(missions::list(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

// ---- drafting --------------------------------------------------------------------------------

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
        })
        .collect()
}

fn invalid(errors: Vec<FieldError>) -> AppError {
    AppError::Invalid(errors)
}

/// Appends a step to the request's history; `(from, to)` are the states around it.
fn event(
    conn: &mut DbConnection,
    request_id: &str,
    actor: Option<&Actor>,
    action: &str,
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
            actor_id: actor.map(|a| a.user_id.as_str()),
            action,
            from_state: from.map(State::code),
            to_state: to.code(),
            mission_visible,
        },
    )?;
    Ok(())
}

/// Starts a draft for the actor's own mission (the mission comes from the actor, never the input).
pub fn create_draft(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &RequestInput,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
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
                created_by: &actor.user_id,
                created_at: ctx.now,
                updated_at: ctx.now,
            },
        )?;
        store::replace_measures(conn, &id, &new_measures(&id, &valid, &measure_ids))?;
        event(
            conn,
            &id,
            Some(actor),
            "create",
            (None, State::Draft),
            true,
            ctx.now,
        )?;
        store::find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

/// Changes a request's content: a draft (loosely checked), or one the MFA asked for more
/// information on (fully checked, since it has been submitted).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    seen_version: i32,
    input: &RequestInput,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    let found = store::find(conn, id)?;
    let (_, state) = visible(conn, actor, found, ctx.now)?;
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
        let current = store::find_for_update(conn, id)?.ok_or(AppError::NotFound)?;
        if self::seen_version(conn, actor, &current)? != seen_version {
            return Err(stale());
        }
        let content = RequestContent {
            title: &valid.title,
            justification: &valid.justification,
            urgency: valid.urgency.code(),
            contact_name: &valid.contact_name,
            contact_phone: &valid.contact_phone,
            contact_email: &valid.contact_email,
        };
        if !store::update_content(conn, id, current.version, &content, ctx.now)? {
            return Err(stale());
        }
        store::replace_measures(conn, id, &new_measures(id, &valid, &measure_ids))?;
        event(
            conn,
            id,
            Some(actor),
            "edit",
            (Some(state), state),
            true,
            ctx.now,
        )?;
        store::find(conn, id)?.ok_or(AppError::NotFound)
    })
}

fn stale() -> AppError {
    AppError::Conflict("The request has changed since you opened it. Reload it to see the changes, then try again.".into())
}

/// Deletes a draft.
pub fn discard(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    seen_version: i32,
    ctx: &Context,
) -> Result<(), AppError> {
    let found = store::find(conn, id)?;
    let (_, state) = visible(conn, actor, found, ctx.now)?;
    if actor.role != Role::MissionStaff {
        return Err(AppError::Forbidden);
    }
    if !workflow::discardable(state) {
        return Err(AppError::NotNow(
            "Only a draft can be discarded; a submitted request can be withdrawn.".into(),
        ));
    }
    db::write(conn, |conn| {
        let current = store::find_for_update(conn, id)?.ok_or(AppError::NotFound)?;
        if self::seen_version(conn, actor, &current)? != seen_version {
            return Err(stale());
        }
        store::delete(conn, id)?;
        Ok(())
    })
}

/// The stored content of a request as input again (for the edit form and for the check at
/// submission).
pub fn as_input(row: &RequestRow, measures: &[MeasureRow]) -> RequestInput {
    RequestInput {
        title: row.title.clone(),
        justification: row.justification.clone(),
        urgency: row.urgency.clone(),
        contact_name: row.contact_name.clone(),
        contact_phone: row.contact_phone.clone(),
        contact_email: row.contact_email.clone(),
        measures: measures
            .iter()
            .map(|m| MeasureInput {
                kind: m.kind.clone().unwrap_or_default(),
                location: m.location.clone().unwrap_or_default(),
                address: m.address.clone().unwrap_or_default(),
                starts_on: m.starts_on.map(|d| d.to_string()).unwrap_or_default(),
                ends_on: m.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                description: m.description.clone(),
            })
            .collect(),
    }
}

// ---- the life-cycle actions ------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub body: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub threat_level: String,
    pub summary: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OutcomeInput {
    pub measure_id: String,
    pub outcome: String,
    pub conditions: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ImplementedInput {
    pub measure_id: String,
    pub implemented_on: String,
}

/// An action with what it carries (SPEC § 8, transitions).
#[derive(Debug, Clone)]
pub struct TransitionInput {
    pub action: Action,
    pub version: i32,
    pub assignee_id: Option<String>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub note: Option<NoteInput>,
    pub assessment: Option<AssessmentInput>,
    pub outcomes: Vec<OutcomeInput>,
    pub reply: Option<String>,
    pub implemented: Vec<ImplementedInput>,
}

impl TransitionInput {
    pub fn new(action: Action, version: i32) -> Self {
        TransitionInput {
            action,
            version,
            assignee_id: None,
            message: None,
            reason: None,
            note: None,
            assessment: None,
            outcomes: Vec::new(),
            reply: None,
            implemented: Vec::new(),
        }
    }
}

fn required_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<String, FieldError> {
    let value = value.unwrap_or_default();
    check_text(field, value, 1, max, true)?;
    Ok(value.to_owned())
}

fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => {
            check_text(field, v, 1, max, true)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// A classification and declassification date an author chose, checked against their clearance,
/// the installation's ceiling and the 30-year limit.
fn marking(
    actor: &Actor,
    field: &str,
    classification: &str,
    declassify_on: Option<&str>,
    default: Classification,
    ctx: &Context,
) -> Result<(Classification, NaiveDate), Vec<FieldError>> {
    let mut errors = Vec::new();
    let level = if classification.trim().is_empty() {
        default
    } else {
        match classification.parse::<Classification>() {
            Ok(c) => c,
            Err(e) => {
                return Err(vec![FieldError::new(format!("{field}.classification"), e)]);
            }
        }
    };
    match access::may_mark(actor, level, ctx.ceiling) {
        Err(MarkingRefusal::AboveCeiling) => errors.push(FieldError::new(
            format!("{field}.classification"),
            format!(
                "{} information must not be entered in this portal, which is approved up to {}; handle it through approved channels",
                level.marking(),
                ctx.ceiling.marking()
            ),
        )),
        Err(MarkingRefusal::AboveClearance) => errors.push(FieldError::new(
            format!("{field}.classification"),
            "is above your security clearance",
        )),
        Ok(()) => {}
    }
    let today = ctx.today();
    let latest = today
        .with_year(today.year() + MAX_DECLASSIFY_YEARS)
        .unwrap_or(today + Duration::days(365 * 30));
    let until = match declassify_on.map(str::trim).filter(|d| !d.is_empty()) {
        None => latest,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date <= today => {
                errors.push(FieldError::new(
                    format!("{field}.declassify_on"),
                    "must be after today",
                ));
                latest
            }
            Ok(date) if date > latest => {
                errors.push(FieldError::new(
                    format!("{field}.declassify_on"),
                    "must be at most 30 years from today (Security Act § 11)",
                ));
                latest
            }
            Ok(date) => date,
            Err(_) => {
                errors.push(FieldError::new(
                    format!("{field}.declassify_on"),
                    "must be a date written YYYY-MM-DD",
                ));
                latest
            }
        },
    };
    if errors.is_empty() {
        Ok((level, until))
    } else {
        Err(errors)
    }
}

/// Stores a message or note; `(level, until)` is its classification and declassification date.
fn insert_message(
    conn: &mut DbConnection,
    request_id: &str,
    author: &Actor,
    internal: bool,
    (level, until): (Classification, Option<NaiveDate>),
    body: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    store::insert_message(
        conn,
        &NewMessage {
            id: &db::new_id(),
            request_id,
            author_id: &author.user_id,
            visibility: if internal { "internal" } else { "external" },
            classification: level.code(),
            declassify_on: until.filter(|_| level > Classification::Unclassified),
            body,
            created_at: now,
        },
    )?;
    Ok(())
}

fn recipients_of_role(
    conn: &mut DbConnection,
    role: Role,
    mission_id: Option<&str>,
) -> Result<Vec<Recipient>, AppError> {
    Ok(store::recipients(conn, role.code(), mission_id)?
        .into_iter()
        .map(|(user_id, email)| Recipient {
            user_id,
            email,
            role,
        })
        .collect())
}

fn recipient(conn: &mut DbConnection, user_id: Option<&str>) -> Result<Vec<Recipient>, AppError> {
    let Some(id) = user_id else {
        return Ok(Vec::new());
    };
    Ok(users::find(conn, id)?
        .filter(|u| u.active)
        .and_then(|u| {
            Some(Recipient {
                role: u.role.parse().ok()?,
                user_id: u.id,
                email: u.email,
            })
        })
        .into_iter()
        .collect())
}

/// The refusal as the actor is told it. The state is named as the actor sees states, so a
/// mission never learns an internal one (such as a PST review) from a refusal.
fn refusal(r: Refusal, actor: &Actor, action: Action, state: State) -> AppError {
    match r {
        Refusal::NotVisible => AppError::NotFound,
        Refusal::WrongRole => AppError::Forbidden,
        Refusal::StaleVersion => stale(),
        Refusal::WrongState => AppError::NotNow(format!(
            "\u{201c}{}\u{201d} is not possible while the request is {}.",
            action.label(),
            status_for(actor, state).1.to_lowercase()
        )),
    }
}

/// Carries out one life-cycle action (SPEC § 5) for `actor`.
pub fn perform(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: &TransitionInput,
    ctx: &Context,
) -> Result<RequestRow, AppError> {
    // Visibility first, outside the write lock, so a refused look-up leaves its trace even when
    // the transaction below would roll back.
    let found = store::find(conn, id)?;
    visible(conn, actor, found, ctx.now)?;
    db::write(conn, |conn| {
        let row = store::find_for_update(conn, id)?.ok_or(AppError::NotFound)?;
        let state = state_of(&row)?;
        let measures = store::measures_of(conn, id)?;
        let version = seen_version(conn, actor, &row)?;
        let change = workflow::decide(
            &facts(&row, state, &measures, version),
            actor,
            input.action,
            input.version,
        )
        .map_err(|r| refusal(r, actor, input.action, state))?;
        let mut extra = StateChange::default();
        let mut errors: Vec<FieldError> = Vec::new();
        let now = ctx.now;
        let today = ctx.today();
        let mission = Some(row.mission_id.as_str());
        let mut notices: Vec<(&'static str, Vec<Recipient>)> = Vec::new();
        let mut detail = json!({});

        // What each action needs, checked before anything is written.
        // Text the change borrows (a reference, an assignee, a reply) must outlive `extra`.
        let kept: String;
        match input.action {
            Action::Submit => {
                let stored = as_input(&row, &measures);
                request::validate(&stored, Strictness::Submission, today).map_err(invalid)?;
                let year = today.year();
                let n = store::next_reference_number(conn, year)?;
                kept = format!("{year}/{n:05}");
                extra.reference = Some(&kept);
                extra.submitted_at = Some(now);
                notices.push((
                    "request_submitted",
                    recipients_of_role(conn, Role::MfaOfficer, None)?,
                ));
                notices.push(("submission_receipt", recipient(conn, Some(&actor.user_id))?));
            }
            Action::Take => {
                let assignee = match input.assignee_id.as_deref().filter(|a| !a.is_empty()) {
                    None => actor.user_id.clone(),
                    Some(other) => match users::find(conn, other)? {
                        Some(u) if u.active && u.role == Role::MfaOfficer.code() => u.id,
                        _ => {
                            return Err(invalid(vec![FieldError::new(
                                "assignee_id",
                                "must be an active MFA officer",
                            )]));
                        }
                    },
                };
                if assignee != actor.user_id {
                    notices.push(("request_assigned", recipient(conn, Some(&assignee))?));
                }
                detail = json!({ "assignee_id": assignee });
                kept = assignee;
                extra.assigned_officer_id = Some(&kept);
            }
            Action::RequestInformation | Action::ProvideInformation => {
                let body = required_text("message", input.message.as_deref(), 10_000)
                    .map_err(|e| invalid(vec![e]))?;
                insert_message(
                    conn,
                    id,
                    actor,
                    false,
                    (Classification::Unclassified, None),
                    &body,
                    now,
                )?;
                if input.action == Action::RequestInformation {
                    notices.push((
                        "information_requested",
                        recipients_of_role(conn, Role::MissionStaff, mission)?,
                    ));
                } else {
                    notices.push((
                        "information_provided",
                        recipient(conn, row.assigned_officer_id.as_deref())?,
                    ));
                }
            }
            Action::Reject => {
                let reason = required_text("reason", input.reason.as_deref(), 10_000)
                    .map_err(|e| invalid(vec![e]))?;
                insert_message(
                    conn,
                    id,
                    actor,
                    false,
                    (Classification::Unclassified, None),
                    &reason,
                    now,
                )?;
                kept = reason;
                extra.reply = Some(&kept);
                extra.closed_at = Some(now);
                notices.push((
                    "request_rejected",
                    recipients_of_role(conn, Role::MissionStaff, mission)?,
                ));
            }
            Action::ForwardToPolice => {
                extra.reached_police = Some(true);
                notices.push((
                    "forwarded_to_police",
                    recipients_of_role(conn, Role::PoliceLiaison, None)?,
                ));
                notices.push((
                    "under_assessment",
                    recipients_of_role(conn, Role::MissionStaff, mission)?,
                ));
            }
            Action::ReturnToMfa => {
                let note = input.note.clone().unwrap_or_default();
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
                    (Ok(body), Ok((level, until))) => {
                        insert_message(conn, id, actor, true, (level, Some(until)), &body, now)?
                    }
                    (b, m) => {
                        errors.extend(b.err());
                        errors.extend(m.err().unwrap_or_default());
                        return Err(invalid(errors));
                    }
                }
                notices.push((
                    "returned_to_mfa",
                    recipient(conn, row.assigned_officer_id.as_deref())?,
                ));
            }
            Action::ReferToPst => {
                extra.referred_to_pst = Some(true);
                extra.referred_by = Some(&actor.user_id);
                notices.push((
                    "referred_to_pst",
                    recipients_of_role(conn, Role::PstAnalyst, None)?,
                ));
            }
            Action::SubmitAssessment => {
                let a = input.assessment.clone().unwrap_or_default();
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
                let (level, summary, (classification, until)) = match (level, summary, mark) {
                    (Ok(l), Ok(s), Ok(m)) => (l, s, m),
                    (l, s, m) => {
                        errors.extend(l.err());
                        errors.extend(s.err());
                        errors.extend(m.err().unwrap_or_default());
                        return Err(invalid(errors));
                    }
                };
                store::insert_assessment(
                    conn,
                    &NewAssessment {
                        id: &db::new_id(),
                        request_id: id,
                        author_id: &actor.user_id,
                        threat_level: level.code(),
                        summary: &summary,
                        classification: classification.code(),
                        declassify_on: until,
                        created_at: now,
                    },
                )?;
                notices.push((
                    "assessment_submitted",
                    recipient(conn, row.referred_by.as_deref())?,
                ));
            }
            Action::Decide => {
                let mut decided = Vec::new();
                let all: Vec<&MeasureRow> = measures.iter().collect();
                for (i, m) in all.iter().enumerate() {
                    let field = |name: &str| format!("outcomes[{i}].{name}");
                    let one = match entry_for(
                        &input.outcomes,
                        &m.id,
                        |o| &o.measure_id,
                        "is required for every measure",
                    ) {
                        Ok(one) => one,
                        Err(message) => {
                            errors.push(FieldError::new(field("outcome"), message));
                            continue;
                        }
                    };
                    match one.outcome.parse::<Outcome>() {
                        Ok(outcome) => {
                            let conditions = one
                                .conditions
                                .as_deref()
                                .map(str::trim)
                                .filter(|c| !c.is_empty());
                            if let Some(c) = conditions
                                && let Err(e) = check_text("conditions", c, 1, 2_000, true)
                            {
                                errors.push(FieldError::new(field("conditions"), e.message));
                            }
                            if outcome == Outcome::ApprovedWithConditions && conditions.is_none() {
                                errors.push(FieldError::new(
                                    field("conditions"),
                                    "are required when approving with conditions",
                                ));
                            }
                            decided.push((m.id.clone(), outcome, conditions.map(str::to_owned)));
                        }
                        Err(e) => errors.push(FieldError::new(field("outcome"), e)),
                    }
                }
                if names_other(&input.outcomes, &all, |o| &o.measure_id) {
                    errors.push(FieldError::new(
                        "outcomes",
                        "names a measure that is not part of this request",
                    ));
                }
                if !errors.is_empty() {
                    return Err(invalid(errors));
                }
                for (measure_id, outcome, conditions) in &decided {
                    store::set_outcome(conn, measure_id, outcome.code(), conditions.as_deref())?;
                }
                extra.decided_at = Some(now);
                notices.push((
                    "request_decided",
                    recipient(conn, row.assigned_officer_id.as_deref())?,
                ));
            }
            Action::CommunicateDecision => {
                let reply = required_text("reply", input.reply.as_deref(), 10_000)
                    .map_err(|e| invalid(vec![e]))?;
                kept = reply;
                extra.reply = Some(&kept);
                if change.to == State::Declined {
                    extra.closed_at = Some(now);
                }
                notices.push((
                    "decision_communicated",
                    recipients_of_role(conn, Role::MissionStaff, mission)?,
                ));
            }
            Action::ConfirmImplementation => {
                let approved: Vec<&MeasureRow> =
                    measures.iter().filter(|m| is_approved(m)).collect();
                let mut dates = Vec::new();
                for (i, m) in approved.iter().enumerate() {
                    let field = format!("implemented[{i}].implemented_on");
                    let one = match entry_for(
                        &input.implemented,
                        &m.id,
                        |x| &x.measure_id,
                        "is required for every approved measure",
                    ) {
                        Ok(one) => one,
                        Err(message) => {
                            errors.push(FieldError::new(field, message));
                            continue;
                        }
                    };
                    match NaiveDate::parse_from_str(one.implemented_on.trim(), "%Y-%m-%d") {
                        Ok(d) if d > today => {
                            errors.push(FieldError::new(field, "must not be in the future"))
                        }
                        Ok(d) => dates.push((m.id.clone(), d)),
                        Err(_) => {
                            errors.push(FieldError::new(field, "must be a date written YYYY-MM-DD"))
                        }
                    }
                }
                if names_other(&input.implemented, &approved, |x| &x.measure_id) {
                    errors.push(FieldError::new(
                        "implemented",
                        "names a measure that was not approved for this request",
                    ));
                }
                if !errors.is_empty() {
                    return Err(invalid(errors));
                }
                for (measure_id, d) in &dates {
                    store::set_implemented(conn, measure_id, *d)?;
                }
                notices.push((
                    "implementation_confirmed",
                    recipients_of_role(conn, Role::MissionStaff, mission)?,
                ));
            }
            Action::EndMeasures => {
                let reason = optional_text("reason", input.reason.as_deref(), 10_000)
                    .map_err(|e| invalid(vec![e]))?;
                if let Some(r) = &reason {
                    insert_message(
                        conn,
                        id,
                        actor,
                        true,
                        (Classification::Unclassified, None),
                        r,
                        now,
                    )?;
                }
                store::end_measures(conn, id, today)?;
                extra.closed_at = Some(now);
                notices.push((
                    "measures_ended",
                    recipients_of_role(conn, Role::MissionStaff, mission)?,
                ));
            }
            Action::Withdraw => {
                let reason = optional_text("reason", input.reason.as_deref(), 10_000)
                    .map_err(|e| invalid(vec![e]))?;
                if let Some(r) = &reason {
                    insert_message(
                        conn,
                        id,
                        actor,
                        false,
                        (Classification::Unclassified, None),
                        r,
                        now,
                    )?;
                }
                extra.closed_at = Some(now);
                let mut told = recipient(conn, row.assigned_officer_id.as_deref())?;
                if row.reached_police {
                    told.extend(recipients_of_role(conn, Role::PoliceLiaison, None)?);
                }
                if row.referred_to_pst {
                    told.extend(recipients_of_role(conn, Role::PstAnalyst, None)?);
                }
                notices.push(("request_withdrawn", told));
            }
        }

        if !store::change_state(conn, id, row.version, change.to.code(), &extra, now)? {
            return Err(stale());
        }
        let reference = extra.reference.map(str::to_owned).or(row.reference.clone());
        let mission_visible = change.from.mission_status() != change.to.mission_status()
            || workflow::RULES
                .iter()
                .any(|r| r.action == input.action && r.role == Role::MissionStaff);
        event(
            conn,
            id,
            Some(actor),
            input.action.code(),
            (Some(change.from), change.to),
            mission_visible,
            now,
        )?;
        audit::record(
            conn,
            &Entry {
                event: "request_transition",
                outcome: "success",
                actor_user_id: Some(actor.user_id.clone()),
                actor_org: Some(actor.role.organisation().to_owned()),
                target_type: Some("request"),
                target_id: Some(id.to_owned()),
                detail: json!({
                    "action": input.action.code(),
                    "from": change.from.code(),
                    "to": change.to.code(),
                    "version": change.new_version,
                    "extra": detail,
                }),
                ..Entry::default()
            },
            now,
        )?;
        for (kind, people) in &notices {
            notify::request_event(conn, kind, people, id, reference.as_deref(), change.to, now)?;
        }
        store::find(conn, id)?.ok_or(AppError::NotFound)
    })
}

// ---- messages and notes ----------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    pub body: String,
    /// `external` (mission ↔ MFA) or `internal` (a note among authorities).
    pub visibility: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

/// Adds an external message (mission staff and MFA officers) or an internal note (authorities,
/// classified within their clearance and the installation's ceiling).
pub fn add_message(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: &MessageInput,
    ctx: &Context,
) -> Result<(), AppError> {
    let found = store::find(conn, id)?;
    let (row, state) = visible(conn, actor, found, ctx.now)?;
    if state == State::Draft {
        return Err(AppError::NotNow(
            "Messages can be exchanged once the request is submitted.".into(),
        ));
    }
    let internal = match input.visibility.as_str() {
        "external" => false,
        "internal" => true,
        _ => {
            return Err(invalid(vec![FieldError::new(
                "visibility",
                "must be external or internal",
            )]));
        }
    };
    let allowed = if internal {
        actor.role.is_authority()
    } else {
        matches!(actor.role, Role::MissionStaff | Role::MfaOfficer)
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let body = required_text("body", Some(&input.body), 10_000)
        .map_err(|e| errors.push(e))
        .ok();
    let (level, until) = if internal {
        match marking(
            actor,
            "message",
            &input.classification,
            input.declassify_on.as_deref(),
            Classification::Unclassified,
            ctx,
        ) {
            Ok(m) => m,
            Err(e) => {
                errors.extend(e);
                (Classification::Unclassified, ctx.today())
            }
        }
    } else {
        if !input.classification.is_empty() && input.classification != "unclassified" {
            errors.push(FieldError::new(
                "classification",
                "external messages go to the mission and cannot be classified",
            ));
        }
        (Classification::Unclassified, ctx.today())
    };
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        return Err(invalid(errors));
    };
    db::write(conn, |conn| {
        insert_message(
            conn,
            id,
            actor,
            internal,
            (level, Some(until)),
            &body,
            ctx.now,
        )?;
        if !internal {
            let state = state_of(&row)?;
            let (kind, people) = if actor.role == Role::MissionStaff {
                let mut officer = recipient(conn, row.assigned_officer_id.as_deref())?;
                if officer.is_empty() {
                    officer = recipients_of_role(conn, Role::MfaOfficer, None)?;
                }
                ("message_from_mission", officer)
            } else {
                (
                    "message_from_mfa",
                    recipients_of_role(conn, Role::MissionStaff, Some(&row.mission_id))?,
                )
            };
            notify::request_event(
                conn,
                kind,
                &people,
                id,
                row.reference.as_deref(),
                state,
                ctx.now,
            )?;
        }
        Ok(())
    })
}

// ---- automatic end ---------------------------------------------------------------------------

/// Ends every request in effect whose measures have all passed their end date. Idempotent: a
/// request is ended once, however many instances run this at once.
pub fn end_expired(conn: &mut DbConnection, ctx: &Context) -> Result<usize, AppError> {
    let today = ctx.today();
    let due = store::due_to_end(conn, today)?;
    let mut ended = 0;
    for id in due {
        let done = db::write(conn, |conn| {
            let Some(row) = store::find_for_update(conn, &id)? else {
                return Ok(false);
            };
            if row.state != State::InEffect.code() {
                return Ok(false);
            }
            let extra = StateChange {
                closed_at: Some(ctx.now),
                ..StateChange::default()
            };
            if !store::change_state(conn, &id, row.version, State::Ended.code(), &extra, ctx.now)? {
                return Ok(false);
            }
            store::end_measures_on_their_dates(conn, &id)?;
            event(
                conn,
                &id,
                None,
                Action::EndMeasures.code(),
                (Some(State::InEffect), State::Ended),
                true,
                ctx.now,
            )?;
            audit::record(
                conn,
                &Entry {
                    event: "request_transition",
                    outcome: "success",
                    actor_org: Some("portal".into()),
                    target_type: Some("request"),
                    target_id: Some(id.clone()),
                    detail: json!({ "action": "end_measures", "from": "in_effect", "to": "ended", "automatic": true }),
                    ..Entry::default()
                },
                ctx.now,
            )?;
            let people = recipients_of_role(conn, Role::MissionStaff, Some(&row.mission_id))?;
            notify::request_event(
                conn,
                "measures_ended",
                &people,
                &id,
                row.reference.as_deref(),
                State::Ended,
                ctx.now,
            )?;
            Ok::<_, AppError>(true)
        })?;
        if done {
            ended += 1;
        }
    }
    Ok(ended)
}

/// The measure kinds offered in forms, in order.
pub fn measure_kinds() -> &'static [MeasureKind] {
    &MeasureKind::ALL
}

// ---- queues ----------------------------------------------------------------------------------

/// One of a role's work queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub key: &'static str,
    pub label: &'static str,
}

const fn q(key: &'static str, label: &'static str) -> Queue {
    Queue { key, label }
}

const MISSION_QUEUES: &[Queue] = &[q("all", "Your mission's requests")];
const MFA_QUEUES: &[Queue] = &[
    q("new", "New"),
    q("mine", "Assigned to you"),
    q("awaiting", "Awaiting the mission"),
    q("decided", "Decided: reply to send"),
    q("all", "All requests"),
];
const POLICE_QUEUES: &[Queue] = &[
    q("new", "New for police"),
    q("pst", "Referred to PST"),
    q("approved", "Approved: awaiting implementation"),
    q("in_effect", "In effect"),
    q("all", "All requests"),
];
const PST_QUEUES: &[Queue] = &[
    q("awaiting", "Awaiting assessment"),
    q("done", "Assessed"),
    q("all", "All requests"),
];

/// The queues each role works from, the first being its start page.
pub fn queues(role: Role) -> &'static [Queue] {
    match role {
        Role::MissionStaff => MISSION_QUEUES,
        Role::MfaOfficer => MFA_QUEUES,
        Role::PoliceLiaison => POLICE_QUEUES,
        Role::PstAnalyst => PST_QUEUES,
        Role::Admin => &[],
    }
}

fn states(list: &[State]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.code().to_owned()).collect())
}

/// The filter a queue stands for (within the viewer's scope, which `list` adds).
pub fn queue_filter(actor: &Actor, key: &str) -> ListFilter {
    use State::*;
    let mut f = ListFilter::default();
    match (actor.role, key) {
        (Role::MfaOfficer, "new") => {
            f.states = states(&[Submitted]);
            f.unassigned = true;
        }
        (Role::MfaOfficer, "mine") => {
            f.states = states(&[InTriage, AwaitingMission, PoliceReview, PstReview, Decided]);
            f.assigned_to = Some(actor.user_id.clone());
        }
        (Role::MfaOfficer, "awaiting") => f.states = states(&[AwaitingMission]),
        (Role::MfaOfficer, "decided") => f.states = states(&[Decided]),
        (Role::PoliceLiaison, "new") => f.states = states(&[PoliceReview]),
        (Role::PoliceLiaison, "pst") => f.states = states(&[PstReview]),
        (Role::PoliceLiaison, "approved") => f.states = states(&[Approved]),
        (Role::PoliceLiaison, "in_effect") => f.states = states(&[InEffect]),
        (Role::PstAnalyst, "awaiting") => f.states = states(&[PstReview]),
        (Role::PstAnalyst, "done") => {
            f.states = Some(
                State::ALL
                    .iter()
                    .filter(|s| **s != PstReview)
                    .map(|s| s.code().to_owned())
                    .collect(),
            )
        }
        _ => {}
    }
    f
}

/// Narrows a filter to a status as the viewer names it (mission-facing codes for missions);
/// an unknown status matches nothing rather than everything.
pub fn with_status(actor: &Actor, mut filter: ListFilter, status: &str) -> ListFilter {
    let wanted: Vec<String> = if actor.role == Role::MissionStaff {
        workflow::MissionStatus::parse(status)
            .map(|s| s.states().iter().map(|x| x.code().to_owned()).collect())
            .unwrap_or_default()
    } else {
        status
            .parse::<State>()
            .map(|s| vec![s.code().to_owned()])
            .unwrap_or_default()
    };
    filter.states = Some(match filter.states {
        Some(existing) => existing
            .into_iter()
            .filter(|s| wanted.contains(s))
            .collect(),
        None => wanted,
    });
    filter
}
