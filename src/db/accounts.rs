//! Queries on single-use account links (first administrator, invitations, password resets).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::account_tokens;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_tokens)]
pub struct AccountTokenRow {
    pub id: String,
    pub purpose: String,
    pub user_id: Option<String>,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = account_tokens)]
pub struct NewAccountToken<'a> {
    pub id: &'a str,
    pub purpose: &'a str,
    pub user_id: Option<&'a str>,
    pub token_hash: &'a str,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, token: &NewAccountToken<'_>) -> DbResult<()> {
    diesel::insert_into(account_tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Removes the unused links of one purpose, so that only the newest one works.
pub fn delete_unused(conn: &mut DbConnection, purpose: &str) -> DbResult<usize> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)
    .map_err(DbError::from)
}

/// A link that is unused and unexpired at `now`.
pub fn find_usable(
    conn: &mut DbConnection,
    purpose: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<AccountTokenRow>> {
    account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select(AccountTokenRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

/// Marks a link used; returns false if someone else used it first.
pub fn mark_used(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DbResult<bool> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::id.eq(id))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// Removes a person's unused links of one purpose (a new invitation replaces the old).
pub fn delete_unused_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
) -> DbResult<usize> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)
    .map_err(DbError::from)
}
