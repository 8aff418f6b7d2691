//! The API of the police's operations (product.md § 13): a mission's threat levels, read by the
//! authorities within their clearance and recorded by PST. Each handler calls one application
//! function.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::ErrorBody;
use super::{ApiCaller, ApiError, ApiJson};
use crate::app::operations::{self, MissionOperations, ThreatLevelInput, ThreatLevelItem};
use crate::app::requests::Context;
use crate::db;
use crate::domain::access::Capability;
use crate::domain::disclosure::AssessmentView;
use crate::web::AppState;

type ApiResult = Result<HttpResponse, ApiError>;

/// A threat level as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatLevelJson {
    pub id: String,
    pub recorded_at: String,
    /// `very_low` … `very_high`; absent when above the caller's clearance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The note (police and PST within clearance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declassify_on: Option<String>,
}

/// A mission's threat levels: the current one and the history, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatLevelsJson {
    pub mission_id: String,
    pub mission_name: String,
    /// The level in force, when the caller may know it.
    pub current: Option<ThreatLevelJson>,
    /// The newest level recorded is above the caller's clearance.
    pub current_hidden: bool,
    pub history: Vec<ThreatLevelJson>,
}

/// A changed threat level, as PST records it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatLevelBody {
    #[schema(example = "high")]
    pub level: String,
    #[schema(max_length = 10000)]
    pub note: String,
    /// Default `restricted`; at most the installation's ceiling and the author's clearance.
    pub classification: Option<String>,
    pub declassify_on: Option<String>,
}

/// What recording a level did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatLevelRecorded {
    /// How many requests of the mission in effect are now due for review.
    pub reviews_due: usize,
    pub threat_levels: ThreatLevelsJson,
}

fn item_json(t: &ThreatLevelItem) -> ThreatLevelJson {
    ThreatLevelJson {
        id: t.id.clone(),
        recorded_at: t
            .recorded_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        level: t.level.map(|l| l.code().to_owned()),
        note: t.note.clone().filter(|_| t.view == AssessmentView::Full),
        recorded_by: t.recorded_by.clone(),
        classification: t.classification.map(|c| c.code().to_owned()),
        declassify_on: t.declassify_on.map(|d| d.to_string()),
    }
}

fn json(ops: &MissionOperations) -> ThreatLevelsJson {
    ThreatLevelsJson {
        mission_id: ops.mission.id.clone(),
        mission_name: ops.mission.name.clone(),
        current: ops.current().map(item_json),
        current_hidden: ops.current_hidden,
        history: ops.threat_levels.iter().map(item_json).collect(),
    }
}

/// A mission's threat levels, within the caller's clearance (the MFA, the police, PST; a
/// mission's staff are answered 404).
#[utoipa::path(get, path = "/api/v1/missions/{id}/threat-levels", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, body = ThreatLevelsJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn threat_levels(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    caller.require(Capability::ViewMissionOperations)?;
    let (actor, ctx, id) = (
        caller.actor.clone(),
        Context::now_under(&state.settings),
        path.into_inner(),
    );
    let ops = db::run(&state.pool, move |conn| {
        operations::mission_operations(conn, &actor, &id, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json(&ops)))
}

/// PST records a changed threat level for a mission: every request of the mission in effect is
/// then due for review, and the police are told. The mission is never told.
#[utoipa::path(post, path = "/api/v1/missions/{id}/threat-levels", tag = "operations", params(("id" = String, Path)), request_body = ThreatLevelBody,
    responses((status = 201, body = ThreatLevelRecorded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn record_threat_level(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: ApiJson<ThreatLevelBody>,
) -> ApiResult {
    caller.require(Capability::ViewMissionOperations)?;
    let b = body.into_inner().0;
    let input = ThreatLevelInput {
        level: b.level,
        note: b.note,
        classification: b.classification.unwrap_or_default(),
        declassify_on: b.declassify_on,
    };
    let (actor, ctx, id) = (
        caller.actor.clone(),
        Context::now_under(&state.settings),
        path.into_inner(),
    );
    let (reviews_due, ops) = db::run(&state.pool, move |conn| {
        let n = operations::record_threat_level(conn, &actor, &id, &input, &ctx)?;
        Ok::<_, crate::app::AppError>((n, operations::mission_operations(conn, &actor, &id, &ctx)?))
    })
    .await?;
    Ok(HttpResponse::Created().json(ThreatLevelRecorded {
        reviews_due,
        threat_levels: json(&ops),
    }))
}

// ---- the calendar ------------------------------------------------------------------------------

/// The period and filters of a calendar call.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// The first day, `YYYY-MM-DD` (default: today).
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (default: six days after `from`); at most 92 days in all.
    pub to: Option<String>,
    /// Only measures of this kind.
    pub kind: Option<String>,
    /// Only the measures of this mission.
    pub mission: Option<String>,
}

/// An approved measure on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntryJson {
    pub request_id: String,
    pub reference: String,
    pub mission_id: String,
    pub mission_name: String,
    pub measure_id: String,
    pub kind: Option<String>,
    /// `chancery`, `residence` or `other`.
    pub location: Option<String>,
    /// The address (another address), or the event's venue for event security.
    pub place: Option<String>,
    /// Daily hours in Oslo, `HH:MM`; absent for a measure all day.
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    /// When it begins and ends on this day, with Oslo's offset (RFC 3339).
    pub starts_at: String,
    pub ends_at: String,
    /// `scheduled`, `in_place` or `ended`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDayJson {
    pub date: String,
    pub entries: Vec<CalendarEntryJson>,
}

/// The approved measures of a period, day by day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarJson {
    pub from: String,
    pub to: String,
    pub days: Vec<CalendarDayJson>,
    /// More measures run in the period than one answer holds: narrow it.
    pub truncated: bool,
}

/// A local time in Oslo with its offset, as RFC 3339.
fn with_offset(local: chrono::NaiveDateTime) -> String {
    let hours = crate::domain::time::oslo_offset_hours(local);
    let offset = chrono::FixedOffset::east_opt((hours * 3600) as i32).expect("a valid offset");
    local
        .and_local_timezone(offset)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

fn calendar_filter(p: &CalendarParams) -> Result<crate::db::calendar::CalendarFilter, ApiError> {
    let kind = match p.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            crate::domain::request::MeasureKind::parse(k)
                .ok_or_else(|| {
                    ApiError::Invalid(
                        "Some parameters break their rules.".into(),
                        vec![crate::domain::FieldError::new(
                            "kind",
                            "must be one of the listed kinds of measure",
                        )],
                    )
                })?
                .code()
                .to_owned(),
        ),
    };
    Ok(crate::db::calendar::CalendarFilter {
        kind,
        mission_id: p.mission.clone().filter(|m| !m.is_empty()),
    })
}

/// The approved measures from `from` to `to` (at most 92 days), day by day, within the caller's
/// need-to-know (the MFA, the police; PST the requests referred to it). A mission's staff are
/// answered 404.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "operations", params(CalendarParams),
    responses((status = 200, body = CalendarJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn calendar(
    caller: ApiCaller,
    state: web::Data<AppState>,
    params: web::Query<CalendarParams>,
) -> ApiResult {
    caller.require(Capability::ViewCalendar)?;
    let today = crate::domain::time::oslo_date(crate::app::now());
    let period =
        crate::domain::calendar::period(params.from.as_deref(), params.to.as_deref(), today)
            .map_err(|e| ApiError::Invalid("Some parameters break their rules.".into(), e))?;
    let filter = calendar_filter(&params)?;
    let actor = caller.actor.clone();
    let view = db::run(&state.pool, move |conn| {
        crate::app::calendar::calendar(conn, &actor, period, &filter, today)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CalendarJson {
        from: period.from.to_string(),
        to: period.to.to_string(),
        truncated: view.truncated,
        days: view
            .days
            .into_iter()
            .map(|d| CalendarDayJson {
                date: d.date.to_string(),
                entries: d
                    .entries
                    .into_iter()
                    .map(|e| CalendarEntryJson {
                        request_id: e.request_id.to_string(),
                        reference: e.reference,
                        mission_id: e.mission_id,
                        mission_name: e.mission_name,
                        measure_id: e.measure_id,
                        kind: e.kind.map(|k| k.code().to_owned()),
                        location: e.location.map(|l| l.code().to_owned()),
                        place: e.place,
                        from_time: e.from_time,
                        until_time: e.until_time,
                        starts_at: with_offset(e.starts_at),
                        ends_at: with_offset(e.ends_at),
                        status: e.status.code().to_owned(),
                    })
                    .collect(),
            })
            .collect(),
    }))
}

/// The feed's period and its token.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The calendar feed's token (from the calendar page), for calendar programs that cannot
    /// send a header; or send an API token as `Authorization: Bearer`.
    pub token: Option<String>,
    /// The first day (default: two weeks before today).
    pub from: Option<String>,
    /// The last day (default: 91 days after `from`); at most 92 days in all.
    pub to: Option<String>,
}

/// The approved measures as iCalendar (RFC 5545) for a calendar program: one event per measure
/// and run of days, with the reference, the measure's kind and its times in Oslo time — no
/// names, places, descriptions or people. UIDs stay the same from one fetch to the next.
#[utoipa::path(get, path = "/api/v1/calendar.ics", tag = "operations", params(FeedParams), security(("bearer" = []), ()),
    responses((status = 200, description = "The feed", content_type = "text/calendar"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn calendar_feed(
    state: web::Data<AppState>,
    http: actix_web::HttpRequest,
    params: web::Query<FeedParams>,
) -> ApiResult {
    use crate::app::tokens::{self, Scope};
    let bearer = http
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| (t.trim().to_owned(), Scope::Api));
    let Some((token, scope)) = bearer.or_else(|| {
        params
            .token
            .clone()
            .map(|t| (t.trim().to_owned(), Scope::CalendarFeed))
    }) else {
        return Err(ApiError::Unauthorized);
    };
    let today = crate::domain::time::oslo_date(crate::app::now());
    let default_from = (today - chrono::Duration::days(14)).to_string();
    let from = params.from.clone().unwrap_or(default_from);
    let period = crate::domain::calendar::period(
        Some(&from),
        Some(params.to.clone().unwrap_or_else(|| {
            chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d")
                .map(|f| (f + chrono::Duration::days(91)).to_string())
                .unwrap_or_default()
        }))
        .as_deref(),
        today,
    )
    .map_err(|e| ApiError::Invalid("Some parameters break their rules.".into(), e))?;
    let limit = state.settings.api.requests_per_minute;
    let found = db::run(&state.pool, move |conn| {
        let now = crate::app::now();
        let Some((actor, user, row)) = tokens::authenticate_for(conn, &token, scope, now)? else {
            return Ok::<_, crate::app::AppError>(Err(ApiError::Unauthorized));
        };
        if let Some(wait) = tokens::throttle(conn, &row.id, limit, now)? {
            return Ok(Err(ApiError::TooMany(wait)));
        }
        crate::domain::access::authorise(&actor, Capability::ViewCalendar)
            .map_err(|_| crate::app::AppError::NotFound)?;
        let items = crate::app::calendar::feed(conn, &actor, period, today)?;
        Ok(Ok((items, user.locale)))
    })
    .await??;
    let (items, locale) = found;
    let lang = crate::i18n::Lang::parse(&locale).unwrap_or_default();
    let host = state
        .settings
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("protection-portal")
        .trim_end_matches('/')
        .to_owned();
    let body = crate::web::ical::render(&items, lang, &host, crate::app::now());
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}
