//! Lists of requests as one person may see them: the scope of `domain::disclosure` as a query,
//! filters that narrow it and never widen it, keyset paging and bounded counts.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveDateTime};
use hmac::{Hmac, Mac};

use super::search::Found;
use crate::app::AppError;
use crate::db::requests::{self as store, ListFilter};
use crate::db::{DbConnection, missions};
use crate::domain::FieldError;
use crate::domain::access::Actor;
use crate::domain::disclosure::{self, Status};
use crate::domain::ids::RequestId;
use crate::domain::request::Urgency;
use crate::domain::search::Query;
use crate::domain::text::check_text;
use crate::domain::workflow::State;

const PAGE_MAX: i64 = 100;
/// The longest search text.
const SEARCH_MAX: usize = 200;

/// One request in a list, as the viewer may see it.
#[derive(Debug, Clone)]
pub struct RequestSummary {
    pub id: RequestId,
    pub reference: Option<String>,
    pub mission_id: String,
    pub title: String,
    pub urgency: Urgency,
    /// The status for this viewer.
    pub status: Status,
    /// Waiting for the viewer ("Action needed").
    pub needs_action: bool,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// For the authorities: the due date of the stage the request is in.
    pub due_on: Option<NaiveDate>,
    /// For the authorities, while in effect: the day of the next periodic review.
    pub next_review_on: Option<NaiveDate>,
    /// In a search's results: the words found in it.
    pub found: Option<Found>,
    /// Its mission's name.
    pub mission_name: String,
    /// When protection is needed: the earliest start of its measures or its event.
    pub needed_by: Option<NaiveDate>,
    /// The last day its approved measures run: `None` without approved measures, `Some(None)`
    /// when one runs until further notice.
    pub approved_until: Option<Option<NaiveDate>>,
}

impl RequestSummary {
    /// Whether the stage it is in is past its due date on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.due_on.is_some_and(|d| d < today)
    }

    /// The same, as a search found it.
    pub(super) fn with_found(self, found: Found) -> Self {
        RequestSummary {
            found: Some(found),
            ..self
        }
    }

    /// A request of a list as `actor` may see it, with what the list shows of it besides.
    pub(super) fn listed(actor: &Actor, listed: store::ListedRow) -> Self {
        let store::ListedRow {
            row: r,
            mission_name,
            first_measure_starts_on,
            event_starts_at,
            approved_measures,
            approved_until,
        } = listed;
        RequestSummary {
            found: None,
            mission_name: mission_name.unwrap_or_default(),
            needed_by: crate::domain::deadlines::needed_by([
                first_measure_starts_on,
                event_starts_at.map(|at| at.date()),
            ]),
            approved_until: (approved_measures > 0).then_some(approved_until),
            next_review_on: r
                .next_review_on
                .filter(|_| r.state == State::InEffect && disclosure::review_visible(actor)),
            due_on: r
                .due()
                .filter(|_| disclosure::deadlines_visible(actor))
                .map(|(_, d)| d),
            status: disclosure::status_on(
                actor.role,
                r.state,
                r.partly_approved,
                disclosure::scheduled(
                    r.in_place_from,
                    crate::domain::time::oslo_date(crate::app::now()),
                ),
            ),
            needs_action: disclosure::needs_action(actor, r.state),
            id: r.id,
            reference: r.reference,
            mission_id: r.mission_id,
            title: r.title,
            urgency: r.urgency,
            created_at: r.created_at,
            submitted_at: r.submitted_at,
        }
    }
}

/// A page of a list, with the total that the viewer may know of.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<RequestSummary>,
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
    /// The counts of the other lists asked for with it (`Besides::tabs`), in their order, each
    /// counted up to `TAB_COUNT_CAP` + 1.
    pub tab_counts: Vec<i64>,
    /// Every mission by name, when asked for (`Besides::missions`): (id, name).
    pub missions: Vec<(String, String)>,
}

/// What a list page needs besides its own rows and count, read in the same statement as the
/// count: the counts of other lists (its tabs), and every mission's name (its mission filter).
#[derive(Debug, Clone, Default)]
pub struct Besides {
    pub tabs: Vec<ListFilter>,
    pub missions: bool,
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

/// A cursor's position names a row's place in the list's order:
/// `q.<1 urgent|0 routine>.<due YYYYMMDD>.<ns>.<id>` for the authorities' lists,
/// `m.<1 needs the mission|0>.<ns>.<id>` for a mission's (sealed by `seal` before it is given
/// out).
fn cursor_of(position: &store::Position) -> Option<String> {
    match position {
        store::Position::Queue {
            urgent,
            due_on,
            submitted_at,
            id,
        } => {
            let nanos = submitted_at.and_utc().timestamp_nanos_opt()?;
            Some(format!(
                "q.{}.{}.{nanos}.{id}",
                u8::from(*urgent),
                due_on.format("%Y%m%d")
            ))
        }
        store::Position::Mission {
            needs_action,
            created_at,
            id,
        } => {
            let nanos = created_at.and_utc().timestamp_nanos_opt()?;
            Some(format!("m.{}.{nanos}.{id}", u8::from(*needs_action)))
        }
    }
}

fn position_of(field: &'static str, cursor: &str) -> Result<store::Position, AppError> {
    let bad = || AppError::from(FieldError::new(field, "is not a cursor this list gave out"));
    // A queue's cursor carries the due date after the flag.
    let (cursor, due_on) = match cursor.strip_prefix("q.") {
        Some(rest) => {
            let mut parts = rest.splitn(3, '.');
            let (Some(flag), Some(due), Some(rest)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let due = NaiveDate::parse_from_str(due, "%Y%m%d").map_err(|_| bad())?;
            (format!("q.{flag}.{rest}"), Some(due))
        }
        None => (cursor.to_owned(), None),
    };
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
            due_on: due_on.ok_or_else(bad)?,
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

/// A cursor as given out is its position (`cursor_of`), a dot and a seal: the first 128 bits of
/// an HMAC-SHA-256 of the viewer, the list's filters and the position, under a key shared by
/// the installation's instances (`instance_secrets.paging_cursor_key`). A cursor changed by
/// hand, or used by another person or on another list, is refused (422) rather than read from
/// wherever it now points.
type CursorMac = Hmac<sha2::Sha256>;
const SEAL_BYTES: usize = 16;

/// The key cursors are sealed with, made on first use and read once per process: it never
/// changes once made (like the keys of `auth::keys`, it is key material, not a decision about
/// anyone), so that reading a list costs no statement for it. A process serves one database;
/// (a test binary serving several uses the first one's key for all, which seals and opens its
/// own cursors alike).
fn cursor_key(conn: &mut DbConnection) -> Result<Vec<u8>, AppError> {
    static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(key) = KEY.get() {
        return Ok(key.clone());
    }
    let key = crate::db::secrets::get_or_create(
        conn,
        "paging_cursor_key",
        || URL_SAFE_NO_PAD.encode(crate::auth::secret::random_bytes::<32>()),
        crate::app::now(),
    )?;
    Ok(KEY.get_or_init(|| key.into_bytes()).clone())
}

fn cursor_mac(key: &[u8], actor: &Actor, filter: &ListFilter, position: &str) -> CursorMac {
    let mut mac = CursorMac::new_from_slice(key).expect("HMAC takes a key of any length");
    // Each part is prefixed with its length, so that no two bindings read the same.
    let filter = format!("{filter:?}");
    for part in [actor.user_id.as_str(), filter.as_str(), position] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac
}

pub(super) fn seal(key: &[u8], actor: &Actor, filter: &ListFilter, position: String) -> String {
    let tag = cursor_mac(key, actor, filter, &position)
        .finalize()
        .into_bytes();
    format!("{position}.{}", URL_SAFE_NO_PAD.encode(&tag[..SEAL_BYTES]))
}

/// The position of a cursor this list gave this viewer; anything else is refused naming `field`.
pub(super) fn unseal<'c>(
    field: &'static str,
    key: &[u8],
    actor: &Actor,
    filter: &ListFilter,
    cursor: &'c str,
) -> Result<&'c str, AppError> {
    let bad = || AppError::from(FieldError::new(field, "is not a cursor this list gave out"));
    let (position, tag) = cursor.rsplit_once('.').ok_or_else(bad)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
    if tag.len() != SEAL_BYTES {
        return Err(bad());
    }
    cursor_mac(key, actor, filter, position)
        .verify_truncated_left(&tag)
        .map_err(|_| bad())?;
    Ok(position)
}

/// A list of requests as `actor` may see it; filters narrow it, never widen it.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ListFilter,
    at: &PageAt,
    per_page: i64,
) -> Result<ListPage, AppError> {
    list_with(conn, actor, filter, at, per_page, &Besides::default())
}

/// `list`, with what the page needs `besides` (`ListPage::tab_counts`, `ListPage::missions`).
/// A page by number costs two statements: its rows with their missions' names and dates, then
/// its count with the tabs' counts and the missions.
pub fn list_with(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ListFilter,
    at: &PageAt,
    per_page: i64,
    besides: &Besides,
) -> Result<ListPage, AppError> {
    if let Some(q) = filter.query.as_deref() {
        check_text("q", q, 0, SEARCH_MAX, false)?;
    }
    let per_page = per_page.clamp(1, PAGE_MAX);
    let scope = disclosure::list_scope(actor);
    let key = cursor_key(conn)?;
    if let Some(text) = filter.query.as_deref().filter(|q| !q.trim().is_empty()) {
        // A search without a single word (only punctuation, say) finds nothing: no character
        // stands for "anything".
        let mut found = match Query::parse(text) {
            Some(query) => {
                super::search::search(conn, actor, &scope, filter, &query, at, per_page, &key)?
            }
            None => ListPage {
                items: Vec::new(),
                total: 0,
                total_capped: false,
                page: 1,
                per_page,
                next: None,
                previous: None,
                tab_counts: Vec::new(),
                missions: Vec::new(),
            },
        };
        let tabs: Vec<(&ListFilter, i64)> =
            besides.tabs.iter().map(|t| (t, TAB_COUNT_CAP)).collect();
        (found.tab_counts, found.missions) =
            store::count_lists(conn, &scope, &tabs, besides.missions)?;
        return Ok(found);
    }
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
            store::Start::After(position_of(
                "after",
                unseal("after", &key, actor, filter, cursor)?,
            )?),
            (*page).clamp(2, PAGE_NUMBER_MAX),
        ),
        PageAt::Before { cursor, page } => (
            store::Start::Before(position_of(
                "before",
                unseal("before", &key, actor, filter, cursor)?,
            )?),
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
    let cursor_at = |row: Option<&store::ListedRow>| {
        row.and_then(|r| store::Position::of(&scope, &r.row))
            .and_then(|p| cursor_of(&p))
            .map(|position| seal(&key, actor, filter, position))
    };
    let next = more_after.then(|| cursor_at(items.last())).flatten();
    let previous = more_before.then(|| cursor_at(items.first())).flatten();
    let lists: Vec<(&ListFilter, i64)> = std::iter::once((filter, COUNT_CAP))
        .chain(besides.tabs.iter().map(|t| (t, TAB_COUNT_CAP)))
        .collect();
    let (mut counts, missions) = store::count_lists(conn, &scope, &lists, besides.missions)?;
    let counted = counts.remove(0);
    Ok(ListPage {
        total: counted.min(COUNT_CAP),
        total_capped: counted > COUNT_CAP,
        items: items
            .into_iter()
            .map(|r| RequestSummary::listed(actor, r))
            .collect(),
        page,
        per_page,
        next,
        previous,
        tab_counts: counts,
        missions,
    })
}

/// The filters of the viewer's queues (for the tabs' counts: `Besides::tabs`), in the order of
/// `queues`.
pub fn queue_filters(actor: &Actor) -> Vec<ListFilter> {
    let today = crate::domain::time::oslo_date(crate::app::now());
    super::queues(actor.role)
        .iter()
        .map(|q| super::queue_filter(actor, q.key, today))
        .collect()
}

/// Tabs count up to this many; beyond it they read "99+".
pub const TAB_COUNT_CAP: i64 = 99;

/// Names of missions by id (for lists).
pub fn mission_names(conn: &mut DbConnection) -> Result<HashMap<String, String>, AppError> {
    Ok(missions::list(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}
