//! Answers kept for API calls made with an `Idempotency-Key`, so that a client that lost an
//! answer (a dropped connection, a 503 saying the change may have been saved) can send the same
//! call again and be told what happened, without the change happening twice.
//!
//! The answer is kept in the same transaction as the change it answers (`remember`, called from
//! inside that transaction): either both exist or neither. Only successful answers are kept; a
//! refused or failed call changed nothing, and a retry runs afresh. What counts as the same call
//! is `domain::idempotency`'s rule.

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;

use super::AppError;
use crate::auth::keys;
use crate::db::idempotency::{self as store, NewAnswer};
use crate::db::{DbConnection, DbError};
use crate::domain::idempotency::{self, Key};

/// One call made with a key: whose it is, and what it asked.
#[derive(Debug, Clone)]
pub struct Call {
    user_id: String,
    key: Key,
    method_path: String,
    fingerprint: String,
}

impl Call {
    /// The call `user_id` made with `key`: `method` on `path` with `body` (parsed).
    pub fn new(user_id: &str, key: Key, method: &str, path: &str, body: &Value) -> Call {
        Call {
            user_id: user_id.to_owned(),
            method_path: format!("{method} {path}"),
            fingerprint: idempotency::fingerprint(method, path, body),
            key,
        }
    }

    /// What the stored body is sealed to: this caller and this very call.
    fn seal_context(&self) -> String {
        format!("idempotency:{}:{}", self.user_id, self.fingerprint)
    }
}

/// A successful answer, as sent and as replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// JSON.
    pub body: String,
}

/// The answer already given to this call, if its key was used before (and has not expired);
/// `Invalid` naming the header when the key was used for a different call.
pub fn earlier(
    conn: &mut DbConnection,
    call: &Call,
    now: NaiveDateTime,
) -> Result<Option<Answer>, AppError> {
    let Some(stored) = store::find_live(conn, &call.user_id, call.key.as_str(), now)? else {
        return Ok(None);
    };
    if stored.method_path != call.method_path || stored.fingerprint != call.fingerprint {
        return Err(AppError::Invalid(vec![idempotency::reused()]));
    }
    let body = keys::current()
        .open(&call.seal_context(), &stored.body)
        .map_err(|e| DbError::Corrupt(format!("a stored answer does not open: {e}")))?;
    let status = u16::try_from(stored.status)
        .map_err(|_| DbError::Corrupt(format!("stored status {}", stored.status)))?;
    Ok(Some(Answer {
        status,
        body: secrecy::ExposeSecret::expose_secret(&body).to_owned(),
    }))
}

/// Keeps `answer` for the call, sealed. Must run inside the transaction of the change it
/// answers. A concurrent call with the same key that committed first makes this fail with a
/// unique violation, rolling this call's change back: its caller then replays the first answer.
pub fn remember(
    conn: &mut DbConnection,
    call: &Call,
    answer: &Answer,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let sealed = keys::current().seal(&call.seal_context(), &answer.body);
    store::insert(
        conn,
        &NewAnswer {
            user_id: &call.user_id,
            idem_key: call.key.as_str(),
            method_path: &call.method_path,
            fingerprint: &call.fingerprint,
            status: i32::from(answer.status),
            body: &sealed,
            created_at: now,
            expires_at: now + Duration::hours(idempotency::LIFETIME_HOURS),
        },
    )?;
    Ok(())
}
