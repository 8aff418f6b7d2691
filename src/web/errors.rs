//! How failures reach people: a status and a message that reveals nothing internal. The full
//! error page (or JSON under /api) is drawn by `frame`, which knows the correlation id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::app::AppError;
use crate::db::DbError;

/// A message safe to show to the person who made the request.
#[derive(Debug, Clone)]
pub struct PublicMessage(pub String);

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign-in required")]
    SignInRequired,
    /// Malformed input (400), with the reason to show.
    #[error("{0}")]
    BadRequest(String),
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// Not possible in the current state (422), with the reason to show.
    #[error("{0}")]
    NotNow(String),
    /// A body larger than its route takes (413), with the reason to show.
    #[error("{0}")]
    TooLarge(String),
    #[error("service unavailable")]
    Unavailable,
    /// The database did not answer in time; nothing was changed (503 with `Retry-After`).
    #[error("busy")]
    Busy,
    /// The connection was lost during a commit: the change may have been kept (503).
    #[error("outcome unknown")]
    Uncertain,
    #[error("internal error")]
    Internal(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => WebError::NotFound,
            AppError::Forbidden => WebError::Forbidden,
            AppError::NotNow(m) => WebError::NotNow(m),
            AppError::Conflict(m) => WebError::Conflict(m),
            AppError::Invalid(errors) => WebError::NotNow(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Db(DbError::Unavailable(detail)) => {
                tracing::error!(error = %detail, "database unavailable");
                WebError::Unavailable
            }
            AppError::Db(DbError::Busy(detail)) => {
                tracing::warn!(error = %detail, "database busy; the request was rolled back");
                WebError::Busy
            }
            AppError::Db(DbError::Uncertain(detail)) => {
                tracing::error!(error = %detail, "connection lost during a commit");
                WebError::Uncertain
            }
            AppError::Db(e @ (DbError::Query(_) | DbError::Corrupt(_))) => {
                WebError::Internal(e.to_string())
            }
        }
    }
}

/// Seconds a client is asked to wait before trying again after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// What a person is told when the database did not answer in time.
pub const BUSY_MESSAGE: &str =
    "The portal is very busy just now. Nothing was changed. Please try again in a few seconds.";

/// What a person is told when a change may or may not have been saved.
pub const UNCERTAIN_MESSAGE: &str = "The portal lost its connection to the database while saving. Your change may have been saved: check before you send it again.";

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        AppError::Db(e).into()
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignInRequired => StatusCode::FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::NotNow(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unavailable | WebError::Busy | WebError::Uncertain => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignInRequired = self {
            return HttpResponse::Found()
                .insert_header((actix_web::http::header::LOCATION, "/sign-in"))
                .finish();
        }
        if let WebError::Internal(detail) = self {
            // The detail goes to the operator's log (with the request id), never to the page.
            tracing::error!(error = %detail, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code()).finish();
        if let WebError::Conflict(m)
        | WebError::NotNow(m)
        | WebError::BadRequest(m)
        | WebError::TooLarge(m) = self
        {
            res.extensions_mut().insert(PublicMessage(m.clone()));
        }
        match self {
            WebError::Busy => {
                res.extensions_mut()
                    .insert(PublicMessage(BUSY_MESSAGE.to_owned()));
            }
            WebError::Uncertain => {
                res.extensions_mut()
                    .insert(PublicMessage(UNCERTAIN_MESSAGE.to_owned()));
            }
            _ => {}
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
        res
    }
}

/// The heading and explanation shown for a status when nothing more specific is known.
pub fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Bad request",
            "The request could not be understood. Check what you entered and try again.",
        ),
        401 => ("Sign-in required", "You need to sign in to see this page."),
        403 => ("Not allowed", "You are not allowed to do this."),
        404 => (
            "Page not found",
            "There is nothing here, or you do not have access to it. Check the address.",
        ),
        405 => ("Not allowed", "This page cannot be used that way."),
        409 => (
            "Could not be saved",
            "What you sent conflicts with what is stored. Reload the page and try again.",
        ),
        413 => (
            "Too large",
            "What you sent is larger than the portal accepts.",
        ),
        415 => (
            "Unsupported format",
            "The portal does not accept this kind of content here.",
        ),
        422 => (
            "Could not be processed",
            "What you sent could not be processed.",
        ),
        429 => (
            "Too many attempts",
            "Please wait a moment before trying again.",
        ),
        503 => (
            "Temporarily unavailable",
            "The portal cannot reach its database just now. Please try again in a few minutes.",
        ),
        // "Nothing was changed" is true here: a 500 comes only from `WebError::Internal`, i.e. a
        // statement that failed (`DbError::Query`) or a stored value not understood
        // (`DbError::Corrupt`). Either happened inside a transaction that `db::write` then rolled
        // back, or in a read, or at COMMIT refused by the server (which rolls back); a connection
        // lost during COMMIT is `Uncertain` (503) instead. And no handler does database work after
        // its change commits: the API builds its answer inside the transaction
        // (`app::requests::create_draft_viewed`, `perform_viewed`, `update_viewed`), and the
        // pages answer a committed change with a redirect. 503s other than `Busy` make no claim.
        s if s >= 500 => (
            "Something went wrong",
            "The portal could not complete your request. Nothing was changed. If it happens again, contact the portal's support and give them the reference below.",
        ),
        _ => (
            "Something went wrong",
            "The request could not be completed.",
        ),
    }
}
