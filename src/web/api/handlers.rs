//! The API's handlers: each parses, calls one application function, and shapes the answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::types::*;
use super::{ApiCaller, ApiError, ApiJson, idempotent};
use crate::app::requests::{self as req, Context, RequestView, TransitionFields};
use crate::app::{self, AppError, missions as mission_app, notifications, users as user_app};
use crate::db;
use crate::domain::FieldError;
use crate::domain::access::Capability;
use crate::domain::event::{EventInput, PersonInput, format_local};
use crate::domain::ids::RequestId;
use crate::domain::request::{MeasureInput, RequestInput};
use crate::domain::workflow::Action;
use crate::web::AppState;

type ApiResult = Result<HttpResponse, ApiError>;

fn context(state: &AppState) -> Context {
    Context::now_under(&state.settings)
}

fn ts(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Caller, for the API.
#[utoipa::path(get, path = "/api/v1/me", tag = "caller",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn me(caller: ApiCaller) -> ApiResult {
    caller.require(Capability::ManageOwnAccount)?;
    let u = caller.user;
    Ok(HttpResponse::Ok().json(Me {
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        mission_id: u.mission_id,
        clearance: u.clearance,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A status as the caller sees statuses (mission-facing codes for mission staff).
    status: Option<String>,
    mission_id: Option<String>,
    /// Words to search for, all of which must be found: in the reference, title, mission's
    /// name, justification, event name and venue, or measure descriptions; accents and case do
    /// not matter; whole words only. The results come best
    /// first (words in the reference, title or mission count most), each with `found`.
    q: Option<String>,
    /// A page by number, within the first 10,000 requests of the list.
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
    /// The `next` cursor of the page before: reads on from there (keyset paging, any depth).
    /// Not together with `page`.
    after: Option<String>,
}

/// Requests the caller may see, urgent first, then oldest (with `q`: best match first). `total` counts up to 1,000;
/// `total_capped` says the list holds more. Follow `next` to read a list to its end.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(ListQuery),
    responses((status = 200, body = RequestList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_requests(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> ApiResult {
    caller.require(Capability::ListRequests)?;
    let q = query.into_inner();
    let per_page = q.per_page.unwrap_or(25);
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::Invalid(
            "per_page must be between 1 and 100".into(),
            vec![FieldError::new("per_page", "must be between 1 and 100")],
        ));
    }
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(ApiError::Invalid(
            "page must be at least 1".into(),
            vec![FieldError::new("page", "must be at least 1")],
        ));
    }
    let at = match q.after.filter(|c| !c.is_empty()) {
        Some(_) if q.page.is_some() => {
            return Err(ApiError::Invalid(
                "after cannot be combined with page".into(),
                vec![FieldError::new("after", "cannot be combined with page")],
            ));
        }
        Some(cursor) => req::PageAt::After { cursor, page: 2 },
        None => req::PageAt::Number(page),
    };
    let mut filter = crate::db::requests::ListFilter::default();
    if let Some(s) = q.status.filter(|s| !s.is_empty()) {
        filter = req::with_status(&caller.actor, filter, &s);
    }
    filter.mission_id = q.mission_id.filter(|m| !m.is_empty());
    filter.query = q.q.filter(|t| !t.trim().is_empty());
    let actor = caller.actor.clone();
    let list = db::run(&state.pool, move |conn| {
        req::list(conn, &actor, &filter, &at, per_page)
    })
    .await?;
    let today = crate::domain::time::oslo_date(app::now());
    let items = list
        .items
        .iter()
        .map(|r| RequestSummary {
            id: r.id.to_string(),
            reference: r.reference.clone(),
            mission_id: r.mission_id.clone(),
            status: r.status.code.to_owned(),
            title: r.title.clone(),
            urgency: r.urgency.code().to_owned(),
            created_at: ts(r.created_at),
            submitted_at: r.submitted_at.map(ts),
            due_on: r.due_on.map(|d| d.to_string()),
            overdue: r.due_on.map(|_| r.overdue(today)),
            found: r.found.as_ref().map(super::types::FoundJson::of),
        })
        .collect();
    Ok(HttpResponse::Ok().json(RequestList {
        items,
        total: list.total,
        total_capped: list.total_capped,
        page: list.page,
        per_page: list.per_page,
        next: list.next,
    }))
}

/// A request body as typed input (the same rules then check it as a form's).
fn input_of(b: RequestBody) -> RequestInput {
    let RequestBody {
        title,
        justification,
        urgency,
        contact,
        measures,
        event,
        protected_persons,
        note_verbale,
    } = b;
    let event = event.map(|e| EventInput {
        name: e.name,
        venue: e.venue,
        address: e.address,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        expected_attendance: e
            .expected_attendance
            .map(|n| n.to_string())
            .unwrap_or_default(),
    });
    let note = note_verbale.unwrap_or_default();
    RequestInput {
        event: event.unwrap_or_default(),
        protected_persons: protected_persons
            .into_iter()
            .map(|p| PersonInput {
                name: p.name,
                position: p.position,
                arrives_at: p.arrives_at.unwrap_or_default(),
                leaves_at: p.leaves_at.unwrap_or_default(),
            })
            .collect(),
        note_verbale_number: note.number,
        note_verbale_dated_on: note.dated_on,
        title,
        justification,
        urgency,
        contact_name: contact.name,
        contact_phone: contact.phone,
        contact_email: contact.email,
        measures: measures
            .into_iter()
            .map(|m| MeasureInput {
                kind: m.kind,
                location: m.location,
                address: m.address.unwrap_or_default(),
                starts_on: m.starts_on,
                ends_on: m.ends_on.unwrap_or_default(),
                from_time: m.from_time.unwrap_or_default(),
                until_time: m.until_time.unwrap_or_default(),
                description: m.description,
            })
            .collect(),
    }
}

fn request_json(v: RequestView) -> RequestJson {
    let assessments = v.assessments.map(|list| {
        list.into_iter()
            .map(|a| AssessmentJson {
                id: a.id,
                created_at: ts(a.at),
                threat_level: a.threat_level.map(|l| l.code().to_owned()),
                summary: a.summary,
                classification: a.classification.map(|c| c.code().to_owned()),
                declassify_on: a.declassify_on.map(|d| d.to_string()),
            })
            .collect()
    });
    // Missions see when to expect the reply, never the internal stages (product.md § 11).
    let deadlines_shown = !v.addressed_as_mission;
    RequestJson {
        status: v.status.code.to_owned(),
        version: v.version,
        measures: v
            .measures
            .into_iter()
            .map(|m| MeasureJson {
                id: m.id.into_string(),
                kind: m.kind.map(|k| k.code().to_owned()),
                location: m.location.map(|l| l.code().to_owned()),
                address: m.address,
                starts_on: m.starts_on.map(|d| d.to_string()),
                ends_on: m.ends_on.map(|d| d.to_string()),
                from_time: m.from_time,
                until_time: m.until_time,
                description: m.description,
                outcome: m.decision.as_ref().map(|d| d.outcome.code().to_owned()),
                conditions: m.decision.as_ref().and_then(|d| d.conditions.clone()),
                reason: m.decision.and_then(|d| d.decline_reason),
                implemented_on: m.implemented_on.map(|d| d.to_string()),
                ended_on: m.ended_on.map(|d| d.to_string()),
            })
            .collect(),
        contact: ContactJson {
            name: v.contact.name,
            phone: v.contact.phone,
            email: v.contact.email,
        },
        assigned_to: v.assigned_officer.map(|(id, _)| id),
        reply: v.reply,
        assessments,
        created_at: ts(v.created_at),
        submitted_at: v.submitted_at.map(ts),
        id: v.id.into_string(),
        reference: v.reference,
        mission_id: v.mission_id,
        title: v.title,
        justification: v.justification,
        urgency: v.urgency.code().to_owned(),
        event: v.event.map(|e| EventJson {
            name: e.name,
            venue: e.venue,
            address: e.address,
            starts_at: e.starts_at.map(format_local),
            ends_at: e.ends_at.map(format_local),
            expected_attendance: e.expected_attendance,
        }),
        protected_persons: v
            .protected_persons
            .into_iter()
            .map(|p| PersonJson {
                name: p.name,
                position: p.position,
                arrives_at: p.arrives_at.map(format_local),
                leaves_at: p.leaves_at.map(format_local),
            })
            .collect(),
        note_verbale: v.note_verbale.map(|(number, dated)| NoteVerbaleBody {
            number,
            dated_on: dated.map(|d| d.to_string()).unwrap_or_default(),
        }),
        needed_by: v.needed_by.map(|d| d.to_string()),
        reply_expected_by: v.reply_expected_by.map(|d| d.to_string()),
        late_notice: Some(v.late_notice),
        deadlines: deadlines_shown.then(|| {
            v.deadlines
                .iter()
                .map(|d| DeadlineJson {
                    stage: d.stage.code().to_owned(),
                    due_on: d.due_on.to_string(),
                    met_at: d.met_on.map(|m| m.to_string()),
                    overdue: d.overdue,
                })
                .collect()
        }),
        review: v.review.map(|(on, status)| ReviewJson {
            next_review_on: on.to_string(),
            status: status.code().to_owned(),
        }),
    }
}

async fn view(
    caller: &ApiCaller,
    state: &AppState,
    id: RequestId,
) -> Result<RequestView, ApiError> {
    let (actor, ctx) = (caller.actor.clone(), context(state));
    Ok(db::run(&state.pool, move |conn| req::view(conn, &actor, &id, &ctx)).await?)
}

async fn load(
    caller: &ApiCaller,
    state: &AppState,
    id: RequestId,
) -> Result<RequestJson, ApiError> {
    Ok(request_json(view(caller, state, id).await?))
}

/// Starts a draft for the caller's own mission (mission staff). With an `Idempotency-Key`, the
/// same call sent again within 24 hours replays this answer instead of starting another draft.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = RequestBody,
    params(IdempotencyHeader),
    responses((status = 201, body = RequestJson, headers(("Idempotency-Replayed" = String, description = "`true` when this answer is the one kept for an earlier call with the same Idempotency-Key: nothing was done again."))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create_request(
    caller: ApiCaller,
    state: web::Data<AppState>,
    http: HttpRequest,
    body: ApiJson<RequestBody>,
) -> ApiResult {
    caller.require(Capability::DraftRequests)?;
    let b = body.into_inner().0;
    let call = idempotent::call_of(&http, &caller, &b)?;
    if let Some(replayed) = idempotent::earlier(&state, call.as_ref()).await? {
        return Ok(replayed);
    }
    let input = input_of(b);
    let (actor, ctx, kept) = (caller.actor.clone(), context(&state), call.clone());
    // The answer is built inside the transaction: once the commit succeeds, nothing is left to
    // fail (a read after it could, and would wrongly tell the caller that nothing was changed).
    let done = db::run(&state.pool, move |conn| {
        req::create_draft_viewed(conn, &actor, &input, &ctx, |conn, view| {
            let json = request_json(view);
            idempotent::answer(conn, kept.as_ref(), StatusCode::CREATED, &json, ctx.now)
        })
    })
    .await;
    idempotent::settle(&state, call, done).await
}

/// The `Idempotency-Key` header of the calls that create or change a request.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// Optional: 1–255 printable ASCII characters of the caller's choosing, unique per call (a
    /// UUID). The first successful answer is kept for 24 hours: the same call (same method, path
    /// and body) sent again with the same key replays it, with `Idempotency-Replayed: true`,
    /// and changes nothing. The same key with a different call is refused (422). Failed calls
    /// are not kept; a retry runs afresh. Keys are the caller's own: another caller's same key
    /// is independent.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255)]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// One request as the caller may see it.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = String, Path)),
    responses((status = 200, body = RequestJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn get_request(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    Ok(HttpResponse::Ok().json(load(&caller, &state, RequestId::from(path.into_inner())).await?))
}

/// Changes a draft, or a request the MFA asked for information on (mission staff).
#[utoipa::path(patch, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = String, Path)), request_body = RequestPatch,
    responses((status = 200, body = RequestJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn update_request(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: ApiJson<RequestPatch>,
) -> ApiResult {
    let (version, b) = body.into_inner().0.into_parts();
    let input = input_of(b);
    let (actor, ctx, id) = (
        caller.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    // The answer is built inside the transaction (see `create_request`).
    let json = db::run(&state.pool, move |conn| {
        req::update_viewed(conn, &actor, (&id, version), &input, &ctx, |_, view| {
            Ok(request_json(view))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// The version the caller read.
    version: i32,
}

/// Discards a draft.
#[utoipa::path(delete, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = String, Path), VersionQuery),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn discard_request(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> ApiResult {
    let (actor, ctx, id, version) = (
        caller.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
        query.version,
    );
    db::run(&state.pool, move |conn| {
        req::discard(conn, &actor, &id, version, &ctx)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts a new draft from an earlier request of the caller's mission, for a yearly event: its
/// content, measures, event and people, every date a year later (the note verbale is left out).
#[utoipa::path(post, path = "/api/v1/requests/{id}/file-again", tag = "requests", params(("id" = String, Path)),
    responses((status = 201, body = RequestJson), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn file_again(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    let (actor, ctx, id) = (
        caller.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    let view = db::run(&state.pool, move |conn| {
        let row = req::file_again(conn, &actor, &id, &ctx)?;
        req::view(conn, &actor, &row.id, &ctx)
    })
    .await?;
    let json = request_json(view);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/requests/{}", json.id)))
        .json(json))
}

/// Carries out one action of the life cycle (every action but create, edit and discard). With
/// an `Idempotency-Key`, the same call sent again within 24 hours replays this answer instead of
/// taking the step again (or failing as a stale version).
#[utoipa::path(post, path = "/api/v1/requests/{id}/transitions", tag = "requests", params(("id" = String, Path), IdempotencyHeader), request_body = TransitionBody,
    responses((status = 200, body = RequestJson, headers(("Idempotency-Replayed" = String, description = "`true` when this answer is the one kept for an earlier call with the same Idempotency-Key: nothing was done again."))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn transition(
    caller: ApiCaller,
    state: web::Data<AppState>,
    http: HttpRequest,
    path: web::Path<String>,
    body: ApiJson<TransitionBody>,
) -> ApiResult {
    let b = body.into_inner().0;
    let call = idempotent::call_of(&http, &caller, &b)?;
    if let Some(replayed) = idempotent::earlier(&state, call.as_ref()).await? {
        return Ok(replayed);
    }
    let action = Action::parse(&b.action).ok_or_else(|| {
        ApiError::Invalid(
            "Unknown action.".into(),
            vec![FieldError::new(
                "action",
                "must be one of the actions of the life cycle",
            )],
        )
    })?;
    let fields = TransitionFields {
        pst_due_on: b.pst_due_on,
        next_review_on: b.next_review_on,
        assignee_id: b.assignee_id,
        message: b.message,
        reason: b.reason,
        reply: b.reply,
        note: b.note.map(|body| req::NoteInput {
            body,
            classification: String::new(),
            declassify_on: None,
        }),
        assessment: b.assessment.map(|a| req::AssessmentInput {
            threat_level: a.threat_level,
            summary: a.summary,
            classification: a.classification.unwrap_or_default(),
            declassify_on: a.declassify_on,
        }),
        outcomes: b.outcomes.map(|given| {
            given
                .into_iter()
                .map(|o| req::OutcomeInput {
                    measure_id: o.measure_id,
                    outcome: o.outcome,
                    conditions: o.conditions,
                    reason: o.reason,
                })
                .collect()
        }),
        implemented: b.implemented.map(|given| {
            given
                .into_iter()
                .map(|i| req::ImplementedInput {
                    measure_id: i.measure_id,
                    implemented_on: i.implemented_on,
                })
                .collect()
        }),
    };
    let input = req::TransitionInput::new(action, b.version, fields)
        .map_err(|fields| ApiError::from(AppError::Invalid(fields)))?;
    let (actor, ctx, id) = (
        caller.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    let kept = call.clone();
    // The answer is built inside the step's transaction (see `create_request`).
    let done = db::run(&state.pool, move |conn| {
        req::perform_viewed(conn, &actor, &id, &input, &ctx, |conn, view| {
            let json = request_json(view);
            idempotent::answer(conn, kept.as_ref(), StatusCode::OK, &json, ctx.now)
        })
    })
    .await;
    idempotent::settle(&state, call, done).await
}

/// External messages, and internal notes within the caller's clearance (authorities).
#[utoipa::path(get, path = "/api/v1/requests/{id}/messages", tag = "requests", params(("id" = String, Path)),
    responses((status = 200, body = Vec<MessageJson>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_messages(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    let view = view(&caller, &state, RequestId::from(path.into_inner())).await?;
    let items: Vec<MessageJson> = view
        .messages
        .into_iter()
        .map(|m| MessageJson {
            id: m.id,
            created_at: ts(m.at),
            author: m.by.text().to_owned(),
            visibility: if m.internal { "internal" } else { "external" }.into(),
            classification: m.classification.code().into(),
            declassify_on: m.declassify_on.map(|d| d.to_string()),
            body: m.body,
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// Writes to the mission or the MFA (external), or a note among authorities (internal).
#[utoipa::path(post, path = "/api/v1/requests/{id}/messages", tag = "requests", params(("id" = String, Path)), request_body = MessageBody,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn add_message(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: ApiJson<MessageBody>,
) -> ApiResult {
    let b = body.into_inner().0;
    let input = req::MessageInput {
        body: b.body,
        visibility: b.visibility,
        classification: b.classification.unwrap_or_default(),
        declassify_on: b.declassify_on,
    };
    let (actor, ctx, id) = (
        caller.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    db::run(&state.pool, move |conn| {
        req::add_message(conn, &actor, &id, &input, &ctx)
    })
    .await?;
    Ok(HttpResponse::Created().finish())
}

/// The request's history as the caller may see it.
#[utoipa::path(get, path = "/api/v1/requests/{id}/timeline", tag = "requests", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TimelineJson>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn timeline(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    let view = view(&caller, &state, RequestId::from(path.into_inner())).await?;
    let items: Vec<TimelineJson> = view
        .timeline
        .into_iter()
        .map(|t| TimelineJson {
            at: ts(t.at),
            action: t.action,
            by: t.by.text().to_owned(),
            status: t.status.to_owned(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
}

fn paging(q: &PageQuery) -> Result<(i64, i64), ApiError> {
    let (page, per_page) = (q.page.unwrap_or(1), q.per_page.unwrap_or(25));
    if page < 1 || !(1..=100).contains(&per_page) {
        return Err(ApiError::Invalid(
            "page must be at least 1 and per_page between 1 and 100".into(),
            Vec::new(),
        ));
    }
    Ok((page.min(1_000_000), per_page))
}

/// The caller's notifications about requests they may still see, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(PageQuery),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_notifications(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    caller.require(Capability::ReadNotifications)?;
    let (page, per_page) = paging(&query)?;
    let actor = caller.actor.clone();
    let list = db::run(&state.pool, move |conn| {
        notifications::page(conn, &actor, page, per_page)
    })
    .await?;
    let items = list
        .items
        .into_iter()
        .map(|n| {
            let payload: serde_json::Value = serde_json::from_str(&n.payload).unwrap_or_default();
            NotificationJson {
                id: n.id,
                kind: n.kind,
                request_id: n.request_id,
                reference: payload["reference"].as_str().map(str::to_owned),
                status: payload["status"].as_str().map(str::to_owned),
                created_at: ts(n.created_at),
                read: n.read_at.is_some(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(NotificationList {
        items,
        total: list.total,
        page,
        per_page,
    }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn read_notification(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    caller.require(Capability::ReadNotifications)?;
    let (actor, id) = (caller.actor.clone(), path.into_inner());
    db::run(&state.pool, move |conn| {
        notifications::mark_read(conn, &actor, &id, app::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn mission_json(m: crate::db::missions::MissionRow) -> MissionJson {
    MissionJson {
        id: m.id,
        name: m.name,
        country: m.country,
        kind: m.kind,
        active: m.active,
    }
}

/// Missions (administrators).
#[utoipa::path(get, path = "/api/v1/missions", tag = "administration",
    responses((status = 200, body = MissionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_missions(caller: ApiCaller, state: web::Data<AppState>) -> ApiResult {
    caller.require(Capability::AdministerMissions)?;
    let list = db::run(&state.pool, mission_app::list_missions).await?;
    let total = list.len() as i64;
    Ok(HttpResponse::Ok().json(MissionList {
        items: list.into_iter().map(mission_json).collect(),
        total,
    }))
}

/// Registers a mission (administrators).
#[utoipa::path(post, path = "/api/v1/missions", tag = "administration", request_body = MissionBody,
    responses((status = 201, body = MissionJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_mission(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: ApiJson<MissionBody>,
) -> ApiResult {
    caller.require(Capability::AdministerMissions)?;
    let b = body.into_inner().0;
    let input = mission_app::MissionInput {
        name: b.name,
        country: b.country,
        kind: b.kind.unwrap_or_else(|| "embassy".into()),
    };
    let acting = app::Acting::person(&caller.actor, &caller.client_addr);
    let m = db::run(&state.pool, move |conn| {
        mission_app::create_mission(conn, &acting, &input, app::now())
    })
    .await?;
    Ok(HttpResponse::Created().json(mission_json(m)))
}

fn user_json(u: crate::db::users::UserRow) -> UserJson {
    UserJson {
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        mission_id: u.mission_id,
        clearance: u.clearance,
        active: u.active,
    }
}

/// Accounts (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "administration", params(PageQuery),
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_users(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    caller.require(Capability::AdministerUsers)?;
    let (page, per_page) = paging(&query)?;
    let (rows, total) = db::run(&state.pool, move |conn| {
        user_app::list_users(conn, None, page, per_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserList {
        items: rows.into_iter().map(user_json).collect(),
        total,
        page,
        per_page,
    }))
}

/// Invites a person (administrators): they receive a single-use link to set a password.
#[utoipa::path(post, path = "/api/v1/users", tag = "administration", request_body = UserBody,
    responses((status = 201, body = UserJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: ApiJson<UserBody>,
) -> ApiResult {
    caller.require(Capability::AdministerUsers)?;
    let b = body.into_inner().0;
    let input = user_app::UserInput {
        email: b.email,
        name: b.name,
        role: b.role,
        mission_id: b.mission_id,
        clearance: b.clearance,
    };
    let acting = app::Acting::person(&caller.actor, &caller.client_addr);
    let base = state.settings.public_base().to_owned();
    let u = db::run(&state.pool, move |conn| {
        user_app::invite_user(conn, &acting, &input, &base, app::now())
    })
    .await?;
    Ok(HttpResponse::Created().json(user_json(u)))
}

/// Deactivates or reactivates an account, or resets its second factor (administrators).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "administration", params(("id" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = UserJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn update_user(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: ApiJson<UserPatch>,
) -> ApiResult {
    caller.require(Capability::AdministerUsers)?;
    let b = body.into_inner().0;
    let acting = app::Acting::person(&caller.actor, &caller.client_addr);
    let id = path.into_inner();
    let u = db::run(&state.pool, move |conn| {
        let mut user = user_app::find_user(conn, &id)?;
        if let Some(active) = b.active {
            user = user_app::set_user_active(conn, &acting, &id, active, app::now())?;
        }
        if b.reset_second_factor == Some(true) {
            user = user_app::reset_second_factor(conn, &acting, &id, app::now())?;
        }
        Ok::<_, AppError>(user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user_json(u)))
}
