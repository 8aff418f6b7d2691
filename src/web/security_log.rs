//! The security log for administrators: who did what, when, from where — filtered by event and
//! person, newest first. It holds identifiers and reasons only, never classified text.

use std::collections::HashMap;

use crate::i18n::{self, tr};
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
use crate::db::security_log::LogFilter;
use crate::domain::access::Capability;
use crate::domain::disclosure::{self, LogEntryView};

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    event: Option<String>,
    actor: Option<String>,
    /// First day shown (Oslo date, YYYY-MM-DD).
    from: Option<String>,
    /// Last day shown (Oslo date, YYYY-MM-DD).
    to: Option<String>,
    page: Option<i64>,
}

/// An organisation code of the log as people name it.
fn organisation(code: Option<&str>) -> &'static str {
    match code {
        Some("mfa") => "Ministry of Foreign Affairs",
        Some("oslo_police") => "Oslo Police District",
        Some("pst") => "PST",
        Some("mission") => "A mission",
        Some("operator") => "Portal operator",
        _ => "–",
    }
}

/// The detail of an entry as "name: value" lines rather than JSON.
fn detail_lines(detail: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let value = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k.replace('_', " "), value)
            })
            .collect(),
        Ok(serde_json::Value::Null) => Vec::new(),
        _ => vec![(String::new(), detail.to_owned())],
    }
}

/// A day typed into the filter, as the UTC moment its Oslo midnight is; a day that is not a
/// date is ignored (and shown as typed).
fn oslo_midnight(day: Option<&str>, days_after: i64) -> Option<chrono::NaiveDateTime> {
    let day = chrono::NaiveDate::parse_from_str(day?.trim(), "%Y-%m-%d").ok()?;
    let day = day.checked_add_signed(chrono::Duration::days(days_after))?;
    Some(crate::domain::time::oslo_midnight_utc(day))
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
    let from = q.from.filter(|d| !d.trim().is_empty());
    let to = q.to.filter(|d| !d.trim().is_empty());
    let page_no = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let (e, a) = (event.clone(), actor.clone());
    let (since, before) = (
        oslo_midnight(from.as_deref(), 0),
        oslo_midnight(to.as_deref(), 1),
    );
    let without_case_events =
        actor.is_some() && disclosure::log_search_by_person_hides_case_events(&viewer.actor);
    let (rows, total, people) = db::run(&state.pool, move |conn| {
        // A person is named by e-mail address (or, in links, by account id).
        let person = match a.as_deref() {
            Some(email) if email.contains('@') => Some(
                crate::app::users::id_for_email(conn, &email.to_lowercase())?
                    .unwrap_or_else(|| "(no such account)".to_owned()),
            ),
            other => other.map(str::to_owned),
        };
        let filter = LogFilter {
            event: e.as_deref(),
            actor: person.as_deref(),
            since,
            before,
            without_case_events,
        };
        let (rows, total) = audit::page(conn, &filter, page_no, PER_PAGE)?;
        // Only the names this page shows.
        let mut ids: Vec<String> = rows
            .iter()
            .flat_map(|r| {
                let target = (r.target_type.as_deref() == Some("user"))
                    .then(|| r.target_id.clone())
                    .flatten();
                r.actor_user_id.clone().into_iter().chain(target)
            })
            .collect();
        ids.sort();
        ids.dedup();
        let people = crate::app::users::names_of(conn, &ids)?;
        Ok::<_, crate::app::AppError>((rows, total, people))
    })
    .await?;
    let names: HashMap<&str, &str> = people
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let keep = |p: i64| {
        let mut params = vec![("page", p.to_string())];
        for (name, value) in [
            ("event", &event),
            ("actor", &actor),
            ("from", &from),
            ("to", &to),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        format!(
            "/admin/security-log?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish()
        )
    };
    let mut events: Vec<(&str, &str)> = audit::EVENTS
        .iter()
        .filter_map(|code| audit::describe(code).map(|d| (*code, tr(d))))
        .collect();
    events.sort_by(|a, b| a.1.cmp(b.1));
    let body = html! {
        h1 { (tr("Security log")) }
        p { (tr("Every sign-in, failure, lockout, refusal, administrator change, token, and read of classified information. Each entry is chained to the previous one by its hash; "))
            code { (tr("protection-portal audit verify")) } (tr(" checks the chain.")) }
        form method="get" action="/admin/security-log" class="filters" {
            div class="field" {
                label for="event" { (tr("What happened")) }
                select id="event" name="event" {
                    option value="" { (tr("Anything")) }
                    @for (code, text) in &events { option value=(code) selected[event.as_deref() == Some(*code)] { (text) } }
                }
            }
            div class="field" {
                label for="actor" { (tr("Person")) }
                span class="hint" id="actor-hint" { (tr("Their e-mail address.")) }
                input type="text" id="actor" name="actor" aria-describedby="actor-hint" value=(actor.clone().unwrap_or_default());
            }
            div class="field" { label for="from" { (tr("From date")) } input type="date" id="from" name="from" value=(from.clone().unwrap_or_default()); }
            div class="field" { label for="to" { (tr("To date")) } input type="date" id="to" name="to" value=(to.clone().unwrap_or_default()); }
            button type="submit" class="secondary" { (tr("Filter")) }
        }
        @if viewer.require(Capability::ReadCaseEvents).is_err() {
            p { (tr("Entries about case work show only their kind, outcome, time and organisation; security auditors read them in full.")) }
        }
        p { (total) (tr(" entries")) }
        table class="stacking" {
            thead { tr { th scope="col" { (tr("No.")) } th scope="col" { (tr("When")) } th scope="col" { (tr("What happened")) } th scope="col" { (tr("Outcome")) } th scope="col" { (tr("Who")) } th scope="col" { (tr("From")) } th scope="col" { (tr("Concerning")) } th scope="col" { (tr("Detail")) } } }
            tbody {
                @for r in &rows {
                    @let full = disclosure::log_entry_view(&viewer.actor, r.target_type.as_deref(), r.target_id.as_deref()) == LogEntryView::Full;
                    tr {
                        td data-label=(tr("No.")) { (r.seq) }
                        td data-label=(tr("When")) { (i18n::oslo(r.at)) }
                        td data-label=(tr("What happened")) { (audit::describe(&r.event).map(tr).unwrap_or(&r.event)) }
                        td data-label=(tr("Outcome")) { (tr(audit::describe_outcome(&r.outcome))) }
                        @if full {
                            td data-label=(tr("Who")) {
                                @match r.actor_user_id.as_deref().and_then(|id| names.get(id)) {
                                    Some(name) => { (name) br; }
                                    None => {}
                                }
                                span class="hint" { (tr(organisation(r.actor_org.as_deref()))) }
                            }
                            td data-label=(tr("From")) { (r.client_addr.as_deref().unwrap_or("–")) }
                            td data-label=(tr("Concerning")) {
                                @match (r.target_type.as_deref(), r.target_id.as_deref()) {
                                    (Some("user"), Some(id)) => { (tr("Account")) ": " (names.get(id).copied().unwrap_or(id)) }
                                    (Some(kind), Some(id)) => { (kind.replace('_', " ")) " " small { (id) } }
                                    _ => { "–" }
                                }
                            }
                            td data-label=(tr("Detail")) {
                                // Technical detail, as recorded: identifiers and reasons.
                                @for (k, v) in detail_lines(&r.detail) {
                                    code { @if !k.is_empty() { (k) ": " } (v) } br;
                                }
                            }
                        } @else {
                            td data-label=(tr("Who")) { (tr(organisation(r.actor_org.as_deref()))) }
                            td data-label=(tr("From")) { "–" }
                            td data-label=(tr("Concerning")) { (tr("case work")) }
                            td data-label=(tr("Detail")) { (tr("withheld (auditors only)")) }
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
