//! Cross-site request forgery defence (product.md § 10): every state-changing request from a page
//! must come from this site (`Sec-Fetch-Site`, `Origin`) and carry the session's synchronizer
//! token, compared in constant time. One middleware checks every such request, so no handler can
//! forget to.
//!
//! Where the token is: in the `csrf_token` field of an urlencoded form (read whole, within
//! `server.max_body_bytes`); for a `multipart/form-data` form (uploads), in the `X-CSRF-Token`
//! header or in the `csrf_token` field placed before the first file. The header is the cheap
//! path: the body is not read at all. Without it, only the form's start is read — up to the
//! token, and never past the first file or the global limit — and handed on unchanged with the
//! rest of the body, still unread. See `super::body` for the multipart rules.

use actix_session::{Session, SessionExt};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use super::AppState;
use super::body::{self, BodyLimits, Early, Kind};
use super::errors::PublicMessage;
use crate::auth::{keys, secret};

/// The session key of the token's nonce, and the form field that carries the token.
pub const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";
/// The header that may carry the token of a multipart form instead of its field.
pub const HEADER: &str = "x-csrf-token";

/// Paths whose forms are protected by a single-use token of their own instead of a session
/// (the first-administrator and invitation links): the cross-site checks still apply.
const OWN_TOKEN_PATHS: [&str; 2] = ["/setup", "/invitation"];

/// The session keeps only a random nonce; the token is the nonce's HMAC under the CSRF key,
/// which is not in the database (`auth::keys`). Someone reading the sessions table learns the
/// nonce and cannot make the token from it.
fn token_of(nonce: &str) -> String {
    keys::current().csrf_token(nonce)
}

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(nonce)) = session.get::<String>(SESSION_KEY) {
        return token_of(&nonce);
    }
    rotate(session)
}

/// Replaces the token (at sign-in, so a token seen before sign-in is worthless after it).
pub fn rotate(session: &Session) -> String {
    let nonce = secret::generate();
    let _ = session.insert(SESSION_KEY, &nonce);
    token_of(&nonce)
}

fn refuse(req: ServiceRequest, why: &str) -> ServiceResponse {
    tracing::warn!(reason = why, "cross-site request refused");
    let mut res = HttpResponse::Forbidden().finish();
    res.extensions_mut().insert(PublicMessage(
        "This form has expired or did not come from this site. Go back, reload the page and try again."
            .into(),
    ));
    req.into_response(res)
}

fn same_origin(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let origin = origin.origin().ascii_serialization();
    let public = url::Url::parse(public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    origin == public
        || host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !changes_state || req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return Ok(refuse(req, "sec-fetch-site").map_into_right_body());
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    // Under `Referrer-Policy: no-referrer` (product.md § 10) browsers send `Origin: null` with every
    // form post, their own site's included. Such a post is let through to the token check only
    // when the browser vouches that it is same-origin; a sandboxed or data: page posting from
    // elsewhere is cross-site by that header.
    if origin == Some("null") && fetch_site != Some("same-origin") {
        return Ok(refuse(req, "origin").map_into_right_body());
    }
    if let Some(origin) = origin.filter(|o| *o != "null") {
        let public_url = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.public_url.clone())
            .unwrap_or_default();
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if !same_origin(origin, &public_url, host) {
            return Ok(refuse(req, "origin").map_into_right_body());
        }
    }
    if OWN_TOKEN_PATHS.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }

    let expected = req
        .get_session()
        .get::<String>(SESSION_KEY)
        .ok()
        .flatten()
        .filter(|nonce| !nonce.is_empty())
        .map(|nonce| token_of(&nonce));
    let valid = |sent: Option<&[u8]>| match (sent, &expected) {
        (Some(sent), Some(expected)) => {
            bool::from(sent.ct_eq(expected.as_bytes())) && !expected.is_empty()
        }
        _ => false,
    };
    let kind = body::kind(req.headers());
    if kind != Kind::Other
        && let Some(sent) = req.headers().get(HEADER)
    {
        // A multipart form's header decides alone; the body is left unread.
        if !valid(Some(sent.as_bytes())) {
            return Ok(refuse(req, "token").map_into_right_body());
        }
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match kind {
        Kind::Multipart(boundary) => {
            let budget = BodyLimits::of(req.request()).default_limit();
            let mut payload = req.take_payload();
            let (sent, start) = match token_at_start(&mut payload, &boundary, budget).await {
                Ok(found) => found,
                Err(e) => return Ok(req.error_response(e).map_into_right_body()),
            };
            if !valid(sent.as_deref()) {
                return Ok(refuse(req, "token").map_into_right_body());
            }
            // The handler reads the body from its first byte: what was read, then the rest.
            let whole: BoxedStream =
                Box::pin(futures_util::stream::iter(start.into_iter().map(Ok)).chain(payload));
            req.set_payload(actix_web::dev::Payload::from(whole));
            Ok(next.call(req).await?.map_into_left_body())
        }
        Kind::BrokenMultipart => Ok(refuse(req, "token").map_into_right_body()),
        Kind::Other => {
            // Read the form, find the token, and put the body back for the handler.
            let body = match req.extract::<web::Bytes>().await {
                Ok(body) => body,
                Err(e) => return Ok(req.error_response(e).map_into_right_body()),
            };
            let sent = form_field(&body, FIELD);
            if !valid(sent.as_deref().map(str::as_bytes)) {
                return Ok(refuse(req, "token").map_into_right_body());
            }
            req.set_payload(actix_web::dev::Payload::from(body));
            Ok(next.call(req).await?.map_into_left_body())
        }
    }
}

/// A request body as a stream of chunks (actix-web's `BoxedPayloadStream`).
type BoxedStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>>;

/// Reads a multipart form from its start until its `csrf_token` field is complete, a file or
/// the form's end comes first, or `budget` bytes are read. Returns the token, if found, and
/// every chunk read (to hand on). The form is looked at again each time what was read has
/// doubled, so the parsing costs at most twice the bytes read.
async fn token_at_start(
    payload: &mut actix_web::dev::Payload,
    boundary: &str,
    budget: usize,
) -> Result<(Option<Vec<u8>>, Vec<Bytes>), PayloadError> {
    let mut start: Vec<Bytes> = Vec::new();
    let (mut read, mut looked_at) = (0usize, 0usize);
    loop {
        let complete = match payload.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                read += chunk.len();
                start.push(chunk);
                false
            }
            None => true,
        };
        let spent = read > budget;
        if !(complete || spent || read >= looked_at.saturating_mul(2)) {
            continue;
        }
        looked_at = read;
        match body::early_field(&start, complete, boundary, FIELD) {
            Early::Found(token) => return Ok((Some(token.to_vec()), start)),
            Early::NeedMore if !(complete || spent) => {}
            Early::NeedMore | Early::Absent | Early::Malformed => return Ok((None, start)),
        }
    }
}

/// The value of a field in an `application/x-www-form-urlencoded` body; none if it is absent
/// or appears more than once.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(body) {
        if key == name {
            if found.is_some() {
                return None;
            }
            found = Some(value.into_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_once_only() {
        assert_eq!(
            form_field(b"a=1&csrf_token=abc&b=2", FIELD).as_deref(),
            Some("abc")
        );
        assert_eq!(form_field(b"csrf_token=a&csrf_token=b", FIELD), None);
        assert_eq!(form_field(b"a=1", FIELD), None);
    }

    /// A multipart body in small chunks: the token is found on the form's start, and what was
    /// read, followed by the unread rest, is the body exactly.
    #[actix_web::test]
    async fn the_token_is_read_from_the_start_of_a_form_and_the_body_handed_on_whole() {
        let file = "%PDF".repeat(5000);
        let form = format!(
            "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nAn event\r\n\
             --B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ns3cret\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n\
             {file}\r\n--B--\r\n"
        );
        let body = Bytes::from(form);
        let in_chunks = |body: &Bytes| {
            let chunks: Vec<_> = (0..body.len())
                .step_by(16)
                .map(|i| Ok(body.slice(i..(i + 16).min(body.len()))))
                .collect();
            let stream: BoxedStream = Box::pin(futures_util::stream::iter(chunks));
            actix_web::dev::Payload::from(stream)
        };
        let mut payload = in_chunks(&body);

        let (token, start) = token_at_start(&mut payload, "B", 1024).await.unwrap();
        assert_eq!(token.as_deref(), Some(&b"s3cret"[..]));
        let read: usize = start.iter().map(Bytes::len).sum();
        assert!(
            read < 600,
            "read {read} bytes of {} for the token",
            body.len()
        );
        let mut whole = futures_util::stream::iter(start.into_iter().map(Ok)).chain(payload);
        let mut again = Vec::new();
        while let Some(chunk) = whole.next().await {
            again.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(again, body);

        // A file before the token, or a budget spent before it: no token.
        let file_first = Bytes::from(format!(
            "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n{file}\r\n--B--\r\n"
        ));
        let mut payload = in_chunks(&file_first);
        let (token, start) = token_at_start(&mut payload, "B", 1024).await.unwrap();
        assert_eq!(token, None);
        assert!(start.iter().map(Bytes::len).sum::<usize>() < 200);
        let mut payload = in_chunks(&body);
        assert_eq!(token_at_start(&mut payload, "B", 64).await.unwrap().0, None);
    }

    #[test]
    fn origins_must_match_the_public_url_or_host() {
        assert!(same_origin(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080",
            None
        ));
        assert!(same_origin(
            "https://portal.example.no",
            "https://portal.example.no/",
            None
        ));
        assert!(same_origin(
            "http://localhost:9000",
            "https://x",
            Some("localhost:9000")
        ));
        assert!(!same_origin(
            "https://evil.example",
            "https://portal.example.no",
            Some("portal.example.no")
        ));
        assert!(!same_origin("null", "https://portal.example.no", None));
    }
}
