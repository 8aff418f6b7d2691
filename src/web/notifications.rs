//! The notifications page: newest first, paged, each linking to its request; mark one or all read.

use crate::i18n::{self, tr, tr_text};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::csrf_field;
use super::layout::{page, respond, see_other};
use super::session::Viewer;
use crate::app::{self, notifications};
use crate::db;
use crate::domain::access::Capability;
use crate::domain::notification;

const PER_PAGE: i64 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    page: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
}

pub async fn show(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ReadNotifications)?;
    let page_no = query.page.unwrap_or(1).max(1);
    let actor = viewer.actor.clone();
    let list = db::run(&state.pool, move |conn| {
        notifications::page(conn, &actor, page_no, PER_PAGE)
    })
    .await?;
    let pages = ((list.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let body = html! {
        h1 { (tr("Notifications")) }
        @if viewer.unread > 0 {
            form method="post" action="/notifications/read-all" {
                (csrf_field(&viewer.csrf))
                button type="submit" class="secondary" { (tr("Mark all as read")) }
            }
        }
        @if list.items.is_empty() { p class="notice" { (tr("You have no notifications.")) } }
        ul class="notifications" {
            @for n in &list.items {
                @let payload: serde_json::Value = serde_json::from_str(&n.payload).unwrap_or_default();
                @let reference = payload["reference"].as_str().unwrap_or(tr("A request"));
                @let status = tr_text(payload["status_label"].as_str().unwrap_or(""));
                @let label = notification::Notice::parse(&n.kind).map(|k| tr(k.label())).unwrap_or(tr("Notification"));
                li class={ "panel" @if n.read_at.is_none() { " unread" } } {
                    p {
                        @if n.read_at.is_none() { strong { (tr("New: ")) } }
                        (label) " — "
                        @if let Some(rid) = &n.request_id { a href={ "/requests/" (rid) } { (reference) } } @else { (reference) }
                        @if !status.is_empty() { " · " (status) }
                    }
                    p class="hint" { (i18n::oslo(n.created_at)) }
                    @if n.read_at.is_none() {
                        form method="post" action={ "/notifications/" (n.id) "/read" } {
                            (csrf_field(&viewer.csrf))
                            button type="submit" class="secondary" { (tr("Mark as read")) }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label=(tr("Pages")) {
            @if page_no > 1 { a href={ "/notifications?page=" (page_no - 1) } { (tr("Previous page")) } }
            span { (tr("Page ")) (page_no) (tr(" of ")) (pages) }
            @if page_no < pages { a href={ "/notifications?page=" (page_no + 1) } { (tr("Next page")) } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("Notifications"), body),
    ))
}

pub async fn mark_read(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ReadNotifications)?;
    let (actor, id) = (viewer.actor.clone(), path.into_inner());
    db::run(&state.pool, move |conn| {
        notifications::mark_read(conn, &actor, &id, app::now())
    })
    .await?;
    Ok(see_other("/notifications"))
}

pub async fn mark_all_read(
    viewer: Viewer,
    state: web::Data<AppState>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ReadNotifications)?;
    let actor = viewer.actor.clone();
    db::run(&state.pool, move |conn| {
        notifications::mark_all_read(conn, &actor, app::now())
    })
    .await?;
    Ok(see_other("/notifications"))
}
