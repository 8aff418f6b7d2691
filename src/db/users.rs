//! Queries on user accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub mission_id: Option<String>,
    pub clearance: String,
    /// Never serialised (a `UserRow` travels with the session of one request: `Person`).
    #[serde(skip_serializing, default)]
    pub password_hash: Option<String>,
    pub password_changed_at: Option<NaiveDateTime>,
    /// Never serialised, like the password hash.
    #[serde(skip_serializing, default)]
    pub totp_secret: Option<String>,
    pub totp_confirmed_at: Option<NaiveDateTime>,
    pub totp_last_step: Option<i64>,
    pub locale: String,
    pub active: bool,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub mission_id: Option<&'a str>,
    pub clearance: &'a str,
    pub password_hash: Option<&'a str>,
    pub password_changed_at: Option<NaiveDateTime>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> DbResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

/// (id, locale) of some accounts.
pub fn locales(conn: &mut DbConnection, ids: &[String]) -> DbResult<Vec<(String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::locale))
        .load(conn)
        .map_err(DbError::from)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> DbResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

pub fn count(conn: &mut DbConnection) -> DbResult<i64> {
    users::table.count().get_result(conn).map_err(DbError::from)
}

/// Accounts for the administrators' list, newest first, optionally of one role.
pub fn list(
    conn: &mut DbConnection,
    role: Option<&str>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<UserRow>> {
    let mut query = users::table
        .order((users::name.asc(), users::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.to_owned()));
    }
    query.load(conn).map_err(DbError::from)
}

/// The names of the accounts `ids`, as (id, name).
pub fn names_of(conn: &mut DbConnection, ids: &[String]) -> DbResult<Vec<(String, String)>> {
    users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select((users::id, users::name))
        .load(conn)
        .map_err(DbError::from)
}

pub fn count_by_role(conn: &mut DbConnection, role: Option<&str>) -> DbResult<i64> {
    let mut query = users::table.count().into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.to_owned()));
    }
    query.get_result(conn).map_err(DbError::from)
}

/// Active administrators other than `except` (so that the last one cannot lock everyone out).
pub fn count_other_active_admins(conn: &mut DbConnection, except: &str) -> DbResult<i64> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

pub fn set_password(
    conn: &mut DbConnection,
    id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::password_changed_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Replaces the stored hash only (re-hash at sign-in with stronger parameters).
pub fn upgrade_password_hash(conn: &mut DbConnection, id: &str, hash: &str) -> DbResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(Some(hash)))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn set_active(
    conn: &mut DbConnection,
    id: &str,
    active: bool,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(users::table.find(id))
        .set((users::active.eq(active), users::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
        .map_err(DbError::from)
}

/// The language the person reads the portal and its e-mails in.
pub fn set_locale(
    conn: &mut DbConnection,
    id: &str,
    locale: &str,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(users::table.find(id))
        .set((users::locale.eq(locale), users::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
        .map_err(DbError::from)
}

/// Stores a confirmed second factor and the time step of the code that confirmed it.
pub fn confirm_totp(
    conn: &mut DbConnection,
    id: &str,
    secret: &str,
    step: i64,
    now: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(Some(secret)),
            users::totp_confirmed_at.eq(Some(now)),
            users::totp_last_step.eq(Some(step)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Records that the code of time step `step` was used; false if that step (or a later one) was
/// used already — a code is accepted only once.
pub fn use_totp_step(conn: &mut DbConnection, id: &str, step: i64) -> DbResult<bool> {
    diesel::update(
        users::table.find(id).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(Some(step)))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// Every stored second-factor seed (sealed, or in clear from before sealing), by account.
pub fn totp_seeds(conn: &mut DbConnection) -> DbResult<Vec<(String, String)>> {
    users::table
        .filter(users::totp_secret.is_not_null())
        .select((users::id, users::totp_secret.assume_not_null()))
        .order(users::id.asc())
        .load(conn)
        .map_err(DbError::from)
}

/// Replaces an account's stored seed with the same seed sealed anew; `expected` guards against a
/// change made meanwhile (a reset, a new enrolment). False if the stored value changed.
pub fn replace_totp_seed(
    conn: &mut DbConnection,
    id: &str,
    expected: &str,
    sealed: &str,
) -> DbResult<bool> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::totp_secret.eq(expected)),
    )
    .set(users::totp_secret.eq(Some(sealed)))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

pub fn reset_totp(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DbResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(None::<String>),
            users::totp_confirmed_at.eq(None::<NaiveDateTime>),
            users::totp_last_step.eq(None::<i64>),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn record_sign_in(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DbResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_sign_in_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn list_for_mission(conn: &mut DbConnection, mission_id: &str) -> DbResult<Vec<UserRow>> {
    users::table
        .filter(users::mission_id.eq(mission_id))
        .order(users::name.asc())
        .select(UserRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}
