//! Queries on the e-mail outbox. Rows are written inside the transaction that causes the mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient_user_id: Option<String>,
    pub recipient_email: String,
    pub request_id: Option<String>,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub recipient_user_id: Option<&'a str>,
    pub recipient_email: &'a str,
    pub request_id: Option<&'a str>,
    pub payload: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewOutboxRow<'_>) -> DbResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

/// The newest rows for one recipient address (administration and tests).
pub fn for_recipient(conn: &mut DbConnection, email: &str) -> DbResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::recipient_email.eq(email))
        .order(outbox::created_at.desc())
        .select(OutboxRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

/// The ids of mails due at `$now` and not leased, oldest first (a macro, so that PostgreSQL can
/// add its locking clause to the same query).
macro_rules! due_ids {
    ($now:expr, $limit:expr) => {
        outbox::table
            .filter(outbox::status.eq("pending"))
            .filter(outbox::next_attempt_at.le($now))
            .filter(
                outbox::lease_until
                    .is_null()
                    .or(outbox::lease_until.lt($now)),
            )
            .order(outbox::next_attempt_at.asc())
            .limit($limit)
            .select(outbox::id)
    };
}

/// Claims up to `limit` mails that are due and not leased, for `worker` until `lease_until`.
/// On PostgreSQL rows another worker is claiming are skipped (`FOR UPDATE SKIP LOCKED`); on
/// SQLite the write transaction serialises claimers. A lease that expired (its worker died) is
/// claimed again.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<OutboxRow>> {
    super::write(conn, |conn| {
        let ids: Vec<String> = match conn {
            DbConnection::Postgres(pg) => {
                due_ids!(now, limit).for_update().skip_locked().load(pg)?
            }
            DbConnection::Sqlite(_) => due_ids!(now, limit).load(conn)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::lease_until.eq(Some(lease_until)),
                outbox::leased_by.eq(Some(worker)),
            ))
            .execute(conn)?;
        Ok(outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::next_attempt_at.asc())
            .select(OutboxRow::as_select())
            .load(conn)?)
    })
}

/// Marks a mail sent, if `worker` still holds it; false if its lease passed to another.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::leased_by.eq(worker))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::status.eq("sent"),
        outbox::sent_at.eq(Some(now)),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// Empties the payload of a sent mail: an invitation's single-use link must not stay readable
/// in the database once it has been delivered.
pub fn forget_payload(conn: &mut DbConnection, id: &str) -> DbResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("sent")),
    )
    .set(outbox::payload.eq("{}"))
    .execute(conn)
    .map(|_| ())
    .map_err(DbError::from)
}

/// Records a failed attempt: retried at `next_attempt_at`, or dead when `dead`.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
    dead: bool,
) -> DbResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::leased_by.eq(worker))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::status.eq(if dead { "dead" } else { "pending" }),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::next_attempt_at.eq(next_attempt_at),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(error)),
    ))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

/// Mails of one status, newest first (the administrators' delivery page).
pub fn by_status(
    conn: &mut DbConnection,
    status: &str,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::status.eq(status.to_owned()))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(OutboxRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

pub fn count_by_status(conn: &mut DbConnection, status: &str) -> DbResult<i64> {
    outbox::table
        .filter(outbox::status.eq(status.to_owned()))
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

/// Puts a dead mail back in the queue, due now; false if it was not dead.
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DbResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("dead")),
    )
    .set((
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::leased_by.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
    .map_err(DbError::from)
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}
