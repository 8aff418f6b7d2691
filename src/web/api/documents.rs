//! The API's files and documents: a request's attachments (add, list, download, remove) and its
//! generated PDFs (the receipt and the note verbale). Each handler calls one application
//! function; the answers are built as the pages build theirs (`web::attachments`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiCaller, ApiError};
use crate::app::AppError;
use crate::app::requests::{self as req, AttachmentView, Context, UploadChoices};
use crate::db;
use crate::domain::FieldError;
use crate::domain::ids::RequestId;
use crate::i18n::{self, Lang};
use crate::web::AppState;
use crate::web::attachments::{self as files, Document, DocumentFailure};
use crate::web::upload::{self, UploadError};

type ApiResult = Result<HttpResponse, ApiError>;

/// A file attached to a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentJson {
    pub id: String,
    /// The name as kept: no folders or control characters, at most 200 characters.
    pub filename: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, from the file's bytes.
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// `external` (the mission and the authorities) or `internal` (the authorities only).
    pub visibility: String,
    pub classification: String,
    pub uploaded_at: String,
    /// Who added it, as the caller may know them (a name, or an organisation).
    pub uploaded_by: String,
}

/// The form of an upload (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// The file: PDF, PNG or JPEG, recognised by its bytes; at most `attachments.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `external` (mission staff) or `internal` (the authorities); left out: the only one the
    /// caller may add.
    pub visibility: Option<String>,
    /// For internal files: within the caller's clearance and the portal's ceiling.
    pub classification: Option<String>,
    /// For classified files: `YYYY-MM-DD`, at most 30 years ahead.
    pub declassify_on: Option<String>,
}

fn json(a: AttachmentView) -> AttachmentJson {
    AttachmentJson {
        id: a.id,
        filename: a.filename,
        content_type: a.content_type.to_owned(),
        size: a.size,
        sha256: a.sha256,
        visibility: if a.internal { "internal" } else { "external" }.to_owned(),
        classification: a.classification.code().to_owned(),
        uploaded_at: a
            .uploaded_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        uploaded_by: i18n::tr_text(a.uploaded_by.text()),
    }
}

/// Adds a file to a request: mission staff while the request is a draft or the Ministry waits
/// for their answer (external files); the authorities at any time (internal files).
#[utoipa::path(post, path = "/api/v1/requests/{id}/attachments", tag = "requests", params(("id" = String, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn add_attachment(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult {
    let id = RequestId::from(path.into_inner());
    let (actor, rid, now) = (caller.actor.clone(), id.clone(), crate::app::now());
    db::run(&state.pool, move |conn| {
        req::may_attach(conn, &actor, &rid, now)
    })
    .await?;
    let limits = files::limits(&state);
    let form = upload::read(
        &request,
        payload,
        "file",
        limits.max_bytes,
        state.settings.server.max_body_bytes,
    )
    .await
    .map_err(|e| match e {
        UploadError::TooLarge => ApiError::TooLarge,
        UploadError::Malformed if !is_multipart(&request) => ApiError::UnsupportedMediaType,
        UploadError::Malformed => {
            ApiError::BadRequest("The body is not a well-formed multipart/form-data form.".into())
        }
        UploadError::Repeated(name) => {
            ApiError::BadRequest(format!("The field {name} was sent more than once."))
        }
        UploadError::Spool(detail) => ApiError::Internal(format!("spooling an upload: {detail}")),
    })?;
    let choices = UploadChoices {
        visibility: form.field("visibility").to_owned(),
        classification: form.field("classification").to_owned(),
        declassify_on: Some(form.field("declassify_on").to_owned()).filter(|d| !d.is_empty()),
    };
    let Some(file) = form.file else {
        return Err(
            AppError::Invalid(vec![FieldError::new("file", "Select a file to upload")]).into(),
        );
    };
    let (actor, ctx) = (caller.actor.clone(), Context::now_under(&state.settings));
    let added = db::run(&state.pool, move |conn| {
        req::add_attachment(conn, &actor, &id, file, &choices, limits, &ctx)
    })
    .await?;
    Ok(HttpResponse::Created().json(json(added)))
}

fn is_multipart(request: &HttpRequest) -> bool {
    !matches!(
        crate::web::body::kind(request.headers()),
        crate::web::body::Kind::Other
    )
}

/// The files of a request the caller may know of, oldest first (internal files only for the
/// authorities, within their clearance).
#[utoipa::path(get, path = "/api/v1/requests/{id}/attachments", tag = "requests", params(("id" = String, Path)),
    responses((status = 200, body = Vec<AttachmentJson>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn list_attachments(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult {
    let (actor, id) = (caller.actor.clone(), RequestId::from(path.into_inner()));
    let found = db::run(&state.pool, move |conn| {
        req::attachments(conn, &actor, &id, crate::app::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(found.into_iter().map(json).collect::<Vec<_>>()))
}

/// A file's bytes, as an attachment (`Content-Disposition`, `nosniff`, a sandbox). Downloads of
/// internal files are written to the security log.
#[utoipa::path(get, path = "/api/v1/requests/{id}/attachments/{aid}", tag = "requests", params(("id" = String, Path), ("aid" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn download_attachment(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (id, aid) = path.into_inner();
    let (actor, rid) = (caller.actor.clone(), RequestId::from(id));
    let opened = db::run(&state.pool, move |conn| {
        req::open_attachment(conn, &actor, &rid, &aid, crate::app::now())
    })
    .await?;
    Ok(files::download_answer(state.pool.clone(), opened))
}

/// Removes a file: only the one who added it, while the mission may change the request (its
/// files) or while the case is open (the authorities' files).
#[utoipa::path(delete, path = "/api/v1/requests/{id}/attachments/{aid}", tag = "requests", params(("id" = String, Path), ("aid" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn remove_attachment(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (id, aid) = path.into_inner();
    let (actor, rid) = (caller.actor.clone(), RequestId::from(id));
    db::run(&state.pool, move |conn| {
        req::remove_attachment(conn, &actor, &rid, &aid, crate::app::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentQuery {
    /// `en` or `nb`; without it, the caller's language.
    pub lang: Option<String>,
}

async fn document(
    caller: ApiCaller,
    state: web::Data<AppState>,
    id: String,
    query: DocumentQuery,
    which: Document,
) -> ApiResult {
    let lang = match query.lang.as_deref() {
        None | Some("") => i18n::current(),
        Some(code) => Lang::parse(code).ok_or_else(|| {
            ApiError::from(AppError::Invalid(vec![FieldError::new(
                "lang",
                "Choose en (English) or nb (Norwegian Bokmål)",
            )]))
        })?,
    };
    let (actor, rid, ctx) = (
        caller.actor.clone(),
        RequestId::from(id),
        Context::now_under(&state.settings),
    );
    let view = db::run(&state.pool, move |conn| req::view(conn, &actor, &rid, &ctx)).await?;
    files::document_answer(view, which, lang)
        .await
        .map_err(|e| match e {
            DocumentFailure::NotAvailable => ApiError::NotFound,
            DocumentFailure::Failed(detail) => ApiError::Internal(detail),
        })
}

/// The receipt of a submitted request, as PDF/A (to the mission and the authorities).
#[utoipa::path(get, path = "/api/v1/requests/{id}/receipt.pdf", tag = "requests", params(("id" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn receipt(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DocumentQuery>,
) -> ApiResult {
    document(
        caller,
        state,
        path.into_inner(),
        query.into_inner(),
        Document::Receipt,
    )
    .await
}

/// The Ministry's formal reply as a note verbale, as PDF/A, once it was communicated.
#[utoipa::path(get, path = "/api/v1/requests/{id}/reply.pdf", tag = "requests", params(("id" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn reply(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DocumentQuery>,
) -> ApiResult {
    document(
        caller,
        state,
        path.into_inner(),
        query.into_inner(),
        Document::Reply,
    )
    .await
}

#[allow(unused_imports)]
use super::types::ErrorBody;
