//! The statistics of the API (product.md § 14): the same figures as the statistics page, for the
//! Ministry and the police, as numbers keyed by code. Counts only: no request's content,
//! reference or names. A mission's staff are answered 404, others without statistics 403.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::ErrorBody;
use super::{ApiCaller, ApiError};
use crate::app::statistics::Statistics;
use crate::db;
use crate::domain::access::Capability;
use crate::domain::statistics::{Counted, MeasureOutcome, Outcome};
use crate::web::AppState;

/// The period of a statistics call.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// The first month, `YYYY-MM` (a date `YYYY-MM-DD` is taken as its month). Default: eleven
    /// months before `to`.
    pub from: Option<String>,
    /// The last month, `YYYY-MM`, not after this month. Default: this month (or the 24th month
    /// from `from`, whichever is sooner). At most 24 months in all.
    pub to: Option<String>,
}

/// Requests of a month by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthJson {
    /// `YYYY-MM`.
    pub month: String,
    /// Requests submitted in the month, by outcome: `approved`, `partly_approved`, `declined`,
    /// `rejected`, `withdrawn`, `pending` (still being handled).
    pub by_outcome: BTreeMap<String, u64>,
    pub total: u64,
}

/// Measures of a kind by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureKindJson {
    pub kind: String,
    /// `approved`, `declined`, `undecided`.
    pub by_outcome: BTreeMap<String, u64>,
    pub total: u64,
}

/// Requests from the missions of a country, by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountryJson {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub by_outcome: BTreeMap<String, u64>,
    pub total: u64,
}

/// How one stage went.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageJson {
    /// `triage`, `police_decision`, `pst_assessment`, `reply`.
    pub stage: String,
    /// Stages that ended in the period.
    pub ended: u64,
    /// Median working days of those (absent when none ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_working_days: Option<u32>,
    /// 90th percentile (nearest rank) of their working days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_working_days: Option<u32>,
    /// Of the stages that ended in the period, those that ended on or before their due date and
    /// those that ended after it.
    pub met: u64,
    pub late: u64,
    /// Stages not ended whose due date passed in the period.
    pub overdue: u64,
    /// `met` as a percentage of `met + late + overdue`, one decimal (absent when that is zero).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_share_percent: Option<f64>,
}

/// The figures of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatisticsJson {
    /// `YYYY-MM`, both included.
    pub from: String,
    pub to: String,
    /// Which requests are counted: `submitted` (the Ministry) or `reached_police` (the police).
    pub counted: String,
    /// Requests submitted in the period.
    pub requests: u64,
    pub months: Vec<MonthJson>,
    pub measure_kinds: Vec<MeasureKindJson>,
    /// Most requests first.
    pub countries: Vec<CountryJson>,
    pub stages: Vec<StageJson>,
}

fn by_outcome(counts: &[u64]) -> BTreeMap<String, u64> {
    Outcome::ALL
        .iter()
        .zip(counts)
        .map(|(o, n)| (o.code().to_owned(), *n))
        .collect()
}

fn json(s: Statistics, counted: Counted) -> StatisticsJson {
    StatisticsJson {
        from: s.period.from_text(),
        to: s.period.to_text(),
        counted: match counted {
            Counted::Submitted => "submitted",
            Counted::ReachedPolice => "reached_police",
        }
        .to_owned(),
        requests: s.requests(),
        months: s
            .months
            .iter()
            .map(|m| MonthJson {
                month: m.month.format("%Y-%m").to_string(),
                by_outcome: by_outcome(&m.by_outcome),
                total: m.by_outcome.iter().sum(),
            })
            .collect(),
        measure_kinds: s
            .kinds
            .iter()
            .map(|k| MeasureKindJson {
                kind: k.kind.code().to_owned(),
                by_outcome: MeasureOutcome::ALL
                    .iter()
                    .zip(k.by_outcome)
                    .map(|(o, n)| (o.code().to_owned(), n))
                    .collect(),
                total: k.by_outcome.iter().sum(),
            })
            .collect(),
        countries: s
            .countries
            .iter()
            .map(|c| CountryJson {
                country: c.country.clone(),
                by_outcome: by_outcome(&c.by_outcome),
                total: c.total(),
            })
            .collect(),
        stages: s
            .stages
            .iter()
            .map(|st| StageJson {
                stage: st.stage.code().to_owned(),
                ended: st.ended,
                median_working_days: st.median_days,
                p90_working_days: st.p90_days,
                met: st.met,
                late: st.late,
                overdue: st.overdue,
                met_share_percent: st.met_share(),
            })
            .collect(),
    }
}

/// Requests per month by outcome, measures by kind, requests by the mission's country, working
/// days per stage and the share of due dates met, for whole months (default: the last twelve,
/// this one included). The Ministry's figures count every submitted request, the police's the
/// requests that reached them. Missions are answered 404; PST and the administrators 403.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "operations", params(StatisticsParams),
    responses((status = 200, body = StatisticsJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn statistics(
    caller: ApiCaller,
    state: web::Data<AppState>,
    params: web::Query<StatisticsParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ViewStatistics)?;
    let today = crate::domain::time::oslo_date(crate::app::now());
    let period =
        crate::domain::statistics::period(params.from.as_deref(), params.to.as_deref(), today)
            .map_err(|e| ApiError::Invalid("Some parameters break their rules.".into(), e))?;
    let actor = caller.actor.clone();
    let counted = crate::domain::disclosure::statistics_scope(&actor).ok_or(ApiError::Forbidden)?;
    let figures = db::run(&state.pool, move |conn| {
        crate::app::statistics::statistics(conn, &actor, period, today)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json(figures, counted)))
}
