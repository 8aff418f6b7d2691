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
        lease(conn, &ids, worker, lease_until)
    })
}

/// Leases the mails `ids` (chosen and, on PostgreSQL, locked by the caller's transaction) to
/// `worker` until `lease_until`; returns them, due soonest first.
fn lease(
    conn: &mut DbConnection,
    ids: &[String],
    worker: &str,
    lease_until: NaiveDateTime,
) -> DbResult<Vec<OutboxRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::lease_until.eq(Some(lease_until)),
            outbox::leased_by.eq(Some(worker)),
        ))
        .execute(conn)?;
    Ok(outbox::table
        .filter(outbox::id.eq_any(ids))
        .order(outbox::next_attempt_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// What recording a delivered mail found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkedSent {
    /// The mail was pending and is now sent.
    Sent,
    /// Another worker had already recorded it sent: the mail went out twice (same Message-ID).
    AlreadySent,
    /// The mail is neither pending nor sent (e.g. `dead`), or gone; nothing changed.
    Other(Option<String>),
}

/// Marks a delivered mail sent while it is still pending, whoever holds its lease now: the relay
/// accepted it, so recording that is always right (a worker whose lease passed must not leave
/// the mail to be sent again and again). `worker` is kept as the one that sent it.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> DbResult<MarkedSent> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::status.eq("sent"),
        outbox::sent_at.eq(Some(now)),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::leased_by.eq(Some(worker)),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    if changed == 1 {
        return Ok(MarkedSent::Sent);
    }
    let status: Option<String> = outbox::table
        .find(id)
        .select(outbox::status)
        .first(conn)
        .optional()?;
    Ok(match status.as_deref() {
        Some("sent") => MarkedSent::AlreadySent,
        _ => MarkedSent::Other(status),
    })
}

/// Gives back claimed mails that `worker` did not start sending, so that they are claimed again
/// at once rather than when the lease runs out.
pub fn release(conn: &mut DbConnection, ids: &[String], worker: &str) -> DbResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::leased_by.eq(worker))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::leased_by.eq(None::<String>),
    ))
    .execute(conn)
    .map_err(DbError::from)
}

/// Mails waiting for a retry: pending, tried before, and not due until after `now`.
macro_rules! waiting {
    ($now:expr) => {
        outbox::table
            .filter(outbox::status.eq("pending"))
            .filter(outbox::attempts.gt(0))
            .filter(outbox::next_attempt_at.gt($now))
    };
}

/// Whether any mail waits for a retry (see `waiting!`).
pub fn any_waiting(conn: &mut DbConnection, now: NaiveDateTime) -> DbResult<bool> {
    diesel::select(diesel::dsl::exists(waiting!(now)))
        .get_result(conn)
        .map_err(DbError::from)
}

/// Makes every mail waiting for a retry due at `now` (the relay is back); returns how many.
pub fn bring_forward(conn: &mut DbConnection, now: NaiveDateTime) -> DbResult<usize> {
    diesel::update(waiting!(now))
        .set(outbox::next_attempt_at.eq(now))
        .execute(conn)
        .map_err(DbError::from)
}

/// Claims the waiting mail due soonest (not leased), for `worker` until `lease_until`, ahead of
/// its time: the one mail a worker sends to find out whether the relay takes mail again.
pub fn claim_waiting(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> DbResult<Option<OutboxRow>> {
    super::write(conn, |conn| {
        let query = waiting!(now)
            .filter(
                outbox::lease_until
                    .is_null()
                    .or(outbox::lease_until.lt(now)),
            )
            .order(outbox::next_attempt_at.asc())
            .select(outbox::id);
        let id: Option<String> = match conn {
            DbConnection::Postgres(pg) => query.for_update().skip_locked().first(pg).optional()?,
            DbConnection::Sqlite(_) => query.first(conn).optional()?,
        };
        let ids: Vec<String> = id.into_iter().collect();
        Ok(lease(conn, &ids, worker, lease_until)?.into_iter().next())
    })
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

/// Records a failed attempt: retried at `next_attempt_at`, or dead when `dead`. Only the worker
/// holding the mail's lease may (a worker whose lease passed leaves the mail to its new holder).
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
