//! Statistics (product.md § 14) for the Ministry and the police: requests per month by outcome,
//! measures by kind, requests by the mission's country, working days per stage (median and 90th
//! percentile) and the share of due dates met, for a period of whole months. Only counts leave
//! here: no request's content, reference or names. Each figure is read from the sums the portal
//! keeps (`db::statistics`); what is assembled here is a few hundred numbers at most. Here too:
//! how a step moves its request's share of the sums.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::app::AppError;
use crate::db::DbConnection;
use crate::db::requests::{self, MeasureRow, RequestRow};
use crate::db::statistics as store;
use crate::domain::access::{self, Actor, Capability};
use crate::domain::deadlines::Stage;
use crate::domain::disclosure;
use crate::domain::request::MeasureKind;
use crate::domain::statistics::{self, MeasureOutcome, Outcome, Period, Tally, TallyFacts};
use crate::domain::time::oslo_date;
use crate::domain::workflow::State;

/// Requests of a month, by outcome (in `Outcome::ALL` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    /// The month's first day.
    pub month: NaiveDate,
    pub by_outcome: [u64; Outcome::ALL.len()],
}

/// Measures of a kind, by outcome (in `MeasureOutcome::ALL` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindFigures {
    pub kind: MeasureKind,
    pub by_outcome: [u64; MeasureOutcome::ALL.len()],
}

/// Requests from the missions of a country, by outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryFigures {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub by_outcome: [u64; Outcome::ALL.len()],
}

impl CountryFigures {
    pub fn total(&self) -> u64 {
        self.by_outcome.iter().sum()
    }
}

/// How one stage went in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct StageFigures {
    pub stage: Stage,
    /// Stages that ended in the period, and the median and 90th percentile of their working days.
    pub ended: u64,
    pub median_days: Option<u32>,
    pub p90_days: Option<u32>,
    /// Of those, ended on or before the due date, and after it.
    pub met: u64,
    pub late: u64,
    /// Stages not ended whose due date passed in the period.
    pub overdue: u64,
}

impl StageFigures {
    /// The share (percent) of the stages whose outcome the period settled (ended, or past due)
    /// that ended on or before the due date.
    pub fn met_share(&self) -> Option<f64> {
        statistics::share(self.met, self.met + self.late + self.overdue)
    }
}

/// The figures of a period.
#[derive(Debug, Clone)]
pub struct Statistics {
    pub period: Period,
    pub months: Vec<MonthFigures>,
    /// Every kind, in `MeasureKind::ALL` order.
    pub kinds: Vec<KindFigures>,
    /// Most requests first, then by code.
    pub countries: Vec<CountryFigures>,
    /// Every stage, in `Stage::ALL` order.
    pub stages: Vec<StageFigures>,
}

impl Statistics {
    /// Requests submitted in the period.
    pub fn requests(&self) -> u64 {
        self.months.iter().flat_map(|m| m.by_outcome).sum()
    }
}

fn outcome_index(state: &str, partly_approved: bool) -> Option<usize> {
    let state = state.parse::<State>().ok()?;
    let outcome = statistics::outcome(state, partly_approved)?;
    Outcome::ALL.iter().position(|o| *o == outcome)
}

/// The figures of `period` for `actor` on `today`: the Ministry's count every submitted request,
/// the police's the requests that reached them. Missions are answered 404, others 403.
pub fn statistics(
    conn: &mut DbConnection,
    actor: &Actor,
    period: Period,
    today: NaiveDate,
) -> Result<Statistics, AppError> {
    access::authorise(actor, Capability::ViewStatistics).map_err(|r| match r {
        access::Refusal::NotFound => AppError::NotFound,
        access::Refusal::Forbidden => AppError::Forbidden,
    })?;
    let counted = disclosure::statistics_scope(actor).ok_or(AppError::Forbidden)?;
    let month_starts = period.month_starts();
    let months_span = (period.first, period.end());

    let mut months: Vec<MonthFigures> = month_starts
        .iter()
        .map(|m| MonthFigures {
            month: *m,
            by_outcome: [0; Outcome::ALL.len()],
        })
        .collect();
    for row in store::by_month(conn, counted, months_span)? {
        if let (Some(m), Some(o)) = (
            months.iter_mut().find(|m| m.month == row.month),
            outcome_index(&row.state, row.partly_approved),
        ) {
            m.by_outcome[o] += row.n.max(0) as u64;
        }
    }

    let mut kinds: Vec<KindFigures> = MeasureKind::ALL
        .iter()
        .map(|k| KindFigures {
            kind: *k,
            by_outcome: [0; MeasureOutcome::ALL.len()],
        })
        .collect();
    for row in store::by_kind(conn, counted, months_span)? {
        let Some(kind) = MeasureKind::parse(&row.kind) else {
            continue;
        };
        let outcome = MeasureOutcome::of(row.outcome.as_deref());
        if let (Some(k), Some(o)) = (
            kinds.iter_mut().find(|k| k.kind == kind),
            MeasureOutcome::ALL.iter().position(|x| *x == outcome),
        ) {
            k.by_outcome[o] += row.n.max(0) as u64;
        }
    }

    let mut countries: BTreeMap<String, [u64; Outcome::ALL.len()]> = BTreeMap::new();
    for row in store::by_country(conn, counted, months_span)? {
        if let Some(o) = outcome_index(&row.state, row.partly_approved) {
            countries.entry(row.country).or_default()[o] += row.n.max(0) as u64;
        }
    }
    let mut countries: Vec<CountryFigures> = countries
        .into_iter()
        .map(|(country, by_outcome)| CountryFigures {
            country,
            by_outcome,
        })
        .collect();
    countries.sort_by(|a, b| b.total().cmp(&a.total()).then(a.country.cmp(&b.country)));

    let mut distributions: BTreeMap<Stage, Vec<(u32, u64)>> = BTreeMap::new();
    let mut stages: Vec<StageFigures> = Stage::ALL
        .iter()
        .map(|stage| StageFigures {
            stage: *stage,
            ended: 0,
            median_days: None,
            p90_days: None,
            met: 0,
            late: 0,
            overdue: 0,
        })
        .collect();
    let figures_of = |stages: &[StageFigures], code: &str| {
        Stage::parse(code).and_then(|st| stages.iter().position(|f| f.stage == st))
    };
    for row in store::ended(conn, counted, months_span)? {
        let Some(i) = figures_of(&stages, &row.stage) else {
            continue;
        };
        let n = row.n.max(0) as u64;
        let s = &mut stages[i];
        s.ended += n;
        if row.met {
            s.met += n;
        } else {
            s.late += n;
        }
        distributions
            .entry(s.stage)
            .or_default()
            .push((row.working_days.max(0) as u32, n));
    }
    // Past due and not ended: due within the period, before today.
    let until = period.end().min(today);
    if period.first < until {
        for row in store::overdue(conn, counted, (period.first, until))? {
            if let Some(i) = figures_of(&stages, &row.stage) {
                stages[i].overdue += row.n.max(0) as u64;
            }
        }
    }
    for s in &mut stages {
        let summary = statistics::median_and_p90(
            distributions
                .get(&s.stage)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        );
        s.median_days = summary.map(|x| x.0);
        s.p90_days = summary.map(|x| x.1);
    }
    Ok(Statistics {
        period,
        months,
        kinds,
        countries,
        stages,
    })
}

/// What a request (as `row`, with `measures`) adds to the sums of requests and measures.
pub(crate) fn shares(row: &RequestRow, measures: &[MeasureRow]) -> Vec<Tally> {
    statistics::request_tallies(
        &TallyFacts {
            mission_id: &row.mission_id,
            state: row.state,
            submitted_on: row.submitted_at.map(oslo_date),
            partly_approved: row.partly_approved,
            reached_police: row.reached_police,
        },
        measures
            .iter()
            .map(|m| (m.kind.map(|k| k.code()), m.outcome.map(|o| o.code()))),
    )
}

/// Moves the sums of requests and measures from `before` (what the request added before a step)
/// to what it adds as `row`, with its measures as stored now, inside the step's transaction.
pub(crate) fn move_shares(
    conn: &mut DbConnection,
    before: Vec<Tally>,
    row: &RequestRow,
) -> Result<(), AppError> {
    if before.is_empty() && row.state == State::Draft {
        return Ok(());
    }
    let measures = requests::measures_of(conn, row.id.as_str())?;
    store::add(conn, &statistics::changes(before, shares(row, &measures)))?;
    Ok(())
}
