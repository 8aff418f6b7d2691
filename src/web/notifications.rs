//! The notifications page: newest first, paged, each linking to its request; mark one or all read.

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
        h1 { "Notifications" }
        @if viewer.unread > 0 {
            form method="post" action="/notifications/read-all" {
                (csrf_field(&viewer.csrf))
                button type="submit" class="secondary" { "Mark all as read" }
            }
        }
        @if list.items.is_empty() { p class="notice" { "You have no notifications." } }
        ul class="notifications" {
            @for n in &list.items {
                @let payload: serde_json::Value = serde_json::from_str(&n.payload).unwrap_or_default();
                @let reference = payload["reference"].as_str().unwrap_or("A request");
                @let status = payload["status_label"].as_str().unwrap_or("");
                @let label = notification::find(&n.kind).map(|k| k.label).unwrap_or("Notification");
                li class={ "panel" @if n.read_at.is_none() { " unread" } } {
                    p {
                        @if n.read_at.is_none() { strong { "New: " } }
                        (label) " — "
                        @if let Some(rid) = &n.request_id { a href={ "/requests/" (rid) } { (reference) } } @else { (reference) }
                        @if !status.is_empty() { " · " (status) }
                    }
                    p class="hint" { (crate::domain::time::oslo_local(n.created_at).format("%-d %b %Y %H:%M")) }
                    @if n.read_at.is_none() {
                        form method="post" action={ "/notifications/" (n.id) "/read" } {
                            (csrf_field(&viewer.csrf))
                            button type="submit" class="secondary" { "Mark as read" }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if page_no > 1 { a href={ "/notifications?page=" (page_no - 1) } { "Previous page" } }
            span { "Page " (page_no) " of " (pages) }
            @if page_no < pages { a href={ "/notifications?page=" (page_no + 1) } { "Next page" } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), "Notifications", body),
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
