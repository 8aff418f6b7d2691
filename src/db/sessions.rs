//! Queries on server-side sessions. Rows are keyed by a hash of the cookie's session key.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::fixed::fixed;
use diesel::sql_types::BigInt;

use super::schema::{missions, sessions, users};
use super::users::UserRow;
use super::{DbConnection, DbError, DbResult};
use crate::domain::Role;
use crate::domain::disclosure::ListScope;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: Option<String>,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: Option<&'a str>,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub client_addr: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, session: &NewSession<'_>) -> DbResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// A live session as a signed-in page needs it first: the session, its person (when one is
/// signed in), whether that person's mission is active (and its name), and how many unread notifications the
/// person has about requests they may still see, counted no further than `unread_cap` + 1.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: SessionRow,
    pub user: Option<UserRow>,
    pub mission_active: Option<bool>,
    pub mission_name: Option<String>,
    pub unread: i64,
}

/// The SQL condition on `requests` that a person's role puts on the notifications they see,
/// written against the joined `users` row: for each role, the scope `scope_of` gives it
/// (`disclosure::list_scope`, the one rule of what a list may show).
fn unread_scope_sql(scope_of: impl Fn(Role) -> ListScope) -> String {
    let parts: Vec<String> = Role::ALL
        .iter()
        .filter_map(|role| {
            let on_requests = match scope_of(*role) {
                ListScope::Mission(_) => "requests.mission_id = users.mission_id",
                ListScope::Submitted => "requests.state <> 'draft'",
                ListScope::ReachedPolice => "requests.reached_police",
                ListScope::ReferredToPst => "requests.referred_to_pst",
                ListScope::Nothing => return None,
            };
            Some(format!(
                "(users.role = '{}' AND {on_requests})",
                role.code()
            ))
        })
        .collect();
    if parts.is_empty() {
        "1 = 0".to_owned()
    } else {
        parts.join(" OR ")
    }
}

/// The live session `id_hash` at `now` (`LiveSession`), in one statement. `scope_of` names the
/// requests each role's lists may show.
pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
    scope_of: impl Fn(Role) -> ListScope,
    unread_cap: i64,
) -> DbResult<Option<LiveSession>> {
    // Built from the roles' codes and fixed conditions only: nothing a person typed.
    let unread = format!(
        "(SELECT COUNT(*) FROM (SELECT notifications.id FROM notifications \
         INNER JOIN requests ON requests.id = notifications.request_id \
         WHERE notifications.user_id = sessions.user_id AND notifications.read_at IS NULL \
         AND ({}) LIMIT {}) AS unread_up_to)",
        unread_scope_sql(scope_of),
        unread_cap + 1
    );
    type Found = (
        SessionRow,
        Option<UserRow>,
        Option<bool>,
        Option<String>,
        i64,
    );
    let found: Option<Found> = sessions::table
        .left_join(users::table.left_join(missions::table))
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::expires_at.gt(now))
        .select((
            SessionRow::as_select(),
            users::all_columns.nullable(),
            missions::active.nullable(),
            missions::name.nullable(),
            fixed::<BigInt>(unread),
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(
        |(session, user, mission_active, mission_name, unread)| LiveSession {
            session,
            user,
            mission_active,
            mission_name,
            unread,
        },
    ))
}

/// Replaces a session's state; false if the session is gone (ended elsewhere).
pub fn update_state(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: Option<&str>,
    state: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(sessions::table.find(id_hash))
        .set((
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|n| n == 1)
        .map_err(DbError::from)
}

/// Extends a session's idle expiry, at most once per `granularity` to spare the database.
pub fn touch(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    granularity: chrono::Duration,
) -> DbResult<()> {
    diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::last_seen_at.lt(now - granularity)),
    )
    .set((
        sessions::last_seen_at.eq(now),
        sessions::expires_at.eq(expires_at),
    ))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> DbResult<()> {
    diesel::delete(sessions::table.find(id_hash))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Ends every session of one person, everywhere (sign-out elsewhere, deactivation, new password).
pub fn delete_for_user(conn: &mut DbConnection, user_id: &str) -> DbResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)))
        .execute(conn)
        .map_err(DbError::from)
}

/// Ends one session of one person, by its hash; false if it was not theirs or already gone.
pub fn delete_for_user_by_hash(
    conn: &mut DbConnection,
    user_id: &str,
    id_hash: &str,
) -> DbResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id_hash.eq(id_hash)),
    )
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

pub fn list_live_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> DbResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// Up to `limit` sessions expired at `now` (the portal's purge; on PostgreSQL skipping rows
/// another instance is deleting).
pub fn expired(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> DbResult<Vec<String>> {
    let query = sessions::table
        .filter(sessions::expires_at.le(now))
        .order(sessions::expires_at.asc())
        .limit(limit)
        .select(sessions::id_hash);
    match conn {
        DbConnection::Postgres(pg) => query.for_update().skip_locked().load(pg),
        DbConnection::Sqlite(_) => query.load(conn),
    }
    .map_err(DbError::from)
}

/// Deletes the sessions `ids` that are still expired at `now`; returns how many.
pub fn delete_expired(
    conn: &mut DbConnection,
    ids: &[String],
    now: NaiveDateTime,
) -> DbResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id_hash.eq_any(ids))
            .filter(sessions::expires_at.le(now)),
    )
    .execute(conn)
    .map_err(DbError::from)
}

/// How many sessions are expired at `now`, counting no further than `cap`.
pub fn count_expired(conn: &mut DbConnection, now: NaiveDateTime, cap: i64) -> DbResult<i64> {
    let ids: Vec<String> = sessions::table
        .filter(sessions::expires_at.le(now))
        .limit(cap)
        .select(sessions::id_hash)
        .load(conn)?;
    Ok(ids.len() as i64)
}
