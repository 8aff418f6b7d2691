//! E-mail delivery as administrators see it, and putting a failed mail back in the queue.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::db::outbox::{self, OutboxRow};
use crate::db::{self, DbConnection};

pub struct Overview {
    pub rows: Vec<OutboxRow>,
    pub total: i64,
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

pub fn overview(
    conn: &mut DbConnection,
    status: &str,
    page: i64,
    per_page: i64,
) -> Result<Overview, AppError> {
    let pending = outbox::count_by_status(conn, "pending")?;
    let sent = outbox::count_by_status(conn, "sent")?;
    let dead = outbox::count_by_status(conn, "dead")?;
    Ok(Overview {
        rows: outbox::by_status(
            conn,
            status,
            per_page,
            (page.clamp(1, 1_000_000) - 1) * per_page,
        )?,
        total: match status {
            "sent" => sent,
            "dead" => dead,
            _ => pending,
        },
        pending,
        sent,
        dead,
    })
}

/// Queues a dead mail again, due now; `NotFound` unless it is dead.
pub fn retry(
    conn: &mut DbConnection,
    acting: &Acting,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        if !outbox::retry(conn, id, now)? {
            return Err(match outbox::find(conn, id)? {
                Some(_) => AppError::NotNow(
                    "Only mail whose delivery failed can be put back in the queue.".into(),
                ),
                None => AppError::NotFound,
            });
        }
        audit::record(
            conn,
            &acting.entry("mail_retried", "outbox", id, json!({})),
            now,
        )?;
        Ok(())
    })
}
