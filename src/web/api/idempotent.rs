//! The `Idempotency-Key` header on the API's calls that create or change a request: reading the
//! key, replaying the answer kept for an earlier call with it, and keeping the answer of a new
//! call in the same transaction as its change (`app::idempotency`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::{ApiCaller, ApiError};
use crate::app::idempotency::{self, Answer, Call};
use crate::app::{self, AppError};
use crate::db::{self, DbConnection};
use crate::domain::idempotency::{HEADER, Key, REPLAYED_HEADER};
use crate::web::AppState;

/// The call as made with a key, or `None` without the header; 422 naming the header when the key
/// is not valid (or is given more than once). `body` is the parsed body.
pub fn call_of(
    http: &HttpRequest,
    caller: &ApiCaller,
    body: &impl Serialize,
) -> Result<Option<Call>, ApiError> {
    let mut given = http.headers().get_all(HEADER);
    let Some(raw) = given.next() else {
        return Ok(None);
    };
    let key = if given.next().is_some() {
        Err(crate::domain::FieldError::new(HEADER, "must be given once"))
    } else {
        Key::parse(raw.as_bytes())
    }
    .map_err(|e| ApiError::from(AppError::Invalid(vec![e])))?;
    let body = serde_json::to_value(body)
        .map_err(|e| ApiError::Internal(format!("a parsed body does not serialise: {e}")))?;
    Ok(Some(Call::new(
        &caller.actor.user_id,
        key,
        http.method().as_str(),
        http.path(),
        &body,
    )))
}

/// The answer kept for an earlier call with the same key, replayed; `None` for a new key.
pub async fn earlier(
    state: &AppState,
    call: Option<&Call>,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(call) = call.cloned() else {
        return Ok(None);
    };
    let found = db::run(&state.pool, move |conn| {
        idempotency::earlier(conn, &call, app::now())
    })
    .await?;
    Ok(found.map(replay))
}

/// The answer of a successful change, built inside its transaction and, when the call carries a
/// key, kept in that same transaction.
pub fn answer(
    conn: &mut DbConnection,
    call: Option<&Call>,
    status: StatusCode,
    json: &impl Serialize,
    now: chrono::NaiveDateTime,
) -> Result<Answer, AppError> {
    let answer = Answer {
        status: status.as_u16(),
        body: serde_json::to_string(json).map_err(|e| {
            crate::db::DbError::Corrupt(format!("an answer does not serialise: {e}"))
        })?,
    };
    if let Some(call) = call {
        idempotency::remember(conn, call, &answer, now)?;
    }
    Ok(answer)
}

/// What the caller is told once the change's transaction has ended. On failure, a call with a key
/// looks once more for a kept answer: a concurrent call with the same key may have committed
/// first (then this one was rolled back — by the key's unique constraint, or as a stale
/// version), or the connection was lost during this call's own commit after it was kept. Either
/// way the kept answer is the true one.
pub async fn settle(
    state: &AppState,
    call: Option<Call>,
    done: Result<Answer, AppError>,
) -> Result<HttpResponse, ApiError> {
    let error = match done {
        Ok(answer) => return Ok(respond(answer, false)),
        Err(error) => ApiError::from(error),
    };
    match earlier(state, call.as_ref()).await {
        Ok(Some(replayed)) => {
            tracing::info!(
                failed = %error,
                "a call with the same Idempotency-Key was answered first; its answer is replayed"
            );
            Ok(replayed)
        }
        // The key was used for a different call: that is the caller's mistake to hear of.
        Err(reused @ ApiError::Invalid(..)) => Err(reused),
        // No kept answer, or none could be read: the call's own outcome stands.
        Ok(None) | Err(_) => Err(error),
    }
}

fn replay(answer: Answer) -> HttpResponse {
    respond(answer, true)
}

fn respond(answer: Answer, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type("application/json");
    if replayed {
        res.insert_header((REPLAYED_HEADER, "true"));
    }
    res.body(answer.body)
}
