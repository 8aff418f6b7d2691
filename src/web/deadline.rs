//! Every request has a deadline (`server.request_timeout_seconds`). This layer starts it; the
//! data layer keeps it (`db::deadline`, `db::run`): a wait on the database that would pass it
//! ends at the deadline with `DbError::Busy` (or `Uncertain` when a commit was under way), which
//! the handlers answer as 503 with `Retry-After`, and work not yet committing is rolled back.
//! Every wait a request can make on something outside the process is a database wait, so this
//! bounds the request. While a request is served it counts as a person's, so that the portal's
//! own steps give way to it (`db::priority`). (The layer cannot answer in the handler's place itself: an actix layer
//! outside the router may not keep a copy of the request, which the answer would need.)

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::AppState;
use super::body::BodyLimits;
use crate::db::deadline::{self, Deadline};

pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // An upload's deadline is its own: a large file on a slow line takes longer than a page.
    let takes_files = BodyLimits::of(req.request()).takes_files(req.request());
    let Some(after) = req.app_data::<web::Data<AppState>>().map(|s| {
        if takes_files {
            std::time::Duration::from_secs(s.settings.attachments.upload_timeout_seconds)
        } else {
            s.settings.request_timeout()
        }
    }) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // A read changes nothing: bookkeeping it commits (a session's renewal) is not a change
    // the person made, and does not make its 503 say "may have been saved".
    let ticket = Deadline::new(after, !req.method().is_safe());
    // While this request is served, the portal's own steps give way (`db::priority`).
    let _served = crate::db::priority::serving();
    let mut res = deadline::scope(ticket.clone(), next.call(req))
        .await
        .map(ServiceResponse::map_into_boxed_body)?;
    // For the request's line in the operator log (`frame`).
    res.response_mut()
        .extensions_mut()
        .insert(Statements(ticket.statements()));
    Ok(res)
}

/// How many statements a request sent to the database, session included.
#[derive(Debug, Clone, Copy)]
pub struct Statements(pub u32);
