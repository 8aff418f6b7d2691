//! What wraps every response: a request id, one log line per request, the security headers of
//! product.md § 10, and an error page (or JSON error under /api) for every failure, so that no error
//! from a handler or an extractor leaves without headers or shows internals.

use crate::i18n::{self, tr};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use maud::html;
use tracing::Instrument;

use super::AppState;
use super::errors::{PublicMessage, describe};
use super::layout;
use crate::app;

/// The id that ties a request's log lines to what the person saw (the "correlation id").
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/// The policy of a download of an uploaded file: nothing from it may run or load anything.
const SANDBOXED_CSP: &str = "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'; sandbox";
/// The bundled Swagger UI draws its icons from `data:` images and sets inline styles; its pages
/// (and only they) allow those. Scripts stay 'self' only.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// How long writing a refusal to the security log may hold its answer.
const REFUSAL_RECORD_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    // The path only: query strings can carry single-use tokens and must not reach the log.
    let path = req.path().to_owned();
    let https = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.public_url_is_https())
        .unwrap_or(false);
    let docs = path.starts_with("/api/docs");
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);

    // The language of this request: the browser's until a signed-in person's own choice is read.
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A language chosen with the header's switch (a cookie) comes before the browser's.
    let chosen = req
        .cookie(super::language::COOKIE)
        .and_then(|c| i18n::Lang::parse(c.value()));
    let lang = std::rc::Rc::new(std::cell::Cell::new(
        chosen.unwrap_or_else(|| i18n::Lang::from_accept_language(accept)),
    ));
    // Where the page is, for the language switch's way back.
    let here = super::layout::page_to_come_back_to(&method, &path, req.query_string());
    // Layers inside this one answer with responses, not errors (an error returned here would
    // leave without the headers below); handlers' and extractors' errors are responses already.
    let served = i18n::scope(
        lang.clone(),
        super::layout::at_path(here, next.call(req).instrument(span.clone())),
    )
    .await;
    let mut res = match served {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            span.in_scope(|| tracing::error!(error = %err, "a middleware failed"));
            return Err(answer_for_error(
                &err,
                &request_id,
                lang.get(),
                &method,
                path.starts_with("/api/"),
                https,
            ));
        }
    };

    let status = res.status();
    if status == actix_web::http::StatusCode::FORBIDDEN {
        // Bounded like the request itself: a hung database does not hold the answer.
        let recorded = tokio::time::timeout(
            REFUSAL_RECORD_WITHIN,
            record_refusal(&res, method.as_str(), &path).instrument(span.clone()),
        )
        .await;
        if recorded.is_err() {
            span.in_scope(|| {
                tracing::error!("a refusal could not be written to the security log in time")
            });
        }
    }
    if status.is_client_error() || status.is_server_error() {
        res = render_error(res, &request_id, lang.get());
    }
    set_security_headers(res.headers_mut(), https, docs);
    // The API speaks JSON in UTF-8, and says so (product.md § 8).
    if res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct == "application/json")
    {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    res.headers_mut().insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_str(&request_id).expect("hex is a valid header value"),
    );

    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let statements = res
        .response()
        .extensions()
        .get::<super::deadline::Statements>()
        .map_or(0, |s| s.0);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                latency_ms,
                statements,
                "request failed"
            );
        } else {
            tracing::info!(status = status.as_u16(), latency_ms, statements, "request");
        }
    });
    Ok(res)
}

/// Writes a 403 to the security log, with the person refused when the session or token named
/// one (the extractors leave an `Acting` in the request), or the client address alone.
async fn record_refusal(res: &ServiceResponse<BoxBody>, method: &str, path: &str) {
    let req = res.request();
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return;
    };
    let acting = req
        .extensions()
        .get::<app::Acting>()
        .cloned()
        .unwrap_or_else(|| app::Acting {
            client_addr: Some(super::session::client_addr(req)),
            ..app::Acting::default()
        });
    // Anyone can provoke refusals (a token-less form post costs nothing), and each entry is a
    // serialised write to the hash chain: each address gets a bounded number of entries a
    // minute, and what goes beyond is counted in the operator's log instead.
    let key = acting
        .user_id
        .clone()
        .or_else(|| acting.client_addr.clone())
        .unwrap_or_default();
    if !refusals_may_be_logged(&key, std::time::Instant::now()) {
        tracing::warn!(
            method,
            path,
            "refusal not written to the security log: too many from one source"
        );
        return;
    }
    let (method, path) = (method.to_owned(), path.to_owned());
    let written = crate::db::run(&state.pool, move |conn| {
        app::record_refusal(conn, &acting, &method, &path, app::now())
    })
    .await;
    if let Err(e) = written {
        tracing::error!(error = %e, "a refusal could not be written to the security log");
    }
}

/// Refusal entries one source may add to the security log per minute.
const REFUSALS_PER_MINUTE: u32 = 30;

/// Whether another refusal from `source` may be written now (at most
/// `REFUSALS_PER_MINUTE` a minute). Kept per process: it only bounds the log's growth, and
/// several instances together allow that many each.
fn refusals_may_be_logged(source: &str, now: std::time::Instant) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;
    static WINDOWS: OnceLock<Mutex<HashMap<String, (std::time::Instant, u32)>>> = OnceLock::new();
    let mut windows = WINDOWS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let minute = Duration::from_secs(60);
    if windows.len() > 10_000 {
        windows.retain(|_, (start, _)| now.duration_since(*start) < minute);
    }
    let entry = windows.entry(source.to_owned()).or_insert((now, 0));
    if now.duration_since(entry.0) >= minute {
        *entry = (now, 0);
    }
    entry.1 += 1;
    entry.1 <= REFUSALS_PER_MINUTE
}

fn set_security_headers(headers: &mut actix_web::http::header::HeaderMap, https: bool, docs: bool) {
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            if docs { DOCS_CSP } else { CSP },
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    // A handler that serves a file people uploaded asks for a sandbox too (`sandbox`): the
    // policy stays the portal's, with the sandbox added, so nothing a file holds can run here.
    let sandboxed = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .is_some_and(|v| v.as_bytes() == b"sandbox");
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if sandboxed {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOXED_CSP),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// The standard error answer for `status`: a page, or JSON under /api. `message` (English,
/// translated here) replaces the status's general explanation.
fn error_answer(
    status: actix_web::http::StatusCode,
    message: Option<&str>,
    request_id: &str,
    lang: i18n::Lang,
    api: bool,
) -> HttpResponse {
    let (english_heading, explanation) = describe(status);
    let code = english_heading.to_lowercase().replace([' ', '-'], "_");
    let heading = i18n::tr_in(lang, english_heading);
    let explanation = i18n::tr_in(lang, explanation);
    let message = message.map(|m| i18n::tr_text_in(lang, m));
    if api {
        HttpResponse::build(status).json(serde_json::json!({
            "error": {
                "code": code,
                "message": message.as_deref().unwrap_or(explanation),
                "request_id": request_id,
            }
        }))
    } else {
        i18n::render_in(lang, || {
            layout::respond(
                status,
                layout::page(
                    &layout::Chrome::anonymous(),
                    heading,
                    html! {
                        h1 { (heading) }
                        p class="lead" { (message.as_deref().unwrap_or(explanation)) }
                        @if status.is_server_error() {
                            p { (tr("Reference: ")) span class="correlation" { (request_id) } }
                        }
                        p { a href="/" { (tr("Go to the start page")) } }
                    },
                ),
            )
        })
    }
}

/// A layer inside this one failed with an error instead of answering (the session layer, when
/// it cannot read or write a session). The error leaves this layer as the complete answer it
/// carries: the standard error page with the usual headers, and 503 with `Retry-After` when the
/// cause was the database not answering in time or not at all (its own error texts, which the
/// session layer keeps in the error it wraps).
fn answer_for_error(
    err: &Error,
    request_id: &str,
    lang: i18n::Lang,
    method: &actix_web::http::Method,
    api: bool,
    https: bool,
) -> Error {
    let detail = format!("{err} {err:?}");
    let waiting = [
        "database busy",
        "database unavailable",
        "commit outcome unknown",
    ]
    .iter()
    .any(|sign| detail.contains(sign));
    // The session layer reads the session before the handler runs, and writes it after: a
    // failure while reading means the handler never ran; after it, a change may be stored.
    let before_the_handler = detail.contains("retrieving the session state");
    let maybe_kept =
        detail.contains("commit outcome unknown") || (!method.is_safe() && !before_the_handler);
    let (status, message) = if waiting {
        (
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            Some(if maybe_kept {
                super::errors::UNCERTAIN_MESSAGE
            } else {
                super::errors::BUSY_MESSAGE
            }),
        )
    } else {
        (err.as_response_error().status_code(), None)
    };
    let mut res = error_answer(status, message, request_id, lang, api);
    set_security_headers(res.headers_mut(), https, false);
    if waiting {
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::errors::RETRY_AFTER_SECONDS),
        );
    }
    res.headers_mut().insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_str(request_id).expect("hex is a valid header value"),
    );
    actix_web::error::InternalError::from_response(detail, res).into()
}

/// Replaces the body of an error response that is not already a page of ours (HTML) or a JSON
/// answer with the standard error page, keeping its status and headers.
fn render_error(
    res: ServiceResponse<BoxBody>,
    request_id: &str,
    lang: i18n::Lang,
) -> ServiceResponse<BoxBody> {
    let already_rendered = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if already_rendered {
        return res;
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<PublicMessage>()
        .map(|m| m.0.clone());
    let api = res.request().path().starts_with("/api/");
    let (req, old) = res.into_parts();
    let mut new = error_answer(status, message.as_deref(), request_id, lang, api);
    // Keep headers the failing layer set on purpose (Allow, Retry-After, Location, cookies).
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_from_one_source_are_logged_a_bounded_number_of_times_a_minute() {
        let start = std::time::Instant::now();
        let source = "198.51.100.7-refusal-test";
        let logged = (0..100)
            .filter(|_| refusals_may_be_logged(source, start))
            .count();
        assert_eq!(logged, REFUSALS_PER_MINUTE as usize);
        assert!(refusals_may_be_logged("another source", start));
        let later = start + std::time::Duration::from_secs(61);
        assert!(
            refusals_may_be_logged(source, later),
            "a new minute, a new allowance"
        );
    }
}
