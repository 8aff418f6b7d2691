//! Files on a request's pages: the list with its upload form (on the request page and on the
//! form that changes a draft), adding and removing a file, downloads, and the two generated
//! documents (the receipt and the note verbale) as PDF. The API's handlers reuse the answers
//! built here (`download_answer`, `document_answer`).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html};

use super::errors::WebError;
use super::forms::csrf_field;
use super::requests::{Typed, classification_options, load, request_page, select, when, who};
use super::session::Viewer;
use super::upload::{self, UploadError};
use super::{AppState, layout::see_other};
use crate::app::AppError;
use crate::app::requests::{
    self as req, AttachmentLimits, Download, RequestView, Upload, UploadChoices,
};
use crate::db::{self, Pool};
use crate::domain::FieldError;
use crate::domain::attachment;
use crate::domain::ids::RequestId;
use crate::i18n::{self, Lang, tr, tr_text};

/// The name of the upload form's classification field: not `classification`, which the form
/// for notes on the same page uses.
const CLASSIFICATION: &str = "file_classification";

/// Where a page's upload form sends the person back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// The request page.
    Request,
    /// The form that changes the request.
    Edit,
}

pub fn limits(state: &AppState) -> AttachmentLimits {
    AttachmentLimits {
        max_bytes: state.settings.attachments.max_bytes,
        max_per_request: state.settings.attachments.max_per_request,
    }
}

/// "2.4 MB", "830 kB", "512 bytes".
pub fn size_label(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let mb = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
        let mb = if i18n::current() == Lang::Nb {
            mb.replace('.', ",")
        } else {
            mb
        };
        format!("{mb} MB")
    } else if bytes >= 1024 {
        format!("{} kB", bytes / 1024)
    } else {
        tr_text(&format!("{} bytes", bytes))
    }
}

fn kind_label(content_type: &str) -> &'static str {
    attachment::FileKind::from_content_type(content_type)
        .map(attachment::FileKind::label)
        .unwrap_or("–")
}

/// The request's files as the viewer may know them, with the form to add one when they may.
pub fn section(
    viewer: &Viewer,
    view: &RequestView,
    errors: &[FieldError],
    back: Back,
    max_bytes: u64,
) -> Markup {
    let rights = view.attachment_rights;
    let id = &view.id;
    let hint = if rights.internal {
        tr_text(&format!(
            "A PDF, PNG or JPEG file of up to {} MB, for example a patrol plan or a photograph of the site.",
            max_bytes / (1024 * 1024)
        ))
    } else {
        tr_text(&format!(
            "A PDF, PNG or JPEG file of up to {} MB, for example a site plan, the note verbale or a letter the mission received.",
            max_bytes / (1024 * 1024)
        ))
    };
    html! {
        section aria-labelledby="attachments-heading" id="attachments" {
            h2 id="attachments-heading" tabindex="-1" { (tr("Files")) }
            @if view.attachments.is_empty() {
                p { (tr("No files yet.")) }
            } @else {
                table class="stacking" {
                    caption class="visually-hidden" { (tr("Files")) }
                    thead { tr {
                        th scope="col" { (tr("File")) } th scope="col" { (tr("Type and size")) } th scope="col" { (tr("Added")) }
                        th scope="col" { span class="visually-hidden" { (tr("Actions")) } }
                    } }
                    tbody {
                        @for a in &view.attachments {
                            tr {
                                td data-label=(tr("File")) {
                                    a href={ "/requests/" (id) "/attachments/" (a.id) } download { (a.filename) }
                                    @if a.internal {
                                        br; strong class="tag tag-grey" { (tr("Internal")) } " " (tr(a.classification.marking()))
                                    }
                                }
                                td data-label=(tr("Type and size")) { (kind_label(a.content_type)) ", " (size_label(a.size)) }
                                td data-label=(tr("Added")) { (when(a.uploaded_at)) (tr(" by ")) (who(&a.uploaded_by)) }
                                td {
                                    @if a.removable {
                                        form method="post" action={ "/requests/" (id) "/attachments/" (a.id) "/remove" } {
                                            (csrf_field(&viewer.csrf))
                                            @if back == Back::Edit { input type="hidden" name="back" value="edit"; }
                                            button type="submit" class="link-button" { (tr("Remove")) span class="visually-hidden" { " " (a.filename) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // The form that changes a draft has a file field of its own.
            @if (rights.external || rights.internal) && back == Back::Request {
                form method="post" action={ "/requests/" (id) "/attachments" } enctype="multipart/form-data" class="action-form" {
                    // The token comes before the file, where the CSRF check reads it.
                    (csrf_field(&viewer.csrf))
                    @if back == Back::Edit { input type="hidden" name="back" value="edit"; }
                    h3 { (tr("Add a file")) }
                    (file_field(errors, &hint))
                    @if rights.internal {
                        input type="hidden" name="visibility" value="internal";
                        p class="hint" { (tr("Only the Norwegian authorities see the files they add.")) }
                        (select(errors, CLASSIFICATION, tr("Classification"), &classification_options(view), "unclassified", None))
                    } @else {
                        input type="hidden" name="visibility" value="external";
                    }
                    button type="submit" class="secondary" { (tr("Upload the file")) }
                }
            }
        }
    }
}

/// The file field, with its hint and error.
pub fn file_field(errors: &[FieldError], hint: &str) -> Markup {
    let invalid = super::requests::error_for(errors, "file").is_some();
    super::requests::field(errors, "file", tr("Choose a file"), Some(hint), |d| {
        html! {
            input type="file" id="file" name="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
                aria-describedby=[d] aria-invalid=[invalid.then_some("true")];
        }
    })
}

/// What an upload's reading failed on, as the person is told.
pub fn upload_refused(e: UploadError, max_bytes: u64) -> WebError {
    match e {
        UploadError::TooLarge => WebError::TooLarge(tr_text(&format!(
            "The selected file must be smaller than {} MB",
            max_bytes / (1024 * 1024)
        ))),
        UploadError::Malformed | UploadError::Repeated(_) => WebError::BadRequest(
            "The form could not be read. Go back, reload the page and try again.".into(),
        ),
        UploadError::Spool(detail) => WebError::Internal(format!("spooling an upload: {detail}")),
    }
}

/// `POST /requests/{id}/attachments`: adds the chosen file, then shows the page it came from.
pub async fn upload(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let id = RequestId::from(path.into_inner());
    // Nobody sends a file the portal would refuse them anyway.
    let (actor, rid, now) = (viewer.actor.clone(), id.clone(), crate::app::now());
    db::run(&state.pool, move |conn| {
        req::may_attach(conn, &actor, &rid, now)
    })
    .await?;
    let limits = limits(&state);
    let form = upload::read(
        &req,
        payload,
        "file",
        limits.max_bytes,
        state.settings.server.max_body_bytes,
    )
    .await
    .map_err(|e| upload_refused(e, limits.max_bytes))?;
    let back = if form.field("back") == "edit" {
        Back::Edit
    } else {
        Back::Request
    };
    let choices = UploadChoices {
        visibility: form.field("visibility").to_owned(),
        classification: form.field(CLASSIFICATION).to_owned(),
        declassify_on: None,
    };
    let typed: Typed = form.fields.iter().cloned().collect();
    let outcome = match form.file {
        None => Err(AppError::Invalid(vec![FieldError::new(
            "file",
            "Select a file to upload",
        )])),
        Some(file) => add(&state, &viewer, &id, file, choices, limits).await,
    };
    match outcome {
        Ok(_) => {
            super::banner::set(&viewer.session, "attachment");
            Ok(see_other(&back_to(&id, back)))
        }
        Err(AppError::Invalid(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "classification" {
                        e.field = CLASSIFICATION.into();
                    }
                    e
                })
                .collect();
            let view = load(&viewer, &state, id.as_str()).await?;
            Ok(match back {
                Back::Edit => {
                    super::requests::edit_page_with(&viewer, &view, &errors, limits.max_bytes)
                }
                Back::Request => request_page(
                    &viewer,
                    &view,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    &typed,
                    limits.max_bytes,
                ),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a received file to a request.
pub async fn add(
    state: &AppState,
    viewer: &Viewer,
    id: &RequestId,
    file: Upload,
    choices: UploadChoices,
    limits: AttachmentLimits,
) -> Result<req::AttachmentView, AppError> {
    let (actor, rid, ctx) = (
        viewer.actor.clone(),
        id.clone(),
        super::requests::context(state),
    );
    db::run(&state.pool, move |conn| {
        req::add_attachment(conn, &actor, &rid, file, &choices, limits, &ctx)
    })
    .await
}

fn back_to(id: &RequestId, back: Back) -> String {
    match back {
        Back::Edit => format!("/requests/{id}/edit#attachments-heading"),
        Back::Request => format!("/requests/{id}#attachments-heading"),
    }
}

/// `GET /requests/{id}/attachments/{aid}`.
pub async fn download(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, aid) = path.into_inner();
    let (actor, rid) = (viewer.actor.clone(), RequestId::from(id));
    let opened = db::run(&state.pool, move |conn| {
        req::open_attachment(conn, &actor, &rid, &aid, crate::app::now())
    })
    .await?;
    Ok(download_answer(state.pool.clone(), opened))
}

/// A download's answer: the bytes, read from the database a chunk at a time as they are sent,
/// under headers that keep a browser from doing anything with them but save them.
pub fn download_answer(pool: Pool, d: Download) -> HttpResponse {
    let disposition = attachment::content_disposition(&d.filename);
    let (content_type, size) = (d.content_type, d.size);
    let chunks = futures_util::stream::unfold((pool, d, 0), |(pool, d, seq)| async move {
        if seq >= d.chunks {
            return None;
        }
        let wanted = d.clone();
        let chunk = db::run(&pool, move |conn| req::attachment_chunk(conn, &wanted, seq))
            .await
            .map(Bytes::from)
            .map_err(|e| std::io::Error::other(e.to_string()));
        Some((chunk, (pool, d, seq + 1)))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"))
        .no_chunking(size)
        .streaming(chunks)
}

/// `POST /requests/{id}/attachments/{aid}/remove`.
pub async fn remove(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let (id, aid) = path.into_inner();
    let back = if url::form_urlencoded::parse(&body).any(|(k, v)| k == "back" && v == "edit") {
        Back::Edit
    } else {
        Back::Request
    };
    let (actor, rid) = (viewer.actor.clone(), RequestId::from(id));
    let to = back_to(&rid, back);
    db::run(&state.pool, move |conn| {
        req::remove_attachment(conn, &actor, &rid, &aid, crate::app::now())
    })
    .await?;
    super::banner::set(&viewer.session, "attachment_removed");
    Ok(see_other(&to))
}

/// Which generated document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Receipt,
    Reply,
}

/// Why a generated document was not answered.
#[derive(Debug)]
pub enum DocumentFailure {
    /// The request has no such document (yet): answered like an unknown address.
    NotAvailable,
    /// The portal could not make it (logged; never the request's fault).
    Failed(String),
}

/// A generated document as the answer: made on the blocking pool (a few milliseconds of
/// layout), in `lang`, from the request as `view` shows it to its reader.
pub async fn document_answer(
    view: RequestView,
    which: Document,
    lang: Lang,
) -> Result<HttpResponse, DocumentFailure> {
    let available = match which {
        Document::Receipt => view.receipt_available,
        Document::Reply => view.formal_reply_available,
    };
    if !available {
        return Err(DocumentFailure::NotAvailable);
    }
    let reference = view.reference.clone().unwrap_or_default();
    let now = crate::app::now();
    let pdf = web::block(move || match which {
        Document::Receipt => crate::documents::receipt::receipt(&view, lang, now),
        Document::Reply => crate::documents::reply::reply(&view, lang, now),
    })
    .await
    .map_err(|e| DocumentFailure::Failed(e.to_string()))?
    .map_err(|e| DocumentFailure::Failed(e.to_string()))?;
    let name = match which {
        Document::Receipt => format!("receipt-{reference}.pdf"),
        Document::Reply => format!("note-verbale-{reference}.pdf"),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}\""),
        ))
        .body(pdf))
}

impl From<DocumentFailure> for WebError {
    fn from(e: DocumentFailure) -> Self {
        match e {
            DocumentFailure::NotAvailable => WebError::NotFound,
            DocumentFailure::Failed(detail) => WebError::Internal(detail),
        }
    }
}

/// `GET /requests/{id}/receipt.pdf`.
pub async fn receipt_pdf(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    Ok(document_answer(view, Document::Receipt, i18n::current()).await?)
}

/// `GET /requests/{id}/reply.pdf`.
pub async fn reply_pdf(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    Ok(document_answer(view, Document::Reply, i18n::current()).await?)
}

/// Links to the request's generated documents, where it has them.
pub fn document_links(view: &RequestView) -> Markup {
    html! {
        @if view.receipt_available || view.formal_reply_available {
            h2 { (tr("Documents")) }
            ul class="documents" {
                @if view.formal_reply_available {
                    li { a href={ "/requests/" (view.id) "/reply.pdf" } { (tr("The formal reply as a note verbale (PDF)")) } }
                }
                @if view.receipt_available {
                    li { a href={ "/requests/" (view.id) "/receipt.pdf" } { (tr("Receipt (PDF)")) } }
                }
            }
        }
    }
}
