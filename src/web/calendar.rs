//! The police calendar page (product.md § 13): approved measures day by day for a
//! week or a month, filtered by kind and mission, with previous/next and today, readable on a
//! phone and printable; and the address of a calendar feed for a calendar program. Missions are
//! answered 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{csrf_field, error_summary};
use super::layout::{page, respond};
use super::requests::text_input;
use super::session::Viewer;
use crate::app::calendar::{self as cal, CalendarView, Entry};
use crate::app::{self, AppError, account, operations};
use crate::db;
use crate::db::calendar::CalendarFilter;
use crate::db::missions::MissionRow;
use crate::domain::FieldError;
use crate::domain::access::Capability;
use crate::domain::calendar::{Span, Status};
use crate::domain::request::MeasureKind;
use crate::domain::time::oslo_date;
use crate::i18n::{self, tr};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    kind: Option<String>,
    mission: Option<String>,
}

/// What the page was asked for, each part checked (an unknown value falls back to the default).
struct Asked {
    span: Span,
    day: NaiveDate,
    kind: Option<MeasureKind>,
    mission: Option<String>,
}

impl Asked {
    fn of(q: &CalendarQuery, today: NaiveDate) -> Asked {
        Asked {
            span: q
                .view
                .as_deref()
                .and_then(Span::parse)
                .unwrap_or(Span::Week),
            day: q
                .date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .filter(|d| crate::domain::calendar::within_horizon(*d, today))
                .unwrap_or(today),
            kind: q.kind.as_deref().and_then(MeasureKind::parse),
            mission: q.mission.clone().filter(|m| !m.is_empty()),
        }
    }

    /// The address of this calendar with another span or day.
    fn link(&self, span: Span, day: NaiveDate) -> String {
        let mut href = format!("/calendar?view={}&date={day}", span.code());
        if let Some(k) = self.kind {
            href.push_str(&format!("&kind={}", k.code()));
        }
        if let Some(m) = &self.mission {
            href.push_str(&format!("&mission={m}"));
        }
        href
    }
}

pub async fn show(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<CalendarQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewCalendar)?;
    let today = oslo_date(app::now());
    let asked = Asked::of(&query, today);
    let (actor, period) = (viewer.actor.clone(), asked.span.around(asked.day));
    let filter = CalendarFilter {
        kind: asked.kind.map(|k| k.code().to_owned()),
        mission_id: asked.mission.clone(),
    };
    let (calendar, missions) = db::run(&state.pool, move |conn| {
        let calendar = cal::calendar(conn, &actor, period, &filter, today)?;
        let missions = operations::missions_for(conn, &actor)?;
        Ok::<_, AppError>((calendar, missions))
    })
    .await?;
    Ok(calendar_page(
        &viewer,
        &asked,
        &calendar,
        &missions,
        today,
        FeedState::Offer(&[]),
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    #[serde(default)]
    feed_totp_code: String,
}

/// Creates the address of a calendar feed, shown once on the calendar page.
pub async fn create_feed(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<FeedForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewCalendar)?;
    let today = oslo_date(app::now());
    let asked = Asked::of(
        &CalendarQuery {
            view: None,
            date: None,
            kind: None,
            mission: None,
        },
        today,
    );
    let (acting, actor, cost) = (viewer.acting(), viewer.actor.clone(), state.hash_cost);
    let (policy, addr) = (state.throttle_policy(), viewer.client_addr.clone());
    let code = form.into_inner().feed_totp_code;
    let created = db::run(&state.pool, move |conn| {
        let attempt = super::account::attempt(&addr, &policy);
        account::create_calendar_feed(conn, &acting, &actor, &code, &attempt, cost)
    })
    .await;
    let (feed, errors, status) = match created {
        Ok(c) => (Some(c.token), Vec::new(), StatusCode::OK),
        Err(AppError::Invalid(errors)) => (None, errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let (actor, period) = (viewer.actor.clone(), asked.span.around(asked.day));
    let (calendar, missions) = db::run(&state.pool, move |conn| {
        let calendar = cal::calendar(conn, &actor, period, &CalendarFilter::default(), today)?;
        let missions = operations::missions_for(conn, &actor)?;
        Ok::<_, AppError>((calendar, missions))
    })
    .await?;
    let feed_state = match &feed {
        Some(token) => FeedState::Created(format!(
            "{}/api/v1/calendar.ics?token={token}",
            state.settings.public_url.trim_end_matches('/')
        )),
        None => FeedState::Offer(&errors),
    };
    Ok(calendar_page(
        &viewer, &asked, &calendar, &missions, today, feed_state, status,
    ))
}

enum FeedState<'a> {
    /// The form to create a feed address, with its errors.
    Offer(&'a [FieldError]),
    /// The address just created (shown once).
    Created(String),
}

fn status_tag(status: Status) -> Markup {
    let tone = match status {
        Status::Scheduled => "blue",
        Status::InPlace => "green",
        Status::Ended => "grey",
    };
    html! { strong class={ "tag tag-" (tone) } { (tr(status.label())) } }
}

fn hours(e: &Entry) -> String {
    match (&e.from_time, &e.until_time) {
        (Some(f), Some(u)) => format!("{f}–{u}"),
        _ => tr("All day").to_owned(),
    }
}

fn place(e: &Entry) -> String {
    match (&e.place, e.location) {
        (Some(p), _) => p.clone(),
        (None, Some(l)) => tr(l.label()).to_owned(),
        (None, None) => "–".to_owned(),
    }
}

fn day_section(day: &cal::Day, today: NaiveDate) -> Markup {
    let id = format!("day-{}", day.date);
    html! {
        section class={ "calendar-day" @if day.entries.is_empty() { " empty" } } aria-labelledby=(id) {
            h2 id=(id) {
                (i18n::weekday_date(day.date))
                @if day.date == today { " " strong class="tag tag-orange" { (tr("Today")) } }
            }
            @if day.entries.is_empty() {
                p class="hint" { (tr("No approved measures.")) }
            } @else {
                table class="stacking" {
                    thead { tr {
                        th scope="col" { (tr("Hours")) } th scope="col" { (tr("Reference")) }
                        th scope="col" { (tr("Mission")) } th scope="col" { (tr("Measure")) }
                        th scope="col" { (tr("Location")) } th scope="col" { (tr("Status")) }
                    } }
                    tbody {
                        @for e in &day.entries {
                            tr {
                                td data-label=(tr("Hours")) { (hours(e)) }
                                td data-label=(tr("Reference")) { a href={ "/requests/" (e.request_id) } { (e.reference) } }
                                td data-label=(tr("Mission")) { (e.mission_name) }
                                td data-label=(tr("Measure")) { (e.kind.map(|k| tr(k.label())).unwrap_or("–")) }
                                td data-label=(tr("Location")) { (place(e)) }
                                td data-label=(tr("Status")) { (status_tag(e.status)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn calendar_page(
    viewer: &Viewer,
    asked: &Asked,
    calendar: &CalendarView,
    missions: &[MissionRow],
    today: NaiveDate,
    feed: FeedState<'_>,
    status: StatusCode,
) -> HttpResponse {
    let period = calendar.period;
    let (previous, next) = asked.span.neighbours(asked.day);
    let heading = match asked.span {
        Span::Week => format!("{} – {}", i18n::date(period.from), i18n::date(period.to)),
        Span::Month => i18n::month_year(period.from),
    };
    let kinds: Vec<(&str, &str)> = std::iter::once(("", tr("All kinds")))
        .chain(MeasureKind::ALL.iter().map(|k| (k.code(), tr(k.label()))))
        .collect();
    let mission_options: Vec<(&str, &str)> = std::iter::once(("", tr("All missions")))
        .chain(missions.iter().map(|m| (m.id.as_str(), m.name.as_str())))
        .collect();
    let chosen_kind = asked.kind.map(|k| k.code()).unwrap_or("");
    let chosen_mission = asked.mission.as_deref().unwrap_or("");
    let errors = match &feed {
        FeedState::Offer(errors) => *errors,
        FeedState::Created(_) => &[],
    };
    let label_for = |f: &str| match f {
        "feed_totp_code" => tr("Code from your authenticator app").to_owned(),
        other => other.to_owned(),
    };
    let count: usize = calendar.days.iter().map(|d| d.entries.len()).sum();
    let body = html! {
        (error_summary(errors, label_for))
        p class="caption" { (tr("Approved measures")) }
        h1 { (tr("Calendar")) ": " (heading) }
        nav class="calendar-nav no-print" aria-label=(tr("Calendar")) {
            ul {
                li { a href=(asked.link(asked.span, previous)) rel="prev" {
                    @match asked.span { Span::Week => (tr("Previous week")), Span::Month => (tr("Previous month")) }
                } }
                li { a href=(asked.link(asked.span, today)) aria-current=[(period.from <= today && today <= period.to).then_some("date")] { (tr("Today")) } }
                li { a href=(asked.link(asked.span, next)) rel="next" {
                    @match asked.span { Span::Week => (tr("Next week")), Span::Month => (tr("Next month")) }
                } }
                li { a href=(asked.link(Span::Week, asked.day)) aria-current=[(asked.span == Span::Week).then_some("page")] { (tr("Week")) } }
                li { a href=(asked.link(Span::Month, asked.day)) aria-current=[(asked.span == Span::Month).then_some("page")] { (tr("Month")) } }
            }
        }
        form method="get" action="/calendar" class="filters no-print" {
            input type="hidden" name="view" value=(asked.span.code());
            input type="hidden" name="date" value=(asked.day.to_string());
            (super::requests::select(&[], "kind", tr("Kind of measure"), &kinds, chosen_kind, None))
            (super::requests::select(&[], "mission", tr("Mission"), &mission_options, chosen_mission, None))
            button type="submit" class="secondary" { (tr("Filter")) }
        }
        p {
            (tr("Entries in this period: ")) (count)
            @if calendar.truncated { " " strong { (tr("More measures run in this period than one page shows: narrow it with the filters.")) } }
        }
        @for day in &calendar.days {
            (day_section(day, today))
        }
        section class="panel no-print" aria-labelledby="feed-heading" {
            h2 id="feed-heading" { (tr("Subscribe in your calendar program")) }
            @match &feed {
                FeedState::Created(address) => {
                    p { (tr("Give this address to your calendar program. It is shown only now: keep it as you would a password. Revoke it on your account page.")) }
                    p class="secret" { (address) }
                }
                FeedState::Offer(errors) => {
                    p { (tr("The feed holds each approved measure's reference, kind and times only — no names, places or descriptions — for the 92 days from two weeks ago. It follows the same rules as this page.")) }
                    form method="post" action="/calendar/feed" {
                        (csrf_field(&viewer.csrf))
                        (text_input(errors, "feed_totp_code", tr("Code from your authenticator app"), "", "text", Some(tr("To confirm it is you."))))
                        button type="submit" class="secondary" { (tr("Create a feed address")) }
                    }
                }
            }
        }
    };
    respond(status, page(&viewer.chrome(), tr("Calendar"), body))
}
