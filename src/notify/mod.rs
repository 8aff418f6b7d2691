//! Notifications: e-mails are written to the outbox inside the transaction that causes them, so
//! a change and its mail are kept or lost together; the worker delivers them.

pub mod mailer;
pub mod templates;
pub mod worker;

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
    /// Repeated failed attempts to sign in (or re-authenticate) on the account, once per
    /// episode (`domain::throttle`).
    SignInFailures,
}

impl AccountMail {
    pub fn code(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordChanged => "password_changed",
            Self::SecondFactorReset => "second_factor_reset",
            Self::SignInFailures => "sign_in_failures",
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
    enqueue(conn, kind.code(), user_id, email, payload, now)
}

/// Queues a notice about no one request (a changed threat level) to each recipient by e-mail,
/// inside the caller's transaction; `payload` holds nothing of the case.
pub fn enqueue_notice_mail(
    conn: &mut DbConnection,
    notice: crate::domain::notification::Notice,
    recipients: &[Recipient],
    payload: &Value,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    for r in recipients {
        enqueue(conn, notice.code(), &r.user_id, &r.email, payload, now)?;
    }
    Ok(())
}

fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    user_id: &str,
    email: &str,
    payload: &Value,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    outbox::insert(
        conn,
        &NewOutboxRow {
            id: &db::new_id(),
            kind,
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

/// Who is told about a request event, as stored: id, e-mail address and role.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: String,
    pub email: String,
    pub role: crate::domain::Role,
}

/// Tells each recipient about an event on a request, by e-mail (the outbox) and in the portal,
/// inside the caller's transaction. The payload carries the reference and the status *as that
/// recipient may see it* — the mission-facing status for mission staff — and nothing else.
pub fn request_event(
    conn: &mut DbConnection,
    notice: crate::domain::notification::Notice,
    recipients: &[Recipient],
    request_id: &str,
    reference: Option<&str>,
    (state, partly_approved, scheduled): (crate::domain::workflow::State, bool, bool),
    now: NaiveDateTime,
) -> Result<(), DbError> {
    use crate::db::requests::{self, NewNotification};
    let kind = notice.code();
    let mut seen = std::collections::HashSet::new();
    for r in recipients {
        if !seen.insert(r.user_id.clone()) {
            continue;
        }
        let switched_off = crate::db::preferences::switched_off(conn, &r.user_id)?;
        let email = crate::domain::notification::wants_email(notice, &switched_off);
        // The status as this recipient may see it (mission-facing for mission staff).
        let status =
            crate::domain::disclosure::status_on(r.role, state, partly_approved, scheduled);
        let payload = serde_json::json!({
            "reference": reference,
            "status": status.code,
            "status_label": status.label,
        })
        .to_string();
        if email {
            outbox::insert(
                conn,
                &NewOutboxRow {
                    id: &db::new_id(),
                    kind,
                    recipient_user_id: Some(&r.user_id),
                    recipient_email: &r.email,
                    request_id: Some(request_id),
                    payload: &payload,
                    status: "pending",
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                },
            )?;
        }
        requests::insert_notification(
            conn,
            &NewNotification {
                id: &db::new_id(),
                user_id: &r.user_id,
                request_id: Some(request_id),
                kind,
                payload: &payload,
                created_at: now,
            },
        )?;
    }
    Ok(())
}
