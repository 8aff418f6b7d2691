//! Queries on the sign-in throttle: one row per account or client address.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::sign_in_throttle;
use super::{DbConnection, DbError, DbResult};
use crate::domain::throttle::FailureRecord;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sign_in_throttle)]
struct ThrottleRow {
    failures: i32,
    first_failure_at: NaiveDateTime,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, key: &str) -> DbResult<Option<FailureRecord>> {
    sign_in_throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()
        .map(|row| {
            row.map(|r| FailureRecord {
                failures: r.failures,
                first_failure_at: r.first_failure_at,
                last_failure_at: r.last_failure_at,
                locked_until: r.locked_until,
            })
        })
        .map_err(DbError::from)
}

/// Stores the record for `key` (insert or replace), inside the caller's write transaction.
pub fn store(conn: &mut DbConnection, key: &str, record: &FailureRecord) -> DbResult<()> {
    let updated = diesel::update(sign_in_throttle::table.find(key))
        .set((
            sign_in_throttle::failures.eq(record.failures),
            sign_in_throttle::first_failure_at.eq(record.first_failure_at),
            sign_in_throttle::last_failure_at.eq(record.last_failure_at),
            sign_in_throttle::locked_until.eq(record.locked_until),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sign_in_throttle::table)
            .values((
                sign_in_throttle::throttle_key.eq(key),
                sign_in_throttle::failures.eq(record.failures),
                sign_in_throttle::first_failure_at.eq(record.first_failure_at),
                sign_in_throttle::last_failure_at.eq(record.last_failure_at),
                sign_in_throttle::locked_until.eq(record.locked_until),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> DbResult<()> {
    diesel::delete(sign_in_throttle::table.find(key))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Serialises attempts on one key until the transaction ends (PostgreSQL: an advisory lock on
/// the key's hash; SQLite: the write transaction already holds the only write lock).
pub fn lock(conn: &mut DbConnection, key: &str) -> DbResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(727100004, hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// Puts back what was stored before (`None`: nothing).
pub fn restore(conn: &mut DbConnection, key: &str, record: Option<&FailureRecord>) -> DbResult<()> {
    match record {
        Some(r) => store(conn, key, r),
        None => clear(conn, key),
    }
}
