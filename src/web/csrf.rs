//! Cross-site request forgery defence (SPEC § 10): every state-changing request from a page
//! must come from this site (`Sec-Fetch-Site`, `Origin`) and carry the session's synchronizer
//! token, compared in constant time. One middleware checks every such request, so no handler can
//! forget to.

use actix_session::{Session, SessionExt};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use subtle::ConstantTimeEq;

use super::AppState;
use super::errors::PublicMessage;
use crate::auth::secret;

/// The session key and the form field that carry the token.
pub const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";

/// Paths whose forms are protected by a single-use token of their own instead of a session
/// (the first-administrator and invitation links): the cross-site checks still apply.
const OWN_TOKEN_PATHS: [&str; 2] = ["/setup", "/invitation"];

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return existing;
    }
    let fresh = secret::generate();
    let _ = session.insert(SESSION_KEY, &fresh);
    fresh
}

/// Replaces the token (at sign-in, so a token seen before sign-in is worthless after it).
pub fn rotate(session: &Session) -> String {
    let fresh = secret::generate();
    let _ = session.insert(SESSION_KEY, &fresh);
    fresh
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
    // Under `Referrer-Policy: no-referrer` (SPEC § 10) browsers send `Origin: null` with every
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

    // Read the form, find the token, and put the body back for the handler.
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e).map_into_right_body()),
    };
    let sent = form_field(&body, FIELD);
    let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
    let valid = match (sent, expected) {
        (Some(sent), Some(expected)) => {
            bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty()
        }
        _ => false,
    };
    if !valid {
        return Ok(refuse(req, "token").map_into_right_body());
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(next.call(req).await?.map_into_left_body())
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
