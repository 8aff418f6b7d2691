//! Queries on requests and what hangs off them: measures, timeline, messages, assessments,
//! in-portal notifications, and the reference counter.

use super::fixed::{Fixed, code, code_literal, fixed};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use super::{DbConnection, DbError};

type DbResult<T> = Result<T, DbError>;
use super::schema::{
    assessments, measures, messages, notifications, requests, timeline_events, users,
};
use crate::domain::disclosure::ListScope;
use crate::domain::ids::{MeasureId, RequestId};
use crate::domain::request::{Location, MeasureKind, Outcome, ThreatLevel, Urgency};
use crate::domain::workflow::State;
use crate::domain::{Classification, Role};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    #[diesel(deserialize_as = String)]
    pub id: RequestId,
    pub mission_id: String,
    pub reference: Option<String>,
    pub state: State,
    pub version: i32,
    pub title: String,
    pub justification: String,
    pub urgency: Urgency,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub created_by: String,
    pub assigned_officer_id: Option<String>,
    pub reached_police: bool,
    pub referred_to_pst: bool,
    pub referred_by: Option<String>,
    pub reply: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Approved with some measures declined (set when the decision is sent).
    pub partly_approved: bool,
    pub note_verbale_number: Option<String>,
    pub note_verbale_dated_on: Option<NaiveDate>,
    /// The due date of the stage the request is in (`NO_DUE_DATE` when none is due), the stage,
    /// and the rules it was counted with (`None` until first counted).
    pub due_on: NaiveDate,
    pub due_stage: Option<String>,
    pub due_rules: Option<String>,
    /// The first day an approved measure is (or will be) in place, once confirmed.
    pub in_place_from: Option<NaiveDate>,
    /// The day the police set for PST's assessment when they referred the request, if they did.
    pub pst_due_on: Option<NaiveDate>,
    /// The day the police next review the request in effect (none when no review is needed).
    pub next_review_on: Option<NaiveDate>,
    /// The review day the portal announced to the police as due (it tells them once).
    pub review_announced_for: Option<NaiveDate>,
}

/// `requests.due_on` when no stage is due: a date that sorts after every real one.
pub const NO_DUE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a date"),
};

impl RequestRow {
    /// The stage due now and its date, if one is.
    pub fn due(&self) -> Option<(crate::domain::deadlines::Stage, NaiveDate)> {
        let stage = self.due_stage.as_deref()?.parse().ok()?;
        (self.due_on < NO_DUE_DATE).then_some((stage, self.due_on))
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = requests)]
pub struct NewRequest<'a> {
    pub id: &'a str,
    pub mission_id: &'a str,
    pub state: &'a str,
    pub version: i32,
    pub title: &'a str,
    pub justification: &'a str,
    pub urgency: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub contact_email: &'a str,
    pub note_verbale_number: Option<&'a str>,
    pub note_verbale_dated_on: Option<NaiveDate>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The content fields mission staff edit.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = requests)]
pub struct RequestContent<'a> {
    pub title: &'a str,
    pub justification: &'a str,
    pub urgency: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub contact_email: &'a str,
    pub note_verbale_number: Option<&'a str>,
    pub note_verbale_dated_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = measures)]
pub struct MeasureRow {
    #[diesel(deserialize_as = String)]
    pub id: MeasureId,
    #[diesel(deserialize_as = String)]
    pub request_id: RequestId,
    pub position: i32,
    pub kind: Option<MeasureKind>,
    pub location: Option<Location>,
    pub address: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    pub outcome: Option<Outcome>,
    pub conditions: Option<String>,
    pub implemented_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    /// Why the police declined it (declined measures only).
    pub decline_reason: Option<String>,
    /// Daily hours, `HH:MM` in Oslo.
    pub from_time: Option<String>,
    pub until_time: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = measures)]
pub struct NewMeasure<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub position: i32,
    pub kind: Option<&'a str>,
    pub location: Option<&'a str>,
    pub address: Option<&'a str>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: &'a str,
    pub from_time: Option<String>,
    pub until_time: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = timeline_events)]
pub struct EventRow {
    pub id: String,
    pub request_id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub mission_visible: bool,
    /// For `take`: whom the request was assigned to.
    pub assignee_id: Option<String>,
    /// What the step was about where its action does not say (an escalation's stage).
    pub detail: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = timeline_events)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub at: NaiveDateTime,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub mission_visible: bool,
    pub assignee_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: String,
    pub request_id: String,
    pub author_id: String,
    pub visibility: String,
    pub classification: Classification,
    pub declassify_on: Option<NaiveDate>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub author_id: &'a str,
    pub visibility: &'a str,
    pub classification: &'a str,
    pub declassify_on: Option<NaiveDate>,
    pub body: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assessments)]
pub struct AssessmentRow {
    pub id: String,
    pub request_id: String,
    pub author_id: String,
    pub threat_level: ThreatLevel,
    pub summary: String,
    pub classification: Classification,
    pub declassify_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = assessments)]
pub struct NewAssessment<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub author_id: &'a str,
    pub threat_level: &'a str,
    pub summary: &'a str,
    pub classification: &'a str,
    pub declassify_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub request_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub request_id: Option<&'a str>,
    pub kind: &'a str,
    pub payload: &'a str,
    pub created_at: NaiveDateTime,
}

// ---- requests -------------------------------------------------------------------------------

pub fn insert(conn: &mut DbConnection, request: &NewRequest<'_>) -> DbResult<()> {
    diesel::insert_into(requests::table)
        .values(request)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<Option<RequestRow>> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

/// Reads a request for changing it. On PostgreSQL the row is locked until the transaction
/// ends; on SQLite the write transaction already holds the database's write lock.
pub fn find_for_update(conn: &mut DbConnection, id: &str) -> DbResult<Option<RequestRow>> {
    match conn {
        DbConnection::Postgres(pg) => requests::table
            .find(id)
            .select(RequestRow::as_select())
            .for_update()
            .first(pg)
            .optional()
            .map_err(DbError::from),
        DbConnection::Sqlite(_) => find(conn, id),
    }
}

/// Replaces the content fields, bumping the version; false if the version moved meanwhile.
pub fn update_content(
    conn: &mut DbConnection,
    id: &str,
    seen_version: i32,
    content: &RequestContent<'_>,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(
        requests::table
            .find(id)
            .filter(requests::version.eq(seen_version)),
    )
    .set((
        content,
        requests::version.eq(seen_version + 1),
        requests::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// The fields a state change may set besides state and version.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = requests)]
pub struct StateChange {
    pub reference: Option<String>,
    pub assigned_officer_id: Option<String>,
    pub reached_police: Option<bool>,
    pub referred_to_pst: Option<bool>,
    pub referred_by: Option<String>,
    pub reply: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub partly_approved: Option<bool>,
    pub in_place_from: Option<NaiveDate>,
    /// `Some(None)` clears it.
    pub pst_due_on: Option<Option<NaiveDate>>,
    /// `Some(None)` clears it.
    pub next_review_on: Option<Option<NaiveDate>>,
    pub review_announced_for: Option<Option<NaiveDate>>,
}

/// Moves a request to `to` if it is still at `seen_version`; false otherwise (nothing written).
pub fn change_state(
    conn: &mut DbConnection,
    id: &str,
    seen_version: i32,
    to: &str,
    extra: &StateChange,
    now: NaiveDateTime,
) -> DbResult<bool> {
    let target = requests::table
        .find(id)
        .filter(requests::version.eq(seen_version));
    let base = (
        requests::state.eq(to),
        requests::version.eq(seen_version + 1),
        requests::updated_at.eq(now),
    );
    let n = if has_changes(extra) {
        diesel::update(target).set((base, extra)).execute(conn)?
    } else {
        diesel::update(target).set(base).execute(conn)?
    };
    // The reference and the need-to-know flags are words and marks of the search document.
    if n == 1
        && (extra.reference.is_some()
            || extra.reached_police.is_some()
            || extra.referred_to_pst.is_some())
    {
        super::search::refresh(conn, id)?;
    }
    Ok(n == 1)
}

fn has_changes(c: &StateChange) -> bool {
    c.reference.is_some()
        || c.assigned_officer_id.is_some()
        || c.reached_police.is_some()
        || c.referred_to_pst.is_some()
        || c.referred_by.is_some()
        || c.reply.is_some()
        || c.submitted_at.is_some()
        || c.decided_at.is_some()
        || c.closed_at.is_some()
        || c.partly_approved.is_some()
        || c.in_place_from.is_some()
        || c.pst_due_on.is_some()
        || c.next_review_on.is_some()
        || c.review_announced_for.is_some()
}

pub fn delete(conn: &mut DbConnection, id: &str) -> DbResult<bool> {
    diesel::delete(requests::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
        .map_err(DbError::from)
}

/// The next number of `year`'s reference sequence. The counter row stays locked until the
/// transaction ends, so concurrent submissions queue and never share a number.
pub fn next_reference_number(conn: &mut DbConnection, year: i32) -> DbResult<i32> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = Integer)]
        last_seq: i32,
    }
    let next: Next = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "INSERT INTO reference_counters (year, last_seq) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last_seq = reference_counters.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind::<Integer, _>(year)
        .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(
            "INSERT INTO reference_counters (year, last_seq) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last_seq = reference_counters.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind::<Integer, _>(year)
        .get_result(lite)?,
    };
    Ok(next.last_seq)
}

// ---- lists ----------------------------------------------------------------------------------

/// Which requests a list may contain at all: the viewer's need to know (decided in
/// `domain::disclosure`), here as a query.
pub type Scope = ListScope;

/// A list's filters, all optional, all applied within the scope.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Option<Vec<String>>,
    pub mission_id: Option<String>,
    pub assigned_to: Option<String>,
    pub unassigned: bool,
    /// Words to search for (`app::requests` searches the index with them; the queries here
    /// do not look at them).
    pub query: Option<String>,
    /// Only requests approved with some measures declined (`true`) or without (`false`).
    pub partly_approved: Option<bool>,
    /// Only requests whose current stage was due before this day (the Overdue queue).
    pub due_before: Option<NaiveDate>,
    /// Only requests with a measure in place on the day (`true`), or none yet (`false`).
    pub in_place: Option<(bool, NaiveDate)>,
    /// Only requests whose periodic review falls on this day or before (the Review due queue).
    pub review_due_by: Option<NaiveDate>,
}

/// The need-to-know scope as a condition. Written as constant SQL, not bound parameters, so
/// that the planner can match it against the partial index of the scope (migration
/// `queue_indexes`).
fn scope_condition(scope: &Scope) -> Condition<'_> {
    match scope {
        Scope::Mission(id) => Box::new(requests::mission_id.eq(id.clone())),
        Scope::Submitted => Box::new(fixed::<Bool>("requests.state <> 'draft'")),
        Scope::ReachedPolice => Box::new(fixed::<Bool>("requests.reached_police")),
        Scope::ReferredToPst => Box::new(fixed::<Bool>("requests.referred_to_pst")),
        Scope::Nothing => Box::new(fixed::<Bool>("1 = 0")),
    }
}

type Condition<'a> =
    Box<dyn BoxableExpression<requests::table, super::MultiBackend, SqlType = Bool> + 'a>;

fn filtered<'a>(
    scope: &'a Scope,
    filter: &'a ListFilter,
) -> requests::BoxedQuery<'a, super::MultiBackend> {
    let mut q = requests::table.into_boxed().filter(scope_condition(scope));
    if let Some(states) = &filter.states {
        // Written out, not bound: a bound state is matched against the partial indexes'
        // conditions, which has SQLite plan the statement again each time (`db::fixed`).
        let listed: Vec<String> = states.iter().map(|s| code_literal(s)).collect();
        q = q.filter(fixed::<Bool>(if listed.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("requests.state IN ({})", listed.join(", "))
        }));
    }
    if let Some(m) = &filter.mission_id {
        q = q.filter(requests::mission_id.eq(m.clone()));
    }
    if let Some(a) = &filter.assigned_to {
        q = q.filter(requests::assigned_officer_id.eq(a.clone()));
    }
    if filter.unassigned {
        q = q.filter(requests::assigned_officer_id.is_null());
    }
    if let Some(partly) = filter.partly_approved {
        q = q.filter(requests::partly_approved.eq(partly));
    }
    match filter.in_place {
        Some((true, day)) => q = q.filter(requests::in_place_from.le(day)),
        Some((false, day)) => q = q.filter(requests::in_place_from.gt(day)),
        None => {}
    }
    if let Some(day) = filter.review_due_by {
        q = q.filter(requests::next_review_on.le(day));
    }
    if let Some(day) = filter.due_before {
        q = q
            .filter(requests::due_stage.is_not_null())
            .filter(requests::due_on.lt(day));
    }
    q
}

/// Which of `ids` the list of `scope` holds under `filter` (whose words are not looked at
/// here: a search found the ids).
pub fn ids_within(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ListFilter,
    ids: &[String],
) -> DbResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    filtered(scope, filter)
        .filter(requests::id.eq_any(ids.to_vec()))
        .select(requests::id)
        .load(conn)
        .map_err(DbError::from)
}

/// A mission's list puts the requests needing its action first; the same expression is indexed
/// (`requests_mission_queue_idx`), so it must be written exactly like this.
const NEEDS_MISSION: &str = "(CASE WHEN state = 'awaiting_mission' THEN 0 ELSE 1 END)";

/// A row's place in a list's order. A page can start right after one, or end right before one
/// (keyset paging): the database then reads the next rows from an index instead of counting
/// its way past every row before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The authorities' order: urgent first, then the earliest due date of the stage each is
    /// in (none due last), then oldest submission, then id.
    Queue {
        urgent: bool,
        due_on: NaiveDate,
        submitted_at: NaiveDateTime,
        id: String,
    },
    /// A mission's order: needing its action first, then newest, then id.
    Mission {
        needs_action: bool,
        created_at: NaiveDateTime,
        id: String,
    },
}

impl Position {
    /// Where `row` stands in the lists of `scope`; `None` for a row without a place there (a
    /// draft has no submission time and is in no authority's list).
    pub fn of(scope: &Scope, row: &RequestRow) -> Option<Self> {
        match scope {
            Scope::Mission(_) => Some(Self::Mission {
                needs_action: row.state == State::AwaitingMission,
                created_at: row.created_at,
                id: row.id.to_string(),
            }),
            Scope::Nothing => None,
            _ => Some(Self::Queue {
                urgent: row.urgency == Urgency::Urgent,
                due_on: row.due_on,
                submitted_at: row.submitted_at?,
                id: row.id.to_string(),
            }),
        }
    }

    fn fits(&self, scope: &Scope) -> bool {
        matches!(
            (self, scope),
            (Self::Mission { .. }, Scope::Mission(_))
                | (
                    Self::Queue { .. },
                    Scope::Submitted | Scope::ReachedPolice | Scope::ReferredToPst
                )
        )
    }
}

/// Where a page of a list starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// After this many rows (bounded by the caller).
    Offset(i64),
    /// Right after a row.
    After(Position),
    /// The page that ends right before a row.
    Before(Position),
}

/// The list in its order (`forward`) or in the reverse order. `by_rank` leaves out the rank
/// (urgency, or needing the mission's action) when a keyset read stays within one: the planner
/// then reads the index range in order instead of sorting it.
/// What a list shows of each request besides its row, read with it (each a subquery on one
/// request, run only for the rows of the page): its mission's name; the earliest start of its
/// measures and its event's start (when protection is needed); and, of its approved measures,
/// how many there are and the last day they run (none when one runs until further notice).
const LIST_DETAILS: [&str; 5] = [
    "(SELECT missions.name FROM missions WHERE missions.id = requests.mission_id)",
    "(SELECT MIN(measures.starts_on) FROM measures WHERE measures.request_id = requests.id)",
    "(SELECT request_events.starts_at FROM request_events \
      WHERE request_events.request_id = requests.id)",
    "(SELECT COUNT(*) FROM measures WHERE measures.request_id = requests.id \
      AND measures.outcome IN ('approved', 'approved_with_conditions'))",
    "(SELECT CASE WHEN COUNT(*) = COUNT(measures.ends_on) THEN MAX(measures.ends_on) END \
      FROM measures WHERE measures.request_id = requests.id \
      AND measures.outcome IN ('approved', 'approved_with_conditions'))",
];

/// A request in a list, with what the list shows of it besides its row (`LIST_DETAILS`).
#[derive(Debug, Clone, Queryable)]
pub struct ListedRow {
    pub row: RequestRow,
    pub mission_name: Option<String>,
    pub first_measure_starts_on: Option<NaiveDate>,
    pub event_starts_at: Option<NaiveDateTime>,
    pub approved_measures: i64,
    /// The last day its approved measures run; `None` when one runs until further notice (or
    /// none is approved).
    pub approved_until: Option<NaiveDate>,
}

type ListedSelection = (
    diesel::dsl::AsSelect<RequestRow, super::MultiBackend>,
    Fixed<diesel::sql_types::Nullable<Text>>,
    Fixed<diesel::sql_types::Nullable<diesel::sql_types::Date>>,
    Fixed<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>>,
    Fixed<BigInt>,
    Fixed<diesel::sql_types::Nullable<diesel::sql_types::Date>>,
);

fn listed_selection() -> ListedSelection {
    (
        RequestRow::as_select(),
        fixed(LIST_DETAILS[0]),
        fixed(LIST_DETAILS[1]),
        fixed(LIST_DETAILS[2]),
        fixed(LIST_DETAILS[3]),
        fixed(LIST_DETAILS[4]),
    )
}

/// The requests `ids` with what a list shows of them (`ListedRow`), in one statement.
pub fn listed(conn: &mut DbConnection, ids: &[String]) -> DbResult<Vec<ListedRow>> {
    requests::table
        .filter(requests::id.eq_any(ids.to_vec()))
        .select(listed_selection())
        .load(conn)
        .map_err(DbError::from)
}

fn ordered<'a>(
    scope: &'a Scope,
    filter: &'a ListFilter,
    forward: bool,
    by_rank: bool,
) -> diesel::dsl::Select<requests::BoxedQuery<'a, super::MultiBackend>, ListedSelection> {
    let mut q = filtered(scope, filter).select(listed_selection());
    let mission = matches!(scope, Scope::Mission(_));
    if by_rank {
        q = match (mission, forward) {
            (true, true) => q.then_order_by(fixed::<Integer>(NEEDS_MISSION).asc()),
            (true, false) => q.then_order_by(fixed::<Integer>(NEEDS_MISSION).desc()),
            (false, true) => q.then_order_by(requests::urgency.desc()),
            (false, false) => q.then_order_by(requests::urgency.asc()),
        };
    }
    match (mission, forward) {
        // Newest first by creation: ordering by the last change would move a request up the
        // mission's list on internal steps it must not learn of.
        (true, true) => q
            .then_order_by(requests::created_at.desc())
            .then_order_by(requests::id.asc()),
        (true, false) => q
            .then_order_by(requests::created_at.asc())
            .then_order_by(requests::id.desc()),
        (false, true) => q
            .then_order_by(requests::due_on.asc())
            .then_order_by(requests::submitted_at.asc())
            .then_order_by(requests::id.asc()),
        (false, false) => q
            .then_order_by(requests::due_on.desc())
            .then_order_by(requests::submitted_at.desc())
            .then_order_by(requests::id.desc()),
    }
}

/// Rows of the same rank (urgency, or needing the mission's action) as `at`, on its far side in
/// the direction of reading; then the ranks beyond it. Each is one index range.
fn beyond(at: &Position, forward: bool) -> (Condition<'static>, Condition<'static>) {
    match at.clone() {
        Position::Queue {
            urgent,
            due_on,
            submitted_at,
            id,
        } => {
            let urgency = if urgent { "urgent" } else { "routine" };
            let submitted = requests::submitted_at.assume_not_null();
            // (due_on, submitted_at, id) beyond the position's, in the direction of reading.
            let same: Condition<'static> = if forward {
                Box::new(
                    requests::urgency
                        .eq(urgency)
                        .and(requests::due_on.ge(due_on))
                        .and(
                            requests::due_on.gt(due_on).or(submitted
                                .ge(submitted_at)
                                .and(submitted.gt(submitted_at).or(requests::id.gt(id)))),
                        ),
                )
            } else {
                Box::new(
                    requests::urgency
                        .eq(urgency)
                        .and(requests::due_on.le(due_on))
                        .and(
                            requests::due_on.lt(due_on).or(submitted
                                .le(submitted_at)
                                .and(submitted.lt(submitted_at).or(requests::id.lt(id)))),
                        ),
                )
            };
            // Urgent comes first: reading on from urgent goes to routine.
            let next: Condition<'static> = if forward {
                Box::new(requests::urgency.lt(urgency))
            } else {
                Box::new(requests::urgency.gt(urgency))
            };
            (same, next)
        }
        Position::Mission {
            needs_action,
            created_at,
            id,
        } => {
            let rank = if needs_action { 0 } else { 1 };
            let rank_is = fixed::<Bool>(format!("{NEEDS_MISSION} = {rank}"));
            let same: Condition<'static> = if forward {
                Box::new(
                    rank_is
                        .and(requests::created_at.le(created_at))
                        .and(requests::created_at.lt(created_at).or(requests::id.gt(id))),
                )
            } else {
                Box::new(
                    rank_is
                        .and(requests::created_at.ge(created_at))
                        .and(requests::created_at.gt(created_at).or(requests::id.lt(id))),
                )
            };
            let op = if forward { ">" } else { "<" };
            let next: Condition<'static> =
                Box::new(fixed::<Bool>(format!("{NEEDS_MISSION} {op} {rank}")));
            (same, next)
        }
    }
}

/// One page of a list, in the list's order: urgent first, then oldest first (missions: requests
/// needing their action first, then newest).
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ListFilter,
    limit: i64,
    start: &Start,
) -> DbResult<Vec<ListedRow>> {
    let (at, forward) = match start {
        Start::Offset(offset) => {
            return ordered(scope, filter, true, true)
                .limit(limit)
                .offset(*offset)
                .load(conn)
                .map_err(DbError::from);
        }
        Start::After(at) => (at, true),
        Start::Before(at) => (at, false),
    };
    if !at.fits(scope) {
        return Ok(Vec::new());
    }
    let (same, next) = beyond(at, forward);
    let mut rows = ordered(scope, filter, forward, false)
        .filter(same)
        .limit(limit)
        .load(conn)?;
    let missing = limit - rows.len() as i64;
    if missing > 0 {
        rows.extend(
            ordered(scope, filter, forward, true)
                .filter(next)
                .limit(missing)
                .load(conn)?,
        );
    }
    if !forward {
        rows.reverse();
    }
    Ok(rows)
}

/// Every request, drafts included.
pub fn count_all(conn: &mut DbConnection) -> DbResult<i64> {
    requests::table
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

/// How many requests each of `lists` holds (each counted no further than its cap + 1), and —
/// when `with_missions` — every mission's id and name, in one statement: a list page's total,
/// its tabs' counts and its mission filter. Answers the counts in the order of `lists`, and the
/// missions by name.
pub fn count_lists(
    conn: &mut DbConnection,
    scope: &Scope,
    lists: &[(&ListFilter, i64)],
    with_missions: bool,
) -> DbResult<(Vec<i64>, Vec<MissionName>)> {
    if lists.is_empty() && !with_missions {
        return Ok((Vec::new(), Vec::new()));
    }
    let counted = Counts {
        lists: lists
            .iter()
            .map(|(filter, cap)| filtered(scope, filter).select(requests::id).limit(cap + 1))
            .collect(),
        with_missions,
    };
    let rows: Vec<(i32, i32, String, String, i64)> = counted.load(conn)?;
    let mut counts = vec![0; lists.len()];
    let mut missions = Vec::new();
    for (part, k, id, name, n) in rows {
        match part {
            0 => {
                if let Some(c) = counts.get_mut(k as usize) {
                    *c = n;
                }
            }
            _ => missions.push((id, name)),
        }
    }
    missions.sort_by(|a: &(String, String), b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok((counts, missions))
}

/// A mission's id and name.
pub type MissionName = (String, String);

/// `count_lists` as one statement: a `UNION ALL` of bounded counts (`CountOf` each) and the
/// missions.
struct Counts<'a> {
    lists: Vec<requests::BoxedQuery<'a, super::MultiBackend, Text>>,
    with_missions: bool,
}

impl QueryId for Counts<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Counts<'_> {
    type SqlType = (Integer, Integer, Text, Text, BigInt);
}

impl RunQueryDsl<DbConnection> for Counts<'_> {}

impl QueryFragment<super::MultiBackend> for Counts<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, super::MultiBackend>) -> QueryResult<()> {
        for (k, list) in self.lists.iter().enumerate() {
            if k > 0 {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql(&format!(
                "SELECT CAST(0 AS INTEGER) AS part, CAST({k} AS INTEGER) AS k, '' AS a, '' AS b, \
                 CAST(COUNT(*) AS BIGINT) AS n FROM ("
            ));
            <_ as QueryFragment<super::MultiBackend>>::walk_ast(list, out.reborrow())?;
            out.push_sql(&format!(") AS counted_{k}"));
        }
        if self.with_missions {
            if !self.lists.is_empty() {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql(
                "SELECT CAST(1 AS INTEGER) AS part, CAST(0 AS INTEGER) AS k, missions.id AS a, \
                 missions.name AS b, CAST(0 AS BIGINT) AS n FROM missions",
            );
        }
        Ok(())
    }
}

/// `SELECT COUNT(*) FROM (query)`: diesel has no subqueries in FROM.
#[derive(Debug, Clone, Copy, QueryId)]
struct CountOf<Q>(Q);

impl<Q> Query for CountOf<Q> {
    type SqlType = BigInt;
}

impl<Q> RunQueryDsl<DbConnection> for CountOf<Q> {}

impl<Q, DB> QueryFragment<DB> for CountOf<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS counted");
        Ok(())
    }
}

/// Requests in effect whose every approved measure has an end date before `today`.
macro_rules! due_to_end {
    ($today:expr) => {{
        let open_ended = measures::table
            .filter(measures::request_id.eq(requests::id))
            .filter(measures::outcome.eq_any(["approved", "approved_with_conditions"]))
            .filter(measures::ends_on.is_null().or(measures::ends_on.ge($today)));
        requests::table
            .filter(requests::state.eq(code("in_effect")))
            .filter(diesel::dsl::not(diesel::dsl::exists(open_ended)))
    }};
}

/// Up to `limit` requests due to end on `today` (the automatic end), in id order after `after`
/// (so that a batch whose steps keep failing does not hold back the ones behind it).
pub fn due_to_end(
    conn: &mut DbConnection,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<String>> {
    due_to_end!(today)
        .filter(requests::id.gt(after.unwrap_or("")))
        .order(requests::id.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)
        .map_err(DbError::from)
}

/// How many requests are due to end on `today`, counting no further than `cap`.
pub fn count_due_to_end(conn: &mut DbConnection, today: NaiveDate, cap: i64) -> DbResult<i64> {
    let ids: Vec<String> = due_to_end!(today)
        .limit(cap)
        .select(requests::id)
        .load(conn)?;
    Ok(ids.len() as i64)
}

/// Locks a request for the portal's own step unless another transaction holds it (on PostgreSQL,
/// `FOR UPDATE SKIP LOCKED`: another instance is taking a step on it, so this one moves on). On
/// SQLite the caller's write transaction already excludes every other writer. False when the
/// request is taken or gone.
pub fn lock_unless_taken(conn: &mut DbConnection, id: &str) -> DbResult<bool> {
    let query = requests::table.find(id).select(requests::id);
    let found: Option<String> = match conn {
        DbConnection::Postgres(pg) => query.for_update().skip_locked().first(pg).optional()?,
        DbConnection::Sqlite(_) => query.first(conn).optional()?,
    };
    Ok(found.is_some())
}

// ---- measures -------------------------------------------------------------------------------

pub fn measures_of(conn: &mut DbConnection, request_id: &str) -> DbResult<Vec<MeasureRow>> {
    measures::table
        .filter(measures::request_id.eq(request_id))
        .order(measures::position.asc())
        .select(MeasureRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

pub fn replace_measures(
    conn: &mut DbConnection,
    request_id: &str,
    new: &[NewMeasure<'_>],
) -> DbResult<()> {
    diesel::delete(measures::table.filter(measures::request_id.eq(request_id))).execute(conn)?;
    for m in new {
        diesel::insert_into(measures::table)
            .values(m)
            .execute(conn)?;
    }
    Ok(())
}

/// Records the police's decision on one measure: its outcome, conditions (approved with
/// conditions) or the reason (declined).
pub fn set_outcome(
    conn: &mut DbConnection,
    measure_id: &str,
    outcome: &str,
    conditions: Option<&str>,
    decline_reason: Option<&str>,
) -> DbResult<()> {
    diesel::update(measures::table.find(measure_id))
        .set((
            measures::outcome.eq(Some(outcome)),
            measures::conditions.eq(conditions),
            measures::decline_reason.eq(decline_reason),
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn set_implemented(conn: &mut DbConnection, measure_id: &str, on: NaiveDate) -> DbResult<()> {
    diesel::update(measures::table.find(measure_id))
        .set(measures::implemented_on.eq(Some(on)))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Marks every measure in effect of a request as ended on `on`; the calendar shows each up to
/// that day.
pub fn end_measures(conn: &mut DbConnection, request_id: &str, on: NaiveDate) -> DbResult<()> {
    diesel::update(
        measures::table
            .filter(measures::request_id.eq(request_id))
            .filter(measures::implemented_on.is_not_null())
            .filter(measures::ended_on.is_null()),
    )
    .set((
        measures::ended_on.eq(Some(on)),
        measures::calendar_until.eq(Some(on)),
    ))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

/// Marks each measure in effect as ended on its own end date (the automatic end).
pub fn end_measures_on_their_dates(conn: &mut DbConnection, request_id: &str) -> DbResult<()> {
    diesel::update(
        measures::table
            .filter(measures::request_id.eq(request_id))
            .filter(measures::implemented_on.is_not_null())
            .filter(measures::ended_on.is_null()),
    )
    .set((
        measures::ended_on.eq(measures::ends_on),
        measures::calendar_until.eq(measures::ends_on),
    ))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

/// Puts the approved measures of a request in the police calendar once the decision is sent:
/// each up to its end date, an open-ended one for as long as it runs (`NO_DUE_DATE` sorts last).
pub fn open_in_calendar(conn: &mut DbConnection, request_id: &str) -> DbResult<()> {
    diesel::update(
        measures::table
            .filter(measures::request_id.eq(request_id))
            .filter(measures::outcome.eq_any(["approved", "approved_with_conditions"])),
    )
    .set(measures::calendar_until.eq(diesel::dsl::sql::<
        diesel::sql_types::Nullable<diesel::sql_types::Date>,
    >("COALESCE(ends_on, '9999-12-31')")))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

// ---- timeline, messages, assessments --------------------------------------------------------

pub fn insert_event(conn: &mut DbConnection, event: &NewEvent<'_>) -> DbResult<()> {
    diesel::insert_into(timeline_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn events_of(conn: &mut DbConnection, request_id: &str) -> DbResult<Vec<EventRow>> {
    timeline_events::table
        .filter(timeline_events::request_id.eq(request_id))
        .order((timeline_events::at.asc(), timeline_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// How many steps of a request's history its mission sees (the mission-facing version).
pub fn mission_visible_events(conn: &mut DbConnection, request_id: &str) -> DbResult<i64> {
    timeline_events::table
        .filter(timeline_events::request_id.eq(request_id))
        .filter(timeline_events::mission_visible.eq(true))
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

pub fn insert_message(conn: &mut DbConnection, message: &NewMessage<'_>) -> DbResult<()> {
    diesel::insert_into(messages::table)
        .values(message)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn messages_of(conn: &mut DbConnection, request_id: &str) -> DbResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::request_id.eq(request_id))
        .order((messages::created_at.asc(), messages::id.asc()))
        .select(MessageRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

pub fn insert_assessment(conn: &mut DbConnection, a: &NewAssessment<'_>) -> DbResult<()> {
    diesel::insert_into(assessments::table)
        .values(a)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn assessments_of(conn: &mut DbConnection, request_id: &str) -> DbResult<Vec<AssessmentRow>> {
    assessments::table
        .filter(assessments::request_id.eq(request_id))
        .order((assessments::created_at.asc(), assessments::id.asc()))
        .select(AssessmentRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// The highest classification of anything stored (the start-up check against the ceiling).
pub fn classifications_in_use(conn: &mut DbConnection) -> DbResult<Vec<String>> {
    let mut levels: Vec<String> = messages::table
        .select(messages::classification)
        .distinct()
        .load(conn)?;
    levels.extend(
        assessments::table
            .select(assessments::classification)
            .distinct()
            .load::<String>(conn)?,
    );
    Ok(levels)
}

// ---- people to notify, in-portal notifications ----------------------------------------------

/// Active accounts of one role (and mission, for mission staff): (id, email).
pub fn recipients(
    conn: &mut DbConnection,
    role: &str,
    mission_id: Option<&str>,
) -> DbResult<Vec<(String, String)>> {
    let mut q = users::table
        .filter(users::role.eq(role.to_owned()))
        .filter(users::active.eq(true))
        .select((users::id, users::email))
        .into_boxed();
    if let Some(m) = mission_id {
        q = q.filter(users::mission_id.eq(m.to_owned()));
    }
    q.order(users::id.asc()).load(conn).map_err(DbError::from)
}

pub fn insert_notification(conn: &mut DbConnection, n: &NewNotification<'_>) -> DbResult<()> {
    diesel::insert_into(notifications::table)
        .values(n)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// A person's notifications, limited to requests they may still see. (Every in-portal
/// notification is about a request.)
macro_rules! visible_notifications {
    ($user_id:expr, $scope:expr) => {{
        let q = notifications::table
            .inner_join(requests::table)
            .filter(notifications::user_id.eq($user_id.to_owned()))
            .into_boxed::<super::MultiBackend>();
        match $scope {
            Scope::Mission(id) => q.filter(requests::mission_id.eq(id.clone())),
            Scope::Submitted => q.filter(requests::state.ne(code("draft"))),
            Scope::ReachedPolice => q.filter(requests::reached_police),
            Scope::ReferredToPst => q.filter(requests::referred_to_pst),
            Scope::Nothing => q.filter(requests::id.eq("").and(requests::id.ne(""))),
        }
    }};
}

/// A page of a person's notifications about requests they may still see, newest first.
pub fn visible_notifications_page(
    conn: &mut DbConnection,
    user_id: &str,
    scope: &Scope,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<NotificationRow>> {
    visible_notifications!(user_id, scope)
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(NotificationRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

pub fn count_visible_notifications(
    conn: &mut DbConnection,
    user_id: &str,
    scope: &Scope,
) -> DbResult<i64> {
    visible_notifications!(user_id, scope)
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

/// A person's unread notifications about requests they may still see, counted no further than
/// `cap` + 1 (the badge in every page's header).
pub fn count_unread_up_to(
    conn: &mut DbConnection,
    user_id: &str,
    scope: &Scope,
    cap: i64,
) -> DbResult<i64> {
    CountOf(
        visible_notifications!(user_id, scope)
            .filter(notifications::read_at.is_null())
            .select(notifications::id)
            .limit(cap + 1),
    )
    .get_result(conn)
    .map_err(DbError::from)
}

/// Marks one of a person's notifications read; false if it is not theirs.
pub fn mark_notification_read(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user_id)),
    )
    .set(notifications::read_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// How many of a person's notifications about one request are unread.
pub fn count_unread_about(
    conn: &mut DbConnection,
    user_id: &str,
    request_id: &str,
) -> DbResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::request_id.eq(request_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

/// Marks a person's notifications about one request read; answers how many were unread.
pub fn mark_read_about(
    conn: &mut DbConnection,
    user_id: &str,
    request_id: &str,
    now: NaiveDateTime,
) -> DbResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::request_id.eq(request_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now)))
    .execute(conn)
    .map_err(DbError::from)
}

pub fn mark_all_notifications_read(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> DbResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now)))
    .execute(conn)
    .map_err(DbError::from)
}

pub fn notifications_for(
    conn: &mut DbConnection,
    user_id: &str,
    limit: i64,
) -> DbResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::created_at.desc())
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// Names of accounts by id (for timelines and messages).
pub fn names(conn: &mut DbConnection, ids: &[String]) -> DbResult<Vec<(String, String, String)>> {
    users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select((users::id, users::name, users::role))
        .load(conn)
        .map_err(DbError::from)
}

/// Columns holding codes are read as their enums; an unknown code is a corrupt row
/// (`DbError::Corrupt`), the same error wherever it is read.
macro_rules! code_columns {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB> diesel::deserialize::FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: diesel::deserialize::FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let code = <String as diesel::deserialize::FromSql<Text, DB>>::from_sql(bytes)?;
                Ok(<$t>::try_from(code)?)
            }
        }

        impl<DB> diesel::deserialize::Queryable<Text, DB> for $t
        where
            DB: Backend,
            String: diesel::deserialize::FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

code_columns!(
    State,
    Urgency,
    MeasureKind,
    Location,
    Outcome,
    ThreatLevel,
    Classification,
    Role
);
