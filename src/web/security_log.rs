//! The security log for administrators: who did what, when, from where — filtered by event and
//! person, newest first. It holds identifiers and reasons only, never classified text.

use crate::i18n::tr;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::layout::{page, respond};
use super::session::Viewer;
use crate::audit;
use crate::db;
use crate::domain::access::Capability;
use crate::domain::disclosure::{self, LogEntryView};

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    event: Option<String>,
    actor: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ReadSecurityLog)?;
    let q = query.into_inner();
    let event = q.event.filter(|e| !e.trim().is_empty());
    let actor = q.actor.filter(|a| !a.trim().is_empty());
    let page_no = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let (e, a) = (event.clone(), actor.clone());
    let without_case_events =
        actor.is_some() && disclosure::log_search_by_person_hides_case_events(&viewer.actor);
    let (rows, total) = db::run(&state.pool, move |conn| {
        audit::page(
            conn,
            e.as_deref(),
            a.as_deref(),
            without_case_events,
            page_no,
            PER_PAGE,
        )
    })
    .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let keep = |p: i64| {
        let mut params = vec![("page", p.to_string())];
        if let Some(e) = &event {
            params.push(("event", e.clone()));
        }
        if let Some(a) = &actor {
            params.push(("actor", a.clone()));
        }
        format!(
            "/admin/security-log?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish()
        )
    };
    let body = html! {
        h1 { (tr("Security log")) }
        p { (tr("Every sign-in, failure, lockout, refusal, administrator change, token, and read of classified information. Each entry is chained to the previous one by its hash; "))
            code { (tr("protection-portal audit verify")) } (tr(" checks the chain.")) }
        form method="get" action="/admin/security-log" class="filters" {
            div class="field" { label for="event" { (tr("Event")) } input type="text" id="event" name="event" value=(event.clone().unwrap_or_default()); }
            div class="field" { label for="actor" { (tr("Person (account id)")) } input type="text" id="actor" name="actor" value=(actor.clone().unwrap_or_default()); }
            button type="submit" class="secondary" { (tr("Filter")) }
        }
        @if viewer.require(Capability::ReadCaseEvents).is_err() {
            p { (tr("Entries about case work show only their kind, outcome, time and organisation; security auditors read them in full.")) }
        }
        p { (total) (tr(" entries")) }
        table {
            thead { tr { th scope="col" { "#" } th scope="col" { (tr("When (UTC)")) } th scope="col" { (tr("Event")) } th scope="col" { (tr("Outcome")) } th scope="col" { (tr("Who")) } th scope="col" { (tr("From")) } th scope="col" { (tr("Concerning")) } th scope="col" { (tr("Detail")) } } }
            tbody {
                @for r in &rows {
                    @let full = disclosure::log_entry_view(&viewer.actor, r.target_type.as_deref(), r.target_id.as_deref()) == LogEntryView::Full;
                    tr {
                        td { (r.seq) }
                        td { (r.at.format("%Y-%m-%d %H:%M:%S")) }
                        td { code { (r.event) } }
                        td { code { (r.outcome) } }
                        @if full {
                            td { code { (r.actor_org.as_deref().unwrap_or("–")) } br; small { (r.actor_user_id.as_deref().unwrap_or("")) } }
                            td { (r.client_addr.as_deref().unwrap_or("–")) }
                            td { code { (r.target_type.as_deref().unwrap_or("")) } " " small { (r.target_id.as_deref().unwrap_or("")) } }
                            td { code { (r.detail) } }
                        } @else {
                            td { code { (r.actor_org.as_deref().unwrap_or("–")) } }
                            td { "–" }
                            td { (tr("case work")) }
                            td { (tr("withheld (auditors only)")) }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label=(tr("Pages")) {
            @if page_no > 1 { a href=(keep(page_no - 1)) { (tr("Newer")) } }
            span { (tr("Page ")) (page_no) (tr(" of ")) (pages) }
            @if page_no < pages { a href=(keep(page_no + 1)) { (tr("Older")) } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("Security log"), body),
    ))
}
