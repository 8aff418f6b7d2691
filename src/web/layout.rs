//! The page layout every page shares: header (with the signed-in person and sign-out), main,
//! footer; and the stylesheet.

use crate::i18n::{self, tr};
use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

use super::forms::csrf_field;
use crate::domain::Role;
use crate::domain::access::{self, Capability};

const STYLESHEET: &str = include_str!("../../static/portal.css");
const SESSION_SCRIPT: &str = include_str!("../../static/session.js");

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
    /// The session ends after this many seconds without a request (`security.session_idle_minutes`).
    pub idle_seconds: u32,
    /// Tells people apart in the browser without naming them (a digest of the account id): text
    /// kept across an ended session is offered back only to the same person.
    pub person: String,
}

/// The digest of an account id that `SignedIn::person` carries.
pub fn person_digest(user_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("portal-person:{user_id}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl Chrome {
    pub fn anonymous() -> Self {
        Chrome { signed_in: None }
    }
}

tokio::task_local! {
    /// The path (and query) of the page being served: where the language switch comes back to.
    static PAGE_PATH: String;
}

/// Serves `work` as the page at `path` (set by the outermost middleware for every request).
pub async fn at_path<F: std::future::Future>(path: String, work: F) -> F::Output {
    PAGE_PATH.scope(path, work).await
}

/// The page the language switch leads back to: the address itself for a page read with GET;
/// for the answer to a form (an error shown where the form posted), the page the form is on.
pub fn page_to_come_back_to(method: &actix_web::http::Method, path: &str, query: &str) -> String {
    if method == actix_web::http::Method::GET {
        return match query {
            "" => path.to_owned(),
            q => format!("{path}?{q}"),
        };
    }
    const POSTED_TO: [&str; 12] = [
        "/second-factor/reset",
        "/read-all",
        "/transitions",
        "/messages",
        "/discard",
        "/revoke",
        "/read",
        "/retry",
        "/deactivate",
        "/reactivate",
        "/rename",
        "/invitation",
    ];
    if let Some(page) = POSTED_TO
        .iter()
        .find_map(|suffix| path.strip_suffix(suffix))
        .filter(|page| !page.is_empty())
    {
        return page.to_owned();
    }
    if path.starts_with("/account/") {
        return "/account".to_owned();
    }
    path.to_owned()
}

fn page_path() -> String {
    PAGE_PATH
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "/".to_owned())
}

/// The switch to the other language: a link before sign-in (a cookie keeps the choice), a form
/// after it (the account keeps it). Each names the language in itself.
fn language_switch(chrome: &Chrome) -> Markup {
    let other = match i18n::current() {
        i18n::Lang::En => i18n::Lang::Nb,
        i18n::Lang::Nb => i18n::Lang::En,
    };
    let back = page_path();
    html! {
        div class="language-switch" lang=(other.code()) {
            @if let Some(me) = &chrome.signed_in {
                form class="inline" method="post" action="/account/language" {
                    (csrf_field(&me.csrf))
                    input type="hidden" name="language" value=(other.code());
                    input type="hidden" name="back" value=(back);
                    button type="submit" class="link-button" { (other.name()) }
                }
            } @else {
                a href={ "/language?to=" (other.code()) "&back=" (url_encode(&back)) } { (other.name()) }
            }
        }
    }
}

fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A full page: `title` becomes the document title; the body brings its own `h1`.
pub fn page(chrome: &Chrome, title: &str, body: Markup) -> Markup {
    let error = super::forms::has_error_summary(&body.0);
    html! {
        (DOCTYPE)
        html lang=(i18n::current().code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { @if error { (tr("Error: ")) } (title) (tr(" – Protection portal")) }
                link rel="stylesheet" href="/static/portal.css";
            }
            body data-idle-seconds=[chrome.signed_in.as_ref().map(|me| me.idle_seconds)]
                data-person=[chrome.signed_in.as_ref().map(|me| me.person.as_str())]
                data-text-kept=(tr("You were signed out while filling in a form. What you typed is kept in this browser tab."))
                data-text-return=(tr("Return to the form"))
                data-text-restored=(tr("What you typed before you were signed out has been filled in again. Check it, then continue.")) {
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
                                    @if access::offered(me.role, Capability::ViewCalendar) {
                                        li { a href="/calendar" { (tr("Calendar")) } }
                                    }
                                    @if access::offered(me.role, Capability::ViewStatistics) {
                                        li { a href="/statistics" { (tr("Statistics")) } }
                                    }
                                    @if access::offered(me.role, Capability::ViewMissionOperations) {
                                        li { a href="/missions" { (tr("Missions")) } }
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
                        (language_switch(chrome))
                    }
                }
                main id="main" tabindex="-1" { (body) }
                @if let Some(me) = &chrome.signed_in { (session_warning(me)) }
                footer class="site-footer" {
                    div class="inner" {
                        p {
                            (tr("The channel for foreign missions in Norway to request external protection, "))
                            (tr("operated for the Ministry of Foreign Affairs, Oslo Police District and PST."))
                        }
                        ul {
                            li { a href="/accessibility" { (tr("Accessibility statement")) } }
                        }
                    }
                }
                script src="/static/session.js" defer {}
            }
        }
    }
}

/// The dialog that warns before the session ends (shown by `static/session.js`; without
/// script it stays closed and the session simply ends).
fn session_warning(me: &SignedIn) -> Markup {
    html! {
        dialog id="session-warning" aria-labelledby="session-warning-title" {
            div class="while-signed-in" {
                h2 id="session-warning-title" { (tr("You will soon be signed out")) }
                p { (tr("For your security the portal signs you out after a while without activity. What you have typed is kept if you stay.")) }
                div class="actions" {
                    button type="button" data-stay { (tr("Stay signed in")) }
                    " "
                    form class="inline" method="post" action="/sign-out" {
                        (csrf_field(&me.csrf))
                        button type="submit" class="secondary" { (tr("Sign out")) }
                    }
                }
            }
            div class="signed-out" hidden {
                h2 { (tr("You have been signed out")) }
                p { (tr("Sign in again to go on. What you typed in a form on this page is offered back after you sign in.")) }
                p { a class="button" href="/sign-in" { (tr("Sign in again")) } }
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

pub async fn session_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SESSION_SCRIPT)
}

/// Keeps the session alive (the dialog's "Stay signed in"): any signed-in request renews its
/// idle time; this one answers nothing else.
pub async fn keep_alive(_viewer: super::session::Viewer) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

#[cfg(test)]
mod tests {
    use super::page_to_come_back_to;
    use actix_web::http::Method;

    #[test]
    fn the_switch_leads_back_to_a_page_that_can_be_read() {
        assert_eq!(
            page_to_come_back_to(&Method::GET, "/", "queue=all"),
            "/?queue=all"
        );
        assert_eq!(
            page_to_come_back_to(&Method::POST, "/requests/abc/transitions", ""),
            "/requests/abc"
        );
        assert_eq!(
            page_to_come_back_to(&Method::POST, "/requests/new", ""),
            "/requests/new"
        );
        assert_eq!(
            page_to_come_back_to(&Method::POST, "/account/password", ""),
            "/account"
        );
        assert_eq!(
            page_to_come_back_to(&Method::POST, "/admin/users/u/second-factor/reset", ""),
            "/admin/users/u"
        );
    }
}
