//! E-mail delivery for administrators: pending, sent and dead mails — recipient, kind, attempts,
//! last error; never content — and "retry now" for dead ones.

use crate::i18n::{self, tr};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::csrf_field;
use super::layout::{page, respond, see_other};
use super::session::Viewer;
use crate::app::{self, deliveries};
use crate::db;
use crate::domain::access::Capability;
use crate::domain::notification;

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
}

pub async fn list(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerDeliveries)?;
    let status = match query.status.as_deref() {
        Some("sent") => "sent",
        Some("dead") => "dead",
        _ => "pending",
    };
    let page_no = query.page.unwrap_or(1).max(1);
    let overview = db::run(&state.pool, move |conn| {
        deliveries::overview(conn, status, page_no, PER_PAGE)
    })
    .await?;
    let pages = ((overview.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let body = html! {
        h1 { (tr("E-mail delivery")) }
        nav aria-label=(tr("Delivery status")) class="tabs" {
            ul {
                @for (key, label, count) in [("pending", tr("Waiting"), overview.pending), ("sent", tr("Sent"), overview.sent), ("dead", tr("Failed"), overview.dead)] {
                    li { a href={ "/admin/deliveries?status=" (key) } aria-current=[(key == status).then_some("page")] { (label) " (" (count) ")" } }
                }
            }
        }
        @if overview.rows.is_empty() { p class="notice" { (tr("No e-mails here.")) } } @else {
            table class="stacking" {
                thead { tr { th scope="col" { (tr("Queued")) } th scope="col" { (tr("Recipient")) } th scope="col" { (tr("Kind")) } th scope="col" { (tr("Attempts")) } th scope="col" { (tr("Next attempt / sent")) } th scope="col" { (tr("Last error")) } @if status == "dead" { th scope="col" { span class="visually-hidden" { (tr("Action")) } } } } }
                tbody {
                    @for r in &overview.rows {
                        tr {
                            td data-label=(tr("Queued")) { (i18n::oslo(r.created_at)) }
                            td data-label=(tr("Recipient")) { (r.recipient_email) }
                            td data-label=(tr("Kind")) { (notification::Notice::parse(&r.kind).map(|k| tr(k.label())).unwrap_or(&r.kind)) }
                            td data-label=(tr("Attempts")) { (r.attempts) }
                            td data-label=(tr("Next attempt / sent")) { (i18n::oslo(r.sent_at.unwrap_or(r.next_attempt_at))) }
                            td data-label=(tr("Last error")) { (r.last_error.as_deref().unwrap_or("–")) }
                            @if status == "dead" {
                                td { form method="post" action={ "/admin/deliveries/" (r.id) "/retry" } {
                                    (csrf_field(&viewer.csrf))
                                    button type="submit" class="secondary" { (tr("Retry now")) }
                                } }
                            }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label=(tr("Pages")) {
            @if page_no > 1 { a href={ "/admin/deliveries?status=" (status) "&page=" (page_no - 1) } { (tr("Previous page")) } }
            span { (tr("Page ")) (page_no) (tr(" of ")) (pages) }
            @if page_no < pages { a href={ "/admin/deliveries?status=" (status) "&page=" (page_no + 1) } { (tr("Next page")) } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("E-mail delivery"), body),
    ))
}

pub async fn retry(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerDeliveries)?;
    let (acting, id) = (viewer.acting(), path.into_inner());
    db::run(&state.pool, move |conn| {
        deliveries::retry(conn, &acting, &id, app::now())
    })
    .await?;
    Ok(see_other("/admin/deliveries?status=pending"))
}
