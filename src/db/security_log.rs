//! Queries on the security log. Rows are only ever appended; the hash chain is computed in
//! `crate::audit`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::security_log;
use super::{DbConnection, DbError, DbResult};
use crate::domain::disclosure::{CASE_ROUTE_PREFIXES, CASE_TARGET_TYPES};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = security_log)]
pub struct SecurityLogRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub event: String,
    pub outcome: String,
    pub actor_user_id: Option<String>,
    pub actor_org: Option<String>,
    pub client_addr: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Takes the log's append lock for the rest of the transaction. On SQLite the write transaction
/// already holds the database's only write lock; on PostgreSQL an advisory lock serialises
/// appenders so the chain never forks.
pub fn lock_for_append(conn: &mut DbConnection) -> DbResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(727100003)").execute(pg)?;
    }
    Ok(())
}

/// The newest row's sequence number and hash.
pub fn last(conn: &mut DbConnection) -> DbResult<Option<(i64, String)>> {
    security_log::table
        .order(security_log::seq.desc())
        .select((security_log::seq, security_log::hash))
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

pub fn insert(conn: &mut DbConnection, row: &SecurityLogRow) -> DbResult<()> {
    diesel::insert_into(security_log::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// Rows in order from `after_seq`, `limit` at a time (for walking the chain).
pub fn page_after(
    conn: &mut DbConnection,
    after_seq: i64,
    limit: i64,
) -> DbResult<Vec<SecurityLogRow>> {
    security_log::table
        .filter(security_log::seq.gt(after_seq))
        .order(security_log::seq.asc())
        .limit(limit)
        .select(SecurityLogRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// The newest rows, optionally of one event kind (for the administrators' page and tests).
pub fn newest(
    conn: &mut DbConnection,
    event: Option<&str>,
    limit: i64,
) -> DbResult<Vec<SecurityLogRow>> {
    let mut query = security_log::table
        .order(security_log::seq.desc())
        .limit(limit)
        .select(SecurityLogRow::as_select())
        .into_boxed();
    if let Some(event) = event {
        query = query.filter(security_log::event.eq(event.to_owned()));
    }
    query.load(conn).map_err(DbError::from)
}

/// A page of the log, newest first, optionally of one event kind and one actor; without case
/// events (`disclosure::is_case_event`, in SQL) when `without_case_events`.
/// Which entries of the log a reader asks for.
#[derive(Debug, Clone, Default)]
pub struct LogFilter<'a> {
    pub event: Option<&'a str>,
    pub actor: Option<&'a str>,
    /// Entries at or after this moment (UTC).
    pub since: Option<NaiveDateTime>,
    /// Entries before this moment (UTC).
    pub before: Option<NaiveDateTime>,
    pub without_case_events: bool,
}

pub fn page(
    conn: &mut DbConnection,
    filter: &LogFilter<'_>,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<SecurityLogRow>, i64)> {
    let LogFilter {
        event,
        actor,
        since,
        before,
        without_case_events,
    } = filter.clone();
    let filtered = || {
        let mut q = security_log::table.into_boxed();
        if let Some(e) = event {
            q = q.filter(security_log::event.eq(e.to_owned()));
        }
        if let Some(a) = actor {
            q = q.filter(security_log::actor_user_id.eq(a.to_owned()));
        }
        if let Some(t) = since {
            q = q.filter(security_log::at.ge(t));
        }
        if let Some(t) = before {
            q = q.filter(security_log::at.lt(t));
        }
        if without_case_events {
            let [first, second] = CASE_ROUTE_PREFIXES.map(|p| format!("{p}%"));
            let case_route = security_log::target_type
                .eq("route")
                .and(security_log::target_id.is_not_null())
                .and(
                    security_log::target_id
                        .like(first)
                        .or(security_log::target_id.like(second)),
                );
            let case_type = security_log::target_type.eq_any(CASE_TARGET_TYPES);
            q = q.filter(
                security_log::target_type
                    .is_null()
                    .or(diesel::dsl::not(case_type.or(case_route))),
            );
        }
        q
    };
    let rows = filtered()
        .order(security_log::seq.desc())
        .limit(limit)
        .offset(offset)
        .select(SecurityLogRow::as_select())
        .load(conn)?;
    let total = filtered().count().get_result(conn)?;
    Ok((rows, total))
}
