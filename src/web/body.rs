//! Request bodies as the middlewares read them: how large a body each route accepts, and how a
//! `multipart/form-data` body (a form with files) is read.
//!
//! **Limits.** Every body is limited to `server.max_body_bytes`. A route that takes uploads
//! declares its own, larger limit in its route table (`"/path" max_body 10 * MIB => [...]`);
//! the table registers that limit for the route's handlers (`PayloadConfig`) and lists it in
//! `BODY_LIMITS`, which `startup` gathers into the `BodyLimits` the middlewares consult, by the
//! pattern of the route a request is going to. Urlencoded forms stay at the global limit
//! everywhere (the CSRF middleware reads them whole, with the global limit); only multipart
//! bodies grow to a route's own limit.
//!
//! **Multipart.** Parsed with `multer`, the parser the upload handlers are to use too, so that
//! the middlewares and the handlers cannot read one form differently. A part with a `filename`
//! is a file; every other part is a field. The rules the middlewares enforce:
//! - the CSRF token comes in the `X-CSRF-Token` header, or in the `csrf_token` field *before
//!   the first file* (the middleware reads no further than that, and no further than the global
//!   limit, to find it);
//! - a field's name appears once in the whole form, file parts included (several files may
//!   share a name);
//! - a body that is not well-formed multipart is refused.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{Bytes, BytesMut};
use futures_util::{FutureExt, StreamExt};

/// One mebibyte, for route tables.
pub const MIB: usize = 1024 * 1024;

/// The body limit an upload route names in its table: the file limit of the settings
/// (`attachments.max_bytes`) and `ENVELOPE` for the form around the file. The handlers that
/// take files stop reading at the file limit themselves (`upload`).
pub const UPLOAD: usize = usize::MAX;

/// Room for a multipart form's boundaries, headers and small fields around one file.
pub const ENVELOPE: usize = 64 * 1024;

/// How large a body each route accepts.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    default: usize,
    routes: HashMap<&'static str, usize>,
}

impl BodyLimits {
    /// `default` for every route but those in `routes` (route pattern, limit).
    pub fn new(default: usize, routes: impl IntoIterator<Item = (&'static str, usize)>) -> Self {
        Self::with_uploads(default, 0, routes)
    }

    /// As `new`, with the routes that name `UPLOAD` taking files of up to `upload` bytes.
    pub fn with_uploads(
        default: usize,
        upload: usize,
        routes: impl IntoIterator<Item = (&'static str, usize)>,
    ) -> Self {
        BodyLimits {
            default,
            routes: routes
                .into_iter()
                .map(|(path, limit)| {
                    let limit = if limit == UPLOAD {
                        upload.saturating_add(ENVELOPE)
                    } else {
                        limit
                    };
                    (path, limit)
                })
                .collect(),
        }
    }

    /// Whether the route `req` is going to takes files (has a limit of its own).
    pub fn takes_files(&self, req: &HttpRequest) -> bool {
        req.match_pattern()
            .is_some_and(|p| self.routes.contains_key(p.as_str()))
    }

    /// The limit of every route without one of its own (`server.max_body_bytes`).
    pub fn default_limit(&self) -> usize {
        self.default
    }

    /// The limit of the route with this pattern (e.g. `/requests/{id}/attachments`).
    pub fn for_pattern(&self, pattern: Option<&str>) -> usize {
        pattern
            .and_then(|p| self.routes.get(p).copied())
            .unwrap_or(self.default)
    }

    /// The limit of the route `req` is going to (looked up before routing, by the app's
    /// resource map, so middlewares can use it).
    pub fn for_request(&self, req: &HttpRequest) -> usize {
        self.for_pattern(req.match_pattern().as_deref())
    }

    /// The limits the app was given, or actix-web's own default (256 KiB, the same as the
    /// portal's) where none were.
    pub fn of(req: &HttpRequest) -> BodyLimits {
        req.app_data::<BodyLimits>()
            .cloned()
            .unwrap_or_else(|| BodyLimits::new(262_144, []))
    }
}

/// What a body's `Content-Type` says it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// `multipart/form-data` with its boundary.
    Multipart(String),
    /// `multipart/form-data` without a usable boundary: it cannot be read.
    BrokenMultipart,
    /// Anything else: page bodies are read as `application/x-www-form-urlencoded`.
    Other,
}

pub fn kind(headers: &HeaderMap) -> Kind {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Kind::Other;
    };
    let Ok(content_type) = content_type.to_str() else {
        return Kind::Other;
    };
    match multer::parse_boundary(content_type) {
        Ok(boundary) if !boundary.is_empty() => Kind::Multipart(boundary),
        Ok(_) | Err(multer::Error::NoBoundary) => Kind::BrokenMultipart,
        // Named multipart/form-data, but not a media type mime can read.
        Err(multer::Error::DecodeContentType(_))
            if content_type
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data") =>
        {
            Kind::BrokenMultipart
        }
        Err(_) => Kind::Other,
    }
}

/// Reads a whole body of at most `limit` bytes (a larger one, announced or sent: `Overflow`,
/// answered 413).
pub async fn read_all(
    headers: &HeaderMap,
    payload: &mut actix_web::dev::Payload,
    limit: usize,
) -> Result<Bytes, PayloadError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(PayloadError::Overflow);
    }
    let mut body = BytesMut::with_capacity(announced.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(PayloadError::Overflow);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A multipart body that does not follow the format.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// What the start of a multipart form says about one field that must come before any file.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    /// The field, complete.
    Found(Bytes),
    /// A file, or the end of the form, came first.
    Absent,
    /// The bytes so far end before the field does: read more.
    NeedMore,
    Malformed,
}

/// Looks for the field `name` in the bytes of a multipart form read so far (`complete`: the
/// whole form). Stops at the first file: what comes after it is not looked at.
pub fn early_field(chunks: &[Bytes], complete: bool, boundary: &str, name: &str) -> Early {
    let stream = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    let mut form = multer::Multipart::new(stream, boundary);
    // The bytes are all in memory, so every step finishes at once; one that would wait is a
    // parser fault, taken as a malformed body rather than a request that hangs.
    let short = |e: &multer::Error| {
        !complete
            && matches!(
                e,
                multer::Error::IncompleteFieldData { .. }
                    | multer::Error::IncompleteHeaders
                    | multer::Error::IncompleteStream
            )
    };
    loop {
        let field = match form.next_field().now_or_never() {
            Some(Ok(Some(field))) => field,
            Some(Ok(None)) => return Early::Absent,
            Some(Err(e)) if short(&e) => return Early::NeedMore,
            Some(Err(_)) | None => return Early::Malformed,
        };
        if field.file_name().is_some() {
            return Early::Absent;
        }
        if field.name() == Some(name) {
            return match field.bytes().now_or_never() {
                Some(Ok(value)) => Early::Found(value),
                Some(Err(e)) if short(&e) => Early::NeedMore,
                Some(Err(_)) | None => Early::Malformed,
            };
        }
    }
}

/// The first field name of a complete multipart form that is given to a field (not a file) and
/// appears more than once, counting file parts; none if every field name is unique.
pub fn repeated_field(body: &Bytes, boundary: &str) -> Result<Option<String>, Malformed> {
    let stream = futures_util::stream::once(std::future::ready(Ok::<_, Infallible>(body.clone())));
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = HashSet::new();
    let mut files = HashSet::new();
    loop {
        let field = match form.next_field().now_or_never() {
            Some(Ok(Some(field))) => field,
            Some(Ok(None)) => return Ok(None),
            Some(Err(_)) | None => return Err(Malformed),
        };
        // A part without a name cannot be read by name; it is counted under the empty one.
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            if fields.contains(&name) {
                return Ok(Some(name));
            }
            files.insert(name);
        } else if files.contains(&name) || !fields.insert(name.clone()) {
            return Ok(Some(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "XyZ";

    fn form(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
        let mut body = String::from("preamble to ignore\r\n");
        for (name, file, value) in parts {
            body.push_str(&format!(
                "--{B}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            if let Some(file) = file {
                body.push_str(&format!(
                    "; filename=\"{file}\"\r\nContent-Type: application/octet-stream"
                ));
            }
            body.push_str(&format!("\r\n\r\n{value}\r\n"));
        }
        body.push_str(&format!("--{B}--\r\n"));
        Bytes::from(body)
    }

    fn chunked(body: &Bytes, size: usize) -> Vec<Bytes> {
        (0..body.len())
            .step_by(size)
            .map(|i| body.slice(i..(i + size).min(body.len())))
            .collect()
    }

    #[test]
    fn the_content_type_says_whether_a_body_is_multipart() {
        let mut headers = HeaderMap::new();
        assert_eq!(kind(&headers), Kind::Other);
        let mut with = |ct: &'static str| {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            kind(&headers)
        };
        assert_eq!(
            with("multipart/form-data; boundary=abc"),
            Kind::Multipart("abc".into())
        );
        assert_eq!(
            with("Multipart/Form-Data; boundary=\"a b\""),
            Kind::Multipart("a b".into())
        );
        assert_eq!(with("multipart/form-data"), Kind::BrokenMultipart);
        assert_eq!(
            with("multipart/form-data; boundary="),
            Kind::BrokenMultipart
        );
        assert_eq!(with("application/x-www-form-urlencoded"), Kind::Other);
        assert_eq!(with("multipart/mixed; boundary=abc"), Kind::Other);
        assert_eq!(with("text/plain"), Kind::Other);
    }

    #[test]
    fn the_token_is_found_before_the_first_file_however_the_body_is_cut() {
        let body = form(&[
            ("title", None, "An event"),
            ("csrf_token", None, "s3cret"),
            ("file", Some("a.pdf"), &"%PDF".repeat(1000)),
        ]);
        for size in [1, 7, 64, body.len()] {
            let chunks = chunked(&body, size);
            // Read chunk by chunk, as the middleware does: more is needed until the token's
            // part is complete, and then it is found, whatever follows.
            let mut outcome = Early::NeedMore;
            for n in 1..=chunks.len() {
                outcome = early_field(&chunks[..n], n == chunks.len(), B, "csrf_token");
                if outcome != Early::NeedMore {
                    break;
                }
            }
            assert_eq!(
                outcome,
                Early::Found(Bytes::from("s3cret")),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn a_token_after_a_file_or_missing_is_absent() {
        let after = form(&[
            ("file", Some("a.pdf"), "data"),
            ("csrf_token", None, "s3cret"),
        ]);
        assert_eq!(early_field(&[after], true, B, "csrf_token"), Early::Absent);
        let missing = form(&[("title", None, "x")]);
        assert_eq!(
            early_field(std::slice::from_ref(&missing), true, B, "csrf_token"),
            Early::Absent
        );
        // Cut short, the same body needs more; at its real end it is malformed.
        let cut = missing.slice(..missing.len() - 10);
        assert_eq!(
            early_field(std::slice::from_ref(&cut), false, B, "csrf_token"),
            Early::NeedMore
        );
        assert_eq!(early_field(&[cut], true, B, "csrf_token"), Early::Malformed);
        assert_eq!(
            early_field(
                &[Bytes::from("not multipart at all")],
                true,
                B,
                "csrf_token"
            ),
            Early::Malformed
        );
    }

    #[test]
    fn a_repeated_field_is_found_and_files_may_share_a_name() {
        let once = form(&[
            ("csrf_token", None, "t"),
            ("title", None, "x"),
            ("files", Some("a.pdf"), "1"),
            ("files", Some("b.pdf"), "2"),
        ]);
        assert_eq!(repeated_field(&once, B), Ok(None));
        let twice = form(&[
            ("title", None, "x"),
            ("files", Some("a.pdf"), "1"),
            ("title", None, "y"),
        ]);
        assert_eq!(repeated_field(&twice, B), Ok(Some("title".into())));
        let field_and_file = form(&[("title", Some("t.txt"), "x"), ("title", None, "y")]);
        assert_eq!(repeated_field(&field_and_file, B), Ok(Some("title".into())));
        let token_twice = form(&[("csrf_token", None, "a"), ("csrf_token", None, "b")]);
        assert_eq!(
            repeated_field(&token_twice, B),
            Ok(Some("csrf_token".into()))
        );
        let cut = once.slice(..once.len() - 10);
        assert_eq!(repeated_field(&cut, B), Err(Malformed));
    }

    #[test]
    fn routes_may_have_limits_of_their_own() {
        let limits = BodyLimits::new(1000, [("/requests/{id}/attachments", 10 * MIB)]);
        assert_eq!(
            limits.for_pattern(Some("/requests/{id}/attachments")),
            10 * MIB
        );
        assert_eq!(limits.for_pattern(Some("/requests/{id}")), 1000);
        assert_eq!(limits.for_pattern(None), 1000);
        assert_eq!(limits.default_limit(), 1000);
    }
}
