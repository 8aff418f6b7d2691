//! One rule for every page and API call: a parameter named twice, in the query string or in a
//! form body, is refused (400) before any handler runs. Nothing the portal serves repeats a
//! name, so a repeat is either a mistake or an attempt to make two layers read different values
//! (parameter pollution: a filter checked on one copy and applied from the other).
//!
//! A `multipart/form-data` body (a form with files) is read whole, within its route's limit
//! (`super::body::BodyLimits`), and refused if a field's name appears twice — several files may
//! share a name — or if it is not well-formed multipart; otherwise it reaches the handler
//! unchanged.

use std::collections::HashSet;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use super::body::{self, BodyLimits, Kind};
use super::errors::PublicMessage;

/// The first name that appears more than once in an `application/x-www-form-urlencoded` text.
pub fn repeated_name(encoded: &[u8]) -> Option<String> {
    let mut seen = HashSet::new();
    url::form_urlencoded::parse(encoded)
        .map(|(name, _)| name)
        .find(|name| !seen.insert(name.clone()))
        .map(|name| name.into_owned())
}

fn refuse(req: ServiceRequest, name: &str, place: &str) -> ServiceResponse {
    let mut res = HttpResponse::BadRequest().finish();
    let place = if place == "form" {
        "form"
    } else {
        "web address"
    };
    // The name is echoed escaped by the error page, quoted as sent (so that no translation
    // touches it), and capped so it cannot fill the page.
    let shown: String = name.chars().take(60).collect();
    res.extensions_mut().insert(PublicMessage(format!(
        "The parameter {shown:?} appears more than once in the {place}; send each parameter once."
    )));
    req.into_response(res)
}

fn malformed(req: ServiceRequest) -> ServiceResponse {
    let mut res = HttpResponse::BadRequest().finish();
    res.extensions_mut().insert(PublicMessage(
        "The form could not be read. Go back, reload the page and try again.".into(),
    ));
    req.into_response(res)
}

pub async fn refuse_repeated(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(name) = repeated_name(req.query_string().as_bytes()) {
        return Ok(refuse(req, &name, "address").map_into_right_body());
    }
    // Every page body is read as a form, whatever content type it claims (the handlers that
    // read raw bodies do); the API's JSON has its own duplicate check in serde.
    let page_body = !req.path().starts_with("/api/")
        && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A route that takes files reads its form as a stream (`super::upload`), which refuses a
    // repeated name itself as it goes: reading the whole form here would hold every file in
    // memory.
    let streamed = BodyLimits::of(req.request()).takes_files(req.request());
    let kind = body::kind(req.headers());
    let multipart = matches!(kind, Kind::Multipart(_) | Kind::BrokenMultipart);
    if page_body && multipart && !streamed {
        let Kind::Multipart(boundary) = kind else {
            return Ok(malformed(req).map_into_right_body());
        };
        let limit = BodyLimits::of(req.request()).for_request(req.request());
        let mut payload = req.take_payload();
        let form = match body::read_all(req.headers(), &mut payload, limit).await {
            Ok(form) => form,
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        };
        match body::repeated_field(&form, &boundary) {
            Ok(None) => {}
            Ok(Some(name)) => return Ok(refuse(req, &name, "form").map_into_right_body()),
            Err(body::Malformed) => return Ok(malformed(req).map_into_right_body()),
        }
        req.set_payload(actix_web::dev::Payload::from(form));
    } else if page_body && !multipart {
        let body = match req.extract::<web::Bytes>().await {
            Ok(body) => body,
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        };
        if let Some(name) = repeated_name(&body) {
            return Ok(refuse(req, &name, "form").map_into_right_body());
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::repeated_name;

    #[test]
    fn finds_the_first_repeated_name_whatever_its_encoding() {
        assert_eq!(repeated_name(b"a=1&b=2&c=3"), None);
        assert_eq!(repeated_name(b""), None);
        assert_eq!(repeated_name(b"a=1&b=2&a=3").as_deref(), Some("a"));
        // The same name percent-encoded is the same name.
        assert_eq!(
            repeated_name(b"status=x&st%61tus=y").as_deref(),
            Some("status")
        );
        assert_eq!(repeated_name(b"q=&q").as_deref(), Some("q"));
    }

    /// Routes as the portal declares them, one with a body limit of its own.
    mod table {
        use actix_web::HttpResponse;
        use actix_web::web::Bytes;

        pub async fn length(body: Bytes) -> HttpResponse {
            HttpResponse::Ok().body(body.len().to_string())
        }

        /// As the portal's upload handlers do: the body read as a stream, stopping at the
        /// route's limit.
        pub async fn streamed(mut body: actix_web::web::Payload) -> HttpResponse {
            use futures_util::StreamExt;
            let mut read = 0;
            while let Some(chunk) = body.next().await {
                read += chunk.map(|c| c.len()).unwrap_or_default();
                if read > 4096 {
                    return HttpResponse::PayloadTooLarge().finish();
                }
            }
            HttpResponse::Ok().body(read.to_string())
        }

        route_table! {
            "/form" => [post => length],
            "/upload" max_body 4096 => [post => streamed],
        }
    }

    fn multipart(parts: &[(&str, Option<&str>, usize)]) -> String {
        let mut body = String::new();
        for (name, file, size) in parts {
            let file = file
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            body.push_str(&format!(
                "--B\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{}\r\n",
                "x".repeat(*size)
            ));
        }
        body + "--B--\r\n"
    }

    #[actix_web::test]
    async fn a_route_with_a_limit_of_its_own_takes_larger_multipart_bodies_and_no_repeats() {
        use actix_web::http::header::CONTENT_TYPE;
        use actix_web::{App, middleware::from_fn, test, web};

        use crate::web::body::BodyLimits;

        assert_eq!(table::ROUTES, &[("post", "/form"), ("post", "/upload")]);
        assert_eq!(table::BODY_LIMITS, &[("/upload", 4096)]);
        let app = test::init_service(
            App::new()
                .app_data(web::PayloadConfig::new(1024))
                .app_data(BodyLimits::new(1024, table::BODY_LIMITS.iter().copied()))
                .configure(table::register)
                .wrap(from_fn(super::refuse_repeated)),
        )
        .await;
        let post = |path: &str, body: String| {
            test::TestRequest::post()
                .uri(path)
                .insert_header((CONTENT_TYPE, "multipart/form-data; boundary=B"))
                .set_payload(body)
                .to_request()
        };
        let small = multipart(&[("title", None, 10), ("file", Some("a.pdf"), 100)]);
        let large = multipart(&[("title", None, 10), ("file", Some("a.pdf"), 2000)]);
        let too_large = multipart(&[("title", None, 10), ("file", Some("a.pdf"), 5000)]);
        for (path, body, status) in [
            ("/form", small.clone(), 200),
            ("/upload", small, 200),
            // Over the default limit: only the route with its own takes it, read by its handler
            // as a stream (this layer does not hold an upload in memory).
            ("/form", large.clone(), 413),
            ("/upload", large.clone(), 200),
            ("/upload", too_large, 413),
        ] {
            let length = body.len();
            let res = test::call_service(&app, post(path, body)).await;
            assert_eq!(res.status(), status, "{path}, {length} bytes");
            if status == 200 {
                assert_eq!(test::read_body(res).await, length.to_string());
            }
        }
        // Files may share a name; a field may not, nor a field and a file.
        let files = multipart(&[("files", Some("a"), 1), ("files", Some("b"), 1)]);
        let fields = multipart(&[
            ("title", None, 1),
            ("file", Some("a"), 1),
            ("title", None, 1),
        ]);
        let mixed = multipart(&[("title", Some("a"), 1), ("title", None, 1)]);
        assert_eq!(
            test::call_service(&app, post("/form", files))
                .await
                .status(),
            200
        );
        assert_eq!(
            test::call_service(&app, post("/form", fields))
                .await
                .status(),
            400
        );
        assert_eq!(
            test::call_service(&app, post("/form", mixed))
                .await
                .status(),
            400
        );
        // Not multipart as announced: refused, not handed on unchecked.
        let broken = "--B\r\nno headers end here".to_owned();
        assert_eq!(
            test::call_service(&app, post("/form", broken))
                .await
                .status(),
            400
        );
    }
}
