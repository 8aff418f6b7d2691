//! The JSON API under `/api/v1` (product.md § 8): personal access tokens only (no cookies, so no CSRF
//! token), the same application functions and policy as the pages, errors as
//! `{error: {code, message, fields?}}`, described by an OpenAPI 3 document.

pub mod documents;
pub mod handlers;
pub mod idempotent;
pub mod operations;
pub mod statistics;
pub mod types;

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{
    FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, dev::Payload,
    error::JsonPayloadError, web,
};
use utoipa::OpenApi;

use super::AppState;
use crate::app::{self, AppError, tokens};
use crate::db::{self, DbError};
use crate::domain::FieldError;
use crate::domain::access::{self, Actor, Capability, Refusal};
use types::{ErrorBody, ErrorDetail, FieldErrorJson};

/// Everything an API call can be refused with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("a valid personal access token is required")]
    Unauthorized,
    #[error("your role may not do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("too large")]
    TooLarge,
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("{0}")]
    Invalid(String, Vec<FieldError>),
    #[error("too many requests")]
    TooMany(i64),
    #[error("temporarily unavailable")]
    Unavailable,
    #[error("{}", super::errors::BUSY_MESSAGE)]
    Busy,
    #[error("{}", UNCERTAIN_API_MESSAGE)]
    Uncertain,
    #[error("internal error")]
    Internal(String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(fields) => {
                ApiError::Invalid("Some fields break their rules.".into(), fields)
            }
            AppError::NotFound => ApiError::NotFound,
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::Forbidden => ApiError::Forbidden,
            AppError::NotNow(m) => ApiError::Invalid(m, Vec::new()),
            AppError::Db(DbError::Unavailable(detail)) => {
                tracing::error!(error = %detail, "database unavailable");
                ApiError::Unavailable
            }
            AppError::Db(DbError::Busy(detail)) => {
                tracing::warn!(error = %detail, "database busy; the request was rolled back");
                ApiError::Busy
            }
            AppError::Db(DbError::Uncertain(detail)) => {
                tracing::error!(error = %detail, "connection lost during a commit");
                ApiError::Uncertain
            }
            AppError::Db(e @ (DbError::Query(_) | DbError::Corrupt(_))) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// The API's answer when a change may or may not have been saved.
pub const UNCERTAIN_API_MESSAGE: &str = "The connection to the database was lost while saving: the change may have been saved. Read it back, or send the same call again with the same Idempotency-Key, before trying anything else.";

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        AppError::Db(e).into()
    }
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Invalid(..) => "invalid",
            ApiError::TooMany(_) => "too_many_requests",
            ApiError::Unavailable => "unavailable",
            ApiError::Busy => "busy",
            ApiError::Uncertain => "outcome_unknown",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(..) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::Busy | ApiError::Uncertain => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        let fields = match self {
            ApiError::Invalid(_, f) if !f.is_empty() => Some(
                f.iter()
                    .map(|e| FieldErrorJson {
                        field: e.field.to_string(),
                        message: crate::i18n::tr_text(&e.message),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let message = match self {
            // True, as on the pages (`errors::describe` says why): an internal error comes from
            // work that was rolled back or only read, never from after a commit.
            ApiError::Internal(_) => {
                crate::i18n::tr("The request could not be completed; nothing was changed.")
                    .to_owned()
            }
            other => crate::i18n::tr_text(&other.to_string()),
        };
        let mut res = HttpResponse::build(self.status_code()).json(ErrorBody {
            error: ErrorDetail {
                code: self.code().into(),
                message,
                fields,
            },
        });
        if let ApiError::Unauthorized = self {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooMany(seconds) = self
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(super::errors::RETRY_AFTER_SECONDS),
            );
        }
        res
    }
}

/// JSON bodies that cannot be read: malformed (400), not JSON (415), too large (413), or JSON
/// that breaks the schema — unknown or duplicate fields, wrong types (422).
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::TooLarge
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Invalid(
            format!("The body does not match the schema: {e}"),
            Vec::new(),
        ),
        JsonPayloadError::Deserialize(e) => {
            ApiError::BadRequest(format!("The body is not valid JSON: {e}"))
        }
        _ => ApiError::BadRequest("The body could not be read.".into()),
    };
    api.into()
}

/// A JSON body that must be an object. serde reads a struct from an array too, field by field
/// in order (`["submit", 3, null, …]` would be a transition), and every body of this API is an
/// object: anything else — an array, a string, a number, `null` — breaks the schema (422).
/// Duplicate and unknown fields are still caught by the body's own `Deserialize`.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OnlyAnObject<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for OnlyAnObject<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(OnlyAnObject(std::marker::PhantomData))
            .map(Object)
    }
}

/// `deserialize_with` for a member that must be an object (as a body must: `Object`).
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Object<T> as serde::Deserialize>::deserialize(deserializer).map(|o| o.0)
}

/// `deserialize_with` for a member that is a list of objects.
pub fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Vec<Object<T>> as serde::Deserialize>::deserialize(deserializer)
        .map(|list| list.into_iter().map(|o| o.0).collect())
}

/// `deserialize_with` for an optional member that is an object (with `#[serde(default)]`).
pub fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<Object<T>> as serde::Deserialize>::deserialize(deserializer).map(|o| o.map(|o| o.0))
}

/// `deserialize_with` for an optional member that is a list of objects (with `#[serde(default)]`).
pub fn optional_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<Vec<Object<T>>> as serde::Deserialize>::deserialize(deserializer)
        .map(|o| o.map(|list| list.into_iter().map(|o| o.0).collect()))
}

/// The extractor of every JSON body of the API: an object, within the body limit, read with
/// `json_error`'s answers.
pub type ApiJson<T> = web::Json<Object<T>>;

/// Query strings that cannot be read (400).
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("The query string is not valid: {err}")).into()
}

/// The person a personal access token acts for, after the per-token rate limit.
pub struct ApiCaller {
    pub actor: Actor,
    pub user: crate::db::users::UserRow,
    /// Where the call came from (for the security log).
    pub client_addr: String,
}

impl ApiCaller {
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        access::authorise(&self.actor, capability).map_err(|r| match r {
            Refusal::Forbidden => ApiError::Forbidden,
            Refusal::NotFound => ApiError::NotFound,
        })
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiCaller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let client_addr = super::session::client_addr(req);
        let req = req.clone();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(ApiError::Unauthorized);
            };
            let limit = state.settings.api.requests_per_minute;
            let caller = db::run(&state.pool, move |conn| {
                let now = app::now();
                let Some((actor, user, row)) = tokens::authenticate(conn, &token, now)? else {
                    return Ok::<_, AppError>(Err(ApiError::Unauthorized));
                };
                if let Some(wait) = tokens::throttle(conn, &row.id, limit, now)? {
                    return Ok(Err(ApiError::TooMany(wait)));
                }
                Ok(Ok(ApiCaller {
                    actor,
                    user,
                    client_addr,
                }))
            })
            .await??;
            // Messages in the caller's own language.
            crate::i18n::set_current(
                crate::i18n::Lang::parse(&caller.user.locale).unwrap_or_default(),
            );
            // Whoever is refused later in this call is named in the security log.
            req.extensions_mut()
                .insert(app::Acting::person(&caller.actor, &caller.client_addr));
            Ok(caller)
        })
    }
}

// The routes of the API; the OpenAPI document must describe exactly these (`ROUTES`).
route_table! {
    "/api/v1/me" => [get => handlers::me],
    "/api/v1/requests" => [get => handlers::list_requests, post => handlers::create_request],
    "/api/v1/requests/{id}" => [
        get => handlers::get_request,
        patch => handlers::update_request,
        delete => handlers::discard_request,
    ],
    "/api/v1/requests/{id}/transitions" => [post => handlers::transition],
    "/api/v1/requests/{id}/file-again" => [post => handlers::file_again],
    "/api/v1/requests/{id}/messages" => [
        get => handlers::list_messages,
        post => handlers::add_message,
    ],
    "/api/v1/requests/{id}/timeline" => [get => handlers::timeline],
    "/api/v1/requests/{id}/attachments" max_body crate::web::body::UPLOAD => [
        get => documents::list_attachments,
        post => documents::add_attachment,
    ],
    "/api/v1/requests/{id}/attachments/{aid}" => [
        get => documents::download_attachment,
        delete => documents::remove_attachment,
    ],
    "/api/v1/requests/{id}/receipt.pdf" => [get => documents::receipt],
    "/api/v1/requests/{id}/reply.pdf" => [get => documents::reply],
    "/api/v1/notifications" => [get => handlers::list_notifications],
    "/api/v1/notifications/{id}/read" => [post => handlers::read_notification],
    "/api/v1/missions" => [get => handlers::list_missions, post => handlers::create_mission],
    "/api/v1/calendar" => [get => operations::calendar],
    "/api/v1/calendar.ics" => [get => operations::calendar_feed],
    "/api/v1/statistics" => [get => statistics::statistics],
    "/api/v1/missions/{id}/threat-levels" => [
        get => operations::threat_levels,
        post => operations::record_threat_level,
    ],
    "/api/v1/users" => [get => handlers::list_users, post => handlers::create_user],
    "/api/v1/users/{id}" => [patch => handlers::update_user],
    "/api/v1/openapi.json" => [get => openapi_json],
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Protection portal API",
        version = "1",
        description = "Foreign missions in Norway request external protection; the MFA, Oslo Police District and PST triage, assess, decide and confirm it. Authenticate with a personal access token: `Authorization: Bearer pp_…` (create one on your account page, or `protection-portal token create`). What each caller sees follows the same need-to-know rules as the web pages: a request the caller may not know of answers 404."
    ),
    paths(
        handlers::me,
        handlers::list_requests, handlers::create_request, handlers::get_request, handlers::update_request,
        handlers::discard_request, handlers::transition, handlers::file_again, handlers::list_messages, handlers::add_message,
        handlers::timeline, documents::add_attachment, documents::list_attachments,
        documents::download_attachment, documents::remove_attachment, documents::receipt,
        documents::reply, handlers::list_notifications, handlers::read_notification,
        handlers::list_missions, handlers::create_mission, handlers::list_users, handlers::create_user,
        handlers::update_user, operations::threat_levels, operations::record_threat_level,
        operations::calendar, operations::calendar_feed, statistics::statistics, openapi_json,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "requests"), (name = "notifications"), (name = "operations"), (name = "administration"), (name = "caller"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("personal access token")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "caller", security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
