//! Queries on the stored answers of API calls made with an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredAnswer {
    pub method_path: String,
    pub fingerprint: String,
    pub status: i32,
    /// Sealed with the portal's seal key.
    pub body: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct NewAnswer<'a> {
    pub user_id: &'a str,
    pub idem_key: &'a str,
    pub method_path: &'a str,
    pub fingerprint: &'a str,
    pub status: i32,
    pub body: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The answer stored for `user_id`'s key, unless it has expired at `now`.
pub fn find_live(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    now: NaiveDateTime,
) -> DbResult<Option<StoredAnswer>> {
    idempotency_keys::table
        .find((user_id, key))
        .filter(idempotency_keys::expires_at.gt(now))
        .select(StoredAnswer::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

/// Stores an answer. A key stored already (by a call that committed first) fails with a unique
/// violation; on PostgreSQL the insert waits for a concurrent transaction holding the same key
/// to end first.
pub fn insert(conn: &mut DbConnection, answer: &NewAnswer<'_>) -> DbResult<()> {
    // A row of the same key that has expired but not yet been swept away makes room.
    diesel::delete(
        idempotency_keys::table
            .find((answer.user_id, answer.idem_key))
            .filter(idempotency_keys::expires_at.le(answer.created_at)),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values(answer)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Up to `limit` stored answers expired at `now`, as (user, key) (the portal's purge; on
/// PostgreSQL skipping rows another instance is deleting).
pub fn expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<(String, String)>> {
    let query = idempotency_keys::table
        .filter(idempotency_keys::expires_at.le(now))
        .order(idempotency_keys::expires_at.asc())
        .limit(limit)
        .select((idempotency_keys::user_id, idempotency_keys::idem_key));
    match conn {
        DbConnection::Postgres(pg) => query.for_update().skip_locked().load(pg),
        DbConnection::Sqlite(_) => query.load(conn),
    }
    .map_err(DbError::from)
}

/// Deletes one stored answer if it is still expired at `now`; returns how many (0 or 1).
pub fn delete_expired(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    now: NaiveDateTime,
) -> DbResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::idem_key.eq(key))
            .filter(idempotency_keys::expires_at.le(now)),
    )
    .execute(conn)
    .map_err(DbError::from)
}

/// How many stored answers are expired at `now`, counting no further than `cap`.
pub fn count_expired(conn: &mut DbConnection, now: NaiveDateTime, cap: i64) -> DbResult<i64> {
    let keys: Vec<String> = idempotency_keys::table
        .filter(idempotency_keys::expires_at.le(now))
        .limit(cap)
        .select(idempotency_keys::idem_key)
        .load(conn)?;
    Ok(keys.len() as i64)
}
