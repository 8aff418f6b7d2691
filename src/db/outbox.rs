//! Queries on the e-mail outbox. Rows are written inside the transaction that causes the mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::outbox;

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

pub fn insert(conn: &mut DbConnection, row: &NewOutboxRow<'_>) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The newest rows for one recipient address (administration and tests).
pub fn for_recipient(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::recipient_email.eq(email))
        .order(outbox::created_at.desc())
        .select(OutboxRow::as_select())
        .load(conn)
}
