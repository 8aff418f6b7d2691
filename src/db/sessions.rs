//! Queries on server-side sessions. Rows are keyed by a hash of the cookie's session key.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sessions;

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

pub fn insert(conn: &mut DbConnection, session: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

/// A session that has not expired at `now`.
pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id_hash)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// Replaces a session's state; false if the session is gone (ended elsewhere).
pub fn update_state(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: Option<&str>,
    state: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(sessions::table.find(id_hash))
        .set((
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Extends a session's idle expiry, at most once per `granularity` to spare the database.
/// Whether a session was last extended at or after `since` (or is gone: nothing to extend).
pub fn seen_since(
    conn: &mut DbConnection,
    id_hash: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    let last: Option<NaiveDateTime> = sessions::table
        .find(id_hash)
        .select(sessions::last_seen_at)
        .first(conn)
        .optional()?;
    Ok(last.is_none_or(|at| at >= since))
}

pub fn touch(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    granularity: chrono::Duration,
) -> QueryResult<()> {
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
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id_hash))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session of one person, everywhere (sign-out elsewhere, deactivation, new password).
pub fn delete_for_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// Ends one session of one person, by its hash; false if it was not theirs or already gone.
pub fn delete_for_user_by_hash(
    conn: &mut DbConnection,
    user_id: &str,
    id_hash: &str,
) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id_hash.eq(id_hash)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

pub fn list_live_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
