//! Notifications: e-mails are written to the outbox inside the transaction that causes them, so
//! a change and its mail are kept or lost together. (Delivery is the worker's job.)

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::db::outbox::{self, NewOutboxRow};
use crate::db::{self, DbConnection, DbError};

/// The kinds of e-mail the portal sends about accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMail {
    /// A new account: a single-use link to set a password.
    Invitation,
    /// The password was changed (so the owner notices if it was not them).
    PasswordChanged,
    /// An administrator reset the second factor.
    SecondFactorReset,
}

impl AccountMail {
    pub fn code(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordChanged => "password_changed",
            Self::SecondFactorReset => "second_factor_reset",
        }
    }
}

/// Queues one e-mail to one person, inside the caller's transaction. `payload` holds only what
/// the template may show (a link, a reference) — never case content.
pub fn enqueue_account_mail(
    conn: &mut DbConnection,
    kind: AccountMail,
    user_id: &str,
    email: &str,
    payload: &Value,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    outbox::insert(
        conn,
        &NewOutboxRow {
            id: &db::new_id(),
            kind: kind.code(),
            recipient_user_id: Some(user_id),
            recipient_email: email,
            request_id: None,
            payload: &payload.to_string(),
            status: "pending",
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok(())
}
