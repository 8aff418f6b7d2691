//! One rule for every page and API call: a parameter named twice, in the query string or in a
//! form body, is refused (400) before any handler runs. Nothing the portal serves repeats a
//! name, so a repeat is either a mistake or an attempt to make two layers read different values
//! (parameter pollution: a filter checked on one copy and applied from the other).

use std::collections::HashSet;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

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
    if page_body {
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
}
