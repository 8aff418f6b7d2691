//! The page layout every page shares: header (with the signed-in person and sign-out), main,
//! footer; and the stylesheet.

use crate::i18n::{self, tr};
use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

use super::forms::csrf_field;
use crate::domain::Role;

const STYLESHEET: &str = include_str!("../../static/portal.css");

/// What the header shows about the person looking at the page.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub signed_in: Option<SignedIn>,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    pub unread: i64,
}

impl Chrome {
    pub fn anonymous() -> Self {
        Chrome { signed_in: None }
    }
}

/// A full page: `title` becomes the document title; the body brings its own `h1`.
pub fn page(chrome: &Chrome, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(i18n::current().code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) (tr(" – Protection portal")) }
                link rel="stylesheet" href="/static/portal.css";
            }
            body {
                a class="skip-link" href="#main" { (tr("Skip to main content")) }
                header class="site-header" {
                    div class="inner" {
                        a class="brand" href="/" { (tr("Protection portal")) }
                        @if let Some(me) = &chrome.signed_in {
                            nav aria-label=(tr("Main")) {
                                ul {
                                    li { a href="/" { (tr("Home")) } }
                                    @if me.role == Role::Admin {
                                        li { a href="/admin/users" { (tr("Accounts")) } }
                                        li { a href="/admin/missions" { (tr("Missions")) } }
                                        li { a href="/admin/deliveries" { (tr("E-mail delivery")) } }
                                        li { a href="/admin/jobs" { (tr("The portal's own work")) } }
                                        li { a href="/admin/security-log" { (tr("Security log")) } }
                                    }
                                    @if me.role == Role::Auditor {
                                        li { a href="/admin/security-log" { (tr("Security log")) } }
                                    }
                                    @if !matches!(me.role, Role::Admin | Role::Auditor) {
                                        li {
                                            a href="/notifications" {
                                                (tr("Notifications"))
                                                @if me.unread > 0 {
                                                    " " span class="badge" {
                                                        @if me.unread > crate::app::notifications::UNREAD_CAP { (crate::app::notifications::UNREAD_CAP) "+" } @else { (me.unread) }
                                                    }
                                                    span class="visually-hidden" { (tr(" unread")) }
                                                }
                                            }
                                        }
                                    }
                                    li { a href="/account" { (tr("Your account")) } }
                                }
                            }
                            div class="who" {
                                span { (me.name) " · " (tr(me.role.label())) }
                                form class="inline" method="post" action="/sign-out" {
                                    (csrf_field(&me.csrf))
                                    button type="submit" class="link-button" { (tr("Sign out")) }
                                }
                            }
                        } @else {
                            span class="who" { (tr("Ministry of Foreign Affairs · Diplomatic Section")) }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
                footer class="site-footer" {
                    div class="inner" {
                        p {
                            (tr("The channel for foreign missions in Norway to request external protection, "))
                            (tr("operated for the Ministry of Foreign Affairs, Oslo Police District and PST."))
                        }
                    }
                }
            }
        }
    }
}

/// Renders a page as an HTML response with the given status.
pub fn respond(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .body(markup.into_string())
}

/// Post/redirect/get: 303 to `location` (a path of ours).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
