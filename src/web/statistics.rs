//! The statistics page (product.md § 14) for the Ministry and the police: for a period of whole
//! months, requests per month by outcome, measures by kind, requests by the mission's country,
//! working days per stage and the share of due dates met. Each chart is drawn on the server
//! (`charts`), with its numbers in a table below it and as a CSV file (`/statistics.csv`):
//! the table and the file are made from the same rows. Missions are answered 404.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::charts::{self, Bars};
use super::errors::WebError;
use super::forms::error_summary;
use super::layout::{page, respond};
use super::requests::text_input;
use super::session::Viewer;
use crate::app;
use crate::app::statistics::{self as stats, Statistics};
use crate::db;
use crate::domain::FieldError;
use crate::domain::access::Capability;
use crate::domain::statistics::{self as rules, MeasureOutcome, Outcome, Period};
use crate::domain::time::oslo_date;
use crate::i18n::{self, Lang, tr};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    table: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The tables of the page, each also a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Months,
    Kinds,
    Countries,
    Stages,
    DueDates,
}

impl Table {
    const ALL: [Table; 5] = [
        Table::Months,
        Table::Kinds,
        Table::Countries,
        Table::Stages,
        Table::DueDates,
    ];

    fn code(self) -> &'static str {
        match self {
            Table::Months => "months",
            Table::Kinds => "measure-kinds",
            Table::Countries => "countries",
            Table::Stages => "stages",
            Table::DueDates => "due-dates",
        }
    }

    fn parse(code: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// Outcome colours (`charts::PALETTE`): approved green, partly approved sky blue, declined
/// vermillion, rejected purple, withdrawn orange, still being handled blue.
const OUTCOME_COLOURS: [usize; Outcome::ALL.len()] = [0, 1, 2, 3, 4, 5];
const MEASURE_COLOURS: [usize; MeasureOutcome::ALL.len()] = [0, 2, 5];

/// A share as the reader's language writes it: "87.5%", "87,5 %".
fn percent(share: Option<f64>) -> String {
    match (share, i18n::current()) {
        (None, _) => "–".to_owned(),
        (Some(s), Lang::En) => format!("{s:.1}%"),
        (Some(s), Lang::Nb) => format!("{s:.1} %").replace('.', ","),
    }
}

fn days(d: Option<u32>) -> String {
    d.map_or_else(|| "–".to_owned(), |d| d.to_string())
}

/// A table's header and rows, as text: the page shows them, the CSV file carries them.
fn table(s: &Statistics, which: Table) -> (Vec<String>, Vec<Vec<String>>) {
    let outcomes = || Outcome::ALL.iter().map(|o| tr(o.label()).to_owned());
    let counts = |v: &[u64]| -> Vec<String> {
        v.iter()
            .map(u64::to_string)
            .chain([v.iter().sum::<u64>().to_string()])
            .collect()
    };
    match which {
        Table::Months => (
            std::iter::once(tr("Month").to_owned())
                .chain(outcomes())
                .chain([tr("Total").to_owned()])
                .collect(),
            s.months
                .iter()
                .map(|m| {
                    std::iter::once(i18n::month_year(m.month))
                        .chain(counts(&m.by_outcome))
                        .collect()
                })
                .collect(),
        ),
        Table::Kinds => (
            std::iter::once(tr("Kind of measure").to_owned())
                .chain(MeasureOutcome::ALL.iter().map(|o| tr(o.label()).to_owned()))
                .chain([tr("Total").to_owned()])
                .collect(),
            s.kinds
                .iter()
                .map(|k| {
                    std::iter::once(tr(k.kind.label()).to_owned())
                        .chain(counts(&k.by_outcome))
                        .collect()
                })
                .collect(),
        ),
        Table::Countries => (
            std::iter::once(tr("Country").to_owned())
                .chain(outcomes())
                .chain([tr("Total").to_owned()])
                .collect(),
            s.countries
                .iter()
                .map(|c| {
                    std::iter::once(c.country.clone())
                        .chain(counts(&c.by_outcome))
                        .collect()
                })
                .collect(),
        ),
        Table::Stages => (
            [
                "Stage",
                "Ended in the period",
                "Median working days",
                "90th percentile, working days",
            ]
            .iter()
            .map(|h| tr(h).to_owned())
            .collect(),
            s.stages
                .iter()
                .map(|st| {
                    vec![
                        tr(st.stage.label()).to_owned(),
                        st.ended.to_string(),
                        days(st.median_days),
                        days(st.p90_days),
                    ]
                })
                .collect(),
        ),
        Table::DueDates => (
            [
                "Stage",
                "Due date met",
                "Ended after the due date",
                "Not ended, past the due date",
                "Share of due dates met",
            ]
            .iter()
            .map(|h| tr(h).to_owned())
            .collect(),
            s.stages
                .iter()
                .map(|st| {
                    vec![
                        tr(st.stage.label()).to_owned(),
                        st.met.to_string(),
                        st.late.to_string(),
                        st.overdue.to_string(),
                        percent(st.met_share()),
                    ]
                })
                .collect(),
        ),
    }
}

fn html_table(s: &Statistics, which: Table, caption: &str) -> Markup {
    let (header, rows) = table(s, which);
    html! {
        div class="table-scroll" tabindex="0" role="region" aria-label=(caption) {
        table class="statistics-table" {
            caption class="visually-hidden" { (caption) }
            thead { tr { @for (i, h) in header.iter().enumerate() {
                th scope="col" class=[(i > 0).then_some("numeric")] { (h) }
            } } }
            tbody { @for row in &rows { tr {
                @for (i, cell) in row.iter().enumerate() {
                    @if i == 0 { th scope="row" { (cell) } }
                    @else { td class="numeric" { (cell) } }
                }
            } } }
        }
        }
    }
}

fn csv_link(period: &Period, which: Table) -> Markup {
    html! {
        p class="no-print" {
            a href={ "/statistics.csv?table=" (which.code()) "&from=" (period.from_text()) "&to=" (period.to_text()) } download {
                (tr("Download these numbers (CSV)"))
            }
        }
    }
}

/// One chart with its legend, its table and its CSV link.
fn section(
    id: &str,
    title: &str,
    about: &str,
    chart: Markup,
    legend: Option<Markup>,
    s: &Statistics,
    which: Table,
) -> Markup {
    html! {
        section class="statistic" aria-labelledby={ (id) "-heading" } {
            h2 id={ (id) "-heading" } { (title) }
            p class="hint" { (about) }
            figure class="chart-figure" {
                (chart)
                @if let Some(legend) = legend { figcaption { (legend) } }
            }
            (html_table(s, which, title))
            (csv_link(&s.period, which))
        }
    }
}

fn outcome_legend() -> Markup {
    let names: Vec<(&str, usize)> = Outcome::ALL
        .iter()
        .zip(OUTCOME_COLOURS)
        .map(|(o, c)| (tr(o.label()), c))
        .collect();
    charts::legend(&names)
}

fn sections(s: &Statistics) -> Markup {
    let months = Bars {
        categories: s
            .months
            .iter()
            .map(|m| i18n::short_month(m.month))
            .collect(),
        values: s.months.iter().map(|m| m.by_outcome.to_vec()).collect(),
        unit: tr("Requests"),
        stacked: true,
        at_least: 1,
        colours: OUTCOME_COLOURS.to_vec(),
    };
    let kinds = Bars {
        categories: s
            .kinds
            .iter()
            .map(|k| tr(k.kind.label()).to_owned())
            .collect(),
        values: s.kinds.iter().map(|k| k.by_outcome.to_vec()).collect(),
        unit: tr("Measures"),
        stacked: true,
        at_least: 1,
        colours: MEASURE_COLOURS.to_vec(),
    };
    let shown: Vec<_> = s.countries.iter().take(COUNTRIES_CHARTED).collect();
    let countries = Bars {
        categories: shown.iter().map(|c| c.country.clone()).collect(),
        values: shown.iter().map(|c| c.by_outcome.to_vec()).collect(),
        unit: tr("Requests"),
        stacked: true,
        at_least: 1,
        colours: OUTCOME_COLOURS.to_vec(),
    };
    // A stage without figures in the period is left out of its chart (a bar of nought would
    // say it took no time, or met no due date); the table beside says "–" for it.
    let timed: Vec<_> = s
        .stages
        .iter()
        .filter(|st| st.median_days.is_some())
        .collect();
    let durations = Bars {
        categories: timed
            .iter()
            .map(|st| tr(st.stage.label()).to_owned())
            .collect(),
        values: timed
            .iter()
            .map(|st| {
                vec![
                    u64::from(st.median_days.unwrap_or(0)),
                    u64::from(st.p90_days.unwrap_or(0)),
                ]
            })
            .collect(),
        unit: tr("Working days"),
        stacked: false,
        at_least: 5,
        colours: vec![5, 4],
    };
    let settled: Vec<_> = s
        .stages
        .iter()
        .filter(|st| st.met_share().is_some())
        .collect();
    let met = Bars {
        categories: settled
            .iter()
            .map(|st| tr(st.stage.label()).to_owned())
            .collect(),
        values: settled
            .iter()
            .map(|st| vec![st.met_share().map_or(0, |p| p.round() as u64)])
            .collect(),
        unit: tr("Per cent of due dates met"),
        stacked: false,
        at_least: 100,
        colours: vec![0],
    };
    let measure_legend: Vec<(&str, usize)> = MeasureOutcome::ALL
        .iter()
        .zip(MEASURE_COLOURS)
        .map(|(o, c)| (tr(o.label()), c))
        .collect();
    let countries_about = if s.countries.len() > COUNTRIES_CHARTED {
        tr(
            "Requests submitted in the period, by the country of the mission that sent them. The chart shows the ten countries with most requests; the table shows all.",
        )
    } else {
        tr("Requests submitted in the period, by the country of the mission that sent them.")
    };
    html! {
        (section("months", tr("Requests per month, by outcome"),
            tr("Requests submitted in each month, by how they ended or that they are still being handled."),
            charts::columns("months-chart", tr("Requests per month, by outcome"), &months),
            Some(outcome_legend()), s, Table::Months))
        (section("kinds", tr("Measures by kind"),
            tr("The measures asked for in the requests submitted in the period, by kind and by the police's decision."),
            charts::rows("kinds-chart", tr("Measures by kind"), &kinds),
            Some(charts::legend(&measure_legend)), s, Table::Kinds))
        (section("countries", tr("Requests by country"), countries_about,
            charts::rows("countries-chart", tr("Requests by country"), &countries),
            Some(outcome_legend()), s, Table::Countries))
        (section("durations", tr("Working days per stage"),
            tr("How many working days the stages that ended in the period took, from the day each began to the day it ended, days spent waiting for the mission not counted: the median (half took no longer) and the 90th percentile (nine in ten took no longer)."),
            charts::rows("durations-chart", tr("Working days per stage"), &durations),
            Some(charts::legend(&[(tr("Median"), 5), (tr("90th percentile"), 4)])), s, Table::Stages))
        (section("deadlines", tr("Due dates met"),
            tr("Of the stages that ended in the period, or passed their due date in it without ending, the share that ended on or before the due date."),
            charts::rows("deadlines-chart", tr("Due dates met"), &met),
            None, s, Table::DueDates))
    }
}

/// Countries drawn in the chart (the table has them all).
const COUNTRIES_CHARTED: usize = 10;

fn label_for(field: &str) -> String {
    match field {
        "from" => tr("From month").to_owned(),
        "to" => tr("To month").to_owned(),
        "table" => tr("Table").to_owned(),
        other => other.to_owned(),
    }
}

fn statistics_page(
    viewer: &Viewer,
    asked: (&str, &str),
    errors: &[FieldError],
    figures: Option<&Statistics>,
    status: StatusCode,
) -> HttpResponse {
    let police = viewer.actor.role == crate::domain::Role::PoliceLiaison;
    let hint = tr("Month written YYYY-MM, such as 2026-01.");
    let body = html! {
        (error_summary(errors, label_for))
        p class="caption" { (tr("Requests and how they were handled")) }
        h1 { (tr("Statistics")) }
        p {
            @if police { (tr("These figures count the requests that reached the police.")) }
            @else { (tr("These figures count every submitted request.")) }
            " " (tr("They hold counts only: no request's content, reference or names."))
        }
        form method="get" action="/statistics" class="filters no-print" {
            (text_input(errors, "from", tr("From month"), asked.0, "text", Some(hint)))
            (text_input(errors, "to", tr("To month"), asked.1, "text", Some(hint)))
            button type="submit" class="secondary" { (tr("Show")) }
        }
        @if let Some(s) = figures {
            p class="lead" {
                strong { (i18n::month_year(s.period.first)) " – " (i18n::month_year(s.period.month_starts().last().copied().unwrap_or(s.period.first))) }
                ": " (s.requests()) " " (tr("requests submitted"))
            }
            (sections(s))
        }
    };
    respond(status, page(&viewer.chrome(), tr("Statistics"), body))
}

async fn load(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    period: Period,
) -> Result<Statistics, WebError> {
    let actor = viewer.actor.clone();
    let today = oslo_date(app::now());
    Ok(db::run(&state.pool, move |conn| {
        stats::statistics(conn, &actor, period, today)
    })
    .await?)
}

pub async fn show(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<StatisticsQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewStatistics)?;
    let today = oslo_date(app::now());
    let q = query.into_inner();
    match rules::period(q.from.as_deref(), q.to.as_deref(), today) {
        Ok(period) => {
            let figures = load(&state, &viewer, period).await?;
            let (from, to) = (period.from_text(), period.to_text());
            Ok(statistics_page(
                &viewer,
                (&from, &to),
                &[],
                Some(&figures),
                StatusCode::OK,
            ))
        }
        Err(errors) => Ok(statistics_page(
            &viewer,
            (
                q.from.as_deref().unwrap_or(""),
                q.to.as_deref().unwrap_or(""),
            ),
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// A field of a CSV file: quoted when it holds a separator, a quote or a line break. The texts
/// are the portal's own labels and numbers, so none begins with a formula character.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One table of the page as a CSV file (UTF-8, comma-separated, a header row).
pub async fn csv(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<CsvQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewStatistics)?;
    let today = oslo_date(app::now());
    let q = query.into_inner();
    let mut errors = Vec::new();
    let which = match q.table.as_deref().map(str::trim) {
        Some(t) => Table::parse(t),
        None => None,
    };
    if which.is_none() {
        errors.push(FieldError::new(
            "table",
            "must be one of months, measure-kinds, countries, stages or due-dates",
        ));
    }
    let period = rules::period(q.from.as_deref(), q.to.as_deref(), today);
    let (which, period) = match (which, period) {
        (Some(w), Ok(p)) if errors.is_empty() => (w, p),
        (_, p) => {
            errors.extend(p.err().unwrap_or_default());
            return Ok(statistics_page(
                &viewer,
                (
                    q.from.as_deref().unwrap_or(""),
                    q.to.as_deref().unwrap_or(""),
                ),
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let figures = load(&state, &viewer, period).await?;
    let (header, rows) = table(&figures, which);
    let mut out = String::new();
    for line in std::iter::once(&header).chain(rows.iter()) {
        let fields: Vec<String> = line.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    let name = format!(
        "statistics-{}-{}-{}.csv",
        which.code(),
        figures.period.from_text(),
        figures.period.to_text()
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(out))
}
