//! Application functions: each one carries out one thing a person or the operator asks for, in
//! one database transaction, over the rules of `domain` and the queries of `db`. The web pages,
//! the API and the command line all call these; none of them holds a rule of its own.

pub mod account;
pub mod calendar;
pub mod deliveries;
pub mod demo;
pub mod demo_requests;
pub mod idempotency;
pub mod invitations;
pub mod keys;
pub mod missions;
pub mod notifications;
pub mod operations;
pub mod reauthenticate;
pub mod requests;
pub mod scheduler;
pub mod seed;
pub mod setup;
pub mod sign_in;
pub mod statistics;
pub mod throttling;
pub mod tokens;
pub mod users;

use crate::db::DbError;
use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke one or more rules; each error names its field.
    #[error("{}", join_fields(.0))]
    Invalid(Vec<FieldError>),
    /// The thing does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The change conflicts with what is stored (a duplicate, a stale version): 409.
    #[error("{0}")]
    Conflict(String),
    /// The person's role may not do this: 403.
    #[error("not allowed")]
    Forbidden,
    /// Not possible in the thing's current state: 422.
    #[error("{0}")]
    NotNow(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Who is acting, for the security log: a signed-in person, or the operator at the command line.
#[derive(Debug, Clone, Default)]
pub struct Acting {
    pub user_id: Option<String>,
    pub org: Option<String>,
    pub client_addr: Option<String>,
}

impl Acting {
    pub fn person(actor: &crate::domain::access::Actor, client_addr: &str) -> Self {
        Acting {
            user_id: Some(actor.user_id.clone()),
            org: Some(actor.role.organisation().to_owned()),
            client_addr: Some(client_addr.to_owned()),
        }
    }

    /// The operator, through `protection-portal` on the server itself.
    pub fn command_line() -> Self {
        Acting {
            user_id: None,
            org: Some("operator".to_owned()),
            client_addr: Some("command-line".to_owned()),
        }
    }

    /// A security-log entry by this actor.
    pub fn entry(
        &self,
        event: &'static str,
        target_type: &'static str,
        target_id: &str,
        detail: serde_json::Value,
    ) -> crate::audit::Entry {
        crate::audit::Entry {
            event,
            outcome: "success",
            actor_user_id: self.user_id.clone(),
            actor_org: self.org.clone(),
            client_addr: self.client_addr.clone(),
            target_type: Some(target_type),
            target_id: Some(target_id.to_owned()),
            detail,
        }
    }
}

/// Writes a refusal (403) to the security log: who was refused which method on which path. The
/// refusals of requests that exist are answered 404 and logged where they are decided
/// (`requests::visible`); this covers everything answered 403 — a role's missing capability, a
/// cross-site or token-less form post.
pub fn record_refusal(
    conn: &mut crate::db::DbConnection,
    acting: &Acting,
    method: &str,
    path: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    // Paths carry ids only; a long one is cut so a caller cannot fill the log through it.
    let path: String = path.chars().take(200).collect();
    let mut entry = acting.entry(
        "access_denied",
        "route",
        &path,
        serde_json::json!({ "answered": 403, "method": method }),
    );
    entry.outcome = "denied";
    crate::db::write(conn, |conn| {
        crate::audit::record(conn, &entry, now).map_err(AppError::from)
    })
}

/// The current instant in UTC, as stored.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
