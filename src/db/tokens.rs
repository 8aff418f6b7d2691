//! Queries on personal access tokens (only their hash is stored) and the API call counters.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::schema::api_tokens;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// `api`, or `calendar`: the calendar feed only.
    pub scope: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub scope: &'a str,
}

pub fn insert(conn: &mut DbConnection, token: &NewToken<'_>) -> DbResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// A token of `scope` that is not revoked and not expired at `now`.
pub fn find_usable(
    conn: &mut DbConnection,
    token_hash: &str,
    scope: &str,
    now: NaiveDateTime,
) -> DbResult<Option<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::scope.eq(scope))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .select(TokenRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

pub fn list_for_user(conn: &mut DbConnection, user_id: &str) -> DbResult<Vec<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.desc())
        .select(TokenRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// Revokes one of a person's tokens; false if it is not theirs or already revoked.
pub fn revoke(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// Revokes every unrevoked token of a person (at deactivation: for good, not until
/// reactivation); returns how many.
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> DbResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
    .map_err(DbError::from)
}

/// Records use, at most once a minute per token.
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DbResult<()> {
    diesel::update(
        api_tokens::table.filter(api_tokens::id.eq(id)).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(now - chrono::Duration::minutes(1))),
        ),
    )
    .set(api_tokens::last_used_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

/// Counts `calls` API calls in a fixed one-minute window kept in the database (so the limit
/// holds across instances); returns the calls made in the current window, these included, and
/// when the window started.
pub fn count_calls(
    conn: &mut DbConnection,
    key: &str,
    calls: i32,
    now: NaiveDateTime,
) -> DbResult<(i32, NaiveDateTime)> {
    #[derive(QueryableByName)]
    struct Window {
        #[diesel(sql_type = Integer)]
        failures: i32,
        #[diesel(sql_type = Timestamp)]
        first_failure_at: NaiveDateTime,
    }
    // One statement, so that two instances counting the first call of a window at once cannot
    // both insert. (SET sees the row as it was before the update.)
    const UPSERT: &str = "INSERT INTO sign_in_throttle \
        (throttle_key, failures, first_failure_at, last_failure_at) VALUES (?1, ?2, ?3, ?3) \
        ON CONFLICT (throttle_key) DO UPDATE SET \
        failures = CASE WHEN sign_in_throttle.first_failure_at > ?4 \
            THEN sign_in_throttle.failures + excluded.failures ELSE excluded.failures END, \
        first_failure_at = CASE WHEN sign_in_throttle.first_failure_at > ?4 \
            THEN sign_in_throttle.first_failure_at ELSE excluded.first_failure_at END, \
        last_failure_at = excluded.last_failure_at \
        RETURNING failures, first_failure_at";
    let window_open_since = now - chrono::Duration::minutes(1);
    let row: Window = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(UPSERT.replace('?', "$"))
            .bind::<Text, _>(key)
            .bind::<Integer, _>(calls)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(window_open_since)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(key)
            .bind::<Integer, _>(calls)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(window_open_since)
            .get_result(lite)?,
    };
    Ok((row.failures, row.first_failure_at))
}
